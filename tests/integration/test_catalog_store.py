"""The catalog store on SQLite and PostgreSQL: round trips, all-or-nothing loads, the version
counter, pause and resume, and readable errors."""

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import pytest
import sqlalchemy as sa

from openbid.bidder.snapshot import compile_catalog
from openbid.catalog import schema
from openbid.catalog.database import create_catalog_engine, parse_catalog_url
from openbid.catalog.errors import CatalogError
from openbid.catalog.load import load_catalog, parse_catalog
from openbid.catalog.model import Budget, Catalog, Status
from openbid.catalog.store import CatalogStore, EntityKind
from openbid.catalog.store_errors import CatalogStoreError, CatalogUrlError, UnknownEntityError

DEMO = load_catalog()
CASES = Path(__file__).parents[1] / "cases"


def _case_catalogs() -> list[tuple[str, Catalog]]:
    """The catalog of every bidder case file (tests/cases), merged onto the base catalog as
    the case runner merges it: together they use every targeting dimension."""
    base = json.loads((CASES / "base-catalog.json").read_text())
    catalogs = []
    for path in sorted(CASES.glob("*/*.json")):
        merged = dict(base)
        for key, value in json.loads(path.read_text()).get("catalog", {}).items():
            merged[key] = [*merged.get(key, []), *value] if isinstance(value, list) else value
        catalogs.append((path.stem, parse_catalog(merged, str(path))))
    return catalogs


def _variant() -> Catalog:
    """The demo with another currency, flight dates in two offsets and a budget changed."""
    oslo = timezone(timedelta(hours=2))
    line_items = list(DEMO.line_items)
    line_items[0] = msgspec.structs.replace(
        line_items[0],
        start=datetime(2026, 5, 1, 8, 0, tzinfo=oslo),
        end=datetime(2026, 6, 1, tzinfo=UTC),
        budget=Budget(total=Decimal("1234.567891")),
    )
    return msgspec.structs.replace(
        DEMO,
        currency="EUR",
        currency_rates={"EUR": Decimal(1), "USD": Decimal("1.087"), "JPY": Decimal("163.25")},
        line_items=line_items,
    )


def _unvalidated(catalog: Catalog, **changes: Any) -> Catalog:
    """A catalog that type-checks but would fail ``validate`` (the store must refuse it)."""
    return msgspec.structs.replace(catalog, **changes)


def _engine(url: str) -> sa.Engine:
    """A second way into the store's database, to look at and tamper with its rows."""
    return create_catalog_engine(parse_catalog_url(url))


def _stamps(url: str, table: sa.Table) -> dict[str, tuple[datetime, datetime]]:
    engine = _engine(url)
    with engine.connect() as connection:
        query = sa.select(table.c.id, table.c.created_at, table.c.updated_at)
        stamps = {row.id: (row.created_at, row.updated_at) for row in connection.execute(query)}
    engine.dispose()
    return stamps


def test_a_new_store_holds_an_empty_catalog_at_version_0(store: CatalogStore) -> None:
    assert store.version() == 0
    assert store.load() == Catalog()


@pytest.mark.parametrize("catalog", [DEMO, _variant()], ids=["demo", "variant"])
def test_replace_then_load_and_export_give_the_catalog_back(
    store: CatalogStore, catalog: Catalog
) -> None:
    assert store.replace(catalog) == 1
    loaded = store.load()
    assert loaded == catalog
    assert store.export() == catalog
    assert [item.id for item in loaded.line_items] == [item.id for item in catalog.line_items]
    assert len(compile_catalog(loaded, "openbid").index.line_items) > 0


def test_every_case_catalog_survives_the_store(store: CatalogStore) -> None:
    cases = _case_catalogs()
    assert len(cases) > 50
    for name, catalog in cases:
        store.replace(catalog)
        assert store.load() == catalog, name


def test_every_replace_bumps_the_version(store: CatalogStore) -> None:
    assert [store.replace(DEMO), store.replace(_variant()), store.replace(DEMO)] == [1, 2, 3]
    assert store.version() == 3
    assert store.load() == DEMO


