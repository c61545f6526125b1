"""Probes for load balancers and orchestrators: /healthz (process) and /readyz (database)."""
from flask import Blueprint, jsonify

from dashboard.database import database_problem
from dashboard.extensions import csrf, limiter

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
        return jsonify(status="unavailable", reason=problem), 503
    return jsonify(status="ok")
