"""Budgets: monthly amounts per category, the budget page and the dashboard's summary of the month."""
from flask import Blueprint

bp = Blueprint("budgets", __name__, url_prefix="/budgets")

from dashboard.budgets import routes  # noqa: E402,F401  (routes attach themselves to bp)
