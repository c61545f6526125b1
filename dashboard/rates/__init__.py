"""Exchange rates: the readers, storage and conversion, and the rates page's blueprint."""
from flask import Blueprint

bp = Blueprint("rates", __name__, url_prefix="/rates")

from dashboard.rates import routes  # noqa: E402,F401  (routes attach themselves to bp)
