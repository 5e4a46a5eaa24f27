"""The OpenRTB 2.6 object model (bid request and bid response) as msgspec structs.

Attribute names are the spec's JSON names. Conventions, chosen so that what an exchange sent
survives a decode/encode round trip unchanged:

- every optional scalar is ``T | None = None`` and every list ``list[T] | None = None``: an
  absent field stays distinct from ``0`` or ``""``, and ``omit_defaults`` leaves it out again;
- spec defaults (``at`` = 2, ``bidfloorcur`` = "USD", ``cattax`` = 1, ...) are not baked in as
  field defaults; :mod:`openbid.openrtb.defaults` applies them where a value is needed;
- enumerated fields are plain ``int`` so values from later spec revisions or exchange-specific
  ranges (500+) are accepted; :mod:`openbid.openrtb.enums` names the known values;
- ``ext`` is kept as the decoded JSON object, untouched;
- unknown fields are ignored (msgspec's default), as the spec asks of bidders.

Only ``BidRequest.id``, ``BidRequest.imp`` and ``Imp.id`` are required by the type, so that a
request without them is rejected at decode time. Other spec-required fields (e.g. ``Bid.price``)
default to ``None`` so a consumer can report what is missing rather than fail the whole message.
"""

from __future__ import annotations

from typing import Any

import msgspec

__all__ = [
    "EID",
    "UID",
    "App",
    "Audio",
    "Banner",
    "Bid",
    "BidRequest",
    "BidResponse",
    "BrandVersion",
    "Channel",
    "Content",
    "Data",
    "Deal",
    "Device",
    "Dooh",
    "DurFloors",
    "Format",
    "Geo",
    "Imp",
    "Metric",
    "Native",
    "Network",
    "OpenRTBObject",
    "Pmp",
    "Producer",
    "Publisher",
    "Qty",
    "RefSettings",
    "Refresh",
    "Regs",
    "SeatBid",
    "Segment",
    "Site",
    "Source",
    "SupplyChain",
    "SupplyChainNode",
    "User",
    "UserAgent",
    "Video",
]

Ext = dict[str, Any]


class OpenRTBObject(msgspec.Struct, kw_only=True, omit_defaults=True, gc=False):
    """Base of every OpenRTB object: keyword-only construction, absent fields left out."""


# --------------------------------------------------------------------------------------------
# Supply chain and source
# --------------------------------------------------------------------------------------------


class SupplyChainNode(OpenRTBObject, kw_only=True):
    """One entity selling or reselling the inventory (SupplyChain object spec)."""

    asi: str | None = None
    sid: str | None = None
    rid: str | None = None
    name: str | None = None
    domain: str | None = None
    hp: int | None = None
    ext: Ext | None = None


class SupplyChain(OpenRTBObject, kw_only=True):
    """All the parties that sold or resold this request, in order."""

    complete: int | None = None
    nodes: list[SupplyChainNode] | None = None
    ver: str | None = None
    ext: Ext | None = None


class Source(OpenRTBObject, kw_only=True):
    """The entity upstream of the exchange that makes the final sale decision."""

    fd: int | None = None
    tid: str | None = None
    pchain: str | None = None
    schain: SupplyChain | None = None
    ext: Ext | None = None


# --------------------------------------------------------------------------------------------
# Impression and its media objects
# --------------------------------------------------------------------------------------------


class Metric(OpenRTBObject, kw_only=True):
    """A metric about the impression (e.g. viewability) and its vendor."""

    type: str | None = None
    value: float | None = None
    vendor: str | None = None
    ext: Ext | None = None


class Format(OpenRTBObject, kw_only=True):
    """An allowed banner size, or Flex Ad ratio parameters."""

    w: int | None = None
    h: int | None = None
    wratio: int | None = None
    hratio: int | None = None
    wmin: int | None = None
    ext: Ext | None = None


