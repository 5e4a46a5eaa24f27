"""`openbid catalog init|load|export|show|pause|resume` against SQLite and PostgreSQL: each verb
at work, and every user mistake a readable message with exit code 1 or 2, never a traceback."""

import json
from importlib import resources
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from openbid.catalog.load import DEMO_CATALOG, load_catalog
from openbid.catalog.store import CatalogStore
from openbid.cli import app

DEMO = load_catalog()
DEMO_FILE = Path(str(resources.files("openbid.catalog") / DEMO_CATALOG))
runner = CliRunner()


def _run(url: str, *args: str) -> Result:
    """Run ``openbid catalog ARGS`` with the catalog URL in the environment, as CI would."""
    result = runner.invoke(
        app, ["catalog", *args], env={"OPENBID_CATALOG_URL": url, "COLUMNS": "200"}
    )
    assert "Traceback" not in result.output
    return result


@pytest.fixture
def loaded(catalog_url: str) -> str:
    """A catalog database holding the demo catalog at version 1."""
    assert _run(catalog_url, "init").exit_code == 0
    assert _run(catalog_url, "load", str(DEMO_FILE)).exit_code == 0
    return catalog_url


def _version(url: str) -> int:
    with CatalogStore(url) as store:
        return store.version()


def test_init_creates_then_reports_up_to_date(catalog_url: str) -> None:
    first = _run(catalog_url, "init")
    assert first.exit_code == 0, first.output
    assert "initialised at revision 0002" in first.stdout
    again = _run(catalog_url, "init")
    assert "up to date at revision 0002" in again.stdout


def test_load_prints_the_new_version(catalog_url: str) -> None:
    _run(catalog_url, "init")
    result = _run(catalog_url, "load", str(DEMO_FILE))
    assert result.exit_code == 0, result.output
    assert "20 line items" in result.stdout
    assert "catalog version 1" in result.stdout
    assert "catalog version 2" in _run(catalog_url, "load", str(DEMO_FILE)).stdout


def test_a_bad_file_names_the_field_and_changes_nothing(loaded: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    text = DEMO_FILE.read_text().replace("creative_ids: [cr-acme-300x250", "creative_ids: [cr-x")
    bad.write_text(text)
    result = _run(loaded, "load", str(bad))
    assert result.exit_code == 2
    assert "creative_ids[0]: unknown creative 'cr-x'" in result.stderr
    assert "nothing was loaded" in result.stderr
    assert _version(loaded) == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read"),
        ("advertisers: [", "not valid YAML or JSON"),
        ("line_items: 3", "line_items: expected `array`, got `int`"),
    ],
)
def test_unreadable_and_malformed_files_are_exit_2(
    loaded: str, tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "catalog.yaml"
    if content is not None:
        path.write_text(content)
    result = _run(loaded, "load", str(path))
    assert (result.exit_code, _version(loaded)) == (2, 1)
    assert message in result.stderr


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_export_then_load_gives_the_same_catalog(loaded: str, tmp_path: Path, fmt: str) -> None:
    exported = _run(loaded, "export", "--format", fmt)
    assert exported.exit_code == 0, exported.output
    if fmt == "json":
        assert json.loads(exported.stdout)["currency"] == "USD"
    path = tmp_path / f"exported.{fmt}"
    path.write_text(exported.stdout)
    assert load_catalog(path) == DEMO
    assert _run(loaded, "load", str(path)).exit_code == 0
    with CatalogStore(loaded) as store:
        assert store.load() == DEMO


def test_export_to_a_file_takes_the_format_from_its_suffix(loaded: str, tmp_path: Path) -> None:
    path = tmp_path / "out.json"
    result = _run(loaded, "export", "-o", str(path))
    assert result.exit_code == 0, result.output
    assert json.loads(path.read_text())["line_items"][0]["id"] == DEMO.line_items[0].id
    unwritable = _run(loaded, "export", "-o", str(tmp_path / "missing" / "out.yaml"))
    assert unwritable.exit_code == 1
    assert "cannot write" in unwritable.stderr


def test_show_counts_and_line_items(loaded: str) -> None:
    result = _run(loaded, "show")
    assert result.exit_code == 0, result.output
    assert "version 1" in result.stdout
    assert "line items" in result.stdout
    assert "li-kettle-pmp-news" in result.stdout
    assert "3.75" in result.stdout


def test_show_one_line_item_in_full(loaded: str) -> None:
    result = _run(loaded, "show", "--line-item", "li-kettle-pmp-news")
    assert result.exit_code == 0, result.output
    for text in ("targeting", "cr-kettle-300x250", "300x250", "AB-Agency1-0001", "3.75 USD CPM"):
        assert text in result.stdout
    missing = _run(loaded, "show", "--line-item", "li-nope")
    assert missing.exit_code == 2
    assert "no line item has id 'li-nope'" in missing.stderr


def test_pause_and_resume(loaded: str) -> None:
    paused = _run(loaded, "pause", "cmp-acme-spring")
    assert paused.exit_code == 0, paused.output
    assert "campaign cmp-acme-spring is now paused; catalog version 2" in paused.stdout
    assert "active (campaign paused)" in _run(loaded, "show").stdout
    assert (
        "was already paused; catalog version 2" in _run(loaded, "pause", "cmp-acme-spring").stdout
    )
    resumed = _run(loaded, "resume", "--kind", "campaign", "cmp-acme-spring")
    assert "is now active; catalog version 3" in resumed.stdout


def test_pausing_an_unknown_id_is_exit_2(loaded: str) -> None:
    result = _run(loaded, "pause", "li-nope")
    assert result.exit_code == 2
    assert "no line item, campaign, advertiser or creative has id 'li-nope'" in result.stderr
    assert _run(loaded, "resume", "--kind", "galaxy", "x").exit_code == 2
    assert _version(loaded) == 1


@pytest.mark.parametrize("verb", [["show"], ["export"], ["pause", "x"], ["load", str(DEMO_FILE)]])
def test_an_uninitialised_database_says_to_run_init(catalog_url: str, verb: list[str]) -> None:
    result = _run(catalog_url, *verb)
    assert result.exit_code == 1
    assert "run `openbid catalog init`" in result.stderr


@pytest.mark.parametrize(
    ("url", "code", "message"),
    [
        ("nonsense", 2, "not a database URL"),
        ("mysql://localhost/catalog", 2, "unsupported catalog database 'mysql'"),
        ("postgresql://postgres@127.0.0.1:1/test", 1, "cannot connect to the catalog database"),
    ],
)
def test_a_bad_url_is_a_readable_error(url: str, code: int, message: str) -> None:
    for verb in (["init"], ["show"], ["load", str(DEMO_FILE)]):
        result = _run(url, *verb)
        assert result.exit_code == code, result.output
        assert message in result.stderr


def test_the_url_option_wins_over_the_environment(sqlite_url: str, tmp_path: Path) -> None:
    other = f"sqlite:///{tmp_path / 'other.db'}"
    result = runner.invoke(
        app, ["catalog", "init", "--catalog-url", other], env={"OPENBID_CATALOG_URL": sqlite_url}
    )
    assert result.exit_code == 0
    assert (tmp_path / "other.db").exists()
    assert not Path(sqlite_url.removeprefix("sqlite:///")).exists()


def test_the_default_is_a_sqlite_file_in_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OPENBID_CATALOG_URL", raising=False)
    result = runner.invoke(app, ["catalog", "init"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "openbid-catalog.db").is_file()
