"""The versions file of the local platform."""

from pathlib import Path

import pytest

from openbid.deploy.errors import ConfigError
from openbid.deploy.local.settings import VersionSpec, load_versions


def test_versions_read_with_catalogs_relative_to_the_file(tmp_path: Path) -> None:
    path = tmp_path / "versions.yaml"
    path.write_text(
        "v2-slow: {faults: 'latency_ms=40'}\nv2-overbid: {catalog: catalogs/overbid.yaml}\nv2: {}\n"
    )
    versions = load_versions(path)
    assert versions["v2-slow"] == VersionSpec(faults="latency_ms=40")
    assert versions["v2-overbid"].catalog == str(tmp_path / "catalogs" / "overbid.yaml")
    assert versions["v2"] == VersionSpec()
    assert load_versions(None) == {}


@pytest.mark.parametrize(
    ("text", "message"),
    [("v2: {fault: x}\n", "fault"), ("v2: [\n", "not valid YAML"), ("- v2\n", "Expected")],
)
def test_a_wrong_versions_file_is_a_config_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "versions.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_versions(path)