class Banner(OpenRTBObject, kw_only=True):
    """A display impression, or a companion ad of a video/audio impression."""

    format: list[Format] | None = None
    w: int | None = None
    h: int | None = None
    btype: list[int] | None = None
    battr: list[int] | None = None
    pos: int | None = None
    mimes: list[str] | None = None
    topframe: int | None = None
    expdir: list[int] | None = None
    api: list[int] | None = None
    id: str | None = None
    vcm: int | None = None
    # Deprecated in favour of ``format``; still sent by some exchanges.
    wmax: int | None = None
    hmax: int | None = None
    wmin: int | None = None
    hmin: int | None = None
    ext: Ext | None = None


class DurFloors(OpenRTBObject, kw_only=True):
    """A floor price for video/audio creatives within a duration range."""

    mindur: int | None = None
    maxdur: int | None = None
    bidfloor: float | None = None
    ext: Ext | None = None


class Video(OpenRTBObject, kw_only=True):
    """A video impression (VAST), including ad pod fields added in 2.6."""

    mimes: list[str] | None = None
    minduration: int | None = None
    maxduration: int | None = None
    startdelay: int | None = None
    maxseq: int | None = None
    poddur: int | None = None
    protocols: list[int] | None = None
    w: int | None = None
    h: int | None = None
    podid: str | None = None
    podseq: int | None = None
    rqddurs: list[int] | None = None
    placement: int | None = None  # deprecated as of 2.6-202303: use ``plcmt``
    plcmt: int | None = None
    linearity: int | None = None
    skip: int | None = None
    skipmin: int | None = None
    skipafter: int | None = None
    sequence: int | None = None  # deprecated in 2.6: use ``slotinpod``
    slotinpod: int | None = None
    mincpmpersec: float | None = None
    battr: list[int] | None = None
    maxextended: int | None = None
    minbitrate: int | None = None
    maxbitrate: int | None = None
    boxingallowed: int | None = None
    playbackmethod: list[int] | None = None
    playbackend: int | None = None
    delivery: list[int] | None = None
    pos: int | None = None
    companionad: list[Banner] | None = None
    api: list[int] | None = None
    companiontype: list[int] | None = None
    poddedupe: list[int] | None = None
    durfloors: list[DurFloors] | None = None
    protocol: int | None = None  # deprecated: use ``protocols``
    ext: Ext | None = None


class Audio(OpenRTBObject, kw_only=True):
    """An audio impression (VAST/DAAST), including ad pod fields added in 2.6."""

    mimes: list[str] | None = None
    minduration: int | None = None
    maxduration: int | None = None
    poddur: int | None = None
    protocols: list[int] | None = None
    startdelay: int | None = None
    rqddurs: list[int] | None = None
    podid: str | None = None
    podseq: int | None = None
    sequence: int | None = None  # deprecated in 2.6: use ``slotinpod``
    slotinpod: int | None = None
    mincpmpersec: float | None = None
    battr: list[int] | None = None
    maxextended: int | None = None
    minbitrate: int | None = None
    maxbitrate: int | None = None
    delivery: list[int] | None = None
    companionad: list[Banner] | None = None
    api: list[int] | None = None
    companiontype: list[int] | None = None
    maxseq: int | None = None
    feed: int | None = None
    stitched: int | None = None
    nvol: int | None = None
    durfloors: list[DurFloors] | None = None
    ext: Ext | None = None


class Native(OpenRTBObject, kw_only=True):
    """A native impression; ``request`` is the Native Ads request as a JSON string."""

    request: str | None = None
    ver: str | None = None
    api: list[int] | None = None
    battr: list[int] | None = None
    ext: Ext | None = None


class Deal(OpenRTBObject, kw_only=True):
    """A private marketplace deal on the impression."""

    id: str | None = None
    bidfloor: float | None = None
    bidfloorcur: str | None = None
    at: int | None = None
    wseat: list[str] | None = None
    wadomain: list[str] | None = None
    guar: int | None = None
    mincpmpersec: float | None = None
    durfloors: list[DurFloors] | None = None
    ext: Ext | None = None


class Pmp(OpenRTBObject, kw_only=True):
    """The private marketplace container for the deals of an impression."""

    private_auction: int | None = None
    deals: list[Deal] | None = None
    ext: Ext | None = None


