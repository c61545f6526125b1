from flask import Blueprint

bp = Blueprint("accounts", __name__)

from dashboard.accounts import routes  # noqa: E402,F401  (routes attach themselves to bp)
