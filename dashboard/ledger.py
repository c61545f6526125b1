"""The one write path for transactions, keeping the monthly totals in step.

Every insert, update and delete of transactions and of their splits goes
through here, inside the caller's database transaction, so ``monthly_totals``
never drifts from the rows it sums. A split transaction is totalled part by
part: each part under its own category. ``verify_totals`` proves it. Changes to existing rows take
a :class:`~dashboard.access.Scope` (or a batch the caller fetched through
one), so a write can never reach rows the scope may not change.
"""
from __future__ import annotations

import io
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import (String, any_, bindparam, case, column, delete, event, exists, func, literal, select, text,
                        union_all, update)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from dashboard.access import WRITE, Scope
from dashboard.models import ImportBatch, MonthlyTotal, Transaction, TransactionSplit
from dashboard.models.accounts import TRANSFER_CATEGORY, TransactionSource, TransactionStatus
from dashboard.models.base import Money, month_start
from dashboard.search import GENERATED_ID_PREFIX, description_key, transaction_search_text
from dashboard.similarity.store import forget_vectors, mark_new_rows, newest_transaction_id, renew_vectors

TOTALS_KEY = ("owner_id", "account_id", "month", "category", "nominal_code", "currency")
TOTALS_INPUT = (
    Transaction.owner_id, Transaction.account_id, Transaction.date, Transaction.category,
    Transaction.nominal_code, Transaction.currency, Transaction.amount, Transaction.transfer_id,
)


logger = logging.getLogger(__name__)
ANALYZE_AFTER_ROWS = 1_000  # a commit that wrote at least this many rows refreshes the planner's statistics
ROWS_WRITTEN = "ledger_rows_written"  # session.info key: rows this transaction wrote through the ledger


def _count_written(session: Session, rows: int) -> None:
    session.info[ROWS_WRITTEN] = session.info.get(ROWS_WRITTEN, 0) + rows


@event.listens_for(Session, "after_commit")
def _analyze_after_bulk_write(session: Session) -> None:
    """PostgreSQL: once a bulk write (import, sync, demo load, undo) is committed, ANALYZE the tables it changed.

    Autovacuum gets to it minutes later; until then the planner plans the
    account page as if the table were empty (a bitmap AND over two indexes
    reading every row: 43 ms instead of 0.3 ms at 100,000 rows). It runs after
    the commit, on a connection of its own, so the audit chain's lock (taken
    by the write's last event, held to its commit) is not held through it.
    """
    if session.info.pop(ROWS_WRITTEN, 0) < ANALYZE_AFTER_ROWS:
        return
    engine = session.get_bind().engine
    if engine.dialect.name != "postgresql":
        return
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("ANALYZE transactions, monthly_totals")
    except SQLAlchemyError as error:  # the write is committed; stale statistics only slow pages until autovacuum
        logger.warning("ANALYZE after a bulk write failed: %s", error)


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back_writes(session: Session) -> None:
    session.info.pop(ROWS_WRITTEN, None)


class SplitError(ValueError):
    """Parts that cannot make up the transaction; the message says why."""


def _entries(*criteria):
    """What the totals count for the transactions matching ``criteria``, shaped like ``TOTALS_INPUT`` plus
    ``counted``: an unsplit row as it is, a split one part by part (its date, account, currency and transfer
    link, the part's category and amount). Only the first part counts as a transaction, so the totals'
    transaction counts stay the number of transactions."""
    split = exists().where(TransactionSplit.transaction_id == Transaction.id)
    whole = select(*TOTALS_INPUT, literal(1).label("counted")).where(*criteria, ~split)
    parts = (
        select(Transaction.owner_id, Transaction.account_id, Transaction.date, TransactionSplit.category,
               Transaction.nominal_code, Transaction.currency, TransactionSplit.amount, Transaction.transfer_id,
               case((TransactionSplit.position == 1, 1), else_=0).label("counted"))
        .join(TransactionSplit, TransactionSplit.transaction_id == Transaction.id)
        .where(*criteria)
    )
    return union_all(whole, parts)


def _dialect_insert(session: Session, table):
    name = session.get_bind().dialect.name
    return postgresql.insert(table) if name == "postgresql" else sqlite.insert(table)


