"""The main navigation: a link per area that this app has and this user may open."""
from flask import Flask, current_app
from flask_login import current_user

from dashboard.models.users import Role

NAV_LINKS = (
    ("accounts.overview", "Dashboard", False),
    ("accounts.transactions", "Transactions", False),
    ("reports.income_expenses", "Reports", False),  # a report, with the others in its tabs
    ("rules.index", "Rules", False),
    ("budgets.index", "Budgets", False),
    ("recurring.index", "Recurring", False),
    ("connections.index", "Bank sync", False),
    ("rates.index", "Rates", False),
    ("settings.preferences", "Settings", False),  # preferences, password, two-factor, sessions, API tokens
    ("admin.index", "Admin", True),
)


VIEWER_LINKS = (("admin.profit_and_loss", "Reports"), ("settings.sessions", "Settings"))


def nav_links() -> list[tuple[str, str]]:
    if current_user.is_authenticated and current_user.role == Role.VIEWER:
        return list(VIEWER_LINKS)  # a bookkeeper reads the organisation's reports and nothing else
    is_admin = current_user.is_authenticated and current_user.is_admin
    return [
        (endpoint, label) for endpoint, label, admin_only in NAV_LINKS
        if endpoint in current_app.view_functions and (is_admin or not admin_only)
    ]


def register_navigation(app: Flask) -> None:
    app.add_template_global(nav_links)
