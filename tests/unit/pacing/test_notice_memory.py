"""The in-process dedupe memory: it answers exactly as a plain dict of keys and times would, never
forgets a key early, never takes one key for another, and holds each key in a few bytes."""

import tracemalloc
from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st

from openbid.bidder.response import BidIds
from openbid.pacing import notice_memory
from openbid.pacing.notice_memory import NoticeMemory

SECONDS = 10.0
START = 1_000_000.0

_NATIVE = st.builds(
    lambda kind, prefix, counter: f"{kind}:{prefix}{counter:x}",
    st.sampled_from(["win", "bill", "imp"]),
    st.sampled_from(["a1b2c3d4", "00000000"]),
    st.integers(0, 40),
)
# spellings int(x, 16) reads as a number of the usual form, and keys of no usual form at all
_ODD = st.sampled_from(
    ["bill:a1b2c3d40a", "bill:a1b2c3d4A", "bill:a1b2c3d40xa", "bill:a1b2c3d4_a", "bill:a1b2c3d4-1",
     "bill:a1b2c3d4 1", "bill:a1b2c3d4\u0663", "bill:a1b2c3d41000000000000", "bill:a1b2c3d4",
     "bill:a1b2c3d4ffffffffffff", "bill:1", "bill:", "x", "", ":a1b2c3d4a", "bill:a1b2:3d4a"]
)  # fmt: skip
_KEYS = st.one_of(_NATIVE, _ODD)
# steps that land exactly on the end of a key's time, just before it and just after it
_STEPS = st.sampled_from([0.0, 0.25, SECONDS / 2, SECONDS - 0.25, SECONDS, SECONDS + 0.25])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_STEPS, st.lists(_KEYS, max_size=6)), max_size=40))
def test_answers_as_a_plain_dict_of_times(steps: list[tuple[float, list[str]]]) -> None:
    with mock.patch.object(notice_memory, "LOG_CHUNK", 3):  # chunks fill and drain often
        memory = NoticeMemory(SECONDS)
        model: dict[str, float] = {}  # key -> until
        now = START
        for step, keys in steps:
            now += step
            memory.expire(now)
            for key in keys:
                fresh = model.get(key, 0.0) <= now
                if fresh:
                    model[key] = now + SECONDS
                assert memory.add(key, now) == fresh, key
            assert len(memory) == sum(until > now for until in model.values())


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from([-SECONDS, -0.25, 0.0, 0.25, SECONDS]), st.lists(_KEYS)),
        max_size=40,
    )
)
def test_a_clock_stepping_back_never_lets_a_key_through_before_its_time(
    steps: list[tuple[float, list[str]]],
) -> None:
    memory = NoticeMemory(SECONDS)
    taken: dict[str, float] = {}  # key -> until, when it was last taken
    now = latest = START
    for step, keys in steps:
        now += step
        latest = max(latest, now)
        memory.expire(now)
        for key in keys:
            if memory.add(key, now):
                assert taken.get(key, 0.0) <= latest, "taken again before the clock reached its end"
                taken[key] = now + SECONDS
            else:
                assert key in taken, "only a key once taken is refused"


def test_every_spelling_is_a_key_of_its_own() -> None:
    memory = NoticeMemory(SECONDS)
    keys = ["bill:a1b2c3d4a", "bill:a1b2c3d40a", "bill:a1b2c3d4A", "bill:a1b2c3d40xa",
            "bill:a1b2c3d4_a", "bill:a1b2c3d4\u0663", "bill:a1b2c3d43", "bill:a1b2c3d5a",
            "imp:a1b2c3d4a", "bill:a1b2c3d4ffffffffffff", "bill:a1b2c3d41000000000000"]  # fmt: skip
    assert [memory.add(key, START) for key in keys] == [True] * len(keys)
    assert [memory.add(key, START) for key in keys] == [False] * len(keys)
    assert len(memory) == len(keys)


def test_keys_of_bid_ids_take_a_few_bytes_each() -> None:
    ids, memory = BidIds(), NoticeMemory(3900.0)
    count = 100_000
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for n in range(count):
            memory.add(f"{('win', 'bill', 'imp')[n % 3]}:{ids.next()}", START + n / 4000)
        used = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(memory) == count
    assert used / count < 40, f"{used / count:.1f} bytes per key"  # a str in a dict takes ~150


@settings(max_examples=300, deadline=None)
@given(
    st.integers(1, 8),
    st.lists(st.tuples(_STEPS, st.lists(st.one_of(_NATIVE, _ODD), max_size=6)), max_size=40),
)
def test_with_a_limit_it_answers_as_a_dict_that_drops_its_oldest_keys_of_each_kind(
    limit: int, steps: list[tuple[float, list[str]]]
) -> None:
    with mock.patch.object(notice_memory, "LOG_CHUNK", 3):
        memory = NoticeMemory(SECONDS, limit=limit)
        native: dict[str, float] = {}  # key -> until, oldest first; likewise for odd keys
        odd: dict[str, float] = {}
        now = START
        for step, keys in steps:
            now += step
            memory.expire(now)
            for model in (native, odd):
                for key in [k for k, until in model.items() if until <= now]:
                    del model[key]
            for key in keys:
                model = native if memory._code(key) is not None else odd
                fresh = key not in model
                if fresh:
                    model[key] = now + SECONDS
                    if len(model) > limit:
                        del model[next(iter(model))]
                assert memory.first(key, now) == fresh, key
            assert len(memory) == len(native) + len(odd)


def test_a_limit_bounds_the_memory_of_a_long_stream_of_keys() -> None:
    ids, memory = BidIds(), NoticeMemory(3900.0, limit=1000)
    for n in range(20_000):
        memory.first(f"win:{ids.next()}", START + n / 4000)
    assert len(memory) == 1000
    assert len(memory._log) <= 2, "drained chunks of the log are let go of"
