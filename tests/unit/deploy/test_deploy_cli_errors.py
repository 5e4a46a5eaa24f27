"""The deploy CLI turns every AWS or config problem into a message and exit code 1 or 2."""

from pathlib import Path

import pytest
from botocore.exceptions import (
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
)
from deploy_fixtures import config_file
from typer.testing import CliRunner

from openbid.cli import app
from openbid.deploy.aws import aws_errors
from openbid.deploy.ecs import EcsPlatform
from openbid.deploy.errors import ConfigError, DeployError, PermissionDeniedError

runner = CliRunner()


def access_denied(*_: object) -> None:
    """What botocore raises when the role may not call DescribeServices."""
    raise ClientError(
        {"Error": {"Code": "AccessDeniedException", "Message": "not authorized"}},
        "DescribeServices",
    )


def test_a_stray_access_denied_is_a_message_and_exit_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(EcsPlatform, "service", access_denied)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    result = runner.invoke(app, ["deploy", "status", "--config", str(config_file(tmp_path))])
    assert result.exit_code == 1
    assert "error: AWS refused DescribeServices (AccessDeniedException): not authorized" in (
        result.output
    )
    assert "Traceback" not in result.output


def test_an_invalid_task_definition_is_exit_2_before_any_call(tmp_path: Path) -> None:
    template = tmp_path / "t.yaml.j2"
    template.write_text(
        "family: x\ncontainerDefinitions:\n  - name: bidder\n    imag: '{{ image }}'\n"
    )
    path = config_file(tmp_path, task_definition=str(template))
    result = runner.invoke(app, ["deploy", "render", "--image", "1.0.0", "--config", str(path)])
    assert result.exit_code == 2
    assert 'unknown field "imag" in containerDefinitions[0] (did you mean "image"?)' in (
        result.output
    )


def test_render_prints_json_on_stdout(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["deploy", "render", "--image", "1.0.0", "--config", str(config_file(tmp_path))]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("{\n")
    assert '"family": "openbid-bidder-test"' in result.stdout


@pytest.mark.parametrize(
    ("raised", "kind", "text"),
    [
        (NoCredentialsError(), PermissionDeniedError, "no AWS credentials found"),
        (NoRegionError(), ConfigError, "no AWS region"),
        (EndpointConnectionError(endpoint_url="http://127.0.0.1:9"), DeployError, "cannot reach"),
        (
            ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow"}}, "RunTask"),
            DeployError,
            "AWS RunTask failed (ThrottlingException): slow",
        ),
    ],
)
def test_botocore_errors_are_translated(raised: Exception, kind: type, text: str) -> None:
    with pytest.raises(kind, match=text.replace("(", r"\(").replace(")", r"\)")), aws_errors():
        raise raised