def insert_transactions(session: Session, rows: Sequence[dict]) -> int:
    """Insert rows, skipping any whose (account_id, external_id) exists; returns how many went in.

    The unique constraint decides, so two imports racing on the same rows
    insert each row once and the loser counts the rest as duplicates.
    """
    if not rows:
        return 0
    for row in rows:
        row["search_text"] = transaction_search_text(row.get("description"), row.get("counterparty"),
                                                     row.get("note"), row.get("external_id"))
        row["description_key"] = description_key(row.get("description"))
        row.setdefault("source", TransactionSource.IMPORT.value)
    newest_before = newest_transaction_id(session)
    if session.get_bind().dialect.name == "postgresql":
        inserted = _insert_postgres(session, rows)
    else:
        statement = (
            sqlite.insert(Transaction.__table__)
            .on_conflict_do_nothing(index_elements=["account_id", "external_id"])
            .returning(*TOTALS_INPUT)
        )
        returned = session.execute(statement, list(rows)).all()
        apply_to_totals(session, [(*row, 1) for row in returned], sign=1)
        inserted = len(returned)
    _count_written(session, inserted)
    if inserted:
        mark_new_rows(session, {row["owner_id"] for row in rows}, after_id=newest_before)
    return inserted


COPY_COLUMNS = ("owner_id", "account_id", "external_id", "date", "description", "amount", "currency", "status",
                "category", "counterparty", "nominal_code", "note", "search_text", "description_key", "batch_id",
                "source", "stated_balance")
MONEY_COLUMNS = ("amount", "stated_balance")
COPY_DEFAULTS = {"description": "", "status": TransactionStatus.POSTED.value, "search_text": "",
                 "description_key": "", "source": TransactionSource.IMPORT.value}
ACCOUNT_WRITE_LOCK = 0x6C656467  # the first key of PostgreSQL's two-key advisory lock on an account's inserts ("ledg")
DIRECT_COPY_ROWS = 500  # fewer rows go through the scratch table: a COPY's fixed cost buys nothing for them


def _insert_postgres(session: Session, rows: Sequence[dict]) -> int:
    """PostgreSQL: rows none of which the accounts hold yet are COPYed straight into ``transactions``; any
    other batch goes through the scratch table, where the unique constraint decides.

    Every insert takes its accounts' write lock (held to the commit) before it
    looks, so no other ledger insert can add one of these rows between the
    look and the COPY: a second import of the same file waits, then finds the
    rows and counts them as duplicates.
    """
    connection = session.connection()
    for account_id in sorted({row["account_id"] for row in rows}):
        connection.execute(text("SELECT pg_advisory_xact_lock(:key, :account_id)"),
                           {"key": ACCOUNT_WRITE_LOCK, "account_id": account_id})
    if len(rows) < DIRECT_COPY_ROWS or not _all_new(session, rows):
        return _insert_through_scratch_table(session, rows)
    _copy_into(session, "transactions", rows)
    apply_to_totals(session, [
        (row["owner_id"], row["account_id"], row["date"], row.get("category"), row.get("nominal_code"),
         row["currency"], row["amount"], row.get("transfer_id"), 1) for row in rows], sign=1)
    return len(rows)


def _all_new(session: Session, rows: Sequence[dict]) -> bool:
    """True when no two rows share an identity and their accounts hold none of them yet.

    A content identity ("h:...", see importers.identity) hashes the row's date
    and an imported row's date never changes, so only a row dated within the
    span of the account's own rows in the batch's date range may be there
    already (two index probes find that span: usually empty, or the one day a
    large file's previous chunk ended on). Those rows' ids are looked up, and
    so are all the source's own ids (OFX FITIDs, a CSV's id column): one probe
    each on the unique key. All are read after the accounts' write lock, in
    statements of their own, so they see what a writer that held the lock
    before committed.
    """
    by_account: dict[int, list[dict]] = defaultdict(list)
    for row in rows:
        by_account[row["account_id"]].append(row)
    if len({(row["account_id"], row["external_id"]) for row in rows}) != len(rows):
        return False
    for account_id, account_rows in by_account.items():
        days = [row["date"] for row in account_rows]
        first, last = session.execute(select(func.min(Transaction.date), func.max(Transaction.date)).where(
            Transaction.account_id == account_id, Transaction.date.between(min(days), max(days)))).one()
        ids = [row["external_id"] for row in account_rows if not row["external_id"].startswith(GENERATED_ID_PREFIX)
               or first is not None and first <= row["date"] <= last]
        if ids and session.scalar(select(exists().where(
                Transaction.account_id == account_id,
                Transaction.external_id == any_(bindparam("ids", ids, type_=postgresql.ARRAY(String)))))):
            return False
    return True


