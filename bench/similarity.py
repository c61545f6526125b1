"""Similarity benchmark: the quality of category suggestions for each vector kind, and what vectors add to an
import (one call from bench/bench.py; ``python -m bench.similarity`` prints the quality table alone).

Two labelled sets, each split into history (rows the user has categorised) and new rows:
- the demo data (dashboard/demo.py's generator), by date: the first 70 % history, the rest new;
- a set made from the real descriptions in ../shared/fixtures/bank-exports: each description given a
  category below, then written the way banks vary one merchant's lines (other store and reference numbers,
  other card times, a dropped town, another case, a card-terminal prefix). Each merchant's first variants are
  history, the later ones new; a few merchants appear only among the new rows (never categorised before).
For each kind: top-1 accuracy (the vote's winner, no threshold), coverage (share of rows that get a
suggestion) and accuracy of those suggestions, over new rows whose merchant is in the history, at each
threshold. The threshold is chosen on one variant seed (tuning) and checked on another (held out).
"""
from __future__ import annotations

import random
import re
import sys
import time
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dashboard.similarity.store import current_kind  # noqa: E402
from dashboard.similarity.suggestions import NEIGHBOURS, THRESHOLD, vote  # noqa: E402
from dashboard.similarity.vectors import VectorKind, vectors_for  # noqa: E402

BANK_EXPORTS = ROOT.parent / "shared" / "fixtures" / "bank-exports"
THRESHOLDS = (0.0, 0.2, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7)
TUNING_SEED, HELD_OUT_SEED = 11, 29
VARIANTS, HISTORY_VARIANTS = 8, 4

