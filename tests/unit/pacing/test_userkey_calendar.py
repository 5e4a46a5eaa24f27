"""User keys for caps, and local days for daily budgets."""

from datetime import datetime
from zoneinfo import ZoneInfo

import msgspec

from openbid.openrtb.model import BidRequest
from openbid.pacing.calendar import Days, local_day
from openbid.pacing.userkey import user_key


def _request(**fields: object) -> BidRequest:
    return msgspec.convert({"id": "r", "imp": [], **fields}, BidRequest)


def test_user_key_prefers_user_id_then_buyeruid_then_device_ids() -> None:
    by_id = user_key(_request(user={"id": "abc", "buyeruid": "x"}))
    assert by_id is not None
    assert len(by_id) == 16
    assert by_id == user_key(_request(user={"id": "abc"}, device={"ifa": "f"}))
    assert user_key(_request(user={"buyeruid": "x"})) not in (None, by_id)
    ifa = user_key(_request(device={"ifa": "AAAA-BBBB"}))
    assert ifa == user_key(_request(device={"ifa": "aaaa-bbbb"}))
    assert user_key(_request(device={"ifa": "00000000-0000-0000-0000-000000000000"})) is None
    assert user_key(_request(device={"dpidmd5": "d41d8"})) is not None
    assert user_key(_request(user={"id": "abc"})) != user_key(_request(device={"ifa": "abc"}))
    assert user_key(_request()) is None


def test_local_days_and_their_fractions() -> None:
    oslo = ZoneInfo("Europe/Oslo")
    noon = datetime(2026, 6, 1, 12, tzinfo=oslo).timestamp()
    day = local_day(noon, oslo)
    assert day.key == "2026-06-01"
    assert day.fraction(noon) == 0.5
    spring = local_day(datetime(2026, 3, 29, 12, tzinfo=oslo).timestamp(), oslo)
    assert spring.end - spring.start == 23 * 3600  # the day the clocks go forward
    days = Days()
    assert days.today("Europe/Oslo", noon) is days.today("Europe/Oslo", noon + 60)
    assert days.today("Europe/Oslo", day.end).key == "2026-06-02"
    assert days.today("UTC", noon).key == "2026-06-01"
