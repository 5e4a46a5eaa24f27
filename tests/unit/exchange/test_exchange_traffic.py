"""Request generation: seeded and reproducible, valid OpenRTB, realistic mixes; the profile."""

import random
from collections import Counter
from pathlib import Path

import pytest

from openbid.exchange.profile import Profile, ProfileError, load_profile
from openbid.exchange.sampling import Choice, Zipf
from openbid.exchange.traffic import CORPUS_LABEL, Traffic, load_corpus
from openbid.openrtb.codec import decode_request

FIXTURES = Path(__file__).parents[2] / "fixtures"
PREBID_REQUESTS = FIXTURES / "prebid-server" / "prebid-server-bidder-requests.jsonl"


@pytest.fixture
def profile() -> Profile:
    """The built-in traffic profile."""
    return load_profile()


def _bodies(
    profile: Profile, seed: int, count: int, corpus: list[bytes] | None = None
) -> list[bytes]:
    traffic = Traffic(profile, seed, corpus)
    return [traffic.next().body for _ in range(count)]


def test_the_same_seed_gives_the_same_requests(profile: Profile) -> None:
    assert _bodies(profile, 42, 500) == _bodies(profile, 42, 500)


def test_another_seed_gives_other_requests(profile: Profile) -> None:
    first, other = _bodies(profile, 1, 200), _bodies(profile, 2, 200)
    assert sum(a == b for a, b in zip(first, other, strict=True)) < 5


def test_replayed_corpus_traffic_is_reproducible_too(profile: Profile) -> None:
    corpus = load_corpus([PREBID_REQUESTS])
    assert len(corpus.bodies) > 1500
    assert corpus.skipped < 100  # the corpus holds a few deliberately invalid requests
    assert _bodies(profile, 9, 300, corpus.bodies) == _bodies(profile, 9, 300, corpus.bodies)


def test_requests_are_valid_openrtb_with_unique_ids_and_a_tmax(profile: Profile) -> None:
    traffic = Traffic(profile, 3)
    ids = set()
    for _ in range(2000):
        generated = traffic.next()
        request = decode_request(generated.body)
        assert request == generated.request
        assert request.tmax in profile.tmax_ms
        ids.add(request.id)
        for imp in request.imp:
            assert imp.banner or imp.video or imp.audio or imp.native
    assert len(ids) == 2000


def test_the_mix_follows_the_profile(profile: Profile) -> None:
    traffic = Traffic(profile, 5)
    requests = [traffic.next().request for _ in range(5000)]
    media = Counter(
        next(m for m in ("banner", "video", "audio", "native") if getattr(r.imp[0], m))
        for r in requests
    )
    assert 0.6 < media["banner"] / 5000 < 0.85
    assert min(media["video"], media["audio"], media["native"]) > 0
    assert 0.4 < sum(r.site is not None for r in requests) / 5000 < 0.8
    auction_types = Counter(r.at for r in requests)
    assert auction_types[1] > auction_types[2] > 0
    with_deals = [r for r in requests if r.imp[0].pmp]
    assert 0.03 < len(with_deals) / 5000 < 0.2
    floors = Counter(r.imp[0].bidfloorcur for r in requests)
    assert floors["USD"] > floors["EUR"] > 0
    countries = Counter(r.device.geo.country for r in requests if r.device and r.device.geo)
    assert countries.most_common(1)[0][0] == "USA"


def test_users_come_back(profile: Profile) -> None:
    traffic = Traffic(profile, 11)
    users = Counter(
        r.user.id for r in (traffic.next().request for _ in range(5000)) if r.user and r.user.id
    )
    assert 0.85 < sum(users.values()) / 5000 < 0.97  # some requests are anonymous
    assert users.most_common(1)[0][1] >= 20  # a frequent visitor: frequency caps will bite
    assert len(users) > 1500  # and a long tail of others


def test_corpus_share_and_variation(profile: Profile) -> None:
    corpus = load_corpus([PREBID_REQUESTS]).bodies
    traffic = Traffic(profile, 13, corpus)
    generated = [traffic.next() for _ in range(2000)]
    replayed = [g for g in generated if g.label == CORPUS_LABEL]
    assert len(replayed) / 2000 == pytest.approx(profile.corpus.share, abs=0.04)
    assert all(g.request.id.startswith("s13-") for g in replayed)
    assert all(g.request.tmax for g in replayed)


def test_choice_and_zipf_draw_in_proportion() -> None:
    rng = random.Random(1)
    choice = Choice({"a": 3.0, "b": 1.0})
    counts = Counter(choice.draw(rng) for _ in range(20_000))
    assert counts["a"] / counts["b"] == pytest.approx(3, rel=0.1)
    zipf = Zipf(1000, 1.0)
    ranks = Counter(zipf.draw(rng) for _ in range(20_000))
    assert ranks[1] / ranks[2] == pytest.approx(2, rel=0.15)
    assert min(ranks) >= 1
    assert max(ranks) <= 1000
    with pytest.raises(ValueError, match="positive sum"):
        Choice({"a": 0.0})


def test_a_profile_file_replaces_top_level_keys(tmp_path: Path) -> None:
    path = tmp_path / "profile.yaml"
    path.write_text("countries: {NOR: 1}\ncorpus: {files: [corpus.jsonl], share: 0.5}\n")
    profile = load_profile(path)
    assert profile.countries == {"NOR": 1}
    assert profile.placements == load_profile().placements
    assert profile.corpus.files == [str(tmp_path / "corpus.jsonl")]
    traffic = Traffic(profile, 1)
    assert {traffic.next().request.device.geo.country for _ in range(50)} == {"NOR"}  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("countries: [USA]", "Expected `object`, got `array` - at `$.countries`"),
        ("placments: []", "unknown field `placments`"),
        ("placements: []", "`placements` is empty"),
        (
            "placements: [{name: x, weight: 1, media: banner, inventory: {site: 1}, "
            "devicetypes: {2: 1}}]",
            "a banner placement needs `sizes`",
        ),
        ("floor_currencies: {XXX: 1}", "floor currency XXX has no `currency_rates` entry"),
        ("- just a list", "expected a mapping"),
    ],
)
def test_a_bad_profile_is_named_precisely(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ProfileError, match=r"bad\.yaml") as error:
        load_profile(path)
    assert message in str(error.value)
