"""Hypothesis strategies built from the OpenRTB model itself (via ``msgspec.inspect``).

``model_json(BidRequest)`` draws JSON values shaped like the model: every struct field present or
absent, values of the declared types (with their constraints' edges), unknown keys and enum values
mixed in. ``hostile_json`` replaces subtrees with values of the wrong type, deep nesting and long
arrays, as a careless or hostile exchange would send.
"""

from typing import Any

import msgspec.inspect as mi
from hypothesis import strategies as st

JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
ANY_JSON = st.recursive(
    JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
MAX_DEPTH = 6  # model nesting followed before leaves are left out


def _int(info: mi.IntType) -> st.SearchStrategy[int]:
    low = info.ge if info.ge is not None else (info.gt + 1 if info.gt is not None else -(2**31))
    high = info.le if info.le is not None else (info.lt - 1 if info.lt is not None else 2**31)
    return st.integers(min_value=low, max_value=high)


def _struct(info: mi.StructType, depth: int) -> st.SearchStrategy[dict[str, Any]]:
    required = {f.encode_name: _value(f.type, depth + 1) for f in info.fields if f.required}
    optional = {
        f.encode_name: _value(f.type, depth + 1)
        for f in info.fields
        if not f.required and depth < MAX_DEPTH
    }
    unknown = st.dictionaries(st.sampled_from(["zz_unknown", "ext2", "x"]), ANY_JSON, max_size=1)
    return st.builds(
        lambda fixed, extra: {**extra, **fixed},
        st.fixed_dictionaries(required, optional=optional),
        unknown,
    )


def _value(info: mi.Type, depth: int) -> st.SearchStrategy[Any]:
    """JSON values the model accepts for ``info`` (and a few it must tolerate)."""
    match info:
        case mi.StructType():
            return st.deferred(lambda: _struct(info, depth))
        case mi.UnionType():
            return st.one_of([_value(t, depth) for t in info.types])
        case mi.ListType() | mi.SetType() | mi.FrozenSetType() | mi.VarTupleType():
            items = _value(info.item_type, depth + 1)
            return st.lists(
                items, min_size=info.min_length or 0, max_size=min(info.max_length or 3, 3)
            )
        case mi.DictType():
            return st.dictionaries(
                st.text(max_size=8), _value(info.value_type, depth + 1), max_size=3
            )
        case mi.EnumType():
            return st.sampled_from([m.value for m in info.cls])
        case mi.IntType():
            return _int(info)
        case mi.FloatType():
            return st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12)
        case mi.StrType():
            return st.text(min_size=info.min_length or 0, max_size=min(info.max_length or 24, 24))
        case mi.BoolType():
            return st.booleans()
        case mi.NoneType():
            return st.none()
        case mi.LiteralType():
            return st.sampled_from(info.values)
        case _:
            return ANY_JSON


def model_json(model: type) -> st.SearchStrategy[Any]:
    """JSON values shaped like ``model`` (a msgspec Struct)."""
    return _value(mi.type_info(model), 0)


def _nested(depth: int) -> Any:
    value: Any = 1
    for level in range(depth):
        value = [value] if level % 2 else {"a": value}
    return value


HOSTILE_LEAVES = st.one_of(
    ANY_JSON,
    st.integers(min_value=100, max_value=400).map(_nested),  # deeper: see the e2e suite
    st.integers(min_value=1000, max_value=20000).map(lambda n: list(range(n))),
    st.text(min_size=1000, max_size=5000),
)


def _corrupt(value: Any, replacement: Any, path: list[int]) -> Any:
    """``value`` with the subtree that ``path`` picks replaced by ``replacement``."""
    if not path or not isinstance(value, dict | list) or not value:
        return replacement
    keys = list(value) if isinstance(value, dict) else list(range(len(value)))
    key = keys[path[0] % len(keys)]
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[key] = _corrupt(value[key], replacement, path[1:])
    return copy


def hostile_json(model: type) -> st.SearchStrategy[Any]:
    """Model-shaped JSON with one subtree swapped for a wrong-typed, deep or huge value."""
    return st.builds(
        _corrupt,
        model_json(model),
        HOSTILE_LEAVES,
        st.lists(st.integers(min_value=0, max_value=50), max_size=6),
    )
