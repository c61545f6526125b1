"""The transaction table's rows as HTML, written in Python rather than a Jinja loop.

A page shows 25 to 200 rows. In Jinja each row cost two or three macro calls, two ``url_for``, two date filters
and a dozen escapes: most of the page's Python time. Here a row is one f-string over values escaped once, and
each link comes from one ``url_for`` per table (:func:`id_url`). The table's head stays in
templates/accounts/_transactions_table.html, which calls :func:`transaction_rows`.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal

from flask import request, url_for
from flask_login import current_user
from markupsafe import Markup, escape

from dashboard.access import scope_for, shared_by
from dashboard.accounts import bp
from dashboard.formatting import amount_html, short_date
from dashboard.models.accounts import TransactionStatus

WIDE = "d-none d-md-table-cell"  # on a phone the table keeps date, description, amount and balance
SPLIT_BADGE = '<span class="badge text-bg-secondary" title="Split: each part counts under its own category">split</span>'
TRANSFER_BADGE = ' <span class="badge text-bg-info" title="Linked transfer: neither income nor expense">transfer</span>'
PENDING = TransactionStatus.PENDING.value
PENDING_BADGE = Markup(f'<span class="badge text-bg-warning">{PENDING}</span>')  # nosec B704: a constant
_ID_SLOT = 987654321987654321  # a number no URL of this app holds otherwise
bp.add_app_template_global(WIDE, "wide_column")  # the table's head hides the same columns


def id_url(endpoint: str, name: str, **values) -> Callable[[int], str]:
    """``url_for(endpoint, **{name: id}, **values)`` for any id, from one ``url_for``: a table links every row."""
    head, _, tail = url_for(endpoint, **{name: _ID_SLOT}, **values).partition(str(_ID_SLOT))
    return lambda id_: f"{head}{id_}{tail}"


@bp.app_template_global("status_badge_html")
def status_badge(status: str) -> Markup:
    """"pending" beside a pending row (a posted one needs no badge)."""
    return PENDING_BADGE if status == PENDING else Markup("")


def _shared_by_badge(owner: str | None) -> str:
    if not owner:
        return ""
    return f' <span class="badge text-bg-info shared-by" title="Shared with you by {escape(owner)}">' \
           f'shared by {escape(owner)}</span>'


@bp.app_template_global("shared_badge_html")
def shared_badge(account_id: int) -> Markup:
    """"shared by <owner>" beside an account another user shares with the signed-in one."""
    return Markup(_shared_by_badge(shared_by(account_id)))  # nosec B704: the owner's email escaped there


@bp.app_template_global()
def transaction_rows(rows: Iterable, selectable: bool = False, show_account: bool = False,
                     balances: Mapping[int, Decimal] | None = None,
                     parts: Mapping[int, Sequence] | None = None) -> Markup:
    """The ``<tr>`` of each row (a table row or a transaction with its account): checkbox for the bulk form
    when ``selectable``, the account column when ``show_account``, the running balance when ``balances``."""
    edit_url = id_url("accounts.transaction", "transaction_id", next=request.full_path)
    account_url = id_url("accounts.account", "account_id") if show_account else None
    sharers = scope_for(current_user).sharers if show_account and current_user.is_authenticated else {}
    parts = parts or {}
    html = []
    for t in rows:
        pending = t.status == PENDING
        day = short_date(t.date)
        description = escape(t.description)
        html.append('<tr class="pending">' if pending else "<tr>")
        if selectable:
            html.append(f'<td><input type="checkbox" class="form-check-input row-select" name="ids" value="{t.id}" '
                        f'form="bulk-form" aria-label="Select {description} on {day}"></td>')
        html.append(f'<td class="transaction-date">{day}</td>'
                    f'<td><a href="{escape(edit_url(t.id))}" class="link-body-emphasis" '
                    f'title="Edit category and note">{description}</a>')
        if t.note:
            html.append(f' <div class="small text-body-secondary">{escape(t.note)}</div>')
        html.append("</td>")
        if show_account:
            html.append(f'<td class="{WIDE}"><a href="{escape(account_url(t.account_id))}">'
                        f'{escape(t.account.name)}</a>{_shared_by_badge(sharers.get(t.account_id))}</td>')
        html.append(f'<td class="{WIDE}">{escape(t.counterparty or "")}</td><td class="{WIDE}">')
        row_parts = parts.get(t.id)
        if row_parts:
            html.append(SPLIT_BADGE + " " + ", ".join(
                f'{escape(part.category or "Uncategorised")} {amount_html(part.amount, t.currency)}'
                for part in row_parts))
        else:
            html.append(escape(t.category or ""))
        status = PENDING_BADGE if pending else f'<span class="text-body-secondary small">{escape(t.status)}</span>'
        html.append(f'{TRANSFER_BADGE if t.transfer_id else ""}</td><td class="{WIDE}">{status}</td>'
                    f'<td class="text-end">{amount_html(t.amount, t.currency)}</td>')
        if balances:
            html.append(f'<td class="text-end">{amount_html(balances.get(t.id), t.currency)}</td>')
        html.append("</tr>\n")
    return Markup("".join(html))  # nosec B704: every value escaped as it was written
