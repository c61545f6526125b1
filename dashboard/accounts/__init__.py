from flask import Blueprint

bp = Blueprint("accounts", __name__)

from dashboard.accounts import routes  # noqa: E402,F401  (routes attach themselves to bp)
from dashboard.accounts import imports  # noqa: E402,F401  (import pages attach themselves to bp)
from dashboard.accounts import manage  # noqa: E402,F401  (account and hand-entry pages attach themselves to bp)
from dashboard.accounts import split_pages  # noqa: E402,F401  (the split page attaches itself to bp)
from dashboard.accounts import sharing  # noqa: E402,F401  (the sharing forms' endpoints attach themselves to bp)
from dashboard.accounts import table_html  # noqa: E402,F401  (the table rows' template global attaches itself to bp)
