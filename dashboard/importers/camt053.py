"""ISO 20022 bank-to-customer cash messages, any version (.001.02 to .001.08 and later):
camt.053 statements (``BkToCstmrStmt/Stmt``), camt.052 account reports
(``BkToCstmrAcctRpt/Rpt``) and camt.054 debit/credit notifications
(``BkToCstmrDbtCdtNtfctn/Ntfctn``). All three carry the same ``Acct``, ``Bal``
and ``Ntry`` elements, so one reader takes them; a report or notification
usually states no closing balance (camt.052 gives ``PRCD`` and interim
``ITBD`` balances), and then none is kept. The opening balance (``OPBD``,
else ``PRCD``) is kept as the balance before the statement's first day.

Elements are matched on their local names, so every namespace version reads
the same way. Choices a reader would otherwise have to guess:

- The sign comes from ``CdtDbtInd`` alone. ISO 20022 defines it as the
  direction of the entry itself; ``RvslInd`` only says that the entry undoes
  an earlier one (a reversed debit is booked as ``CRDT``), so it does not flip
  the amount again. It does swap the counterparty: the related parties of a
  reversal still describe the original payment.
- The statement's currency is ``Acct/Ccy``, else the currency of its entries,
  else that of its first balance. Balances in any other currency are ignored
  (and named in the preview details): a closing balance in SEK says nothing
  about a EUR account.
- The external id is the bank's reference (``AcctSvcrRef``, ``NtryRef``, or the
  references of the entry's single ``TxDtls``). An id that repeats within one
  account in the file is dropped, so the loader identifies those rows by hash
  instead of merging distinct entries.
- ``INFO`` entries (information only, never booked) are skipped; ``FUTR``
  entries are pending like ``PDNG``.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal

from lxml import etree

from .records import (
    PENDING,
    POSTED,
    ImportFileError,
    ParsedFile,
    ParsedStatement,
    ParsedTransaction,
    drop_repeated_ids,
)

MESSAGES = ("BkToCstmrStmt/Stmt", "BkToCstmrAcctRpt/Rpt", "BkToCstmrDbtCdtNtfctn/Ntfctn")
ENTRY_STATUSES = {"BOOK": POSTED, "PDNG": PENDING, "FUTR": PENDING, "INFO": None}
# The balance before the first entries: OPBD opens a statement, PRCD (the previous closing) a camt.052 report.
OPENING_BALANCES = ("OPBD", "PRCD")
ACCOUNT_TYPES = {"CACC": "checking", "SVGS": "savings", "CARD": "credit_card", "LOAN": "loan"}
_AMOUNT = re.compile(r"\d+(\.\d+)?")
_NOT_PROVIDED = "NOTPROVIDED"
# Version 1 messages name their root with the version: BkToCstmrAcctRptV01.
_VERSIONED_MESSAGE = re.compile(r"(?<=^BkToCstmr)(\w+?)V\d\d$")
_DECLARED_ENCODING = re.compile(rb"""<\?xml[^>]*encoding=["']([A-Za-z0-9._-]+)["']""")


def parse(data: bytes) -> ParsedFile:
    if not data.strip():
        raise ImportFileError("the file is empty", 1)
    document, encoding = _parse_xml(data)
    namespace = etree.QName(document).namespace or ""
    for element in document.iter(etree.Element):
        element.tag = _VERSIONED_MESSAGE.sub(r"\1", etree.QName(element).localname)
    message = next((path for path in MESSAGES if document.find(path.split("/")[0]) is not None), None)
    if document.tag != "Document" or message is None:
        raise ImportFileError(
            "not a camt.052, camt.053 or camt.054 message: no Document/BkToCstmrStmt, "
            "BkToCstmrAcctRpt or BkToCstmrDbtCdtNtfctn", document.sourceline)
    ignored_balances: list[str] = []
    statements = [_statement(element, ignored_balances) for element in document.iterfind(message)]
    drop_repeated_ids(statements)
    details = {
        "version": namespace.rsplit(":", 1)[-1] or "camt.053 (no namespace)",
        "statements": str(len(statements)),
        "accounts": ", ".join(dict.fromkeys(s.account_id or "(unknown)" for s in statements)),
        "entries": str(sum(len(s.transactions) for s in statements)),
    }
    if ignored_balances:
        details["ignored balances"] = "; ".join(ignored_balances)
    return ParsedFile(format="camt053", statements=statements, encoding=encoding, details=details)


def _parse_xml(data: bytes) -> tuple[etree._Element, str]:
    """The document root and its encoding; bytes that claim UTF-8 but are not are read as Windows-1252."""
    declared = _DECLARED_ENCODING.search(data[:200])
    encoding = declared.group(1).decode().lower() if declared else "utf-8"
    override = None
    if encoding.replace("-", "") == "utf8":
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            encoding = override = "windows-1252"
    parser = etree.XMLParser(encoding=override, resolve_entities=False, no_network=True, load_dtd=False)
    try:
        return etree.fromstring(data, parser), encoding
    except etree.XMLSyntaxError as error:
        raise ImportFileError(f"not a valid XML document: {error.msg}", error.lineno) from None


def _statement(element: etree._Element, ignored_balances: list[str]) -> ParsedStatement:
    account = element.find("Acct")
    if account is None:
        raise ImportFileError("statement has no account (Acct)", element.sourceline)
    entries = [e for e in element.findall("Ntry") if _status(e) is not None]
    balances = element.findall("Bal")
    currency = (
        _text(account, "Ccy")
        or next((e.find("Amt").get("Ccy") for e in entries if e.find("Amt") is not None), None)
        or next((b.find("Amt").get("Ccy") for b in balances if b.find("Amt") is not None), None)
    )
    statement = ParsedStatement(
        transactions=[_transaction(entry) for entry in entries],
        account_id=_text(account, "Id/IBAN") or _text(account, "Id/Othr/Id"),
        account_type=ACCOUNT_TYPES.get(_text(account, "Tp/Cd") or ""),
        institution=_text(account, "Svcr/FinInstnId/Nm")
        or _text(account, "Svcr/FinInstnId/BICFI")
        or _text(account, "Svcr/FinInstnId/BIC"),
        currency=currency,
    )
    for balance in balances:
        code = _text(balance, "Tp/CdOrPrtry/Cd")
        if code not in ("CLBD", "CLAV", *OPENING_BALANCES):
            continue
        amount, balance_currency = _signed_amount(balance)
        if balance_currency != currency:
            ignored_balances.append(f"{code} {abs(amount)} {balance_currency} (line {balance.sourceline})")
            continue
        as_of = _datetime(balance.find("Dt"))
        if code in OPENING_BALANCES:
            if as_of is not None and (code == "OPBD" or statement.opening_balance is None):
                statement.opening_balance, statement.opening_date = amount, as_of.date()
        elif code == "CLBD":
            statement.ledger_balance, statement.balance_as_of = amount, as_of
        else:
            statement.available_balance = amount
            statement.balance_as_of = statement.balance_as_of or as_of
    return statement


def _transaction(entry: etree._Element) -> ParsedTransaction:
    amount, currency = _signed_amount(entry)
    reversal = (_text(entry, "RvslInd") or "").lower() in ("true", "1")
    details = entry.findall("NtryDtls/TxDtls")
    only_detail = details[0] if len(details) == 1 else None
    underlying_debit = (amount < 0) != reversal  # a reversal's parties describe the payment it undoes
    other_party = "Cdtr" if underlying_debit else "Dbtr"
    counterparty = next(filter(None, (_party_name(d, other_party) for d in details)), None)
    unstructured = [t.text.strip() for t in entry.iterfind("NtryDtls/TxDtls/RmtInf/Ustrd") if t.text and t.text.strip()]
    references = [t.text.strip() for t in entry.iterfind("NtryDtls/TxDtls/RmtInf/Strd/CdtrRefInf/Ref") if t.text]
    description = _text(entry, "AddtlNtryInf") or " ".join(unstructured) or counterparty or ""
    memo = "; ".join(dict.fromkeys(m for m in (" ".join(unstructured), *references) if m and m != description))
    booked = entry.find("BookgDt")
    when = _date(booked if booked is not None and len(booked) else entry.find("ValDt"))
    if when is None:
        raise ImportFileError("entry has no booking or value date", entry.sourceline)
    return ParsedTransaction(
        date=when,
        amount=amount,
        description=description,
        line=entry.sourceline,
        external_id=_external_id(entry, only_detail),
        counterparty=counterparty,
        status=_status(entry) or POSTED,
        currency=currency,
        memo=memo or None,
    )


def _signed_amount(element: etree._Element) -> tuple[Decimal, str | None]:
    """The ``Amt`` of an entry or balance, negative when ``CdtDbtInd`` is ``DBIT``."""
    amount = element.find("Amt")
    if amount is None:
        raise ImportFileError(f"{element.tag} has no amount (Amt)", element.sourceline)
    text = (amount.text or "").strip()
    if not _AMOUNT.fullmatch(text):
        raise ImportFileError(f"unreadable amount {text!r}", amount.sourceline)
    direction = _text(element, "CdtDbtInd")
    if direction not in ("CRDT", "DBIT"):
        raise ImportFileError(f"{element.tag} needs CdtDbtInd CRDT or DBIT, not {direction!r}", element.sourceline)
    value = Decimal(text)
    return (-value if direction == "DBIT" else value), amount.get("Ccy")


def _status(entry: etree._Element) -> str | None:
    """posted, pending, or None for an information-only entry; v2 writes ``<Sts>BOOK``, v8 ``<Sts><Cd>BOOK``."""
    code = _text(entry, "Sts/Cd") or _text(entry, "Sts") or "BOOK"
    if code not in ENTRY_STATUSES:
        raise ImportFileError(f"unknown entry status {code!r}", entry.sourceline)
    return ENTRY_STATUSES[code]


def _external_id(entry: etree._Element, only_detail: etree._Element | None) -> str | None:
    candidates = [_text(entry, "AcctSvcrRef"), _text(entry, "NtryRef")]
    if only_detail is not None:
        candidates += [_text(only_detail, f"Refs/{name}") for name in ("AcctSvcrRef", "TxId", "EndToEndId")]
    return next((c for c in candidates if c and c.upper() != _NOT_PROVIDED), None)


def _party_name(detail: etree._Element, role: str) -> str | None:
    """Name of the debtor or creditor; v2 writes ``Cdtr/Nm``, v8 ``Cdtr/Pty/Nm``."""
    return _text(detail, f"RltdPties/{role}/Nm") or _text(detail, f"RltdPties/{role}/Pty/Nm")


def _date(holder: etree._Element | None) -> date | None:
    moment = _datetime(holder)
    return moment.date() if moment else None


def _datetime(holder: etree._Element | None) -> datetime | None:
    """The ``Dt`` or ``DtTm`` inside a date holder such as ``BookgDt``; a bare date is midnight."""
    if holder is None:
        return None
    for tag in ("Dt", "DtTm"):
        child = holder.find(tag)
        if child is not None:
            text = (child.text or "").strip()
            try:
                return datetime.fromisoformat(text)
            except ValueError:
                raise ImportFileError(f"impossible date {text!r}", child.sourceline) from None
    return None


def _text(element: etree._Element, path: str) -> str | None:
    found = element.find(path)
    if found is None or found.text is None:
        return None
    return found.text.strip() or None
