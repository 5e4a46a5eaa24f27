"""What the notice endpoints do: check a notice, read its price, and hand its effect to pacing.

Each notice is verified first (403 when the signature does not check out, 410 when it is older
than the notices the bidder still accepts, 400 when malformed); a bad notice is counted and
never spends. The billing notice spends (or the win notice, for an exchange that bills on it),
at the clearing price and never more than the bid; loss notices release what the bid held;
impressions count toward frequency caps. A notice seen twice (on this instance or, through the
ledger, on any) has its effect once; the exchange gets the same answer both times.
"""

import time
from collections import Counter
from collections.abc import Callable, Mapping

from openbid.bidder.snapshot import CatalogSnapshot
from openbid.notices.exchanges import DEFAULT_OPTIONS, BillOn, ExchangeOptions
from openbid.notices.markup import SlotTemplate
from openbid.notices.price import clear_price_micros
from openbid.notices.query import BadNotice, SignedNotice, read_notice
from openbid.notices.signing import SigningKeys
from openbid.notices.urls import BILLING, CLICK, IMPRESSION, LOSS, WIN, tracker_url
from openbid.pacing.ledger import CapImpression, Charge, NoticeEffect
from openbid.pacing.notice_memory import NoticeMemory
from openbid.pacing.rules import impression_cost
from openbid.pacing.state import PacingState

PIXEL = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)  # a transparent 1x1 GIF
CLOCK_SKEW = 300.0  # seconds a notice may seem to come from the future
RECENT_LIMIT = 200_000
"""Notices this instance remembers to answer an exchange's retry without the ledger (the ledger,
shared by every instance, is the authority): about 5 MB, filled in a minute at 4,000 a second."""


class NoticeAnswer:
    """What to answer a notice: a status, a body, and a redirect target for clicks."""

    __slots__ = ("body", "content_type", "location", "status")

    def __init__(
        self,
        status: int,
        body: bytes = b"",
        content_type: bytes = b"text/plain",
        location: str | None = None,
    ) -> None:
        self.status = status
        self.body = body
        self.content_type = content_type
        self.location = location


NoticeObserverFn = Callable[[str, str, SignedNotice | None, int | None], None]
"""Told of each notice once decided: its kind, outcome, the notice when it verified, and its
clearing price in micros (win and billing notices)."""

_NO_CONTENT = NoticeAnswer(204)
_PIXEL = NoticeAnswer(200, PIXEL, b"image/gif")
_ERRORS = {status: NoticeAnswer(status) for status in (400, 403, 410)}


