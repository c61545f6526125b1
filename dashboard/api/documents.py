"""What every API response shares: problem+json errors, their place in the OpenAPI document, ETags, the docs page."""
from __future__ import annotations

import hashlib
import json

from flask import current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, PreconditionFailed

from dashboard.api import bp
from dashboard.api.schemas import Problem

PROBLEM_TYPE = "application/problem+json"
# Every operation may answer these; each operation adds its own (403, 404, 409, 412, 413, 415, 422).
COMMON_ERRORS = (401, 405, 429)
TITLES = {304: "Not Modified", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
          409: "Conflict", 412: "Precondition Failed", 413: "Content Too Large", 415: "Unsupported Media Type",
          422: "Unprocessable Content", 429: "Too Many Requests"}


def problem_response(error: HTTPException):
    """An HTTP error as RFC 9457 problem details; validation errors name each field."""
    code = error.code or 500
    body = {"type": "about:blank", "title": error.name, "status": code, "detail": error.description or error.name}
    messages = (getattr(error, "data", None) or {}).get("messages")
    if messages:
        body["errors"] = messages
        body["detail"] = "The request is not valid: " + "; ".join(_flatten(messages))
    response = jsonify(body)
    response.status_code = code
    response.mimetype = PROBLEM_TYPE
    if code == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    if code == 405 and hasattr(error, "valid_methods") and error.valid_methods:
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


LOCATIONS = {"json", "query", "form", "files", "headers"}


def _flatten(messages, path: tuple = ()) -> list[str]:
    """``{"json": {"amount": ["Not a valid number."]}}`` as ``["amount: Not a valid number."]``."""
    if isinstance(messages, dict):
        return [text for key, value in messages.items()
                for text in _flatten(value, path if key in LOCATIONS else (*path, str(key)))]
    where = ".".join(path) or "request"
    if isinstance(messages, list) and all(isinstance(message, str) for message in messages):
        return [f"{where}: {' '.join(messages)}"]
    return [f"{where}: {messages}"]


def register_problem_responses(spec) -> None:
    """One named response per error status, each a problem+json body, for operations to reference."""
    spec.components.schema("Problem", schema=Problem)
    for code, title in TITLES.items():
        if code == 304:
            spec.components.response("NOT_MODIFIED", {"description": title})
            continue
        headers = {"WWW-Authenticate": {"schema": {"type": "string"}}} if code == 401 else {}
        if code == 429:
            headers = {"Retry-After": {"schema": {"type": "string"}, "description": "Seconds to wait."}}
        spec.components.response(f"PROBLEM_{code}", {
            "description": title, "headers": headers,
            "content": {PROBLEM_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}})


def errors(*codes: int):
    """Document ``codes`` and the common errors on an operation."""
    def decorate(view):
        for code in sorted(set(codes) | set(COMMON_ERRORS)):
            view = bp.alt_response(code, response="NOT_MODIFIED" if code == 304 else f"PROBLEM_{code}")(view)
        return view
    return decorate


def etag_of(body: dict) -> str:
    return '"' + hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()[:32] + '"'


def with_etag(body: dict):
    """A single resource's JSON with its ETag; 304 when the client's If-None-Match already has it."""
    tag = etag_of(body)
    if tag in _tags(request.headers.get("If-None-Match")):
        response = current_app.response_class(status=304)
    else:
        response = jsonify(body)
    response.headers["ETag"] = tag
    return response


def check_if_match(body: dict) -> None:
    """412 when the client's If-Match names another version of the resource than the current one."""
    wanted = request.headers.get("If-Match")
    if wanted is not None and "*" not in _tags(wanted) and etag_of(body) not in _tags(wanted):
        raise PreconditionFailed("The transaction changed since you read it; fetch it again and retry.")


def _tags(header: str | None) -> list[str]:
    return [tag.strip().removeprefix("W/") for tag in (header or "").split(",") if tag.strip()]


@bp.route("/docs", endpoint="docs")
@bp.doc(security=[])
@bp.response(200, content_type="text/html", description="The rendered API reference.")
@errors()
def docs():
    """The API reference, rendered in the browser from vendored assets (no CDN)."""
    return current_app.response_class(render_template("api/docs.html"), mimetype="text/html")
