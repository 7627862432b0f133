"""The operator routes of a running server (`ccstats.api.operator`,
`ccstats.api.operator_entities`), as an `Administration`.

The commands' ``--server URL`` use this in place of the database: the same method
names and answers as `ccstats.service.Service`, and the server's refusals raised
as the service raises them (`NotFound`, `InvalidRequest`, `StoreUnavailable`), so
that a command prints the same either way. What only a server can refuse (a wrong
operator key, too many failed attempts, no operator routes) is an `OperatorRefused`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import quote

import httpx

from ccstats import __version__, upload_client
from ccstats.errors import ApiError, InvalidRequest, NotFound, StoreUnavailable
from ccstats.importers.queue_log.summary import QueueLogSummary
from ccstats.model import (
    MappingKind,
    NameMapping,
    Preset,
    Project,
    Queue,
    Status,
    User,
    UserKind,
)
from ccstats.retention import Pruned
from ccstats.service import UNCHANGED, BackupReport, ImportReport, Unchanged
from ccstats.store.erasure import Erasure, Scrub

PREFIX = "/v2/operator"
#: Seconds to wait for an answer; rebuilding, compacting and pruning wait as long as they
#: take.
TIMEOUT = 120.0


class OperatorRefused(Exception):
    """The server did not do it: a wrong key, too many failed attempts, unreachable..."""


@dataclass(frozen=True, slots=True)
class CustomerInfo:
    name: str
    timezone: str
    networks: tuple[str, ...]
    rate_limit: int | None
    keep_days: int | None


@dataclass(frozen=True, slots=True)
class KeyInfo:
    key_id: str
    scopes: tuple[str, ...]


def _customer(found: dict[str, Any]) -> CustomerInfo:
    return CustomerInfo(found["name"], found["timezone"], tuple(found["networks"]),
                        found["rateLimit"], found["keepDays"])


def _pruned(found: dict[str, Any]) -> Pruned:
    kept_from = found["keptFrom"]
    return Pruned(found["customer"], found["keepDays"],
                  None if kept_from is None else date.fromisoformat(kept_from), found["events"])


def _key(found: dict[str, Any]) -> KeyInfo:
    return KeyInfo(found["keyid"], tuple(found["scopes"]))


def _project(found: dict[str, Any]) -> Project:
    return Project(found["projectid"], found["name"], Status(found["status"]))


def _queue(found: dict[str, Any]) -> Queue:
    return Queue(found["queueid"], found["name"], Status(found["status"]))


def _user(found: dict[str, Any]) -> User:
    return User(found["userid"], found["name"], UserKind(found["kind"]),
                Status(found["status"]))


def _preset(found: dict[str, Any]) -> Preset:
    return Preset(found["id"], found["name"], tuple(found["fields"]))


def _given(**members: str | None) -> dict[str, str]:
    """The members of a change that are given (None: unchanged)."""
    return {member: str(value) for member, value in members.items() if value is not None}


def _owned(customer_name: str, kind: str, ident: int | None = None) -> str:
    """The path of a customer's projects, queues, ... (`ccstats.api.operator_entities`),
    or of one of them."""
    path = f"/customers/{_part(customer_name)}/{kind}"
    return path if ident is None else f"{path}/{ident}"


def _part(text: str) -> str:
    """`text` as one path segment."""
    return quote(text, safe="")


class OperatorClient:
    """A connection to the operator routes of the server at `url`, with operator key `key`."""

    def __init__(self, url: str, key: str, transport: httpx.BaseTransport | None = None) -> None:
        self._url = url.rstrip("/")
        self._http = httpx.Client(
            base_url=self._url, timeout=TIMEOUT, transport=transport,
            headers={"Authorization": f"Bearer {key}",
                     "User-Agent": f"ccstats/{__version__}"})

    def __enter__(self) -> OperatorClient:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # Administration ---------------------------------------------------------------
    def customers(self) -> list[CustomerInfo]:
        return [_customer(found) for found in self._call("GET", "/customers")]

    def create_customer(self, name: str, timezone: str = "UTC", password: str | None = None
                        ) -> str:
        body: dict[str, Any] = {"name": name, "timezone": timezone}
        if password is not None:
            body["password"] = password
        created = self._call("POST", "/customers", json=body)
        return password if password is not None else str(created["key"])

    def set_access(self, customer_name: str, networks: Iterable[str] | None = None,
                   rate_limit: int | Unchanged | None = UNCHANGED,
                   keep_days: int | Unchanged | None = UNCHANGED) -> CustomerInfo:
        body: dict[str, Any] = {}
        if networks is not None:
            body["networks"] = list(networks)
        if not isinstance(rate_limit, Unchanged):
            body["rateLimit"] = rate_limit
        if not isinstance(keep_days, Unchanged):
            body["keepDays"] = keep_days
        path = f"/customers/{_part(customer_name)}/access"
        return _customer(self._call("PUT", path, json=body))

    def create_key(self, customer_name: str, scopes: Iterable[str]) -> tuple[KeyInfo, str]:
        created = self._call("POST", f"/customers/{_part(customer_name)}/keys",
                             json={"scopes": list(scopes)})
        return _key(created), str(created["key"])

    def keys(self, customer_name: str) -> list[KeyInfo]:
        return [_key(found) for found in self._call("GET", f"/customers/"
                                                           f"{_part(customer_name)}/keys")]

    def revoke_key(self, customer_name: str, key_id: str) -> None:
        self._call("DELETE", f"/customers/{_part(customer_name)}/keys/{_part(key_id)}")

    def rebuild(self, customer_name: str | None = None) -> int:
        params = {} if customer_name is None else {"customer": customer_name}
        return int(self._call("POST", "/rebuild", params=params, timeout=None)["events"])

    def compact(self) -> None:
        self._call("POST", "/compact", timeout=None)

    def prune(self, customer_name: str | None = None) -> list[Pruned]:
        params = {} if customer_name is None else {"customer": customer_name}
        return [_pruned(found) for found in self._call("POST", "/prune", params=params,
                                                       timeout=None)]

    def backup(self, destination: str, force: bool = False) -> BackupReport:
        if force:
            raise OperatorRefused("the server never replaces a file: choose a new name")
        found = self._call("POST", "/backup", json={"path": destination}, timeout=None)
        return BackupReport(found["path"], found["bytes"], found["events"], found["seconds"])

    # what customers own besides events ----------------------------------------------
    def projects(self, customer_name: str) -> list[Project]:
        return [_project(found) for found in self._call("GET", _owned(customer_name,
                                                                      "projects"))]

    def update_project(self, customer_name: str, project_id: int, name: str | None = None,
                       status: Status | None = None) -> Project:
        path = _owned(customer_name, "projects", project_id)
        return _project(self._call("PUT", path, json=_given(name=name, status=status)))

    def queues(self, customer_name: str) -> list[Queue]:
        return [_queue(found) for found in self._call("GET", _owned(customer_name, "queues"))]

    def update_queue(self, customer_name: str, queue_id: int, name: str | None = None,
                     status: Status | None = None) -> Queue:
        path = _owned(customer_name, "queues", queue_id)
        return _queue(self._call("PUT", path, json=_given(name=name, status=status)))

    def users(self, customer_name: str) -> list[User]:
        return [_user(found) for found in self._call("GET", _owned(customer_name, "users"))]

    def update_user(self, customer_name: str, user_id: int, name: str | None = None,
                    kind: UserKind | None = None, status: Status | None = None) -> User:
        path = _owned(customer_name, "users", user_id)
        return _user(self._call("PUT", path, json=_given(name=name, kind=kind, status=status)))

    def presets(self, customer_name: str) -> list[Preset]:
        return [_preset(found) for found in self._call("GET", _owned(customer_name,
                                                                     "presets"))]

    def create_preset(self, customer_name: str, name: str, fields: list[str]) -> Preset:
        created = self._call("POST", _owned(customer_name, "presets"),
                             json={"name": name, "fields": fields})
        return _preset(created)

    def name_mappings(self, customer_name: str, source: str) -> list[NameMapping]:
        found = self._call("GET", _owned(customer_name, "mappings"), params={"source": source})
        return [NameMapping(item["source"], MappingKind(item["kind"]), item["name"],
                            item["targetid"]) for item in found]

    def save_name_mapping(self, customer_name: str, mapping: NameMapping, title: str) -> None:
        self._call("PUT", _owned(customer_name, "mappings"), json={
            "source": mapping.source, "kind": str(mapping.kind), "name": mapping.name,
            "targetid": mapping.target_id, "title": title})

    def import_files(self, customer_name: str, paths: list[Path], skip_invalid: bool = False,
                     rejects: Path | None = None, progress: Callable[[int], None] | None = None,
                     ) -> ImportReport:
        """Send NDJSON files in parts and import them as one batch (`ccstats.upload_client`)."""
        if rejects is not None:
            raise OperatorRefused("the server keeps no rejected lines: --rejects is for --db")
        return upload_client.import_files(self._call, customer_name, paths, skip_invalid,
                                          progress)

    def import_logs(self, customer_name: str, paths: list[Path],
                    progress: Callable[[int], None] | None = None) -> QueueLogSummary:
        """Send queue_log files in parts and import them as one batch."""
        return upload_client.import_logs(self._call, customer_name, paths, progress)

    def erase_user(self, customer_name: str, user_id: int) -> Erasure:
        found = self._call("DELETE", f"/customers/{_part(customer_name)}/users/{int(user_id)}",
                           timeout=None)
        return Erasure(found["userid"], found["name"], found["events"], found["mappings"],
                       Scrub(found["scrub"]))

    # the exchange -------------------------------------------------------------------
    def _call(self, method: str, path: str, **options: Any) -> Any:
        """The ``response`` of the envelope; a refusal raised as the service raises it."""
        try:
            answer = self._http.request(method, PREFIX + path, **options)
        except httpx.HTTPError as error:
            raise OperatorRefused(f"cannot reach the server at {self._url}: {error}") from None
        try:
            body = answer.json()
            errors = [ApiError(e["code"], e["message"], e.get("param")) for e in body["errors"]]
        except (ValueError, KeyError, TypeError):
            raise OperatorRefused(f"the server at {self._url} answered {answer.status_code} "
                                  "with no ccstats envelope; is it a ccstats server?") from None
        if answer.status_code == 200 and not errors:
            return body["response"]
        raise self._refusal(answer.status_code, errors)

    def _refusal(self, status: int, errors: list[ApiError]) -> Exception:
        message = "; ".join(error.message for error in errors) or f"status {status}"
        if status == 417:
            return InvalidRequest(errors)
        if status == 404 and errors and errors[0].message.startswith("no such resource"):
            return OperatorRefused(f"the server at {self._url} has no operator routes: start "
                                   "it with --operator-key-file")
        if status == 404:
            return NotFound(message, errors[0].param if errors else None)
        if status == 401:
            return OperatorRefused(f"the server at {self._url} refused the operator key "
                                   "(CCSTATS_OPERATOR_KEY): it is not the key of its "
                                   "--operator-key-file")
        if status == 503:
            return StoreUnavailable(message)
        return OperatorRefused(f"the server at {self._url} answered {status}: {message}")