class Qty(OpenRTBObject, kw_only=True):
    """Impression multiplier (e.g. DOOH audience size) and its source."""

    multiplier: float | None = None
    sourcetype: int | None = None
    vendor: str | None = None
    ext: Ext | None = None


class RefSettings(OpenRTBObject, kw_only=True):
    """How an ad slot refreshes: trigger type and minimum interval in seconds."""

    reftype: int | None = None
    minint: int | None = None
    ext: Ext | None = None


class Refresh(OpenRTBObject, kw_only=True):
    """Automatic refresh of the ad slot, and how often it has refreshed."""

    refsettings: list[RefSettings] | None = None
    count: int | None = None
    ext: Ext | None = None


class Imp(OpenRTBObject, kw_only=True):
    """An impression being auctioned; ``id`` is required."""

    id: str
    metric: list[Metric] | None = None
    banner: Banner | None = None
    video: Video | None = None
    audio: Audio | None = None
    native: Native | None = None
    pmp: Pmp | None = None
    displaymanager: str | None = None
    displaymanagerver: str | None = None
    instl: int | None = None
    tagid: str | None = None
    bidfloor: float | None = None
    bidfloorcur: str | None = None
    clickbrowser: int | None = None
    secure: int | None = None
    iframebuster: list[str] | None = None
    rwdd: int | None = None
    ssai: int | None = None
    exp: int | None = None
    qty: Qty | None = None
    dt: float | None = None
    refresh: Refresh | None = None
    ext: Ext | None = None


# --------------------------------------------------------------------------------------------
# Distribution channel: site, app, DOOH, and their content
# --------------------------------------------------------------------------------------------


class Publisher(OpenRTBObject, kw_only=True):
    """The seller paid by the exchange for the inventory."""

    id: str | None = None
    name: str | None = None
    cattax: int | None = None
    cat: list[str] | None = None
    domain: str | None = None
    ext: Ext | None = None


class Producer(OpenRTBObject, kw_only=True):
    """The producer of the content, when it differs from the publisher."""

    id: str | None = None
    name: str | None = None
    cattax: int | None = None
    cat: list[str] | None = None
    domain: str | None = None
    ext: Ext | None = None


class Network(OpenRTBObject, kw_only=True):
    """The network (parent of channels) the content is on, e.g. a TV network."""

    id: str | None = None
    name: str | None = None
    domain: str | None = None
    ext: Ext | None = None


class Channel(OpenRTBObject, kw_only=True):
    """The channel the content is on, e.g. a TV channel or radio station."""

    id: str | None = None
    name: str | None = None
    domain: str | None = None
    ext: Ext | None = None


class Segment(OpenRTBObject, kw_only=True):
    """A key-value unit of data from a data provider."""

    id: str | None = None
    name: str | None = None
    value: str | None = None
    ext: Ext | None = None


class Data(OpenRTBObject, kw_only=True):
    """Data about the user or content from one data provider."""

    id: str | None = None
    name: str | None = None
    segment: list[Segment] | None = None
    ext: Ext | None = None


class Content(OpenRTBObject, kw_only=True):
    """The content in which the impression appears."""

    id: str | None = None
    episode: int | None = None
    title: str | None = None
    series: str | None = None
    season: str | None = None
    artist: str | None = None
    genre: str | None = None
    gtax: int | None = None
    genres: list[str] | None = None
    album: str | None = None
    isrc: str | None = None
    producer: Producer | None = None
    url: str | None = None
    cattax: int | None = None
    cat: list[str] | None = None
    prodq: int | None = None
    videoquality: int | None = None  # deprecated in favour of ``prodq``
    context: int | None = None
    contentrating: str | None = None
    userrating: str | None = None
    qagmediarating: int | None = None
    keywords: str | None = None
    kwarray: list[str] | None = None
    livestream: int | None = None
    sourcerelationship: int | None = None
    len: int | None = None
    language: str | None = None
    langb: str | None = None
    embeddable: int | None = None
    data: list[Data] | None = None
    network: Network | None = None
    channel: Channel | None = None
    ext: Ext | None = None


