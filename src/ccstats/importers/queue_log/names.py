"""Queues become projects and members become users, through a stored mapping.

The mapping is kept per customer under the source ``queue_log`` (see
`ccstats.store.base.Store.name_mappings`) and keyed by the name exactly as the
log writes it. A name seen for the first time gets the next free id; a member
whose display name is already mapped (``Agent/1127`` after
``Local/1127@callback-agent``: both are agent 1127) gets the same user. Projects
and users created here are named after the queue and the member's display name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ccstats.errors import QueryRejected, bad_arguments
from ccstats.events import MAX_ENTITY_ID
from ccstats.model import MappingKind, NameMapping, Project, Status, User, UserKind
from ccstats.service import Service

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

    def __init__(self, service: Service, customer_name: str) -> None:
        self._service = service
        self._customer_id = service.customer(customer_name).customer_id
        self._ids: dict[tuple[MappingKind, str], int] = {
            (m.kind, m.name): m.target_id
            for m in service.store.name_mappings(self._customer_id, SOURCE)
        }

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
        """Give every new queue and member an id (stored at once, with its project or user)."""
        for kind, names in ((MappingKind.PROJECT, queues), (MappingKind.USER, members)):
            for name in dict.fromkeys(names):
                if (kind, name) not in self._ids:
                    self._assign(kind, name, self._same_person(kind, name) or self._next_id(kind))

    def _same_person(self, kind: MappingKind, name: str) -> int | None:
        if kind is not MappingKind.USER:
            return None
        wanted = member_display_name(name)
        return next((target for (k, other), target in sorted(self._ids.items())
                     if k is kind and member_display_name(other) == wanted), None)

    def _next_id(self, kind: MappingKind) -> int:
        store, c = self._service.store, self._customer_id
        taken = [p.project_id for p in store.projects(c)] if kind is MappingKind.PROJECT \
            else [u.user_id for u in store.users(c)]
        taken += [target for (k, _), target in self._ids.items() if k is kind]
        return max(taken, default=0) + 1

    def _assign(self, kind: MappingKind, name: str, target_id: int) -> None:
        save(self._service, self._customer_id, NameMapping(SOURCE, kind, name, target_id))
        self._ids[(kind, name)] = target_id


def save(service: Service, customer_id: int, mapping: NameMapping) -> None:
    """Store `mapping`, creating its project or user (named after the name) if it is new."""
    store = service.store
    name = display_name(mapping.kind, mapping.name)
    if mapping.kind is MappingKind.PROJECT:
        if all(p.project_id != mapping.target_id for p in store.projects(customer_id)):
            store.save_project(customer_id, Project(mapping.target_id, name, Status.ACTIVE))
    elif all(u.user_id != mapping.target_id for u in store.users(customer_id)):
        store.save_user(customer_id, User(mapping.target_id, name, UserKind.AGENT,
                                          Status.ACTIVE))
    store.save_name_mapping(customer_id, mapping)


def set_mapping(service: Service, customer_name: str, kind: str, name: str,
                target_id: int) -> NameMapping:
    """Map queue or member `name` to `target_id` (`ccstats mapping set`)."""
    problems = []
    if kind not in ("queue", "member"):
        problems.append(bad_arguments("kind", f"expected queue or member; got {kind!r}"))
    if not name:
        problems.append(bad_arguments("name", "the queue or member name must not be empty"))
    if not 1 <= target_id <= MAX_ENTITY_ID:
        problems.append(bad_arguments("id", f"an id is an integer from 1 to {MAX_ENTITY_ID}; "
                                            f"got {target_id}"))
    if problems:
        raise QueryRejected(problems)
    customer_id = service.customer(customer_name).customer_id
    mapping = NameMapping(SOURCE, MappingKind.PROJECT if kind == "queue" else MappingKind.USER,
                          name, target_id)
    save(service, customer_id, mapping)
    return mapping


def listed(service: Service, customer_name: str) -> list[tuple[NameMapping, str]]:
    """The stored mappings with the current name of their project or user."""
    customer_id = service.customer(customer_name).customer_id
    store = service.store
    projects = {p.project_id: p.name for p in store.projects(customer_id)}
    users = {u.user_id: u.name for u in store.users(customer_id)}
    return [(m, (projects if m.kind is MappingKind.PROJECT else users).get(m.target_id, ""))
            for m in store.name_mappings(customer_id, SOURCE)]
