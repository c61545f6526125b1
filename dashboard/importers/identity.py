"""Which transaction a parsed row is: its external id, so imports are idempotent.

Identity (DESIGN.md): a row keeps the source's own id, prefixed with the
format ("ofx:20230101001") so ids from different sources cannot collide; a
row without one gets ``h:`` and a SHA-256 of the account, date, amount,
normalised description and its occurrence number among identical rows of the
file. Two identical coffees on one day are two transactions, the same file
twice adds nothing, an overlapping export adds only its new rows. A source id
repeated inside one file (a bank bug) gets ``#2``, ``#3`` so no row is lost.
"""
from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal

from dashboard.importers.records import ImportFileError, ParsedStatement, ParsedTransaction
from dashboard.search import folded_text
from dashboard.models import Account
from dashboard.models.base import LARGEST_AMOUNT, MONEY_QUANTUM, MONEY_SCALE, storable_amount

MAX_EXTERNAL_ID = 128


def identified_transactions(statements: list[ParsedStatement], account: Account | None,
                            source: str) -> Iterator[tuple[ParsedTransaction, ParsedStatement, str]]:
    """Each transaction with its external id; occurrences are counted across the account's statements.

    Identical rows are counted one day at a time when a file's one statement runs in date order
    (a streamed CSV's), so the count never holds more than a day of a large file.
    """
    id_occurrences: Counter[str] = Counter()
    row_occurrences: Counter[tuple] = Counter()
    account_key = str(account.id) if account is not None else "new"
    by_day = len(statements) == 1 and statements[0].rows_in_date_order
    counting_day = None
    for statement in statements:
        for transaction in statement.transactions:
            amount = exact_amount(transaction)
            if by_day and transaction.date != counting_day:
                row_occurrences.clear()
                counting_day = transaction.date
            if transaction.external_id:
                id_occurrences[transaction.external_id] += 1
                yield transaction, statement, source_id(source, transaction.external_id,
                                                        id_occurrences[transaction.external_id])
            else:
                key = (account_key, transaction.date.isoformat(), str(amount),
                       normalised_description(transaction.description))
                row_occurrences[key] += 1
                yield transaction, statement, content_id(key, row_occurrences[key])


def source_id(source: str, external_id: str, occurrence: int = 1) -> str:
    identity = external_id.strip() + (f"#{occurrence}" if occurrence > 1 else "")
    prefixed = f"{source}:{identity}"
    if len(prefixed) > MAX_EXTERNAL_ID:
        return f"{source}#{hashlib.sha256(identity.encode()).hexdigest()}"
    return prefixed


def content_id(key: tuple[str, ...], occurrence: int) -> str:
    text = "\x1f".join((*key, str(occurrence)))
    return "h:" + hashlib.sha256(text.encode()).hexdigest()


def normalised_description(description: str | None) -> str:
    return " ".join(folded_text(description).split())


def exact_amount(transaction: ParsedTransaction) -> Decimal:
    """The amount at the stored scale; more places than the database keeps is the file's error."""
    amount = transaction.amount
    if storable_amount(amount):  # the preview accepts only what the confirm can store
        return amount.quantize(MONEY_QUANTUM)
    if amount.is_finite() and amount.copy_abs() < LARGEST_AMOUNT:
        raise ImportFileError(f"the amount {amount} has more than {MONEY_SCALE} decimal places", transaction.line)
    raise ImportFileError(f"the amount {amount} is too large", transaction.line)