# A real description from the fixtures -> (merchant, category). Descriptions that name no merchant
# ("Transfer", "CHECK", test placeholders, scrambled ones) are left out: no one could categorise them by text.
LABELS = {
    "AUCKLAND TRANSPORT HENDERSON NZL": ("auckland transport", "Transport"),
    "AKLD TRANSPORT PARKING AUCKLAND NZL": ("akld parking", "Transport"),
    "WILSON PARKING AUCKLAND NZL": ("wilson parking", "Transport"),
    "VODAFONE PREPAY VISA M AUCKLAND NZL": ("vodafone prepay", "Phone"),
    "VODAFONE FXFLNE BBND R NEWTON NZL": ("vodafone broadband", "Phone"),
    "ITUNES NZ CORK IRL": ("itunes", "Subscriptions"),
    "Z BEACH RD AUCKLAND NZL": ("z fuel", "Transport"),
    "TOURNAMENT KHYBER PASS AUCKLAND NZL": ("tournament parking", "Transport"),
    "UNION MARKET -  HOUSNEW YORK": ("union market", "Groceries"),
    "WHOLEFDS HOU 10236 02124201320": ("whole foods", "Groceries"),
    "SPOTIFY USA         28770130901": ("spotify", "Subscriptions"),
    "GOAT TOWN 1200000549NEW YORK": ("goat town", "Eating out"),
    "AMC VILLAGE 7 #2110 NEW YORK": ("amc", "Entertainment"),
    "CAFE MOGADOR 0048   NEW YORK": ("cafe mogador", "Eating out"),
    "SUNSHINE CINEMA 5429NEW YORK": ("sunshine cinema", "Entertainment"),
    "MACY'S / #003 HERALD S / NEW YORK": ("macys", "Shopping"),
    "PAPYRUS #2302 000002NEW YORK": ("papyrus", "Shopping"),
    "LES CAFES 400 LAFAYENEW YORK": ("les cafes", "Eating out"),
    "EFTPOS WDL HANDYWAY ALDI STORE   GEELONG WEST VICAU": ("aldi", "Groceries"),
    "SQ *ECCO UN POCO ¦ NATURA": ("ecco un poco", "Eating out"),
    "PREAUTHORIZED DEBIT;B.C. HYDRO & POWER AUTHORITY;Electronic Funds Transfer": ("bc hydro", "Utilities"),
    "Dankort-nota DSB Kobenhavn 15149": ("dsb", "Transport"),
    "Dankort-nota Ziggy Cafe 19471": ("ziggy cafe", "Eating out"),
    "Dankort-nota H&M Hennes & M 10681": ("h&m", "Clothing"),
    "Visa kob DKK 995,00 WWW.ASOS.COM 00000": ("asos", "Clothing"),
    "Dankort-nota MATAS - 20319 18230": ("matas", "Health"),
    "Pagto conta telefone - VIVO DF": ("vivo", "Phone"),
    "Cobrança de I.O.F.": ("iof", "Bank charges"),
    "Drillisch Online AG": ("drillisch", "Phone"),
    "Vattenfall Europe Energy": ("vattenfall", "Utilities"),
    "Humble Bundle, Inc.": ("humble bundle", "Entertainment"),
    "Airplanes R Us": ("airplanes r us", "Travel"),
    "CAPITAL ONE AUTOPAY PYMT": ("capital one", "Card payment"),
    "MCDONALD'S #112": ("mcdonalds", "Eating out"),
    "Joe's Bald Hairstyles": ("joes hair", "Personal care"),
    "CONNIE'S HAIR D": ("connies hair", "Personal care"),
    "AUTOMATIC WITHDRAWAL, ELECTRIC BILL WEB(S )": ("electric bill", "Utilities"),
    "RETURNED CHECK FEE, CHECK # 319 FOR $45.33 ON 04/07/11": ("returned check fee", "Bank charges"),
    "DIVIDEND EARNED FOR PERIOD OF 03/01/2011 THROUGH 03/31/2011 ANNUAL PERCENTAGE YIELD EARNED IS 0.05%":
        ("dividend", "Interest"),
    "DEPOSIT INTEREST": ("deposit interest", "Interest"),
    "Shell Gas": ("shell", "Transport"),
    "Visa Supermarket": ("supermarket", "Groceries"),
    "PayPal Europe S.a.r.l. et Cie S.C.A": ("paypal", "Shopping"),
    "BMO HARRIS BANK": ("bmo harris", "Card payment"),
    "Charger-baisikeli (distributor price)": ("baisikeli charger", "Purchases"),
    "Solde prix prestations": ("prestations", "Sales"),
    "COTISATION JAZZ": ("jazz club", "Entertainment"),
    "ATM Withdrawal Withdrawal": ("atm", "Cash"),
    "Compra com Cartão - 01/11 09:45 XXXXXXXXXXX": ("compra cartao", "Shopping"),
    "Saque com cartão - 01/11 13:17 XXXXXXXXXXXXXXXX": ("saque", "Cash"),
    "Transferência on line - 01/11 4885 256620-6 XXXXXXXXXXXXX": ("transferencia", "Transfer"),
    "EFTPOS WDL HANDYWAY ALDI STORE": ("aldi", "Groceries"),
}
# Merchants whose rows are all new (never categorised before): they show what coverage falls to, not accuracy.
UNSEEN = {"humble bundle", "airplanes r us", "jazz club", "connies hair", "bmo harris", "vattenfall"}
TERMINAL_PREFIXES = ("", "", "", "SQ *", "POS ", "CARD ", "VISA ", "DEBIT ")
TOWNS = ("LONDON", "AUCKLAND", "NEW YORK", "KOBENHAVN", "GENEVE", "GEELONG", "BRASILIA", "BERLIN")


@dataclass(frozen=True)
class Row:
    description: str
    counterparty: str | None
    amount: Decimal
    category: str
    merchant: str
    history: bool


def fixture_descriptions() -> list[str]:
    """Every description in the shared bank exports that has a label, read with the app's own parsers."""
    from dashboard.importers.detect import parse_file
    from dashboard.importers.records import ImportFileError
    if not BANK_EXPORTS.is_dir():
        raise SystemExit(f"shared bank exports not found at {BANK_EXPORTS}")
    found = set()
    for path in sorted(BANK_EXPORTS.rglob("*")):
        if not path.is_file() or path.suffix.lower() == ".md":
            continue
        try:
            parsed = parse_file(path.read_bytes(), path.name)
        except (ImportFileError, ValueError):
            continue  # a file that needs a column mapping, or an example of a bad file
        found.update(t.description for t in parsed.transactions if t.description in LABELS)
    return sorted(found)