def test_concurrent_writers_and_readers_each_see_one_whole_catalog(catalog_url: str) -> None:
    variant = _variant()

    def write(catalog: Catalog) -> None:
        with CatalogStore(catalog_url) as own:
            for _ in range(3):
                own.replace(catalog)

    def read() -> list[Catalog]:
        with CatalogStore(catalog_url) as own:
            return [own.load() for _ in range(6)]

    with CatalogStore(catalog_url) as store:
        store.init()
        store.replace(DEMO)
        with ThreadPoolExecutor(3) as pool:
            writers = [pool.submit(write, DEMO), pool.submit(write, variant)]
            reader = pool.submit(read)
            for writer in writers:
                writer.result(timeout=60)
            seen = reader.result(timeout=60)
        assert store.version() == 7
    assert all(catalog in (DEMO, variant) for catalog in seen)


def test_an_invalid_catalog_changes_nothing(store: CatalogStore) -> None:
    store.replace(DEMO)
    item = msgspec.structs.replace(DEMO.line_items[0], creative_ids=["cr-nope"])
    with pytest.raises(CatalogError) as caught:
        store.replace(_unvalidated(DEMO, line_items=[item]))
    assert caught.value.problems == ["line_items[0].creative_ids[0]: unknown creative 'cr-nope'"]
    assert store.version() == 1
    assert store.load() == DEMO


@pytest.mark.parametrize("mistake", ["duplicate line item", "unknown creative"])
def test_a_database_error_mid_write_rolls_everything_back(
    store: CatalogStore, monkeypatch: pytest.MonkeyPatch, mistake: str
) -> None:
    store.replace(DEMO)
    first = DEMO.line_items[0]
    if mistake == "duplicate line item":  # the primary key refuses the last line item
        items = [*_variant().line_items, first]
    else:  # the foreign key refuses a link to a creative that is not there
        items = [msgspec.structs.replace(first, creative_ids=["cr-nope"])]
    monkeypatch.setattr("openbid.catalog.store.validate", lambda catalog: [])
    with pytest.raises(CatalogStoreError, match="could not store the catalog"):
        store.replace(_unvalidated(_variant(), line_items=items))
    assert store.version() == 1
    assert store.load() == DEMO


def test_timestamps_record_creation_and_the_last_change(
    store: CatalogStore, catalog_url: str
) -> None:
    store.replace(DEMO)
    before = _stamps(catalog_url, schema.line_items)
    changed = DEMO.line_items[1].id
    items = list(DEMO.line_items)
    items[1] = msgspec.structs.replace(items[1], name="renamed")
    store.replace(msgspec.structs.replace(DEMO, line_items=items))
    after = _stamps(catalog_url, schema.line_items)
    assert after.keys() == before.keys()
    for ident, (created, updated) in after.items():
        assert created == before[ident][0]
        assert (updated > before[ident][1]) == (ident == changed), ident


@pytest.mark.parametrize(
    ("kind", "entity_id"),
    [
        (EntityKind.LINE_ITEM, "li-kettle-audio"),
        (EntityKind.CAMPAIGN, "cmp-fjord-summer"),
        (EntityKind.ADVERTISER, "adv-nimbus"),
        (EntityKind.CREATIVE, "cr-acme-300x250"),
    ],
)
def test_pause_and_resume_bump_the_version(
    store: CatalogStore, kind: EntityKind, entity_id: str
) -> None:
    store.replace(DEMO)
    field = {"line-item": "line_items"}.get(kind.value, f"{kind.value}s")

    def status() -> Status:
        entities = getattr(store.load(), field)
        found: Status = next(entity.status for entity in entities if entity.id == entity_id)
        return found

    paused = store.set_status(entity_id, Status.PAUSED)
    assert (paused.kind, paused.changed, paused.version) == (kind, True, 2)
    assert status() is Status.PAUSED
    again = store.set_status(entity_id, Status.PAUSED)
    assert (again.changed, again.version, store.version()) == (False, 2, 2)
    resumed = store.set_status(entity_id, Status.ACTIVE, kind)
    assert (resumed.changed, resumed.version) == (True, 3)
    assert status() is Status.ACTIVE


