"""Recurring payments: detected from the history, with the user's confirmations, dismissals and edits."""
from flask import Blueprint

bp = Blueprint("recurring", __name__, url_prefix="/recurring")

from dashboard.recurring import routes  # noqa: E402,F401  (routes attach themselves to bp)
