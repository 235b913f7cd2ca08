"""Table-driven tests of salescli.values: what people type, accepted and refused."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from salescli.errors import ExitStatus, InvalidValue
from salescli.values import (
    CURRENCY_DECIMALS,
    Money,
    Period,
    add_months,
    currency_decimals,
    excel_serial_to_date,
    excel_serial_to_datetime,
    fiscal_quarter,
    fiscal_year,
    format_money,
    minor_to_decimal,
    parse_bool,
    parse_currency,
    parse_date,
    parse_date_or_datetime,
    parse_int,
    parse_money,
    parse_period,
    parse_probability,
    parse_tags,
    time_of_day,
    to_minor,
    week_of,
)

TODAY = date(2026, 11, 26)  # a Thursday, in ISO week 48 and Q4


def refused(func, *args, **kwargs) -> InvalidValue:
    """Call func, assert it raises InvalidValue, return the error."""
    with pytest.raises(InvalidValue) as info:
        func(*args, **kwargs)
    return info.value


# ---------------------------------------------------------------------------
# currencies
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "decimals"),
    [
        ("EUR", 2), ("USD", 2), ("GBP", 2), ("JPY", 0), ("KRW", 0), ("BHD", 3), ("KWD", 3),
        ("JOD", 3), ("OMR", 3), ("TND", 3), ("XYZ", 2), ("jpy", 0), ("kwd", 3), ("ABC", 2),
    ],
)
def test_currency_decimals(code: str, decimals: int) -> None:
    assert currency_decimals(code) == decimals


def test_currency_decimals_table() -> None:
    assert all(len(code) == 3 and code.isupper() and code.isascii() for code in CURRENCY_DECIMALS)
    assert set(CURRENCY_DECIMALS.values()) <= {0, 2, 3}


@pytest.mark.parametrize(
    ("text", "code"),
    [("eur", "EUR"), ("EUR", "EUR"), (" usd ", "USD"), ("Jpy", "JPY"), ("xyz", "XYZ"), ("€", "EUR"),
     ("$", "USD"), ("us$", "USD")],
)
def test_parse_currency(text: str, code: str) -> None:
    assert parse_currency(text) == code


@pytest.mark.parametrize("text", ["", "eu", "euro", "E1R", "€€", "ÉUR", "12", "US D", "eur."])
def test_parse_currency_refused(text: str) -> None:
    error = refused(parse_currency, text)
    assert error.value == text
    assert "currency" in error.reason


# ---------------------------------------------------------------------------
# money
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "minor", "currency"),
    [
        ("12000", 1_200_000, None),
        ("0", 0, None),
        ("0.00", 0, None),
        ("007", 700, None),
        (".5", 50, None),
        ("12,000.50", 1_200_050, None),
        ("1,234,567.89", 123_456_789, None),
        ("12 000", 1_200_000, None),
        ("12\u00a0000", 1_200_000, None),  # non-breaking space thousands (French exports)
        ("12\u202f000.50", 1_200_050, None),
        ("12k", 1_200_000, None),
        ("12K", 1_200_000, None),
        ("12 k", 1_200_000, None),
        ("1.2M", 120_000_000, None),
        ("1.2m", 120_000_000, None),
        ("2.5b", 250_000_000_000, None),
        ("2.5bn", 250_000_000_000, None),
        ("2.5BN", 250_000_000_000, None),
        ("1.2345k", 123_450, None),
        ("1.23456k", 123_456, None),
        ("12.5000", 1_250, None),  # trailing zeros are not decimals
        ("0.500", 50, None),  # (no thousands before a 0)
        ("1000.500", 100_050, None),  # (four digits before the dot: no thousands dot)
        ("$12,000", 1_200_000, "USD"),
        ("$ 12,000", 1_200_000, "USD"),
        ("$1.2M", 120_000_000, "USD"),
        ("US$5", 500, "USD"),
        ("us$5", 500, "USD"),
        ("C$5", 500, "CAD"),
        ("€900", 90_000, "EUR"),
        ("900 €", 90_000, "EUR"),
        ("900€", 90_000, "EUR"),
        ("£5", 500, "GBP"),
        ("¥500", 500, "JPY"),
        ("₹1,000", 100_000, "INR"),
        ("12000 EUR", 1_200_000, "EUR"),
        ("12000EUR", 1_200_000, "EUR"),
        ("EUR 12000", 1_200_000, "EUR"),
        ("EUR12000", 1_200_000, "EUR"),
        ("eur 12k", 1_200_000, "EUR"),
        ("12k eur", 1_200_000, "EUR"),
        ("12kusd", 1_200_000, "USD"),
        ("12 000 EUR", 1_200_000, "EUR"),
        ("$12,000 USD", 1_200_000, "USD"),
        ("$12 CAD", 1_200, "CAD"),  # $ is any dollar
        ("12 KES", 1_200, "KES"),  # not 12k + "ES"
        ("12 bhd", 12_000, "BHD"),  # not 12bn + "hd"; BHD has 3 decimals
        ("12 BND", 1_200, "BND"),
        ("1.234 KWD", 1_234, "KWD"),
        ("500 JPY", 500, "JPY"),
        ("  7 ", 700, None),
        ("\t12k\n", 1_200_000, None),
        ("10000000000000", 10**15, None),  # the limit itself
        ("10,000,000,000,000.00", 10**15, None),
        ("10000b", 10**15, None),
    ],
)
def test_parse_money(text: str, minor: int, currency: str | None) -> None:
    assert parse_money(text) == Money(minor, currency)


@pytest.mark.parametrize(
    ("text", "currency", "expected"),
    [
        ("12000", "EUR", Money(1_200_000, None)),
        ("12000", "eur", Money(1_200_000, None)),
        ("12000", "JPY", Money(12_000, None)),
        ("1.234", "KWD", Money(1_234, None)),
        ("1.5k", "JPY", Money(1_500, None)),
        ("12000 EUR", "EUR", Money(1_200_000, "EUR")),
        ("12000 eur", "EUR", Money(1_200_000, "EUR")),
        ("€900", "EUR", Money(90_000, "EUR")),
        ("$12,000", "USD", Money(1_200_000, "USD")),
        ("$12,000", "CAD", Money(1_200_000, "CAD")),
        ("$12,000", "AUD", Money(1_200_000, "AUD")),
        ("¥500", "CNY", Money(50_000, "CNY")),
        ("¥500", "JPY", Money(500, "JPY")),
    ],
)
def test_parse_money_with_currency(text: str, currency: str, expected: Money) -> None:
    assert parse_money(text, currency) == expected


@pytest.mark.parametrize(
    ("text", "currency", "reason"),
    [
        ("", None, "is empty (examples: 12000, 12,000.50, 12k, $1.2M)"),
        ("   ", None, "is empty (examples: 12000, 12,000.50, 12k, $1.2M)"),
        ("abc", None, "is not an amount (examples: 12000, 12,000.50, 12k, $1.2M)"),
        ("NaN", None, "is not an amount (examples: 12000, 12,000.50, 12k, $1.2M)"),
        ("nan", None, "is not an amount (examples: 12000, 12,000.50, 12k, $1.2M)"),
        ("Infinity", None, "is not an amount (examples: 12000, 12,000.50, 12k, $1.2M)"),
        ("inf", None, "is not an amount (examples: 12000, 12,000.50, 12k, $1.2M)"),
        ("-inf", None, "is not an amount (examples: 12000, 12,000.50, 12k, $1.2M)"),
        ("1_000", None, "is not an amount (examples: 12000, 12,000.50, 12k, $1.2M)"),
        ("12.", None, "is not an amount (examples: 12000, 12,000.50, 12k, $1.2M)"),
        (".", None, "is not an amount (examples: 12000, 12,000.50, 12k, $1.2M)"),
        ("1.2.3", None, "is not an amount (examples: 12000, 12,000.50, 12k, $1.2M)"),
        ("+5", None, "is not an amount (examples: 12000, 12,000.50, 12k, $1.2M)"),
        ("5-", None, "is not an amount (examples: 12000, 12,000.50, 12k, $1.2M)"),
        ("--5", None, "is not an amount (examples: 12000, 12,000.50, 12k, $1.2M)"),
        ("12kk", None, "is not an amount (examples: 12000, 12,000.50, 12k, $1.2M)"),
        ("12 thousand", None, "is not an amount (examples: 12000, 12,000.50, 12k, $1.2M)"),
        ("12 euros", None, "is not an amount (examples: 12000, 12,000.50, 12k, $1.2M)"),
        ("X$5", None, "is not an amount (examples: 12000, 12,000.50, 12k, $1.2M)"),
        ("0x10", None, "is not an amount (examples: 12000, 12,000.50, 12k, $1.2M)"),
        ("1 2 3", None, "is not an amount (examples: 12000, 12,000.50, 12k, $1.2M)"),
        ("$", None, "is not an amount (examples: 12000, 12,000.50, 12k, $1.2M)"),
        ("EUR", None, "is not an amount (examples: 12000, 12,000.50, 12k, $1.2M)"),
        ("1e5", None, "uses exponent notation; write the amount out (12000, 12k)"),
        ("1E5", None, "uses exponent notation; write the amount out (12000, 12k)"),
        ("1.5e+3", None, "uses exponent notation; write the amount out (12000, 12k)"),
        ("١٢", None, "has digits other than 0-9"),
        ("１２", None, "has digits other than 0-9"),
        ("12²", None, "has digits other than 0-9"),
        ("1,2,3", None, "has misplaced thousands separators (use , for thousands and . for decimals: 12,000.50)"),
        ("12,50", None, "has misplaced thousands separators (use , for thousands and . for decimals: 12,000.50)"),
        ("1234,567", None, "has misplaced thousands separators (use , for thousands and . for decimals: 12,000.50)"),
        ("1.234,56", None, "has misplaced thousands separators (use , for thousands and . for decimals: 12,000.50)"),
        # a thousands dot or a decimal point: not guessed (12,500 read as 12.50 would lose a factor 1000)
        ("12.500", None, "is ambiguous: 12500 or 12.50? write 12500 or 12.50"),
        ("1.500", None, "is ambiguous: 1500 or 1.50? write 1500 or 1.50"),
        ("1.000 JPY", None, "is ambiguous: 1000 or 1? write 1000 or 1"),
        ("12,000,", None, "has misplaced thousands separators (use , for thousands and . for decimals: 12,000.50)"),
        ("-5", None, "is negative: amounts must be 0 or more"),
        ("-0", None, "is negative: amounts must be 0 or more"),
        ("\u22125", None, "is negative: amounts must be 0 or more"),
        ("(5)", None, "is negative: amounts must be 0 or more"),
        ("($1,000)", None, "is negative: amounts must be 0 or more"),
        ("-$5", None, "is negative: amounts must be 0 or more"),
        ("$-5", None, "is negative: amounts must be 0 or more"),
        ("-5 EUR", None, "is negative: amounts must be 0 or more"),
        ("1.234", None, "has more decimals than an amount allows (2)"),
        ("1.234", "USD", "has more decimals than USD allows (2)"),
        ("$1.234", None, "has more decimals than USD allows (2)"),
        ("0.001 EUR", None, "has more decimals than EUR allows (2)"),
        ("1.5", "JPY", "has more decimals than JPY allows (0)"),
        ("¥1.5", None, "has more decimals than JPY allows (0)"),
        ("1.2345", "KWD", "has more decimals than KWD allows (3)"),
        ("1.23456k", "JPY", "has more decimals than JPY allows (0)"),
        ("1.0000000001M", None, "has more decimals than an amount allows (2)"),
        ("10000000000000.01", None, "is too large (over 10,000,000,000,000)"),
        ("10000000000001", None, "is too large (over 10,000,000,000,000)"),
        ("10000.000001b", None, "is too large (over 10,000,000,000,000)"),
        ("99999999999999999999999", None, "is too large (over 10,000,000,000,000)"),
        ("1" + "0" * 5000, None, "is not an amount (examples: 12000, 12,000.50, 12k, $1.2M)"),
        ("$12 EUR", None, "has conflicting currencies ($ and EUR)"),
        ("€12 USD", None, "has conflicting currencies (€ and USD)"),
        ("EUR 12 USD", None, "has conflicting currencies (EUR and USD)"),
        ("$12 €", None, "has conflicting currencies ($ and €)"),
        ("12 EUR", "USD", "is in EUR but the currency is USD"),
        ("$12", "EUR", "is in USD ($) but the currency is EUR"),
        ("€12", "USD", "is in EUR (€) but the currency is USD"),
        ("¥12", "KRW", "is in JPY (¥) but the currency is KRW"),
    ],
)
def test_parse_money_refused(text: str, currency: str | None, reason: str) -> None:
    error = refused(parse_money, text, currency)
    assert error.reason == reason
    assert error.value == text
    assert error.field is None


def test_parse_money_error_message_and_field() -> None:
    error = refused(parse_money, "abc")
    assert str(error) == '"abc" is not an amount (examples: 12000, 12,000.50, 12k, $1.2M)'
    named = error.with_field("--amount")
    assert str(named) == '--amount "abc" is not an amount (examples: 12000, 12,000.50, 12k, $1.2M)'
    assert named.exit_status == ExitStatus.USAGE


def test_parse_money_bad_currency_argument() -> None:
    refused(parse_money, "12", "euro")


def test_parse_money_is_exact_at_the_limit() -> None:
    # 28 significant digits would already round in a default Decimal context
    assert parse_money("9999999999999.99").minor == 999_999_999_999_999
    assert parse_money("9999999999999.999", "KWD").minor == 9_999_999_999_999_999
    assert parse_money("0.000000001b").minor == 100


@pytest.mark.parametrize(
    ("minor", "currency", "plain", "with_symbol"),
    [
        (1234567, "EUR", "12,345.67 EUR", "€12,345.67"),
        (0, "EUR", "0.00 EUR", "€0.00"),
        (5, "USD", "0.05 USD", "$0.05"),
        (100, "usd", "1.00 USD", "$1.00"),
        (1234567, "JPY", "1,234,567 JPY", "¥1,234,567"),
        (1234567, "KWD", "1,234.567 KWD", "1,234.567 KWD"),
        (99, "CHF", "0.99 CHF", "0.99 CHF"),
        (-1234567, "EUR", "-12,345.67 EUR", "-€12,345.67"),
        (10**15, "GBP", "10,000,000,000,000.00 GBP", "£10,000,000,000,000.00"),
    ],
)
def test_format_money(minor: int, currency: str, plain: str, with_symbol: str) -> None:
    assert format_money(minor, currency) == plain
    assert format_money(minor, currency, symbol=True) == with_symbol


def test_format_money_none() -> None:
    assert format_money(None, "EUR") == ""
    assert format_money(None, "EUR", symbol=True) == ""


@pytest.mark.parametrize(
    ("minor", "currency", "expected"),
    [
        (1234567, "EUR", "12345.67"),
        (5, "EUR", "0.05"),
        (0, "EUR", "0.00"),
        (1234567, "JPY", "1234567"),
        (1234567, "KWD", "1234.567"),
        (-5, "USD", "-0.05"),
        (10**16, "BHD", "10000000000000.000"),
    ],
)
def test_minor_to_decimal(minor: int, currency: str, expected: str) -> None:
    result = minor_to_decimal(minor, currency)
    assert str(result) == expected
    assert result == Decimal(expected)


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        ("12.34", "EUR", 1234),
        ("12.3400", "EUR", 1234),
        ("12", "EUR", 1200),
        ("1E+3", "EUR", 100000),
        ("0", "JPY", 0),
        ("1500", "JPY", 1500),
        ("1.234", "KWD", 1234),
        ("-12.34", "EUR", -1234),
        ("10000000000000", "EUR", 10**15),
    ],
)
def test_to_minor(amount: str, currency: str, minor: int) -> None:
    assert to_minor(Decimal(amount), currency) == minor


@pytest.mark.parametrize(
    ("amount", "currency", "reason"),
    [
        ("12.345", "EUR", "has more decimals than EUR allows (2)"),
        ("1.5", "JPY", "has more decimals than JPY allows (0)"),
        ("1.2345", "KWD", "has more decimals than KWD allows (3)"),
        ("NaN", "EUR", "is not an amount (examples: 12000, 12,000.50, 12k, $1.2M)"),
        ("Infinity", "EUR", "is not an amount (examples: 12000, 12,000.50, 12k, $1.2M)"),
        ("1E+20", "EUR", "is too large (over 10,000,000,000,000)"),
        ("1E+999999", "EUR", "is too large (over 10,000,000,000,000)"),
        ("10000000000000.01", "EUR", "is too large (over 10,000,000,000,000)"),
    ],
)
def test_to_minor_refused(amount: str, currency: str, reason: str) -> None:
    assert refused(to_minor, Decimal(amount), currency).reason == reason


# ---------------------------------------------------------------------------
# dates
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # ISO fast path
        ("2026-11-26", date(2026, 11, 26)),
        ("1900-01-01", date(1900, 1, 1)),
        ("2200-12-31", date(2200, 12, 31)),
        ("2024-02-29", date(2024, 2, 29)),
        ("  2026-12-05  ", date(2026, 12, 5)),
        ("2026/12/05", date(2026, 12, 5)),
        ("2026.12.5", date(2026, 12, 5)),
        ("2026-1-5", date(2026, 1, 5)),
        # keywords
        ("today", TODAY),
        ("TODAY", TODAY),
        ("Tomorrow", date(2026, 11, 27)),
        ("yesterday", date(2026, 11, 25)),
        # relative
        ("+3d", date(2026, 11, 29)),
        ("3d", date(2026, 11, 29)),
        ("-3d", date(2026, 11, 23)),
        ("+0d", TODAY),
        ("-2w", date(2026, 11, 12)),
        ("2w", date(2026, 12, 10)),
        ("+1m", date(2026, 12, 26)),
        ("+3m", date(2027, 2, 26)),
        ("-11m", date(2025, 12, 26)),
        ("+1y", date(2027, 11, 26)),
        ("-1y", date(2025, 11, 26)),
        ("+30d", date(2026, 12, 26)),
        ("+3 days", date(2026, 11, 29)),
        ("3 days", date(2026, 11, 29)),
        ("1 day", date(2026, 11, 27)),
        ("2 weeks", date(2026, 12, 10)),
        ("+2 months", date(2027, 1, 26)),
        ("1 year", date(2027, 11, 26)),
        ("in 3 days", date(2026, 11, 29)),
        ("3 days ago", date(2026, 11, 23)),
        ("2 weeks ago", date(2026, 11, 12)),
        ("+3D", date(2026, 11, 29)),
        # weekdays: next occurrence strictly after today (a Thursday)
        ("friday", date(2026, 11, 27)),
        ("Fri", date(2026, 11, 27)),
        ("next friday", date(2026, 11, 27)),
        ("thursday", date(2026, 12, 3)),
        ("thu", date(2026, 12, 3)),
        ("thurs", date(2026, 12, 3)),
        ("monday", date(2026, 11, 30)),
        ("mon", date(2026, 11, 30)),
        ("wednesday", date(2026, 12, 2)),
        ("tues", date(2026, 12, 1)),
        ("SUNDAY", date(2026, 11, 29)),
        ("sat", date(2026, 11, 28)),
        # numeric with one possible reading
        ("31/12/2026", date(2026, 12, 31)),
        ("12/31/2026", date(2026, 12, 31)),
        ("13.04.2026", date(2026, 4, 13)),
        ("4-13-2026", date(2026, 4, 13)),
        ("04/04/2026", date(2026, 4, 4)),
        ("1/1/2026", date(2026, 1, 1)),
        # month names (dateutil)
        ("Dec 5 2026", date(2026, 12, 5)),
        ("dec 5 2026", date(2026, 12, 5)),
        ("5 December 2026", date(2026, 12, 5)),
        ("December 5, 2026", date(2026, 12, 5)),
        ("5 Dec, 2026", date(2026, 12, 5)),
        ("Dec 5th 2026", date(2026, 12, 5)),
        ("5-Dec-2026", date(2026, 12, 5)),
        ("2026 Dec 5", date(2026, 12, 5)),
        ("Sept 30 2026", date(2026, 9, 30)),
        ("Sat, Dec 5, 2026", date(2026, 12, 5)),
        ("Saturday 5 December 2026", date(2026, 12, 5)),
        ("Feb 29 2028", date(2028, 2, 29)),
        ("Jan 1 1900", date(1900, 1, 1)),
        # month and day without a year: next occurrence on or after today, unless a month or less ago
        ("Dec 5", date(2026, 12, 5)),
        ("Nov 26", date(2026, 11, 26)),
        ("Nov 25", date(2026, 11, 25)),  # yesterday's, not a year ahead (a due date in the past gets a note)
        ("Oct 26", date(2026, 10, 26)),
        ("Oct 25", date(2027, 10, 25)),
        ("5 January", date(2027, 1, 5)),
        ("Feb 29", date(2028, 2, 29)),
    ],
)
def test_parse_date(text: str, expected: date) -> None:
    assert parse_date(text, TODAY) == expected


@pytest.mark.parametrize(
    ("text", "expected", "expected_past"),
    [
        # a date that says when something happened (--date, --since): bare forms look back
        ("friday", date(2026, 11, 27), date(2026, 11, 20)),
        ("thursday", date(2026, 12, 3), date(2026, 11, 19)),  # today is a Thursday: strictly before
        ("monday", date(2026, 11, 30), date(2026, 11, 23)),
        ("next friday", date(2026, 11, 27), date(2026, 11, 27)),
        ("last friday", date(2026, 11, 20), date(2026, 11, 20)),
        ("last thu", date(2026, 11, 19), date(2026, 11, 19)),
        ("Nov 20", date(2026, 11, 20), date(2026, 11, 20)),  # a month or less away: this year's, either way
        ("Oct 20", date(2027, 10, 20), date(2026, 10, 20)),
        ("Nov 26", TODAY, TODAY),
        ("Dec 5", date(2026, 12, 5), date(2026, 12, 5)),  # a month or less ahead: not last year's (refused)
        ("Dec 31", date(2026, 12, 31), date(2025, 12, 31)),
        ("Jan 5", date(2027, 1, 5), date(2026, 1, 5)),
        ("Feb 29", date(2028, 2, 29), date(2024, 2, 29)),
        ("3d", date(2026, 11, 29), date(2026, 11, 23)),
        ("2 weeks", date(2026, 12, 10), date(2026, 11, 12)),
        ("+3d", date(2026, 11, 29), date(2026, 11, 29)),  # an explicit sign keeps its direction
        ("in 3 days", date(2026, 11, 29), date(2026, 11, 29)),
        ("-3d", date(2026, 11, 23), date(2026, 11, 23)),
        ("today", TODAY, TODAY),
        ("2026-12-05", date(2026, 12, 5), date(2026, 12, 5)),
        # the end of this month / calendar year, either way
        ("eom", date(2026, 11, 30), date(2026, 11, 30)),
        ("End of month", date(2026, 11, 30), date(2026, 11, 30)),
        ("end of the month", date(2026, 11, 30), date(2026, 11, 30)),
        ("eoy", date(2026, 12, 31), date(2026, 12, 31)),
        ("end of year", date(2026, 12, 31), date(2026, 12, 31)),
        # next / last week, month, year: one unit either way, whatever past says
        ("next week", date(2026, 12, 3), date(2026, 12, 3)),
        ("Next  Month", date(2026, 12, 26), date(2026, 12, 26)),
        ("next year", date(2027, 11, 26), date(2027, 11, 26)),
        ("last week", date(2026, 11, 19), date(2026, 11, 19)),
        ("last month", date(2026, 10, 26), date(2026, 10, 26)),
        # the end of a calendar quarter; the end of the next or last month, quarter or year
        ("eoq", date(2026, 12, 31), date(2026, 12, 31)),
        ("end of quarter", date(2026, 12, 31), date(2026, 12, 31)),
        ("end of next month", date(2026, 12, 31), date(2026, 12, 31)),
        ("end of last month", date(2026, 10, 31), date(2026, 10, 31)),
        ("end of next quarter", date(2027, 3, 31), date(2027, 3, 31)),
        ("end of this year", date(2026, 12, 31), date(2026, 12, 31)),
        ("this friday", date(2026, 11, 27), date(2026, 11, 20)),  # the nearest, today included
        ("this thursday", TODAY, TODAY),
        ("this monday", date(2026, 11, 30), date(2026, 11, 23)),  # (a due date is never last Monday)
        # a day and month without a year (only one reading): as "Dec 31", "Jan 15"
        ("31/12", date(2026, 12, 31), date(2025, 12, 31)),
        ("1/15", date(2027, 1, 15), date(2026, 1, 15)),
        ("26.11", TODAY, TODAY),
    ],
)
def test_parse_date_past(text: str, expected: date, expected_past: date) -> None:
    assert parse_date(text, TODAY) == expected
    assert parse_date(text, TODAY, past=True) == expected_past


@pytest.mark.parametrize(
    ("today", "text", "expected", "expected_past"),
    [
        # a month or less on the other side of today across New Year: that day, not a year off
        (date(2027, 1, 2), "Dec 20", date(2026, 12, 20), date(2026, 12, 20)),  # due 13 days ago (noted)
        (date(2027, 1, 2), "31/12", date(2026, 12, 31), date(2026, 12, 31)),
        (date(2027, 1, 2), "Dec 1", date(2027, 12, 1), date(2026, 12, 1)),  # 32 days ago: next year's when ahead
        (date(2026, 12, 28), "Jan 5", date(2027, 1, 5), date(2027, 1, 5)),  # 8 days ahead (refused as a --date)
        (date(2026, 12, 28), "Feb 1", date(2027, 2, 1), date(2026, 2, 1)),
        (date(2027, 1, 20), "Dec 29", date(2026, 12, 29), date(2026, 12, 29)),
        (date(2027, 12, 15), "Jan 10", date(2028, 1, 10), date(2028, 1, 10)),
        (date(2028, 1, 10), "Feb 29", date(2028, 2, 29), date(2024, 2, 29)),  # 50 days ahead: the last one
    ],
)
def test_a_month_day_near_new_year_is_the_nearby_one(today: date, text: str, expected: date,
                                                      expected_past: date) -> None:
    assert parse_date(text, today) == expected
    assert parse_date(text, today, past=True) == expected_past


@pytest.mark.parametrize(
    ("text", "fiscal_start", "expected"),
    [
        # a fiscal year from February: quarters Nov-Jan, Feb-Apr, ...; the year ends on January 31
        ("eoq", 2, date(2027, 1, 31)),
        ("end of next quarter", 2, date(2027, 4, 30)),
        ("end of last quarter", 2, date(2026, 10, 31)),
        ("eoy", 2, date(2027, 1, 31)),
        ("end of last year", 2, date(2026, 1, 31)),
        # from April (today in FY2026-Q3: Oct-Dec); from December (today in FY2025-Q4: Sep-Nov)
        ("eoq", 4, date(2026, 12, 31)),
        ("eoy", 4, date(2027, 3, 31)),
        ("eoq", 12, date(2026, 11, 30)),
        ("end of next quarter", 12, date(2027, 2, 28)),
        ("eoy", 12, date(2026, 11, 30)),
        ("end of last year", 12, date(2025, 11, 30)),
        # a month is a month whatever the fiscal year
        ("eom", 4, date(2026, 11, 30)),
        ("end of next month", 2, date(2026, 12, 31)),
    ],
)
def test_parse_date_end_of_fiscal_quarter_and_year(text: str, fiscal_start: int, expected: date) -> None:
    assert parse_date(text, TODAY, fiscal_start=fiscal_start) == expected


@pytest.mark.parametrize(
    ("text", "day_first", "expected"),
    [
        ("03/04/2026", True, date(2026, 4, 3)),
        ("03/04/2026", False, date(2026, 3, 4)),
        ("3.4.2026", True, date(2026, 4, 3)),
        ("03-04-2026", False, date(2026, 3, 4)),
        ("12/11/2026", True, date(2026, 11, 12)),
        ("12/11/2026", False, date(2026, 12, 11)),
        # only one reading: it wins whatever day_first says
        ("13/04/2026", False, date(2026, 4, 13)),
        ("04/13/2026", True, date(2026, 4, 13)),
        ("31/12/2026", None, date(2026, 12, 31)),
        ("12/31/2026", None, date(2026, 12, 31)),
        ("05/05/2026", None, date(2026, 5, 5)),
        # ISO is never affected
        ("2026-03-04", True, date(2026, 3, 4)),
        ("2026-03-04", False, date(2026, 3, 4)),
    ],
)
def test_parse_date_day_first(text: str, day_first: bool | None, expected: date) -> None:
    assert parse_date(text, TODAY, day_first=day_first) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("03/04/2026", "is ambiguous (day/month); write 2026-04-03 or 2026-03-04, or set day_first"),
        ("1/2/2026", "is ambiguous (day/month); write 2026-02-01 or 2026-01-02, or set day_first"),
        ("12.11.2026", "is ambiguous (day/month); write 2026-11-12 or 2026-12-11, or set day_first"),
        ("", "is empty (examples: 2026-12-05, Dec 5 2026, today, +30d, friday)"),
        ("  ", "is empty (examples: 2026-12-05, Dec 5 2026, today, +30d, friday)"),
        ("2026-02-31", "is not a valid date"),
        ("2026-02-29", "is not a valid date"),
        ("2026-13-01", "is not a valid date"),
        ("2026-00-10", "is not a valid date"),
        ("2026-04-31", "is not a valid date"),
        ("31/02/2026", "is not a valid date"),
        ("30/02/2026", "is not a valid date"),
        ("13/13/2026", "is not a valid date"),
        ("00/05/2026", "is not a valid date"),
        ("2026/02/30", "is not a valid date"),
        ("Feb 30 2026", "is not a valid date"),
        ("Dec 32 2026", "is not a valid date"),
        ("Feb 29 2026", "is not a valid date"),
        ("99", "is a number, not a date (examples: 2026-12-05, Dec 5 2026, today, +30d, friday)"),
        ("2026", "is a number, not a date (examples: 2026-12-05, Dec 5 2026, today, +30d, friday)"),
        ("12", "is a number, not a date (examples: 2026-12-05, Dec 5 2026, today, +30d, friday)"),
        ("20261126", "is a number, not a date (examples: 2026-12-05, Dec 5 2026, today, +30d, friday)"),
        ("45292", "is a number, not a date (examples: 2026-12-05, Dec 5 2026, today, +30d, friday)"),
        ("2026-W48-4", "is not a date (examples: 2026-12-05, Dec 5 2026, today, +30d, friday)"),
        ("2026-330", "is not a date (examples: 2026-12-05, Dec 5 2026, today, +30d, friday)"),
        ("soon", "is not a date (examples: 2026-12-05, Dec 5 2026, today, +30d, friday)"),
        ("now", "is not a date (examples: 2026-12-05, Dec 5 2026, today, +30d, friday)"),
        ("+3x", "is not a date (examples: 2026-12-05, Dec 5 2026, today, +30d, friday)"),
        ("+d", "is not a date (examples: 2026-12-05, Dec 5 2026, today, +30d, friday)"),
        ("in 3 days ago", "is not a date (examples: 2026-12-05, Dec 5 2026, today, +30d, friday)"),
        ("this fortnight", "is not a date (examples: 2026-12-05, Dec 5 2026, today, +30d, friday)"),
        ("10:30", "is not a date (examples: 2026-12-05, Dec 5 2026, today, +30d, friday)"),
        ("3pm", "is not a date (examples: 2026-12-05, Dec 5 2026, today, +30d, friday)"),
        ("Dec 5 2026 nonsense", "is not a date (examples: 2026-12-05, Dec 5 2026, today, +30d, friday)"),
        ("Dec 5 2026 XYZ", "is not a date (examples: 2026-12-05, Dec 5 2026, today, +30d, friday)"),
        ("2026-11-26 10:30", "has a time of day; give a date only (2026-12-05)"),
        ("2026-11-26T10:30:00Z", "has a time of day; give a date only (2026-12-05)"),
        ("Dec 5 2026 10:30", "has a time of day; give a date only (2026-12-05)"),
        ("Dec 5 2026 3pm", "has a time of day; give a date only (2026-12-05)"),
        ("03/04/26", "has a two-digit year; write the year with four digits"),
        ("31.12.99", "has a two-digit year; write the year with four digits"),
        ("Dec 5 26", "has a two-digit year; write the year with four digits"),
        ("5 December '26", "has a two-digit year; write the year with four digits"),
        ("December 2026", "has no day of the month (a month is a period, not a date)"),
        ("Dec", "has no day of the month (a month is a period, not a date)"),
        ("Dec 45", "is not a valid date (no day 45 in December)"),  # (not the year 2045 missing its day)
        ("Feb 30", "is not a valid date"),
        ("Fri Dec 5 2026", "is not a Saturday (the weekday does not match)"),
        ("0001-01-01", "is out of range (years 1900-2200)"),
        ("1899-12-31", "is out of range (years 1900-2200)"),
        ("2201-01-01", "is out of range (years 1900-2200)"),
        ("9999-12-31", "is out of range (years 1900-2200)"),
        ("Dec 5 1850", "is out of range (years 1900-2200)"),
        ("31/12/1899", "is out of range (years 1900-2200)"),
        ("+999999d", "is out of range (years 1900-2200)"),
        ("+999999y", "is out of range (years 1900-2200)"),
        ("-999999m", "is out of range (years 1900-2200)"),
        ("+500y", "is out of range (years 1900-2200)"),
        ("٢٠٢٦-١١-٢٦", "has digits other than 0-9"),
        ("２０２６-11-26", "has digits other than 0-9"),
    ],
)
def test_parse_date_refused(text: str, reason: str) -> None:
    error = refused(parse_date, text, TODAY)
    assert error.reason == reason
    assert error.value == text


def test_parse_date_message() -> None:
    error = refused(parse_date, "31/02/2026", TODAY).with_field("close_date")
    assert str(error) == 'close_date "31/02/2026" is not a valid date'


def test_parse_date_accepts_a_datetime_as_today() -> None:
    assert parse_date("+1d", datetime(2026, 11, 26, 23, 59)) == date(2026, 11, 27)


def test_parse_date_ambiguity_is_always_refused_without_day_first() -> None:
    for first in range(1, 13):
        for second in range(1, 13):
            text = f"{first:02d}/{second:02d}/2026"
            if first == second:
                assert parse_date(text, TODAY) == date(2026, first, first)
            else:
                assert "ambiguous" in refused(parse_date, text, TODAY).reason


@pytest.mark.parametrize(
    ("text", "day_first", "expected"),
    [
        ("2024-01-22T16:14:25.000+0000", None, date(2024, 1, 22)),
        ("2024-01-22T16:14:25Z", None, date(2024, 1, 22)),
        ("2024-01-22T16:14:25+05:30", None, date(2024, 1, 22)),
        ("2024-01-22T23:59:59.999999-08:00", None, date(2024, 1, 22)),  # not converted
        ("2024-01-22 16:14", None, date(2024, 1, 22)),
        ("2024-01-22 16:14:25", None, date(2024, 1, 22)),
        ("2024-01-22 16:14 UTC", None, date(2024, 1, 22)),
        ("2024-01-22", None, date(2024, 1, 22)),
        ("1/22/2024 4:14 PM", None, date(2024, 1, 22)),
        ("1/22/2024 4:14:00 pm", None, date(2024, 1, 22)),
        ("22/01/2024 16:14", None, date(2024, 1, 22)),
        ("03/04/2024 10:00", True, date(2024, 4, 3)),
        ("03/04/2024 10:00", False, date(2024, 3, 4)),
        ("Dec 5 2026 10:30", None, date(2026, 12, 5)),
        ("Dec 5 2026 10:30 AM", None, date(2026, 12, 5)),
        ("Dec 5 2026 3pm", None, date(2026, 12, 5)),
        ("Dec 5 2026 10:30 EST", None, date(2026, 12, 5)),
        ("2026-12-01 23:30 PST", None, date(2026, 12, 1)),  # a zone's abbreviation: dropped as an offset is
        ("12/01/2026 9:00 AM PDT", False, date(2026, 12, 1)),
        ("2026-11-30 23:30 CEST", None, date(2026, 11, 30)),
        ("2026-12-01 23:30 pst", None, date(2026, 12, 1)),
        ("Dec 5 2026", None, date(2026, 12, 5)),
        ("tomorrow", None, date(2026, 11, 27)),
        ("+3d", None, date(2026, 11, 29)),
    ],
)
def test_parse_date_or_datetime(text: str, day_first: bool | None, expected: date) -> None:
    assert parse_date_or_datetime(text, TODAY, day_first=day_first) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("1/22/2024 4:14 PM", (16, 14, 0)), ("1/22/2024 12:05 a.m.", (0, 5, 0)), ("1/22/2024 12:05 PM", (12, 5, 0)),
    ("2024-01-22T16:14:25.000+0000", (16, 14, 25)), ("22.01.2024 09:30:59", (9, 30, 59)), ("2024-01-22", None),
])
def test_time_of_day(text: str, expected: tuple[int, int, int] | None) -> None:
    assert time_of_day(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2024-01-22 25:00", "has an invalid time of day"),
        ("2024-01-22 12:60", "has an invalid time of day"),
        ("2024-01-22 13:00 PM", "has an invalid time of day"),
        ("2024-01-22T10:00+05:99", "has an invalid time of day"),
        ("2024-02-30 10:00", "is not a valid date"),
        ("03/04/2024 10:00", "is ambiguous (day/month); write 2024-04-03 or 2024-03-04, or set day_first"),
        ("10:30", "is not a date (examples: 2026-12-05, Dec 5 2026, today, +30d, friday)"),
        ("", "is empty (examples: 2026-12-05, Dec 5 2026, today, +30d, friday)"),
        ("1706000000", "is a number, not a date (examples: 2026-12-05, Dec 5 2026, today, +30d, friday)"),
    ],
)
def test_parse_date_or_datetime_refused(text: str, reason: str) -> None:
    error = refused(parse_date_or_datetime, text, TODAY)
    assert error.reason == reason
    assert error.value == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("45292", date(2024, 1, 1)),
        ("45291", date(2023, 12, 31)),
        ("20000", date(1954, 10, 3)),
        ("80000", date(2119, 1, 11)),
        (" 45292 ", date(2024, 1, 1)),
        ("45292.75", date(2024, 1, 1)),
        ("43831", date(2020, 1, 1)),
    ],
)
def test_excel_serial_to_date(text: str, expected: date) -> None:
    assert excel_serial_to_date(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("45292", datetime(2024, 1, 1)),
    ("45292.75", datetime(2024, 1, 1, 18)),
    ("46000.5", datetime(2025, 12, 9, 12)),
    ("45292.000011574", datetime(2024, 1, 1, 0, 0, 1)),  # one second, to the nearest second
    ("45292.99999999", datetime(2024, 1, 1, 23, 59, 59)),  # never the next day
])
def test_excel_serial_to_datetime(text: str, expected: datetime) -> None:
    assert excel_serial_to_datetime(text) == expected


@pytest.mark.parametrize("text", ["", "19999", "80001", "99999", "4529", "452920", "-45292", "45292.", "4.5e4", "abc",
                                  "2024-01-01", "٤٥٢٩٢"])
def test_excel_serial_to_date_refused(text: str) -> None:
    assert refused(excel_serial_to_date, text).reason == (
        "is not a spreadsheet date serial (a number from 20000 to 80000)"
    )


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2026, 3, 31), -1, date(2026, 2, 28)),
        (date(2026, 11, 26), 2, date(2027, 1, 26)),
        (date(2026, 1, 15), -1, date(2025, 12, 15)),
        (date(2026, 5, 31), 1, date(2026, 6, 30)),
        (date(2026, 12, 31), 12, date(2027, 12, 31)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2026, 6, 15), 0, date(2026, 6, 15)),
        (date(2026, 6, 15), -18, date(2024, 12, 15)),
    ],
)
def test_add_months(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


def test_add_months_out_of_range() -> None:
    with pytest.raises(ValueError, match="out of range"):
        add_months(date(9999, 12, 1), 1)


# ---------------------------------------------------------------------------
# periods
# ---------------------------------------------------------------------------


def period(start: str, end: str, label: str) -> Period:
    return Period(date.fromisoformat(start), date.fromisoformat(end), label)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026", period("2026-01-01", "2027-01-01", "2026")),
        ("FY2026", period("2026-01-01", "2027-01-01", "2026")),
        ("fy 2026", period("2026-01-01", "2027-01-01", "2026")),
        ("2026-Q1", period("2026-01-01", "2026-04-01", "2026-Q1")),
        ("2026-Q4", period("2026-10-01", "2027-01-01", "2026-Q4")),
        ("2026q2", period("2026-04-01", "2026-07-01", "2026-Q2")),
        ("2026 Q3", period("2026-07-01", "2026-10-01", "2026-Q3")),
        ("Q4 2026", period("2026-10-01", "2027-01-01", "2026-Q4")),
        ("Q4-2026", period("2026-10-01", "2027-01-01", "2026-Q4")),
        ("FY2026-Q4", period("2026-10-01", "2027-01-01", "2026-Q4")),
        ("2026-11", period("2026-11-01", "2026-12-01", "2026-11")),
        ("2026-02", period("2026-02-01", "2026-03-01", "2026-02")),
        ("2028-2", period("2028-02-01", "2028-03-01", "2028-02")),
        ("2026-12", period("2026-12-01", "2027-01-01", "2026-12")),
        ("Nov 2026", period("2026-11-01", "2026-12-01", "2026-11")),
        ("november 2026", period("2026-11-01", "2026-12-01", "2026-11")),
        ("2026-W48", period("2026-11-23", "2026-11-30", "2026-W48")),
        ("2026w48", period("2026-11-23", "2026-11-30", "2026-W48")),
        ("2026-W01", period("2025-12-29", "2026-01-05", "2026-W01")),
        ("2026-W53", period("2026-12-28", "2027-01-04", "2026-W53")),
        ("this-week", period("2026-11-23", "2026-11-30", "2026-W48")),
        ("last-week", period("2026-11-16", "2026-11-23", "2026-W47")),
        ("next-week", period("2026-11-30", "2026-12-07", "2026-W49")),
        ("this-month", period("2026-11-01", "2026-12-01", "2026-11")),
        ("last-month", period("2026-10-01", "2026-11-01", "2026-10")),
        ("next-month", period("2026-12-01", "2027-01-01", "2026-12")),
        ("this-quarter", period("2026-10-01", "2027-01-01", "2026-Q4")),
        ("last-quarter", period("2026-07-01", "2026-10-01", "2026-Q3")),
        ("next-quarter", period("2027-01-01", "2027-04-01", "2027-Q1")),
        ("this-year", period("2026-01-01", "2027-01-01", "2026")),
        ("last-year", period("2025-01-01", "2026-01-01", "2025")),
        ("next-year", period("2027-01-01", "2028-01-01", "2027")),
        ("ytd", period("2026-01-01", "2026-11-27", "2026-01-01..2026-11-26")),
        ("YTD", period("2026-01-01", "2026-11-27", "2026-01-01..2026-11-26")),
        ("mtd", period("2026-11-01", "2026-11-27", "2026-11-01..2026-11-26")),
        ("qtd", period("2026-10-01", "2026-11-27", "2026-10-01..2026-11-26")),
        ("today", period("2026-11-26", "2026-11-27", "2026-11-26")),
        ("yesterday", period("2026-11-25", "2026-11-26", "2026-11-25")),
        ("2026-11-20", period("2026-11-20", "2026-11-21", "2026-11-20")),
        ("this quarter", period("2026-10-01", "2027-01-01", "2026-Q4")),
        ("This Quarter", period("2026-10-01", "2027-01-01", "2026-Q4")),
        ("LAST_MONTH", period("2026-10-01", "2026-11-01", "2026-10")),
        ("  last   week ", period("2026-11-16", "2026-11-23", "2026-W47")),
        ("week of 2026-11-24", period("2026-11-23", "2026-11-30", "2026-W48")),
        ("2026-01-01..2026-03-31", period("2026-01-01", "2026-04-01", "2026-01-01..2026-03-31")),
        ("2026-01-01 .. 2026-03-31", period("2026-01-01", "2026-04-01", "2026-01-01..2026-03-31")),
        ("2026-11-26..2026-11-26", period("2026-11-26", "2026-11-27", "2026-11-26..2026-11-26")),
        ("2026-Q1..2026-Q2", period("2026-01-01", "2026-07-01", "2026-01-01..2026-06-30")),
        ("2026-01..2026-03", period("2026-01-01", "2026-04-01", "2026-01-01..2026-03-31")),
        ("2026-11-01..today", period("2026-11-01", "2026-11-27", "2026-11-01..2026-11-26")),
        ("today..+30d", period("2026-11-26", "2026-12-27", "2026-11-26..2026-12-26")),
        ("Dec 1 2026..Dec 31 2026", period("2026-12-01", "2027-01-01", "2026-12-01..2026-12-31")),
        # a quarter or month without a year: this year's
        ("Q4", period("2026-10-01", "2027-01-01", "2026-Q4")),
        ("q1", period("2026-01-01", "2026-04-01", "2026-Q1")),
        ("November", period("2026-11-01", "2026-12-01", "2026-11")),
        ("sept", period("2026-09-01", "2026-10-01", "2026-09")),
        ("q3..nov", period("2026-07-01", "2026-12-01", "2026-07-01..2026-11-30")),
        # days without a year: this year's, as a month name is (not each end's next occurrence)
        ("Nov 20..Nov 26", period("2026-11-20", "2026-11-27", "2026-11-20..2026-11-26")),
        ("Oct 1..Oct 31", period("2026-10-01", "2026-11-01", "2026-10-01..2026-10-31")),
        ("Nov 1..today", period("2026-11-01", "2026-11-27", "2026-11-01..2026-11-26")),
        ("Jan 5..Feb 3", period("2026-01-05", "2026-02-04", "2026-01-05..2026-02-03")),
        ("Dec 15..Jan 15", period("2026-12-15", "2027-01-16", "2026-12-15..2027-01-15")),  # across new year
        ("Nov 20", period("2026-11-20", "2026-11-21", "2026-11-20")),
    ],
)
def test_parse_period(text: str, expected: Period) -> None:
    assert parse_period(text, TODAY) == expected


def test_a_range_of_days_without_a_year_across_new_year_is_the_one_nearer_today() -> None:
    assert parse_period("Dec 15..Jan 15", date(2027, 1, 5)) == period("2026-12-15", "2027-01-16",
                                                                      "2026-12-15..2027-01-15")


@pytest.mark.parametrize(
    ("text", "fiscal_start", "expected"),
    [
        # fiscal years are named by the calendar year in which they start
        ("2026", 4, period("2026-04-01", "2027-04-01", "FY2026")),
        ("FY2026", 4, period("2026-04-01", "2027-04-01", "FY2026")),
        ("2026-Q1", 4, period("2026-04-01", "2026-07-01", "FY2026-Q1")),
        ("2026-Q4", 4, period("2027-01-01", "2027-04-01", "FY2026-Q4")),
        ("FY2026-Q4", 4, period("2027-01-01", "2027-04-01", "FY2026-Q4")),
        ("this-quarter", 4, period("2026-10-01", "2027-01-01", "FY2026-Q3")),
        ("last-quarter", 4, period("2026-07-01", "2026-10-01", "FY2026-Q2")),
        ("next-quarter", 4, period("2027-01-01", "2027-04-01", "FY2026-Q4")),
        ("this-year", 4, period("2026-04-01", "2027-04-01", "FY2026")),
        ("last-year", 4, period("2025-04-01", "2026-04-01", "FY2025")),
        ("ytd", 4, period("2026-04-01", "2026-11-27", "2026-04-01..2026-11-26")),
        ("qtd", 4, period("2026-10-01", "2026-11-27", "2026-10-01..2026-11-26")),
        ("this-year", 12, period("2025-12-01", "2026-12-01", "FY2025")),
        ("this-quarter", 12, period("2026-09-01", "2026-12-01", "FY2025-Q4")),
        # a month without a year: in the current fiscal year, as a quarter without one is (today 2026-11-26)
        ("march", 4, period("2027-03-01", "2027-04-01", "2027-03")),
        ("april", 4, period("2026-04-01", "2026-05-01", "2026-04")),
        ("Q4", 4, period("2027-01-01", "2027-04-01", "FY2026-Q4")),
        ("march..may", 4, period("2026-03-01", "2026-06-01", "2026-03-01..2026-05-31")),  # across the year's start
        ("next-quarter", 12, period("2026-12-01", "2027-03-01", "FY2026-Q1")),
        ("2026-Q1", 7, period("2026-07-01", "2026-10-01", "FY2026-Q1")),
        ("Q1", 4, period("2026-04-01", "2026-07-01", "FY2026-Q1")),  # the fiscal year today is in
        ("q4", 4, period("2027-01-01", "2027-04-01", "FY2026-Q4")),
        ("this-month", 4, period("2026-11-01", "2026-12-01", "2026-11")),
        ("2026-11", 4, period("2026-11-01", "2026-12-01", "2026-11")),
    ],
)
def test_parse_period_fiscal(text: str, fiscal_start: int, expected: Period) -> None:
    assert parse_period(text, TODAY, fiscal_year_start_month=fiscal_start) == expected


@pytest.mark.parametrize(
    ("text", "week_start", "expected"),
    [
        ("this-week", 6, period("2026-11-22", "2026-11-29", "week of 2026-11-22")),
        ("last-week", 6, period("2026-11-15", "2026-11-22", "week of 2026-11-15")),
        ("next-week", 6, period("2026-11-29", "2026-12-06", "week of 2026-11-29")),
        ("this-week", 3, period("2026-11-26", "2026-12-03", "week of 2026-11-26")),
        ("this-week", 4, period("2026-11-20", "2026-11-27", "week of 2026-11-20")),
        ("week of 2026-11-22", 6, period("2026-11-22", "2026-11-29", "week of 2026-11-22")),
        # ISO weeks always start on Monday
        ("2026-W48", 6, period("2026-11-23", "2026-11-30", "2026-W48")),
    ],
)
def test_parse_period_week_start(text: str, week_start: int, expected: Period) -> None:
    assert parse_period(text, TODAY, week_start=week_start) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "is empty (examples: 2026, FY2026, 2026-Q4, 2026-11, 2026-W48, this-month, last-quarter, ytd, "
             "2026-01-01..2026-03-31)"),
        ("foo", "is not a period (examples: 2026, FY2026, 2026-Q4, 2026-11, 2026-W48, this-month, last-quarter, "
                "ytd, 2026-01-01..2026-03-31)"),
        ("this-decade", "is not a period (examples: 2026, FY2026, 2026-Q4, 2026-11, 2026-W48, this-month, "
                        "last-quarter, ytd, 2026-01-01..2026-03-31)"),
        ("26", "is not a period (examples: 2026, FY2026, 2026-Q4, 2026-11, 2026-W48, this-month, last-quarter, "
               "ytd, 2026-01-01..2026-03-31)"),
        ("2026-13", "is not a valid month (01 to 12)"),
        ("2026-00", "is not a valid month (01 to 12)"),
        ("2026-Q5", "is not a valid quarter (Q1 to Q4)"),
        ("2026-Q0", "is not a valid quarter (Q1 to Q4)"),
        ("Q5", "is not a valid quarter (Q1 to Q4)"),
        ("2026-W00", "is not a valid week (2026 has 53 ISO weeks)"),
        ("2027-W53", "is not a valid week (2027 has 52 ISO weeks)"),
        ("1899", "is out of range (years 1900-2200)"),
        ("2201-Q1", "is out of range (years 1900-2200)"),
        ("9999-12", "is out of range (years 1900-2200)"),
        ("2026-02-31", "is not a valid date"),
        ("2026-03-01..2026-01-01", "ends before it starts"),
        ("2026-01-01..", "is not a range (write 2026-01-01..2026-03-31)"),
        ("..2026-01-01", "is not a range (write 2026-01-01..2026-03-31)"),
        ("2026-02-31..2026-03-01", 'is not a range: "2026-02-31" is not a valid date'),
        ("2026-01-01..whenever", 'is not a range: "whenever" is not a period (examples: 2026, FY2026, 2026-Q4, '
                                 '2026-11, 2026-W48, this-month, last-quarter, ytd, 2026-01-01..2026-03-31)'),
        ("2026-01-01..2026-02-01..2026-03-01", 'is not a range: "2026-02-01..2026-03-01" is not a period '
                                               "(examples: 2026, FY2026, 2026-Q4, 2026-11, 2026-W48, this-month, "
                                               "last-quarter, ytd, 2026-01-01..2026-03-31)"),
    ],
)
def test_parse_period_refused(text: str, reason: str) -> None:
    error = refused(parse_period, text, TODAY)
    assert error.reason == reason
    assert error.value == text


@pytest.mark.parametrize(("fiscal_start", "week_start"), [(0, 0), (13, 0), (1, 7), (1, -1)])
def test_parse_period_bad_settings(fiscal_start: int, week_start: int) -> None:
    refused(parse_period, "this-week", TODAY, fiscal_start, week_start)


def test_parse_period_near_the_end_of_time() -> None:
    assert refused(parse_period, "next-year", date(9999, 6, 1)).reason == "is out of range (years 1900-2200)"


def test_period_contains_and_days() -> None:
    p = parse_period("2026-11", TODAY)
    assert p.days == 30
    assert p.contains(date(2026, 11, 1))
    assert p.contains(date(2026, 11, 30))
    assert not p.contains(date(2026, 12, 1))  # end is exclusive
    assert not p.contains(date(2026, 10, 31))
    assert parse_period("2028", TODAY).days == 366
    assert parse_period("2026-W48", TODAY).days == 7


@pytest.mark.parametrize(
    ("day", "fiscal_start", "expected"),
    [
        (date(2026, 11, 26), 1, period("2026-10-01", "2027-01-01", "2026-Q4")),
        (date(2026, 1, 1), 1, period("2026-01-01", "2026-04-01", "2026-Q1")),
        (date(2026, 3, 31), 1, period("2026-01-01", "2026-04-01", "2026-Q1")),
        (date(2026, 4, 1), 4, period("2026-04-01", "2026-07-01", "FY2026-Q1")),
        (date(2026, 3, 31), 4, period("2026-01-01", "2026-04-01", "FY2025-Q4")),
        (date(2026, 2, 15), 2, period("2026-02-01", "2026-05-01", "FY2026-Q1")),
        (date(2026, 1, 31), 2, period("2025-11-01", "2026-02-01", "FY2025-Q4")),
        (date(2026, 12, 31), 10, period("2026-10-01", "2027-01-01", "FY2026-Q1")),
    ],
)
def test_fiscal_quarter(day: date, fiscal_start: int, expected: Period) -> None:
    assert fiscal_quarter(day, fiscal_start) == expected


def test_fiscal_year() -> None:
    assert fiscal_year(date(2027, 2, 10), 4) == period("2026-04-01", "2027-04-01", "FY2026")
    assert fiscal_year(date(2027, 2, 10)) == period("2027-01-01", "2028-01-01", "2027")


@pytest.mark.parametrize(
    ("day", "week_start", "expected"),
    [
        (date(2026, 11, 26), 0, period("2026-11-23", "2026-11-30", "2026-W48")),
        (date(2026, 11, 23), 0, period("2026-11-23", "2026-11-30", "2026-W48")),
        (date(2026, 11, 29), 0, period("2026-11-23", "2026-11-30", "2026-W48")),
        (date(2026, 11, 29), 6, period("2026-11-29", "2026-12-06", "week of 2026-11-29")),
        (date(2026, 11, 28), 6, period("2026-11-22", "2026-11-29", "week of 2026-11-22")),
        (date(2027, 1, 1), 0, period("2026-12-28", "2027-01-04", "2026-W53")),
        (date(2024, 12, 31), 0, period("2024-12-30", "2025-01-06", "2025-W01")),
    ],
)
def test_week_of(day: date, week_start: int, expected: Period) -> None:
    assert week_of(day, week_start) == expected


# ---------------------------------------------------------------------------
# numbers, flags, tags
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kwargs", "expected"),
    [
        ("0", {}, 0),
        ("42", {}, 42),
        (" 42 ", {}, 42),
        ("-7", {}, -7),
        ("007", {}, 7),
        ("100", {"maximum": 100}, 100),
        ("1", {"minimum": 1}, 1),
        ("5", {"minimum": 1, "maximum": 10}, 5),
        ("999999999999999999", {}, 999_999_999_999_999_999),
    ],
)
def test_parse_int(text: str, kwargs: dict[str, int], expected: int) -> None:
    assert parse_int(text, **kwargs) == expected


@pytest.mark.parametrize(
    ("text", "kwargs", "reason"),
    [
        ("", {}, "is not a whole number"),
        ("abc", {}, "is not a whole number"),
        ("1.5", {}, "is not a whole number"),
        ("1e3", {}, "is not a whole number"),
        ("+5", {}, "is not a whole number"),
        ("1_000", {}, "is not a whole number"),
        ("1,000", {}, "is not a whole number"),
        ("--5", {}, "is not a whole number"),
        ("- 5", {}, "is not a whole number"),
        ("١٢", {}, "is not a whole number"),
        ("１２", {}, "is not a whole number"),
        ("1" * 19, {}, "is too large"),
        ("9" * 5000, {}, "is too large"),
        ("0", {"minimum": 1}, "is below the minimum (1)"),
        ("101", {"maximum": 100}, "is above the maximum (100)"),
        ("-1", {"minimum": 0, "maximum": 6}, "is below the minimum (0)"),
    ],
)
def test_parse_int_refused(text: str, kwargs: dict[str, int], reason: str) -> None:
    assert refused(parse_int, text, **kwargs).reason == reason


@pytest.mark.parametrize(
    ("text", "expected"),
    [("0", 0), ("60", 60), ("60%", 60), ("60 %", 60), (" 100% ", 100), ("100", 100), ("5", 5), ("05", 5),
     ("60.0", 60), ("100.00", 100), ("0.0%", 0)],  # (a spreadsheet's float column)
)
def test_parse_probability(text: str, expected: int) -> None:
    assert parse_probability(text) == expected


@pytest.mark.parametrize(
    "text", ["", "60.5", "60.", "100.5", "101", "150%", "-5", "%", "60%%", "sixty", "1e2", "١٠", "6 0", "1000", "0.125"]
)
def test_parse_probability_refused(text: str) -> None:
    assert refused(parse_probability, text).reason == (
        "is not a probability (a whole percentage 0-100, e.g. 60 or 60%)"
    )


@pytest.mark.parametrize(("text", "meant"), [("0.6", 60), ("0.25", 25), (".05", 5)])
def test_a_fraction_for_a_probability_is_refused_with_its_percentage(text: str, meant: int) -> None:
    assert refused(parse_probability, text).reason == (
        f"is not a probability (a whole percentage 0-100, e.g. 60 or 60%); a fraction of 1? write {meant}")


@pytest.mark.parametrize("text", ["1.0", "1.00", " 01.0 "])
def test_one_point_zero_for_a_probability_is_refused_as_one_or_a_hundred(text: str) -> None:
    """The last of a spreadsheet's column of fractions (0.25 ... 1.0) is 100%, not the 1% it read as."""
    assert refused(parse_probability, text).reason == "is ambiguous: 1% or, as a fraction of 1, 100%? (write 1% or 100)"
    assert parse_probability("1.0%") == parse_probability("1") == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("true", True), ("TRUE", True), ("yes", True), ("Yes", True), ("y", True), ("1", True), ("on", True),
        (" ON ", True), ("false", False), ("False", False), ("no", False), ("n", False), ("0", False),
        ("off", False), ("OFF", False),
    ],
)
def test_parse_bool(text: str, expected: bool) -> None:
    assert parse_bool(text) is expected


