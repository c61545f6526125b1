"""The one import path: parse a file, find or create its account, write the batch, commit or roll back.

The account page's confirm step, ``flask import``, the API and the bank sync
all call :func:`import_file`, so a file imports the same way from anywhere.
It is the unit of work and the one place an import commits: on success it
commits the batch, its rows, the accounts it created and its audit event
together; an error once it has begun writing (a bad row in a later chunk, a
database failure) rolls the session back and re-raises. A refusal or a file
that does not parse is raised before anything is written, and leaves the
session as it was. So a caller never commits or rolls back an import itself,
and a file imports completely or not at all. The functions it is made of
(``batches.import_parsed``, ``account_plans.account_for_import``) never
commit, for callers that compose them inside a larger transaction.

Errors: ``MappingNeeded`` (a CSV whose columns must be chosen),
``ImportFileError`` (a bad file, with its line), werkzeug ``NotFound`` (an
account the scope does not see) and ``Forbidden`` (one it may not change).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import BinaryIO

from babel import Locale, UnknownLocaleError
from sqlalchemy.orm import Session

from dashboard.access import WRITE, Scope
from dashboard.audit import Actor
from dashboard.importers import qif
from dashboard.importers.account_plans import account_for_import, named_account, plan_accounts
from dashboard.importers.bank_csv import ColumnMapping, MappingNeeded
from dashboard.importers.csv_conventions import DATE_ORDERS, date_order_of
from dashboard.importers.batches import import_parsed
from dashboard.importers.detect import parse_file
from dashboard.importers.preview import Preview, currency_refusal, nothing_new_refusal, preview_import
from dashboard.importers.records import ImportFileError, ParsedFile
from dashboard.models import Account, ImportBatch, User


def import_file(session: Session, scope: Scope, actor: Actor, data: bytes | BinaryIO, filename: str, *,
                account: Account | None = None, account_name: str | None = None, file_format: str = "auto",
                mapping: ColumnMapping | None = None, default_currency: str = "USD",
                progress: Callable[[int, int], None] | None = None, date_order: str | None = None,
                preferred_date_order: str | None = None, refuse_as_preview: bool = False) -> ImportBatch:
    """Import ``data`` into ``account``, or into the scope's own account called ``account_name``
    (created, in the file's currency else ``default_currency``, when there is none); committed.

    ``data`` is the file's bytes or, for a file too large to hold (``flask import``), the open
    file: a large CSV then streams, written chunk by chunk in the one transaction (see ``parse_file``).

    Without ``mapping``, a CSV that needs one is read with the account's saved
    mapping when it fits. ``progress`` is called after each chunk with the rows
    done so far and the rows read in all. ``date_order`` ("dmy"/"mdy") settles
    ambiguous dates; without it the account's remembered order, else
    ``preferred_date_order`` (the user's setting or locale, see :func:`preferred_date_order`),
    else the account's currency (see :func:`currency_date_order`).
    ``refuse_as_preview`` raises :class:`ImportRefused`, with nothing written, for a
    file the preview refuses (another currency; nothing new): the confirm step,
    which so parses the file once instead of once to check and once to import.
    """
    if (account is None) == (account_name is None):
        raise TypeError("import_file takes an account or an account_name, not both or neither")
    if account is not None:
        scope.check(account.owner_id, account.id, WRITE)
    else:
        account = named_account(session, scope, account_name)
    parsed, used_mapping = parse_upload(data, filename, file_format, mapping,
                                        account.csv_mapping if account is not None else None,
                                        deciding_date_order(account, date_order, preferred_date_order))
    try:
        if account is None:
            account = account_for_import(session, scope, account_name, parsed, default_currency)
        if refuse_as_preview and (refusal := currency_refusal(plan_accounts(session, account, parsed))):
            raise ImportRefused(refusal)
        batch = import_parsed(session, scope, actor, account, parsed, filename, data,
                              mapping=used_mapping or parsed.settled_mapping, progress=progress)
        if refuse_as_preview and (refusal := nothing_new_refusal(
                batch.rows_read, batch.rows_inserted, batch.rows_read - batch.rows_inserted - batch.rows_duplicate)):
            raise ImportRefused(refusal)
    except BaseException:
        session.rollback()
        raise
    session.commit()
    return batch


class ImportRefused(ImportFileError):
    """A file that reads but that the preview would not offer to import; nothing was written."""


def preview_file(session: Session, scope: Scope, account: Account, data: bytes, filename: str, *,
                 file_format: str = "auto", mapping: ColumnMapping | None = None,
                 saved_mapping: bool = True, date_order: str | None = None,
                 preferred_date_order: str | None = None) -> tuple[Preview, ColumnMapping | None]:
    """What :func:`import_file` would do with this file, parsed once; writes nothing.

    Returns the preview and the mapping that read the file (to carry to the
    confirm step). ``saved_mapping=False`` leaves the account's saved mapping
    unused, for a step where the user is choosing the columns afresh.
    Raises as :func:`import_file` does.
    """
    scope.check(account.owner_id, account.id, WRITE)
    parsed, used_mapping = parse_upload(data, filename, file_format, mapping,
                                        account.csv_mapping if saved_mapping else None,
                                        deciding_date_order(account, date_order, preferred_date_order))
    return preview_import(session, scope, account, parsed, data), used_mapping


def deciding_date_order(account: Account | None, given: str | None, preferred: str | None) -> str | None:
    """The order that reads ambiguous dates: the one given, the account's last, the user's, its currency's."""
    return given or remembered_date_order(account) or preferred or currency_date_order(account)


def preferred_date_order(user: User, locale: str | None = None) -> str | None:
    """The user's "Date order for ambiguous files" (``preferences["date_order"]``), when set; else their
    locale's (``preferences["locale"]``, else ``locale``, e.g. the browser's language)."""
    preferences = user.preferences or {}
    order = preferences.get("date_order")
    return order if order in DATE_ORDERS else locale_date_order(preferences.get("locale") or locale)


def locale_date_order(locale: str | None) -> str | None:
    """ "mdy" for en_US, "dmy" for en_GB or de; None for a locale that writes the year first (sv, ja) or none."""
    try:
        pattern = Locale.parse(locale.replace("-", "_")).date_formats["short"].pattern
    except (AttributeError, TypeError, ValueError, UnknownLocaleError):
        return None
    day, month, year = (pattern.find(letter) for letter in "dMy")
    if min(day, month) < 0 or year < min(day, month):
        return None
    return "dmy" if day < month else "mdy"


def currency_date_order(account: Account | None) -> str | None:
    """An account in US dollars reads ambiguous dates month first, any other currency day first."""
    if account is None:
        return None
    return "mdy" if account.currency == "USD" else "dmy"


def date_order_read(file_format: str, details: dict[str, str]) -> str | None:
    """The order ("dmy"/"mdy") a CSV's or QIF's dates were read in, from its details; None when its dates need none."""
    if file_format == "csv":
        return date_order_of(details.get("date_format", ""))
    if file_format == "qif":
        return next((order for order, name in qif.DATE_ORDER_NAMES.items() if name == details.get("date order")), None)
    return None


def remembered_date_order(account: Account | None) -> str | None:
    """The date order of the last CSV imported into the account ("dmy"/"mdy"), from its saved mapping."""
    saved = (account.csv_mapping or {}) if account is not None else {}
    return date_order_of(saved.get("date_format") or "")


def parse_upload(data: bytes | BinaryIO, filename: str = "", format: str = "auto", mapping: ColumnMapping | None = None,
                 saved_mapping: dict | None = None, date_order: str | None = None
                 ) -> tuple[ParsedFile, ColumnMapping | None]:
    """Parse a file; when a CSV needs a mapping and none is given, try the account's saved one.

    Returns the file and the mapping that read it. When the saved mapping does
    not fit this file (an error, or no row read), the :class:`MappingNeeded` is raised.
    """
    try:
        return parse_file(data, filename, format, mapping, date_order), mapping
    except MappingNeeded as needed:
        if mapping is not None or not saved_mapping:
            raise
        try:
            saved = ColumnMapping.from_dict(saved_mapping)
            parsed = parse_file(data, filename, format, saved)
        except (ImportFileError, ValueError, TypeError):
            raise needed from None
        if not any(len(statement.transactions) for statement in parsed.statements):  # another layout
            raise needed
        return parsed, saved
