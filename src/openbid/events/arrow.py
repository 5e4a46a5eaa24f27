"""The Arrow schema of events, derived from the msgspec struct, and JSON lines turned into tables.

JSON lines are what the writer journals (msgspec encodes a batch in one fast call); Arrow's
JSON reader then parses them into columns in C++ with the interpreter lock released, which is
why Parquet files are made from journaled JSON rather than from Python objects.
"""

from typing import Any

import msgspec
import pyarrow as pa
import pyarrow.json as pa_json

from openbid.events.schema import TIMESTAMP, Event

_SCALARS: dict[type[msgspec.inspect.Type], pa.DataType] = {
    msgspec.inspect.IntType: pa.int64(),
    msgspec.inspect.StrType: pa.string(),
    msgspec.inspect.FloatType: pa.float64(),
    msgspec.inspect.BoolType: pa.bool_(),
    msgspec.inspect.EnumType: pa.string(),
}


def _arrow_type(info: msgspec.inspect.Type, *, on_wire: bool) -> tuple[pa.DataType, bool]:
    """The Arrow type of one field and whether it is nullable."""
    nullable = False
    if isinstance(info, msgspec.inspect.UnionType):
        members = [t for t in info.types if not isinstance(t, msgspec.inspect.NoneType)]
        if len(members) != 1:
            raise TypeError(f"unsupported union in the event schema: {info}")
        info, nullable = members[0], True
    hint: dict[str, Any] = {}
    if isinstance(info, msgspec.inspect.Metadata):
        hint, info = info.extra or {}, info.type
    arrow = _SCALARS.get(type(info))
    if arrow is None:
        raise TypeError(f"unsupported type in the event schema: {info}")
    if hint.get("arrow") == TIMESTAMP and not on_wire:
        arrow = pa.timestamp("us", tz="UTC")
    return arrow, nullable


def derive_schema(struct: type[msgspec.Struct], *, on_wire: bool = False) -> pa.Schema:
    """The Arrow schema of ``struct``: the file schema, or ``on_wire`` the one JSON is read in.

    The two differ only in timestamps: integers on the wire, ``timestamp[us, UTC]`` in files.
    """
    info = msgspec.inspect.type_info(struct)
    if not isinstance(info, msgspec.inspect.StructType):
        raise TypeError(f"{struct.__name__} is not a struct")
    fields = []
    for field in info.fields:
        arrow, nullable = _arrow_type(field.type, on_wire=on_wire)
        fields.append(pa.field(field.encode_name, arrow, nullable=nullable or not field.required))
    return pa.schema(fields, metadata={"openbid.schema": struct.__name__})


EVENT_SCHEMA = derive_schema(Event)
"""The columns of event Parquet files."""
WIRE_SCHEMA = derive_schema(Event, on_wire=True)
"""The columns of event JSON lines."""
_PARSE = pa_json.ParseOptions(explicit_schema=WIRE_SCHEMA, unexpected_field_behavior="ignore")
_READ = pa_json.ReadOptions(use_threads=False, block_size=16 << 20)


def lines_to_table(lines: bytes) -> pa.Table:
    """Event JSON lines as a table in the file schema (unknown fields dropped)."""
    # Arrow's own reader over the bytes, not a Python file object: reading through one takes
    # the interpreter lock for every block (10 ms holds on a 64 MB journal) and copies each.
    reader = pa.BufferReader(lines)
    table = pa_json.read_json(reader, read_options=_READ, parse_options=_PARSE)  # type: ignore[arg-type]
    return table.select(WIRE_SCHEMA.names).cast(EVENT_SCHEMA)
