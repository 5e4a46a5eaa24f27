"""Impression and click trackers in creatives' markup: placed when compiled, filled per bid.

At compile time each creative's markup gets slot tokens where a bid's signed impression URL and
click URL go: an HTML banner a hidden pixel and its links pointing at the click redirect, VAST an
``<Impression>`` and a ``<ClickTracking>``, native 1.2 an impression event tracker and a link
click tracker. The markup (or the JSON of the bid carrying it) is then split at the tokens, so a
bid costs one join of precompiled bytes with its two URLs.
"""

import re

import msgspec

from openbid.catalog.model import MediaType

IMP_HTML = "__openbid_imp_html__"
CLICK_HTML = "__openbid_click_html__"
IMP_RAW = "__openbid_imp__"
CLICK_RAW = "__openbid_click__"
_SLOT_CODES = {
    token.encode(): code for code, token in enumerate((IMP_HTML, CLICK_HTML, IMP_RAW, CLICK_RAW))
}
_SLOT_PATTERN = re.compile(b"(" + b"|".join(map(re.escape, _SLOT_CODES)) + b")")

_ANCHOR = re.compile(r"""(<a\b[^>]*?\bhref\s*=\s*)(["'])(.*?)\2""", re.IGNORECASE | re.DOTALL)
_PIXEL = f'<img src="{IMP_HTML}" width="1" height="1" alt="" style="display:none">'
_EMPTY_IMPRESSION = re.compile(r"<Impression\s*/>")
_VAST_IMPRESSION = f"<Impression><![CDATA[{IMP_RAW}]]></Impression>"
_VAST_CLICK = f"<ClickTracking><![CDATA[{CLICK_RAW}]]></ClickTracking>"
EVENT_IMPRESSION = 1
METHOD_IMAGE = 1
OLD_NATIVE_VERSIONS = ("1", "1.0", "1.1")  # before event trackers: impression trackers


def _html(markup: str, landing_url: str | None) -> str:
    if landing_url:
        markup, anchors = _ANCHOR.subn(rf"\g<1>\g<2>{CLICK_HTML}\g<2>", markup)
        if not anchors:
            markup = f'<a href="{CLICK_HTML}" target="_blank">{markup}</a>'
    return markup + _PIXEL


def _insert_before(markup: str, marker: str, text: str) -> str | None:
    at = markup.find(marker)
    return None if at < 0 else markup[:at] + text + markup[at:]


def _insert_after(markup: str, marker: str, text: str) -> str | None:
    at = markup.find(marker)
    return None if at < 0 else markup[: at + len(marker)] + text + markup[at + len(marker) :]


def _vast(markup: str) -> str:
    with_impression, replaced = _EMPTY_IMPRESSION.subn(_VAST_IMPRESSION, markup, count=1)
    if not replaced:
        with_impression = (
            _insert_before(markup, "<Creatives>", _VAST_IMPRESSION)
            or _insert_after(markup, "<InLine>", _VAST_IMPRESSION)
            or markup
        )
    clicks = f"<VideoClicks>{_VAST_CLICK}</VideoClicks>"
    return (
        _insert_after(with_impression, "<VideoClicks>", _VAST_CLICK)
        or _insert_before(with_impression, "<MediaFiles>", clicks)
        or with_impression
    )


def _native(markup: str, landing_url: str | None) -> str:
    try:
        document = msgspec.json.decode(markup)
    except msgspec.DecodeError:
        return markup
    if not isinstance(document, dict):
        return markup
    native = document.get("native", document)
    if not isinstance(native, dict):
        return markup
    if str(native.get("ver", "1.2")) not in OLD_NATIVE_VERSIONS:
        tracker = {"event": EVENT_IMPRESSION, "method": METHOD_IMAGE, "url": IMP_RAW}
        native["eventtrackers"] = [*(native.get("eventtrackers") or []), tracker]
    else:
        native["imptrackers"] = [*(native.get("imptrackers") or []), IMP_RAW]
    link = native.get("link")
    if not isinstance(link, dict) and landing_url:
        link = native["link"] = {"url": landing_url}
    if isinstance(link, dict):
        link["clicktrackers"] = [*(link.get("clicktrackers") or []), CLICK_RAW]
    return msgspec.json.encode(document).decode()


def tracked_markup(markup: str, media: MediaType, landing_url: str | None) -> str:
    """``markup`` with slot tokens where a bid's impression and click URLs go."""
    if not markup:
        return markup
    if media is MediaType.BANNER:
        return _html(markup, landing_url)
    if media is MediaType.NATIVE:
        return _native(markup, landing_url)
    return _vast(markup)


class SlotTemplate:
    """Bytes with gaps for a bid's impression and click URLs."""

    __slots__ = ("parts", "slots")

    def __init__(self, data: bytes) -> None:
        pieces = _SLOT_PATTERN.split(data)
        self.parts: tuple[bytes, ...] = tuple(pieces[0::2])
        self.slots: tuple[int, ...] = tuple(_SLOT_CODES[token] for token in pieces[1::2])

    def fill(self, impression: str, click: str) -> bytes:
        """The bytes with the URLs in their slots (escaped for HTML where the slot is HTML)."""
        parts = self.parts
        if not self.slots:
            return parts[0]
        values = (
            impression.replace("&", "&amp;").encode(),
            click.replace("&", "&amp;").encode(),
            impression.encode(),
            click.encode(),
        )
        out = [parts[0]]
        for slot, part in zip(self.slots, parts[1:], strict=True):
            out.append(values[slot])
            out.append(part)
        return b"".join(out)
