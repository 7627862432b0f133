"""`/v2/operator/customers/{customer}/...`: what a customer owns besides events and keys.

Projects, queues, users, presets and name mappings of any customer, for the
operator (`ccstats.api.operator`: the same key, the same answers), so that
``ccstats project|queue|user|preset|mapping ... --server URL`` works as with
``--db``. The bodies are read, and the resources shown, as the customer's own
routes do (`ccstats.api.metadata`, `ccstats.api.statistics`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from ccstats.api.bodies import mapping_body, preset_body
from ccstats.api.dependencies import Body, ServiceDep
from ccstats.api.envelope import ok
from ccstats.api.metadata import change_project, change_queue, change_user
from ccstats.api.operator import SECURITY, Operator, documented, with_body
from ccstats.api.schemas import (
    BODY_FAILURES,
    CustomerPath,
    EntityIdPath,
    NameMappingOut,
    NewNameMapping,
    NewPreset,
    Preset,
    Project,
    ProjectChange,
    Queue,
    User,
    UserChange,
)
from ccstats.model import NameMapping

router = APIRouter(prefix="/v2/operator/customers/{customer}", tags=["operator"])
_CHANGED = "The members to change."


def _mapping_out(mapping: NameMapping) -> dict[str, object]:
    return {"source": mapping.source, "kind": str(mapping.kind), "name": mapping.name,
            "targetid": mapping.target_id}


@router.get("/projects", summary="A customer's projects",
            responses=documented(list[Project], 404), openapi_extra=SECURITY)
def projects(customer: CustomerPath, _: Operator, service: ServiceDep) -> Response:
    return ok([found.public() for found in service.projects(customer)])


@router.put("/projects/{project_id}", summary="Change a customer's project: name or status",
            responses=documented(Project, 404, *BODY_FAILURES),
            openapi_extra=with_body(ProjectChange, _CHANGED))
def update_project(customer: CustomerPath, project_id: EntityIdPath, _: Operator, body: Body,
                   service: ServiceDep) -> Response:
    return change_project(service, customer, project_id, body)


@router.get("/queues", summary="A customer's queues",
            responses=documented(list[Queue], 404), openapi_extra=SECURITY)
def queues(customer: CustomerPath, _: Operator, service: ServiceDep) -> Response:
    return ok([found.public() for found in service.queues(customer)])


@router.put("/queues/{queue_id}", summary="Change a customer's queue: name or status",
            responses=documented(Queue, 404, *BODY_FAILURES),
            openapi_extra=with_body(ProjectChange, _CHANGED))
def update_queue(customer: CustomerPath, queue_id: EntityIdPath, _: Operator, body: Body,
                 service: ServiceDep) -> Response:
    return change_queue(service, customer, queue_id, body)


@router.get("/users", summary="A customer's users",
            responses=documented(list[User], 404), openapi_extra=SECURITY)
def users(customer: CustomerPath, _: Operator, service: ServiceDep) -> Response:
    return ok([found.public() for found in service.users(customer)])


@router.put("/users/{user_id}", summary="Change a customer's user: name, kind or status",
            responses=documented(User, 404, *BODY_FAILURES),
            openapi_extra=with_body(UserChange, _CHANGED))
def update_user(customer: CustomerPath, user_id: EntityIdPath, _: Operator, body: Body,
                service: ServiceDep) -> Response:
    return change_user(service, customer, user_id, body)


@router.get("/presets", summary="A customer's column presets",
            responses=documented(list[Preset], 404), openapi_extra=SECURITY)
def presets(customer: CustomerPath, _: Operator, service: ServiceDep) -> Response:
    return ok([found.public() for found in service.presets(customer)])


@router.post("/presets", summary="Create a column preset of a customer",
             responses=documented(Preset, 404, *BODY_FAILURES),
             openapi_extra=with_body(NewPreset, "The preset's name and fields."))
def create_preset(customer: CustomerPath, _: Operator, body: Body,
                  service: ServiceDep) -> Response:
    name, fields = preset_body(body)
    return ok(service.create_preset(customer, name, fields).public())


@router.get("/mappings", summary="A customer's names of an outside system mapped to its "
                                 "projects and users",
            responses=documented(list[NameMappingOut], 404), openapi_extra=SECURITY)
def name_mappings(customer: CustomerPath, _: Operator, service: ServiceDep,
                  source: Annotated[str, Query(description="the outside system")] = "queue_log",
                  ) -> Response:
    return ok([_mapping_out(found) for found in service.name_mappings(customer, source)])


@router.put("/mappings", summary="Map a name of an outside system to a project or user "
                                 "(created, named title, unless it exists)",
            responses=documented(NameMappingOut, 404, *BODY_FAILURES),
            openapi_extra=with_body(NewNameMapping, "The mapping to insert or replace."))
def save_name_mapping(customer: CustomerPath, _: Operator, body: Body,
                      service: ServiceDep) -> Response:
    mapping, title = mapping_body(body)
    service.save_name_mapping(customer, mapping, title)
    return ok(_mapping_out(mapping))
