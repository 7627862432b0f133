"""The package as a user installs it: `python -m build` makes the sdist and, from it, the
wheel; pip installs the wheel into a clean virtual environment, where ``ccstats demo``
serves the dashboard and the API from the installed files alone.

Slow (a build, a venv and every dependency installed into it), so the plain ``pytest``
run leaves it out (marker ``wheel``, deselected in pyproject.toml): ``make test-wheel``
runs it, and ``make test`` runs that beside the mutants.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import time
import tomllib
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from packaging.requirements import Requirement

from ccstats.demo import customer
from test_demo import _free_port

pytestmark = pytest.mark.wheel

ROOT = Path(__file__).resolve().parents[1]
STATIC = ROOT / "src" / "ccstats" / "dashboard" / "static"
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())
VERSION = CONFIG["project"]["version"]
#: What the sdist is built from; the rest of the checkout is not packaged.
SOURCES = ("pyproject.toml", "README.md", "MANIFEST.in", "src")
#: The installed package runs on its own: nothing of this checkout or its venv on its path.
CLEAN_ENV = {name: value for name, value in os.environ.items()
             if name not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"}}


@dataclass(frozen=True)
class Dist:
    """What `python -m build` made."""

    sdist: Path
    wheel: Path


def run(command: list[str | Path], timeout: float, cwd: Path | None = None) -> str:
    """`command`'s output; its exit status must be 0."""
    done = subprocess.run(command, cwd=cwd, env=CLEAN_ENV, capture_output=True, text=True,
                          timeout=timeout, check=False)
    assert done.returncode == 0, f"{command}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def static_files(folder: Path) -> dict[str, bytes]:
    """The dashboard's files under `folder`: relative path -> content."""
    return {path.relative_to(folder).as_posix(): path.read_bytes()
            for path in sorted(folder.rglob("*"))
            if path.is_file() and "__pycache__" not in path.parts}


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Dist:
    """The sdist and the wheel that `python -m build --no-isolation` makes of a copy of the
    sources (so that the checkout stays as it is while other runs read it)."""
    for text in CONFIG["build-system"]["requires"]:
        backend = Requirement(text)
        installed = importlib.metadata.version(backend.name)
        assert backend.specifier.contains(installed), (
            f"building needs {backend}, {installed} is installed: run make install")
    tree = tmp_path_factory.mktemp("tree")
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, tree / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy2(ROOT / name, tree / name)
    out = tmp_path_factory.mktemp("dist")
    run([sys.executable, "-m", "build", "--no-isolation", "--outdir", out, tree], timeout=300)
    shutil.rmtree(tree)
    (sdist,) = out.glob("*.tar.gz")
    (wheel,) = out.glob("*.whl")
    return Dist(sdist, wheel)


