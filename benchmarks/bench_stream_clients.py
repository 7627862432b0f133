"""Many open real-time streams (metric 6.3), in a process of their own so that reading
them does not slow down the statistics clients of the benchmark's process.

    python benchmarks/bench_stream_clients.py URL COUNT

Opens ``COUNT`` streams ``GET /v2/realtime/stream`` with the benchmark's key (asyncio,
one connection each), prints ``ready`` once every stream has received its first
snapshot (or failed), keeps reading until its standard input is closed, then prints
``{"streams", "errors", "first_errors", "snapshots_min", "snapshots_max",
"snapshots_total", "bytes"}`` as its last line. A stream that fails to open, answers
anything but 200, or ends before standard input is closed is an error. The events are
counted in the raw bytes (``event: snapshot`` lines), not parsed: a client that reads
too slowly is dropped by the server, and this one is to read as fast as it can.
"""

from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import dataclass, field

import httpx

from bench_proc import AUTH
from bench_sse import STREAM

MARK = b"event: snapshot"


@dataclass
class Tally:
    snapshots: list[int]
    size: int = 0
    errors: list[str] = field(default_factory=list)
    first: list[asyncio.Event] = field(default_factory=list)


async def _one(client: httpx.AsyncClient, index: int, tally: Tally, stop: asyncio.Event) -> None:
    tail = b""
    try:
        async with client.stream("GET", STREAM) as response:
            if response.status_code != 200:
                tally.errors.append(f"stream {index}: {response.status_code}")
                return
            async for chunk in response.aiter_raw():
                tally.size += len(chunk)
                text = tail + chunk
                found = text.count(MARK)
                tally.snapshots[index] += found
                if found:
                    tally.first[index].set()
                tail = text[-(len(MARK) - 1):]
        if not stop.is_set():
            tally.errors.append(f"stream {index}: ended by the server")
    except httpx.HTTPError as error:
        if not stop.is_set():
            tally.errors.append(f"stream {index}: {type(error).__name__}: {error}")
    finally:
        tally.first[index].set()


async def _main(url: str, count: int) -> dict[str, object]:
    tally = Tally([0] * count, first=[asyncio.Event() for _ in range(count)])
    stop = asyncio.Event()
    limits = httpx.Limits(max_connections=count + 10, max_keepalive_connections=0)
    timeout = httpx.Timeout(60.0, read=60.0)
    async with httpx.AsyncClient(base_url=url, auth=AUTH, limits=limits,
                                 timeout=timeout) as client:
        tasks = [asyncio.create_task(_one(client, i, tally, stop)) for i in range(count)]
        await asyncio.gather(*(event.wait() for event in tally.first))
        print("ready", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
        stop.set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return {"streams": count, "errors": len(tally.errors), "first_errors": tally.errors[:5],
            "snapshots_min": min(tally.snapshots), "snapshots_max": max(tally.snapshots),
            "snapshots_total": sum(tally.snapshots), "bytes": tally.size}


def main(argv: list[str]) -> int:
    url, count = argv[0], int(argv[1])
    print(json.dumps(asyncio.run(_main(url, count))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
