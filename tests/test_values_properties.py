"""Property tests of salescli.values: parsers never crash, and what we print parses back."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

from hypothesis import example, given
from hypothesis import strategies as st

from salescli.errors import InvalidValue
from salescli.values import (
    MAX_AMOUNT,
    Period,
    add_months,
    currency_decimals,
    excel_serial_to_date,
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
    to_minor,
    week_of,
)

TODAY = date(2026, 11, 26)
CURRENCIES = ["EUR", "USD", "GBP", "JPY", "KRW", "KWD", "BHD", "CHF", "XYZ"]

dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31))
# a year away from the edges, so that the fiscal year, ISO year or last-year
# of a label is still within 1900..2200 and can be typed back
inner_dates = st.dates(min_value=date(1902, 1, 1), max_value=date(2198, 12, 31))
fiscal_months = st.integers(min_value=1, max_value=12)
week_starts = st.integers(min_value=0, max_value=6)

# Fragments of the grammars, so that random text reaches deep into each parser
# instead of failing at the first character.
FRAGMENTS = [
    "0", "1", "2", "9", "12", "2026", "31", "000", ",", ".", "..", " ", "\u00a0", "-", "+", "/", ":", "%", "(", ")",
    "$", "€", "£", "¥", "US$", "X$", "k", "m", "M", "b", "bn", "e", "E", "EUR", "usd", "JPY", "kwd", "nan", "inf",
    "_", "٢", "²", "d", "w", "y", "days", "ago", "in ", "next ", "today", "friday", "fri", "Dec", "December", "Feb",
    "29", "st", "th", ",", "T", "Z", "am", "pm", "UTC", "EST", "q", "Q4", "W", "W53", "fy", "FY", "this-", "last ",
    "week", "month", "quarter", "year", "ytd", "week of ", "true", "no", "on", ";", "\n", "\t", "\x00",
]
fragment_text = st.lists(st.sampled_from(FRAGMENTS), max_size=8).map("".join)
any_text = st.one_of(st.text(max_size=40), fragment_text)


def returns_or_refuses(func, *args, **kwargs) -> object:
    """func's result, or None when it raised InvalidValue; any other exception fails the test."""
    try:
        return func(*args, **kwargs)
    except InvalidValue as error:
        assert isinstance(error.reason, str)
        assert error.reason
        return None


# ---------------------------------------------------------------------------
# every parser returns a value or raises InvalidValue, never anything else
# ---------------------------------------------------------------------------


@given(any_text, st.sampled_from([None, *CURRENCIES]))
@example("1" + "0" * 5000, None)
@example("9" * 30 + "k", "EUR")
@example("0." + "0" * 60 + "1", "EUR")
def test_parse_money_total(text: str, currency: str | None) -> None:
    result = returns_or_refuses(parse_money, text, currency)
    if result is not None:
        assert 0 <= result.minor <= MAX_AMOUNT * 10 ** currency_decimals(result.currency or currency or "EUR")
        assert result.currency is None or (len(result.currency) == 3 and result.currency.isupper())


@given(any_text)
def test_parse_currency_total(text: str) -> None:
    result = returns_or_refuses(parse_currency, text)
    assert result is None or (isinstance(result, str) and len(result) == 3 and result.isascii())


@given(any_text, dates, st.sampled_from([None, True, False]))
@example("Dec 5 99999999999999999999", TODAY, None)
@example("+999999y", date(2200, 12, 31), None)
@example("Feb 29", date(2199, 3, 1), None)
def test_parse_date_total(text: str, today: date, day_first: bool | None) -> None:
    result = returns_or_refuses(parse_date, text, today, day_first)
    if result is not None:
        assert isinstance(result, date)
        assert 1900 <= result.year <= 2200 or result == today


@given(any_text, dates, st.sampled_from([None, True, False]))
@example("2024-01-22T16:14:25.000+0000", TODAY, None)
def test_parse_date_or_datetime_total(text: str, today: date, day_first: bool | None) -> None:
    result = returns_or_refuses(parse_date_or_datetime, text, today, day_first)
    assert result is None or isinstance(result, date)


@given(any_text)
def test_excel_serial_total(text: str) -> None:
    result = returns_or_refuses(excel_serial_to_date, text)
    assert result is None or date(1954, 1, 1) <= result <= date(2119, 12, 31)


