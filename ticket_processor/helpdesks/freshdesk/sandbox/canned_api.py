"""The canned-response endpoints of the Freshdesk sandbox (``canned.CannedResponses``)."""

from __future__ import annotations

from .routes import Answer, FreshdeskCall, FreshdeskServices, body_object, compile_route, paged


def list_folders(svc: FreshdeskServices, call: FreshdeskCall) -> Answer:
    return 200, svc.store.canned.folders(), {}


def show_folder(svc: FreshdeskServices, call: FreshdeskCall) -> Answer:
    return 200, svc.store.canned.folder(call.int_arg()), {}


def create_folder(svc: FreshdeskServices, call: FreshdeskCall) -> Answer:
    return 201, svc.store.canned.create_folder(body_object(call)), {}


def list_responses(svc: FreshdeskServices, call: FreshdeskCall) -> Answer:
    return paged(call, svc.store.canned.responses(call.int_arg()))


def show_response(svc: FreshdeskServices, call: FreshdeskCall) -> Answer:
    return 200, svc.store.canned.response(call.int_arg()), {}


def create_response(svc: FreshdeskServices, call: FreshdeskCall) -> Answer:
    return 201, svc.store.canned.create_response(body_object(call)), {}


_V2 = "/api/v2"
CANNED_ROUTES = [
    compile_route("GET", f"{_V2}/canned_response_folders", list_folders),
    compile_route("POST", f"{_V2}/canned_response_folders", create_folder),
    compile_route("GET", f"{_V2}/canned_response_folders/{{id}}", show_folder),
    compile_route("GET", f"{_V2}/canned_response_folders/{{id}}/responses", list_responses),
    compile_route("POST", f"{_V2}/canned_responses", create_response),
    compile_route("GET", f"{_V2}/canned_responses/{{id}}", show_response),
]
