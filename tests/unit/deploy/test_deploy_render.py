"""Rendering the task definition template, the config file, and the template lookups."""

from pathlib import Path
from typing import Any

import pytest
from deploy_fixtures import VALUES, config_file, make_config

from openbid.deploy.config import DeployConfig, load_config
from openbid.deploy.errors import ConfigError
from openbid.deploy.taskdef import image_reference, image_tag, render_task_definition
from openbid.deploy.templating import Lookups, render_template

REPOSITORY = "123456789012.dkr.ecr.us-east-1.amazonaws.com/openbid"


@pytest.fixture
def config(tmp_path: Path) -> DeployConfig:
    """The test service's config on the real template."""
    return make_config(tmp_path)


def containers(definition: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Container definitions by name."""
    return {c["name"]: c for c in definition["containerDefinitions"]}


def environment(container: dict[str, Any]) -> dict[str, str]:
    """A container's environment as a mapping."""
    return {item["name"]: item["value"] for item in container.get("environment", [])}


def test_the_template_renders_the_three_containers(config: DeployConfig) -> None:
    definition = render_task_definition(config, "1.4.2", Lookups())
    assert definition["family"] == "openbid-bidder-test"
    assert definition["requiresCompatibilities"] == ["FARGATE"]
    assert definition["networkMode"] == "awsvpc"
    assert definition["executionRoleArn"] == VALUES["execution_role_arn"]
    assert definition["taskRoleArn"] == VALUES["task_role_arn"]
    by_name = containers(definition)
    assert list(by_name) == ["bidder", "datadog-agent", "log-router"]

    bidder = by_name["bidder"]
    assert bidder["image"] == f"{REPOSITORY}:1.4.2"
    assert bidder["portMappings"][0]["containerPort"] == 8080
    env = environment(bidder)
    assert env["OPENBID_HOST"] == "0.0.0.0"
    assert env["OPENBID_PORT"] == "8080"
    assert env["OPENBID_DEPLOYMENT"] == "stable"
    assert env["OPENBID_NOTICE_URL"] == "https://bid.example.com"
    assert env["DD_VERSION"] == "1.4.2"
    assert bidder["stopTimeout"] > float(env["OPENBID_DRAIN_SECONDS"])
    assert {s["name"]: s["valueFrom"] for s in bidder["secrets"]} == {
        "OPENBID_SIGNING_KEYS": VALUES["signing_keys_arn"],
        "OPENBID_CATALOG_URL": VALUES["catalog_url_arn"],
    }
    assert "/healthz" in " ".join(bidder["healthCheck"]["command"])
    assert "curl" not in " ".join(bidder["healthCheck"]["command"])
    assert {d["containerName"]: d["condition"] for d in bidder["dependsOn"]} == {
        "log-router": "START",
        "datadog-agent": "HEALTHY",
    }
    assert bidder["logConfiguration"]["logDriver"] == "awsfirelens"
    assert bidder["logConfiguration"]["options"]["Name"] == "s3"
    assert bidder["logConfiguration"]["options"]["bucket"] == "openbid-events-test"

    agent = by_name["datadog-agent"]
    agent_env = environment(agent)
    assert agent_env["ECS_FARGATE"] == "true"
    assert agent_env["DD_DOGSTATSD_TAG_CARDINALITY"] == "orchestrator"
    assert agent_env["DD_DOGSTATSD_ORIGIN_DETECTION"] == "true"
    assert agent["secrets"] == [{"name": "DD_API_KEY", "valueFrom": VALUES["datadog_api_key_arn"]}]
    assert agent["healthCheck"]["command"] == ["CMD-SHELL", "agent health"]

    router = by_name["log-router"]
    assert router["firelensConfiguration"]["type"] == "fluentbit"
    assert router["essential"] is True


def test_events_can_go_to_firehose(tmp_path: Path) -> None:
    values = {**VALUES, "events_output": "firehose", "events_stream": "openbid-events"}
    config = load_config(config_file(tmp_path, values=values), Lookups())
    options = containers(render_task_definition(config, "1.4.2", Lookups()))["bidder"][
        "logConfiguration"
    ]["options"]
    assert options == {
        "Name": "kinesis_firehose",
        "region": "us-east-1",
        "delivery_stream": "openbid-events",
    }


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        ("1.4.2", f"{REPOSITORY}:1.4.2"),
        ("sha-3f2a9c1", f"{REPOSITORY}:sha-3f2a9c1"),
        ("sha256:" + "a" * 64, f"{REPOSITORY}@sha256:" + "a" * 64),
        ("ghcr.io/acme/openbid:2.0", "ghcr.io/acme/openbid:2.0"),
    ],
)
def test_image_references(image: str, expected: str) -> None:
    assert image_reference(REPOSITORY, image) == expected


