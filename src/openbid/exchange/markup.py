"""The URLs an ad's markup asks a browser or player to fetch when it renders and when it is clicked.

What is looked for, by kind of markup:

- VAST (video, audio): ``<Impression>`` on render; ``<ClickTracking>`` on a click (the
  ``<ClickThrough>`` landing page is where the user goes, not a tracker).
- Native 1.2 JSON (``{"native": {...}}`` or the bare object): ``imptrackers`` and image
  ``eventtrackers`` for impressions (event 1, method 1) on render; ``link.clicktrackers`` (of
  the ad and of each asset) on a click.
- HTML (banners): every ``<img src>`` on render, as a browser loads them; the ``<a href>`` on a
  click.
"""

import json
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from typing import Any, NamedTuple

EVENT_IMPRESSION = 1
METHOD_IMAGE = 1


class Trackers(NamedTuple):
    """URLs to fetch on render (impressions) and on a click."""

    impressions: list[str]
    clicks: list[str]


class _Html(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.trackers = Trackers([], [])

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "img" and values.get("src"):
            self.trackers.impressions.append(str(values["src"]))
        elif tag == "a" and values.get("href"):
            self.trackers.clicks.append(str(values["href"]))


def _vast(markup: str) -> Trackers:
    try:
        root = ET.fromstring(markup)
    except ET.ParseError:
        return Trackers([], [])

    def texts(tag: str) -> list[str]:
        return [e.text.strip() for e in root.iter(tag) if e.text and e.text.strip()]

    return Trackers(texts("Impression"), texts("ClickTracking"))


def _clicktrackers(link: Any) -> list[str]:
    if not isinstance(link, dict):
        return []
    return [str(url) for url in link.get("clicktrackers") or () if url]


def _native(markup: str) -> Trackers:
    try:
        document = json.loads(markup)
    except ValueError:
        return Trackers([], [])
    if not isinstance(document, dict):
        return Trackers([], [])
    native = document.get("native", document)
    if not isinstance(native, dict):
        return Trackers([], [])
    impressions = [str(url) for url in native.get("imptrackers") or () if url]
    for tracker in native.get("eventtrackers") or ():
        if (
            isinstance(tracker, dict)
            and tracker.get("event") == EVENT_IMPRESSION
            and tracker.get("method") == METHOD_IMAGE
            and tracker.get("url")
        ):
            impressions.append(str(tracker["url"]))
    clicks = _clicktrackers(native.get("link"))
    for asset in native.get("assets") or ():
        if isinstance(asset, dict):
            clicks += _clicktrackers(asset.get("link"))
    return Trackers(impressions, clicks)


def find_trackers(markup: str) -> Trackers:
    """The impression and click URLs in ``markup`` (VAST, native JSON or HTML), in order."""
    text = markup.lstrip()
    if text.startswith("{"):
        return _native(text)
    if text.startswith("<?xml") or text[:5].upper() == "<VAST":
        return _vast(text)
    parser = _Html()
    parser.feed(text)
    parser.close()
    return parser.trackers
