from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from dashboard.admin import audit_log, routes, users  # noqa: E402,F401  (routes attach themselves to bp)
