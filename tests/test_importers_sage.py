from collections import defaultdict
from datetime import date
from decimal import Decimal

import pytest

from dashboard.importers import sage
from dashboard.importers.records import ImportFileError

HEADER = "No,Type,Account,Nominal,Dept,Details,Date,Ref,Net,Tax,T/C,Paid,Amount Paid,Bank,Bank Rec. Date,VAT\r\n"


def audit_trail(*lines: str) -> bytes:
    return (HEADER + "".join(line + "\r\n" for line in lines)).encode()


def profit_and_loss(transactions) -> dict[str, dict[str, Decimal]]:
    """Per month (and "total"): the Sage 50 UK figures, costs as positive numbers."""
    ranges = {
        "sales": (4000, 4999),
        "purchases": (5000, 5999),
        "direct expenses": (6000, 6999),
        "overheads": (7000, 9999),
    }
    figures: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for transaction in transactions:
        code = int(transaction.nominal_code)
        for name, (low, high) in ranges.items():
            if low <= code <= high:
                signed = transaction.amount if name == "sales" else -transaction.amount
                figures[transaction.date.strftime("%Y-%m")][name] += signed
                figures["total"][name] += signed
    for month in figures.values():
        month["gross profit"] = month["sales"] - month["purchases"] - month["direct expenses"]
        month["net profit"] = month["gross profit"] - month["overheads"]
    return figures


def test_audit_trail_gives_the_readme_profit_and_loss(sage_exports):
    parsed = sage.parse((sage_exports / "audit_trail_2025Q1.csv").read_bytes())

    figures = profit_and_loss(parsed.transactions)
    columns = ["sales", "purchases", "direct expenses", "overheads", "gross profit", "net profit"]
    readme = {
        "2025-01": ["5671.10", "280.27", "830.45", "5617.87", "4560.38", "-1057.49"],
        "2025-02": ["2502.37", "1093.05", "118.58", "5784.16", "1290.74", "-4493.42"],
        "2025-03": ["5581.98", "74.80", "566.78", "5672.67", "4940.40", "-732.27"],
        "total": ["13755.45", "1448.12", "1515.81", "17074.70", "10791.52", "-6283.18"],
    }
    assert sorted(figures) == sorted(readme)
    for month, values in readme.items():
        assert {c: figures[month][c] for c in columns} == dict(zip(columns, map(Decimal, values))), month


def test_audit_trail_lines_codes_and_ids(sage_exports):
    parsed = sage.parse((sage_exports / "audit_trail_2025Q1.csv").read_bytes())

    (statement,) = parsed.statements
    assert statement.account_type == "ledger"
    transactions = [t for t in statement.transactions if not sage.is_posting(t)]
    assert len(transactions) == 42
    assert sum(1 for t in transactions if int(t.nominal_code) < 4000) == 9
    assert parsed.details["lines"] == "42"
    assert parsed.details["balance-sheet lines"] == "9"
    assert parsed.details["period"] == "2025-01-01 to 2025-03-27"
    assert [t.external_id for t in transactions] == [str(n) for n in range(1, 43)]
    assert [t.line for t in transactions] == list(range(2, 44))
    assert {t.nominal_code for t in transactions if t.description == "Office equipment purchased"} == {"0030"}


@pytest.mark.parametrize(
    ("number", "amount", "category", "nominal_code", "counterparty", "when"),
    [
        ("1", "3171.77", "Sales type A", "4000", "CUST008", date(2025, 1, 1)),
        ("3", "-385.48", "Sales type A", "4000", "CUST001", date(2025, 1, 5)),
        ("4", "-346.73", "Materials purchased", "5000", "SUPP003", date(2025, 1, 7)),
        ("5", "66.46", "Materials purchased", "5000", "SUPP002", date(2025, 1, 9)),
        ("9", "-4000.00", "Gross wages", "7000", None, date(2025, 1, 17)),
        ("11", "22.26", "Miscellaneous income", "4900", None, date(2025, 1, 21)),
        ("14", "-1945.11", "Sales tax control", "2200", None, date(2025, 1, 2)),
    ],
)
def test_direction_comes_from_the_type(sage_exports, number, amount, category, nominal_code, counterparty, when):
    parsed = sage.parse((sage_exports / "audit_trail_2025Q1.csv").read_bytes())

    (line,) = [t for t in parsed.transactions if t.external_id == number]
    assert (line.amount, line.category, line.nominal_code, line.counterparty, line.date) == (
        Decimal(amount),
        category,
        nominal_code,
        counterparty,
        when,
    )


