"""OFX, QFX and QBO statements: OFX 1.x (SGML) and 2.x (XML), bank and credit card.

ofxtools does the reading: its header patterns find the version and charset,
its ``TreeBuilder`` turns SGML with unclosed tags or XML into an element
tree, and its ``DateTime`` and ``Decimal`` types convert every value we keep
(time zones such as ``[-5:EST]``, comma decimals). We do not call
``OFXTree.convert()``: its validation of the whole document against the spec
rejects files banks really send (a 10-digit BANKID, a statement without a
transaction list, empty CURDEF), so we read the statements from the tree.

Before handing the text to ofxtools we cut it to ``<OFX>...</OFX>``, which
drops blank lines before the header and NUL bytes after the body, and we
choose the encoding ourselves (see :func:`_decode`).
"""
from __future__ import annotations

import bisect
import codecs
import html
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from ofxtools import Types
from ofxtools.Parser import ParseError, TreeBuilder
from ofxtools.header import OFXHeaderV1, OFXHeaderV2

from .records import ImportFileError, ParsedFile, ParsedStatement, ParsedTransaction, drop_repeated_ids
from .text import encoding_of

BANK_ACCOUNT_TYPES = {
    "CHECKING": "checking",
    "SAVINGS": "savings",
    "MONEYMRKT": "money_market",
    "CREDITLINE": "credit_line",
    "CD": "certificate_of_deposit",
}
STATEMENT_TAGS = ("STMTRS", "CCSTMTRS", "INVSTMTRS")
# Where each statement keeps its account and its cash rows. An investment
# statement's cash rows are the STMTTRN inside INVBANKTRAN; its trades
# (BUYSTOCK, INCOME, REINVEST, ...) move securities, not this account's cash.
ACCOUNT_PATHS = {"STMTRS": "BANKACCTFROM", "CCSTMTRS": "CCACCTFROM", "INVSTMTRS": "INVACCTFROM"}
ROW_PATHS = {"STMTRS": "BANKTRANLIST/STMTTRN", "CCSTMTRS": "BANKTRANLIST/STMTTRN",
             "INVSTMTRS": "INVTRANLIST/INVBANKTRAN/STMTTRN"}
INVESTMENT_TRADES = ("BUYDEBT", "BUYMF", "BUYOPT", "BUYOTHER", "BUYSTOCK", "CLOSUREOPT", "INCOME", "INVEXPENSE",
                     "JRNLFUND", "JRNLSEC", "MARGININTEREST", "REINVEST", "RETOFCAP", "SELLDEBT", "SELLMF",
                     "SELLOPT", "SELLOTHER", "SELLSTOCK", "SPLIT", "TRANSFER")

_XML_ENCODING = re.compile(r"""<\?xml[^>]*\bencoding=["']([\w.:-]+)["']""")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# An opening tag as ofxtools' TreeBuilder reads one; CDATA is matched only to be skipped.
_OPENING_TAG = re.compile(r"<!\[CDATA\[.*?\]\]>|<([A-Z0-9._ ][A-Z0-9./_ ]*)>", re.DOTALL)
_ENTITY = re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")
# A value wrapped over several lines by the bank's generator: its line breaks (and the indentation after them).
_WRAPPED = re.compile(r"[ \t]*(?:\r\n|\r|\n)\s*")
_PARSE_ERROR = re.compile(r"^(?P<what>.*?)(?: in .*)? - position=\[(?P<start>\d+):", re.DOTALL)


@dataclass
class _Document:
    """Where each element of the tree starts, to report physical lines."""

    element_offsets: dict[ET.Element, int]
    line_starts: list[int]

    def line_of(self, element: ET.Element | None) -> int | None:
        offset = self.element_offsets.get(element) if element is not None else None
        return _line_at(self.line_starts, offset) if offset is not None else None


def _line_at(line_starts: list[int], offset: int) -> int:
    return bisect.bisect_right(line_starts, offset)


def parse(data: bytes) -> ParsedFile:
    text, encoding = _decode(data)
    line_starts = [0] + [m.end() for m in _LINE_BREAK.finditer(text)]
    body_start, body_end = _body_span(text, line_count=len(line_starts))
    root = _element_tree(text, body_start, body_end, line_starts)
    document = _Document(_element_offsets(root, text, body_start), line_starts)

    institution = _text(root, "SIGNONMSGSRSV1/SONRS/FI/ORG")
    statements = [
        _statement(document, element, institution)
        for element in root.iter()
        if element.tag in STATEMENT_TAGS
    ]
    drop_repeated_ids(statements)
    if not statements:
        raise ImportFileError("this OFX file holds no bank or credit-card statement (STMTRS or CCSTMTRS)")
    if not any(s.transactions for s in statements) and _holds_trades(root):
        raise ImportFileError(
            "this OFX file is an investment statement with trades only (no INVBANKTRAN cash rows); "
            "we import bank, card and investment cash rows, not security trades")
    return ParsedFile(
        format="ofx",
        statements=statements,
        encoding=encoding,
        details={
            "version": _version(text[:body_start]),
            "encoding": encoding,
            "statements": str(len(statements)),
        },
    )


