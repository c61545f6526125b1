from flask import Blueprint

bp = Blueprint("settings", __name__, url_prefix="/settings")

from dashboard.settings import preferences, routes  # noqa: E402,F401  (routes attach themselves to bp)