class NoticeReceiver:
    """Verifies notices and turns them into effects on budgets and caps."""

    def __init__(
        self,
        keys: SigningKeys,
        exchanges: Mapping[str, ExchangeOptions],
        snapshot: Callable[[], CatalogSnapshot | None],
        notice_base: Callable[[], str],
        pacing: PacingState | None,
        submit: Callable[[NoticeEffect], None] | None,
        max_age: float,
        wall: Callable[[], float] = time.time,
        observer: NoticeObserverFn | None = None,
    ) -> None:
        self._keys = keys
        self._exchanges = exchanges
        self._snapshot = snapshot
        self._base = notice_base
        self._pacing = pacing
        self._submit = submit
        self._max_age = max_age
        self._wall = wall
        self._observer = observer  # told (kind, outcome, notice or None, price) of each notice
        self._recent = NoticeMemory(max_age, limit=RECENT_LIMIT)
        self.counts: Counter[tuple[str, str]] = Counter()  # (kind, outcome) -> notices

    def receive(self, kind: str, query: str) -> NoticeAnswer:
        """Handle one ``kind`` notice whose URL query is ``query``."""
        notice: SignedNotice | None = None
        try:
            notice = read_notice(self._keys, kind, query)
            now = self._wall()
            if notice.issued_at < now - self._max_age:
                raise BadNotice(410, "expired")
            if notice.issued_at > now + CLOCK_SKEW:
                raise BadNotice(400, "issued in the future")
            options = self._exchanges.get(notice.exchange, DEFAULT_OPTIONS)
            price = self._price(kind, notice, options)
        except BadNotice as error:
            self.counts[kind, error.reason] += 1
            if self._observer is not None:
                self._observer(kind, error.reason, notice, None)
            return _ERRORS[error.status]
        snapshot = self._snapshot()
        if self._recent.first(f"{kind}:{notice.bid_id}", now):
            outcome = self._effect(kind, notice, options, price, snapshot)
        else:
            outcome = "duplicate"
        self.counts[kind, outcome] += 1
        if self._observer is not None:
            self._observer(kind, outcome, notice, price)
        return self._answer(kind, notice, snapshot)

    def _price(self, kind: str, notice: SignedNotice, options: ExchangeOptions) -> int | None:
        """The clearing price in micros of the bid's currency (None where not needed)."""
        if kind not in (WIN, BILLING):
            return None
        crypto = options.crypto
        price = crypto.decrypt(notice.price) if crypto else clear_price_micros(notice.price)
        if price is None:
            raise BadNotice(400, "bad price")
        return price

    def _effect(
        self,
        kind: str,
        notice: SignedNotice,
        options: ExchangeOptions,
        price: int | None,
        snapshot: CatalogSnapshot | None,
    ) -> str:
        """Hand the notice's effect on budgets and caps to pacing; the outcome to count."""
        pacing, submit = self._pacing, self._submit
        if pacing is None or submit is None or snapshot is None:
            return "ok"
        rules = pacing.by_id.get(notice.line_item_id)
        bills = kind == (WIN if options.bill_on is BillOn.NURL else BILLING)
        charge = impression = None
        if bills or kind == LOSS:
            currencies = snapshot.currencies
            if not currencies.knows(notice.currency):
                return "unknown currency"
            base = currencies.base

            def cost(micros: int) -> int:
                converted = currencies.convert(micros, notice.currency, base, round_up=True)
                return impression_cost(converted)

            exposure = cost(notice.bid_price_micros)
            spend = cost(min(price or 0, notice.bid_price_micros)) if bills else 0
            if rules is None or not rules.budgeted:
                exposure = 0  # nothing was held for it
            if spend or exposure:
                zone = rules.timezone if rules is not None else "UTC"
                charge = Charge(
                    line_item=notice.line_item_id,
                    campaign=rules.campaign_id if rules is not None else "",
                    day=pacing.days.today(zone, pacing.clock.calendar()).key,
                    spend=spend,
                    bid_second=notice.issued_at,
                    exposure=exposure,
                )
        if rules is not None and rules.capped and notice.user:
            scopes = [scope for scope in rules.scopes if scope.caps]
            if kind == IMPRESSION:
                impression = CapImpression(
                    notice.user,
                    tuple((scope.key, max(r.seconds for r in scope.caps)) for scope in scopes),
                    notice.bid_id,
                )
            elif kind == LOSS:
                pacing.caps.lost(notice.user, [scope.key for scope in scopes], notice.bid_id)
        if charge is not None or impression is not None:
            submit(NoticeEffect(f"{kind}:{notice.bid_id}", charge, impression))
        return "billed" if charge is not None and charge.spend else "ok"

    def _answer(
        self, kind: str, notice: SignedNotice, snapshot: CatalogSnapshot | None
    ) -> NoticeAnswer:
        if kind == IMPRESSION:
            return _PIXEL
        if kind == CLICK:
            landing = snapshot.landing_urls.get(notice.creative_id) if snapshot else None
            return NoticeAnswer(302, location=landing) if landing else _NO_CONTENT
        if kind == WIN and snapshot is not None:
            template = snapshot.win_markup.get(notice.creative_id)
            if template is not None:
                return NoticeAnswer(200, self._markup(template, notice), b"text/html")
        return _NO_CONTENT

    def _markup(self, template: SlotTemplate, notice: SignedNotice) -> bytes:
        """A serve-on-win creative's markup with this bid's impression and click URLs."""
        if not template.slots:
            return template.fill("", "")
        digest = self._keys.digest(notice.signed.encode(), notice.key_id) or b""
        base = self._base()
        return template.fill(
            tracker_url(base, IMPRESSION, notice.signed, digest),
            tracker_url(base, CLICK, notice.signed, digest),
        )
