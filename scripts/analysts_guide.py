"""Write ``docs/analysts.md`` and its pictures ``docs/analysts/*.png`` (``make guide``).

The guide is made of what this script runs: the demo customer generated for a fixed
"today" (`TODAY`, so that every number and picture comes out the same on every run)
into a temporary database, served by ``ccstats serve`` on a free port, asked with
`ccstats.client`, analysed with pandas and drawn with matplotlib. Each section shows
the source of the functions that ran, a table of their result and the picture.
``--out DIR`` writes the guide into DIR instead (``tests/test_analysts_guide.py``
compares that with the committed one).
"""

from __future__ import annotations

import argparse
import calendar
import inspect
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import matplotlib.style
import pandas as pd
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from ccstats.client import Client
from ccstats.demo.customer import NAME as CUSTOMER
from ccstats.demo.customer import PASSWORD as KEY
from ccstats.demo.customer import demo_range, prepare
from ccstats.service import Service

DOCS = Path(__file__).resolve().parents[1] / "docs"
CCSTATS = Path(sys.executable).parent / "ccstats"
#: The demo's "today": its six weeks are the whole weeks before this Monday's.
TODAY = date(2026, 10, 19)
#: What PNG files record besides the picture: nothing (no software version), so that
#: the same picture gives the same bytes.
PNG_METADATA: dict[str, str | None] = {"Software": None}


# The analyses (their source is what the guide shows) ------------------------------------

def names(url: str, resource: str) -> pd.Series:
    """Names by id from ``GET /v2/users`` or ``GET /v2/queues`` (the client reads
    statistics; the names come from the plain HTTP API)."""
    answer = httpx.get(f"{url}/v2/{resource}", auth=(CUSTOMER, KEY)).raise_for_status()
    listed = pd.DataFrame(answer.json()["response"])
    return listed.set_index(resource.removesuffix("s") + "id")["name"]


def draw(plot: Callable[..., None], path: Path, *data: Any, size: tuple[float, float]) -> None:
    """`plot(*data, figure)` into the PNG file `path`, with matplotlib's default style
    whatever the local matplotlibrc says."""
    with matplotlib.style.context("default"):
        figure = Figure(figsize=size, layout="constrained")
        plot(*data, figure)
        figure.savefig(path, dpi=100, metadata=PNG_METADATA)


def service_level_by_week(api: Client, start: date, end: date,
                          queues: pd.Series) -> pd.DataFrame:
    """Service level per queue and week (Monday to Sunday): calls answered within 30 s
    over calls offered. The API's ``serviceLevel`` per queue and day is rolled up by
    adding numerators and denominators, never by averaging the daily values."""
    daily = api.kpis(start, end, ["queue", "date"], ["serviceLevel"], manual_sla=30,
                     wide=True)
    daily["week"] = daily["date"].dt.to_period("W-SUN").dt.start_time
    weekly = daily.groupby(["queueId", "week"])[
        ["serviceLevel.numerator", "serviceLevel.denominator"]].sum()
    level = weekly["serviceLevel.numerator"] / weekly["serviceLevel.denominator"]
    return level.unstack("week").rename(index=queues)  # a row per queue, a column per week


def plot_service_level(table: pd.DataFrame, figure: Figure) -> None:
    axes = figure.subplots()
    colours = colormaps["tab20"]
    for number, (queue, levels) in enumerate(table.iterrows()):
        axes.plot(levels.index, levels.to_numpy(float), marker="o", label=queue,
                  color=colours(number))
    axes.set_title("Service level per queue and week (answered within 30 s)")
    axes.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    axes.set_xticks(table.columns, [f"{week:%d %b}" for week in table.columns])
    axes.set_xlabel("week from")
    axes.grid(alpha=0.3)
    axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small")


def highest_aht(api: Client, start: date, end: date, users: pd.Series, top: int = 10,
                min_calls: int = 100) -> tuple[pd.DataFrame, float]:
    """The `top` agents by average handle time (talk and after-call work per call
    handled, in seconds) over the period, among those who handled at least `min_calls`
    calls (a few calls make a noisy average); and the AHT of all agents together."""
    agents = api.kpis(start, end, ["user"], ["aht"], hide_system_users=True, wide=True)
    everyone = agents["aht.numerator"].sum() / agents["aht.denominator"].sum()
    busy = agents[agents["aht.denominator"] >= min_calls]
    highest = busy.nlargest(top, "aht.value")
    table = pd.DataFrame({"agent": highest["userId"].map(users),
                          "aht": highest["aht.value"],
                          "calls": highest["aht.denominator"]})
    return table.reset_index(drop=True), float(everyone)