@pytest.mark.parametrize("text", ["", "maybe", "2", "t", "yess", "nope", "-1", "0.0", "oui"])
def test_parse_bool_refused(text: str) -> None:
    assert refused(parse_bool, text).reason == "is not yes or no (true/false, yes/no, 1/0, on/off)"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", []),
        ("  ", []),
        (",;,", []),
        ("vip", ["vip"]),
        ("VIP, Renewal", ["vip", "renewal"]),
        ("b;a;c", ["b", "a", "c"]),
        ("a, b; c", ["a", "b", "c"]),
        ("vip,VIP, vip ", ["vip"]),
        ("renewal,vip,renewal", ["renewal", "vip"]),
        (" big   deal ,q4", ["big deal", "q4"]),
        ("a,,b,", ["a", "b"]),
        ("Émigré, ÉMIGRÉ", ["émigré"]),
        ("* myContacts ::: Customers ::: * starred", ["customers", "starred"]),  # Google Contacts' labels
    ],
)
def test_parse_tags(text: str, expected: list[str]) -> None:
    assert parse_tags(text) == expected


# ---------------------------------------------------------------------------
# import cost
# ---------------------------------------------------------------------------


def test_importing_values_does_not_import_dateutil() -> None:
    root = Path(__file__).resolve().parent.parent
    code = (
        "import sys, salescli.values as v; "
        "heavy = sorted(m for m in sys.modules if m.startswith('dateutil')); "
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root)


