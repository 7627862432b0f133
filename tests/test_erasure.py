"""Erasing a user (`Service.erase_user`), on every store: the user is gone from the answers,
the exports, the users and the name mappings; every other user's answers stay the same
byte for byte. On ClickHouse no row of any table names the user afterwards."""

from __future__ import annotations

import io
import json
import random
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from backends import ON_CLICKHOUSE
from ccstats.errors import InvalidRequest, NotFound
from ccstats.model import MappingKind, NameMapping
from ccstats.query import Endpoint
from ccstats.service import Service
from ccstats.store.erasure import Scrub
from conftest import Event, ndjson, queue_call
from inbound_oracle import KPIS
from test_oracle import TRANSITIONS, _busy_event

USERS = (1, 2, 3, 4, 5)
ERASED = 3
NAME = "Zebulon Quixote-Erasure"
MEMBER = "SIP/zebulon-quixote"
USERBASED_KPIS = ",".join(sorted(name for name, kpi in KPIS.items()
                                 if kpi.source == "userbased"))


def _events(rng: random.Random, first: int, last: int) -> tuple[list[Event], list[Event]]:
    """Two batches of the five users: busy events, queue calls (some answered by the erased
    user, some unanswered) and open intervals; then versions of some of them by another
    user (to and from the erased one), and versions sent again."""
    events: list[Event] = []
    for number in range(260):
        event = _busy_event(rng, f"e{number}", first, last)
        event["userId"] = rng.choice(USERS)
        events.append(event)
    for number in range(40):
        start = rng.randrange(first, last - 3600)
        answered = rng.random() < 0.7
        events.append(queue_call(f"q{number}", rng.randint(1, 3), start,
                                 start + rng.randint(0, 120) if answered else None,
                                 start + rng.randint(130, 900), rng.randint(1, 3),
                                 rng.choice(USERS) if answered else None))
    for number in range(6):
        events.append({"id": f"open{number}", "type": "userstate", "state": "available",
                       "start": rng.randrange(last - 7200, last), "end": None,
                       "projectId": 1, "userId": rng.choice(USERS)})
    moved = []
    for event in rng.sample(events[:260], 50):
        again = dict(event)
        again["userId"] = rng.choice(USERS)
        moved.append(again)
    return events, moved


def _dates(zone: str, first: int, last: int) -> tuple[str, str]:
    """The local dates of `first` and `last` in `zone` (yyyymmdd)."""
    tz = ZoneInfo(zone)
    return (datetime.fromtimestamp(first, tz).strftime("%Y%m%d"),
            datetime.fromtimestamp(last, tz).strftime("%Y%m%d"))


def _answers(service: Service, customer: str, dates: tuple[str, str], users: str | None
             ) -> list[bytes]:
    """The userbased answers with every field by user, date and time (JSON and CSV) and
    the KPIs by user and date, of `users` (None: everyone)."""
    span = {"from": dates[0], "to": dates[1]}
    only = {} if users is None else {"users": users}
    return [
        service.query(customer, {**span, **only, "dimensions": "user,date,time",
                                 "interval": "15"}),
        service.query(customer, {**span, **only, "dimensions": "date,user,project",
                                 "of": "csv"}),
        service.query(customer, {**span, **only, "dimensions": "user,date",
                                 "kpis": USERBASED_KPIS}, Endpoint.KPIS),
    ]


def _without(body: bytes, user_id: int) -> list[dict[str, Any]]:
    """The records of a JSON answer by user, but those of `user_id`."""
    records: list[dict[str, Any]] = json.loads(body)["response"]
    return [record for record in records if record["userId"] != user_id]


