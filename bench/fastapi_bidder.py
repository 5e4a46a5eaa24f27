"""Baseline 2: a bidder written the common way, FastAPI with pydantic v2 models of the request.

It validates the request into typed models and answers the same one-bid response as the echo
bidder, serialised through a pydantic response model. Run by uvicorn, one worker::

    python -m uvicorn fastapi_bidder:app --app-dir bench --port 8082 --workers 1 \\
        --loop uvloop --http httptools --no-access-log
"""

from typing import Any

from fastapi import FastAPI, Response
from pydantic import BaseModel

ADM = (
    '<a href="https://acme-outdoor.example/spring"><img src="https://cdn.acme-outdoor.example/'
    '300x250.jpg" width="300" height="250" alt="Acme spring gear"></a>'
)


class Format(BaseModel):
    """An allowed banner size."""

    w: int | None = None
    h: int | None = None


class Banner(BaseModel):
    """A display slot."""

    format: list[Format] | None = None
    w: int | None = None
    h: int | None = None
    pos: int | None = None
    battr: list[int] | None = None
    api: list[int] | None = None
    topframe: int | None = None


class Video(BaseModel):
    """A video slot."""

    mimes: list[str] | None = None
    minduration: int | None = None
    maxduration: int | None = None
    protocols: list[int] | None = None
    w: int | None = None
    h: int | None = None
    plcmt: int | None = None
    battr: list[int] | None = None


class Native(BaseModel):
    """A native slot."""

    request: str | None = None
    ver: str | None = None
    battr: list[int] | None = None


class Deal(BaseModel):
    """A private-marketplace deal."""

    id: str
    bidfloor: float | None = None
    bidfloorcur: str | None = None
    at: int | None = None
    wseat: list[str] | None = None


class Pmp(BaseModel):
    """The deals an impression is offered under."""

    private_auction: int | None = None
    deals: list[Deal] | None = None


class Imp(BaseModel):
    """One impression on offer."""

    id: str
    banner: Banner | None = None
    video: Video | None = None
    native: Native | None = None
    pmp: Pmp | None = None
    tagid: str | None = None
    secure: int | None = None
    bidfloor: float | None = None
    bidfloorcur: str | None = None
    ext: dict[str, Any] | None = None


class Publisher(BaseModel):
    """Who sells the inventory."""

    id: str | None = None
    name: str | None = None
    domain: str | None = None


class Site(BaseModel):
    """The web site the impression is on."""

    id: str | None = None
    name: str | None = None
    domain: str | None = None
    cat: list[str] | None = None
    page: str | None = None
    ref: str | None = None
    keywords: str | None = None
    mobile: int | None = None
    privacypolicy: int | None = None
    publisher: Publisher | None = None


class App(BaseModel):
    """The app the impression is in."""

    id: str | None = None
    name: str | None = None
    bundle: str | None = None
    domain: str | None = None
    storeurl: str | None = None
    cat: list[str] | None = None
    ver: str | None = None
    publisher: Publisher | None = None


class Geo(BaseModel):
    """Where the device is."""

    lat: float | None = None
    lon: float | None = None
    country: str | None = None
    region: str | None = None
    city: str | None = None
    zip: str | None = None
    type: int | None = None
    utcoffset: int | None = None


class Device(BaseModel):
    """The device the ad is shown on."""

    ua: str | None = None
    ip: str | None = None
    ipv6: str | None = None
    geo: Geo | None = None
    dnt: int | None = None
    devicetype: int | None = None
    make: str | None = None
    model: str | None = None
    os: str | None = None
    osv: str | None = None
    js: int | None = None
    language: str | None = None
    connectiontype: int | None = None
    ifa: str | None = None
    w: int | None = None
    h: int | None = None


class Uid(BaseModel):
    """One identifier from an identity source."""

    id: str
    atype: int | None = None


class Eid(BaseModel):
    """Extended identifiers from one source."""

    source: str
    uids: list[Uid]


class User(BaseModel):
    """The user, as the exchange knows them."""

    id: str | None = None
    buyeruid: str | None = None
    yob: int | None = None
    gender: str | None = None
    eids: list[Eid] | None = None


class SupplyChainNode(BaseModel):
    """One seller in the supply chain."""

    asi: str
    sid: str
    hp: int | None = None


class SupplyChain(BaseModel):
    """The sellers between the publisher and the bidder."""

    complete: int
    ver: str
    nodes: list[SupplyChainNode]


class Source(BaseModel):
    """The transaction's origin."""

    tid: str | None = None
    schain: SupplyChain | None = None


class Regs(BaseModel):
    """Regulations that apply."""

    coppa: int | None = None
    gdpr: int | None = None
    us_privacy: str | None = None
    gpp: str | None = None
    gpp_sid: list[int] | None = None


class BidRequest(BaseModel):
    """An OpenRTB 2.6 bid request."""

    id: str
    imp: list[Imp]
    site: Site | None = None
    app: App | None = None
    device: Device | None = None
    user: User | None = None
    source: Source | None = None
    regs: Regs | None = None
    at: int | None = None
    tmax: int | None = None
    cur: list[str] | None = None
    bcat: list[str] | None = None
    badv: list[str] | None = None


class Bid(BaseModel):
    """One bid."""

    id: str
    impid: str
    price: float
    adm: str
    adomain: list[str]
    cid: str
    crid: str
    w: int
    h: int
    mtype: int


class SeatBid(BaseModel):
    """The seat's bids."""

    bid: list[Bid]
    seat: str


class BidResponse(BaseModel):
    """The OpenRTB response: one seat, one bid."""

    id: str
    seatbid: list[SeatBid]
    cur: str


app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)


@app.post("/openrtb2/bid", response_model=BidResponse)
async def bid(request: BidRequest) -> BidResponse | Response:
    """Answer one fixed bid for the first impression (422 for an invalid request)."""
    if not request.imp:
        return Response(status_code=204)
    first = Bid(
        id="1",
        impid=request.imp[0].id,
        price=1.8,
        adm=ADM,
        adomain=["acme-outdoor.example"],
        cid="cmp-acme-spring",
        crid="cr-acme-300x250",
        w=300,
        h=250,
        mtype=1,
    )
    return BidResponse(id=request.id, seatbid=[SeatBid(bid=[first], seat="fastapi")], cur="USD")


@app.get("/readyz")
async def readyz() -> dict[str, str]:
    """Ready as soon as uvicorn serves."""
    return {"status": "ready"}