class Site(OpenRTBObject, kw_only=True):
    """A website carrying the impression."""

    id: str | None = None
    name: str | None = None
    domain: str | None = None
    cattax: int | None = None
    cat: list[str] | None = None
    sectioncat: list[str] | None = None
    pagecat: list[str] | None = None
    page: str | None = None
    ref: str | None = None
    search: str | None = None
    mobile: int | None = None
    privacypolicy: int | None = None
    publisher: Publisher | None = None
    content: Content | None = None
    keywords: str | None = None
    kwarray: list[str] | None = None
    inventorypartnerdomain: str | None = None
    ext: Ext | None = None


class App(OpenRTBObject, kw_only=True):
    """A non-browser application carrying the impression."""

    id: str | None = None
    name: str | None = None
    bundle: str | None = None
    domain: str | None = None
    storeurl: str | None = None
    cattax: int | None = None
    cat: list[str] | None = None
    sectioncat: list[str] | None = None
    pagecat: list[str] | None = None
    ver: str | None = None
    privacypolicy: int | None = None
    paid: int | None = None
    publisher: Publisher | None = None
    content: Content | None = None
    keywords: str | None = None
    kwarray: list[str] | None = None
    inventorypartnerdomain: str | None = None
    ext: Ext | None = None


class Dooh(OpenRTBObject, kw_only=True):
    """A digital out-of-home screen carrying the impression."""

    id: str | None = None
    name: str | None = None
    venuetype: list[str] | None = None
    venuetypetax: int | None = None
    publisher: Publisher | None = None
    domain: str | None = None
    keywords: str | None = None
    content: Content | None = None
    ext: Ext | None = None


# --------------------------------------------------------------------------------------------
# Device, user, regulations
# --------------------------------------------------------------------------------------------


class Geo(OpenRTBObject, kw_only=True):
    """A location: the device's current one, or the user's home base."""

    lat: float | None = None
    lon: float | None = None
    type: int | None = None
    accuracy: int | None = None
    lastfix: int | None = None
    ipservice: int | None = None
    country: str | None = None
    region: str | None = None
    regionfips104: str | None = None
    metro: str | None = None
    city: str | None = None
    zip: str | None = None
    utcoffset: int | None = None
    ext: Ext | None = None


class BrandVersion(OpenRTBObject, kw_only=True):
    """A browser or platform brand and its version components (User-Agent Client Hints)."""

    brand: str | None = None
    version: list[str] | None = None
    ext: Ext | None = None


class UserAgent(OpenRTBObject, kw_only=True):
    """Structured user agent (``device.sua``) from User-Agent Client Hints."""

    browsers: list[BrandVersion] | None = None
    platform: BrandVersion | None = None
    mobile: int | None = None
    architecture: str | None = None
    bitness: str | None = None
    model: str | None = None
    source: int | None = None
    ext: Ext | None = None


class Device(OpenRTBObject, kw_only=True):
    """The device the impression will be delivered to."""

    geo: Geo | None = None
    dnt: int | None = None
    lmt: int | None = None
    ua: str | None = None
    sua: UserAgent | None = None
    ip: str | None = None
    ipv6: str | None = None
    devicetype: int | None = None
    make: str | None = None
    model: str | None = None
    os: str | None = None
    osv: str | None = None
    hwv: str | None = None
    h: int | None = None
    w: int | None = None
    ppi: int | None = None
    pxratio: float | None = None
    js: int | None = None
    geofetch: int | None = None
    flashver: str | None = None
    language: str | None = None
    langb: str | None = None
    carrier: str | None = None
    mccmnc: str | None = None
    connectiontype: int | None = None
    ifa: str | None = None
    # Deprecated as of 2.6; still accepted.
    didsha1: str | None = None
    didmd5: str | None = None
    dpidsha1: str | None = None
    dpidmd5: str | None = None
    macsha1: str | None = None
    macmd5: str | None = None
    ext: Ext | None = None