def plot_aht(table: pd.DataFrame, everyone: float, figure: Figure) -> None:
    axes = figure.subplots()
    bars = axes.barh(table["agent"], table["aht"].to_numpy(float), color="tab:blue")
    axes.bar_label(bars, fmt="%.0f", padding=3)
    axes.invert_yaxis()  # the highest on top
    axes.axvline(everyone, color="tab:red", linestyle="--",
                 label=f"all agents together: {everyone:.0f} s")
    axes.set_title(f"The {len(table)} agents with the highest AHT")
    axes.set_xlabel("average handle time (s)")
    figure.legend(loc="outside lower center")


def occupancy_by_hour(api: Client, start: date, end: date,
                      min_hours: float = 1) -> pd.DataFrame:
    """Occupancy (handling time over handling and ready time) per weekday and hour of
    day over the period: the hourly numerators and denominators added up per weekday
    and hour. A row per weekday (Monday first), a column per hour; a cell of less than
    `min_hours` of ready and handling time in all is left empty (too little to tell)."""
    hourly = api.kpis(start, end, ["date", "time"], ["occupancy"], interval=60,
                      hide_system_users=True, wide=True)
    slot = hourly["date"] + pd.to_timedelta(hourly["time"].astype(str))
    hourly["weekday"], hourly["hour"] = slot.dt.day_of_week, slot.dt.hour
    sums = hourly.groupby(["weekday", "hour"])[
        ["occupancy.numerator", "occupancy.denominator"]].sum()
    sums = sums[sums["occupancy.denominator"] >= min_hours * 3600]
    share = sums["occupancy.numerator"] / sums["occupancy.denominator"]
    return share.unstack("hour").rename(index=dict(enumerate(calendar.day_abbr)))


def plot_occupancy(table: pd.DataFrame, figure: Figure) -> None:
    axes = figure.subplots()
    percent = table.to_numpy(float) * 100  # an empty cell is NaN: left blank
    image = axes.imshow(percent, cmap="viridis", aspect="auto")
    cells = pd.DataFrame(percent).stack()  # (row, column): value, without the empty ones
    middle = (cells.min() + cells.max()) / 2
    for (row, column), value in cells.items():
        axes.text(column, row, f"{value:.0f}", ha="center", va="center",
                  color="white" if value < middle else "black", fontsize="small")
    axes.set_xticks(range(len(table.columns)), [f"{hour:02d}" for hour in table.columns])
    axes.set_yticks(range(len(table.index)), table.index)
    axes.set_xlabel("hour of day (local time, from)")
    axes.set_title("Occupancy by weekday and hour (%)")
    figure.colorbar(image, ax=axes, label="occupancy (%)")


# Serving the demo -------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def demo_server(folder: Path) -> Iterator[str]:
    """The URL of ``ccstats serve`` on a new database in `folder` holding the demo
    customer as `prepare` makes it for `TODAY`; stopped when the block ends."""
    db = str(folder / "demo.duckdb")
    service = Service.open(db)
    try:
        prepare(service, TODAY)
    finally:
        service.close()
    port, log = free_port(), folder / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen([str(CCSTATS), "serve", "--db", db, "--port", str(port)],
                                   stdout=output, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, process, log)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path,
                   seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"ccstats serve stopped:\n{log.read_text()}")
        try:
            if httpx.get(f"{url}/health").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    sys.exit(f"ccstats serve did not answer at {url} within {seconds:g} s")


# Writing the guide -------------------------------------------------------------------------

def percent(value: Any) -> str:
    return "" if pd.isna(value) else f"{value:.1%}"


def markdown_table(table: pd.DataFrame) -> str:
    """`table` (cells already the text to show) as a markdown table, its index first."""
    header = [str(table.index.name or ""), *map(str, table.columns)]
    rows = [[str(label), *map(str, cells)]
            for label, cells in zip(table.index, table.to_numpy().tolist(), strict=True)]
    lines = [header, ["---"] * len(header), *rows]
    return "\n".join("| " + " | ".join(cells) + " |" for cells in lines)


def source(*functions: Callable[..., Any], calls: str = "") -> str:
    """A python block of the functions' source, then of `calls`."""
    parts = [inspect.getsource(function) for function in functions]
    return "```python\n" + "\n\n".join([*parts, calls] if calls else parts) + "```"


# How each section's functions are called: the text shown is the code run.
SERVICE_LEVEL = """\
levels = service_level_by_week(api, start, end, queues)
draw(plot_service_level, pictures / "service-level.png", levels, size=(10, 5))
"""
AHT = """\
aht, everyone = highest_aht(api, start, end, users)
draw(plot_aht, pictures / "aht.png", aht, everyone, size=(8, 5))
"""
OCCUPANCY = """\
occupancy = occupancy_by_hour(api, start, end)
draw(plot_occupancy, pictures / "occupancy.png", occupancy, size=(10, 4))
"""