def _insert_through_scratch_table(session: Session, rows: Sequence[dict]) -> int:
    """COPY the rows into a scratch table, then one INSERT .. SELECT .. ON CONFLICT DO NOTHING.

    Several times faster than multi-row INSERTs for a large import, with the
    same outcome: the unique constraint decides what is a duplicate. The
    same statement sums what went in per monthly-totals key, so a few dozen
    deltas come back instead of every row. Returns how many rows went in.
    """
    columns = ", ".join(COPY_COLUMNS)
    connection = session.connection()
    # Both statements below format in only COPY_COLUMNS, a module constant: no input reaches the SQL (bandit B608).
    connection.exec_driver_sql(
        f"CREATE TEMPORARY TABLE IF NOT EXISTS transaction_load ON COMMIT DROP AS "  # nosec B608
        f"SELECT {columns} FROM transactions WITH NO DATA"
    )
    connection.exec_driver_sql("TRUNCATE transaction_load")
    _copy_into(session, "transaction_load", rows)
    sums = connection.execute(
        text(f"WITH inserted AS (INSERT INTO transactions ({columns}) SELECT {columns} FROM transaction_load "  # nosec B608
             "ON CONFLICT (account_id, external_id) DO NOTHING "
             "RETURNING owner_id, account_id, date, category, nominal_code, currency, amount, transfer_id) "
             "SELECT owner_id, account_id, CAST(date_trunc('month', date) AS DATE), "
             "CASE WHEN transfer_id IS NOT NULL THEN :transfers ELSE COALESCE(category, '') END, "
             "COALESCE(nominal_code, ''), currency, COALESCE(SUM(amount) FILTER (WHERE amount > 0), 0), "
             "COALESCE(-SUM(amount) FILTER (WHERE amount <= 0), 0), COUNT(*) FROM inserted GROUP BY 1, 2, 3, 4, 5, 6")
        .bindparams(transfers=TRANSFER_CATEGORY)
        .columns(*(column(name) for name in TOTALS_KEY), column("income", Money()), column("expense", Money()),
                 column("transactions"))
    ).all()
    _store_deltas(session, {tuple(row[:6]): _Delta(row.income, row.expense, row.transactions) for row in sums}, sign=1)
    return sum(row.transactions for row in sums)


def _copy_into(session: Session, table: str, rows: Sequence[dict]) -> None:
    with session.connection().connection.cursor() as cursor:
        cursor.copy_expert(f"COPY {table} ({', '.join(COPY_COLUMNS)}) FROM STDIN", _copy_text(rows))


def _copy_text(rows: Sequence[dict]) -> io.StringIO:
    """The rows in COPY's text format: tab-separated, \\N for NULL, money as its stored integer.

    Only text needs escaping: numbers and dates never hold a tab, newline or backslash.
    """
    to_stored = Money().process_bind_param
    columns = [(column, COPY_DEFAULTS.get(column), column in MONEY_COLUMNS) for column in COPY_COLUMNS]
    buffer = io.StringIO()
    for row in rows:
        values = []
        for column, default, is_money in columns:
            value = row.get(column, default)
            if is_money:
                value = to_stored(value, None)
            if value is None:
                values.append(r"\N")
            elif isinstance(value, str):
                values.append(value.translate(COPY_ESCAPES))
            else:
                values.append(str(value))
        buffer.write("\t".join(values) + "\n")
    buffer.seek(0)
    return buffer


COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def bulk_load_transactions(session: Session, rows: Sequence[dict], owner_id: int, chunk: int = 10_000) -> None:
    """Insert many new rows fast (no conflict check; COPY on PostgreSQL), then rebuild that owner's totals in SQL.

    For loads known to be new, such as demo data; imports use ``insert_transactions``. Like every write, the rows
    get their similarity vectors at the commit, so suggestions learn from them at once.
    """
    postgres = session.get_bind().dialect.name == "postgresql"
    mark_new_rows(session, [owner_id], after_id=newest_transaction_id(session))
    for start in range(0, len(rows), chunk):
        if postgres:
            _copy_into(session, "transactions", rows[start:start + chunk])
        else:
            session.execute(Transaction.__table__.insert(), rows[start:start + chunk])
    rebuild_totals(session, owner_id)
    _count_written(session, len(rows))


def delete_transactions(session: Session, scope: Scope, transaction_ids: Iterable[int]) -> int:
    """Delete those of ``transaction_ids`` that the scope may change; returns how many went."""
    return _delete(session, scope.rows(Transaction, WRITE), Transaction.id.in_(list(transaction_ids)))


def delete_batch_transactions(session: Session, batch: ImportBatch) -> int:
    """Delete exactly the rows one import wrote, in every account it wrote to; returns how many."""
    return _delete(session, Transaction.owner_id == batch.owner_id, Transaction.batch_id == batch.id)


def delete_account_transactions(session: Session, owner_id: int, account_id: int) -> int:
    """Delete every row of one account (the account is going); the caller checked MANAGE on it."""
    return _delete(session, Transaction.owner_id == owner_id, Transaction.account_id == account_id)


def _delete(session: Session, *criteria) -> int:
    """Delete the matching rows; their transfer partners are unlinked first, through the totals."""
    doomed = select(Transaction.id).where(*criteria)
    partners = session.scalars(select(Transaction.transfer_id).where(
        *criteria, Transaction.transfer_id.is_not(None), Transaction.transfer_id.not_in(doomed))).all()
    if partners:
        _update(session, (Transaction.id.in_(partners),), {"transfer_id": None})
    split_ids = select(TransactionSplit.transaction_id).where(TransactionSplit.transaction_id.in_(doomed))
    split = set(session.scalars(split_ids.distinct()))
    if split:  # their parts leave the totals; the rows themselves were never in them
        apply_to_totals(session, session.execute(_entries(Transaction.id.in_(split_ids))).all(), sign=-1)
        session.execute(delete(TransactionSplit).where(TransactionSplit.transaction_id.in_(doomed)))
    forget_vectors(session, criteria)
    deleted = session.execute(delete(Transaction).where(*criteria).returning(Transaction.id, *TOTALS_INPUT)).all()
    apply_to_totals(session, [(*row[1:], 1) for row in deleted if row[0] not in split], sign=-1)
    _count_written(session, len(deleted))
    return len(deleted)


SEARCHED_COLUMNS = ("description", "counterparty", "note")
VECTOR_INPUTS = ("description", "counterparty", "amount")  # what a row's similarity vector is computed from


def update_transactions(session: Session, scope: Scope, transaction_ids: Iterable[int], **values) -> int:
    """Set ``values`` (column names) on those of ``transaction_ids`` the scope may change; returns how many.

    The rows leave the monthly totals as they were and re-enter them as they
    are now, so a change of category, amount, date, status or currency keeps
    every total exact; a change of description or counterparty renews the
    text that search matches.
    """
    return _update(session, (scope.rows(Transaction, WRITE), Transaction.id.in_(list(transaction_ids))), values)


def _update(session: Session, criteria: tuple, values: dict) -> int:
    if "category" in values:
        values["category"] = values["category"] or None
    if any(column in values for column in SEARCHED_COLUMNS):
        rows = session.execute(select(Transaction.id, Transaction.description, Transaction.counterparty,
                                      Transaction.note, Transaction.external_id).where(*criteria)).all()
        for row_id, description, counterparty, note, external_id in rows:
            text_now = transaction_search_text(values.get("description", description),
                                               values.get("counterparty", counterparty), values.get("note", note),
                                               external_id)
            session.execute(update(Transaction).where(Transaction.id == row_id).values(search_text=text_now))
    if "description" in values:
        values["description_key"] = description_key(values["description"])
    if "amount" in values and session.scalar(select(exists().where(
            *criteria, TransactionSplit.transaction_id == Transaction.id, Transaction.amount != values["amount"]))):
        raise SplitError("This transaction is split: change its parts, or remove the split, before its amount.")
    apply_to_totals(session, session.execute(_entries(*criteria)).all(), sign=-1)
    changed = session.execute(update(Transaction).where(*criteria).values(**values)
                              .execution_options(synchronize_session="fetch")).rowcount
    apply_to_totals(session, session.execute(_entries(*criteria)).all(), sign=1)
    if any(column in values for column in VECTOR_INPUTS):
        renew_vectors(session, criteria)
    _count_written(session, changed)
    return changed