@given(any_text, dates, fiscal_months, week_starts)
@example("next-year", date(9999, 12, 31), 1, 0)
@example("ytd", date(9999, 12, 31), 1, 0)
def test_parse_period_total(text: str, today: date, fiscal_start: int, week_start: int) -> None:
    result = returns_or_refuses(parse_period, text, today, fiscal_start, week_start)
    if result is not None:
        assert isinstance(result, Period)
        assert result.start < result.end
        assert result.label


@given(any_text, st.none() | st.integers(-100, 100), st.none() | st.integers(-100, 100))
def test_parse_int_total(text: str, minimum: int | None, maximum: int | None) -> None:
    result = returns_or_refuses(parse_int, text, minimum=minimum, maximum=maximum)
    if result is not None:
        assert minimum is None or result >= minimum
        assert maximum is None or result <= maximum


@given(any_text)
def test_parse_probability_bool_tags_total(text: str) -> None:
    probability = returns_or_refuses(parse_probability, text)
    assert probability is None or 0 <= probability <= 100
    assert returns_or_refuses(parse_bool, text) in (True, False, None)
    tags = parse_tags(text)
    assert len(tags) == len(set(tags))
    assert all(tag and tag == tag.strip() and tag == tag.lower() and "," not in tag and ";" not in tag
               for tag in tags)


# ---------------------------------------------------------------------------
# round trips
# ---------------------------------------------------------------------------


@given(st.integers(min_value=0, max_value=10**15), st.sampled_from(CURRENCIES), st.booleans())
@example(10**15, "EUR", False)
@example(0, "JPY", True)
def test_money_round_trip(minor: int, currency: str, symbol: bool) -> None:
    decimals = currency_decimals(currency)
    minor = min(minor, MAX_AMOUNT * 10**decimals)  # 10**15 yen is over the amount limit
    text = format_money(minor, currency, symbol=symbol)
    assert parse_money(text, currency).minor == minor
    assert parse_money(text).minor == minor  # the text names its currency
    assert to_minor(minor_to_decimal(minor, currency), currency) == minor


@given(st.integers(min_value=0, max_value=10**15), st.sampled_from(CURRENCIES))
def test_money_plain_number_round_trip(minor: int, currency: str) -> None:
    decimals = currency_decimals(currency)
    minor = min(minor, MAX_AMOUNT * 10**decimals)
    plain = str(minor_to_decimal(minor, currency))  # "12345.67", as a CSV export writes it
    assert parse_money(plain, currency) == parse_money(plain, currency.lower())
    assert parse_money(plain, currency).minor == minor


@given(st.integers(min_value=0, max_value=10**6), st.sampled_from(["k", "K", "m", "M", "b", "bn"]))
def test_money_multipliers(whole: int, suffix: str) -> None:
    factor = {"k": 10**3, "m": 10**6, "b": 10**9, "bn": 10**9}[suffix.lower()]
    result = returns_or_refuses(parse_money, f"{whole}{suffix}")
    if whole * factor <= MAX_AMOUNT:
        assert result is not None
        assert result.minor == whole * factor * 100
    else:
        assert result is None


@given(dates, dates)
def test_date_iso_round_trip(day: date, today: date) -> None:
    assert parse_date(day.isoformat(), today) == day
    assert parse_date_or_datetime(day.isoformat() + "T12:30:00Z", today) == day


@given(dates, st.sampled_from(["%b %d %Y", "%d %B %Y", "%B %d, %Y", "%a, %b %d, %Y", "%A %d %B %Y", "%d-%b-%Y"]))
def test_date_month_name_round_trip(day: date, fmt: str) -> None:
    assert parse_date(day.strftime(fmt), TODAY) == day


@given(dates)
def test_date_day_first_round_trip(day: date) -> None:
    assert parse_date(day.strftime("%d/%m/%Y"), TODAY, day_first=True) == day
    assert parse_date(day.strftime("%m/%d/%Y"), TODAY, day_first=False) == day
    assert parse_date(day.strftime("%d.%m.%Y"), TODAY, day_first=True) == day
    ambiguous = day.day <= 12 and day.month <= 12 and day.day != day.month
    assert (returns_or_refuses(parse_date, day.strftime("%d/%m/%Y"), TODAY) is None) == ambiguous


