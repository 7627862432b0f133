"""The demo customer that `ccstats demo` (and `make run`) serves.

Six weeks of generated events and queue calls (see `ccstats.demo`) ending on the last full week
before today, for a few dozen agents on several projects, two system users and
one inactive project, all with readable names. Preparing it is idempotent: an
existing demo customer is left as it is. The demo keeps a database of its own
(`ccstats demo` refuses one holding other customers).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ccstats.demo.output import write_file
from ccstats.demo.queues import queue_ids
from ccstats.model import Project, Status, UserKind
from ccstats.service import Service

NAME = "demo"
PASSWORD = "demo-key"
TIMEZONE = "Europe/Budapest"
AGENTS = 36
PROJECTS = 6
WEEKS = 6
SEED = 2024

PROJECT_NAMES = (
    "Outbound Sales", "Renewals", "Customer Care", "Collections", "Win-back (paused)",
    "Inbound Hotline",
)
FIRST_NAMES = (
    "Anna", "Bence", "Csilla", "Dániel", "Eszter", "Ferenc", "Gabriella", "Hanna", "István",
    "Júlia", "Katalin", "László", "Márta", "Nóra", "Olivér", "Péter", "Réka", "Sándor",
    "Tamás", "Viktória", "Zoltán", "Ágnes", "Balázs", "Dóra", "Emese", "Gergely", "Ilona",
    "Kristóf", "Lilla", "Máté", "Noémi", "Orsolya", "Patrik", "Rita", "Szabolcs", "Tímea",
)
INACTIVE_PROJECT = 5


@dataclass(frozen=True, slots=True)
class DemoData:
    first: dt.date
    last: dt.date


def demo_range(today: dt.date) -> DemoData:
    """Six whole weeks (Monday to Sunday) ending before the current week."""
    this_monday = today - dt.timedelta(days=today.weekday())
    first = this_monday - dt.timedelta(weeks=WEEKS)
    return DemoData(first, this_monday - dt.timedelta(days=1))


def queue_names() -> list[tuple[int, str]]:
    """``(queueId, name)`` of the queues of the demo's queue calls, in id order: each
    named after its project and its part of the project's calls."""
    return [(queue_id, f"{PROJECT_NAMES[project - 1]}: {label}")
            for project in range(1, PROJECTS + 1)
            for queue_id, label in queue_ids(project, PROJECTS)]


def other_customers(service: Service) -> list[str]:
    """The customers of the service's database besides the demo's.

    The demo serves a published key holding every scope, so it must not share a
    database with real customers.
    """
    return [found.name for found in service.customers() if found.name != NAME]


def prepare(service: Service, today: dt.date | None = None) -> tuple[DemoData, bool]:
    """Create and fill the demo customer unless it exists; returns its range and whether
    it was created now."""
    span = demo_range(today or dt.date.today())
    if any(found.name == NAME for found in service.customers()):
        return span, False
    service.create_customer(NAME, TIMEZONE, PASSWORD)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "demo.ndjson"
        write_file(path, seed=SEED, agents=AGENTS, projects=PROJECTS,
                   days=(span.last - span.first).days + 1, start=span.first, timezone=TIMEZONE,
                   queue_calls=True)
        service.import_files(NAME, [path])
    _name(service)
    return span, True


def _name(service: Service) -> None:
    """Readable names for the projects, users and queues of the imported events."""
    for queue_id, title in queue_names():
        service.update_queue(NAME, queue_id, title)
    registered = {found.project_id for found in service.projects(NAME)}
    for project_id, title in enumerate(PROJECT_NAMES, start=1):
        status = Status.INACTIVE if project_id == INACTIVE_PROJECT else Status.ACTIVE
        if project_id in registered:
            service.update_project(NAME, project_id, title, status)
        else:
            service.create_project(NAME, Project(project_id, title, status))
    for user in service.users(NAME):
        if user.user_id <= AGENTS:
            service.update_user(NAME, user.user_id,
                                FIRST_NAMES[(user.user_id - 1) % len(FIRST_NAMES)],
                                UserKind.AGENT, Status.ACTIVE)
        else:
            service.update_user(NAME, user.user_id, f"Dialler {user.user_id - AGENTS}",
                                UserKind.SYSTEM, Status.ACTIVE)
