"""Reading ahead in a background thread (ccstats.ingest.readahead): the consumer may stop
at any moment, also while the queue is full, and the thread always ends."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from ccstats.ingest.readahead import read_ahead

#: How long the test waits for something that, when right, happens at once.
WATCHDOG_SECONDS = 20


class Source:
    """Three items, then optionally a failure; tells when the producer has taken them all."""

    def __init__(self, failure: BaseException | None = None) -> None:
        self.exhausted = threading.Event()
        self.failure = failure

    def __iter__(self) -> Iterator[int]:
        yield from range(3)
        self.exhausted.set()
        if self.failure is not None:
            raise self.failure


def consume_and_fail(source: Source, finished: threading.Event) -> None:
    """Take one item, wait until the producer has queued the rest (the queue of two is
    then full, and the producer wants to queue its end or its failure), then fail like
    a full disk would."""
    try:
        for _ in read_ahead(source, depth=2):
            assert source.exhausted.wait(WATCHDOG_SECONDS)
            raise OSError("No space left on device")
    except OSError:
        finished.set()


@pytest.mark.parametrize("failure", [None, ValueError("a bad block")],
                         ids=["after the last item", "after a failure"])
def test_a_consumer_failing_while_the_queue_is_full_does_not_hang(
        failure: BaseException | None) -> None:
    source = Source(failure)
    finished = threading.Event()
    consumer = threading.Thread(target=consume_and_fail, args=(source, finished), daemon=True)
    consumer.start()
    consumer.join(WATCHDOG_SECONDS)
    assert not consumer.is_alive(), "read_ahead hangs when its consumer stops"
    assert finished.is_set()


def test_items_and_failures_reach_the_consumer_in_order() -> None:
    assert list(read_ahead(iter(range(10)), depth=2)) == list(range(10))
    source = Source(ValueError("a bad block"))
    seen: list[int] = []
    with pytest.raises(ValueError, match="a bad block"):
        seen.extend(read_ahead(source, depth=1))
    assert seen == [0, 1, 2]
