"""Synthetic bid requests drawn from a traffic profile: placements, devices, floors, deals."""

import random
from collections.abc import Sequence

from openbid.exchange.profile import DealOffer, Linear, Placement, Profile, Weights
from openbid.exchange.sampling import Choice, Zipf, lognormal
from openbid.openrtb.model import (
    App,
    Audio,
    Banner,
    BidRequest,
    Deal,
    Device,
    Format,
    Geo,
    Imp,
    Native,
    Pmp,
    Publisher,
    Site,
    User,
    Video,
)

NATIVE_REQUEST = (
    '{"ver":"1.2","context":1,"plcmttype":1,"assets":['
    '{"id":1,"required":1,"title":{"len":90}},'
    '{"id":2,"required":1,"img":{"type":3,"wmin":300,"hmin":157}},'
    '{"id":3,"img":{"type":1,"w":80,"h":80}},'
    '{"id":4,"data":{"type":1}}]}'
)
USER_AGENTS = {
    "Windows": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/130.0",
    "macOS": "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Safari/605.1",
    "Linux": "Mozilla/5.0 (X11; Linux x86_64; rv:131.0) Gecko/20100101 Firefox/131.0",
    "Android": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Mobile Chrome/130.0",
    "iOS": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile",
    "iPadOS": "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile",
}
DEFAULT_USER_AGENT = "Mozilla/5.0 (compatible; connected device)"
WHOLE_UNIT_CURRENCIES = frozenset({"JPY", "KRW", "HUF"})


def _lists(weights: Weights) -> Choice[tuple[str, ...]]:
    """A choice among space-separated lists ("" is the empty list)."""
    return Choice({tuple(key.split()): weight for key, weight in weights.items()})


def _sizes(sizes: Sequence[str]) -> list[Format]:
    formats = []
    for size in sizes:
        w, _, h = size.partition("x")
        formats.append(Format(w=int(w), h=int(h)))
    return formats


class _Slot:
    """A placement compiled for drawing."""

    def __init__(self, placement: Placement, profile: Profile) -> None:
        self.placement = placement
        self.inventory = Choice(placement.inventory)
        self.devicetypes = Choice(placement.devicetypes)
        self.sites = Choice(placement.sites or profile.sites)
        self.apps = Choice(placement.apps or profile.apps)
        self.formats = _sizes(placement.sizes)
        offers = [d for d in profile.deals.offers if placement.media in d.media]
        self.deals = Choice({i: d.weight for i, d in enumerate(offers)}) if offers else None
        self.offers = offers


def _linear_video(spec: Linear) -> Video:
    return Video(
        mimes=spec.mimes,
        protocols=spec.protocols,
        minduration=spec.minduration,
        maxduration=spec.maxduration,
        w=spec.w,
        h=spec.h,
        plcmt=spec.plcmt,
    )


def _linear_audio(spec: Linear) -> Audio:
    return Audio(
        mimes=spec.mimes,
        protocols=spec.protocols,
        minduration=spec.minduration,
        maxduration=spec.maxduration,
    )


