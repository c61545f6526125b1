"""One handler renders ``errors/<code>.html`` for every HTTP error; JSON for clients that ask."""
from __future__ import annotations

import logging
import math
import time

from flask import Flask, g, jsonify, render_template, request
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from dashboard.extensions import db, limiter, login_manager

log = logging.getLogger(__name__)

PAGES = {400, 403, 404, 405, 413, 429, 500, 503}


def render_error(error: HTTPException):
    code = error.code or 500
    if code >= 500:
        db.session.rollback()
    # The exception's own headers (Allow on a 405, WWW-Authenticate, ...), less its plain-text content type.
    headers = [(name, value) for name, value in error.get_headers() if name.lower() != "content-type"]
    context = {"retry_seconds": _retry_seconds()} if code == 429 else {}
    if request.path.startswith("/api/"):
        from dashboard.api.documents import problem_response

        return problem_response(error)
    if request.accept_mimetypes.best == "application/json":
        return jsonify(error=error.name, message=error.description, status=code, **context), code, headers
    template = f"errors/{code if code in PAGES else 'generic'}.html"
    return render_template(template, error=error, code=code, **context), code, headers


def _retry_seconds() -> int:
    """Seconds until the limit that was hit lets the next attempt through (at least 1)."""
    current = limiter.current_limit
    if current is None:
        return 60
    return max(1, math.ceil(current.reset_at - time.time()))


def _database_unavailable(error: OperationalError):
    log.error("database unavailable: %s", str(error.orig).strip().splitlines()[0])
    # The page renders as for a visitor: loading the signed-in user would ask the database again.
    g._login_user = login_manager.anonymous_user()
    return render_error(ServiceUnavailable("The database is not answering. Please try again in a minute."))


def _unexpected(error: Exception):
    log.exception("unhandled error")
    return render_error(InternalServerError())


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(HTTPException, render_error)
    app.register_error_handler(OperationalError, _database_unavailable)
    app.register_error_handler(Exception, _unexpected)