def _decode(data: bytes) -> tuple[str, str]:
    """Text and the codec used to read it.

    A byte-order mark, or content that is valid UTF-8, wins over what the header
    declares (see :func:`.text.encoding_of`): files re-saved by editors keep
    their ``CHARSET:1252`` line.
    """
    declared = _declared_codec(data[:4096].decode("ascii", "replace"))
    if data.isascii():
        return data.decode("ascii"), declared
    encoding = encoding_of(data, declared)
    return data.decode(encoding, errors="replace"), "utf-8" if encoding == "utf-8-sig" else encoding


def _declared_codec(head: str) -> str:
    xml_declaration = _XML_ENCODING.search(head)
    sgml_header = OFXHeaderV1.regex.search(head)
    if xml_declaration:
        name = xml_declaration.group(1)
    elif sgml_header:
        name = OFXHeaderV1.codecs.get(sgml_header["CHARSET"].upper(), "cp1252")
    else:
        name = "utf-8"
    try:
        return codecs.lookup(name).name
    except LookupError:
        return "cp1252"


def _version(header: str) -> str:
    if match := OFXHeaderV2.regex.search(header):
        return f"OFX {match['version']} (2.x XML)"
    if match := OFXHeaderV1.regex.search(header):
        return f"OFX {match['VERSION']} (1.x SGML)"
    return "OFX without a header"


def _body_span(text: str, line_count: int) -> tuple[int, int]:
    start = text.find("<OFX>")
    if start < 0:
        raise ImportFileError("not an OFX file: there is no <OFX> element")
    end = text.rfind("</OFX>")
    if end < start:
        raise ImportFileError(
            "the OFX file ends before </OFX>: it looks cut short; download it again",
            line=line_count,
        )
    return start, end + len("</OFX>")


class _ClosingTreeBuilder(TreeBuilder):
    """ofxtools' TreeBuilder, closing aggregates that SGML files leave open.

    As in SGML, an end tag also closes the aggregates still open inside it,
    and a balance ends the transaction list (Nubank never closes
    BANKTRANLIST, which would otherwise put its balances inside the list).
    An end tag that closes nothing open (banks' generators write such tags
    after misordered aggregates) is skipped: a file a bank produced is not
    refused for its syntax alone; the values it holds are still checked.
    """

    ENDED_BY = {"LEDGERBAL": "BANKTRANLIST", "AVAILBAL": "BANKTRANLIST"}

    def __init__(self) -> None:
        super().__init__()
        self.open_tags: list[str] = []

    def start(self, tag: str, attrs: dict[str, str]) -> ET.Element:
        if self.open_tags and self.open_tags[-1] == self.ENDED_BY.get(tag):
            self.end(self.open_tags[-1])
        self.open_tags.append(tag)
        return super().start(tag, attrs)

    def end(self, tag: str) -> ET.Element | None:
        if tag not in self.open_tags:
            return None
        while self.open_tags.pop() != tag:
            super().end(tag)
        return super().end(tag)


def _element_tree(text: str, start: int, end: int, line_starts: list[int]) -> ET.Element:
    builder = _ClosingTreeBuilder()
    try:
        builder.feed(text[start:end])
        return builder.close()
    except ParseError as error:
        match = _PARSE_ERROR.match(str(error))
        if not match:
            raise ImportFileError(f"malformed OFX: {error}") from error
        line = _line_at(line_starts, start + int(match["start"]))
        raise ImportFileError(f"malformed OFX: {match['what'][:200]}", line=line) from error


def _element_offsets(root: ET.Element, text: str, body_start: int) -> dict[ET.Element, int]:
    """Where each element's opening tag starts in the text.

    TreeBuilder keeps no positions, but it makes one element per opening tag,
    in document order, which is the order ``root.iter()`` walks.
    """
    opening_tags = (
        match.start() for match in _OPENING_TAG.finditer(text, body_start) if match.group(1)
    )
    return dict(zip(root.iter(), opening_tags))


def _holds_trades(root: ET.Element) -> bool:
    return any(element.tag in INVESTMENT_TRADES for element in root.iter())


def _statement(document: _Document, element: ET.Element, institution: str | None) -> ParsedStatement:
    account_id = _text(element, f"{ACCOUNT_PATHS[element.tag]}/ACCTID")
    if element.tag == "CCSTMTRS":
        account_type: str | None = "credit_card"
    elif element.tag == "INVSTMTRS":
        account_type = "investment"
    else:
        account_type = BANK_ACCOUNT_TYPES.get((_text(element, "BANKACCTFROM/ACCTTYPE") or "").upper())
    transactions = [_transaction(document, t) for t in element.iterfind(ROW_PATHS[element.tag])]
    ledger, available = element.find("LEDGERBAL"), element.find("AVAILBAL")
    return ParsedStatement(
        transactions=transactions,
        account_id=account_id,
        account_type=account_type,
        institution=institution,
        currency=_text(element, "CURDEF") or _currency_all_transactions_state(transactions),
        ledger_balance=_amount(document, ledger, "BALAMT"),
        available_balance=_amount(document, available, "BALAMT"),
        balance_as_of=_balance_date(document, ledger) or _balance_date(document, available),
    )


