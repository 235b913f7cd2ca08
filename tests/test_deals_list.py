"""deal list: filters, sorts, formats, totals across currencies, staleness, and no SQL through options."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from tests.conftest import Result, digest
from tests.test_deals import plain

Run = Callable[..., Result]


def ids(res: Result) -> list[int]:
    assert res.exit_code == 0, res.stderr
    return [row["id"] for row in json.loads(res.stdout)]


_TEMPLATE: dict[str, Path] = {}


@pytest.fixture
def deals(ok: Run, db: Path, tmp_path_factory: pytest.TempPathFactory) -> Run:
    """Six deals in every state; built once per session and copied (the commands take seconds)."""
    if "db" in _TEMPLATE:
        shutil.copyfile(_TEMPLATE["db"], db)
        return ok
    _build(ok)
    template = tmp_path_factory.mktemp("deals") / "template.db"
    shutil.copyfile(db, template)
    _TEMPLATE["db"] = template
    return ok


def _build(ok: Run) -> None:
    ok("company", "add", "Acme", "--domain", "acme.io")
    ok("contact", "add", "Ana Silva", "--email", "ana@acme.io", "--company", "Acme")
    ok("deal", "add", "Acme renewal", "--amount", "12k", "--currency", "EUR", "--contact", "ana@acme.io",
       "--stage", "Qualification", "--close", "2026-12-20", "--tag", "renewal", "--date", "2026-10-01")
    ok("deal", "move", "1", "Proposal", "--date", "2026-10-15")
    ok("deal", "move", "1", "Negotiation", "--date", "2026-11-10")
    ok("deal", "add", "Globex pilot", "--amount", "$5,000", "--company", "Globex", "--close", "2026-12-05",
       "--owner", "sam", "--date", "2026-11-01")
    ok("deal", "add", "Initech SaaS", "--amount", "900", "--recurring", "month", "--stage", "Needs Analysis",
       "--next-step", "call CFO", "--next-step-date", "2026-11-20", "--tag", "saas,renewal")
    ok("deal", "add", "Umbrella", "--amount", "3000", "--currency", "GBP", "--date", "2026-09-01")
    ok("deal", "add", "Hooli", "--amount", "20k", "--date", "2026-10-01")
    ok("deal", "won", "5", "--date", "2026-11-15")
    ok("deal", "add", "Wayne", "--owner", "sam")
    ok("deal", "lost", "6", "--reason", "no budget")


LIST_SNAPSHOT = """\
id   title          company   stage                   amount   prob   close        owner   days in stage
────────────────────────────────────────────────────────────────────────────────────────────────────────
 1   Acme renewal   Acme      Negotiation      12,000.00 EUR    80%   2026-12-20   dana               16
 2   Globex pilot   Globex    Prospecting       5,000.00 USD    10%   2026-12-05   sam                25
 3   Initech SaaS             Needs Analysis      900.00 USD    40%                dana                0
 4   Umbrella                 Prospecting       3,000.00 GBP    10%                dana               86
 5   Hooli                    Won              20,000.00 USD   100%                dana               11
 6   Wayne                    Lost                               0%                sam                 0
