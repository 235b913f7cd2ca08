"""salescli config get|set  and  salescli fx set|list"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from salescli.commands.lazy import LazyTyper
from salescli.commands.options import FormatOpt, OutputOpt, app_context, flush_notices, parsed, say, typed_date

app = LazyTyper(help="Settings: base currency, day-first dates, fiscal year, week start, stale days.",
                  no_args_is_help=True)
fx_app = LazyTyper(help="Exchange rates to the base currency (dated): set, list.", no_args_is_help=True)


@app.command("get")
def get(
    ctx: typer.Context,
    key: Annotated[str | None, typer.Argument(help="One setting (default: all of them).")] = None,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """Show the settings, or print one setting's value.

    \b
    Example: salescli config get base_currency
    """
    from salescli.render import Column, pick_format, render_record, render_rows
    from salescli.services.config import check_key, settings_rows

    chosen = pick_format(fmt, output)
    name = check_key(key) if key is not None else None  # usage errors before the database is opened
    values = app_context(ctx).repo().settings()  # a read: a mistyped --db is "no database" (exit 5), not defaults
    if name is not None:
        if chosen == "table" and not output:
            typer.echo(values[name])
        else:
            render_record({name: values[name]}, fmt=chosen, output=output)
        return
    rows = settings_rows(values)
    if chosen in ("json", "jsonl"):
        render_record({r["key"]: int(r["value"]) if r["value"].isdigit() else r["value"] for r in rows},
                      fmt=chosen, output=output)
        return
    render_rows(rows, [Column("key"), Column("value"), Column("meaning")], fmt=chosen, output=output)


@app.command("set")
def set_(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="base_currency, day_first, fiscal_year_start_month, week_start, "
                                            "default_stale_days.")],
    value: Annotated[str, typer.Argument(help="The new value.")],
) -> None:
    """Change a setting (bad values are refused, naming the key and the value).

    \b
    Example: salescli config set base_currency EUR
    """
    from salescli.services.config import check_key, normalize_setting, set_setting

    normalize_setting(check_key(key), value)  # refuse a bad value before creating any file
    app = app_context(ctx)
    name, before, after = set_setting(app.repo(create=True), key, value)
    say(f"{name}: {before} → {after}" if before != after else f"{name} is already {after}")
    flush_notices(app)


@fx_app.command("set")
def fx_set(
    ctx: typer.Context,
    currency: Annotated[str, typer.Argument(help="Currency code (USD).")],
    rate: Annotated[str, typer.Argument(help="Value of 1 unit in the base currency (0.92).")],
    on_date: Annotated[str | None, typer.Option("--date", help="Date the rate applies from (default: today).")] = None,
) -> None:
    """Store an exchange rate: 1 CURRENCY = RATE in the base currency, from a date on.

    \b
    Example: salescli fx set EUR 1.08 --date 2026-11-01
    """
    from salescli.services.config import set_rate
    from salescli.services.money import parse_rate
    from salescli.values import parse_currency

    parsed(parse_currency, currency, "CURRENCY")
    parsed(parse_rate, rate, "RATE")
    app = app_context(ctx)
    as_of = typed_date(app, on_date, "--date", past=True) if on_date else app.today
    repo = app.repo(create=True)
    code, stored, day, replaced = set_rate(repo, currency, rate, as_of)
    base = repo.settings()["base_currency"]
    say(f"1 {code} = {stored} {base} from {day}" + (f" (was {replaced})" if replaced and replaced != stored else ""))
    flush_notices(app)


@fx_app.command("list")
def fx_list(
    ctx: typer.Context,
    currency: Annotated[str | None, typer.Option("--currency", help="Only this currency.")] = None,
    latest: Annotated[bool, typer.Option("--latest", help="Only the rate in force today per currency.")] = False,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """List stored exchange rates, newest first; '*' marks the one in force today.

    \b
    Example: salescli fx list --latest -f json
    """
    from salescli.render import Column, pick_format, render_rows
    from salescli.services.config import rate_rows
    from salescli.values import parse_currency

    app = app_context(ctx)
    code = parsed(parse_currency, currency, "--currency") if currency else None
    chosen = pick_format(fmt, output)
    rows = rate_rows(app.repo(), app.today, code, latest)
    columns = [
        Column("currency"),
        Column("rate", justify="right", show=_rate_cell),
        Column("base"),
        Column("as_of", "from"),
        Column("in_force", "in force", show=lambda v, r: "*" if v else ""),
    ]
    render_rows(rows, columns, fmt=chosen, output=output, empty="no exchange rates (salescli fx set EUR 1.08)")


def _rate_cell(value: Any, row: dict[str, Any] | None = None) -> str:
    """A rate as a person reads it: 6 significant digits (1 / 1.08 is 0.925926, 0.00628571; json and csv keep
    every digit)."""
    from decimal import Decimal

    rate = Decimal(str(value))
    decimals = max(1, 5 - rate.adjusted()) if rate else 1
    text = f"{rate:.{decimals}f}".rstrip("0")
    return text + "0" if text.endswith(".") else text