def variant(description: str, rng: random.Random) -> str:
    """The same merchant's line as another day's export might write it."""
    text = re.sub(r"\d+", lambda m: "".join(rng.choice("0123456789") for _ in m.group()), description)
    text = re.sub(r"X{4,}", lambda m: "X" * rng.randint(6, 18), text)
    words = text.split()
    if len(words) >= 4 and rng.random() < 0.4:
        words = words[:-1]  # the town left off
    text = " ".join(words)
    if rng.random() < 0.3:
        text = f"{text} {rng.choice(TOWNS)}"  # another branch's town
    if len(text) > 22 and rng.random() < 0.3:
        text = text[:22]  # cut at another bank's field width
    if rng.random() < 0.3:
        text = text.upper() if rng.random() < 0.5 else text.title()
    if rng.random() < 0.3:
        text = f"{text} *{rng.choice('ABCDEFGHJK')}{rng.randint(1, 9)}{rng.choice('PQRSTVWXYZ')}{rng.randint(1, 9)}"
    return rng.choice(TERMINAL_PREFIXES) + text


def fixture_rows(seed: int) -> list[Row]:
    rng = random.Random(seed)
    rows = []
    for description in fixture_descriptions():
        merchant, category = LABELS[description]
        base = Decimal(rng.choice((4, 12, 35, 80, 240)))
        sign = 1 if category in ("Interest", "Sales") else -1
        for number in range(VARIANTS):
            amount = sign * (base * Decimal(rng.uniform(0.7, 1.3))).quantize(Decimal("0.01"))
            rows.append(Row(variant(description, rng), None, amount, category, merchant,
                            history=number < HISTORY_VARIANTS and merchant not in UNSEEN))
    return rows


def demo_rows(seed: int, count: int = 3_000) -> list[Row]:
    from dashboard import demo
    rng = random.Random(seed)
    today = date(2026, 6, 30)
    start = date(today.year - 1, today.month, 1)
    generated = sorted(demo._everyday(rng, start, today, count, 12), key=lambda row: row[1])
    cut = int(len(generated) * 0.7)
    return [Row(description, counterparty, Decimal(amount), category, counterparty, history=number < cut)
            for number, (_key, _day, description, counterparty, category, amount, _nominal) in enumerate(generated)]


def evaluate(kind: VectorKind, rows: list[Row], thresholds=THRESHOLDS) -> dict:
    """Top-1 accuracy, and coverage and accuracy at each threshold, over new rows of merchants seen before."""
    history = [r for r in rows if r.history]
    known = {r.merchant for r in history}
    new = [r for r in rows if not r.history and r.merchant in known]
    unseen = [r for r in rows if not r.history and r.merchant not in known]
    started = time.perf_counter()
    history_matrix = vectors_for(kind, [(r.description, r.counterparty, r.amount) for r in history])
    queries = [(r.description, r.counterparty, r.amount) for r in new + unseen]
    similarities = vectors_for(kind, queries) @ history_matrix.T
    seconds = time.perf_counter() - started
    votes = []
    for row in similarities:
        best = np.argsort(-row)[:NEIGHBOURS]
        votes.append(vote([(float(row[i]), history[i].category) for i in best]))
    known_votes, unseen_votes = votes[:len(new)], votes[len(new):]
    right = [v is not None and v[0] == r.category for r, v in zip(new, known_votes)]
    figures = {"kind": kind.value, "history": len(history), "new_known": len(new), "new_unseen": len(unseen),
               "top1_accuracy": sum(right) / len(new), "seconds": round(seconds, 3), "by_threshold": {}}
    for threshold in thresholds:
        covered = [ok for ok, v in zip(right, known_votes) if v is not None and v[1] >= threshold]
        figures["by_threshold"][threshold] = {
            "coverage": len(covered) / len(new),
            "accuracy": sum(covered) / len(covered) if covered else None,
            "unseen_coverage": (sum(v is not None and v[1] >= threshold for v in unseen_votes) / len(unseen)
                                if unseen else None),
        }
    return figures


