"""One handler renders ``errors/<code>.html`` for every HTTP error; JSON for clients that ask."""
from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from dashboard.extensions import db

log = logging.getLogger(__name__)

PAGES = {400, 403, 404, 405, 413, 429, 500, 503}


def render_error(error: HTTPException):
    code = error.code or 500
    if code >= 500:
        db.session.rollback()
    if request.path.startswith("/api/"):
        from dashboard.api.documents import problem_response

        return problem_response(error)
    if request.accept_mimetypes.best == "application/json":
        return jsonify(error=error.name, message=error.description, status=code), code
    template = f"errors/{code if code in PAGES else 'generic'}.html"
    return render_template(template, error=error, code=code), code


def _database_unavailable(error: OperationalError):
    log.error("database unavailable: %s", str(error.orig).strip().splitlines()[0])
    return render_error(ServiceUnavailable("The database is not answering. Please try again in a minute."))


def _unexpected(error: Exception):
    log.exception("unhandled error")
    return render_error(InternalServerError())


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(HTTPException, render_error)
    app.register_error_handler(OperationalError, _database_unavailable)
    app.register_error_handler(Exception, _unexpected)
