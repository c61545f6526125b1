"""Blueprint: the user's bank connections through Teller (Connect page, list, sync, disconnect) and the webhook."""
from flask import Blueprint

bp = Blueprint("connections", __name__)

from dashboard.connections import routes  # noqa: E402,F401  (routes attach themselves to bp)
