"""What `/openapi.json` says about the import routes of the operator
(`ccstats.api.operator_imports`); see `ccstats.api.schemas` for the rest."""

# (the members are named as the JSON names them)
# ruff: noqa: N815

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ccstats.api.schemas import path_id

MAX_FILES = 1000
MAX_NAME = 4096
UPLOAD_ID_PATTERN = r"^[0-9a-f]{32}$"
Count = Annotated[int, Field(ge=0)]


class ImportFile(BaseModel):
    name: Annotated[str, Field(min_length=1, max_length=MAX_NAME,
                               description="the file as the report names it")]
    bytes: Annotated[int, Field(ge=0, description="its size: its parts hold exactly this")]


class NewUpload(BaseModel):
    format: Annotated[Literal["ndjson", "queue_log"], Field(
        description="ndjson: ccstats events; queue_log: an Asterisk queue_log")] = "ndjson"
    skipInvalid: Annotated[bool, Field(
        description="ndjson: store the valid lines and count the invalid ones instead of "
                    "storing nothing")] = False
    files: Annotated[list[ImportFile], Field(
        min_length=1, max_length=MAX_FILES,
        description="the files of the import, in order; their bytes follow one another in "
                    "the parts")]


class UploadOpened(BaseModel):
    model_config = ConfigDict(extra="forbid")
    upload: Annotated[str, Field(pattern=UPLOAD_ID_PATTERN, description="the upload's id")]
    maxPartBytes: Annotated[int, Field(ge=1, description="the largest part the server takes "
                                                         "(its --max-body-bytes)")]
    idleSeconds: Annotated[float, Field(gt=0, description="an upload that no request touches "
                                                          "for this long is removed")]


class PartStored(BaseModel):
    model_config = ConfigDict(extra="forbid")
    part: Annotated[int, Field(ge=1, description="the part's number")]
    received: Annotated[int, Field(ge=1, description="the bytes received so far")]
    bytes: Annotated[int, Field(ge=1, description="the bytes declared in all")]


class ImportProblem(BaseModel):
    model_config = ConfigDict(extra="forbid")
    file: str
    unit: Literal["line", "element"]
    line: Annotated[int, Field(ge=1)]
    member: str | None
    code: Annotated[str, Field(pattern=r"^error\.[a-z_]+$")]
    message: str


class NdjsonImported(BaseModel):
    """What an NDJSON import did, as `ccstats import` reports it."""

    model_config = ConfigDict(extra="forbid")
    format: Literal["ndjson"]
    stored: Annotated[Count, Field(description="events stored (0 if any line is invalid and "
                                               "skipInvalid is false)")]
    accepted: Annotated[Count, Field(description="valid lines")]
    lines: Count
    rejected: Annotated[Count, Field(description="invalid lines")]
    problems: Annotated[list[ImportProblem], Field(description="the first problems")]


class MalformedLine(BaseModel):
    model_config = ConfigDict(extra="forbid")
    file: str
    line: Annotated[int, Field(ge=1)]


class QueueLogImported(BaseModel):
    """What a queue_log import did, as `ccstats import --format queue_log` reports it."""

    model_config = ConfigDict(extra="forbid")
    format: Literal["queue_log"]
    lines: Count
    records: Count
    malformed: Annotated[list[MalformedLine], Field(description="the first lines that are no "
                                                                "queue_log line (skipped)")]
    malformedCount: Count
    inbound: Count
    outbound: Count
    userstates: Count
    stored: Count
    openCalls: Count
    openSessions: Count
    openPauses: Count
    lostCalls: Count
    implausible: Annotated[list[Annotated[int, Field(ge=1)]], Field(
        description="the first lines of calls longer than a day (not imported)")]
    implausibleCount: Count
    unknown: Annotated[dict[str, Count], Field(description="unknown events by name")]


Imported = NdjsonImported | QueueLogImported

UploadPath = Annotated[str, path_id("an upload id (from the opening's answer)",
                                    UPLOAD_ID_PATTERN)]
PartPath = Annotated[str, path_id("a part number: 1, 2, ... in order", r"^[1-9]\d{0,8}$")]


def binary_body(description: str) -> dict[str, Any]:
    """``openapi_extra`` of a route that takes raw bytes."""
    return {"requestBody": {
        "required": True,
        "description": description,
        "content": {"application/octet-stream": {"schema": {"type": "string",
                                                            "format": "binary"}}},
    }}
