"""What `/openapi.json` says about bodies: the envelope, what it carries, and request bodies.

These declarations only describe. Handlers render their answers themselves
(`ccstats.render`, `ccstats.api.envelope`) and read request bodies as bytes with
their own checks (`ccstats.api.bodies`, `ccstats.ingest`), so that every problem
is reported in the envelope rather than by the framework. The fuzz tests hold
the server to this description: every answer has a documented status and
conforms to the schema declared for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Generic, Literal, NotRequired, TypeVar

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter
from typing_extensions import TypedDict

from ccstats.catalog import CATALOG
from ccstats.events import (
    ANSWERED_TYPES,
    ID_PATTERN,
    INTERVAL_TYPES,
    MAX_ENTITY_ID,
    MAX_EPOCH,
    MIN_EPOCH,
    QUEUE_CALL,
    SUBTYPES,
)
from ccstats.inbound import INBOUND_FIELDS
from ccstats.kpis import FORMULAS, Source, Unit
from ccstats.model import MAX_NAME_LENGTH, MappingKind, Scope, Status, UserKind
from ccstats.retention import MAX_KEEP_DAYS

T = TypeVar("T")

EntityId = Annotated[int, Field(ge=1, le=MAX_ENTITY_ID)]
Name = Annotated[str, Field(min_length=1, max_length=MAX_NAME_LENGTH, pattern=r"\S")]
KpiName = Annotated[str, Field(json_schema_extra={"enum": [kpi.name for kpi in CATALOG]})]
InboundFieldName = Annotated[str, Field(json_schema_extra={
    "enum": [found.name for found in INBOUND_FIELDS]})]
KpiFormulaName = Annotated[str, Field(json_schema_extra={
    "enum": [formula.name for formula in FORMULAS]})]
_USERSTATES = (SUBTYPES["userstate"] or ("state", ()))[1]


class ErrorItem(BaseModel):
    """One problem: what went wrong, and the option, member or line at fault."""

    model_config = ConfigDict(extra="forbid")
    code: Annotated[str, Field(pattern=r"^error\.[a-z_]+$")]
    message: Annotated[str, Field(min_length=1)]
    param: str | None


class Envelope(BaseModel, Generic[T]):
    """A successful answer: ``{"response": ..., "errors": []}``."""

    model_config = ConfigDict(extra="forbid")
    response: T
    errors: Annotated[list[ErrorItem], Field(max_length=0)]


class Failure(BaseModel):
    """A refused request: ``{"response": null, "errors": [...]}``, at least one error."""

    model_config = ConfigDict(extra="forbid")
    response: None
    errors: Annotated[list[ErrorItem], Field(min_length=1)]


class FieldValue(BaseModel):
    model_config = ConfigDict(extra="forbid")
    field: KpiName
    count: Annotated[int, Field(ge=0)] | None
    sum: Annotated[int, Field(ge=0)] | None


class Record(TypedDict):
    """One record of the statistics answer: only the requested dimensions are present."""

    date: NotRequired[Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$")]]
    time: NotRequired[Annotated[int, Field(ge=0, le=2345)]]
    projectId: NotRequired[EntityId]
    userId: NotRequired[EntityId]
    data: list[FieldValue]
    level: Annotated[int, Field(ge=0, le=3)]


class Kpi(BaseModel):
    model_config = ConfigDict(extra="forbid")
    field: KpiName
    description: str
    count: str | None
    sum: str | None
    unit: str | None


class InboundFieldValue(BaseModel):
    model_config = ConfigDict(extra="forbid")
    field: InboundFieldName
    count: Annotated[int, Field(ge=0)] | None
    sum: Annotated[int, Field(ge=0)] | None


class InboundRecord(TypedDict):
    """One record of the inbound answer: only the requested dimensions are present."""

    date: NotRequired[Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$")]]
    time: NotRequired[Annotated[int, Field(ge=0, le=2345)]]
    projectId: NotRequired[EntityId]
    queueId: NotRequired[EntityId]
    data: list[InboundFieldValue]
    level: Annotated[int, Field(ge=0, le=3)]


class InboundField(BaseModel):
    model_config = ConfigDict(extra="forbid")
    field: InboundFieldName
    description: str
    count: str | None
    sum: str | None
    unit: str | None


class KpiValue(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kpi: KpiFormulaName
    value: Annotated[float, Field(ge=0)] | None
    numerator: Annotated[int, Field(ge=0)]
    denominator: Annotated[int, Field(ge=0)]


class KpiRecord(TypedDict):
    """One record of the KPI answer: only the requested dimensions are present."""

    date: NotRequired[Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$")]]
    time: NotRequired[Annotated[int, Field(ge=0, le=2345)]]
    projectId: NotRequired[EntityId]
    userId: NotRequired[EntityId]
    queueId: NotRequired[EntityId]
    kpis: list[KpiValue]
    level: Annotated[int, Field(ge=0, le=3)]


class KpiDefinition(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kpi: KpiFormulaName
    description: str
    source: Source
    numerator: str
    denominator: str
    unit: Unit


#: A moment as the real-time answers write it: UTC, whole seconds.
UtcSecond = Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")]
Seconds = Annotated[int, Field(ge=0)]
Count = Annotated[int, Field(ge=0)]


class OnlineCall(TypedDict):
    """The user's current call: its latest open, non-stale ``call`` event."""

    direction: Literal["in", "out"]
    since: UtcSecond
    answered: bool
    queueId: Annotated[EntityId | None, Field(
        description="the queue of an open queue call this user answered; null if none")]