def set_splits(session: Session, scope: Scope, transaction_id: int, parts: Sequence[tuple]) -> int:
    """Divide a transaction the scope may change into ``parts`` (amount, category, note), replacing any parts it
    had; no parts makes it whole again. Returns the number of parts.

    The parts must be at least two, none zero, and sum exactly to the transaction's amount; otherwise
    :class:`SplitError` and nothing changes. The totals move from the old parts to the new ones.
    """
    criteria = (scope.rows(Transaction, WRITE), Transaction.id == transaction_id)
    row = session.execute(select(Transaction.owner_id, Transaction.account_id, Transaction.amount)
                          .where(*criteria)).one_or_none()
    if row is None:
        raise SplitError("No such transaction to split.")
    amounts = [Decimal(amount) for amount, _category, _note in parts]
    if len(parts) == 1:
        raise SplitError("A split needs at least two parts.")
    if any(amount == 0 for amount in amounts):
        raise SplitError("Every part needs an amount.")
    if parts and sum(amounts, Decimal(0)) != row.amount:
        raise SplitError(f"The parts sum to {sum(amounts, Decimal(0))}, not to the transaction's {row.amount}.")
    apply_to_totals(session, session.execute(_entries(*criteria)).all(), sign=-1)
    session.execute(delete(TransactionSplit).where(TransactionSplit.transaction_id == transaction_id))
    if parts:
        session.execute(TransactionSplit.__table__.insert(), [
            {"owner_id": row.owner_id, "account_id": row.account_id, "transaction_id": transaction_id,
             "position": position, "amount": amount, "category": category or None, "note": note or None}
            for position, (amount, (_amount, category, note)) in enumerate(zip(amounts, parts), start=1)
        ])
    apply_to_totals(session, session.execute(_entries(*criteria)).all(), sign=1)
    return len(parts)


def rename_split_category(session: Session, owner_id: int, old_name: str, new_name: str) -> int:
    """Move every part of the owner's in ``old_name`` to ``new_name`` (a category renamed or merged), the totals
    following; returns how many parts moved."""
    in_old = (TransactionSplit.owner_id == owner_id, TransactionSplit.category == old_name)
    ids = session.scalars(select(TransactionSplit.transaction_id).where(*in_old).distinct()).all()
    if not ids:
        return 0
    criteria = (Transaction.owner_id == owner_id, Transaction.id.in_(ids))
    apply_to_totals(session, session.execute(_entries(*criteria)).all(), sign=-1)
    moved = session.execute(update(TransactionSplit).where(*in_old).values(category=new_name)).rowcount
    apply_to_totals(session, session.execute(_entries(*criteria)).all(), sign=1)
    return moved


@dataclass
class _Delta:
    income: Decimal = Decimal(0)
    expense: Decimal = Decimal(0)
    transactions: int = 0


def apply_to_totals(session: Session, rows: Iterable[Sequence], sign: int) -> None:
    """Add (sign=1) or remove (sign=-1) entries (``TOTALS_INPUT`` and ``counted``) from the monthly totals."""
    deltas: dict[tuple, _Delta] = defaultdict(_Delta)
    for owner_id, account_id, day, category, nominal_code, currency, amount, transfer_id, counted in rows:
        category = TRANSFER_CATEGORY if transfer_id is not None else category or ""
        delta = deltas[(owner_id, account_id, _first_of_month(day), category, nominal_code or "", currency)]
        if amount > 0:
            delta.income += sign * amount
        else:
            delta.expense -= sign * amount
        delta.transactions += sign * counted
    _store_deltas(session, deltas, sign)