def test_a_malformed_image_tag_is_refused() -> None:
    with pytest.raises(ConfigError, match="neither an image tag"):
        image_reference(REPOSITORY, "1.4.2 beta")


@pytest.mark.parametrize(
    ("reference", "tag"),
    [
        (f"{REPOSITORY}:1.4.2", "1.4.2"),
        ("localhost:5000/openbid", "latest"),
        ("localhost:5000/openbid:7", "7"),
        (f"{REPOSITORY}@sha256:abc", "sha256:abc"),
    ],
)
def test_image_tags(reference: str, tag: str) -> None:
    assert image_tag(reference) == tag


def test_an_undefined_value_names_the_template_line(tmp_path: Path) -> None:
    template = tmp_path / "t.yaml.j2"
    template.write_text("family: x\nimage: {{ values.nope }}\n")
    with pytest.raises(ConfigError, match=r"t\.yaml\.j2:2: .*'nope'"):
        render_template(template, {"values": {}}, Lookups())


def test_a_template_syntax_error_names_the_line(tmp_path: Path) -> None:
    template = tmp_path / "t.yaml.j2"
    template.write_text("a: 1\nb: {{ oops\n")
    with pytest.raises(ConfigError, match=r"t\.yaml\.j2:2: "):
        render_template(template, {}, Lookups())


def test_env_and_must_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENBID_TEST_STAGE", "staging")
    monkeypatch.delenv("OPENBID_TEST_MISSING", raising=False)
    template = tmp_path / "t.j2"
    template.write_text('{{ env("OPENBID_TEST_STAGE") }} {{ env("OPENBID_TEST_MISSING", "d") }}')
    assert render_template(template, {}, Lookups()) == "staging d"
    template.write_text('{{ must_env("OPENBID_TEST_MISSING") }}')
    with pytest.raises(ConfigError, match="OPENBID_TEST_MISSING is not set"):
        render_template(template, {}, Lookups())


def test_ssm_lookups_are_read_once(tmp_path: Path) -> None:
    reads: list[str] = []

    def read(name: str) -> str:
        reads.append(name)
        return f"value of {name}"

    template = tmp_path / "t.j2"
    template.write_text('{{ ssm("/openbid/prod/x") }}|{{ ssm("/openbid/prod/x") }}')
    assert render_template(template, {}, Lookups(read)) == (
        "value of /openbid/prod/x|value of /openbid/prod/x"
    )
    assert reads == ["/openbid/prod/x"]


def test_ssm_without_aws_is_a_config_error(tmp_path: Path) -> None:
    template = tmp_path / "t.j2"
    template.write_text('{{ ssm("/x") }}')
    with pytest.raises(ConfigError, match="no AWS access"):
        render_template(template, {}, Lookups())


def test_the_config_is_a_template_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENBID_TEST_CLUSTER", "blue")
    path = config_file(tmp_path, cluster='{{ env("OPENBID_TEST_CLUSTER") }}')
    config = load_config(path, Lookups())
    assert config.cluster == "blue"
    assert config.waits.interval == 5.0
    assert Path(config.task_definition).is_absolute()


def test_the_template_path_is_relative_to_the_config(tmp_path: Path) -> None:
    (tmp_path / "infra").mkdir()
    path = config_file(tmp_path / "infra", task_definition="taskdef.yaml.j2")
    assert load_config(path, Lookups()).task_definition == str(tmp_path / "infra/taskdef.yaml.j2")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"clustr": "x"}, "unknown field `clustr`"),
        ({"container_port": "eighty"}, "Expected `int`, got `str` - at `$.container_port`"),
        ({"waits": {"rollout": "long"}}, "at `$.waits.rollout`"),
    ],
)
def test_config_mistakes_are_named(
    tmp_path: Path, overrides: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError, match=message.replace("$", r"\$").replace(".", r"\.")):
        load_config(config_file(tmp_path, **overrides), Lookups())


def test_a_missing_config_says_how_to_name_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="give --config or set OPENBID_DEPLOY_CONFIG"):
        load_config(tmp_path / "deploy.yaml", Lookups())


def test_the_example_config_renders_from_ssm(monkeypatch: pytest.MonkeyPatch) -> None:
    """infra/deploy.yaml reads its ARNs from the parameters the CloudFormation stack writes."""
    monkeypatch.setenv("OPENBID_STAGE", "staging")
    example = Path(__file__).resolve().parents[3] / "infra" / "deploy.yaml"
    read: list[str] = []

    def parameter(name: str) -> str:
        read.append(name)
        return f"arn:aws:test:::{name.rsplit('/', 1)[-1]}"

    config = load_config(example, Lookups(parameter))
    assert config.cluster == "arn:aws:test:::cluster"
    assert all(name.startswith("/openbid/staging/") for name in read)
    definition = render_task_definition(config, "1.4.2", Lookups(parameter))
    assert definition["family"] == "openbid-bidder-staging"
