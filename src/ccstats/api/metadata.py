"""`/v2/projects`, `/v2/queues` and `/v2/users`."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from ccstats.api.bodies import project_body, user_body
from ccstats.api.dependencies import Admin, Body, Reader, ServiceDep
from ccstats.api.envelope import not_found, ok
from ccstats.api.schemas import (
    BODY_FAILURES,
    EntityIdPath,
    NewProject,
    NewQueue,
    NewUser,
    ProjectChange,
    UserChange,
    json_schema,
    request_body,
    responses,
)
from ccstats.api.schemas import Project as ProjectOut
from ccstats.api.schemas import Queue as QueueOut
from ccstats.api.schemas import User as UserOut
from ccstats.digits import parse_digits
from ccstats.model import Project, Queue, Status, User, UserKind
from ccstats.service import Service

router = APIRouter(prefix="/v2", tags=["projects, queues and users"])


def entity_id(text: str, what: str) -> int:
    """The id of a path (`EntityIdPath`) naming a `what` (project, queue, user): any other
    text is unknown (404)."""
    number = parse_digits(text, 16)
    if number is None:
        raise not_found(f"unknown {what} {text[:40]!r}", f"{what}_id")
    return number


def change_project(service: Service, customer_name: str, project_id: str, body: bytes
                   ) -> Response:
    """Change what `body` gives of a project (here and among the operator's routes)."""
    ident = entity_id(project_id, "project")
    given = project_body(body, ident)
    return ok(service.update_project(customer_name, ident, given.name, given.status).public())


def change_queue(service: Service, customer_name: str, queue_id: str, body: bytes) -> Response:
    """Change what `body` gives of a queue (here and among the operator's routes)."""
    ident = entity_id(queue_id, "queue")
    given = project_body(body, ident)
    return ok(service.update_queue(customer_name, ident, given.name, given.status).public())


def change_user(service: Service, customer_name: str, user_id: str, body: bytes) -> Response:
    """Change what `body` gives of a user (here and among the operator's routes)."""
    ident = entity_id(user_id, "user")
    given = user_body(body, ident)
    return ok(service.update_user(customer_name, ident, given.name, given.kind,
                                  given.status).public())


@router.get("/projects", summary="Projects", responses=responses(list[ProjectOut]))
def projects(tenant: Reader, service: ServiceDep) -> Response:
    return ok([p.public() for p in service.projects(tenant.customer.name)])


@router.post("/projects", summary="Create a project",
             responses=responses(ProjectOut, *BODY_FAILURES),
             openapi_extra=request_body(json_schema(NewProject), "The new project."))
def create_project(tenant: Admin, body: Body, service: ServiceDep) -> Response:
    given = project_body(body)
    assert given.name is not None
    created = service.create_project(
        tenant.customer.name,
        Project(given.project_id, given.name, given.status or Status.ACTIVE),
    )
    return ok(created.public())


@router.put("/projects/{project_id}", summary="Change a project's name or status",
            responses=responses(ProjectOut, 404, *BODY_FAILURES),
            openapi_extra=request_body(json_schema(ProjectChange), "The members to change."))
def update_project(project_id: EntityIdPath, tenant: Admin, body: Body,
                   service: ServiceDep) -> Response:
    return change_project(service, tenant.customer.name, project_id, body)


@router.get("/queues", summary="Queues", responses=responses(list[QueueOut]))
def queues(tenant: Reader, service: ServiceDep) -> Response:
    return ok([q.public() for q in service.queues(tenant.customer.name)])


@router.post("/queues", summary="Create a queue",
             responses=responses(QueueOut, *BODY_FAILURES),
             openapi_extra=request_body(json_schema(NewQueue), "The new queue."))
def create_queue(tenant: Admin, body: Body, service: ServiceDep) -> Response:
    given = project_body(body, id_member="queueid")
    assert given.name is not None
    created = service.create_queue(
        tenant.customer.name,
        Queue(given.project_id, given.name, given.status or Status.ACTIVE),
    )
    return ok(created.public())


@router.put("/queues/{queue_id}", summary="Change a queue's name or status",
            responses=responses(QueueOut, 404, *BODY_FAILURES),
            openapi_extra=request_body(json_schema(ProjectChange), "The members to change."))
def update_queue(queue_id: EntityIdPath, tenant: Admin, body: Body,
                 service: ServiceDep) -> Response:
    return change_queue(service, tenant.customer.name, queue_id, body)


@router.get("/users", summary="Users", responses=responses(list[UserOut]))
def users(tenant: Reader, service: ServiceDep) -> Response:
    return ok([u.public() for u in service.users(tenant.customer.name)])


@router.post("/users", summary="Create a user", responses=responses(UserOut, *BODY_FAILURES),
             openapi_extra=request_body(json_schema(NewUser), "The new user."))
def create_user(tenant: Admin, body: Body, service: ServiceDep) -> Response:
    given = user_body(body)
    assert given.name is not None
    created = service.create_user(
        tenant.customer.name,
        User(given.user_id, given.name, given.kind or UserKind.AGENT,
             given.status or Status.ACTIVE),
    )
    return ok(created.public())


@router.put("/users/{user_id}", summary="Change a user's name, kind or status",
            responses=responses(UserOut, 404, *BODY_FAILURES),
            openapi_extra=request_body(json_schema(UserChange), "The members to change."))
def update_user(user_id: EntityIdPath, tenant: Admin, body: Body, service: ServiceDep) -> Response:
    return change_user(service, tenant.customer.name, user_id, body)
