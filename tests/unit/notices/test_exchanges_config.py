"""The exchanges file: per-exchange billing notice and price encryption, secrets by reference."""

from pathlib import Path

import pytest

from openbid.notices.exchanges import BillOn, ExchangeConfigError, load_exchanges, parse_exchanges

KEYS = {
    "ADX_E": "skU7Ax_NL5pPAFyKdkfZjZz2-VhIN8bjj1rVFOaJ_5o=",
    "ADX_I": "arO23ykdNqUQ5LEoQ0FVmPkBd7xB5CO89PDZlSjpFxo=",
}


def test_a_file_with_env_and_file_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADX_E", KEYS["ADX_E"])
    (tmp_path / "integrity").write_text(KEYS["ADX_I"] + "\n")
    path = tmp_path / "exchanges.yaml"
    path.write_text(
        "adx:\n"
        "  bill_on: nurl\n"
        "  price_encryption:\n"
        "    encryption_key: {env: ADX_E}\n"
        f"    integrity_key: {{file: {tmp_path / 'integrity'}}}\n"
        "rubicon: {}\n"
    )
    options = load_exchanges(path)
    assert set(options) == {"adx", "rubicon"}
    assert options["adx"].bill_on is BillOn.NURL
    assert options["adx"].crypto is not None
    assert options["adx"].crypto.decrypt("YWJjMTIzZGVmNDU2Z2hpN7fhCuPemCAWJRxOgA") == 1900
    assert options["rubicon"].bill_on is BillOn.BURL
    assert options["rubicon"].crypto is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"adx": {"bill_on": "win"}}, "bill_on"),
        ({"adx": {"typo": 1}}, "typo"),
        ({"ADX": {}}, "lower-case"),
        ({"adx": {"price_encryption": {"encryption_key": {"env": "NOPE_E"},
                                       "integrity_key": {"env": "NOPE_I"}}}}, "NOPE_E"),
        ({"adx": {"price_encryption": {"encryption_key": {"env": "A", "file": "b"},
                                       "integrity_key": {"env": "A"}}}}, "exactly one"),
        ([1, 2], "Expected `object`"),
    ],
)  # fmt: skip
def test_bad_files_name_the_problem(data: object, message: str) -> None:
    with pytest.raises(ExchangeConfigError, match=message):
        parse_exchanges(data, "exchanges.yaml")


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(ExchangeConfigError, match="cannot read"):
        load_exchanges(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("adx: [")
    with pytest.raises(ExchangeConfigError, match="not YAML"):
        load_exchanges(bad)
    assert parse_exchanges(None, "empty.yaml") == {}
