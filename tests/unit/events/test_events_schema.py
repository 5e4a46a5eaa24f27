"""The event schema: the Arrow schema derived from the struct, and round trips through JSON
lines, Arrow and Parquet."""

import io

import msgspec
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from event_streams import stream

from openbid.events.arrow import EVENT_SCHEMA, WIRE_SCHEMA, derive_schema, lines_to_table
from openbid.events.schema import SCHEMA_VERSION, Event
from openbid.events.sink import encode_lines


def test_arrow_schema_has_every_struct_field_in_order() -> None:
    fields = msgspec.structs.fields(Event)
    assert EVENT_SCHEMA.names == [field.encode_name for field in fields]
    for field in fields:
        assert EVENT_SCHEMA.field(field.encode_name).nullable == (not field.required)


def test_timestamps_are_integers_on_the_wire_and_timestamps_in_files() -> None:
    assert WIRE_SCHEMA.field("ts").type == pa.int64()
    assert EVENT_SCHEMA.field("ts").type == pa.timestamp("us", tz="UTC")
    assert EVENT_SCHEMA.field("bid_price_micros").type == pa.int64()
    assert EVENT_SCHEMA.field("kind").type == pa.string()


def test_unsupported_field_types_are_refused() -> None:
    class Nested(msgspec.Struct):
        tags: list[str]

    with pytest.raises(TypeError, match="unsupported"):
        derive_schema(Nested)


def _back(table: pa.Table) -> list[Event]:
    rows = table.cast(WIRE_SCHEMA).to_pylist()
    return [msgspec.convert({k: v for k, v in row.items() if v is not None}, Event) for row in rows]


def test_events_survive_json_lines_arrow_and_parquet() -> None:
    events, _ = stream(300)
    table = lines_to_table(encode_lines(events))
    assert table.schema.equals(EVENT_SCHEMA)
    assert _back(table) == events
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd")
    buffer.seek(0)
    assert _back(pq.read_table(buffer)) == events


def test_every_json_line_carries_the_schema_version() -> None:
    events, _ = stream(20)
    for line in encode_lines(events).splitlines():
        assert msgspec.json.decode(line)["schema_version"] == SCHEMA_VERSION


def test_unknown_fields_of_a_newer_writer_are_ignored() -> None:
    line = b'{"schema_version":2,"event_id":"e1","kind":"bid","ts":1,"future":"x"}\n'
    table = lines_to_table(line)
    assert table.num_rows == 1
    assert "future" not in table.schema.names
