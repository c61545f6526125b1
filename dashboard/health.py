"""Probes for load balancers and orchestrators: /healthz (process) and /readyz (database)."""
import logging

from flask import Blueprint, jsonify, redirect, url_for

from dashboard.database import database_problem
from dashboard.extensions import csrf, db, limiter
from dashboard.similarity.store import similarity_status

log = logging.getLogger(__name__)
bp = Blueprint("health", __name__)
csrf.exempt(bp)
limiter.exempt(bp)


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    problem = database_problem()
    if problem:
        # The driver's message names the host, port and user: it goes to the log, never to this public probe.
        log.warning("readyz: database unavailable: %s", problem)
        return jsonify(status="unavailable", reason="database unavailable"), 503
    return jsonify(status="ok", details={"similarity": similarity_status(db.session)})


@bp.get("/favicon.ico")
def favicon():
    """Browsers ask for /favicon.ico on pages without a link to one (a JSON document opened in a tab)."""
    return redirect(url_for("static", filename="favicon.svg"), code=301)
