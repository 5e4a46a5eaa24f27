"""The traffic profile: what the simulated exchange sells, to whom, and how its auctions clear.

A profile is plain typed data (msgspec structs) read from YAML or JSON. The built-in default,
``default-profile.yaml`` beside this module, documents every field; a profile file replaces
whole top-level keys of it, so a small file can change only the countries or the deals.
"""

from pathlib import Path
from typing import Any, Literal

import msgspec
import yaml

DEFAULT_PROFILE = Path(__file__).with_name("default-profile.yaml")

Media = Literal["banner", "video", "audio", "native"]
Weights = dict[str, float]
"""A value and its relative weight; for list-valued fields, a space-separated list ("" = none)."""


class Spec(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Base of every profile struct: unknown keys are errors, so typos do not pass silently."""


class Floor(Spec):
    """How often an impression has a floor and how high (log-normal, USD CPM)."""

    share: float = 0.8
    median: float = 0.5
    sigma: float = 0.5


class Linear(Spec):
    """The video or audio object of a placement."""

    mimes: list[str]
    protocols: list[int]
    minduration: int
    maxduration: int
    w: int | None = None
    h: int | None = None
    plcmt: int | None = None


class Placement(Spec):
    """One kind of ad slot: media, sizes, inventory, devices, floors."""

    name: str
    weight: float
    media: Media
    inventory: dict[Literal["site", "app"], float]
    devicetypes: dict[int, float]
    sizes: list[str] = []
    instl: int | None = None
    video: Linear | None = None
    audio: Linear | None = None
    sites: Weights | None = None
    apps: Weights | None = None
    floor: Floor = msgspec.field(default_factory=Floor)


class Users(Spec):
    """Who visits: a pool of user ids with Zipf popularity, and the share without an id."""

    pool: int = 100_000
    zipf: float = 0.7
    anonymous: float = 0.08


class DealOffer(Spec):
    """A private-marketplace deal the exchange offers on placements of the given media."""

    id: str
    weight: float = 1.0
    bidfloor: float = 0.0
    at: int | None = None
    wseat: list[str] | None = None
    media: list[Media] = msgspec.field(default_factory=lambda: ["banner"])


class Deals(Spec):
    """How often impressions carry deals, how many of those are private auctions, which deals."""

    share: float = 0.0
    private: float = 0.0
    offers: list[DealOffer] = []


class Competition(Spec):
    """The competing bids of one segment: how many bidders, and their log-normal USD CPM."""

    bidders: tuple[int, int]
    median: float
    sigma: float


class Ctr(Spec):
    """Click-through rates by media, overridden per creative (``crid``) or campaign (``cid``)."""

    media: dict[Media, float] = {}
    creatives: dict[str, float] = {}
    campaigns: dict[str, float] = {}


class Corpus(Spec):
    """Recorded requests to mix into the synthetic traffic, and their share of it."""

    files: list[str] = []
    share: float = 0.25


class Profile(Spec):
    """Everything that shapes the traffic, the auctions and what follows a win."""

    placements: list[Placement]
    imps_per_request: dict[int, float]
    sites: Weights
    apps: Weights
    countries: Weights
    os: dict[int, Weights]
    floor_currencies: Weights
    currencies: Weights
    auction_types: dict[int, float]
    tmax_ms: dict[int, float]
    blocked_categories: Weights
    blocked_advertisers: Weights
    users: Users
    deals: Deals
    competition: dict[str, Competition]
    increment: float
    render_rate: float
    ctr: Ctr
    currency_rates: dict[str, float]
    corpus: Corpus

    def rates(self) -> dict[str, float]:
        """Units of each currency per 1 USD, USD included."""
        return {"USD": 1.0, **self.currency_rates}


class ProfileError(ValueError):
    """A profile that cannot be read; the message names the file and the bad field."""


def _read(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as error:
        raise ProfileError(f"{path}: {error}") from None
    if not isinstance(data, dict):
        raise ProfileError(f"{path}: expected a mapping of profile keys")
    return data


def load_profile(path: Path | None = None) -> Profile:
    """The default profile, with the top-level keys of ``path`` (YAML or JSON) replacing its own.

    Corpus file paths in ``path`` are resolved against the file's folder.
    """
    data = _read(DEFAULT_PROFILE)
    source = DEFAULT_PROFILE
    if path is not None:
        overrides = _read(path)
        corpus = overrides.get("corpus")
        if isinstance(corpus, dict) and isinstance(corpus.get("files"), list):
            corpus["files"] = [str(path.parent / str(f)) for f in corpus["files"]]
        data.update(overrides)
        source = path
    try:
        profile = msgspec.convert(data, Profile, strict=False)
    except msgspec.ValidationError as error:
        raise ProfileError(f"{source}: {error}") from None
    _check(profile, source)
    return profile


def _check(profile: Profile, source: Path) -> None:
    """The rules the types cannot say."""
    if not profile.placements:
        raise ProfileError(f"{source}: `placements` is empty")
    for index, placement in enumerate(profile.placements):
        where = f"{source}: placements[{index}] ({placement.name})"
        if placement.media == "banner" and not placement.sizes:
            raise ProfileError(f"{where}: a banner placement needs `sizes`")
        for size in placement.sizes:
            w, _, h = size.partition("x")
            if not (w.isdigit() and h.isdigit()):
                raise ProfileError(f"{where}: size {size!r} is not WxH")
        if placement.media in ("video", "audio") and getattr(placement, placement.media) is None:
            raise ProfileError(f"{where}: a {placement.media} placement needs `{placement.media}`")
    for name in ("banner", "native", "video", "audio"):
        if name not in profile.competition:
            raise ProfileError(f"{source}: `competition` has no `{name}` segment")
    rates = profile.rates()
    for currency in profile.floor_currencies:
        if currency not in rates:
            raise ProfileError(f"{source}: floor currency {currency} has no `currency_rates` entry")
