"""The Jenkinsfile and the GitHub Actions workflow drive deploys through the CLI only."""

import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[3]
VERBS = ("canary", "promote", "rollback")
ANALYSED_CANARY = re.compile(r"deploy canary [^\n]*--analyze 10m")


def deploy_calls(text: str) -> list[str]:
    """The ``openbid deploy VERB`` calls, in order of appearance."""
    return re.findall(r"(?:openbid|\$OPENBID) deploy (\w+)", text)


def test_jenkinsfile_stages_in_order() -> None:
    text = (ROOT / "infra" / "Jenkinsfile").read_text()
    stages = re.findall(r"stage\('([\w ]+)'\)", text)
    assert stages == [
        "Build", "Test", "Push", "Diff", "Canary and analysis", "Approve", "Promote",
    ]  # fmt: skip
    calls = deploy_calls(text)
    for verb in VERBS:
        assert verb in calls
    assert "analyze" not in calls
    assert calls.index("canary") < calls.index("promote")
    assert ANALYSED_CANARY.search(text)
    assert "params.MANUAL_APPROVAL ? '' : '--auto'" in text
    assert "input message" in text


def test_workflow_jobs_and_approval() -> None:
    text = (ROOT / ".github" / "workflows" / "deploy.yml").read_text()
    workflow: dict[Any, Any] = yaml.safe_load(text)
    jobs = workflow["jobs"]
    assert list(jobs) == ["test", "push", "canary", "approve", "promote", "rollback"]
    assert jobs["push"]["needs"] == "test"
    assert jobs["canary"]["needs"] == "push"
    assert jobs["approve"]["needs"] == "canary"
    assert jobs["promote"]["needs"] == ["canary", "approve"]
    canary = next(s["run"] for s in jobs["canary"]["steps"] if "deploy canary" in s.get("run", ""))
    assert ANALYSED_CANARY.search(canary.replace("\n", " "))
    assert "--auto" in canary
    assert "analyze" not in deploy_calls(text)
    assert "-promotion" in jobs["approve"]["environment"]
    assert workflow[True]["workflow_dispatch"]["inputs"]["manual_approval"]["type"] == "boolean"
    for verb in VERBS:
        assert verb in deploy_calls(text)


def test_no_deploy_logic_outside_the_cli() -> None:
    for path in (ROOT / "infra" / "Jenkinsfile", ROOT / ".github" / "workflows" / "deploy.yml"):
        text = path.read_text()
        assert not re.search(r"aws (ecs|elbv2)\b", text), path
