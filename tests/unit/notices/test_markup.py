"""Tracker slots in markup: where each kind of creative gets its impression and click URLs."""

import json
import xml.etree.ElementTree as ET

from openbid.catalog.model import MediaType
from openbid.exchange.markup import find_trackers
from openbid.notices.markup import SlotTemplate, tracked_markup

IMP = "https://bid.example/notice/imp?a=1&b=2&s=ff"
CLICK = "https://bid.example/notice/click?a=1&b=2&s=ee"


def _fill(markup: str, media: MediaType, landing: str | None) -> str:
    return SlotTemplate(tracked_markup(markup, media, landing).encode()).fill(IMP, CLICK).decode()


def test_html_gets_a_pixel_and_its_links_point_at_the_click_redirect() -> None:
    html = '<a href="https://acme.example/x"><img src="https://cdn.example/a.jpg"></a>'
    filled = _fill(html, MediaType.BANNER, "https://acme.example/x")
    assert "acme.example/x" not in filled
    trackers = find_trackers(filled)  # as the exchange simulator (and a browser) reads it
    assert trackers.impressions == ["https://cdn.example/a.jpg", IMP]
    assert trackers.clicks == [CLICK]
    assert "&amp;" in filled  # URLs are escaped inside HTML attributes


def test_html_without_a_link_is_wrapped_in_one() -> None:
    filled = _fill('<img src="https://cdn.example/a.jpg">', MediaType.BANNER, "https://l.example")
    assert find_trackers(filled).clicks == [CLICK]
    assert find_trackers(_fill("<b>x</b>", MediaType.BANNER, None)).clicks == []


def test_vast_empty_impression_is_filled_and_click_tracking_added() -> None:
    vast = (
        '<VAST version="3.0"><Ad><InLine><AdSystem>x</AdSystem><Impression/><Creatives><Creative>'
        "<Linear><Duration>00:00:15</Duration><MediaFiles><MediaFile>m.mp4</MediaFile>"
        "</MediaFiles></Linear></Creative></Creatives></InLine></Ad></VAST>"
    )
    filled = _fill(vast, MediaType.VIDEO, "https://l.example")
    ET.fromstring(filled)  # still well-formed XML
    trackers = find_trackers(filled)
    assert trackers.impressions == [IMP]
    assert trackers.clicks == [CLICK]


def test_vast_with_video_clicks_and_no_impression() -> None:
    vast = (
        "<VAST><Ad><InLine><Creatives><Creative><Linear><VideoClicks><ClickThrough>"
        "https://l.example</ClickThrough></VideoClicks></Linear></Creative></Creatives>"
        "</InLine></Ad></VAST>"
    )
    trackers = find_trackers(_fill(vast, MediaType.AUDIO, None))
    assert trackers.impressions == [IMP]
    assert trackers.clicks == [CLICK]


def test_native_gets_an_event_tracker_and_a_click_tracker() -> None:
    native = '{"native":{"ver":"1.2","assets":[],"link":{"url":"https://l.example"}}}'
    filled = _fill(native, MediaType.NATIVE, "https://l.example")
    document = json.loads(filled)["native"]
    assert document["eventtrackers"] == [{"event": 1, "method": 1, "url": IMP}]
    assert document["link"] == {"url": "https://l.example", "clicktrackers": [CLICK]}
    old = json.loads(_fill('{"ver":"1.1","link":{"url":"u"}}', MediaType.NATIVE, None))
    assert old["imptrackers"] == [IMP]


def test_markup_that_cannot_be_read_is_left_alone() -> None:
    assert tracked_markup("not json", MediaType.NATIVE, None) == "not json"
    assert tracked_markup("", MediaType.BANNER, None) == ""
    template = SlotTemplate(b"plain")
    assert template.fill(IMP, CLICK) == b"plain"