class SyntheticRequests:
    """Builds bid requests from a profile with a caller-supplied seeded random generator."""

    def __init__(self, profile: Profile) -> None:
        self._profile = profile
        self._slots = Choice({_Slot(p, profile): p.weight for p in profile.placements})
        self._imps = Choice(profile.imps_per_request)
        self._countries = Choice(profile.countries)
        self._os = {devicetype: Choice(w) for devicetype, w in profile.os.items()}
        self._floor_currencies = Choice(profile.floor_currencies)
        self._currencies = _lists(profile.currencies)
        self._auction_types = Choice(profile.auction_types)
        self._tmax = Choice(profile.tmax_ms)
        self._bcat = _lists(profile.blocked_categories)
        self._badv = _lists(profile.blocked_advertisers)
        self._users = Zipf(profile.users.pool, profile.users.zipf)
        self._rates = profile.rates()

    def user_id(self, rng: random.Random) -> str | None:
        """A visitor: a returning one more often the more popular, or None when anonymous."""
        if rng.random() < self._profile.users.anonymous:
            return None
        return f"u{self._users.draw(rng):07d}"

    def tmax(self, rng: random.Random) -> int:
        """How long the exchange waits, in milliseconds."""
        return self._tmax.draw(rng)

    def build(self, request_id: str, rng: random.Random) -> tuple[BidRequest, str]:
        """One request and the name of the placement it sells."""
        slot = self._slots.draw(rng)
        placement = slot.placement
        devicetype = slot.devicetypes.draw(rng)
        pmp = self._pmp(slot, rng)
        imps = [self._imp(slot, str(i), pmp, rng) for i in range(1, self._imps.draw(rng) + 1)]
        user_id = self.user_id(rng)
        in_app = slot.inventory.draw(rng) == "app"
        site = app = None
        if in_app:
            bundle = slot.apps.draw(rng)
            app = App(bundle=bundle, publisher=Publisher(id=f"pub-{bundle}"))
        else:
            domain = slot.sites.draw(rng)
            site = Site(
                domain=domain, page=f"https://{domain}/", publisher=Publisher(id=f"pub-{domain}")
            )
        os_choice = self._os.get(devicetype)
        os = os_choice.draw(rng) if os_choice else None
        device = Device(
            devicetype=devicetype,
            os=os,
            ua=USER_AGENTS.get(os or "", DEFAULT_USER_AGENT),
            ip=f"203.0.113.{rng.randrange(1, 255)}",
            geo=Geo(country=self._countries.draw(rng)),
            ifa=self._ifa(user_id) if in_app else None,
        )
        request = BidRequest(
            id=request_id,
            imp=imps,
            site=site,
            app=app,
            device=device,
            user=User(id=user_id) if user_id else None,
            at=self._auction_types.draw(rng),
            tmax=self._tmax.draw(rng),
            cur=list(self._currencies.draw(rng)) or None,
            bcat=list(self._bcat.draw(rng)) or None,
            badv=list(self._badv.draw(rng)) or None,
        )
        return request, placement.name

    @staticmethod
    def _ifa(user_id: str | None) -> str | None:
        """A device advertising id tied to the user (so app users repeat too)."""
        if user_id is None:
            return None
        digits = f"{int(user_id[1:]):032x}"
        return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"

    def _pmp(self, slot: _Slot, rng: random.Random) -> Pmp | None:
        deals = self._profile.deals
        if slot.deals is None or rng.random() >= deals.share:
            return None
        offer: DealOffer = slot.offers[slot.deals.draw(rng)]
        deal = Deal(
            id=offer.id,
            bidfloor=offer.bidfloor or None,
            bidfloorcur="USD" if offer.bidfloor else None,
            at=offer.at,
            wseat=offer.wseat,
        )
        return Pmp(private_auction=int(rng.random() < deals.private), deals=[deal])

    def _imp(self, slot: _Slot, imp_id: str, pmp: Pmp | None, rng: random.Random) -> Imp:
        placement = slot.placement
        imp = Imp(id=imp_id, instl=placement.instl, pmp=pmp)
        if placement.media == "banner":
            imp.banner = Banner(format=slot.formats)
        elif placement.media == "native":
            imp.native = Native(request=NATIVE_REQUEST, ver="1.2")
        elif placement.video is not None:
            imp.video = _linear_video(placement.video)
        elif placement.audio is not None:
            imp.audio = _linear_audio(placement.audio)
        floor = placement.floor
        if rng.random() < floor.share:
            currency = self._floor_currencies.draw(rng)
            amount = lognormal(rng, floor.median, floor.sigma) * self._rates[currency]
            digits = 0 if currency in WHOLE_UNIT_CURRENCIES else 2
            imp.bidfloor = max(round(amount, digits), 10.0**-digits)
            imp.bidfloorcur = currency
        return imp
