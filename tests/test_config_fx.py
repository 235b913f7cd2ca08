"""config get|set, fx set|list, and the one conversion of money across currencies."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from salescli.services.money import convert_totals, derived_rate, exact_total, parse_rate, summarize
from tests.conftest import Result, digest

Run = Callable[..., Result]


# -- convert_totals ------------------------------------------------------------------------------
def test_convert_totals_is_exact_and_rounds_once() -> None:
    total, missing = convert_totals({"USD": 1_000_001, "EUR": 333_333, "JPY": 1_000}, "USD",
                                    {"EUR": Decimal("1.0845"), "JPY": Decimal("0.0067")})
    # 10,000.01 + 3,333.33 × 1.0845 (= 3,614.996...) + 1,000 × 0.0067 (= 6.70)
    assert total == Decimal("13621.71")
    assert missing == []


def test_a_scaled_sum_is_exact_before_it_is_rounded_once() -> None:
    # 1,001.85 GBP x 10% x 1.27 = 127.23495: rounded to the x100 figure's cent first, it became 127.24
    assert exact_total({"GBP": 1001850}, "USD", {"GBP": Decimal("1.27")}, 100) == (Decimal("127.234950"), [])


RATES = ["0.0067", "0.92", "0.79", "1.1", "1.27", "1.32", "3.25", "0.0000215", "149.25", "7.8", "0.13", "1.0845",
         "83.12", "0.0123456789", "1.2", "0.85", "3"]


@pytest.mark.parametrize("new", RATES)
def test_rates_worked_out_for_a_new_base_come_back_as_typed(new: str) -> None:
    """A change of base to NEW and back: every rate x (1 X = x OLD) becomes x / n (n: NEW's rate), OLD's own is
    1 / n, and back again each is divided by OLD's. Twelve significant digits, or the shortest decimal within
    1e-13 of each, gave 0.006699999999999 for some pairs."""
    n = Decimal(new)
    old_in_new = derived_rate(1 / n)
    assert derived_rate(1 / old_in_new) == n
    for typed in RATES:
        x = Decimal(typed)
        assert derived_rate(derived_rate(x / n) / old_in_new) == x, (typed, new)


def test_convert_totals_names_a_currency_without_a_rate_instead_of_summing_it() -> None:
    total, missing = convert_totals({"GBP": 300_000, "USD": 5_000, "CHF": 0, "EUR": 100}, "USD",
                                    {"EUR": Decimal("2")})
    assert (total, missing) == (Decimal("52.00"), ["GBP"])  # CHF has nothing to convert


def test_convert_totals_into_a_currency_without_decimals() -> None:
    total, missing = convert_totals({"USD": 150, "JPY": 7}, "JPY", {"USD": Decimal("151.3")})
    assert (total, missing) == (Decimal("234"), [])  # 1.50 × 151.3 = 226.95 -> +7 = 233.95 -> 234


def test_summarize_lines() -> None:
    rows = [{"currency": "EUR", "deals": 2, "with_amount": 1, "minor": 120_000},
            {"currency": "GBP", "deals": 3, "with_amount": 3, "minor": 1_200_000}]
    totals = summarize(rows, "USD", {"EUR": Decimal("1.1")})
    assert totals.lines() == [
        "5 deals, total 1,320.00 USD (1 without an amount)",
        "no rate for GBP: 3 deals, 12,000.00 GBP not included (set one: salescli fx set GBP RATE)",
    ]
    assert totals.as_json() == {"count": 5, "total": Decimal("1320.00"), "currency": "USD", "without_amount": 1,
                                "missing_rates": ["GBP"]}


@pytest.mark.parametrize("text", ["0", "-1", "abc", "1e3", "NaN", "1,5", "", "١"])
def test_parse_rate_refuses(text: str) -> None:
    from salescli.errors import InvalidValue

    with pytest.raises(InvalidValue):
        parse_rate(text)


# -- config ----------------------------------------------------------------------------------------
def test_config_get_is_a_read_a_missing_database_is_exit_5_then_the_defaults(ok: Run, cli: Run, db: Path) -> None:
    res = cli("config", "get", "base_currency")  # a mistyped --db in a script: not silently the defaults
    assert (res.exit_code, res.stdout) == (5, "")
    assert res.stderr.startswith(f"Error: no database at {db}\n")
    assert not db.exists()
    ok("init")
    res = ok("config", "get", "-f", "json")
    assert json.loads(res.stdout) == {"base_currency": "USD", "day_first": "unset", "fiscal_year_start_month": 1,
                                      "week_start": "monday", "default_stale_days": 30}
    assert ok("config", "get", "week-start").stdout == "monday\n"


@pytest.mark.parametrize(
    ("key", "value", "stored"),
    [
        ("base_currency", "eur", "EUR"),
        ("day_first", "TRUE", "true"),
        ("day_first", "no", "false"),
        ("day_first", "unset", "unset"),
        ("fiscal_year_start_month", "4", "4"),
        ("week_start", "Sun", "sunday"),
        ("default_stale_days", "14", "14"),
    ],
)
def test_config_set(ok: Run, db: Path, key: str, value: str, stored: str) -> None:
    ok("config", "set", key, value)
    assert ok("config", "get", key).stdout == f"{stored}\n"


def test_config_set_is_logged(ok: Run, db: Path) -> None:
    res = ok("config", "set", "base_currency", "EUR")
    assert res.stderr == "base_currency: USD → EUR\n"
    assert ok("config", "set", "base_currency", "eur").stderr == "base_currency is already EUR\n"
    conn = sqlite3.connect(db)
    try:
        logged = list(conn.execute("SELECT action, before, after FROM changes WHERE entity = 'setting'"))
    finally:
        conn.close()
    assert logged == [("set base_currency", '{"base_currency": "USD"}', '{"base_currency": "EUR"}')]


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("base_currency", "euros", 'Error: base_currency "euros" is not a currency code'),
        ("day_first", "maybe", 'Error: day_first "maybe" is not true, false or unset'),
        ("fiscal_year_start_month", "13", 'Error: fiscal_year_start_month "13" is above the maximum (12)'),
        ("fiscal_year_start_month", "Aprill", 'Error: fiscal_year_start_month "Aprill" is not a month (1-12, or its'
                                              ' name: April, apr)'),
        ("week_start", "someday", 'Error: week_start "someday" is not a weekday (monday, tuesday'),
        ("default_stale_days", "0", 'Error: default_stale_days "0" is below the minimum (1)'),
        ("default_stale_days", "ten", 'Error: default_stale_days "ten" is not a whole number'),
        ("colour", "red", 'Error: unknown setting "colour" (settings: base_currency, day_first, '
                          "fiscal_year_start_month, week_start, default_stale_days)"),
        ("fiscal_year_start", "4", 'Error: unknown setting "fiscal_year_start" (did you mean fiscal_year_start_month?'
                                   " settings: base_currency, day_first, fiscal_year_start_month, week_start,"
                                   " default_stale_days)"),
        ("currency", "EUR", 'Error: unknown setting "currency" (did you mean base_currency? settings:'),
        ("stale-days", "10", 'Error: unknown setting "stale-days" (did you mean default_stale_days? settings:'),
    ],
)
def test_config_set_refuses_bad_values(ok: Run, cli: Run, db: Path, key: str, value: str, message: str) -> None:
    ok("init")
    before = digest(db)
    res = cli("config", "set", key, value)
    assert res.exit_code == 2
    assert res.stderr == message + "\n" or res.stderr.startswith(message)
    assert digest(db) == before


def test_the_fiscal_year_start_may_be_a_month_name(ok: Run) -> None:
    ok("config", "set", "fiscal_year_start_month", "April")
    assert ok("config", "get", "fiscal_year_start_month").stdout == "4\n"
    ok("config", "set", "fiscal_year_start_month", "oct")
    assert ok("config", "get", "fiscal_year_start_month").stdout == "10\n"


def test_config_get_unknown_key(cli: Run) -> None:
    res = cli("config", "get", "nope")
    assert res.exit_code == 2
    assert res.stderr.startswith('Error: unknown setting "nope" (settings: base_currency')


def test_fiscal_year_and_week_start_drive_closing_periods(ok: Run) -> None:
    ok("deal", "add", "Q1 FY", "--close", "2026-04-15")
    ok("deal", "add", "Jan", "--close", "2026-01-15")
    ok("config", "set", "fiscal_year_start_month", "4")
    data = json.loads(ok("deal", "list", "--closing", "2026-Q1", "-f", "json").stdout)
    assert [d["title"] for d in data] == ["Q1 FY"]


def test_today_pinned_to_the_end_of_the_year_is_the_fiscal_one(ok: Run) -> None:
    """`--today eoy` was read before the database, at the calendar's year end, where `--close eoy` is April's."""
    ok("config", "set", "fiscal_year_start_month", "4")
    real = date.today()
    year_end = date(real.year + (real.month >= 4), 3, 31)
    assert json.loads(ok("report", "pipeline", "-f", "json", today="eoy").stdout)["as_of"] == year_end.isoformat()
    assert json.loads(ok("report", "pipeline", "-f", "json", today="2026-05-02").stdout)["as_of"] == "2026-05-02"


def test_end_of_quarter_and_year_are_the_fiscal_ones(ok: Run) -> None:
    ok("config", "set", "fiscal_year_start_month", "February")  # quarters Nov-Jan, Feb-Apr, ...
    ok("deal", "add", "Renewal", "--close", "eoq")
    ok("deal", "add", "Expansion", "--close", "end of next quarter")
    ok("task", "add", "Plan next year", "--due", "eoy")
    deals = json.loads(ok("deal", "list", "-f", "json").stdout)
    assert [(d["title"], d["expected_close"]) for d in deals] == [("Renewal", "2027-01-31"),
                                                                  ("Expansion", "2027-04-30")]
    assert json.loads(ok("task", "list", "-f", "json").stdout)[0]["due_date"] == "2027-01-31"
    as_of = json.loads(ok("report", "pipeline", "--as-of", "end of last quarter", "-f", "json").stdout)["as_of"]
    assert as_of == "2026-10-31"  # (the report's --as-of reads dates as every option does)
    ok("config", "set", "day_first", "true")
    assert json.loads(ok("report", "pipeline", "--as-of", "03/04/2026", "-f", "json").stdout)["as_of"] == "2026-04-03"


# -- fx ------------------------------------------------------------------------------------------
def test_a_deal_in_a_currency_without_a_rate_says_totals_leave_it_out(ok: Run) -> None:
    note = ("note: EUE is no ISO 4217 currency (did you mean EUR?); no exchange rate for EUE: totals in USD leave"
            " this deal's amount out (salescli fx set EUE RATE)\n")
    assert ok("deal", "add", "Typo", "--amount", "5k", "--currency", "EUE").stderr == \
        note + "added deal 1 Typo (Prospecting)\n"
    assert ok("deal", "add", "No amount", "--currency", "EUE").stderr == "added deal 2 No amount (Prospecting)\n"
    assert ok("deal", "edit", "2", "--amount", "3k").stderr.startswith(note)
    assert ok("deal", "add", "Crypto", "--amount", "1", "--currency", "BTC").stderr.startswith(
        "note: BTC is no ISO 4217 currency; no exchange rate for BTC:")  # (a currency of one's own: no guess)
    assert ok("deal", "add", "Krona", "--amount", "1", "--currency", "SEK").stderr.startswith(
        "note: no exchange rate for SEK:")
    ok("fx", "set", "GBP", "1.25")
    for args in (("deal", "edit", "1", "--currency", "GBP"), ("deal", "add", "Pounds", "--amount", "£5", "--close",
                                                           "+5d"), ("deal", "add", "Dollars", "--amount", "5")):
        assert "note:" not in ok(*args).stderr


def test_a_rate_only_from_a_later_day_is_named_in_the_note_with_the_fx_set_that_reaches_the_day(ok: Run) -> None:
    ok("deal", "add", "Zurich", "--amount", "5000 CHF", "--close", "2026-12-20")
    ok("target", "set", "dana", "2026-Q4", "10k")
    ok("fx", "set", "CHF", "1.05", "--date", "2026-12-01")  # (today is 2026-11-26)
    note = ("CHF amounts left out: no CHF rate in force on 2026-11-26, the first is from 2026-12-01 (salescli fx set"
            " CHF RATE --date 2026-11-26)")
    assert note in json.loads(ok("report", "forecast", "-f", "json").stdout)["notes"]
    ok("deal", "won", "Zurich")
    assert ("note: CHF amounts left out of the actuals: no CHF rate in force on 2026-11-26, the first is from"
            " 2026-12-01 (salescli fx set CHF RATE --date 2026-11-26)\n") in ok("target", "list").stderr
    ok("fx", "set", "CHF", "1.04", "--date", "2026-11-01")
    assert not [n for n in json.loads(ok("report", "forecast", "-f", "json").stdout)["notes"] if "CHF" in n
                and "left out" in n]


def test_an_imported_currency_slip_is_named_in_the_import_and_the_reports(ok: Run, tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("title,amount,currency,expected_close\nA,100,ERU,2026-12-20\nB,5,BTC,2026-12-20\n")
    res = ok("import", "deals", str(path))
    assert ("note: 1 deal is in ERU, which has no exchange rate: totals in USD leave it out (ERU is no ISO 4217"
            " currency (did you mean EUR?); salescli fx set ERU RATE)\n") in res.stderr
    assert "(BTC is no ISO 4217 currency; salescli fx set BTC RATE)" in res.stderr
    notes = json.loads(ok("report", "pipeline", "-f", "json").stdout)["notes"]
    assert ("ERU is no ISO 4217 currency (did you mean EUR?); ERU amounts left out: no exchange rate (salescli fx"
            " set ERU RATE)") in notes
    assert "BTC amounts left out: no exchange rate (salescli fx set BTC RATE)" in notes  # (chosen: said once)


def test_fx_set_and_list(ok: Run, cli: Run, db: Path) -> None:
    res = ok("fx", "set", "eur", "1.0800", "--date", "2026-11-01")
    assert res.stderr == "1 EUR = 1.08 USD from 2026-11-01\n"
    ok("fx", "set", "EUR", "1.1")
    ok("fx", "set", "EUR", "1.2", "--date", "2026-12-24")
    assert ok("fx", "set", "EUR", "1.15").stderr == "1 EUR = 1.15 USD from 2026-11-26 (was 1.1)\n"
    ok("fx", "set", "GBP", "1.27", "--date", "2026-10-01")
    data = json.loads(ok("fx", "list", "-f", "json").stdout)
    assert [(r["currency"], r["rate"], r["as_of"], r["in_force"]) for r in data] == [
        ("EUR", 1.2, "2026-12-24", False),
        ("EUR", 1.15, "2026-11-26", True),
        ("EUR", 1.08, "2026-11-01", False),
        ("GBP", 1.27, "2026-10-01", True),
    ]
    latest = json.loads(ok("fx", "list", "--latest", "-f", "json").stdout)
    assert [(r["currency"], r["rate"]) for r in latest] == [("EUR", 1.15), ("GBP", 1.27)]
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("SELECT rate FROM fx_rates WHERE currency = 'EUR' AND as_of = '2026-11-01'").fetchone() \
            == ("1.08",)
    finally:
        conn.close()


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["fx", "set", "USD", "0.9"], 1, "Error: USD is the base currency (its rate is 1)"),
        (["fx", "set", "EUR", "abc"], 2, 'Error: RATE "abc" is not an exchange rate'),
        (["fx", "set", "EUR", "--", "-1"], 2, 'Error: RATE "-1" is not an exchange rate'),
        (["fx", "set", "EURO", "1"], 2, 'Error: CURRENCY "EURO" is not a currency code'),
        (["fx", "set", "EUR", "1", "--date", "2026-02-30"], 2, 'Error: --date "2026-02-30"'),
    ],
)
def test_fx_set_refuses(ok: Run, cli: Run, db: Path, args: list[str], code: int, message: str) -> None:
    ok("init")
    before = digest(db)
    res = cli(*args)
    assert res.exit_code == code
    assert res.stderr.startswith(message), res.stderr
    assert digest(db) == before


def test_changing_the_base_currency_converts_the_rates_and_targets(ok: Run, cli: Run, db: Path) -> None:
    ok("fx", "set", "EUR", "1.10", "--date", "2025-10-01")
    ok("fx", "set", "EUR", "1.05", "--date", "2026-05-01")
    ok("fx", "set", "GBP", "1.32", "--date", "2025-10-01")
    ok("fx", "set", "JPY", "0.0066", "--date", "2025-09-01")  # before the first EUR rate
    ok("target", "set", "ana", "2026-04..2026-06", "100k")  # USD
    ok("target", "set", "ana", "2026-04..2026-06", "110k")
    before = digest(db)
    res = cli("config", "set", "base_currency", "CHF")  # no CHF rate to convert them with: nothing changes
    assert (res.exit_code, res.stderr) == (
        1, "Error: the 4 exchange rates and 1 won amount target stored are in USD: converting them to CHF needs"
           " the rate of CHF in USD\nHint: store it first: salescli fx set CHF RATE (1 CHF = RATE USD), then set"
           " the base\n")
    assert digest(db) == before
    res = ok("config", "set", "base_currency", "EUR")
    assert res.stderr.splitlines() == [
        "base_currency: USD → EUR",
        "note: what is dated before the first rate of EUR (2025-10-01) was converted at that rate",
        "converted 4 exchange rates and 1 target from USD to EUR",
    ]
    rates = {(r["currency"], r["as_of"]): r["rate"]
             for r in json.loads(ok("fx", "list", "-f", "json").stdout, parse_float=Decimal)}
    # each rate divided by EUR's in force that day, on every day either changed (GBP moves when EUR does; JPY's
    # 2025-10-01 would repeat its rate); USD, the old base, from the earliest day anything is dated
    assert rates == {("USD", "2026-05-01"): Decimal("0.9523809523809524"),
                     ("USD", "2025-10-01"): Decimal("0.9090909090909091"),
                     ("USD", "2025-09-01"): Decimal("0.9090909090909091"),
                     ("GBP", "2025-10-01"): Decimal("1.2"), ("GBP", "2026-05-01"): Decimal("1.257142857142857"),
                     ("JPY", "2025-09-01"): Decimal("0.006"), ("JPY", "2026-05-01"): Decimal("0.006285714285714286")}
    # 110,000 USD at the rate in force on the day of the change (1 EUR = 1.05 USD), as reports convert that day
    summaries = [h["summary"] for h in json.loads(ok("history", "-f", "json").stdout)]
    assert "GBP 1.32 → 1.2 from 2025-10-01" in summaries and "removed EUR 1.05 from 2026-05-01" in summaries
    assert "value: 110,000.00 USD → 104,761.90 EUR; currency: USD → EUR" in summaries  # in money, not cents
    assert "value: 100,000.00 USD → 110,000.00 USD" in summaries  # an earlier change: in its own day's currency
    table = ok("fx", "list").stdout  # a person reads 6 significant digits
    assert {line.split()[1] for line in table.splitlines()[2:]} == {
        "0.952381", "0.909091", "1.2", "1.25714", "0.006", "0.00628571"}
    assert [(t["value"], t["currency"]) for t in json.loads(ok("target", "list", "-f", "json").stdout,
                                                            parse_float=Decimal)] == [
        (Decimal("104761.90"), "EUR")]


def test_a_base_changed_and_changed_back_leaves_the_rates_as_typed_and_the_targets_as_set(ok: Run) -> None:
    """Rates worked out to twelve significant digits came back as 1 JPY = 0.00670000000001 USD and 1 KWD =
    3.25000000001 USD, and a 5,000 USD target as 4,999.99 (4,545.45 EUR divided by 0.909090909091)."""
    ok("fx", "set", "JPY", "0.0067")
    ok("fx", "set", "KWD", "3.25")
    ok("fx", "set", "EUR", "1.1")
    ok("config", "set", "base_currency", "JPY")
    ok("config", "set", "base_currency", "USD")
    assert ok("fx", "list", "-f", "csv").stdout.splitlines() == [
        "currency,rate,base,as_of,in_force", "EUR,1.1,USD,2026-11-26,yes", "JPY,0.0067,USD,2026-11-26,yes",
        "KWD,3.25,USD,2026-11-26,yes"]
    ok("target", "set", "ana", "2026-Q4", "5000")
    ok("config", "set", "base_currency", "EUR")
    assert json.loads(ok("target", "list", "-f", "json").stdout, parse_float=Decimal)[0]["value"] == Decimal("4545.45")
    ok("config", "set", "base_currency", "USD")
    target = json.loads(ok("target", "list", "-f", "json").stdout, parse_float=Decimal)[0]
    assert (target["value"], target["currency"]) == (Decimal("5000.00"), "USD")  # 4,545.45 x 1.1 = 4,999.995


def test_a_target_is_converted_to_a_new_base_exactly_then_rounded_once(ok: Run) -> None:
    ok("config", "set", "base_currency", "EUR")
    ok("fx", "set", "USD", "1.2")
    ok("target", "set", "ana", "2026-Q4", "120.15")
    ok("config", "set", "base_currency", "USD")  # 120.15 / 1.2 = 100.125 (times 0.8333333333333333: 100.12)
    assert json.loads(ok("target", "list", "-f", "json").stdout, parse_float=Decimal)[0]["value"] == Decimal("100.13")


def test_a_new_base_keeps_attainment_as_it_was(ok: Run) -> None:
    ok("fx", "set", "EUR", "1.10", "--date", "2026-01-01")
    ok("fx", "set", "EUR", "1.50", "--date", "2026-11-01")
    ok("deal", "add", "W", "--amount", "20k", "--currency", "EUR", "--date", "2026-10-02")
    ok("deal", "won", "1", "--date", "2026-10-20")
    ok("target", "set", "dana", "2026-Q4", "25k")

    def attainment() -> Decimal:
        return json.loads(ok("report", "performance", "-f", "json").stdout, parse_float=Decimal)["summary"][
            "attainment"]

    before = attainment()  # 30,000 USD of 25,000
    ok("config", "set", "base_currency", "EUR")
    assert attainment() == before == Decimal("1.2")


def test_a_new_base_converts_forecast_snapshots_at_the_rate_of_their_day(ok: Run, db: Path) -> None:
    ok("deal", "add", "A", "--amount", "10k", "--close", "2026-12-10", "--stage", "Negotiation")
    ok("forecast", "snapshot")
    ok("fx", "set", "EUR", "1.25")
    res = ok("config", "set", "base_currency", "EUR")
    assert "converted 1 exchange rate, 0 targets and 1 forecast snapshot from USD to EUR" in res.stderr
    conn = sqlite3.connect(db)
    figures = json.loads(conn.execute("SELECT figures FROM forecast_snapshots").fetchone()[0])
    conn.close()
    assert (figures["currency"], figures["commit"], figures["weighted"]) == ("EUR", "8000.00", "6400.00")


def test_rates_on_takes_the_latest_on_or_before(ok: Run, db: Path) -> None:
    from salescli.repository import Repository
    from salescli.services.money import rates_on

    ok("fx", "set", "EUR", "1.05", "--date", "2026-01-01")
    ok("fx", "set", "EUR", "1.10", "--date", "2026-06-01")
    ok("fx", "set", "GBP", "1.30", "--date", "2026-06-02")
    repo = Repository.open(db, create=False)
    try:
        assert rates_on(repo, date(2025, 12, 31)) == {}
        assert rates_on(repo, date(2026, 6, 1)) == {"EUR": Decimal("1.1")}
        assert rates_on(repo, date(2026, 6, 2)) == {"EUR": Decimal("1.1"), "GBP": Decimal("1.3")}
    finally:
        repo.close()


def test_a_status_whose_deals_all_lack_a_rate_says_so_and_an_old_base_rate_is_not_in_force(ok: Run) -> None:
    ok("deal", "add", "A", "--amount", "10k")
    ok("deal", "add", "B", "--amount", "20k", "--currency", "EUR")
    ok("deal", "add", "C", "--amount", "5k", "--currency", "EUR")
    ok("deal", "lost", "3", "--reason", "price")
    assert ok("deal", "list").stderr.splitlines()[:2] == [
        "3 deals",
        "  2 open 10,000.00 USD + EUR without a rate · 1 lost in EUR (no rate)",  # not "1 lost 0.00 USD"
    ]
    ok("fx", "set", "EUR", "1.08")
    ok("config", "set", "base_currency", "EUR")
    rates = json.loads(ok("fx", "list", "-f", "json").stdout, parse_float=Decimal)
    assert [(r["currency"], r["rate"], r["in_force"]) for r in rates] == [("USD", Decimal("0.9259259259259259"), True)]


def test_the_largest_amount_at_the_largest_rate_is_summed_exactly(ok) -> None:
    ok("fx", "set", "XAU", "999999999999", "--date", "2026-01-01")
    ok("deal", "add", "big", "--amount", "10000000000000", "--currency", "XAU", "--stage", "Negotiation",
       "--close", "2026-12-10")
    data = json.loads(ok("report", "forecast", "-f", "json").stdout, parse_float=Decimal)  # (28 digits: a traceback)
    assert data["summary"]["open"] == Decimal("9999999999990000000000000.00")


def test_a_currency_that_is_no_iso_code_is_said_where_it_is_first_named(ok: Run) -> None:
    """`config set base_currency ERU` and `fx set UDS 1.1` took a slip without a word (deal add said it), and a
    rate stored for the slip silenced deal add's note too."""
    res = ok("config", "set", "base_currency", "ERU")
    assert res.stderr == ("base_currency: USD → ERU\n"
                          "note: ERU is no ISO 4217 currency (did you mean EUR?); totals will be in ERU\n")
    ok("config", "set", "base_currency", "USD")
    res = ok("fx", "set", "UDS", "1.1")
    assert res.stderr == ("1 UDS = 1.1 USD from 2026-11-26\n"
                          "note: UDS is no ISO 4217 currency (did you mean USD?); its rate is stored all the same\n")
    # a currency of one's own: said once, with its first rate; ISO codes never
    assert ok("fx", "set", "BTC", "60000").stderr.endswith("note: BTC is no ISO 4217 currency; its rate is stored"
                                                           " all the same\n")
    assert ok("fx", "set", "BTC", "60001").stderr == "1 BTC = 60001 USD from 2026-11-26 (was 60000)\n"
    assert ok("fx", "set", "EUR", "1.1").stderr == "1 EUR = 1.1 USD from 2026-11-26\n"
