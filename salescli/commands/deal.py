"""salescli deal add|list|show|edit|move|won|lost|reopen|park|rm"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import typer

from salescli.commands.activity import read_notes
from salescli.commands.lazy import LazyTyper
from salescli.commands.options import (
    AllOpt,
    ExtraOpt,
    FormatOpt,
    LimitOpt,
    OutputOpt,
    TagOpt,
    YesOpt,
    app_context,
    changed_fields,
    confirm,
    extra_from,
    flush_notices,
    parsed,
    say,
    sort_order,
    table_rows,
    tags_from,
    typed_date,
)
from salescli.context import AppContext

app = LazyTyper(
    help="Deals: add, list, show, edit, move through stages, won, lost, reopen, park, rm.", no_args_is_help=True
)

DealArg = Annotated[str, typer.Argument(help="Deal id (or its exact title, or the external id an import gave it).")]
AmountOpt = Annotated[str | None, typer.Option("--amount", help="Amount: 12000, 12k, 1.2M, €900, '12k EUR'.")]
CurrencyOpt = Annotated[str | None, typer.Option("--currency", help="ISO currency (default: the base currency).")]
CompanyOpt = Annotated[str | None, typer.Option("--company", help="Company id, domain or name (created when new).")]
ContactOpt = Annotated[str | None, typer.Option("--contact", help="Primary contact: id, e-mail or name (must exist).")]
ProbabilityOpt = Annotated[
    str | None, typer.Option("--probability", help="Win probability 0-100 (default: the stage's; 'auto' follows it).")
]
ForecastOpt = Annotated[
    str | None,
    typer.Option("--forecast", "--forecast-category",
                 help="pipeline, best_case, commit or omitted (default: from the probability; 'auto').")
]
CloseOpt = Annotated[str | None, typer.Option("--close", help="Expected close date: 2026-12-15, +30d, friday.")]
OwnerOpt = Annotated[str | None, typer.Option("--owner", help="Owner (default: you).")]
SourceOpt = Annotated[str | None, typer.Option("--source", help="Where the deal came from (referral, web…).")]
NextStepOpt = Annotated[str | None, typer.Option("--next-step", help="The next step, in words.")]
NextStepDateOpt = Annotated[str | None, typer.Option("--next-step-date", help="When the next step is due.")]
RecurringOpt = Annotated[str | None, typer.Option("--recurring", help="none, month or year (SaaS: MRR/ARR).")]
ExternalIdOpt = Annotated[str | None, typer.Option("--external-id", help="Id in another system (unique).")]
NotesOpt = Annotated[str | None, typer.Option("--notes", help="Free-text notes (- reads them from stdin).")]
NoteOpt = Annotated[str | None, typer.Option("--note", help="A note for the stage history.")]
ForceOpt = Annotated[bool, typer.Option("--force", help="Enter the stage even if required fields are missing "
                                                        "(recorded in the history).")]
DateOpt = Annotated[str | None, typer.Option("--date", help="When it happened (backfill; default: today).")]
PipelineOpt = Annotated[str | None, typer.Option("--pipeline", help="Pipeline name (default: the default one).")]
EditOwnerOpt = Annotated[str | None, typer.Option("--owner", help="New owner.")]
EditCurrencyOpt = Annotated[str | None, typer.Option("--currency", help="New ISO currency (EUR).")]
EditProbabilityOpt = Annotated[
    str | None, typer.Option("--probability", help="Win probability 0-100; 'auto' follows the stage's again.")
]
EditForecastOpt = Annotated[
    str | None,
    typer.Option("--forecast", "--forecast-category",
                 help="pipeline, best_case, commit or omitted; 'auto' follows the probability again.")
]


def list_columns() -> list[Any]:
    from salescli.render import Column
    from salescli.services.deals import money_text

    def hidden(key: str) -> Column:
        return Column(key, in_table=False)

    return [
        Column("id", justify="right"),
        Column("title", comfortable=16),
        hidden("company_id"),
        Column("company", drop=5),  # (before the stage: a won or lost deal read as open without it)
        hidden("contact_id"),
        hidden("contact"),
        hidden("pipeline"),
        Column("stage", drop=6),
        hidden("status"),
        Column("amount", justify="right", show=lambda v, r: money_text(v, r["currency"])),
        hidden("currency"),
        Column("probability", "prob", justify="right", show=lambda v, r: f"{v}%", drop=2),
        hidden("weighted_amount"),
        hidden("forecast_category"),
        Column("expected_close", "close", drop=4),
        Column("owner", drop=3),
        hidden("source"),
        hidden("next_step"),
        hidden("next_step_date"),
        hidden("recurring"),
        hidden("mrr"),
        hidden("arr"),
        hidden("won_at"),
        hidden("lost_at"),
        hidden("lost_reason"),
        hidden("lost_category"),
        hidden("parked_until"),
        hidden("park_reason"),
        hidden("external_id"),
        hidden("tags"),
        hidden("notes"),
        Column("stage_age_days", "days in stage", justify="right", drop=1),
        hidden("stage_entered_at"),
        hidden("created_at"),
        hidden("updated_at"),
        hidden("last_activity_at"),
        hidden("extra"),
    ]


def _date(app: AppContext, text: str | None, option: str, *, clear: bool = False, past: bool = False
          ) -> date | str | None:
    """A typed date (day-first setting applied); '' clears when allowed; past: when something happened
    (`friday` is the last one)."""
    if text is None:
        return None
    if clear and text.strip() == "":
        return ""
    return typed_date(app, text, option, past=past)


def _changed_fields(row: dict[str, Any], changed: dict[str, Any]) -> list[str]:
    """What an edit changed, as options name them, with the value it now has where that is short (a date
    typed as "next friday" shows the day it was read as): "close 2026-12-04", "owner sam", "title"."""
    from salescli.values import format_money

    names = {"amount_minor": "amount", "company_id": "company", "contact_id": "contact",
             "forecast_category": "forecast", "expected_close": "close"}
    valued = {"expected_close", "next_step_date", "owner", "probability", "forecast_category", "company_id",
              "contact_id", "amount_minor", "currency", "recurring"}

    def shown(key: str, value: Any) -> str | None:
        if key == "amount_minor":
            return format_money(value, row["currency"])
        if key == "currency" and "amount_minor" not in changed and row.get("amount_minor") is not None:
            return f"{value} (amount {format_money(row['amount_minor'], value)}, not converted)"
        return f"{value}%" if key == "probability" else None

    return changed_fields(row, changed, names, valued, shown)


def _day(app: AppContext, text: str | None, option: str) -> date | None:
    value = _date(app, text, option, past=option == "--date")
    assert value is None or isinstance(value, date)
    return value


def _fields(
    app: AppContext,
    *,
    title: str | None = None,
    amount: str | None = None,
    currency: str | None = None,
    company: str | None = None,
    contact: str | None = None,
    probability: str | None = None,
    forecast: str | None = None,
    close: str | None = None,
    owner: str | None = None,
    source: str | None = None,
    next_step: str | None = None,
    next_step_date: str | None = None,
    recurring: str | None = None,
    external_id: str | None = None,
    notes: str | None = None,
    clear: bool = False,
) -> dict[str, Any]:
    """The options a person gave, parsed (a value of the wrong form names its option: exit 2)."""
    from salescli.services.deals import parse_forecast, parse_probability_or_auto, parse_recurring
    from salescli.values import parse_currency

    fields: dict[str, Any] = {}
    plain = {"title": title, "amount": amount, "company": company, "contact": contact, "owner": owner,
             "source": source, "next_step": next_step, "external_id": external_id, "notes": read_notes(notes)}
    fields.update({k: v for k, v in plain.items() if v is not None})
    if currency is not None:
        fields["currency"] = parsed(parse_currency, currency, "--currency")
    if probability is not None:
        fields["probability"] = parse_probability_or_auto(probability)
    if forecast is not None:
        fields["forecast"] = parse_forecast(forecast)
    if close is not None:
        fields["expected_close"] = _date(app, close, "--close", clear=clear)
    if next_step_date is not None:
        fields["next_step_date"] = _date(app, next_step_date, "--next-step-date", clear=clear)
    if recurring is not None:
        fields["recurring"] = parse_recurring(recurring)
    return fields


def _emit(app: AppContext, row: Any, fmt: str | None, output: str | None) -> None:
    """A changed deal: its id on stdout (or the whole record with -f/-o)."""
    from salescli.render import pick_format, render_record
    from salescli.services.deals import deal_view

    chosen = pick_format(fmt, output)
    if chosen == "table" and not output:
        typer.echo(row["id"])
    else:
        render_record(deal_view(row, app.today), fmt=chosen, output=output)


@app.command("add")
def add(
    ctx: typer.Context,
    title: Annotated[str, typer.Argument(help="What is being sold to whom (\"Acme renewal\").")],
    amount: AmountOpt = None,
    currency: CurrencyOpt = None,
    company: CompanyOpt = None,
    contact: ContactOpt = None,
    pipeline: PipelineOpt = None,
    stage: Annotated[str | None, typer.Option("--stage", help="Stage (default: the pipeline's first).")] = None,
    probability: ProbabilityOpt = None,
    forecast: ForecastOpt = None,
    close: CloseOpt = None,
    owner: OwnerOpt = None,
    source: SourceOpt = None,
    next_step: NextStepOpt = None,
    next_step_date: NextStepDateOpt = None,
    recurring: RecurringOpt = None,
    external_id: ExternalIdOpt = None,
    tag: TagOpt = None,
    notes: NotesOpt = None,
    note: NoteOpt = None,
    force: ForceOpt = False,
    on_date: Annotated[str | None, typer.Option("--date", help="When the deal was created (backfill).")] = None,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """Add a deal; prints its id. The stage's rules apply (Proposal needs --amount and --close).

    \b
    Example:
      salescli deal add "Acme renewal" --amount 12k --company 1 --close +30d
    """
    from salescli.services.deals import add_deal, amount_and_currency
    from salescli.values import parse_currency

    app = app_context(ctx)
    if amount is not None:  # a malformed amount is refused before any file is created
        amount_and_currency(amount, currency and parsed(parse_currency, currency, "--currency"),
                            app.settings()["base_currency"])
    fields = _fields(app, title=title, amount=amount, currency=currency, company=company, contact=contact,
                     probability=probability, forecast=forecast, close=close, owner=owner, source=source,
                     next_step=next_step, next_step_date=next_step_date, recurring=recurring,
                     external_id=external_id, notes=read_notes(notes))
    fields["tags"] = tags_from(tag)
    when = _day(app, on_date, "--date")
    repo = app.repo(create=True)
    row = add_deal(repo, fields, today=app.today, pipeline=pipeline, stage=stage, force=force, on_date=when, note=note)
    flush_notices(app)
    forced = force and repo.stage_history(row["id"])[-1]["forced"]  # (--force with nothing missing forced nothing)
    say(f"added deal {row['id']} {row['title']} ({row['stage']})" + (" — forced past missing fields" if forced else ""))
    _past_close(row, app.today)
    _emit(app, row, fmt, output)


def _past_close(row: Any, today: Any) -> None:
    """An open deal given a close date already past (13/01/2026 typed in November): say so; it is stale."""
    close = (row["expected_close"] or "")[:10]
    if row["status"] == "open" and close and close < today.isoformat():
        say(f"note: deal {row['id']}'s close date {close} is in the past: the deal counts as stale until it"
            f" is won, lost or given a later date (salescli deal edit {row['id']} --close DATE)")


@app.command("list")
def list_(
    ctx: typer.Context,
    stage: Annotated[str | None, typer.Option("--stage", help="Only deals in this stage.")] = None,
    owner: Annotated[str | None, typer.Option("--owner", help="Only this owner's deals.")] = None,
    pipeline: Annotated[str | None, typer.Option("--pipeline", help="Only this pipeline.")] = None,
    status: Annotated[str | None, typer.Option("--status", help="open, won, lost or all (default: all).")] = None,
    closing: Annotated[
        str | None, typer.Option("--closing", help="Expected to close in PERIOD: this-month, 2026-Q4, 2026-11…")
    ] = None,
    tag: Annotated[str | None, typer.Option("--tag", "-t", help="Only deals with this tag (a,b: both).")] = None,
    company: Annotated[str | None, typer.Option("--company", help="Only this company's deals.")] = None,
    contact: Annotated[str | None, typer.Option("--contact", help="Only this contact's deals.")] = None,
    stale: Annotated[
        bool, typer.Option("--stale", help="Only stale deals (idle past rot days, overdue dates).")
    ] = False,
    parked: Annotated[bool, typer.Option("--parked", help="Only deals parked past today (deal park).")] = False,
    min_amount: Annotated[
        str | None, typer.Option("--min-amount", help="At least this amount ('10k': in each deal's currency; "
                                                      "'10k EUR': EUR deals only).")
    ] = None,
    sort: Annotated[
        str, typer.Option("--sort", help="id, amount (largest first, in the base currency), close, stage, age,"
                                         " updated, title, created, owner, probability; a leading - reverses"
                                         " the order (-amount: smallest first; no amount still last).")
    ] = "id",
    limit: LimitOpt = None,
    show_all: AllOpt = False,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """List deals; a footer on stderr gives the count and the total in the base currency.

    \b
    Example:
      salescli deal list --stage Proposal --owner lee --closing this-quarter
    """
    from salescli.render import pick_format, render_rows
    from salescli.repository.deals import DEAL_SORTS
    from salescli.services.deals import DealFilter, deal_list_query, deal_totals, deal_view, parse_status
    from salescli.values import parse_money, parse_period

    app = app_context(ctx)
    key, descending = sort_order(sort, DEAL_SORTS)
    flt = DealFilter(stage=stage, owner=owner, pipeline=pipeline, status=parse_status(status),
                     tag=tag.lower().strip() if tag else None, company=company, contact=contact, stale=stale,
                     parked=parked)
    if min_amount is not None:
        money = parsed(parse_money, min_amount, "--min-amount")
        flt.min_amount = (money.minor, money.currency)
    chosen = pick_format(fmt, output)
    repo = app.repo()
    if closing is not None:
        from salescli.services.config import period_settings

        period = parsed(parse_period, closing, "--closing", app.today, *period_settings(repo.settings()))
        flt.close_from, flt.close_before = period.start, period.end
    query = deal_list_query(repo, flt, today=app.today, sort=key, descending=descending)
    totals = deal_totals(repo, query, app.today)
    sql_limit, shown = table_rows(limit, show_all)
    if chosen == "table" and sql_limit is None:
        sql_limit = shown  # the footer's count says how many more there are
    today = app.today
    render_rows((deal_view(r, today) for r in repo.fetch_deals(query, sql_limit)), list_columns(), fmt=chosen,
                output=output, table_limit=shown, total=totals.count,
                empty="no deals")
    if totals.count:
        from salescli.render import screen_width

        for line in totals.lines(ranked=key == "amount", width=screen_width()):
            say(line)


@app.command("show")
def show(ctx: typer.Context, ref: DealArg, fmt: FormatOpt = None, output: OutputOpt = None) -> None:
    """Show a deal: every field, MRR/ARR when recurring, days idle and what needs attention (as `today` says), its
    stage history and its timeline.

    \b
    Example: salescli deal show 1
    """
    from salescli.render import pick_format, render_record
    from salescli.services.deals import DISPLAY_LABELS, deal_attention, deal_display, deal_story, deal_view

    app = app_context(ctx)
    chosen = pick_format(fmt, output)
    row, sections = deal_story(app.repo(), ref)
    view = {**deal_view(row, app.today), **deal_attention(app.repo(), row, app.today)}
    human = chosen in ("table", "markdown", "html")
    render_record(deal_display(view) if human else view, fmt=chosen, output=output,
                  title=f"Deal {row['id']}", sections=sections, labels=DISPLAY_LABELS if human else None)


@app.command("edit")
def edit(
    ctx: typer.Context,
    ref: DealArg,
    title: Annotated[str | None, typer.Option("--title", help="New title.")] = None,
    amount: Annotated[str | None, typer.Option("--amount", help="Amount ('' clears it).")] = None,
    currency: EditCurrencyOpt = None,
    company: Annotated[str | None, typer.Option("--company", help='Company id, domain or name ("" unlinks).')] = None,
    contact: Annotated[str | None, typer.Option("--contact", help='Contact id, e-mail or name ("" unlinks).')] = None,
    probability: EditProbabilityOpt = None,
    forecast: EditForecastOpt = None,
    close: Annotated[str | None, typer.Option("--close", help="Expected close date ('' clears it).")] = None,
    owner: EditOwnerOpt = None,
    source: SourceOpt = None,
    next_step: NextStepOpt = None,
    next_step_date: NextStepDateOpt = None,
    recurring: RecurringOpt = None,
    external_id: ExternalIdOpt = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", "-t", help="Replace the tags.")] = None,
    add_tag: Annotated[list[str] | None, typer.Option("--add-tag", help="Add a tag.")] = None,
    remove_tag: Annotated[list[str] | None, typer.Option("--remove-tag", help="Remove a tag.")] = None,
    notes: NotesOpt = None,
    extra: ExtraOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Allow clearing a field the current stage requires.")] = False,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
    stage: Annotated[str | None, typer.Option("--stage", hidden=True)] = None,
) -> None:
    """Change a deal's fields (its stage changes with move/won/lost/reopen). An empty value clears a field.

    \b
    Example: salescli deal edit 7 --amount 15k --next-step "send contract"
    """
    from salescli.services.crm import tag_changes
    from salescli.services.deals import edit_deal

    if stage is not None:  # the natural guess: point at the commands that keep the stage rules and history
        from salescli.errors import UsageError

        raise UsageError("deal edit does not change the stage",
                        hint=f'salescli deal move {ref} "{stage}" (or deal won / deal lost / deal reopen)')
    app = app_context(ctx)
    fields = _fields(app, title=title, amount=amount, currency=currency, company=company, contact=contact,
                     probability=probability, forecast=forecast, close=close, owner=owner, source=source,
                     next_step=next_step, next_step_date=next_step_date, recurring=recurring,
                     external_id=external_id, notes=read_notes(notes), clear=True)
    tags = tag_changes(tags_from(tag) if tag is not None else None, tags_from(add_tag), tags_from(remove_tag))
    row, changed = edit_deal(app.repo(), ref, fields, tags=tags, force=force, extra=extra_from(extra))
    flush_notices(app)
    say(f"updated deal {row['id']}: {', '.join(_changed_fields(row, changed))}" if changed
        else f"deal {row['id']}: nothing changed")
    if "expected_close" in changed:
        _past_close(row, app.today)
    _emit(app, row, fmt, output)


@app.command("move")
def move(
    ctx: typer.Context,
    ref: DealArg,
    stage: Annotated[str, typer.Argument(help="Stage name (any case) in the deal's pipeline.")],
    pipeline: Annotated[str | None, typer.Option("--pipeline", help="Move into another pipeline's stage.")] = None,
    note: NoteOpt = None,
    force: ForceOpt = False,
    on_date: DateOpt = None,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """Move a deal to another stage; refused (naming them) when the stage's required fields are missing.

    \b
    Example: salescli deal move 13 Proposal --note "demo went well"
    """
    from salescli.services.deals import move_deal

    app = app_context(ctx)
    when = _day(app, on_date, "--date")
    repo = app.repo()
    row, moved = move_deal(repo, ref, stage, today=app.today, pipeline=pipeline, note=note, force=force,
                           on_date=when)
    flush_notices(app)
    if moved:
        last = repo.stage_history(row["id"])[-1]
        say(f"moved deal {row['id']} {last['from_stage']} → {row['stage']}" + (" (forced)" if last["forced"] else ""))
    else:
        say(f"deal {row['id']} is already in {row['stage']}; nothing changed")
    _emit(app, row, fmt, output)


@app.command("won")
def won(
    ctx: typer.Context,
    ref: DealArg,
    amount: Annotated[str | None, typer.Option("--amount", help="The final amount.")] = None,
    on_date: Annotated[str | None, typer.Option("--date", help="Won date (default: today).")] = None,
    stage: Annotated[str | None, typer.Option("--stage", help="Which won stage (default: the first).")] = None,
    note: NoteOpt = None,
    force: ForceOpt = False,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """Mark a deal won.

    Its contact becomes a customer (a lead, prospect or churned one before).

    \b
    Example: salescli deal won 7 --amount 11,500 --date 2026-11-20
    """
    from salescli.services.deals import win_deal

    app = app_context(ctx)
    when = _day(app, on_date, "--date")
    row = win_deal(app.repo(), ref, today=app.today, amount=amount, on_date=when, note=note, stage=stage,
                   force=force)
    flush_notices(app)
    say(f"won deal {row['id']} {row['title']} on {row['won_at']}")
    _emit(app, row, fmt, output)


@app.command("lost")
def lost(
    ctx: typer.Context,
    ref: DealArg,
    reason: Annotated[str | None, typer.Option("--reason", help="Why it was lost (required).")] = None,
    category: Annotated[
        str | None,
        typer.Option("--category", help="competitor, no_decision, disqualified, price, timing or other."),
    ] = None,
    on_date: Annotated[str | None, typer.Option("--date", help="Lost date (default: today).")] = None,
    stage: Annotated[str | None, typer.Option("--stage", help="Which lost stage (default: the first).")] = None,
    note: NoteOpt = None,
    force: ForceOpt = False,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """Mark a deal lost; --reason is required.

    \b
    Example: salescli deal lost 4 --reason "chose a cheaper tool" --category price
    """
    from salescli.services.deals import lose_deal
    from salescli.services.pipeline import parse_lost_category

    app = app_context(ctx)
    kind = parse_lost_category(category) if category is not None else None
    when = _day(app, on_date, "--date")
    row = lose_deal(app.repo(), ref, today=app.today, reason=reason, category=kind, on_date=when, note=note,
                    stage=stage, force=force)
    flush_notices(app)
    from salescli.values import one_line

    say(f"lost deal {row['id']} {row['title']} on {row['lost_at']}: {one_line(row['lost_reason'])}")
    _emit(app, row, fmt, output)


@app.command("reopen")
def reopen(
    ctx: typer.Context,
    ref: DealArg,
    stage: Annotated[
        str | None, typer.Option("--stage", help="Open stage to return to (default: the one before closing).")
    ] = None,
    note: NoteOpt = None,
    force: ForceOpt = False,
    on_date: Annotated[str | None, typer.Option("--date", help="Reopened on (default: today).")] = None,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """Return a won or lost deal to an open stage.

    A contact the win made a customer gets their earlier status back, unless
    another of their deals is won or their status was set since.

    \b
    Example: salescli deal reopen 21 --stage Qualification --note "they came back"
    """
    from salescli.services.deals import reopen_deal

    app = app_context(ctx)
    when = _day(app, on_date, "--date")
    row = reopen_deal(app.repo(), ref, today=app.today, stage=stage, note=note, force=force, on_date=when)
    flush_notices(app)
    say(f"reopened deal {row['id']} in {row['stage']}" + (f" on {when.isoformat()}" if when else ""))
    _emit(app, row, fmt, output)


@app.command("park")
def park(
    ctx: typer.Context,
    ref: DealArg,
    until: Annotated[str | None, typer.Option(
        "--until", help="Out of stale lists until this date: 2027-01-15, +30d (required unless --clear).")] = None,
    reason: Annotated[str | None, typer.Option(
        "--reason", help="Why it is waiting (required unless --clear).")] = None,
    clear: Annotated[bool, typer.Option("--clear", help="Unpark the deal.")] = False,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """Park a deal stalled for a known reason until a date (not stale until then), or --clear it.

    \b
    Example: salescli deal park 10 --until 2027-01-15 --reason "budget freeze"
    """
    from salescli.errors import UsageError
    from salescli.services.deals import park_deal

    if clear and (until is not None or reason is not None):
        raise UsageError(f"--clear unparks the deal: it takes no {'--until' if until is not None else '--reason'}")
    app = app_context(ctx)
    when = _day(app, until, "--until")
    row, changed = park_deal(app.repo(), ref, today=app.today, until=when, reason=reason, clear=clear)
    if clear:
        say(f"unparked deal {row['id']}" if changed else f"deal {row['id']} is not parked; nothing changed")
    else:
        from salescli.values import one_line

        say(f"parked deal {row['id']} until {row['parked_until']}: {one_line(row['park_reason'])}")
        close = row.get("expected_close")
        if close and app.today.isoformat() <= str(close) < str(row["parked_until"]):  # a forecast it cannot close in
            say(f"note: it closes {close}, before it is back: move the close date too"
                f" (salescli deal edit {row['id']} --close DATE)")
    _emit(app, row, fmt, output)


@app.command("rm")
def rm(ctx: typer.Context, ref: DealArg, yes: YesOpt = False) -> None:
    """Delete a deal and its stage history (activities stay, unlinked). Asks first; --yes in scripts.

    \b
    Example: salescli deal rm 23 --yes
    """
    from salescli.services.deals import remove_deal, resolve_deal

    app = app_context(ctx)
    repo = app.repo()
    row = resolve_deal(repo, ref)
    confirm(f"Delete deal {row['id']} {row['title']}?", yes)
    remove_deal(repo, row["id"])
    say(f"deleted deal {row['id']} {row['title']}")
    flush_notices(app)
