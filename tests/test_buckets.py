"""`ccstats.buckets`: offsets of a zone over a range of local dates, and `hhmm`."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccstats.buckets import (
    DAY,
    MARGIN_DAYS,
    QUARTER,
    LocalRange,
    OffsetSegment,
    day_number,
    day_of,
    hhmm,
    is_known_zone,
    local_range,
)


def qh(text: str) -> int:
    """The UTC quarter-hour of an ISO instant."""
    return int(datetime.fromisoformat(text).timestamp()) // QUARTER


def first_qh(first: date) -> int:
    return (day_number(first) - MARGIN_DAYS) * DAY // QUARTER


def assert_matches_zoneinfo(local: LocalRange) -> None:
    """Sampled quarter-hours of every segment have the offset the segment claims."""
    tz = ZoneInfo(local.zone)
    bounds = [s.first_qh for s in local.segments[1:]] + [local.last_qh + 1]
    for segment, stop in zip(local.segments, bounds, strict=True):
        for quarter in (segment.first_qh, stop - 1, (segment.first_qh + stop) // 2):
            offset = datetime.fromtimestamp(quarter * QUARTER, tz).utcoffset()
            assert offset == timedelta(seconds=segment.offset), (local.zone, quarter)


def test_budapest_spring_forward() -> None:
    local = local_range("Europe/Budapest", date(2024, 3, 30), date(2024, 4, 1))
    # 2024-03-31 02:00 CET becomes 03:00 CEST at 01:00 UTC.
    assert local.segments == (
        OffsetSegment(first_qh(date(2024, 3, 30)), 3600),
        OffsetSegment(qh("2024-03-31T01:00:00+00:00"), 7200),
    )
    assert local.zone == "Europe/Budapest"
    assert (local.first_day, local.last_day) == (day_number(date(2024, 3, 30)),
                                                 day_number(date(2024, 4, 1)))
    assert_matches_zoneinfo(local)


def test_budapest_fall_back() -> None:
    local = local_range("Europe/Budapest", date(2024, 10, 27), date(2024, 10, 27))
    # 2024-10-27 03:00 CEST becomes 02:00 CET at 01:00 UTC.
    assert local.segments == (
        OffsetSegment(first_qh(date(2024, 10, 27)), 7200),
        OffsetSegment(qh("2024-10-27T01:00:00+00:00"), 3600),
    )
    assert_matches_zoneinfo(local)
    # The wall clock goes from 02:45 (00:45Z, summer time) back to 02:00 (01:00Z).
    change = local.segments[1].first_qh
    walls = [datetime.fromtimestamp(q * QUARTER + off, UTC).strftime("%H:%M")
             for q, off in ((change - 1, 7200), (change, 3600))]
    assert walls == ["02:45", "02:00"]


def test_budapest_whole_year() -> None:
    local = local_range("Europe/Budapest", date(2024, 1, 1), date(2024, 12, 31))
    assert [s.offset for s in local.segments] == [3600, 7200, 3600]
    assert [s.first_qh for s in local.segments[1:]] == [
        qh("2024-03-31T01:00:00+00:00"), qh("2024-10-27T01:00:00+00:00")]
    assert_matches_zoneinfo(local)


def test_summer_only_range_has_one_segment() -> None:
    local = local_range("Europe/Budapest", date(2024, 6, 1), date(2024, 6, 30))
    assert local.segments == (OffsetSegment(first_qh(date(2024, 6, 1)), 7200),)


def test_margin_reaches_a_change_just_outside_the_range() -> None:
    # The range starts the day after the change; the margin still holds it.
    local = local_range("Europe/Budapest", date(2024, 4, 1), date(2024, 4, 1))
    assert [s.offset for s in local.segments] == [3600, 7200]
    assert local.first_qh == first_qh(date(2024, 4, 1))
    assert local.last_qh == (day_number(date(2024, 4, 2)) + MARGIN_DAYS) * 96 - 1


def test_kolkata_single_segment() -> None:
    local = local_range("Asia/Kolkata", date(2024, 1, 1), date(2024, 12, 31))
    assert local.segments == (OffsetSegment(first_qh(date(2024, 1, 1)), 19800),)
    assert_matches_zoneinfo(local)


def test_lord_howe_half_hour_shift() -> None:
    local = local_range("Australia/Lord_Howe", date(2024, 1, 1), date(2024, 12, 31))
    # +11:00 in southern summer, +10:30 in winter; changes at 02:00 local.
    assert [s.offset for s in local.segments] == [39600, 37800, 39600]
    assert [s.first_qh for s in local.segments[1:]] == [
        qh("2024-04-07T02:00:00+11:00"), qh("2024-10-06T02:00:00+10:30")]
    assert qh("2024-10-06T02:00:00+10:30") * QUARTER % 3600 == 1800  # a half-hour in UTC
    assert_matches_zoneinfo(local)


def test_chatham_quarter_hour_offsets() -> None:
    local = local_range("Pacific/Chatham", date(2024, 4, 6), date(2024, 4, 7))
    # +13:45 -> +12:45 at 03:45 local daylight time.
    assert [s.offset for s in local.segments] == [49500, 45900]
    assert local.segments[1].first_qh == qh("2024-04-07T03:45:00+13:45")
    assert_matches_zoneinfo(local)


@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Asia/Kathmandu",
                                  "America/St_Johns", "Europe/Dublin", "Africa/Casablanca"])
def test_segments_agree_with_zoneinfo(zone: str) -> None:
    local = local_range(zone, date(2023, 12, 1), date(2025, 1, 31))
    assert local.segments[0].first_qh == local.first_qh
    assert all(a.first_qh < b.first_qh and a.offset != b.offset
               for a, b in zip(local.segments, local.segments[1:], strict=False))
    assert_matches_zoneinfo(local)


def test_unknown_zone() -> None:
    assert is_known_zone("Europe/Budapest")
    assert not is_known_zone("Europe/Nowhere")
    assert not is_known_zone("")
    with pytest.raises(ValueError, match="unknown time zone"):
        local_range("Mars/Olympus_Mons", date(2024, 1, 1), date(2024, 1, 1))


@pytest.mark.parametrize("name", ["localtime", "posixrules", "Factory", "right/UTC",
                                  "posix/Europe/Budapest", "zone.tab", "tzdata.zi", "Europe",
                                  "europe/budapest"])
def test_names_that_are_no_iana_zone_are_unknown(name: str) -> None:
    assert not is_known_zone(name)


@pytest.mark.parametrize("name", ["Europe/Budapest", "America/Argentina/Buenos_Aires",
                                  "Pacific/Kiritimati", "UTC", "Etc/GMT+12", "US/Eastern"])
def test_iana_zones_and_their_compatibility_links_are_known(name: str) -> None:
    assert is_known_zone(name)
    assert local_range(name, date(2024, 1, 1), date(2024, 1, 1)).segments


def test_day_numbers() -> None:
    assert day_number(date(1970, 1, 1)) == 0
    assert day_number(date(2024, 3, 1)) - day_number(date(2024, 2, 28)) == 2
    assert day_of(day_number(date(2099, 12, 31))) == date(2099, 12, 31)


@pytest.mark.parametrize(("minute", "value"), [
    (0, 0), (15, 15), (30, 30), (60, 100), (90, 130), (570, 930), (855, 1415),
    (900, 1500), (1425, 2345), (1439, 2359),
])
def test_hhmm(minute: int, value: int) -> None:
    assert hhmm(minute) == value


@settings(max_examples=200, deadline=None)
@given(zone=st.sampled_from(["Europe/Budapest", "America/New_York", "Asia/Kathmandu",
                             "Australia/Lord_Howe", "Pacific/Chatham", "Pacific/Kiritimati",
                             "America/Adak", "UTC"]),
       first=st.dates(date(1973, 1, 1), date(2098, 12, 1)), days=st.integers(0, 40))
def test_scan_range_holds_every_quarter_hour_of_the_dates(zone: str, first: date,
                                                          days: int) -> None:
    local = local_range(zone, first, first + timedelta(days=days))
    low, high = local.scan_qhs
    bounds = [s.first_qh for s in local.segments[1:]] + [local.last_qh + 1]
    for segment, stop in zip(local.segments, bounds, strict=True):
        # The quarter-hours of this segment that fall on the local dates.
        start_day, end_day = local.first_day * DAY, (local.last_day + 1) * DAY
        inside_from = max(segment.first_qh, -(-(start_day - segment.offset) // QUARTER))
        inside_to = min(stop - 1, (end_day - segment.offset) // QUARTER - 1)
        if inside_from <= inside_to:
            assert low <= inside_from and inside_to <= high, (zone, first, days)
    assert high - low <= (days + 1) * 96 + 2 * 26 * 4
