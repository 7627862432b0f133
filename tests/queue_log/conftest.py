"""Fixtures of the queue_log tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from backends import drop_database, new_database
from ccstats.service import Service
from conftest import CUSTOMER


@pytest.fixture
def plain(tmp_path: Path) -> Iterator[Service]:
    """A second database, for a plain import of what a follower reads."""
    url = new_database(tmp_path, "plain")
    opened = Service.open(url)
    try:
        opened.create_customer(CUSTOMER, "UTC", "pw")
        yield opened
    finally:
        opened.close()
        drop_database(url)
