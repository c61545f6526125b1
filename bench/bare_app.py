"""The framework's ceiling: a bare Flask + Jinja page rendering a 50-row table, served by the same gunicorn.

    gunicorn bench.bare_app:app
"""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from flask import Flask, render_template
from jinja2 import DictLoader

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Transactions</title></head>
<body><main><h1>Transactions</h1>
<table><thead><tr><th>Date</th><th>Description</th><th>Category</th><th>Amount</th></tr></thead><tbody>
{% for row in rows %}<tr><td>{{ row.date }}</td><td>{{ row.description }}</td><td>{{ row.category }}</td>
<td>{{ row.amount }}</td></tr>
{% endfor %}</tbody></table></main></body></html>"""
ROWS = [{"date": date(2025, 1, 1) + timedelta(days=n), "description": f"Tesco Superstore {n}", "category": "Groceries",
         "amount": Decimal(-n * 137) / 100} for n in range(50)]

app = Flask(__name__)
app.jinja_loader = DictLoader({"page.html": PAGE})


@app.get("/")
def page():
    return render_template("page.html", rows=ROWS)