def lines(parsed):
    """The audit-trail lines, without the postings the parser adds for their other sides."""
    return [t for t in parsed.transactions if not sage.is_posting(t)]


def test_net_amount_is_used_not_the_gross_or_tax():
    (transaction,) = lines(sage.parse(
        audit_trail("7,SI,CUST001,4000,0,Widgets,31/01/2025,INV7,\"1,000.00\",200.00,T1,Y,1200.00,R,,N")
    ))

    assert transaction.amount == Decimal("1000.00")
    assert transaction.memo == "INV7"


def test_repeated_numbers_get_their_split_position():
    parsed = sage.parse(
        audit_trail(
            "7,SI,CUST001,4000,0,Widgets,31/01/2025,INV7,100.00,20.00,T1,Y,120.00,R,,N",
            "7,SI,CUST001,4001,0,Licences,31/01/2025,INV7,50.00,10.00,T1,Y,60.00,R,,N",
            "8,BP,,7100,0,Rent,31/01/2025,,900.00,0.00,T9,Y,900.00,R,,N",
            "7,SI,CUST001,4002,0,Support,31/01/2025,INV7,5.00,1.00,T1,Y,6.00,R,,N",
        )
    )

    assert [t.external_id for t in lines(parsed)] == ["7", "7/2", "8", "7/3"]


def test_a_quoted_multi_line_detail_keeps_later_line_numbers_physical():
    parsed = sage.parse(
        audit_trail(
            '1,BP,,7100,0,"Rent\r\nJanuary",13/01/2025,,1500.00,0.00,T9,Y,1500.00,R,,N',
            "2,BP,,7200,0,Electricity,15/01/2025,,99.51,0.00,T9,Y,99.51,R,,N",
        )
    )

    assert [t.line for t in lines(parsed)] == [2, 4]
    assert parsed.transactions[0].description == "Rent\r\nJanuary"


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("3,XX,,4000,0,Mystery,01/01/2025,,1.00,0.00,T9,Y,1.00,R,,N", "unknown Sage transaction type 'XX'"),
        ("3,SI,CUST1,4000,0,Sale,30/02/2025,,1.00,0.00,T9,Y,1.00,R,,N", "impossible date '30/02/2025'"),
        ("3,SI,CUST1,4000,0,Sale,2025-02-01,,1.00,0.00,T9,Y,1.00,R,,N", "unreadable date '2025-02-01'"),
        ("3,SI,CUST1,4000,0,Sale,01/02/2025,,1.0O,0.00,T9,Y,1.00,R,,N", "unreadable amount '1.0O'"),
        ("3,SI,CUST1,,0,Sale,01/02/2025,,1.00,0.00,T9,Y,1.00,R,,N", "no nominal code"),
    ],
)
def test_bad_lines_are_refused_with_their_physical_line(line, reason):
    good = "1,BP,,7100,0,Rent,13/01/2025,,1500.00,0.00,T9,Y,1500.00,R,,N"

    with pytest.raises(ImportFileError) as error:
        sage.parse(audit_trail(good, "", line))

    assert reason in error.value.reason
    assert error.value.line == 4


@pytest.mark.parametrize(
    ("data", "line", "reason"),
    [
        (b"", 1, "the file is empty"),
        (b"No,Type,Nominal,Date\r\n1,SI,4000,01/01/2025\r\n", 1, "not a Sage 50 audit trail: no column Details, Net"),
        (b"\x00\x00\x00\x01binary", 1, "the file is not text (binary data)"),
    ],
)
def test_files_that_are_not_audit_trails_are_refused(data, line, reason):
    with pytest.raises(ImportFileError) as error:
        sage.parse(data)

    assert (error.value.line, error.value.reason) == (line, reason)


def test_windows_1252_details_are_decoded():
    data = (HEADER + "1,BP,,7500,0,Caf\xe9 \u20ac order,13/01/2025,,15.00,0.00,T9,Y,15.00,R,,N\r\n").encode("cp1252")

    parsed = sage.parse(data)

    assert parsed.encoding == "cp1252"
    assert parsed.transactions[0].description == "Café € order"


