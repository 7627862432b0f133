"""`Client.onlineusers`, `realtime_queues` and `stream` against a real server: frames equal
to the csv answers, their dtypes, and snapshots that follow a post."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pandas as pd
import polars as pl
import pytest

from ccstats.client import ApiFailure, Client, Snapshot
from client.cells import Cell, cell, csv_cells, frame_cells, typed_equal

#: Columns that count seconds up to now, which differ between two requests.
CLOCKS = ("stateDuration", "longestWait")


def _moment(seconds_ago: int) -> str:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    return (now - dt.timedelta(seconds=seconds_ago)).isoformat().replace("+00:00", "Z")


@pytest.fixture(scope="module")
def live(raw: httpx.Client) -> None:
    """Users 50 (on an answered call of queue 9) and 51 (on break) online, a caller
    waiting in queue 9 and one served there today."""
    events = [
        {"id": "s50", "type": "userstate", "state": "call", "projectId": 2, "userId": 50,
         "start": _moment(30), "end": None},
        {"id": "c50", "type": "call", "direction": "in", "projectId": 2, "userId": 50,
         "start": _moment(32), "answer": _moment(30), "end": None},
        {"id": "q50", "type": "queuecall", "queueId": 9, "projectId": 2, "userId": 50,
         "start": _moment(40), "answer": _moment(32), "end": None},
        {"id": "q52", "type": "queuecall", "queueId": 9, "projectId": 2, "userId": None,
         "start": _moment(12), "answer": None, "end": None},
        {"id": "q53", "type": "queuecall", "queueId": 9, "projectId": 2, "userId": 51,
         "start": _moment(20), "answer": _moment(15), "end": _moment(5)},
        {"id": "s51", "type": "userstate", "state": "break", "projectId": 3, "userId": 51,
         "start": _moment(60), "end": None},
    ]
    assert raw.post("/v2/events", json=events).status_code == 200


def _same_but_clocks(header: list[str], found: list[list[Cell]],
                     expected: list[list[Cell]]) -> None:
    """Equal cell by cell, the clock columns within a few seconds of each other."""
    clocks = [header.index(name) for name in CLOCKS if name in header]

    def steady(rows: list[list[Cell]]) -> list[list[Cell]]:
        return [[None if i in clocks else value for i, value in enumerate(row)]
                for row in rows]

    assert typed_equal(steady(found), steady(expected))
    for row, other in zip(found, expected, strict=True):
        for i in clocks:
            mine, theirs = row[i], other[i]
            assert isinstance(mine, int) and isinstance(theirs, int)
            assert abs(mine - theirs) <= 5


@pytest.mark.usefixtures("live")
@pytest.mark.parametrize("kind", ["pandas", "polars"])
@pytest.mark.parametrize(("method", "path", "options", "query"), [
    ("onlineusers", "/v2/onlineusers", {}, {}),
    ("onlineusers", "/v2/onlineusers", {"users": [51], "hide_system_users": False},
     {"users": "51", "hide_system_users": "false"}),
    ("realtime_queues", "/v2/realtime/queues", {"manual_sla": 3}, {"manual_sla": "3"}),
    ("realtime_queues", "/v2/realtime/queues", {"queues": [9], "projects": [2]},
     {"queues": "9", "projects": "2"}),
])
def test_the_frame_is_the_csv_answer_cell_by_cell(
        api: Client, raw: httpx.Client, kind: str, method: str, path: str,
        options: dict[str, Any], query: dict[str, str]) -> None:
    answer = raw.get(path, params={**query, "of": "csv"})
    assert answer.status_code == 200, answer.text
    header, expected = csv_cells(answer.text)
    columns, found = frame_cells(getattr(api, method)(frame=kind, **options))
    assert expected and columns == header
    _same_but_clocks(header, found, expected)


@pytest.mark.usefixtures("live")
def test_realtime_dtypes(api: Client) -> None:
    users = api.onlineusers()
    assert dict(users.dtypes.astype(str)) == {
        "userId": "Int64", "name": "str", "projectId": "Int64", "state": "str",
        "since": "datetime64[s, UTC]", "stateDuration": "Int64", "callDirection": "str",
        "callSince": "datetime64[s, UTC]", "callAnswered": "boolean", "callQueueId": "Int64"}
    on_break = users[users["userId"] == 51].iloc[0]
    assert pd.isna(on_break["callAnswered"]) and pd.isna(on_break["callQueueId"])
    assert pd.isna(on_break["callDirection"])
    queues = api.realtime_queues(frame="polars")
    assert queues.schema == pl.Schema({
        "queueId": pl.Int64, "name": pl.String, "projectId": pl.Int64, "waiting": pl.Int64,
        "longestWait": pl.Int64, "talking": pl.Int64, "offered": pl.Int64,
        "answered": pl.Int64, "abandoned": pl.Int64, "serviceLevel": pl.Float64,
        "asa": pl.Float64})
    nine = queues.row(0, named=True)  # q53 answered after 5 s today, q52 waiting
    assert (nine["queueId"], nine["serviceLevel"], nine["asa"]) == (9, 1.0, 5.0)
    assert (nine["waiting"], nine["talking"]) == (1, 1)


def _flattened(record: dict[str, Any], columns: list[str]) -> list[Cell]:
    """A JSON record of the real-time resources as the csv's row (``call`` flattened)."""
    call = record.get("call") or {}
    flat = {**record, **{f"call{k[0].upper()}{k[1:]}": v for k, v in call.items()}}
    return [None if flat.get(name) is None
            else cell(name, str(flat[name]).lower() if name == "callAnswered"
                      else str(flat[name])) for name in columns]


def _check_snapshot(snapshot: Snapshot, api: Client) -> None:
    """The snapshot's frames: the columns and dtypes of the resources' frames, and the
    cells of the JSON it carries."""
    for found, resource, part in ((snapshot.users, api.onlineusers(), "users"),
                                  (snapshot.queues, api.realtime_queues(), "queues")):
        assert found.dtypes.equals(resource.dtypes)
        columns, rows = frame_cells(found)
        records = snapshot.data[part]["response"]
        assert typed_equal(rows, [_flattened(record, columns) for record in records])


@pytest.mark.usefixtures("live")
def test_the_stream_yields_a_snapshot_now_and_one_after_a_post(
        api: Client, raw: httpx.Client) -> None:
    snapshots = api.stream(projects=[2, 3], idle_timeout=60)
    first = next(snapshots)
    assert sorted(first.users["userId"]) == [50, 51]
    _check_snapshot(first, api)
    posted = raw.post("/v2/events", json=[{
        "id": "s55", "type": "userstate", "state": "available", "projectId": 3,
        "userId": 55, "start": _moment(1), "end": None}])
    assert posted.status_code == 200
    for _ in range(10):
        later = next(snapshots)
        if 55 in set(later.users["userId"]):
            break
    else:
        pytest.fail("no snapshot showed the posted user")
    snapshots.close()
    _check_snapshot(later, api)


def test_the_stream_in_polars(api: Client) -> None:
    snapshots = api.stream(frame="polars", users=[50], idle_timeout=60)
    first = next(snapshots)
    snapshots.close()
    assert isinstance(first.users, pl.DataFrame) and first.users.columns[0] == "userId"
    assert first.users.schema == api.onlineusers(frame="polars").schema


def test_a_bad_option_of_the_stream_is_refused(api: Client) -> None:
    with pytest.raises(ApiFailure) as refused:
        next(api.stream(manual_sla=0))
    assert (refused.value.status, refused.value.param) == (417, "manual_sla")
