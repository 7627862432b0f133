"""JSON bodies of the metadata resources: parsed, checked, every problem reported."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

import orjson

from ccstats.api.envelope import invalid
from ccstats.errors import ApiError, bad_arguments, required, wrong_format
from ccstats.events import MAX_ENTITY_ID
from ccstats.model import NAME_RULE, MappingKind, NameMapping, Status, UserKind, valid_name

_E = TypeVar("_E", bound=StrEnum)


def json_object(body: bytes) -> dict[str, object]:
    """The body as a JSON object, or a 417 problem."""
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise invalid([wrong_format("body", "the body must be a JSON object")]) from None
    if not isinstance(value, dict):
        raise invalid([wrong_format("body", "the body must be a JSON object")])
    return value


def _entity_id(body: dict[str, object], member: str, errors: list[ApiError]) -> int:
    value = body.get(member)
    if value is None:
        errors.append(required(member, f"{member} is required: an integer from 1 to "
                                       f"{MAX_ENTITY_ID}"))
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ENTITY_ID:
        errors.append(wrong_format(member, f"{member} must be an integer from 1 to "
                                           f"{MAX_ENTITY_ID}"))
        return 0
    return value


def _name(body: dict[str, object], needed: bool, errors: list[ApiError]) -> str | None:
    value = body.get("name")
    if value is None:
        if needed:
            errors.append(required("name", "name is required: a non-empty string"))
        return None
    if not isinstance(value, str) or not valid_name(value):
        errors.append(wrong_format("name", NAME_RULE))
        return None
    return value


def _choice(body: dict[str, object], member: str, kind: type[_E], default: _E | None,
            errors: list[ApiError]) -> _E | None:
    value = body.get(member)
    allowed = ", ".join(item.value for item in kind)
    if value is None:
        return default
    if not isinstance(value, str) or value not in {item.value for item in kind}:
        errors.append(bad_arguments(member, f"{member} must be one of {allowed}"))
        return None
    return kind(value)


@dataclass(frozen=True, slots=True)
class ProjectBody:
    """A project's or a queue's members (`project_id` is the queue's id for a queue)."""

    project_id: int
    name: str | None
    status: Status | None


@dataclass(frozen=True, slots=True)
class UserBody:
    user_id: int
    name: str | None
    kind: UserKind | None
    status: Status | None


def project_body(body: bytes, project_id: int | None = None,
                 id_member: str = "projectid") -> ProjectBody:
    """A POST body (`project_id` None: `id_member` and ``name`` required) or a PUT body,
    of a project or (``id_member="queueid"``) of a queue."""
    data = json_object(body)
    errors: list[ApiError] = []
    creating = project_id is None
    ident = _entity_id(data, id_member, errors) if creating else project_id
    name = _name(data, creating, errors)
    status = _choice(data, "status", Status, Status.ACTIVE if creating else None, errors)
    if errors:
        raise invalid(errors)
    assert ident is not None
    return ProjectBody(ident, name, status)


def user_body(body: bytes, user_id: int | None = None) -> UserBody:
    """A POST body (`user_id` None: ``userid`` and ``name`` required) or a PUT body."""
    data = json_object(body)
    errors: list[ApiError] = []
    creating = user_id is None
    ident = _entity_id(data, "userid", errors) if creating else user_id
    name = _name(data, creating, errors)
    kind = _choice(data, "kind", UserKind, UserKind.AGENT if creating else None, errors)
    status = _choice(data, "status", Status, Status.ACTIVE if creating else None, errors)
    if errors:
        raise invalid(errors)
    assert ident is not None
    return UserBody(ident, name, kind, status)


def preset_body(body: bytes) -> tuple[str, list[str]]:
    """``{"name": str, "fields": [str, ...]}`` of a new preset."""
    data = json_object(body)
    errors: list[ApiError] = []
    name = _name(data, True, errors)
    fields = data.get("fields")
    if fields is None:
        errors.append(required("fields", "fields is required: a list of KPI names"))
    elif not isinstance(fields, list) or not fields or not all(
            isinstance(f, str) for f in fields):
        errors.append(wrong_format("fields", "fields must be a non-empty list of KPI names"))
    if errors:
        raise invalid(errors)
    assert name is not None and isinstance(fields, list)
    return name, [str(f) for f in fields]


def _text(body: dict[str, object], member: str, errors: list[ApiError]) -> str:
    value = body.get(member)
    if isinstance(value, str) and value:
        return value
    make = required if value is None else wrong_format
    errors.append(make(member, f"{member} is required: a non-empty string"))
    return ""


def mapping_body(body: bytes) -> tuple[NameMapping, str]:
    """``{"source", "kind": "project"|"user", "name", "targetid", "title"}``: a name
    mapping to save, and the name of its project or user should it be created."""
    data = json_object(body)
    errors: list[ApiError] = []
    source = _text(data, "source", errors)
    if data.get("kind") is None:
        errors.append(required("kind", "kind is required: project or user"))
    kind = _choice(data, "kind", MappingKind, None, errors)
    name = _text(data, "name", errors)
    target = _entity_id(data, "targetid", errors)
    title = _text(data, "title", errors)
    if errors or kind is None:
        raise invalid(errors)
    return NameMapping(source, kind, name, target), title
