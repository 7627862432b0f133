"""Fixtures of the tests of `ccstats.client`: a real ``ccstats serve`` holding data to ask.

- `server`: the module's server (`api.conftest.launch`), customer ``mycc``
  (Europe/Budapest), holding the seed example's 32 events and the README's six
  queue calls, posted with plain httpx (not the client under test).
- `raw`: an httpx client of that server with the customer's key, for the answers
  the client's frames are compared with.
- `api`: the `Client` under test, on the same server.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from api.conftest import SEED_DIR, Launcher, launch
from ccstats.client import Client
from conftest import README_QUEUE_CALLS as QUEUE_CALLS

__all__ = ["launch"]  # the fixture, re-exported for this folder's tests

CUSTOMER, ZONE, PASSWORD = "mycc", "Europe/Budapest", "mycc-pass"


def seed_events() -> bytes:
    path = Path(SEED_DIR) / "events.ndjson"
    if not path.is_file():
        pytest.fail(f"seed fixture not found at {path}; clone the repository next to shared/")
    return path.read_bytes()


@pytest.fixture(scope="module")
def server(launch: Launcher) -> str:
    """The module's server, with the seed example and the six queue calls stored."""
    url = launch([(CUSTOMER, ZONE, PASSWORD)], {}, [])
    body = seed_events() + b"".join(orjson.dumps(call) + b"\n" for call in QUEUE_CALLS)
    posted = httpx.post(f"{url}/v2/events", content=body, auth=(CUSTOMER, PASSWORD),
                        timeout=60)
    assert posted.status_code == 200, posted.text
    return url


@pytest.fixture(scope="module")
def raw(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, auth=(CUSTOMER, PASSWORD), timeout=60) as opened:
        yield opened


@pytest.fixture(scope="module")
def api(server: str) -> Iterator[Client]:
    with Client(server, CUSTOMER, PASSWORD) as opened:
        yield opened
