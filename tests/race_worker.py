"""One ccstats process of a cross-process race (see `concurrency.hold_first_change`).

    python race_worker.py URL create_customer NAME
    python race_worker.py URL revoke_key CUSTOMER KEYID

Before its first change to the store it prints ``ready`` and waits for a line on
stdin, so that the test can let every process read before any writes. Then it
prints one JSON line: ``{"ok": ...}`` (the secret of a created customer, or
true), ``{"refused": message}`` or ``{"busy": message}``.
"""

from __future__ import annotations

import sys

import orjson

from ccstats.errors import InvalidRequest, StoreBusy
from ccstats.service import Service
from concurrency import hold_first_change


def _ready() -> None:
    print("ready", flush=True)
    sys.stdin.readline()


def main(url: str, operation: str, *args: str) -> None:
    service = Service.open(url)
    try:
        hold_first_change(service._store, _ready)
        try:
            if operation == "create_customer":
                result: object = service.create_customer(args[0], "UTC")
            else:
                service.revoke_key(args[0], args[1])
                result = True
            outcome = {"ok": result}
        except InvalidRequest as error:
            outcome = {"refused": str(error)}
        except StoreBusy as error:
            outcome = {"busy": str(error)}
        print(orjson.dumps(outcome).decode(), flush=True)
    finally:
        service.close()


if __name__ == "__main__":
    main(*sys.argv[1:])