@pytest.mark.parametrize(
    ("text", "minor"),
    [("1.234,56", 123456), ("1234,56", 123456), ("1 234,56", 123456), ("1\u00a0234,5", 123450), ("12", 1200),
     ("12,5k", 1250000), ("1.234.567", 123456700), ("€ 1.234,56", 123456), ("0,99 EUR", 99)],
)
def test_parse_money_with_a_decimal_comma(text: str, minor: int) -> None:
    assert parse_money(text, decimal_comma=True).minor == minor


@pytest.mark.parametrize("text", ["1,234.56", "1.23,4", "12.34", "1,2,3"])
def test_parse_money_with_a_decimal_comma_refuses_a_point_for_decimals(text: str) -> None:
    with pytest.raises(InvalidValue) as err:
        parse_money(text, decimal_comma=True)
    assert err.value.reason == ("has misplaced separators (with a decimal comma: . for thousands and , for decimals:"
                                " 12.000,50)")


@pytest.mark.parametrize(("text", "reason"), [
    ("5,000", "is ambiguous: 5000 or 5,00? write 5000 or 5,00"),
    ("$12,000", "is ambiguous: 12000 or 12,00? write 12000 or 12,00"),
    ("1,234", "has more decimals than an amount allows (2)"),
])
def test_a_decimal_comma_does_not_read_a_thousands_comma_as_cents(text: str, reason: str) -> None:
    with pytest.raises(InvalidValue) as err:
        parse_money(text, decimal_comma=True)
    assert err.value.reason == reason
    assert parse_money("5,000k", decimal_comma=True).minor == 500000  # with k/M the comma can only be decimal


