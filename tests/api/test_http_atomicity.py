"""A batch of events is stored whole or not at all, over real HTTP.

Hypothesis draws batches of valid events (new projects and users, which events
register, and replacements of stored ids, also repeated within the batch) and
puts one invalid event anywhere in them, sent as NDJSON or as a JSON array. The
batch must get 417 naming exactly that line, and every answer that a batch can
change (statistics in several shapes, the project and user lists) must be the
same afterwards, byte for byte. The same batch without the invalid event is
then stored, and the answers must have changed: the comparison would have seen
a partial write.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

CUSTOMER, ZONE, PASSWORD = "atom", "Europe/Budapest", "atom-pass"
STATS = "/v2/statistics/userbased"
#: Everything a batch of events may change.
ANSWERS = [
    f"{STATS}?from=20240301&to=20240430&dimensions=project,user,date,time&interval=15",
    f"{STATS}?from=20240301&to=20240430&dimensions=user,project&of=csv",
    "/v2/projects",
    "/v2/users",
]
DAY = 1_711_929_600  # 2024-04-01T00:00:00Z; Budapest changed to summer time on 2024-03-31
BASE_IDS = [f"base-{i}" for i in range(5)]
_new_projects = itertools.count(1000)


def userstate(event_id: str, start: int, length: int, project: int, user: int,
              state: str = "available") -> dict[str, Any]:
    return {"id": event_id, "type": "userstate", "state": state, "start": start,
            "end": start + length, "projectId": project, "userId": user}


def valid_events(project: int) -> st.SearchStrategy[list[dict[str, Any]]]:
    """Events of the stored ids (replacements) and of new ones, one of `project`."""
    one = st.builds(
        userstate,
        event_id=st.sampled_from([*BASE_IDS, "new-1", "new-2"]),
        start=st.integers(DAY - 3 * 86_400, DAY + 86_400),
        length=st.integers(0, 7200),
        project=st.sampled_from([1, 2, project]),
        user=st.integers(1, 5),
        state=st.sampled_from(["available", "break", "call"]),
    )
    marker = st.builds(userstate, event_id=st.just(f"p-{project}"), start=st.just(DAY),
                       length=st.just(60), project=st.just(project), user=st.just(1))
    return st.tuples(st.lists(one, min_size=0, max_size=8), marker).map(
        lambda drawn: [*drawn[0], drawn[1]])


#: One invalid event each (the member at fault, or None for the whole line).
INVALID: list[dict[str, Any]] = [
    {k: v for k, v in userstate("bad-1", DAY, 60, 1, 1).items() if k != "end"},
    userstate("bad-2", DAY, 60, 1, 1, state="dancing"),
    {**userstate("bad-3", DAY, 60, 1, 1), "start": "2024-04-01T10:00:00"},
    {**userstate("bad-4", DAY, 60, 1, 1), "userId": "3"},
    {**userstate("bad-5", DAY, 60, 1, 1), "projectId": 2**53},
    {**userstate("bad-6", DAY, 60, 1, 1), "end": DAY - 1},
    {**userstate("bad-7", DAY, 60, 1, 1), "type": "meeting"},
    {**userstate("x" * 129, DAY, 60, 1, 1)},
    userstate("bad-9", DAY, 86_401, 1, 1),
    {**userstate("bad-10", DAY, 60, 1, 1), "start": 10**30},
    {**userstate("bad-11", DAY, 60, 1, 1), "id": "a\x00b"},
    {**userstate("bad-12", DAY, 60, 1, 1), "id": "../../etc/passwd"},
    {**userstate("bad-13", DAY, 60, 1, 1), "id": "1'; DROP TABLE events; --"},
]


@pytest.fixture(scope="module")
def accounts() -> list[tuple[str, str, str]]:
    return [(CUSTOMER, ZONE, PASSWORD)]


@pytest.fixture(scope="module")
def client(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, auth=(CUSTOMER, PASSWORD), timeout=60) as opened:
        base = [userstate(event_id, DAY + 3600 * n, 1800, 1, n + 1)
                for n, event_id in enumerate(BASE_IDS)]
        assert opened.post("/v2/events", json=base).status_code == 200
        yield opened


def answers(client: httpx.Client) -> list[bytes]:
    found = []
    for path in ANSWERS:
        response = client.get(path)
        assert response.status_code == 200, response.text
        found.append(response.content)
    return found


def send(client: httpx.Client, events: list[dict[str, Any] | str],
         as_array: bool) -> httpx.Response:
    if as_array:
        return client.post("/v2/events", json=events)
    lines = [e if isinstance(e, str) else json.dumps(e) for e in events]
    return client.post("/v2/events", content="\n".join(lines).encode(),
                       headers={"Content-Type": "application/x-ndjson"})


@settings(max_examples=15, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), as_array=st.booleans())
def test_a_batch_with_one_invalid_event_changes_nothing(client: httpx.Client,
                                                        data: st.DataObject,
                                                        as_array: bool) -> None:
    valid = data.draw(valid_events(next(_new_projects)), label="valid events")
    invalid: dict[str, Any] | str = data.draw(
        st.sampled_from(INVALID) if as_array else st.sampled_from([*INVALID, "{not json"]),
        label="invalid event")
    position = data.draw(st.integers(0, len(valid)), label="position")
    batch = [*valid[:position], invalid, *valid[position:]]
    before = answers(client)

    response = send(client, batch, as_array)
    assert response.status_code == 417, response.text
    document = response.json()
    assert document["response"] is None
    assert {error["param"].split(":")[0] for error in document["errors"]} == {
        f"{'element' if as_array else 'line'} {position + 1}"}
    assert answers(client) == before

    stored = send(client, list(valid), as_array)
    assert stored.json() == {"response": {"stored": len(valid)}, "errors": []}
    changed = answers(client)
    assert changed[2] != before[2], "the new project was not registered"
