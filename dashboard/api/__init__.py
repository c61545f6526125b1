"""The JSON API under /api/v1: bearer tokens only, problem+json errors, an OpenAPI 3.1 document from the code.

Built on flask-smorest: the marshmallow schemas in ``schemas`` type every
request and response and generate ``/api/v1/openapi.json``. A request is
authenticated by its ``Authorization: Bearer`` token alone; a session cookie
is never read here, which is why the blueprint is exempt from CSRF.
"""
from __future__ import annotations

import hashlib

from flask import Flask, current_app, g, request
from flask_smorest import Api, Blueprint
from werkzeug.exceptions import Forbidden, Unauthorized, UnsupportedMediaType

from dashboard.access import Scope, scope_for
from dashboard.api.tokens import authenticate
from dashboard.audit import Actor
from dashboard.extensions import csrf, db, limiter
from dashboard.models.users import Role

PREFIX = "/api/v1"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
BODY_METHODS = {"POST", "PUT", "PATCH"}
BODY_TYPES = {"application/json", "multipart/form-data"}  # JSON everywhere; a file upload for imports

bp = Blueprint("api", __name__, url_prefix=PREFIX, description="Accounts, transactions, imports and reports.")
csrf.exempt(bp)


def token_key() -> str:
    """Rate-limit key: the token's stored hash, i.e. one bucket per token; the address without one."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return "token:" + hashlib.sha256(header[7:].strip().encode()).hexdigest()
    return "address:" + (request.remote_addr or "")


def _rate_limit() -> str:
    return current_app.config["API_RATE_LIMIT"]


limiter.limit(_rate_limit, key_func=token_key)(bp)


@bp.before_request
def _authenticate():
    if request.endpoint in PUBLIC_ENDPOINTS or request.method == "OPTIONS":
        return
    header = request.headers.get("Authorization", "")
    token = None
    if header.startswith("Bearer "):
        token = authenticate(db.session, header[7:].strip(), request.remote_addr)
    if token is None:
        raise Unauthorized("Send a valid API token as 'Authorization: Bearer <token>'.")
    g.api_token = token
    if token.owner.role == Role.VIEWER:
        raise Forbidden("A viewer reads the organisation's reports on the site; the API holds nothing for them.")
    if token.read_only and request.method not in SAFE_METHODS:
        raise Forbidden("This token is read-only.")
    if request.method in BODY_METHODS and request.content_length and request.mimetype not in BODY_TYPES:
        raise UnsupportedMediaType(f"Send the body as application/json (imports: multipart/form-data), "
                                   f"not {request.mimetype or 'an unnamed type'}.")


PUBLIC_ENDPOINTS = {"api.health", "api.docs"}


def scope() -> Scope:
    """The token's user's scope: the same one their pages use."""
    return scope_for(g.api_token.owner)


def actor() -> Actor:
    return Actor(g.api_token.owner_id, request.remote_addr)


class DashboardApi(Api):
    """flask-smorest's Api without its app-wide error handler: the app's one handler answers problem+json here."""

    DEFAULT_ERROR_RESPONSE_NAME = None

    def _register_error_handlers(self):
        pass


api = DashboardApi()


def init_app(app: Flask) -> None:
    from dashboard.api import documents, imports, reports, routes  # noqa: F401  (their routes join bp)

    app.config.setdefault("API_RATE_LIMIT", "600 per minute")
    app.config.update(
        API_TITLE="Financial dashboard API", API_VERSION="1", OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX=PREFIX, OPENAPI_JSON_PATH="openapi.json",
        API_SPEC_OPTIONS={"components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
                          "security": [{"bearer": []}]},
    )
    api.init_app(app)
    documents.register_problem_responses(api.spec)
    api.register_blueprint(bp)