def test_every_line_gets_its_other_side_and_the_file_balances(sage_exports):
    parsed = sage.parse((sage_exports / "audit_trail_2025Q1.csv").read_bytes())

    assert sum(t.amount for t in parsed.transactions) == 0
    by_number: dict[str, Decimal] = defaultdict(Decimal)
    for t in parsed.transactions:
        by_number[t.external_id.split(":")[0]] += t.amount
    assert set(by_number.values()) == {Decimal(0)}


@pytest.mark.parametrize(
    ("line", "postings"),
    [
        ("1,SI,CUST1,4000,0,Fees,01/01/2025,,100.00,20.00,T1,Y,120.00,R,,N",
         {"4000": "100.00", "1100": "-120.00", "2200": "20.00"}),
        ("1,SC,CUST1,4000,0,Credit,01/01/2025,,100.00,20.00,T1,Y,120.00,R,,N",
         {"4000": "-100.00", "1100": "120.00", "2200": "-20.00"}),
        ("1,PI,SUPP1,5000,0,Stock,01/01/2025,,50.00,10.00,T1,Y,60.00,R,,N",
         {"5000": "-50.00", "2100": "60.00", "2201": "-10.00"}),
        ("1,PC,SUPP1,5000,0,Return,01/01/2025,,50.00,10.00,T1,Y,60.00,R,,N",
         {"5000": "50.00", "2100": "-60.00", "2201": "10.00"}),
        ("1,BP,1210,7502,0,Phone,01/01/2025,,40.00,8.00,T1,Y,48.00,R,,N",
         {"7502": "-40.00", "1210": "48.00", "2201": "-8.00"}),
        ("1,BR,,4900,0,Interest,01/01/2025,,5.00,0.00,T9,Y,5.00,R,,N", {"4900": "5.00", "1200": "-5.00"}),
        ("1,CP,,7200,0,Stamps,01/01/2025,,3.00,0.00,T9,Y,3.00,R,,N", {"7200": "-3.00", "1230": "3.00"}),
        ("1,SR,CUST1,1200,0,Paid,01/01/2025,,120.00,0.00,T9,Y,120.00,R,,N", {"1200": "-120.00", "1100": "120.00"}),
        ("1,PP,SUPP1,1200,0,Paid,01/01/2025,,60.00,0.00,T9,Y,60.00,R,,N", {"1200": "60.00", "2100": "-60.00"}),
    ],
)
def test_the_other_side_follows_from_the_type(line, postings):
    parsed = sage.parse(audit_trail(line))

    assert {t.nominal_code: str(t.amount) for t in parsed.transactions} == postings
    assert all(t.category == sage.code_name(t.nominal_code) != t.nominal_code for t in parsed.transactions)


def test_journals_balance_each_other_and_need_no_other_side():
    parsed = sage.parse(audit_trail(
        "1,JD,,7000,0,Wages,31/01/2025,J1,900.00,0.00,T9,Y,900.00,R,,N",
        "2,JC,,2210,0,PAYE,31/01/2025,J1,200.00,0.00,T9,Y,200.00,R,,N",
        "3,JC,,1200,0,Net pay,31/01/2025,J1,700.00,0.00,T9,Y,700.00,R,,N",
    ))

    assert [t.nominal_code for t in parsed.transactions] == ["7000", "2210", "1200"]


def test_journals_that_do_not_balance_are_refused_naming_their_lines():
    with pytest.raises(ImportFileError) as refused:
        sage.parse(audit_trail(
            "1,BP,,7100,0,Rent,30/01/2025,,900.00,0.00,T9,Y,900.00,R,,N",
            "2,JD,,7000,0,Wages,31/01/2025,J1,900.00,0.00,T9,Y,900.00,R,,N",
            "3,JC,,2210,0,PAYE,31/01/2025,J1,200.00,0.00,T9,Y,200.00,R,,N",
            "4,JC,,1200,0,Net pay,31/01/2025,J1,650.00,0.00,T9,Y,650.00,R,,N",
        ))

    assert "do not balance" in refused.value.reason
    assert "by 50.00" in refused.value.reason and "(lines 3, 4, 5)" in refused.value.reason
    assert refused.value.line == 3