def _store_deltas(session: Session, deltas: dict[tuple, _Delta], sign: int) -> None:
    """Add the deltas (keyed like ``TOTALS_KEY``) to the monthly totals; after removals, drop emptied totals."""
    if not deltas:
        return
    table = MonthlyTotal.__table__
    statement = _dialect_insert(session, table)
    statement = statement.on_conflict_do_update(
        index_elements=list(TOTALS_KEY),
        set_={
            "income": table.c.income + statement.excluded.income,
            "expense": table.c.expense + statement.excluded.expense,
            "transactions": table.c.transactions + statement.excluded.transactions,
        },
    )
    session.execute(statement, [
        dict(zip(TOTALS_KEY, key), income=d.income, expense=d.expense, transactions=d.transactions)
        for key, d in deltas.items()
    ])
    if sign < 0:
        owners = {key[0] for key in deltas}
        session.execute(delete(MonthlyTotal).where(
            MonthlyTotal.owner_id.in_(owners), MonthlyTotal.transactions == 0,
            MonthlyTotal.income == 0, MonthlyTotal.expense == 0))


def _first_of_month(day: date) -> date:
    return day.replace(day=1)


def ledger_entries(*criteria):
    """Every entry the totals count for the transactions matching ``criteria`` (a split row part by part), as a
    subquery with ``TOTALS_INPUT``'s names, ``counted`` and ``totals_category``: the category it is totalled
    under, "Transfers" for a linked transfer so reports leave it out of income and expense whatever category
    it shows. Budgets read it for periods that are not calendar months."""
    entries = _entries(*criteria).subquery("entries")
    category = case((entries.c.transfer_id.is_not(None), TRANSFER_CATEGORY),
                    else_=func.coalesce(entries.c.category, ""))
    return select(entries, category.label("totals_category")).subquery("ledger_entries")


def totals_from_transactions(session: Session, owner_id: int | None = None):
    """The monthly totals recomputed from the transactions and their parts, as a SELECT."""
    entries = ledger_entries(*([Transaction.owner_id == owner_id] if owner_id is not None else []))
    month = month_start(entries.c.date)
    nominal_code = func.coalesce(entries.c.nominal_code, "")
    amount = entries.c.amount
    return (
        select(
            entries.c.owner_id, entries.c.account_id, month.label("month"),
            entries.c.totals_category.label("category"), nominal_code.label("nominal_code"), entries.c.currency,
            func.coalesce(func.sum(case((amount > 0, amount), else_=0)), 0).label("income"),
            func.coalesce(func.sum(case((amount < 0, -amount), else_=0)), 0).label("expense"),
            func.sum(entries.c.counted).label("transactions"),
        )
        .group_by(entries.c.owner_id, entries.c.account_id, month, entries.c.totals_category, nominal_code,
                  entries.c.currency)
    )


def rebuild_totals(session: Session, owner_id: int | None = None) -> None:
    """Recompute the totals from scratch in SQL: after a bulk load, or to repair drift."""
    clear = delete(MonthlyTotal)
    if owner_id is not None:
        clear = clear.where(MonthlyTotal.owner_id == owner_id)
    session.execute(clear)
    session.execute(
        MonthlyTotal.__table__.insert().from_select(
            [*TOTALS_KEY, "income", "expense", "transactions"],
            totals_from_transactions(session, owner_id),
        )
    )


def verify_totals(session: Session) -> list[str]:
    """Differences between the stored totals and a recomputation; empty when they agree."""
    expected = {tuple(row[:6]): tuple(row[6:]) for row in session.execute(totals_from_transactions(session))}
    stored = {
        (t.owner_id, t.account_id, t.month, t.category, t.nominal_code, t.currency):
            (t.income, t.expense, t.transactions)
        for t in session.scalars(select(MonthlyTotal))
    }
    problems = []
    for key in sorted(expected.keys() | stored.keys(), key=repr):
        want, have = expected.get(key), stored.get(key)
        if want is None or have is None or tuple(map(Decimal, want)) != tuple(map(Decimal, have)):
            problems.append(f"{key}: transactions say {want}, totals say {have}")
    return problems