class OnlineUser(TypedDict):
    """One user with an open, non-stale ``userstate`` (realtime.md §2)."""

    userId: EntityId
    name: str
    projectId: EntityId
    state: Annotated[str, Field(json_schema_extra={"enum": list(_USERSTATES)})]
    since: UtcSecond
    stateDuration: Seconds
    call: OnlineCall | None


class RealtimeQueue(TypedDict):
    """One queue with an open, non-stale queue call or one that started today
    (realtime.md §2)."""

    queueId: EntityId
    name: str
    projectId: EntityId
    waiting: Count
    longestWait: Seconds | None
    talking: Count
    offered: Count
    answered: Count
    abandoned: Count
    serviceLevel: Annotated[float, Field(ge=0, le=1)] | None
    asa: Annotated[float, Field(ge=0)] | None


class Preset(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: int
    name: str
    fields: list[KpiName]


class Project(BaseModel):
    model_config = ConfigDict(extra="forbid")
    projectid: EntityId
    name: str
    status: Status


class Queue(BaseModel):
    model_config = ConfigDict(extra="forbid")
    queueid: EntityId
    name: str
    status: Status


class User(BaseModel):
    model_config = ConfigDict(extra="forbid")
    userid: EntityId
    name: str
    kind: UserKind
    status: Status


class Stored(BaseModel):
    """The events of the batch (``[]``, an empty array, is an empty batch: 0)."""

    model_config = ConfigDict(extra="forbid")
    stored: Annotated[int, Field(ge=0)]


class KeyOut(BaseModel):
    model_config = ConfigDict(extra="forbid")
    keyid: str
    scopes: list[Scope]


class CreatedKey(KeyOut):
    key: Annotated[str, Field(description="the secret, shown in this answer only")]


class AccessOut(BaseModel):
    model_config = ConfigDict(extra="forbid")
    networks: list[str]
    rateLimit: Annotated[int | None, Field(description="requests per second; null: the "  # noqa: N815
                                                       "server's default")]


class CustomerOut(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    timezone: str
    networks: list[str]
    rateLimit: Annotated[int | None, Field(description="requests per second; null: the "  # noqa: N815
                                                       "server's default")]
    keepDays: Annotated[int | None, Field(description="whole days of events and sums kept "  # noqa: N815
                                                      "before today; null: forever")]


class CreatedCustomer(CustomerOut):
    key: Annotated[str | None, Field(description="the generated key with every scope, shown "
                                                 "in this answer only; null when the "
                                                 "password was chosen")]


class Rebuilt(BaseModel):
    model_config = ConfigDict(extra="forbid")
    events: Annotated[int, Field(ge=0, description="the events whose sums were recomputed")]


class PruneDone(BaseModel):
    model_config = ConfigDict(extra="forbid")
    customer: str
    keepDays: Annotated[int | None, Field(description="its retention; null: forever, "  # noqa: N815
                                                      "nothing was removed")]
    keptFrom: Annotated[str | None, Field(  # noqa: N815
        description="the first local date kept (YYYY-MM-DD); null: forever")]
    events: Annotated[int, Field(ge=0, description="the events removed")]


class BackupWritten(BaseModel):
    model_config = ConfigDict(extra="forbid")
    path: Annotated[str, Field(description="the file written, on the server's machine")]
    bytes: Annotated[int, Field(ge=0, description="its size")]
    events: Annotated[int, Field(ge=0, description="the events it holds")]
    seconds: Annotated[float, Field(ge=0, description="how long the backup took")]


class NameMappingOut(BaseModel):
    """A name of an outside system mapped to a project or user (docs/asterisk.md)."""

    model_config = ConfigDict(extra="forbid")
    source: Annotated[str, Field(description="the outside system, e.g. queue_log")]
    kind: MappingKind
    name: Annotated[str, Field(description="the name as that system writes it")]
    targetid: EntityId


class NewNameMapping(BaseModel):
    source: Annotated[str, Field(min_length=1, description="the outside system, e.g. "
                                                           "queue_log")]
    kind: MappingKind
    name: Annotated[str, Field(min_length=1, description="the name as that system writes it")]
    targetid: EntityId
    title: Annotated[str, Field(min_length=1, description="the name of the project or user, "
                                                          "should it be created")]


class NewBackup(BaseModel):
    path: Annotated[str, Field(description="absolute path ON THE SERVER'S machine of a new "
                                           "file in an existing folder")]


class Health(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Literal["ok"]


class ErasedUser(BaseModel):
    """What erasing a user removed (docs/operations.md, "Erasure")."""

    model_config = ConfigDict(extra="forbid")
    userid: EntityId
    name: Annotated[str, Field(description="the user's name, now erased")]
    events: Annotated[int, Field(ge=0, description="its events removed (queue calls it "
                                                   "answered included)")]
    mappings: Annotated[int, Field(ge=0, description="the names of an outside system "
                                                     "mapped to it, removed")]
    scrub: Annotated[Literal["done", "pending", "running"], Field(description=(
        "done: no file of the store holds the erased rows (DuckDB: the server rewrote its "
        "file); pending (DuckDB): reads under way, or a disk without room for the copy, "
        "kept the server from rewriting its file, which it does at its next start, and a "
        "backup taken meanwhile is written without them; running (ClickHouse): its "
        "mutations that delete them were still running"))]


# path ids ----------------------------------------------------------------------------

def path_id(description: str, pattern: str) -> object:
    """A path id, documented with its form; the handler answers 404 for any other text."""
    return Path(description=description, json_schema_extra={"pattern": pattern})


EventIdPath = Annotated[str, path_id("an event id", ID_PATTERN)]
EntityIdPath = Annotated[str, path_id("a project, queue or user id", r"^\d{1,16}$")]
PresetIdPath = Annotated[str, path_id("a preset id", r"^\d{1,18}$")]
KeyIdPath = Annotated[str, path_id("a key id", r"^[0-9a-f]{8}$")]
CustomerPath = Annotated[str, path_id("a customer name", r"^[a-z0-9-]{1,63}$")]


# request bodies ----------------------------------------------------------------------

class NewProject(BaseModel):
    projectid: EntityId
    name: Name
    status: Status = Status.ACTIVE


class ProjectChange(BaseModel):
    name: Name | None = None
    status: Status | None = None


class NewQueue(BaseModel):
    queueid: EntityId
    name: Name
    status: Status = Status.ACTIVE


class NewUser(BaseModel):
    userid: EntityId
    name: Name
    kind: UserKind = UserKind.AGENT
    status: Status = Status.ACTIVE


class UserChange(BaseModel):
    name: Name | None = None
    kind: UserKind | None = None
    status: Status | None = None


class NewKey(BaseModel):
    scopes: Annotated[list[Scope], Field(min_length=1)]


class AccessChange(BaseModel):
    networks: Annotated[list[str], Field(description="CIDRs such as 203.0.113.0/24; [] for "
                                                     "any network")]


class NewCustomer(BaseModel):
    name: Annotated[str, Field(pattern=r"^[a-z0-9-]{1,63}$")]
    timezone: Annotated[str, Field(description="an IANA time zone")] = "UTC"
    password: Annotated[str | None, Field(min_length=1, description="the key to create the "
                                          "customer with; absent: a generated one")] = None


class CustomerAccessChange(BaseModel):
    networks: Annotated[list[str] | None, Field(description="CIDRs such as 203.0.113.0/24; "
                                                "[] for any network; absent: unchanged")] = None
    rateLimit: Annotated[int | None, Field(  # noqa: N815
        ge=1, le=1_000_000, description="requests per second; null: the server's default; "
                                        "absent: unchanged")] = None
    keepDays: Annotated[int | None, Field(  # noqa: N815
        ge=1, le=MAX_KEEP_DAYS, description="whole days of events and sums kept before "
                                            "today (ccstats prune); null: forever; absent: "
                                            "unchanged")] = None


class NewPreset(BaseModel):
    name: Name
    fields: Annotated[list[KpiName], Field(min_length=1)]


def _inline(schema: Any, definitions: dict[str, Any]) -> Any:
    """`schema` with every ``$ref`` to ``#/$defs/...`` replaced by the definition."""
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _inline(definitions[ref.removeprefix("#/$defs/")], definitions)
        return {key: _inline(value, definitions) for key, value in schema.items()
                if key != "$defs"}
    if isinstance(schema, list):
        return [_inline(item, definitions) for item in schema]
    return schema


def json_schema(kind: Any) -> dict[str, Any]:
    """The self-contained JSON schema of a type (no references)."""
    schema = TypeAdapter(kind).json_schema()
    inlined: dict[str, Any] = _inline(schema, schema.get("$defs", {}))
    return inlined


def _timestamp() -> dict[str, Any]:
    return {"oneOf": [
        {"type": "string", "format": "date-time",
         "description": "ISO-8601 with an offset, 1970-01-01 to 2099-12-31 (UTC)"},
        {"type": "integer", "minimum": MIN_EPOCH, "maximum": MAX_EPOCH - 1,
         "description": "epoch seconds"},
    ]}


def event_schema() -> dict[str, Any]:
    """One event (events-and-kpis.md §1): one object per type, from `ccstats.events`."""
    variants: list[dict[str, Any]] = []
    for event_type, subtype in SUBTYPES.items():
        members: dict[str, Any] = {
            "id": {"type": "string", "pattern": ID_PATTERN},
            "type": {"const": event_type},
            "projectId": {"type": "integer", "minimum": 1, "maximum": MAX_ENTITY_ID},
            "userId": {"type": "integer", "minimum": 1, "maximum": MAX_ENTITY_ID},
        }
        if subtype is not None:
            members[subtype[0]] = {"enum": list(subtype[1])}
        if event_type in INTERVAL_TYPES:
            members |= {"start": _timestamp(),
                        "end": {"oneOf": [_timestamp(), {"type": "null"}],
                                "description": "null while the interval is going on "
                                               "(realtime.md §1)"}}
        else:
            members["time"] = _timestamp()
        if event_type in ANSWERED_TYPES:
            members["answer"] = {"oneOf": [_timestamp(), {"type": "null"}]}
        required = list(members)
        if event_type == QUEUE_CALL:
            members["queueId"] = members["projectId"]
            members["userId"] = {"oneOf": [members["userId"], {"type": "null"}],
                                 "description": "the agent who answered; null if unanswered"}
            required = [name for name in members if name != "userId"]
        variants.append({"type": "object", "title": event_type, "properties": members,
                         "required": required})
    return {"oneOf": variants}


def request_body(schema: dict[str, Any], description: str) -> dict[str, Any]:
    """``openapi_extra`` of a route that reads its JSON body itself."""
    return {"requestBody": {
        "required": True,
        "description": description,
        "content": {"application/json": {"schema": schema}},
    }}


def _drop_null(schema: dict[str, Any]) -> None:
    """``{"anyOf": [X, {"type": "null"}], ...}`` becomes ``{**X, ...}``."""
    variants = schema.get("anyOf")
    if isinstance(variants, list) and {"type": "null"} in variants:
        kept = [variant for variant in variants if variant != {"type": "null"}]
        if len(kept) == 1:
            del schema["anyOf"]
            schema.update(kept[0])


@dataclass(frozen=True, slots=True)
class Link:
    """An OpenAPI link: a 200 of `source` names a resource that `target` takes as `parameter`.

    Operations are ``(method, path)``; `value` is a runtime expression of OpenAPI.
    """

    name: str
    source: tuple[str, str]
    target: tuple[str, str]
    parameter: str
    value: str
    description: str


LINKS = (
    Link("DeleteEvent", ("post", "/v2/events"), ("delete", "/v2/events/{event_id}"),
         "event_id", "$request.body#/0/id",
         "the first event of a batch sent as a JSON array"),
    Link("RevokeKey", ("post", "/v2/keys"), ("delete", "/v2/keys/{key_id}"),
         "key_id", "$response.body#/response/keyid", "the created key"),
    Link("UpdateProject", ("post", "/v2/projects"), ("put", "/v2/projects/{project_id}"),
         "project_id", "$response.body#/response/projectid", "the created project"),
    Link("UpdateUser", ("post", "/v2/users"), ("put", "/v2/users/{user_id}"),
         "user_id", "$response.body#/response/userid", "the created user"),
    Link("UpdateQueue", ("post", "/v2/queues"), ("put", "/v2/queues/{queue_id}"),
         "queue_id", "$response.body#/response/queueid", "the created queue"),
    Link("DeletePreset", ("post", "/v2/statistics/presets"),
         ("delete", "/v2/statistics/presets/{preset_id}"),
         "preset_id", "$response.body#/response", "the created preset"),
)


def _add_links(paths: dict[str, Any]) -> None:
    """Declare `LINKS` on the 200 answers of their sources, naming targets by operationId."""
    for link in LINKS:
        target = paths[link.target[1]][link.target[0]]
        answer = paths[link.source[1]][link.source[0]]["responses"]["200"]
        answer.setdefault("links", {})[link.name] = {
            "operationId": target["operationId"],
            "parameters": {link.parameter: link.value},
            "description": link.description,
        }


def finish(document: dict[str, Any]) -> dict[str, Any]:
    """The generated OpenAPI `document` completed: HTTP Basic, no framework 422, links.

    Every operation requires HTTP Basic (the customer name and one of its keys)
    unless it declares ``security: []``, or the operator key (operator routes:
    ``security: [{"operator": []}]``, a bearer token). The framework documents a 422 for every
    route with parameters; this API answers such problems with 417 instead. An
    optional parameter is absent or text, never null. `LINKS` tell clients (and
    fuzzers) which answer names the id that another operation takes.
    """
    document.setdefault("components", {})["securitySchemes"] = {
        "basic": {"type": "http", "scheme": "basic",
                  "description": "user name: the customer; password: one of its API keys"}}
    document["security"] = [{"basic": []}]
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            if {"operator": []} in operation.get("security", []):
                document["components"]["securitySchemes"]["operator"] = {
                    "type": "http", "scheme": "bearer",
                    "description": "the operator key (ccstats serve --operator-key-file)"}
            operation.get("responses", {}).pop("422", None)
            for parameter in operation.get("parameters", []):
                _drop_null(parameter["schema"])
    for unused in ("HTTPValidationError", "ValidationError"):
        document["components"].get("schemas", {}).pop(unused, None)
    _add_links(document.get("paths", {}))
    return document


_FAILURES: dict[int, str] = {
    401: "no, malformed or wrong credentials",
    403: "the key lacks the scope, or the client's network is not allowed",
    404: "unknown id",
    408: "nothing of the body arrived for the server's --body-timeout seconds",
    413: "the body is larger than the server accepts (once inflated, too)",
    415: "a Content-Encoding other than gzip",
    417: "a missing or invalid option, member or line; every problem is listed",
    429: "over the customer's rate limit, or too many failed logins from this address; "
         "see Retry-After",
    500: "a fault of the server; the message quotes the request id of the log",
    503: "the store cannot save or cannot be reached; nothing was changed; see Retry-After",
}


#: The failures of every route that reads a request body.
BODY_FAILURES = (408, 413, 415, 417)


def responses(model: Any, *failures: int, public: bool = False, text: tuple[str, ...] = (),
              binary: tuple[str, ...] = ()) -> dict[int | str, dict[str, Any]]:
    """``responses=`` of a route: 200 with `model` in the envelope, and its failures.

    Every route may answer 500 and 503; authenticated ones (not `public`) 401, 403
    and 429.
    `text` names further media types of the 200 answer, as plain text; `binary` others,
    as bytes (a file).
    """
    documented: dict[int | str, dict[str, Any]] = {200: {"model": Envelope[model]}}
    if text or binary:
        documented[200]["content"] = {
            **{media: {"schema": {"type": "string"}} for media in text},
            **{media: {"schema": {"type": "string", "format": "binary"}} for media in binary}}
    statuses = {500, 503, *failures} | (set() if public else {401, 403, 429})
    for status in sorted(statuses):
        documented[status] = {"model": Failure, "description": _FAILURES[status]}
    return documented
