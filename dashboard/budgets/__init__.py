"""Budgets: monthly amounts per category, the budget page and the dashboard's summary of the month (``routes``,
the ``budgets`` blueprint)."""
