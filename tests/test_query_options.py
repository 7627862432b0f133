"""Options of `GET /v2/statistics/userbased` through `Service.query` (api.md)."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from ccstats.catalog import CATALOG
from ccstats.errors import InvalidRequest
from ccstats.model import Status, UserKind
from ccstats.service import Service
from conftest import call, chat, ndjson, point, records, userstate

B = 1_714_550_400  # 2024-05-01T08:00:00Z
DAY = 86_400
RANGE = {"from": "20240501", "to": "20240502"}
FULL_HEADER = "date,time,projectId,userId,level,field,count,sum"


def rejected(service: Service, customer: str, params: dict[str, str]) -> list[tuple[str, str]]:
    """(param, code) of every error of a request that must be refused."""
    with pytest.raises(InvalidRequest) as caught:
        service.query(customer, params)
    for error in caught.value.errors:
        assert error.message, error
        assert error.code.startswith("error.")
    return sorted((str(e.param), e.code) for e in caught.value.errors)


def query(service: Service, customer: str, **params: str) -> list[dict[str, Any]]:
    return records(service.query(customer, {**RANGE, **params}))


def fields_of(record: dict[str, Any]) -> list[str]:
    return [d["field"] for d in record["data"]]


# --- validation -----------------------------------------------------------------------

def test_missing_required_options(service: Service, customer: str) -> None:
    assert rejected(service, customer, {}) == [
        ("dimensions", "error.required"), ("from", "error.required"), ("to", "error.required")]
    # Empty values count as missing.
    assert rejected(service, customer, {"from": "", "to": " ", "dimensions": ""}) == [
        ("dimensions", "error.required"), ("from", "error.required"), ("to", "error.required")]


def test_every_problem_is_reported_together(service: Service, customer: str) -> None:
    service.ingest(customer, ndjson(chat("a", B, B + 1)))
    params = {
        "from": "2020011", "to": "20200230", "dimensions": "project,shoe",
        "of": "xml", "projects": "a", "users": "999", "fields": "chatHandled,nope",
        "preset": "77", "timezone": "Mars/Olympus_Mons", "interval": "45",
        "hide_system_users": "maybe",
    }
    assert rejected(service, customer, params) == sorted([
        ("from", "error.wrong_format"),
        ("to", "error.wrong_format"),
        ("dimensions", "error.bad_arguments"),
        ("of", "error.bad_arguments"),
        ("projects", "error.wrong_format"),
        ("users", "error.bad_arguments"),
        ("fields", "error.bad_arguments"),
        ("preset", "error.bad_arguments"),
        ("timezone", "error.bad_arguments"),
        ("interval", "error.bad_arguments"),
        ("hide_system_users", "error.bad_arguments"),
    ])


@pytest.mark.parametrize(("options", "expected"), [
    ({"from": "2020011"}, [("from", "error.wrong_format")]),
    ({"from": "2020-01-01"}, [("from", "error.wrong_format")]),
    ({"from": "202000106", "to": "20200106"}, [("from", "error.wrong_format")]),
    ({"to": "20200230"}, [("to", "error.wrong_format")]),
    ({"to": "20231301"}, [("to", "error.wrong_format")]),
    ({"from": "20240502", "to": "20240501"}, [("to", "error.bad_arguments")]),
    ({"from": "20240101", "to": "20250101"}, [("to", "error.bad_arguments")]),
    ({"dimensions": "user,date,user"}, [("dimensions", "error.bad_arguments")]),
    ({"dimensions": "project,hour"}, [("dimensions", "error.bad_arguments")]),
    ({"of": "xml"}, [("of", "error.bad_arguments")]),
    ({"projects": "1,42"}, [("projects", "error.bad_arguments")]),
    ({"projects": "a"}, [("projects", "error.wrong_format")]),
    ({"users": "1,x"}, [("users", "error.wrong_format")]),
    # digits of other scripts (Arabic-Indic, fullwidth) are not ids, dates or numbers
    ({"users": "\u0661"}, [("users", "error.wrong_format")]),
    ({"from": "\uff12\uff10\uff12\uff10\uff10\uff11\uff10\uff16"},
     [("from", "error.wrong_format")]),
    ({"preset": "\u0661"}, [("preset", "error.wrong_format")]),
    ({"interval": "\u0666\u0660"}, [("interval", "error.bad_arguments")]),
    ({"users": "43"}, [("users", "error.bad_arguments")]),
    ({"fields": "userstateAvailable,callout"}, [("fields", "error.bad_arguments")]),
    ({"preset": "9"}, [("preset", "error.bad_arguments")]),
    ({"timezone": "Europe/Nowhere"}, [("timezone", "error.bad_arguments")]),
    ({"interval": "45"}, [("interval", "error.bad_arguments")]),
    ({"interval": "sixty"}, [("interval", "error.bad_arguments")]),
    ({"hide_system_users": "maybe"}, [("hide_system_users", "error.bad_arguments")]),
])
def test_each_problem_names_its_param(service: Service, customer: str,
                                      options: dict[str, str],
                                      expected: list[tuple[str, str]]) -> None:
    service.ingest(customer, ndjson(chat("a", B, B + 1)))
    params = {"from": "20240501", "to": "20240531", "dimensions": "user", **options}
    assert rejected(service, customer, params) == expected


@pytest.mark.parametrize("option", ["dimensions", "projects", "users", "fields"])
@pytest.mark.parametrize("shape", ["{},", ",{}", "{},,{}", " {} , ", ","])
def test_an_empty_item_is_wrong_format_in_every_list(service: Service, customer: str,
                                                     option: str, shape: str) -> None:
    service.ingest(customer, ndjson(chat("a", B, B + 1)))
    item = {"dimensions": "user", "projects": "1", "users": "1", "fields": "chatHandled"}
    params = {"from": "20240501", "to": "20240531", "dimensions": "user",
              option: shape.format(item[option], item[option])}
    assert rejected(service, customer, params) == [(option, "error.wrong_format")]
    if option != "dimensions":
        params["dimensions"] = "date"
    params[option] = f" {item[option]} "
    assert query(service, customer, **params) != []


def test_range_limits(service: Service, customer: str) -> None:
    # 366 days is the most; a leap year's 366 days are accepted, 367 are not.
    assert query(service, customer, **{"from": "20240101", "to": "20241231"},
                 dimensions="date") == []
    assert rejected(service, customer, {"from": "20240101", "to": "20250101",
                                        "dimensions": "date"}) == [("to", "error.bad_arguments")]
    assert query(service, customer, **{"from": "20240229", "to": "20240229"},
                 dimensions="date") == []


# --- defaults and selection ----------------------------------------------------------

def test_default_projects_are_the_active_ones(service: Service, customer: str) -> None:
    service.ingest(customer, ndjson(chat("a", B, B + 10, project=1),
                                    chat("b", B, B + 20, project=2)))
    assert [r["projectId"] for r in query(service, customer, dimensions="project")] == [1, 2]
    service.update_project(customer, 2, status=Status.INACTIVE)
    assert [r["projectId"] for r in query(service, customer, dimensions="project")] == [1]
    assert [r["projectId"] for r in query(service, customer, dimensions="project",
                                          projects="2")] == [2]
    assert [r["projectId"] for r in query(service, customer, dimensions="project",
                                          projects=" 2 , 1,2")] == [1, 2]
    # Without the project dimension the inactive project's events are not summed in.
    assert query(service, customer, dimensions="date") == [
        {"date": "2024-05-01", "data": [{"field": "chatHandled", "count": 1, "sum": 10}],
         "level": 0}]


def test_hide_system_users(service: Service, customer: str) -> None:
    service.ingest(customer, ndjson(chat("a", B, B + 10, user=1),
                                    chat("b", B, B + 20, user=2)))
    service.update_user(customer, 2, kind=UserKind.SYSTEM)

    def users(**params: str) -> list[int]:
        return [r["userId"] for r in query(service, customer, dimensions="user", **params)]

    assert users() == [1, 2]
    assert users(hide_system_users="false") == [1, 2]
    assert users(hide_system_users="0") == [1, 2]
    assert users(hide_system_users="true") == [1]
    assert users(hide_system_users="1") == [1]
    assert users(hide_system_users="true", users="2") == []
    assert users(hide_system_users="true", users="1,2") == [1]
    assert users(users="2") == [2]


def test_fields_order_and_repeats(service: Service, customer: str) -> None:
    service.ingest(customer, ndjson(
        chat("a", B, B + 10), userstate("b", "available", B, B + 5),
        point("c", "ticket", "closed", B), call("d", "out", B, B + 1, B + 3)))
    [record] = query(service, customer, dimensions="date",
                     fields="ticketClosed, chatHandled,userstateAvailable,chatHandled,"
                            "userstateBreak")
    assert record["data"] == [
        {"field": "ticketClosed", "count": 1, "sum": None},
        {"field": "chatHandled", "count": 1, "sum": 10},
        {"field": "userstateAvailable", "count": 1, "sum": 5},
    ]
    # Without fields: every KPI present, in catalog order.
    [record] = query(service, customer, dimensions="date")
    catalog = [k.name for k in CATALOG]
    assert fields_of(record) == sorted(fields_of(record), key=catalog.index)
    assert fields_of(record) == [
        "userstateAvailable", "callOut", "callOutAttempt", "callOutReached", "ticketClosed",
        "chatHandled"]
    assert record["data"][1:4] == [
        {"field": "callOut", "count": None, "sum": 3},
        {"field": "callOutAttempt", "count": 1, "sum": None},
        {"field": "callOutReached", "count": 1, "sum": 2},
    ]


def test_preset_only_without_fields(service: Service, customer: str) -> None:
    service.ingest(customer, ndjson(
        chat("a", B, B + 10), userstate("b", "available", B, B + 5),
        point("c", "ticket", "closed", B)))
    preset = service.create_preset(customer, "mine", ["ticketClosed", "userstateAvailable"])
    [record] = query(service, customer, dimensions="date", preset=str(preset.preset_id))
    assert fields_of(record) == ["ticketClosed", "userstateAvailable"]
    [record] = query(service, customer, dimensions="date", preset=str(preset.preset_id),
                     fields="chatHandled")
    assert fields_of(record) == ["chatHandled"]
    # An empty fields option counts as absent, so the preset applies.
    [record] = query(service, customer, dimensions="date", preset=str(preset.preset_id),
                     fields="")
    assert fields_of(record) == ["ticketClosed", "userstateAvailable"]


def test_records_sorted_by_dimensions_in_request_order(service: Service, customer: str) -> None:
    service.ingest(customer, ndjson(
        chat("a", B, B + 1, user=2), chat("b", B + DAY, B + DAY + 1, user=1),
        chat("c", B, B + 1, user=10), chat("d", B + DAY, B + DAY + 1, user=2)))
    by_user = query(service, customer, dimensions="user,date")
    assert [(r["userId"], r["date"]) for r in by_user] == [
        (1, "2024-05-02"), (2, "2024-05-01"), (2, "2024-05-02"), (10, "2024-05-01")]
    by_date = query(service, customer, dimensions="date,user")
    assert [(r["date"], r["userId"]) for r in by_date] == [
        ("2024-05-01", 2), ("2024-05-01", 10), ("2024-05-02", 1), ("2024-05-02", 2)]
    # Keys keep their fixed order whatever the request order.
    assert {tuple(r) for r in by_user + by_date} == {("date", "userId", "data", "level")}


@pytest.mark.parametrize(("dimensions", "keys"), [
    ("time", ["time"]),
    ("user, project", ["projectId", "userId"]),
    ("time,date,user", ["date", "time", "userId"]),
    ("user,time,project,date", ["date", "time", "projectId", "userId"]),
])
def test_level_and_key_order(service: Service, customer: str, dimensions: str,
                             keys: list[str]) -> None:
    service.ingest(customer, ndjson(chat("a", B, B + 1, project=3, user=4)))
    [record] = query(service, customer, dimensions=dimensions)
    assert list(record) == [*keys, "data", "level"]
    assert record["level"] == len(keys) - 1
    values = {"date": "2024-05-01", "time": 800, "projectId": 3, "userId": 4}
    assert {k: record[k] for k in keys} == {k: values[k] for k in keys}


def test_of_cvs_is_csv(service: Service, customer: str) -> None:
    service.ingest(customer, ndjson(chat("a", B, B + 1), point("b", "email", "sent", B)))
    params = {**RANGE, "dimensions": "date,time"}
    body = service.query(customer, {**params, "of": "csv"})
    assert service.query(customer, {**params, "of": "cvs"}) == body
    assert body == (b"date,time,level,field,count,sum\r\n"
                    b"2024-05-01,800,1,emailByAgentSent,1,\r\n"
                    b"2024-05-01,800,1,chatHandled,1,1\r\n")
    tab = service.query(customer, {**params, "of": "tab"})
    assert tab == body.replace(b",", b"\t").replace(b"\r\n", b"\n")


@pytest.mark.parametrize(("interval", "times"), [
    ("60", [1400, 1500]),
    ("30", [1400, 1430, 1500]),
    ("15", [1400, 1415, 1430, 1445, 1500]),
])
def test_time_slots(service: Service, customer: str, interval: str, times: list[int]) -> None:
    at = B + 6 * 3600  # 14:00Z
    service.ingest(customer, ndjson(
        *(point(f"p{minute}", "ticket", "created", at + minute * 60)
          for minute in (0, 14, 15, 29, 31, 44, 45, 59, 60))))
    found = query(service, customer, dimensions="time", interval=interval)
    assert [r["time"] for r in found] == times
    assert sum(r["data"][0]["count"] for r in found) == 9


def test_interval_seconds_split_over_buckets(service: Service, customer: str) -> None:
    # a: 07:50:00 -> 08:20:30, counted at 07:00 (or 07:45), seconds split by slot.
    service.ingest(customer, ndjson(userstate("a", "break", B - 600, B + 1230),
                                    userstate("z", "break", B + 3000, B + 3000)))

    def slots(interval: str) -> list[tuple[int, Any]]:
        found = query(service, customer, dimensions="time", interval=interval)
        return [(r["time"], (r["data"][0]["count"], r["data"][0]["sum"])) for r in found]

    # The zero-length z (08:50) counts once and adds 0 seconds.
    assert slots("60") == [(700, (1, 600)), (800, (1, 1230))]
    assert slots("15") == [(745, (1, 600)), (800, (0, 900)), (815, (0, 330)), (845, (1, 0))]


def test_timezone_shifts_dates_and_hours(service: Service, customer: str) -> None:
    service.ingest(customer, ndjson(chat("a", B + 12 * 3600, B + 12 * 3600 + 5)))  # 20:00Z
    utc = query(service, customer, dimensions="date,time")
    assert [(r["date"], r["time"]) for r in utc] == [("2024-05-01", 2000)]
    kolkata = query(service, customer, dimensions="date,time", timezone="Asia/Kolkata")
    assert [(r["date"], r["time"]) for r in kolkata] == [("2024-05-02", 100)]
    kolkata_30 = query(service, customer, dimensions="date,time", timezone="Asia/Kolkata",
                       interval="30")
    assert [(r["date"], r["time"]) for r in kolkata_30] == [("2024-05-02", 130)]
    # from/to are local dates of the request's zone.
    assert query(service, customer, **{"from": "20240501", "to": "20240501"},
                 dimensions="date", timezone="Asia/Kolkata") == []
    assert query(service, customer, **{"from": "20240502", "to": "20240502"},
                 dimensions="date") == []


def test_a_zone_is_an_iana_name_never_the_servers_own(service: Service, customer: str) -> None:
    for name in ("localtime", "posixrules", "Factory"):
        assert rejected(service, customer, {**RANGE, "dimensions": "date", "timezone": name}
                        ) == [("timezone", "error.bad_arguments")]
        with pytest.raises(InvalidRequest) as caught:
            service.create_customer("elsewhere", name, "pw")
        assert [e.param for e in caught.value.errors] == ["timezone"]


def test_customer_zone_is_the_default(service: Service) -> None:
    service.create_customer("bud", "Europe/Budapest", "pw")
    service.ingest("bud", ndjson(chat("a", B + 15 * 3600, B + 15 * 3600 + 5)))  # 23:00Z
    found = query(service, "bud", dimensions="date,time")
    assert [(r["date"], r["time"]) for r in found] == [("2024-05-02", 100)]
    found = query(service, "bud", dimensions="date,time", timezone="UTC")
    assert [(r["date"], r["time"]) for r in found] == [("2024-05-01", 2300)]


def test_dst_days_follow_the_wall_clock(service: Service) -> None:
    service.create_customer("bud", "Europe/Budapest", "pw")
    service.ingest("bud", ndjson(
        # 2024-03-31: 01:00Z is 03:00 CEST; the hour 02:00-03:00 does not exist.
        point("s1", "ticket", "created", "2024-03-31T00:59:59Z"),  # 01:59:59 CET
        point("s2", "ticket", "created", "2024-03-31T01:00:00Z"),  # 03:00:00 CEST
        point("s3", "ticket", "created", "2024-03-31T01:30:00Z"),  # 03:30:00 CEST
        # 2024-10-27: 01:00Z is 02:00 CET again; 02:00-03:00 happens twice.
        userstate("f1", "available", "2024-10-27T00:00:00Z", "2024-10-27T02:00:00Z"),
        point("f2", "ticket", "created", "2024-10-27T00:30:00Z"),  # 02:30 CEST
        point("f3", "ticket", "created", "2024-10-27T01:30:00Z"),  # 02:30 CET
    ))

    def hours(day: str) -> list[tuple[int, list[Any]]]:
        found = query(service, "bud", **{"from": day, "to": day}, dimensions="time")
        return [(r["time"], [(d["field"], d["count"], d["sum"]) for d in r["data"]])
                for r in found]

    assert hours("20240331") == [
        (100, [("ticketCreated", 1, None)]),
        (300, [("ticketCreated", 2, None)]),
    ]
    assert hours("20241027") == [
        (200, [("userstateAvailable", 1, 7200), ("ticketCreated", 2, None)]),
    ]


def test_empty_result(service: Service, customer: str) -> None:
    base = {**RANGE, "dimensions": "project,user,date,time"}
    assert service.query(customer, base) == b'{"response":[],"errors":[]}'
    assert orjson.loads(service.query(customer, base)) == {"response": [], "errors": []}
    assert service.query(customer, {**base, "of": "csv"}) == (FULL_HEADER + "\r\n").encode()
    assert service.query(customer, {**base, "of": "tab"}) == (
        FULL_HEADER.replace(",", "\t") + "\n").encode()
    # Events exist, but none for the requested fields or dates.
    service.ingest(customer, ndjson(chat("a", B, B + 5)))
    assert service.query(customer, {**base, "fields": "callIn"}) == (
        b'{"response":[],"errors":[]}')
    assert service.query(customer, {**base, "from": "20240601", "to": "20240601"}) == (
        b'{"response":[],"errors":[]}')
