"""Queues become projects and members become users, through a stored mapping.

The mapping is kept per customer under the source ``queue_log`` (see
`ccstats.store.base.Store.name_mappings`) and keyed by the name exactly as the
log writes it. A name seen for the first time gets the next free id; a member
whose display name is already mapped (``Agent/1127`` after
``Local/1127@callback-agent``: both are agent 1127) gets the same user. Projects
and users created here are named after the queue and the member's display name.
New names are mapped within the batch that stores the import's events
(`ccstats.store.base.NameMapper`), so they are stored with it or not at all.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet

from ccstats.administration import Administration
from ccstats.errors import InvalidRequest, bad_arguments
from ccstats.events import MAX_ENTITY_ID
from ccstats.model import MappingKind, NameMapping
from ccstats.store.base import NameMapper

SOURCE = "queue_log"
#: The queue field of agent-wide lines (logins, PAUSEALL, PBXware's outbound calls).
NO_QUEUE = "NONE"
NO_QUEUE_PROJECT_NAME = "No queue"

_TECHNOLOGY = re.compile(r"^[A-Za-z0-9_]+/")


def member_display_name(member: str) -> str:
    """What a member is called: ``Local/2004@from-internal/n`` → ``2004``, ``SIP/2004`` →
    ``2004``, ``Agent/1127`` → ``1127``; a configured member name stays as it is."""
    name = _TECHNOLOGY.sub("", member, count=1)
    name = name.split("@", 1)[0]
    name = re.sub(r"/n$", "", name)
    return name or member


def queue_display_name(queue: str) -> str:
    return NO_QUEUE_PROJECT_NAME if queue == NO_QUEUE else queue


def display_name(kind: MappingKind, name: str) -> str:
    return member_display_name(name) if kind is MappingKind.USER else queue_display_name(name)


class NameMap:
    """The customer's queue → project and member → user ids, extended as names appear."""

    def __init__(self, mapper: NameMapper) -> None:
        self._mapper = mapper
        self._ids: dict[tuple[MappingKind, str], int] = {}

    def project(self, queue: str) -> int:
        """The project of `queue` (a new one if it has none yet)."""
        return self._id(MappingKind.PROJECT, queue)

    def user(self, member: str) -> int:
        """The user of `member` (a new one if it has none yet)."""
        return self._id(MappingKind.USER, member)

    def _id(self, kind: MappingKind, name: str) -> int:
        if (kind, name) not in self._ids:
            self.add(*(([name], []) if kind is MappingKind.PROJECT else ([], [name])))
        return self._ids[(kind, name)]

    def add(self, queues: Iterable[str], members: Iterable[str]) -> None:
        """Look up the ids of queues and members; every new one gets an id, stored with
        its project or user in the mapper's batch."""
        for kind, names in ((MappingKind.PROJECT, queues), (MappingKind.USER, members)):
            new = [name for name in dict.fromkeys(names) if (kind, name) not in self._ids]
            if new:
                found = self._mapper.map_names(SOURCE, kind, new,
                                               functools.partial(choose_id, kind))
                self._ids.update(((kind, name), target) for name, target in found.items())


def choose_id(kind: MappingKind, name: str, mapped: Mapping[str, int],
              taken: AbstractSet[int]) -> tuple[int, str]:
    """The id of a new queue or member (`ccstats.store.base.ChooseId`): a member whose
    display name is mapped already is that user; any other name gets the next free id."""
    wanted = member_display_name(name)
    same = [target for other, target in sorted(mapped.items())
            if kind is MappingKind.USER and member_display_name(other) == wanted]
    target = same[0] if same else max([*taken, *mapped.values()], default=0) + 1
    return target, display_name(kind, name)


def set_mapping(service: Administration, customer_name: str, kind: str, name: str,
                target_id: int) -> NameMapping:
    """Map queue or member `name` to `target_id` (`ccstats mapping set`), in the database
    or on a running server (`service` is either)."""
    problems = []
    if kind not in ("queue", "member"):
        problems.append(bad_arguments("kind", f"expected queue or member; got {kind!r}"))
    if not name:
        problems.append(bad_arguments("name", "the queue or member name must not be empty"))
    if not 1 <= target_id <= MAX_ENTITY_ID:
        problems.append(bad_arguments("id", f"an id is an integer from 1 to {MAX_ENTITY_ID}; "
                                            f"got {target_id}"))
    if problems:
        raise InvalidRequest(problems)
    mapping = NameMapping(SOURCE, MappingKind.PROJECT if kind == "queue" else MappingKind.USER,
                          name, target_id)
    service.save_name_mapping(customer_name, mapping, display_name(mapping.kind, name))
    return mapping


def listed(service: Administration, customer_name: str) -> list[tuple[NameMapping, str]]:
    """The stored mappings with the current name of their project or user."""
    projects = {p.project_id: p.name for p in service.projects(customer_name)}
    users = {u.user_id: u.name for u in service.users(customer_name)}
    return [(m, (projects if m.kind is MappingKind.PROJECT else users).get(m.target_id, ""))
            for m in service.name_mappings(customer_name, SOURCE)]