def _currency_all_transactions_state(transactions: list[ParsedTransaction]) -> str | None:
    """The statement's currency when CURDEF is empty but every transaction names the same one."""
    currencies = {t.currency for t in transactions}
    return currencies.pop() if len(currencies) == 1 else None


def _transaction(document: _Document, element: ET.Element) -> ParsedTransaction:
    amount = _amount(document, element, "TRNAMT")
    posted = _text(element, "DTPOSTED")
    if amount is None or posted is None:
        missing = "TRNAMT" if amount is None else "DTPOSTED"
        raise ImportFileError(f"a transaction has no {missing}", line=document.line_of(element))
    description, memo = _description_and_memo(
        _text(element, "NAME") or _text(element, "PAYEE/NAME"), _text(element, "MEMO")
    )
    check_number = _text(element, "CHECKNUM")
    if check_number and check_number.strip("0"):  # banks write 0 when there is no cheque
        memo = "; ".join(part for part in (memo, f"Check {check_number}") if part)
    return ParsedTransaction(
        date=_posted_date(document, element, posted),
        amount=amount,
        description=description or _text(element, "TRNTYPE") or "",
        line=document.line_of(element),
        external_id=_text(element, "FITID"),
        currency=_text(element, "CURRENCY/CURSYM"),
        memo=memo,
    )


def _description_and_memo(name: str | None, memo: str | None) -> tuple[str | None, str | None]:
    """NAME is the description; MEMO replaces it when it holds NAME's text in full, or NAME is only digits.

    OFX 1.x limits NAME to 32 characters, so banks cut it and repeat the whole
    text in MEMO; some banks put a reference number in NAME and the text in MEMO.
    """
    if not name:
        return memo, None
    if memo and name.isdigit():
        return memo, name
    if memo and memo.startswith(name):
        return memo, None
    return name, memo


def _balance_date(document: _Document, balance: ET.Element | None) -> datetime | None:
    """DTASOF; a date whose time is impossible (``04:82:08``) keeps its date: not worth refusing a file over."""
    try:
        return _datetime(document, balance, "DTASOF")
    except ImportFileError:
        day = _calendar_date(_text(balance, "DTASOF") or "")
        return datetime(day.year, day.month, day.day) if day else None


def _posted_date(document: _Document, element: ET.Element, posted: str) -> date:
    """The calendar date as the bank wrote it, not shifted to UTC by its time zone; a good date with an
    impossible time keeps its date, as a balance's does. What is not an OFX date is refused."""
    try:
        _datetime(document, element, "DTPOSTED")
    except ImportFileError:
        if _calendar_date(posted) is None:
            raise
    return date(int(posted[:4]), int(posted[4:6]), int(posted[6:8]))


def _calendar_date(value: str) -> date | None:
    """The date in an OFX date-time's first eight digits, whatever follows them; None when there is none."""
    if not (len(value) >= 8 and value[:8].isdigit()):
        return None
    try:
        return date(int(value[:4]), int(value[4:6]), int(value[6:8]))
    except ValueError:
        return None


def _text(parent: ET.Element | None, path: str) -> str | None:
    """An element's text with HTML entities decoded once and wrapped lines joined; None when absent or empty."""
    element = parent.find(path) if parent is not None else None
    if element is None or element.text is None:
        return None
    value = _ENTITY.sub(lambda match: html.unescape(match.group()), _WRAPPED.sub(" ", element.text.strip()))
    return value or None


def _amount(document: _Document, parent: ET.Element | None, tag: str) -> Decimal | None:
    value = _text(parent, tag)
    if value is None:
        return None
    try:
        amount = Types.Decimal().convert(value)
    except (ValueError, InvalidOperation):
        amount = None
    if amount is None or not amount.is_finite():
        raise ImportFileError(f"{tag} {value!r} is not an amount", line=_line_of_child(document, parent, tag))
    return amount


def _datetime(document: _Document, parent: ET.Element | None, tag: str) -> datetime | None:
    value = _text(parent, tag)
    if value is None:
        return None
    try:
        return Types.DateTime().convert(value)
    except ValueError as error:
        raise ImportFileError(
            f"{tag} {value!r} is not an OFX date (YYYYMMDD[HHMMSS[.XXX][[offset:zone]]])",
            line=_line_of_child(document, parent, tag),
        ) from error


def _line_of_child(document: _Document, parent: ET.Element | None, tag: str) -> int | None:
    return document.line_of(parent.find(tag) if parent is not None else None)