@pytest.fixture(scope="module")
def venv(dist: Dist, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The bin folder of a new virtual environment (without the system's site-packages)
    into which pip installed the wheel, its dependencies pinned by constraints.txt; removed
    afterwards (it takes hundreds of megabytes)."""
    home = tmp_path_factory.mktemp("venv")
    try:
        run([sys.executable, "-m", "venv", home], timeout=120)
        run([home / "bin" / "python", "-m", "pip", "install", "--quiet", "-c",
             ROOT / "constraints.txt", dist.wheel], timeout=900)
        yield home / "bin"
    finally:
        shutil.rmtree(home)


def test_the_wheel_holds_the_package_with_its_dashboard_and_nothing_else(dist: Dist) -> None:
    names = zipfile.ZipFile(dist.wheel).namelist()
    assert {name.split("/")[0] for name in names} == {"ccstats", f"ccstats-{VERSION}.dist-info"}
    assert "ccstats/py.typed" in names
    prefix = "ccstats/dashboard/static/"
    packed = {name.removeprefix(prefix) for name in names if name.startswith(prefix)}
    assert packed == set(static_files(STATIC))


def test_the_sdist_holds_no_tests(dist: Dist) -> None:
    with tarfile.open(dist.sdist) as archive:
        names = archive.getnames()
    assert f"ccstats-{VERSION}/src/ccstats/dashboard/static/index.html" in names
    assert [name for name in names if name.split("/")[1:2] == ["tests"]] == []


def test_the_installed_package_is_the_wheel_with_every_dashboard_file(
        venv: Path, tmp_path: Path) -> None:
    printed = run([venv / "python", "-c", "import ccstats.dashboard as d; print(d.STATIC)"],
                  timeout=60, cwd=tmp_path)
    installed = Path(printed.strip())
    assert installed.is_relative_to(venv.parent), installed
    assert static_files(installed) == static_files(STATIC)
    assert "No broken requirements" in run([venv / "python", "-m", "pip", "check"], timeout=60)


@contextmanager
def installed_demo(venv: Path, folder: Path) -> Iterator[tuple[httpx.Client, str]]:
    """`ccstats demo --no-live` of `venv` on a new database in `folder`: a client of it and
    what it printed so far; stopped with SIGTERM afterwards (exit status 0)."""
    port = _free_port()
    log = folder / "demo.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [venv / "ccstats", "demo", "--no-live", "--port", str(port),
             "--db", folder / "demo.duckdb"],
            cwd=folder, env=CLEAN_ENV, stdout=out, stderr=subprocess.STDOUT)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            wait_until_healthy(client, process, log)
            yield client, log.read_text()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0, log.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert "Traceback" not in log.read_text()


def test_the_installed_demo_serves_the_dashboard_and_statistics_and_stops_on_sigterm(
        venv: Path, tmp_path: Path) -> None:
    with installed_demo(venv, tmp_path) as (client, printed):
        check_dashboard(client)
        check_statistics(client, printed)


def wait_until_healthy(client: httpx.Client, process: subprocess.Popen[bytes], log: Path) -> None:
    """Until the demo's server answers /health (it generates its customer first)."""
    deadline = time.monotonic() + 300
    while True:
        assert process.poll() is None and time.monotonic() < deadline, log.read_text()
        try:
            if client.get("/health").status_code == httpx.codes.OK:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)


def check_dashboard(client: httpx.Client) -> None:
    """The page and every file it loads come from the installed package, byte for byte."""
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert page.content == (STATIC / "index.html").read_bytes()
    loaded = re.findall(r'(?:src|href)="/dashboard/([^"]+)"', page.text)
    assert "js/main.js" in loaded and "dashboard.css" in loaded
    for name in [*loaded, "js/api.js"]:
        asset = client.get(f"/dashboard/{name}")
        assert asset.status_code == 200, name
        assert asset.content == (STATIC / name).read_bytes(), name


def check_statistics(client: httpx.Client, printed: str) -> None:
    """The first example the demo prints (per user, four weeks) answers with the published
    key, a row of statistics for most agents."""
    user, key, url = re.findall(r"curl -u (\S+):(\S+) '(\S+)'", printed)[0]
    assert (user, key) == (customer.NAME, customer.PASSWORD)
    host = url.split("/")[2]
    answer = client.get(url.split(host, 1)[1], auth=(user, key), headers={"Host": host})
    assert answer.status_code == 200, answer.text
    rows = answer.json()["response"]
    assert len(rows) > customer.AGENTS // 2 and all(row["data"] for row in rows), rows


#: Run by the installed package's Python: a week of the demo per user, as a DataFrame.
CLIENT_SNIPPET = """
import sys
from datetime import date
from ccstats.client import Client

with Client(sys.argv[1], "demo", "demo-key") as api:
    frame = api.userbased(date.fromisoformat(sys.argv[2]), date.fromisoformat(sys.argv[3]),
                          ["user"], wide=True)
print(len(frame), frame["userId"].dtype)
"""


def test_the_client_extra_installs_and_asks_the_installed_demo(
        dist: Dist, venv: Path, tmp_path: Path) -> None:
    """`ccstats[client]` installs beside the wheel's own dependencies, and the installed
    ``ccstats.client`` reads the installed demo's statistics into a DataFrame."""
    run([venv / "python", "-m", "pip", "install", "--quiet", "-c", ROOT / "constraints.txt",
         f"{dist.wheel}[client]"], timeout=900)
    printed = run([venv / "python", "-c", "import ccstats.client as c; print(c.__file__)"],
                  timeout=60, cwd=tmp_path)
    assert Path(printed.strip()).is_relative_to(venv.parent), printed
    with installed_demo(venv, tmp_path) as (client, said):
        url = re.findall(r"curl -u \S+ '(\S+)'", said)[0]
        first, last = (f"{d[:4]}-{d[4:6]}-{d[6:]}" for d in re.findall(r"=(\d{8})", url)[:2])
        answered = run([venv / "python", "-c", CLIENT_SNIPPET, str(client.base_url), first,
                        last], timeout=120, cwd=tmp_path)
    rows, dtype = answered.split()
    assert int(rows) > customer.AGENTS // 2 and dtype == "Int64", answered