def _exported(service: Service, customer: str) -> dict[str, dict[str, Any]]:
    out = io.BytesIO()
    service.export_events(customer, out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    return {line["id"]: line for line in lines}


@pytest.mark.parametrize(("zone", "seed"), [("Europe/Budapest", 1),
                                            ("America/New_York", 2)])
def test_erasing_a_user_leaves_every_other_user_as_it_was(service: Service, zone: str,
                                                           seed: int) -> None:
    rng = random.Random(seed)
    customer = f"erase-{seed}"
    service.create_customer(customer, zone, "pw")
    first = TRANSITIONS[zone][0] - 36 * 3600
    last = first + 3 * 86_400
    events, moved = _events(rng, first, last)
    service.ingest(customer, ndjson(*events))
    service.ingest(customer, ndjson(*moved))
    current = {event["id"]: event for event in [*events, *moved]}
    service.update_user(customer, ERASED, name=NAME)
    service.save_name_mapping(customer, NameMapping("queue_log", MappingKind.USER, MEMBER,
                                                    ERASED), NAME)
    service.save_name_mapping(customer, NameMapping("queue_log", MappingKind.USER, "other",
                                                    1), "User 1")
    dates = _dates(zone, first, last)
    others = ",".join(str(u) for u in USERS if u != ERASED)
    before = _answers(service, customer, dates, others)
    everyone = _answers(service, customer, dates, None)
    theirs = [e for e in current.values() if e["userId"] == ERASED]
    assert theirs and _without(everyone[0], ERASED) != json.loads(everyone[0])["response"]

    erased = service.erase_user(customer, ERASED)

    assert (erased.user_id, erased.name, erased.events, erased.mappings) == (
        ERASED, NAME, len(theirs), 1)
    assert erased.scrub is Scrub.DONE  # (DuckDB: the file was rewritten at once)
    assert _answers(service, customer, dates, others) == before
    after = _answers(service, customer, dates, None)
    assert _without(after[0], ERASED) == json.loads(after[0])["response"] == \
        _without(everyone[0], ERASED)
    assert after[2] == service.query(customer, {"from": dates[0], "to": dates[1],
                                                "dimensions": "user,date",
                                                "kpis": USERBASED_KPIS,
                                                "users": others}, Endpoint.KPIS)
    with pytest.raises(InvalidRequest):
        service.query(customer, {"from": dates[0], "to": dates[1], "users": str(ERASED)})
    kept = {event_id for event_id, e in current.items() if e["userId"] != ERASED}
    exported = _exported(service, customer)
    assert set(exported) == kept and service.event_count(customer) == len(kept)
    assert ERASED not in {u.user_id for u in service.users(customer)}
    assert [m.name for m in service.name_mappings(customer, "queue_log")] == ["other"]
    if ON_CLICKHOUSE:
        assert_no_row_names(service, customer, ERASED, NAME)


def test_an_unknown_user_is_not_found_and_nothing_changes(service: Service) -> None:
    service.create_customer("erase-unknown", "UTC", "pw")
    service.ingest("erase-unknown", ndjson(
        {"id": "a", "type": "userstate", "state": "break", "start": 1_718_000_000,
         "end": 1_718_000_600, "projectId": 1, "userId": 2}))
    with pytest.raises(NotFound, match="unknown user 9") as raised:
        service.erase_user("erase-unknown", 9)
    assert raised.value.param == "user_id"
    with pytest.raises(NotFound, match="unknown customer"):
        service.erase_user("nobody", 2)
    assert service.event_count("erase-unknown") == 1
    assert [u.user_id for u in service.users("erase-unknown")] == [2]


def test_a_user_seen_again_comes_back_as_a_new_user(service: Service) -> None:
    customer = "erase-again"
    service.create_customer(customer, "Europe/Budapest", "pw")
    start = 1_718_000_000

    def state(event_id: str, user: int, offset: int) -> Event:
        return {"id": event_id, "type": "userstate", "state": "available",
                "start": start + offset, "end": start + offset + 600, "projectId": 1,
                "userId": user}

    service.ingest(customer, ndjson(state("a", 4, 0), state("b", 5, 0)))
    service.update_user(customer, 4, name=NAME)
    assert service.erase_user(customer, 4).events == 1
    with pytest.raises(NotFound):
        service.erase_user(customer, 4)
    service.ingest(customer, ndjson(state("c", 4, 3600)))
    assert [(u.user_id, u.name) for u in service.users(customer)] == [(4, "User 4"),
                                                                      (5, "User 5")]
    assert set(_exported(service, customer)) == {"b", "c"}
    day = datetime.fromtimestamp(start, ZoneInfo("Europe/Budapest")).strftime("%Y%m%d")
    body = json.loads(service.query(customer, {"from": day, "to": day, "dimensions": "user",
                                               "fields": "userstateAvailable"}))
    available = {r["userId"]: r["data"][0]["count"] for r in body["response"]}
    assert available == {4: 1, 5: 1}


def assert_no_row_names(service: Service, customer: str, user_id: int, name: str) -> None:
    """On ClickHouse: no row of any table has the user's id in a user column, or its name."""
    store: Any = service._store
    c = service.customer(customer).customer_id
    client = store.target.client()
    try:
        for table in ("events", "live_events", "sums", "sums_hour", "sums_day", "users"):
            rows = client.execute(f"SELECT count() FROM {table} WHERE customer_id = {c} "
                                  f"AND user_id = {user_id}")
            assert rows[0][0] == 0, f"{table} still names user {user_id}"
        rows = client.execute(f"SELECT count() FROM name_mappings WHERE customer_id = {c} "
                              f"AND kind = 'user' AND target_id = {user_id}")
        assert rows[0][0] == 0
        for table in ("users", "name_mappings", "projects", "queues", "presets"):
            rows = client.execute(f"SELECT count() FROM {table} WHERE position(name, %(n)s) > 0",
                                  {"n": name})
            assert rows[0][0] == 0, f"{table} still holds the name"
    finally:
        client.disconnect()