@given(st.dates(min_value=date(1954, 10, 3), max_value=date(2119, 1, 11)))
def test_excel_serial_round_trip(day: date) -> None:
    serial = (day - date(1899, 12, 30)).days
    assert excel_serial_to_date(str(serial)) == day


@given(dates, st.integers(min_value=-600, max_value=600))
def test_relative_dates(today: date, n: int) -> None:
    sign = "+" if n >= 0 else "-"
    expected_days = today + timedelta(days=n)
    if 1900 <= expected_days.year <= 2200:
        assert parse_date(f"{sign}{abs(n)}d", today) == expected_days
    expected_months = add_months(today, n)
    if 1900 <= expected_months.year <= 2200:
        assert parse_date(f"{sign}{abs(n)}m", today) == expected_months


@given(dates, st.integers(min_value=-1200, max_value=1200))
def test_add_months(day: date, n: int) -> None:
    result = add_months(day, n)
    assert (result.year * 12 + result.month) - (day.year * 12 + day.month) == n
    assert result.day <= day.day
    assert result.day == day.day or (result + timedelta(days=1)).day == 1  # clamped to the month end
    assert add_months(result, 0) == result


# ---------------------------------------------------------------------------
# periods
# ---------------------------------------------------------------------------


@given(dates, fiscal_months)
def test_fiscal_quarter_contains_its_day(day: date, fiscal_start: int) -> None:
    quarter = fiscal_quarter(day, fiscal_start)
    assert quarter.contains(day)
    assert 89 <= quarter.days <= 92
    assert quarter.start.day == 1
    assert (quarter.start.month - fiscal_start) % 3 == 0
    assert fiscal_year(day, fiscal_start).contains(day)


@given(dates, fiscal_months)
def test_quarters_tile_the_fiscal_year(day: date, fiscal_start: int) -> None:
    year = fiscal_year(day, fiscal_start)
    assert year.start.month == fiscal_start and year.start.day == 1
    assert year.days in (365, 366)
    quarters = [fiscal_quarter(year.start, fiscal_start)]
    while len(quarters) < 4:
        quarters.append(fiscal_quarter(quarters[-1].end, fiscal_start))
    assert quarters[0].start == year.start
    assert quarters[-1].end == year.end
    assert all(a.end == b.start for a, b in pairwise(quarters))
    assert [q.label[-2:] for q in quarters] == ["Q1", "Q2", "Q3", "Q4"]
    assert sum(q.days for q in quarters) == year.days


@given(inner_dates, fiscal_months, week_starts)
def test_labels_parse_back(day: date, fiscal_start: int, week_start: int) -> None:
    for p in (fiscal_quarter(day, fiscal_start), fiscal_year(day, fiscal_start), week_of(day, week_start)):
        assert parse_period(p.label, TODAY, fiscal_start, week_start) == p


@given(inner_dates, fiscal_months, week_starts)
def test_relative_periods(today: date, fiscal_start: int, week_start: int) -> None:
    def at(text: str) -> Period:
        return parse_period(text, today, fiscal_start, week_start)

    for unit in ("week", "month", "quarter", "year"):
        this, last, nxt = at(f"this-{unit}"), at(f"last-{unit}"), at(f"next {unit}")
        assert this.contains(today)
        assert last.end == this.start
        assert this.end == nxt.start
        assert parse_period(this.label, today, fiscal_start, week_start) == this
    assert at("this-week").start.weekday() == week_start
    assert at("this-week").days == 7
    for to_date, unit in (("ytd", "year"), ("qtd", "quarter"), ("mtd", "month")):
        partial = at(to_date)
        assert partial.start == at(f"this-{unit}").start
        assert partial.end == today + timedelta(days=1)
        assert parse_period(partial.label, today, fiscal_start, week_start) == partial


@given(dates, dates)
def test_range_periods(a: date, b: date) -> None:
    start, end = min(a, b), max(a, b)
    p = parse_period(f"{start.isoformat()}..{end.isoformat()}", TODAY)
    assert p.start == start
    assert p.end == end + timedelta(days=1)
    assert p.days == (end - start).days + 1
    assert p.contains(start) and p.contains(end)
    assert parse_period(p.label, TODAY) == p
