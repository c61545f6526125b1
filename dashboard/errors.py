"""One handler renders ``errors/<code>.html`` for every HTTP error; JSON for clients that ask."""
from __future__ import annotations

import logging
import math
import time

from flask import Flask, current_app, g, jsonify, render_template, request, url_for
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
    if code == 413:
        context = {"upload_limit": _size(current_app.config.get("MAX_CONTENT_LENGTH")), "back_url": _form_url()}
    if request.path.startswith("/api/"):
        from dashboard.api.documents import problem_response

        return problem_response(error)
    if request.accept_mimetypes.best == "application/json":
        return jsonify(error=error.name, message=error.description, status=code, **context), code, headers
    template = f"errors/{code if code in PAGES else 'generic'}.html"
    return render_template(template, error=error, code=code, **context), code, headers


def _size(limit: int | None) -> str | None:
    """A byte count as people write it: "20 MB", "512 KB"."""
    if not limit:
        return None
    for unit, size in (("GB", 1024 ** 3), ("MB", 1024 ** 2), ("KB", 1024)):
        if limit >= size:
            return f"{limit / size:.3g} {unit}"
    return f"{limit} bytes"


def _form_url() -> str | None:
    """Where the refused upload came from: the account's import form, or the page itself when it has one."""
    account_id = (request.view_args or {}).get("account_id")
    if account_id is not None and (request.endpoint or "").startswith("accounts.import"):
        return url_for("accounts.import_file", account_id=account_id)
    if request.url_rule is not None and "GET" in (request.url_rule.methods or ()):
        return request.path
    return None


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
