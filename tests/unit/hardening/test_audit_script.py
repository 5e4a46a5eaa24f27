"""scripts/audit.py: pip-audit's verdict on the installed dependencies, as CI reads it."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parents[3] / "scripts" / "audit.py"
SKIPPED: dict[str, object] = {"name": "pkg-b", "skip_reason": "not found on PyPI: pkg-b (1.0)"}


def audit(tmp_path: Path, dependencies: list[dict[str, object]], *flags: str) -> tuple[int, str]:
    """Run the script on a pip-audit report listing ``dependencies``: exit status and output."""
    report = tmp_path / "report.json"
    report.write_text(json.dumps({"dependencies": dependencies, "fixes": []}))
    env = {key: value for key, value in os.environ.items() if key != "OPENBID_AUDIT_REQUIRED"}
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--report", str(report), *flags],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr


def test_clean_dependencies_pass(tmp_path: Path) -> None:
    clean: dict[str, object] = {"name": "pkg-a", "version": "2.0", "vulns": []}
    status, output = audit(tmp_path, [clean, SKIPPED])
    assert status == 0
    assert "1 packages audited, 1 skipped" in output
    assert "no known vulnerabilities" in output


def test_a_known_vulnerability_fails_and_is_named(tmp_path: Path) -> None:
    vuln = {"id": "GHSA-xxxx-yyyy", "fix_versions": ["2.0.1"], "description": "bad"}
    status, output = audit(tmp_path, [{"name": "pkg-a", "version": "2.0", "vulns": [vuln]}])
    assert status == 1
    assert "VULNERABLE pkg-a 2.0: GHSA-xxxx-yyyy (fixed in 2.0.1)" in output


@pytest.mark.parametrize("required", [False, True])
def test_nothing_audited_is_never_reported_clean(tmp_path: Path, required: bool) -> None:
    # pip-audit itself says "No known vulnerabilities found" when every lookup failed
    status, output = audit(tmp_path, [SKIPPED], *(["--require-service"] if required else []))
    assert "NOT AUDITED" in output
    assert "no known vulnerabilities" not in output
    assert status == (2 if required else 0)


def test_an_unreadable_report_is_not_audited(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    report.write_text("Traceback: connection refused")
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--report", str(report), "--require-service"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "not a pip-audit JSON report" in done.stderr