INTRO = """\
# Where analysts work: statistics in pandas

A notebook in prose: three everyday questions answered with the Python client
([client.md](client.md)), pandas and matplotlib. Every code block below is the code
that ran, every table and picture is what it produced: `make guide` (the script
`scripts/analysts_guide.py`) generates the demo customer for a fixed day into a new
database, serves it with `ccstats serve`, runs the functions shown and writes this
page, and `tests/test_analysts_guide.py` checks that the page is still what the code
gives.

The data: the demo's {weeks} weeks from {first} to {last} (customer `demo`, time zone
Europe/Budapest). Each analysis takes a client and the period, each `plot_` function
draws its result into a matplotlib `Figure`:

```python
import calendar
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import matplotlib.style
import pandas as pd
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from ccstats.client import Client

CUSTOMER, KEY = "demo", "demo-key"
PNG_METADATA = {{"Software": None}}   # no matplotlib version in the file
api = Client(url, CUSTOMER, KEY)   # url: e.g. http://127.0.0.1:8000 for `ccstats demo`
start, end = date.fromisoformat("{first}"), date.fromisoformat("{last}")
pictures = Path("analysts")
```

A KPI comes with the two exact integers it is the ratio of ([README][kpis]): to roll
days up into weeks, or hours into hours of the week, add the numerators and the
denominators and divide, as the functions below do; averaging the daily values would
weigh a quiet day like a busy one. The names of queues and agents come from the
plain HTTP API, and `draw` writes a picture:

[kpis]: ../README.md#get-v2statisticsinbound-and-v2statisticskpis

{helpers}

```python
queues, users = names(url, "queues"), names(url, "users")
```
"""


def run(url: str, pictures: Path) -> dict[str, Any]:
    """The sections' calls run against the server at `url`, with the names the guide's
    setup defines; what they defined."""
    span = demo_range(TODAY)
    with Client(url, CUSTOMER, KEY) as api:
        namespace = {**globals(), "api": api, "start": span.first, "end": span.last,
                     "queues": names(url, "queues"), "users": names(url, "users"),
                     "pictures": pictures}
        for calls in (SERVICE_LEVEL, AHT, OCCUPANCY):
            exec(calls, namespace)
    return namespace


def write_guide(url: str, out: Path) -> None:
    """Run the analyses against the server at `url`; write ``out/analysts.md`` and its
    pictures into ``out/analysts/``."""
    pictures = out / "analysts"
    pictures.mkdir(parents=True, exist_ok=True)
    ran = run(url, pictures)
    levels, aht, everyone, occupancy = (ran[name] for name in
                                        ("levels", "aht", "everyone", "occupancy"))
    level_cells = levels.map(percent).rename(columns=lambda week: f"{week:%d %b}")
    level_cells.index.name = "queue \\ week from"
    aht_cells = aht.assign(aht=aht["aht"].map(lambda s: f"{s:.1f}")).set_index("agent")
    aht_cells = aht_cells.rename(columns={"aht": "AHT (s)", "calls": "calls handled"})
    occupancy_cells = occupancy.T.map(percent)
    occupancy_cells.index = [f"{hour:02d}:00" for hour in occupancy_cells.index]
    occupancy_cells.index.name = "hour"
    start, end = ran["start"], ran["end"]
    sections = [
        INTRO.format(weeks=(end - start).days // 7 + 1, first=start, last=end,
                     helpers=source(names, draw)),
        "## Service level per queue per week\n",
        source(service_level_by_week, plot_service_level, calls=SERVICE_LEVEL),
        markdown_table(level_cells),
        "![Service level per queue and week](analysts/service-level.png)\n",
        "## The agents with the highest AHT\n",
        source(highest_aht, plot_aht, calls=AHT),
        markdown_table(aht_cells) + f"\n\nAll agents together: {everyone:.1f} s.",
        "![The agents with the highest AHT](analysts/aht.png)\n",
        "## Occupancy by hour of day\n",
        source(occupancy_by_hour, plot_occupancy, calls=OCCUPANCY),
        "The table has an hour per row (the picture: per column); an empty cell would be "
        "one of less than an hour of agents' time in all.\n\n"
        + markdown_table(occupancy_cells),
        "![Occupancy by weekday and hour](analysts/occupancy.png)",
    ]
    (out / "analysts.md").write_text("\n\n".join(part.rstrip("\n") for part in sections) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DOCS,
                        help="the folder for analysts.md and analysts/*.png (default: docs)")
    out: Path = parser.parse_args().out
    with tempfile.TemporaryDirectory() as folder, demo_server(Path(folder)) as url:
        write_guide(url, out)
    print(out / "analysts.md")


if __name__ == "__main__":
    main()
