"""How bank CSV exports write things: their header names, amounts and dates.

Amounts come as ``-1.00``, ``(1.00)``, ``1.00-``, ``£-1.00``, ``- $21.59``,
``1.234,56`` or ``11'373.94``; dates in a dozen layouts. Neither can be read
one cell at a time: ``1,000`` and ``01/02/2024`` mean different things in
different files, so the separator and the date format are decided from every
cell of the file together (see :func:`fitting_date_formats`).
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache

CURRENCY_MARKS = re.compile(r"[£$€¥₹₩₺₽¢]|\b[A-Z]{3}\b|\b(?:kr|Fr)\.?(?!\w)")

# Header names, compared after folding case, accents and punctuation away
# ("Date de l'opération" -> "datedeloperation"). English, French, German,
# Spanish, Portuguese, Italian, Dutch, Danish, Swedish and Norwegian.
HEADER_NAMES = {
    "date": """date transactiondate bookingdate posteddate postingdate txndate journaldate datetime
        completeddate startdate starteddate datedoperation datedeloperation dateoperation datecomptable
        datum buchungstag buchungsdatum fecha fechaoperacion fechadeoperacion fechacontable data
        datadolancamento datalancamento datamovimento datadeoperacao dataoperazione datacontabile
        boekdatum boekingsdatum transactiedatum dato bogforingsdato bokforingsdag bokforingsdatum
        transaktionsdatum transaktionsdato bokfortdato buchung""",
    "value_date": """valuedate datedevaleur datevaleur wertstellung wertstellungsdatum valutadatum fechavalor
        datavalor datavaluta rentedatum rentedato valutadato""",
    "description": """description details narrative transactiondescription transactiondetails particulars
        text transactiontext reason purpose libelle libelleoperation libelledeloperation intitule motif
        buchungstext verwendungszweck beschreibung vorgang concepto descripcion movimiento historico
        descricao descrizione causale descrizioneoperazione omschrijving mededelingen beschrijving tekst
        beskrivelse beskrivning forklaring meddelelse posteringstekst transaktionstekst""",
    "counterparty": """payee name payeename merchant merchantname beneficiary counterparty counterpartyname
        recipient beneficiaire tiers contrepartie empfanger auftraggeberempfanger zahlungsempfanger
        begunstigter begunstigterzahlungspflichtiger auftraggeber beneficiario ordenante contraparte
        favorecido controparte naam naamomschrijving tegenpartij naamtegenpartij begunstigde modtager
        mottagare mottaker navn namn betalningsmottagare namezahlungsbeteiligter beguenstigterzahlungspflichtiger""",
    "memo": """memo note notes comment comments subject remarks additionalinformation detail
        detaildelecriture commentaire informationscomplementaires notiz bemerkung kommentar observaciones
        comentario notas observacao observacoes nota complemento dettaglio notitie opmerking notat
        anteckning bemerkning""",
    "amount": """amount transactionamount value net netamount montant montantdeloperation montantoperation betrag
        umsatz buchungsbetrag netto importe cantidad monto valor montante quantia importo ammontare bedrag
        transactiebedrag belob beloeb belopp""",
    "debit": """debit debits debitamount withdrawal withdrawals paidout moneyout outflow soll ausgang belastung
        cargo cargos debe debito saida saidas addebiti addebito uscite dare af debet udbetaling uttag""",
    "credit": """credit credits creditamount deposit deposits paidin moneyin inflow haben eingang gutschrift abono
        abonos haber ingreso ingresos credito entrada entradas accrediti accredito entrate avere bij
        indsat indbetaling insattning""",
    "balance": """balance runningbalance bookedbalance solde soldeapresoperation saldo kontostand
        saldonachbuchung saldonamutatie bogfortsaldo guthaben""",
    "currency": """currency ccy currencycode devise monnaie monn wahrung waehrung moneda divisa moeda valuta""",
    "id": """id transactionid transactionnumber transactionreference fitid uniqueid ndetransaction
        numerodetransaction referencia riferimento referentie transaktionsid transaktionsnummer
        buchungsreferenz idtransazione transaktionscode reference ref""",
    "status": "status state statut etat estado stato situacao tilstand",
    # A column named so generically that it is the status only when every cell is one (Sparkasse's "Info").
    "status_note": "info",
    "category": "category categorie kategorie categoria kategori rubrique",
}
ROLE_BY_HEADER = {name.lower(): role for role, names in HEADER_NAMES.items() for name in names.split()}
NUMBERED_DESCRIPTION_PREFIXES = ("description", "vwz", "verwendungszweck", "libelle", "details")
# Opening, closing and total rows: not transactions. Folded to plain lowercase.
BALANCE_ROW_PREFIXES = (
    "saldo anterior", "saldo inicial", "saldo final", "saldo atual", "saldo iniziale", "saldo finale",
    "saldo precedente", "opening balance", "closing balance", "balance brought forward",
    "balance carried forward", "brought forward", "carried forward", "solde initial", "solde final",
    "solde precedent", "ancien solde", "nouveau solde", "anfangssaldo", "endsaldo", "alter kontostand",
    "neuer kontostand", "beginsaldo", "eindsaldo", "startsaldo", "ingaende saldo", "utgaende saldo",
    "indgaende saldo", "udgaende saldo",
)
# Labels of a balance stated above the header (DKB's "Kontostand vom 09.12.2025:", ING's "Saldo").
PREAMBLE_BALANCE_LABELS = ("kontostand", "saldo", "balance", "closing balance", "current balance", "solde")
TOTAL_ROWS = {"total", "totals", "totaal", "totale", "summe", "sum", "subtotal", "saldo", "solde", "balance"}
PENDING_WORDS = (
    "pend", "vorgemerkt", "ausstehend", "en attente", "in sospeso", "in afwachting", "autoriz", "authori",
)
DEBIT_WORDS = {"debit", "dr", "db", "debet"}
CREDIT_WORDS = {"credit", "cr", "kredit"}
STATUS_WORDS = {"posted", "pending", "complete", "completed", "cleared", "booked", "settled", "gebucht",
                "vorgemerkt", "umsatz gebucht", "umsatz vorgemerkt", "abgeschlossen", "ausstehend"}
LETTER_FOLDS = str.maketrans({"ø": "o", "æ": "ae", "ß": "ss", "œ": "oe", "đ": "d", "ł": "l"})
DATE_SAMPLE_SIZE = 50
THOUSANDS_MARKS = ("'", "’", " ", "\u00a0", "\u202f")


def _grouped(integer_part: str, separator: str) -> bool:
    """True when ``integer_part`` is digits, optionally grouped in threes by ``separator``."""
    if separator not in integer_part:
        return integer_part.isdigit() or integer_part == ""
    groups = integer_part.split(separator)
    leading, rest = groups[0], groups[1:]
    return leading.isdigit() and len(leading) <= 3 and all(g.isdigit() and len(g) == 3 for g in rest)


def _unsigned_number(text: str, decimal_separator: str) -> Decimal:
    for mark in THOUSANDS_MARKS:
        text = text.replace(mark, "")
    thousands = "," if decimal_separator == "." else "."
    integer_part, point, fraction = text.partition(decimal_separator)
    readable = _grouped(integer_part, thousands) and (fraction.isdigit() if point else integer_part != "")
    if not readable:
        raise ValueError(text)
    return Decimal(integer_part.replace(thousands, "") + point.replace(decimal_separator, ".") + fraction)


def parse_amount(text: str, decimal_separator: str = ".") -> Decimal | None:
    """The signed amount in ``text``; None for an empty cell; ValueError when unreadable."""
    text = CURRENCY_MARKS.sub("", text.strip()).strip()
    if not text:
        return None
    negative = False
    if text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1].strip()
    if text[:1] in "+-":
        negative, text = negative or text[0] == "-", CURRENCY_MARKS.sub("", text[1:]).strip()
    elif text[-1:] in "+-":
        negative, text = text[-1] == "-", text[:-1].strip()
    try:
        value = _unsigned_number(text, decimal_separator)
    except ValueError:
        raise ValueError(f"not an amount: {text!r}") from None
    return -value if negative else value


def has_currency_mark(text: str) -> bool:
    return bool(CURRENCY_MARKS.search(text.strip()))


def decimal_separator_votes(cells: Iterable[str]) -> dict[str, int]:
    """How many cells show a decimal point and how many a decimal comma.

    ``1,000`` or ``1.234`` alone prove nothing (thousands or three decimals),
    so they do not vote; ``-8,10`` and ``1,036.47`` do.
    """
    votes = {".": 0, ",": 0}
    for cell in cells:
        digits = re.sub(r"[^\d.,]", "", cell)
        if "." in digits and "," in digits:
            votes[max(".", ",", key=digits.rfind)] += 1
            continue
        for separator in ".,":
            if digits.count(separator) == 1 and len(digits.split(separator)[1]) != 3:
                votes[separator] += 1
    return votes


def decided_decimal_separator(cells: Iterable[str]) -> str:
    votes = decimal_separator_votes(cells)
    return "," if votes[","] > votes["."] else "."


def _iso_datetime(text: str) -> date:
    if len(text) <= 10:
        raise ValueError(text)
    return datetime.fromisoformat(text.replace(" ", "T", 1)).date()


_OFX_DATETIME = re.compile(r"(\d{8})\d{6}(?:\.\d{3})?(?:\[[+-]?\d+(?:\.\d+)?(?::\w+)?\])?")
_SHORT_YEAR_DATE = re.compile(r"(\d{1,2})-([A-Za-z]{3})-(\d{1,2})")


def _ofx_datetime(text: str) -> date:
    """``20091224120000[0:GMT]``: the calendar date as written, whatever the zone (as OFX files are read)."""
    match = _OFX_DATETIME.fullmatch(text)
    if not match:
        raise ValueError(text)
    return datetime.strptime(match.group(1), "%Y%m%d").date()


def _short_year_date(text: str) -> date:
    """``10-Nov-9``: a year of one or two digits, read as ``%y`` reads two (00-68 are 2000-2068)."""
    match = _SHORT_YEAR_DATE.fullmatch(text)
    if not match:
        raise ValueError(text)
    day, month, year = match.groups()
    return datetime.strptime(f"{day}-{month}-{int(year):02d}", "%d-%b-%y").date()


def _strptime(pattern: str):
    def parse(text: str) -> date:
        return datetime.strptime(text, pattern).date()

    return parse


# Candidate layouts, named as a user reads them. Dotted day-first layouts have
# no month-first twin: no bank writes MM.DD.YYYY. Dashed dates are day-first
# (European banks) unless a day above 12 says otherwise (a US 01-31-2025).
DATE_FORMATS = {
    "YYYY-MM-DD": _strptime("%Y-%m-%d"),
    "ISO 8601 date-time": _iso_datetime,
    "YYYY/MM/DD": _strptime("%Y/%m/%d"),
    "YYYYMMDD": _strptime("%Y%m%d"),
    "DD/MM/YYYY": _strptime("%d/%m/%Y"),
    "MM/DD/YYYY": _strptime("%m/%d/%Y"),
    "DD/MM/YY": _strptime("%d/%m/%y"),
    "M/D/YY": _strptime("%m/%d/%y"),
    "DD.MM.YYYY": _strptime("%d.%m.%Y"),
    "DD.MM.YY": _strptime("%d.%m.%y"),
    "DD-MM-YYYY": _strptime("%d-%m-%Y"),
    "MM-DD-YYYY": _strptime("%m-%d-%Y"),
    "DD Mon YYYY": _strptime("%d %b %Y"),
    "DD-Mon-YY": _strptime("%d-%b-%y"),
    "DD-Mon-YYYY": _strptime("%d-%b-%Y"),
    "DD-Mon-Y": _short_year_date,
    "OFX date-time": _ofx_datetime,
    "Mon DD, YYYY": _strptime("%b %d, %Y"),
}


# A format that is only a choice when its day-first twin does not read the file.
MONTH_FIRST_FALLBACKS = {"MM-DD-YYYY": "DD-MM-YYYY"}


DATE_ORDERS = ("dmy", "mdy")


def in_date_order(formats: list[str], date_order: str | None) -> list[str]:
    """The formats that follow ``date_order`` when several read the file and some do; else all of them."""
    if len(formats) < 2 or date_order not in DATE_ORDERS:
        return formats
    preferred = [f for f in formats if date_order_of(f) == date_order]
    return preferred or formats


def date_order_of(date_format: str) -> str | None:
    """ "dmy" for a day-first format, "mdy" for a month-first one, None for year-first and the rest."""
    if date_format.startswith("DD"):
        return "dmy"
    if date_format.startswith(("MM", "M/")):
        return "mdy"
    return None


def parse_date(text: str, date_format: str) -> date:
    """The date in ``text`` under ``date_format`` (a key of DATE_FORMATS); ValueError otherwise."""
    day = date_or_none(text, date_format)
    if day is None:
        raise ValueError(f"{text!r} is not a date in the format {date_format}")
    return day


@lru_cache(maxsize=65_536)
def date_or_none(text: str, date_format: str) -> date | None:
    """Cached: a file repeats a few thousand dates over its rows, and layout detection, the check of the
    rest and the rows read the same cells, so strptime runs once per distinct cell and format."""
    try:
        return DATE_FORMATS[date_format](" ".join(text.split()))
    except ValueError:
        return None


def fitting_date_formats(cells: list[str]) -> tuple[list[str], int]:
    """The formats that read the most cells, and how many cells they read.

    Formats that read fewer of the first cells are dropped early, so a long
    file is not read fifteen times. Formats that fit but give the very same
    dates for every cell (``10/10/2017`` read day-first or month-first) are
    not a real choice: only the first is kept.
    """
    sample = cells[:DATE_SAMPLE_SIZE]
    sample_counts = {name: sum(date_or_none(c, name) is not None for c in sample) for name in DATE_FORMATS}
    sample_best = max(sample_counts.values(), default=0)
    if sample_best == 0:
        return [], 0
    readings = {
        name: [date_or_none(cell, name) for cell in cells]
        for name, count in sample_counts.items()
        if count == sample_best
    }
    best = max(sum(d is not None for d in reading) for reading in readings.values())
    fitting: dict[str, list[date | None]] = {}
    for name, reading in readings.items():
        if sum(d is not None for d in reading) == best and reading not in fitting.values():
            fitting[name] = reading
    return [name for name in fitting if MONTH_FIRST_FALLBACKS.get(name) not in fitting], best


def header_key(name: str) -> str:
    """``"Date de l'opération"`` -> ``"datedeloperation"``."""
    return "".join(ch for ch in folded_text(name) if ch.isalnum())


def folded_text(text: str) -> str:
    """Lowercase, without accents, single-spaced: ``"Débit  "`` -> ``"debit"``."""
    if text.isascii():  # no accents or letters to fold: the same result without NFKD (most cells of most files)
        return " ".join(text.lower().split())
    folded = unicodedata.normalize("NFKD", text.lower().translate(LETTER_FOLDS))
    return " ".join("".join(ch for ch in folded if not unicodedata.combining(ch)).split())


# What a header puts in brackets after its name: the currency ("Betrag (€)", "Amount [EUR]") or a
# qualifier ("BIC (SWIFT-Code)", a repeated name's "(2)").
HEADER_QUALIFIER = re.compile(r"\s*[(\[]\s*([^()\[\]]*?)\s*[)\]]\s*$")
CURRENCY_SYMBOLS = {"€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR", "₩": "KRW", "₺": "TRY", "₽": "RUB"}


def header_currency(name: str) -> str | None:
    """The currency a header names in brackets: ``Betrag (€)`` -> EUR, ``Amount (EUR)`` -> EUR.

    A bare ``$`` names no one currency (US, Canadian, Australian dollars...), so it names none.
    """
    match = HEADER_QUALIFIER.search(name)
    if not match:
        return None
    qualifier = match.group(1).strip()
    if qualifier in CURRENCY_SYMBOLS:
        return CURRENCY_SYMBOLS[qualifier]
    return qualifier if len(qualifier) == 3 and qualifier.isalpha() and qualifier.isupper() else None


def header_role(name: str) -> str | None:
    """The role a header name gives its column: "date", "amount", "debit", ... or None.

    A bracketed qualifier after the name does not change its role: ``Betrag (€)`` is an amount.
    """
    if HEADER_QUALIFIER.search(name) and (unqualified := HEADER_QUALIFIER.sub("", name)):
        name = unqualified
    key = header_key(name)
    if key in ROLE_BY_HEADER:
        return ROLE_BY_HEADER[key]
    if key.rstrip("0123456789") in NUMBERED_DESCRIPTION_PREFIXES and key[-1:].isdigit():
        return "description"
    if key.startswith("amount"):
        return "amount"
    return None


def is_balance_row(description: str) -> bool:
    folded = folded_text(description)
    return folded in TOTAL_ROWS or folded.startswith(BALANCE_ROW_PREFIXES)


@lru_cache(maxsize=1024)
def is_pending(status: str) -> bool:
    """Cached: a status column holds a handful of distinct words over all its rows."""
    folded = folded_text(status)
    return any(word in folded for word in PENDING_WORDS)


def combined_amount(money_out: Decimal | None, money_in: Decimal | None) -> Decimal | None:
    """Paid-out and paid-in cells as one signed amount, whatever sign each is written with."""
    if money_out is None and money_in is None:
        return None
    return abs(money_in or Decimal(0)) - abs(money_out or Decimal(0))


# Credit/debit indicator cells that give the sign of an unsigned amount column
# (ING's Af/Bij, "C"/"D", camt-style CRDT/DBIT, and their English words).
DEBIT_INDICATORS = frozenset({"d", "dr", "dbit", "debit", "af", "s", "soll", "-"})
CREDIT_INDICATORS = frozenset({"c", "cr", "crdt", "credit", "bij", "h", "haben", "+"})


def indicator_sign(text: str) -> int | None:
    """-1 for a debit indicator, 1 for a credit one, None for anything else."""
    word = text.strip().lower()
    return -1 if word in DEBIT_INDICATORS else 1 if word in CREDIT_INDICATORS else None


def is_indicator_column(cells: list[str]) -> bool:
    """Every cell is a credit/debit indicator and both kinds occur."""
    signs = {indicator_sign(cell) for cell in cells}
    return bool(cells) and None not in signs and len(signs) == 2
