"""The options of the real-time resources, read with the statistics endpoints' parsers.

``GET /v2/onlineusers``: ``projects``, ``users``, ``hide_system_users``, ``of``;
``GET /v2/realtime/queues``: ``projects``, ``queues``, ``manual_sla``, ``of``;
``GET /v2/realtime/stream``: the options of both but ``of`` (its snapshots are JSON). Forms,
codes and messages are those of the statistics options (`ccstats.options`): an
unknown id is ``error.bad_arguments`` naming the option, and every problem of a
request is reported together. The default is every project (not only the active
ones: realtime.md §2), every user and every queue. Options a resource does not
have are ignored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from ccstats.errors import ApiError, InvalidRequest
from ccstats.model import Project, Queue, User, UserKind
from ccstats.options import (
    DEFAULT_SLA,
    TEXT_FORMATS,
    OutputFormat,
    option,
    parse_boolean,
    parse_ids,
    parse_output,
    parse_sla,
)

T = TypeVar("T")

Ids = frozenset[int] | None
"""The ids a filter keeps; None: every one."""


@dataclass(frozen=True, slots=True)
class UsersQuery:
    """A validated ``GET /v2/onlineusers``."""

    output: OutputFormat
    projects: Ids = None
    users: Ids = None
    hidden: frozenset[int] = frozenset()
    """Users left out whatever `users` says: the system users, with ``hide_system_users``."""


@dataclass(frozen=True, slots=True)
class QueuesQuery:
    """A validated ``GET /v2/realtime/queues``."""

    output: OutputFormat
    projects: Ids = None
    queues: Ids = None
    manual_sla: int = DEFAULT_SLA


def _ids(params: Mapping[str, str], name: str, known: set[int], what: str,
         errors: list[ApiError]) -> Ids:
    found = parse_ids(name, option(params, name), known, errors, what)
    return None if found is None else frozenset(found)


def _output(params: Mapping[str, str], errors: list[ApiError]) -> OutputFormat:
    return parse_output(option(params, "of"), errors, TEXT_FORMATS) or OutputFormat.JSON


def parse_users_query(params: Mapping[str, str], projects: Sequence[Project],
                      users: Sequence[User]) -> UsersQuery:
    """``GET /v2/onlineusers``'s options; raises InvalidRequest with every problem."""
    errors: list[ApiError] = []
    output = _output(params, errors)
    project_ids = _ids(params, "projects", {p.project_id for p in projects}, "project", errors)
    user_ids = _ids(params, "users", {u.user_id for u in users}, "user", errors)
    hide = parse_boolean("hide_system_users", option(params, "hide_system_users"), errors)
    if errors:
        raise InvalidRequest(errors)
    hidden = frozenset(u.user_id for u in users if u.kind is UserKind.SYSTEM) if hide \
        else frozenset()
    return UsersQuery(output, project_ids, user_ids, hidden)


def parse_queues_query(params: Mapping[str, str], projects: Sequence[Project],
                       queues: Sequence[Queue]) -> QueuesQuery:
    """``GET /v2/realtime/queues``'s options; raises InvalidRequest with every problem."""
    errors: list[ApiError] = []
    output = _output(params, errors)
    project_ids = _ids(params, "projects", {p.project_id for p in projects}, "project", errors)
    queue_ids = _ids(params, "queues", {q.queue_id for q in queues}, "queue", errors)
    sla = parse_sla(option(params, "manual_sla"), errors)
    if errors:
        raise InvalidRequest(errors)
    return QueuesQuery(output, project_ids, queue_ids, sla)


@dataclass(frozen=True, slots=True)
class StreamQuery:
    """A validated ``GET /v2/realtime/stream``: the queries of its snapshots' two parts."""

    users: UsersQuery
    queues: QueuesQuery


def parse_stream_query(params: Mapping[str, str], projects: Sequence[Project],
                       users: Sequence[User], queues: Sequence[Queue]) -> StreamQuery:
    """``GET /v2/realtime/stream``'s options; raises InvalidRequest with every problem, a
    problem of an option both parts have (``projects``) once."""
    json_params = {name: value for name, value in params.items() if name != "of"}
    errors: list[ApiError] = []
    users_query = _collected(lambda: parse_users_query(json_params, projects, users), errors)
    queues_query = _collected(lambda: parse_queues_query(json_params, projects, queues),
                              errors)
    if users_query is None or queues_query is None:
        raise InvalidRequest(errors)
    return StreamQuery(users_query, queues_query)


def _collected(parse: Callable[[], T], errors: list[ApiError]) -> T | None:
    """What `parse` returns, or None with its problems added to `errors` (each once)."""
    try:
        return parse()
    except InvalidRequest as rejected:
        errors.extend(error for error in rejected.errors if error not in errors)
        return None