def test_pausing_an_unknown_id_is_an_error_and_changes_nothing(store: CatalogStore) -> None:
    store.replace(DEMO)
    with pytest.raises(UnknownEntityError, match="no line item, campaign, advertiser or creative"):
        store.set_status("li-nope", Status.PAUSED)
    with pytest.raises(UnknownEntityError, match="no campaign has id 'li-kettle-audio'"):
        store.set_status("li-kettle-audio", Status.PAUSED, EntityKind.CAMPAIGN)
    assert store.version() == 1


def test_an_id_shared_by_two_kinds_needs_a_kind(store: CatalogStore) -> None:
    campaign = msgspec.structs.replace(DEMO.campaigns[0], id="shared")
    line_items = [
        msgspec.structs.replace(item, campaign_id="shared")
        if item.campaign_id == DEMO.campaigns[0].id
        else item
        for item in DEMO.line_items
    ]
    line_items[-1] = msgspec.structs.replace(line_items[-1], id="shared")
    catalog = msgspec.structs.replace(
        DEMO, campaigns=[campaign, *DEMO.campaigns[1:]], line_items=line_items
    )
    store.replace(catalog)
    with pytest.raises(UnknownEntityError, match="is both a line item and a campaign"):
        store.set_status("shared", Status.PAUSED)
    change = store.set_status("shared", Status.PAUSED, EntityKind.CAMPAIGN)
    assert change.kind is EntityKind.CAMPAIGN
    assert store.load().campaigns[0].status is Status.PAUSED


def test_load_validates_what_is_stored_and_export_does_not(
    store: CatalogStore, catalog_url: str
) -> None:
    store.replace(DEMO)
    table = schema.line_items
    row = table.c.id == DEMO.line_items[0].id
    engine = _engine(catalog_url)
    with engine.begin() as connection:
        spec = connection.execute(sa.select(table.c.spec).where(row)).scalar_one()
        spec["bid"]["cpm"] = "0"
        connection.execute(sa.update(table).where(row).values(spec=spec))
    engine.dispose()
    with pytest.raises(CatalogError, match=r"line_items\[0\]\.bid\.cpm: must be greater than 0"):
        store.load()
    assert store.export().line_items[0].bid.cpm == 0


def test_operations_before_init_say_to_run_init(catalog_url: str) -> None:
    with CatalogStore(catalog_url) as store:
        for operation in (store.version, store.load, lambda: store.replace(DEMO)):
            with pytest.raises(CatalogStoreError, match="run `openbid catalog init`"):
                operation()


def test_an_unreachable_server_is_a_clear_error() -> None:
    with (
        CatalogStore("postgresql://postgres@127.0.0.1:1/test") as store,
        pytest.raises(CatalogStoreError, match="cannot connect to the catalog database") as caught,
    ):
        store.version()
    assert "check --catalog-url (or OPENBID_CATALOG_URL)" in str(caught.value)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not a url", "not a database URL"),
        ("mysql://db/catalog", "unsupported catalog database 'mysql'"),
        ("postgresql+asyncpg://db/catalog", "unsupported catalog database"),
    ],
)
def test_a_wrong_url_is_a_clear_error(url: str, message: str) -> None:
    with pytest.raises(CatalogUrlError, match=message):
        CatalogStore(url)


@pytest.mark.parametrize("scheme", ["postgresql", "postgres", "postgresql+psycopg"])
def test_postgresql_urls_use_psycopg_3(scheme: str) -> None:
    with CatalogStore(f"{scheme}://user:secret@db.example:5433/catalog") as store:
        assert store.describe() == "postgresql+psycopg://user:***@db.example:5433/catalog"