class UID(OpenRTBObject, kw_only=True):
    """One user identifier of an extended ID source."""

    id: str | None = None
    atype: int | None = None
    ext: Ext | None = None


class EID(OpenRTBObject, kw_only=True):
    """Extended identifiers of the user from one source (``user.eids``)."""

    inserter: str | None = None
    source: str | None = None
    matcher: str | None = None
    mm: int | None = None
    uids: list[UID] | None = None
    ext: Ext | None = None


class User(OpenRTBObject, kw_only=True):
    """The human user of the device: the audience."""

    id: str | None = None
    buyeruid: str | None = None
    yob: int | None = None  # deprecated as of 2.6
    gender: str | None = None  # deprecated as of 2.6
    keywords: str | None = None
    kwarray: list[str] | None = None
    customdata: str | None = None
    geo: Geo | None = None
    data: list[Data] | None = None
    consent: str | None = None
    eids: list[EID] | None = None
    ext: Ext | None = None


class Regs(OpenRTBObject, kw_only=True):
    """Legal and industry regulations in force: COPPA, GDPR, US privacy, GPP."""

    coppa: int | None = None
    gdpr: int | None = None
    us_privacy: str | None = None
    gpp: str | None = None
    gpp_sid: list[int] | None = None
    ext: Ext | None = None


# --------------------------------------------------------------------------------------------
# Bid request
# --------------------------------------------------------------------------------------------


class BidRequest(OpenRTBObject, kw_only=True):
    """The top-level bid request; ``id`` and ``imp`` are required."""

    id: str
    imp: list[Imp]
    site: Site | None = None
    app: App | None = None
    dooh: Dooh | None = None
    device: Device | None = None
    user: User | None = None
    test: int | None = None
    at: int | None = None
    tmax: int | None = None
    wseat: list[str] | None = None
    bseat: list[str] | None = None
    allimps: int | None = None
    cur: list[str] | None = None
    wlang: list[str] | None = None
    wlangb: list[str] | None = None
    acat: list[str] | None = None
    bcat: list[str] | None = None
    cattax: int | None = None
    badv: list[str] | None = None
    bapp: list[str] | None = None
    source: Source | None = None
    regs: Regs | None = None
    ext: Ext | None = None


# --------------------------------------------------------------------------------------------
# Bid response
# --------------------------------------------------------------------------------------------


class Bid(OpenRTBObject, kw_only=True):
    """An offer to buy one impression at a price."""

    id: str | None = None
    impid: str | None = None
    price: float | None = None
    nurl: str | None = None
    burl: str | None = None
    lurl: str | None = None
    adm: str | None = None
    adid: str | None = None
    adomain: list[str] | None = None
    bundle: str | None = None
    iurl: str | None = None
    cid: str | None = None
    crid: str | None = None
    tactic: str | None = None
    cattax: int | None = None
    cat: list[str] | None = None
    attr: list[int] | None = None
    apis: list[int] | None = None
    api: int | None = None  # deprecated in favour of ``apis``
    protocol: int | None = None
    qagmediarating: int | None = None
    language: str | None = None
    langb: str | None = None
    dealid: str | None = None
    w: int | None = None
    h: int | None = None
    wratio: int | None = None
    hratio: int | None = None
    exp: int | None = None
    dur: int | None = None
    mtype: int | None = None
    slotinpod: int | None = None
    ext: Ext | None = None


class SeatBid(OpenRTBObject, kw_only=True):
    """The bids of one buyer seat."""

    bid: list[Bid] | None = None
    seat: str | None = None
    group: int | None = None
    ext: Ext | None = None


class BidResponse(OpenRTBObject, kw_only=True):
    """The top-level bid response; a no-bid may carry only ``id`` and ``nbr``."""

    id: str | None = None
    seatbid: list[SeatBid] | None = None
    bidid: str | None = None
    cur: str | None = None
    customdata: str | None = None
    nbr: int | None = None
    ext: Ext | None = None