"""


def test_deal_list_table_snapshot_and_footer(deals: Run) -> None:
    deals("fx", "set", "EUR", "1.1", "--date", "2026-11-01")
    deals("fx", "set", "EUR", "2", "--date", "2026-12-01")  # not in force yet
    res = deals("deal", "list")
    assert plain(res.stdout) == LIST_SNAPSHOT
    assert res.stderr == (
        "6 deals (1 without an amount)\n"
        "  4 open 19,100.00 USD + GBP without a rate · 1 won 20,000.00 USD · 1 lost 0.00 USD\n"  # (fits 120 columns)
        "no rate for GBP: 1 deal, 3,000.00 GBP not included (set one: salescli fx set GBP RATE)\n"
    )


def test_totals_convert_with_the_rate_in_force_and_never_sum_silently(deals: Run) -> None:
    res = deals("deal", "list", "--status", "open")
    assert res.stderr.splitlines() == [
        "4 deals, total 5,900.00 USD",
        "no rate for EUR: 1 deal, 12,000.00 EUR not included (set one: salescli fx set EUR RATE)",
        "no rate for GBP: 1 deal, 3,000.00 GBP not included (set one: salescli fx set GBP RATE)",
    ]
    # a rate stored from a later day: said so (it said "set one", and the person had)
    deals("fx", "set", "EUR", "1.2", "--date", "2026-12-14")
    assert deals("deal", "list", "--status", "open").stderr.splitlines()[1] == (
        "no EUR rate in force on 2026-11-26, the first is from 2026-12-14: 1 deal, 12,000.00 EUR not included"
        " (salescli fx set EUR RATE --date 2026-11-26)")
    deals("fx", "set", "EUR", "1.1", "--date", "2026-11-01")
    deals("fx", "set", "GBP", "1.2575", "--date", "2026-11-26")
    res = deals("deal", "list", "--status", "open")
    assert res.stderr == "4 deals, total 22,872.50 USD\n"  # 13,200 + 5,000 + 900 + 3,772.50
    deals("config", "set", "base_currency", "EUR")  # GBP's rate becomes 1.2575 / 1.1 EUR
    deals("fx", "set", "USD", "0.5")
    deals("fx", "set", "GBP", "1", "--date", "2026-11-27")  # tomorrow: the rebased 1.2575 rate still applies
    res = deals("deal", "list", "--status", "open")
    assert res.stderr == "4 deals, total 18,379.55 EUR\n"  # 12,000 + 2,950 + 3,000 x 1.143181818182


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--stage", "negotiation"], [1]),
        (["--stage", "Proposal"], []),
        (["--owner", "SAM"], [2, 6]),
        (["--status", "open"], [1, 2, 3, 4]),
        (["--status", "won"], [5]),
        (["--status", "lost"], [6]),
        (["--status", "all"], [1, 2, 3, 4, 5, 6]),
        (["--closing", "2026-12"], [1, 2]),
        (["--closing", "2026-12-05..2026-12-19"], [2]),
        (["--tag", "Renewal"], [1, 3]),
        (["--tag", "saas, Renewal"], [3]),  # every tag named, as `deal add --tag a,b` stores two
        (["--company", "acme.io"], [1]),
        (["--contact", "ana@acme.io"], [1]),
        (["--pipeline", "default", "--stage", "won"], [5]),
        (["--min-amount", "5k"], [1, 2, 5]),
        (["--min-amount", "5k EUR"], [1]),
        # no EUR or GBP rate: those deals come after the others (by their nominal amounts), as in the reports
        (["--owner", "dana", "--status", "open", "--sort", "amount"], [3, 1, 4]),
        (["--sort", "amount"], [5, 2, 3, 1, 4, 6]),
        (["--sort", "close"], [2, 1, 3, 4, 5, 6]),
        (["--sort", "stage"], [2, 4, 3, 1, 5, 6]),
        (["--sort", "age"], [4, 2, 1, 5, 3, 6]),
        (["--sort", "TITLE"], [1, 2, 5, 3, 4, 6]),
        (["--sort", "created", "--limit", "2"], [4, 1]),
        # a leading - reverses the order; deals without the value (no amount, no rate, no close) stay last
        (["--sort", "-amount"], [3, 2, 5, 4, 1, 6]),
        (["--sort=-close"], [1, 2, 6, 5, 4, 3]),  # (3 to 6 have no close date)
        (["--sort", "-id", "--owner", "sam"], [6, 2]),
        (["--sort", "-id", "--limit", "2"], [6, 5]),
        (["--sort", " -Title"], [6, 4, 3, 5, 2, 1]),
    ],
)
def test_filters_and_sorts(deals: Run, args: list[str], expected: list[int]) -> None:
    assert ids(deals("deal", "list", *args, "-f", "json")) == expected


def test_stale_deals(deals: Run, db: Path) -> None:
    # 3: next step date passed; 4: idle 86 days (> 30 default); 1 and 2 are fresh; 5, 6 closed.
    assert ids(deals("deal", "list", "--stale", "-f", "json")) == [3, 4]
    deals("deal", "park", "4", "--until", "2026-12-31", "--reason", "waiting for budget")
    assert ids(deals("deal", "list", "--stale", "-f", "json")) == [3]
    deals("pipeline", "stage-edit", "default", "prospecting", "--rot-days", "20")
    assert ids(deals("deal", "list", "--stale", "-f", "json")) == [2, 3]  # 25 days idle > 20
    deals("config", "set", "default_stale_days", "10")
    assert ids(deals("deal", "list", "--stale", "-f", "json")) == [1, 2, 3]  # 1: 16 days in Negotiation


def _stale_ids(db: Path, today: str, default_days: int) -> list[int]:
    from salescli.repository.deals import stale_condition

    sql, params = stale_condition(today, default_days)
    conn = sqlite3.connect(db)
    try:
        return [r[0] for r in conn.execute(
            f"SELECT d.id FROM deals d JOIN stages s ON s.id = d.stage_id WHERE {sql} ORDER BY d.id", params)]
    finally:
        conn.close()


def test_stale_condition_boundaries(ok: Run, db: Path) -> None:
    ok("deal", "add", "Idle", "--date", "2026-10-27")          # 30 days: not stale; 31: stale
    ok("deal", "add", "Touched", "--date", "2026-01-01")
    ok("deal", "add", "Closes today", "--close", "2026-11-26")
    ok("deal", "add", "Parked past", "--date", "2026-01-01")
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("UPDATE deals SET last_activity_at = '2026-11-20T10:00:00' WHERE id = 2")
        conn.execute("UPDATE deals SET parked_until = '2026-11-26', park_reason = 'x' WHERE id = 4")
    conn.close()
    assert _stale_ids(db, "2026-11-26", 30) == [4]           # parked until today: stale again
    assert _stale_ids(db, "2026-11-27", 30) == [1, 3, 4]     # 31 days idle; the close date has passed
    assert _stale_ids(db, "2026-11-27", 5) == [1, 2, 3, 4]   # touched 7 days before
    ok("deal", "won", "1")
    assert _stale_ids(db, "2026-11-27", 5) == [2, 3, 4]      # closed deals are never stale


def test_sort_amount_ranks_in_the_base_currency_at_todays_rates(ok: Run) -> None:
    for title, amount, currency in (("usd-120k", "120000", "USD"), ("usd-90k", "90000", "USD"),
                                    ("bhd-10k", "10000", "BHD"), ("jpy-1m", "1000000", "JPY"),
                                    ("usd-9.5k", "9500", "USD"), ("nok-500k", "500000", "NOK"),
                                    ("sek-900", "900", "SEK")):
        ok("deal", "add", title, "--amount", amount, "--currency", currency)
    ok("fx", "set", "BHD", "2.65")  # 26,500 USD
    ok("fx", "set", "JPY", "0.0067")  # 6,700 USD
    res = ok("deal", "list", "--sort", "amount", "-f", "json")
    # NOK and SEK have no rate: after the others (as in the reports), by their nominal amounts
    assert [d["title"] for d in json.loads(res.stdout)] == ["usd-120k", "usd-90k", "bhd-10k", "usd-9.5k", "jpy-1m",
                                                           "nok-500k", "sek-900"]
    assert "no rate for NOK: 1 deal, 500,000.00 NOK not included, ranked last (set one" in res.stderr
    assert [d["title"] for d in json.loads(ok("deal", "list", "--sort", "amount", "--limit", "3", "-f",
                                              "json").stdout)] == ["usd-120k", "usd-90k", "bhd-10k"]


def test_every_format(deals: Run) -> None:
    res = deals("deal", "list", "--status", "open", "-f", "csv")
    lines = res.stdout.splitlines()
    assert lines[0].startswith("id,title,company_id,company,contact_id,contact,pipeline,stage,status,amount,currency,")
    assert lines[1].startswith("1,Acme renewal,1,Acme,1,Ana Silva,Default,Negotiation,open,12000.00,EUR,80,9600.00,"
                               "commit,2026-12-20,dana,")
    assert len(lines) == 5
    md = deals("deal", "list", "--owner", "sam", "-f", "markdown").stdout
    assert md == (
        "| id | title | company | stage | amount | prob | close | owner | days in stage |\n"
        "|---:|---|---|---|---:|---:|---|---|---:|\n"
        "| 2 | Globex pilot | Globex | Prospecting | 5,000.00 USD | 10% | 2026-12-05 | sam | 25 |\n"
        "| 6 | Wayne |  | Lost |  | 0% |  | sam | 0 |\n"
    )
    data = json.loads(deals("deal", "list", "--stage", "Needs Analysis", "-f", "json").stdout)
    assert data[0]["amount"] == 900 and data[0]["mrr"] == 900 and data[0]["arr"] == 10800
    assert data[0]["tags"] == ["saas", "renewal"] and data[0]["next_step_date"] == "2026-11-20"


def test_limit_caps_the_rows_and_the_footer_counts_the_selection(deals: Run,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")  # (the footer's statuses share a line when it fits the window)
    res = deals("deal", "list", "--limit", "2")
    table = plain(res.stdout).splitlines()
    assert [line.split()[0] for line in table[2:]] == ["1", "2"]
    assert res.stderr.splitlines() == [
        "2 columns left out to fit 80 characters: prob, days in stage (a wider terminal shows them; -f csv or json"
        " has every column)",
        "4 more rows not shown (use --limit N or --all, or -f csv/json)",
        "6 deals (1 without an amount)",
        "  4 open 5,900.00 USD + EUR/GBP without a rate",
        "  1 won 20,000.00 USD",
        "  1 lost 0.00 USD",
        "no rate for EUR: 1 deal, 12,000.00 EUR not included (set one: salescli fx set EUR RATE)",
        "no rate for GBP: 1 deal, 3,000.00 GBP not included (set one: salescli fx set GBP RATE)",
    ]

    def footer(*args: str) -> list[str]:  # (below the note of the columns a narrow window leaves out)
        return [line for line in deals("deal", "list", *args).stderr.splitlines() if "left out to fit" not in line]

    # statuses that fit one line share it
    assert footer("--owner", "sam") == ["2 deals (1 without an amount)", "  1 open 5,000.00 USD · 1 lost 0.00 USD"]
    monkeypatch.setenv("COLUMNS", "30")  # (a narrow window: a status a line, not a number cut in two)
    assert footer("--owner", "sam") == ["2 deals (1 without an amount)", "  1 open 5,000.00 USD", "  1 lost 0.00 USD"]
    monkeypatch.setenv("COLUMNS", "80")
    assert footer("--status", "open")[0] == "4 deals, total 5,900.00 USD"  # one status: no breakdown
    res = deals("deal", "list", "--company", "acme.io")  # its one deal is in EUR, which has no rate
    assert footer("--company", "acme.io")[0] == "1 deal, in EUR (no rate)"  # not "total 0.00 USD"
    assert "open 5,900.00" not in res.stderr


def test_empty_list_says_so(ok: Run) -> None:
    ok("init")
    res = ok("deal", "list")
    assert (res.stdout, res.stderr) == ("", "no deals\n")


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--sort", "amount; DROP TABLE deals"], 2,
         'Error: --sort "amount; DROP TABLE deals" is not one of id, amount, close'),
        (["--sort", "d.id"], 2, 'Error: --sort "d.id" is not one of'),
        (["--sort", "-d.id"], 2, 'Error: --sort "-d.id" is not one of id, amount, close, stage, age, updated, title,'
                                 ' created, owner, probability (-FIELD: reversed)\n'),
        (["--sort", "--amount"], 2, 'Error: --sort "--amount" is not one of'),
        (["--stage", "Proposal' OR 1=1 --"], 3, """Error: --stage "Proposal' OR 1=1 --" not found (stages: """),
        (["--pipeline", "x'); DROP TABLE deals; --"], 3, """Error: --pipeline "x'); DROP TABLE deals; --" not found"""),
        (["--status", "open' OR '1'='1"], 2, """Error: --status "open' OR '1'='1" is not one of open, won, lost"""),
        (["--closing", "2026-13"], 2, 'Error: --closing "2026-13"'),
        (["--min-amount", "1e5"], 2, 'Error: --min-amount "1e5"'),
        (["--company", "Nope"], 3, 'Error: --company "Nope" not found'),
    ],
)
def test_options_cannot_inject_sql(deals: Run, cli: Run, db: Path, args: list[str], code: int, message: str) -> None:
    before = digest(db)
    res = cli("deal", "list", *args)
    assert res.exit_code == code, res.stderr
    assert res.stderr.startswith(message), res.stderr
    assert res.stdout == ""
    assert digest(db) == before


def test_filter_values_are_bound_parameters(deals: Run, cli: Run) -> None:
    assert ids(deals("deal", "list", "--tag", "x') OR 1=1 --", "-f", "json")) == []
    for owner in ("x' OR '1'='1", "%"):  # looked up as a name, not run: no such user (exit 3, as in reports)
        res = cli("deal", "list", "--owner", owner, "-f", "json")
        assert (res.exit_code, res.stdout, res.stderr.splitlines()[0]) == (3, "", f'Error: no user named "{owner}"')


@pytest.mark.parametrize("command", ["company", "contact", "activity", "task", "deal"])
def test_an_unknown_owner_is_exit_3_in_every_list(deals: Run, cli: Run, command: str) -> None:
    """company, contact and activity list --owner dan said "no companies" and exit 0: a cron export with a typo
    wrote an empty file."""
    res = cli(command, "list", "--owner", "samm", "-f", "csv")
    assert (res.exit_code, res.stdout, res.stderr) == (3, "", 'Error: no user named "samm"; did you mean sam?\n'
                                                              "Hint: see `salescli user list`\n")
    assert cli(command, "list", "--owner", "SAM", "-f", "csv").exit_code == 0  # (a user's name in any case)
    everyone = cli(command, "list", "--owner", "", "-f", "csv")  # (a script's unset $OWNER: no filter, as before)
    assert (everyone.exit_code, everyone.stdout) == (0, cli(command, "list", "-f", "csv").stdout)


def test_an_empty_owner_is_as_if_not_given_in_today_and_task_list(deals: Run, cli: Run) -> None:
    assert cli("today", "--owner", "", "-f", "json").stdout == cli("today", "-f", "json").stdout
    assert cli("today", "--all", "--owner", "", "-f", "json").exit_code == 0
    res = cli("task", "list", "--everyone", "--owner", "", "-f", "csv")
    assert (res.exit_code, res.stdout) == (0, cli("task", "list", "--everyone", "-f", "csv").stdout)


def test_stage_age_uses_today(deals: Run) -> None:
    res = deals("deal", "list", "--stage", "Negotiation", "-f", "json", today="2026-12-01")
    assert json.loads(res.stdout)[0]["stage_age_days"] == (date(2026, 12, 1) - date(2026, 11, 10)).days


def test_owners_match_whatever_the_case(ok: Run) -> None:
    ok("deal", "add", "A")
    ok("deal", "add", "B", "--owner", "DANA")
    ok("deal", "add", "C", "--owner", "Sam")
    assert [d["owner"] for d in json.loads(ok("deal", "list", "-f", "json").stdout)] == ["dana", "dana", "Sam"]
    assert ids(ok("deal", "list", "--owner", "Dana", "-f", "json")) == [1, 2]
    assert ids(ok("deal", "list", "--owner", "sam", "-f", "json")) == [3]


def test_deal_list_stays_light(ok: Run, db: Path) -> None:
    from tests.test_foundation_startup import modules_loaded

    ok("deal", "add", "X", "--amount", "5k")
    loaded = modules_loaded("--db", str(db), "deal", "list", "--stage", "prospecting", "--owner", "dana")
    assert "salescli.services.deals" in loaded and "rich.table" in loaded
    for heavy in ("sqlite_utils", "dateutil.parser", "salescli.models", "salescli.importers"):
        assert heavy not in loaded, f"`salescli deal list` imported {heavy}"


def test_only_the_deal_command_that_runs_is_built() -> None:
    import typer.main

    from salescli.commands import deal

    group = typer.main.get_group_from_info(typer.models.TyperInfo(deal.app), pretty_exceptions_short=True,
                                           suggest_commands=True, rich_markup_mode=None)
    assert group.commands == {}
    assert group.list_commands(None) == ["add", "list", "show", "edit", "move", "won", "lost", "reopen", "park", "rm"]
    assert group.get_command(None, "list") is not None  # type: ignore[arg-type]
    assert list(group.commands) == ["list"]


def test_weighted_amount_is_for_open_deals_only(deals: Run) -> None:
    rows = {r["title"]: r for r in json.loads(deals("deal", "list", "-f", "json").stdout)}
    # Hooli is won (100%): counting it as weighted pipeline added closed money to `jq add` totals
    assert (rows["Hooli"]["status"], rows["Hooli"]["amount"], rows["Hooli"]["weighted_amount"]) == ("won", 20000, None)
    assert rows["Globex pilot"]["weighted_amount"] == 500  # 5,000 at 10%


def test_a_total_past_the_largest_amount_one_deal_may_have_is_still_a_total(ok: Run) -> None:
    # 11 trillion rupiah (~700,000 USD): the footer summed past the 10-trillion limit of one typed amount
    ok("config", "set", "base_currency", "IDR")
    ok("deal", "add", "A", "--amount", "6000000000000")
    ok("deal", "add", "B", "--amount", "5000000000000")
    assert ok("deal", "list").stderr == "2 deals, total 11,000,000,000,000.00 IDR\n"
    assert json.loads(ok("deal", "list", "-f", "json").stdout, parse_float=str)[0]["amount"] == "6000000000000.00"
    assert "amount (IDR)        11.00T" in ok("report", "pipeline").stdout


def test_an_owner_filter_takes_a_pasted_name_and_names_a_near_miss(ok: Run, cli: Run) -> None:
    ok("deal", "add", "A", "--owner", "sam")
    assert ids(cli("deal", "list", "--owner", " sam ", "-f", "json")) == [1]
    res = cli("deal", "list", "--owner", "samm")
    assert (res.exit_code, res.stderr) == (3, 'Error: no user named "samm"; did you mean sam?\n'
                                              "Hint: see `salescli user list`\n")
    res = cli("deal", "list", "--owner", "sm")  # a letter dropped from a short name is a slip too
    assert res.stderr.splitlines()[0] == 'Error: no user named "sm"; did you mean sam?'


def test_parked_lists_the_deals_parked_past_today_and_park_notes_a_close_date_before_it(ok: Run) -> None:
    ok("deal", "add", "A", "--close", "2026-12-16")
    ok("deal", "add", "B")
    ok("deal", "add", "C")
    res = ok("deal", "park", "1", "--until", "2027-01-15", "--reason", "budget freeze")
    assert res.stderr == ("parked deal 1 until 2027-01-15: budget freeze\n"
                          "note: it closes 2026-12-16, before it is back: move the close date too"
                          " (salescli deal edit 1 --close DATE)\n")
    ok("deal", "park", "2", "--until", "+5d", "--reason", "holidays")
    assert ok("deal", "park", "2", "--until", "+6d", "--reason", "holidays").stderr.count("note") == 0  # no close
    assert ids(ok("deal", "list", "--parked", "-f", "json")) == [1, 2]
    assert ids(ok("deal", "list", "--parked", "-f", "json", today="2026-12-15")) == [1]  # B is back


def test_closing_reads_a_range_of_dates_day_first_when_set(ok: Run) -> None:
    ok("deal", "add", "Dec", "--close", "2026-12-10")
    ok("deal", "add", "Jan", "--close", "2027-01-10")
    ok("config", "set", "day_first", "true")
    rows = json.loads(ok("deal", "list", "--closing", "01/12/2026..31/12/2026", "-f", "json").stdout)
    assert [r["title"] for r in rows] == ["Dec"]


def test_a_stage_or_sort_key_one_slip_off_names_the_one_meant(deals: Run, cli: Run) -> None:
    """`deal move 4 proposl` said `did you mean "Proposal"?`; `deal list --stage proposl` and `--sort amont` only
    listed every name."""
    res = cli("deal", "list", "--stage", "proposl")
    assert (res.exit_code, res.stderr.splitlines()[1]) == (3, 'Hint: did you mean "Proposal"?')
    res = cli("deal", "list", "--sort", "-amont")
    assert (res.exit_code, res.stderr.splitlines()[1]) == (2, "Hint: did you mean --sort -amount?")
    # written without its spaces, as `deal move` reads it
    shown = deals("deal", "list", "--stage", "needs-analysis", "-f", "json").stdout
    assert "Initech SaaS" in shown and shown == deals(
        "deal", "list", "--stage", "Needs Analysis", "-f", "json").stdout
