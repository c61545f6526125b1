"""The ECB's CSV history and daily XML, and the plain CSV, read from samples in the ECB's exact layout."""
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from dashboard.importers.records import ImportFileError
from dashboard.rates.files import read_ecb_xml, read_rates_csv

ECB = Path(__file__).parent / "fixtures" / "ecb"


def test_ecb_history_csv_reads_every_currency_against_the_euro_and_skips_n_a():
    rates = read_rates_csv((ECB / "eurofxref-hist.csv").read_text())
    assert len(rates) == 4 * 7  # four days, seven currencies with figures; CYP is N/A throughout
    first = rates[0]
    assert (first.day, first.base, first.quote, first.rate) == (date(2024, 1, 5), "EUR", "USD", Decimal("1.0921"))
    gbp = {r.day: r.rate for r in rates if r.quote == "GBP"}
    assert gbp[date(2024, 1, 2)] == Decimal("0.86500")
    assert not any(r.quote == "CYP" for r in rates)
    assert {r.source for r in rates} == {"ecb"}


def test_plain_csv_reads_any_pair():
    rates = read_rates_csv((ECB / "rates-plain.csv").read_text())
    assert [(r.base, r.quote, r.rate, r.source) for r in rates] == [
        ("USD", "GBP", Decimal("0.7875"), "csv"), ("GBP", "JPY", Decimal("184.11"), "csv")]


def test_daily_xml_reads_the_cube_of_the_day():
    rates = read_ecb_xml((ECB / "eurofxref-daily.xml").read_bytes())
    assert len(rates) == 7 and {r.day for r in rates} == {date(2024, 1, 8)}
    assert next(r.rate for r in rates if r.quote == "JPY") == Decimal("158.13")


@pytest.mark.parametrize("text, reason", [
    ("", "the file is empty"),
    ("when,what\n2024-01-01,1\n", "line 1: the header is neither"),
    ("Date,USD,\n2024-01-05,1.09,\n2024-13-01,1.1,\n", "line 3: '2024-13-01' is not a date"),
    ("Date,USD,XYZ,\n", "line 1: column 'XYZ' is not a currency code"),
    ("Date,USD,\n2024-01-05,-1.09,\n", "line 2: '-1.09' is not a positive rate"),
    ("Date,USD,\n2024-01-05,1.123456789012,\n", "line 2: '1.123456789012' has more than 10 decimal places"),
    ("date,base,quote,rate\n2024-01-05,USD,USD,1\n", "line 2: a rate needs two different currencies"),
    ("date,base,quote,rate\n2024-01-05,USD,GBP,NaN\n", "line 2: 'NaN' is not a positive rate"),
    ("date,base,quote,rate\n2024-01-05,USD\n", "line 2: a line needs date,base,quote,rate"),
])
def test_bad_files_are_refused_with_the_line(text, reason):
    with pytest.raises(ImportFileError) as refused:
        read_rates_csv(text)
    assert str(refused.value).startswith(reason)


@pytest.mark.parametrize("data, reason", [
    (b"<html>no</html>", "no rates found"),
    (b"<not xml", "not XML"),
    (b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>', "no rates found"),
])
def test_bad_xml_is_refused(data, reason):
    with pytest.raises(ImportFileError) as refused:
        read_ecb_xml(data)
    assert reason in str(refused.value)