def quality(seed: int = HELD_OUT_SEED) -> dict[str, dict[str, dict]]:
    """The figures for each labelled set and vector kind."""
    sets = {"bank fixtures": fixture_rows(seed), "demo": demo_rows(seed)}
    return {name: {kind.value: evaluate(kind, rows) for kind in VectorKind} for name, rows in sets.items()}


def quality_table(results: dict) -> str:
    lines = [f"{'set':14} {'kind':10} {'top-1':>6} " + " ".join(f"t={t:<4}".rjust(14) for t in THRESHOLDS)]
    for name, kinds in results.items():
        for kind, figures in kinds.items():
            cells = " ".join(
                f"{f['coverage']:.2f}/{f['accuracy'] or 0:.2f}/{f['unseen_coverage'] or 0:.2f}".rjust(14)
                for f in figures["by_threshold"].values())
            lines.append(f"{name:14} {kind:10} {figures['top1_accuracy']:6.3f} {cells}")
    lines.append("cells: coverage/accuracy over new rows whose merchant was categorised before/"
                 "coverage of new rows of merchants never categorised (lower is better); "
                 f"in use: threshold {THRESHOLD}")
    return "\n".join(lines)


if __name__ == "__main__":
    import logging
    logging.disable(logging.INFO)
    for seed, label in ((TUNING_SEED, "tuning"), (HELD_OUT_SEED, "held out")):
        print(f"== {label} (seed {seed})")
        print(quality_table(quality(seed)))


def import_figures(at_most, at_least, owner_id: int, account_id: int, import_seconds: float) -> None:
    """Called by bench/bench.py inside the app context right after its import of ``account_id``'s rows: what
    the vectors cost that import, against the 25 % budget, and the suggestion quality of the kind in use at the
    threshold in use."""
    vector_cost_figure(at_most, owner_id, account_id, import_seconds)
    figures = quality(HELD_OUT_SEED)["bank fixtures"][current_kind().value]["by_threshold"][THRESHOLD]
    at_least(f"suggestions: accuracy at threshold {THRESHOLD} (coverage {figures['coverage']:.0%})",
             figures["accuracy"], 0.9, "share", 1.0)


def vector_cost_figure(at_most, owner_id: int, account_id: int, import_seconds: float) -> None:
    """Inside the app context right after an import of ``account_id``'s rows: its vectors are removed (and the
    owner's vectors no other row uses), then computed and stored again, timed alone, as the ledger does; the
    figure is the import's time against the import's time less that. Its name says the search path."""
    from sqlalchemy import func, select

    from dashboard.extensions import db
    from dashboard.models import Transaction
    from dashboard.similarity.store import forget_vectors, index_missing, search_path
    first_id = db.session.scalar(select(func.min(Transaction.id)).where(Transaction.account_id == account_id))
    forget_vectors(db.session, [Transaction.account_id == account_id])
    db.session.commit()
    if db.engine.dialect.name == "postgresql":  # the import wrote into tables without these dead rows
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM transaction_vectors, similarity_vectors")
    started = time.perf_counter()
    count = index_missing(db.session, [owner_id], after_id=first_id - 1)  # the import's rows, as the ledger does
    db.session.commit()
    seconds = time.perf_counter() - started
    without = max(import_seconds - seconds, 1e-9)
    at_most(f"import {count:,} rows: with vectors vs without, {search_path(db.session)} (s)", import_seconds, without,
            "s", 1.25, note=f"vectors {seconds:.1f} s of {import_seconds:.1f} s ({current_kind().value})")