def test_a_day_and_month_without_a_year_follow_day_first_and_are_refused_in_a_file() -> None:
    assert parse_date("3/4", TODAY, day_first=True) == date(2027, 4, 3)
    with pytest.raises(InvalidValue, match=r"is ambiguous \(day/month\); write 3 Apr or 4 Mar, or set day_first"):
        parse_date("3/4", TODAY)
    with pytest.raises(InvalidValue, match="is not a date"):  # a file writes its year: 12/31 is no guess
        parse_date_or_datetime("12/31", TODAY)


@pytest.mark.parametrize(("typed", "names", "meant"), [
    ("sm", ["sam", "lee"], "sam"), ("mee", ["me"], "me"), ("samm", ["sam"], "sam"),
    ("UK", ["US"], None), ("al", ["bo"], None), ("s", ["sam"], None), ("rep1", ["rep10"], None),
])
def test_typo_of_a_short_name(typed: str, names: list[str], meant: str | None) -> None:
    from salescli.values import typo_of

    assert typo_of(typed, names) == meant


@pytest.mark.parametrize("website", ["https://acme.io?ref=x", "http://acme.io#about", "https://acme.io:443/",
                                     "acme.io.", "HTTPS://WWW.ACME.IO/de/?utm=1", "www.acme.io"])
def test_a_website_address_gives_its_domain(website: str) -> None:
    from salescli.models import normalize_domain

    assert normalize_domain(website) == "acme.io"
