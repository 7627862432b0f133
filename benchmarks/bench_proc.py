"""Processes of the benchmark: timed CLI runs and `ccstats serve` instances.

Every process started here is registered with a `Processes` registry, which
stops whatever is still running when it is closed (the runner closes it in a
``finally``, also on Ctrl-C or SIGTERM), so a failed or interrupted benchmark
leaves no server behind.
"""

from __future__ import annotations

import json
import resource
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import NamedTuple

import httpx

CCSTATS = Path(sys.executable).parent / "ccstats"
HERE = Path(__file__).resolve().parent
CUSTOMER = "bench"
PASSWORD = "pw"
AUTH = (CUSTOMER, PASSWORD)
STARTUP_SECONDS = 300.0  # opening a large store may take a while on a loaded machine
STEP_TIMEOUT_S = 1800.0


class BenchmarkError(Exception):
    """A step failed; the message says which and what to do."""


class Timing(NamedTuple):
    wall: float  # seconds
    cpu: float  # user + system seconds of the process and its children


def run(argv: list[str], what: str, timeout: float = STEP_TIMEOUT_S,
        env: Mapping[str, str] | None = None) -> tuple[Timing, str]:
    """Run ``argv`` to its end (with environment ``env``, else this process's); return
    its timing and its output (stdout then stderr)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    try:
        done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=timeout,
                              env=env)
    except subprocess.TimeoutExpired:
        raise BenchmarkError(f"{what} did not finish within {timeout:.0f} s") from None
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    if done.returncode != 0:
        output = (done.stderr or done.stdout).strip()
        raise BenchmarkError(f"{what} failed (exit {done.returncode}):\n{output[-3000:]}")
    return Timing(wall, cpu), done.stdout + done.stderr


def run_json(argv: list[str], what: str, timeout: float = STEP_TIMEOUT_S) -> dict[str, object]:
    """Run a helper that prints one JSON object as its last line of stdout."""
    _, output = run(argv, what, timeout)
    for line in reversed(output.splitlines()):
        if line.startswith("{"):
            value = json.loads(line)
            if isinstance(value, dict):
                return value
    raise BenchmarkError(f"{what} printed no JSON result:\n{output[-2000:]}")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def rss_bytes(pid: int) -> int:
    """Resident set size of process ``pid`` (VmRSS), or 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


@dataclass
class Server:
    """A running `ccstats serve` on a free port of 127.0.0.1."""

    process: subprocess.Popen[bytes]
    url: str
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def client(self, timeout: float = 120.0) -> httpx.Client:
        return httpx.Client(base_url=self.url, auth=AUTH, timeout=timeout)


@dataclass
class Processes:
    """Registry of the servers started; `close` stops those still running."""

    servers: list[Server] = field(default_factory=list)

    def serve(self, db: Path | str, log: Path, options: Sequence[str] = ()) -> Server:
        """Start `ccstats serve --db DB [OPTIONS]` on a free port; return once /health
        answers 200.

        The load tests send more than the default per-customer rate: no rate limit.
        """
        for _ in range(3):  # another process may take the free port before the server binds it
            port = free_port()
            url = f"http://127.0.0.1:{port}"
            with log.open("wb") as out:
                process = subprocess.Popen(
                    [str(CCSTATS), "serve", "--db", str(db), "--port", str(port),
                     "--rate-limit", "0", *options],
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            server = Server(process, url, log)
            self.servers.append(server)
            if _wait_healthy(server):
                return server
            self.stop(server)
            if b"address already in use" not in log.read_bytes().lower():
                break
        text = log.read_text(errors="replace")[-3000:]
        raise BenchmarkError(f"ccstats serve --db {db} did not start (log {log}):\n{text}")

    def stop(self, server: Server) -> None:
        process = server.process
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=20)
        if server in self.servers:
            self.servers.remove(server)

    def close(self) -> None:
        for server in list(self.servers):
            self.stop(server)

    def __enter__(self) -> Processes:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()


def _wait_healthy(server: Server) -> bool:
    """True once the server answers /health; False if it exited first."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            return False
        try:
            if httpx.get(f"{server.url}/health", timeout=2.0).status_code == 200:
                return True
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise BenchmarkError(
        f"ccstats serve did not answer /health within {STARTUP_SECONDS:.0f} s (log {server.log})"
    )


class RssSampler:
    """Samples a process's RSS every ``period`` seconds in a thread; keeps the peak."""

    def __init__(self, pid: int, period: float = 0.05) -> None:
        self.pid = pid
        self.period = period
        self.peak = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_bytes(self.pid))
            self.samples += 1
            self._stop.wait(self.period)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_bytes(self.pid))
