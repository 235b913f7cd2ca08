"""`report stale`: open deals that need attention — stale, parked, or without a next step — largest first.

Stale is DESIGN.md's definition (repository/deals.py stale_condition): idle (no activity, no stage
move) for the stage's rot days (else the default stale days), or the close date or next-step date has passed; a parked
deal is not stale until its park date. Amounts sort in the base currency; a deal in a currency
without a rate sorts last. --period keeps the deals expected to close in it, and those whose close
date passed before it (default: all open deals); --by adds the counts per group.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from typing import Any

from salescli.repository.base import Row
from salescli.services.reports.common import (
    ALL_TIME,
    Figure,
    Report,
    ReportContext,
    Section,
    check_by,
    col,
    group_label,
    short,
)

METRICS = {"stale": "stale open deals", "parked": "parked deals", "no_next_step": "open deals without a next step",
           "open": "open deals", "listed": "deals listed (stale or without a next step)"}


def reasons(row: Row, today: date, default_days: int) -> str:
    """Why a deal is listed, in words a person reads."""
    out = []
    if row["is_stale"]:
        touch = row["last_touch"]
        if touch and (today - date.fromisoformat(touch)).days > int(row["rot_days"] or default_days):
            out.append(f"idle for {(today - date.fromisoformat(touch)).days} days")
        close = (row["expected_close"] or "")[:10]
        if close and close < today.isoformat():
            out.append(f"close date {close} passed")
        step = (row["next_step_date"] or "")[:10]
        if step and step < today.isoformat():
            out.append(f"next step due {step}")
    if row["is_parked"]:
        out.append(f"parked until {row['parked_until'][:10]}")
    if row["no_next_step"]:
        out.append("no next step")
    return "; ".join(out)


def deal_rows(ctx: ReportContext, limit: int | None = None) -> Iterator[dict[str, Any]]:
    from salescli.values import minor_to_decimal

    today = ctx.as_of
    for r in ctx.repo.attention_deals(ctx.filter, today=today.isoformat(), stale_days=ctx.stale_days,
                                      scale=ctx.fx_scale(), limit=limit):
        yield {
            "id": r["id"], "title": r["title"], "owner": r["owner"], "stage": r["stage"],
            "amount": None if r["amount_minor"] is None else minor_to_decimal(r["amount_minor"], r["currency"]),
            "currency": r["currency"], "expected_close": r["expected_close"], "next_step": r["next_step"],
            "next_step_date": r["next_step_date"], "last_activity": r["last_activity"],
            "idle_since": r["last_touch"],
            "stale": bool(r["is_stale"]), "parked": bool(r["is_parked"]), "no_next_step": bool(r["no_next_step"]),
            "why": reasons(r, today, ctx.stale_days),
        }


def deal_columns() -> list[Any]:
    return [
        col("id", "id", "id"), short("title"), col("owner"), col("stage", in_table=False),
        col("amount", "amount", "priced"), col("currency", in_table=False), col("expected_close", in_table=False),
        col("next_step", in_table=False), col("next_step_date", in_table=False),
        col("last_activity", in_table=False), col("idle_since", in_table=False),
        col("stale", in_table=False), col("parked", in_table=False),
        col("no_next_step", in_table=False), col("why"),
    ]


COUNTS = ("open", "stale", "parked", "no_next_step", "listed")
BY = ("owner", "team", "pipeline", "source", "segment")


def _by_section(ctx: ReportContext, by: str, groups: list[Row], totals: dict[str, int]) -> Section:
    rows = [{by: group_label(by, r["grp"], ctx), **{k: r[k] for k in COUNTS}} for r in groups]
    rows.sort(key=lambda r: (-r["listed"], -r["open"], r[by]))
    return Section(f"by_{by}", f"Open deals needing attention by {by}", [
        col(by), col("open", "open", "count"), col("stale", "stale", "count"), col("parked", "parked", "count"),
        col("no_next_step", "no next step", "count"), col("listed", "attention", "count")],
        rows, empty="no open deals", footer={by: "Total", **totals}, limited=False)


def build(ctx: ReportContext, by: str | None = None, list_limit: int | None = None) -> Report:
    """list_limit: read only the first deals (a table shows no more). A period other than 'all' keeps
    the deals expected to close in it."""
    chosen = check_by(by, BY, None)
    undated = 0
    if ctx.period != ALL_TIME:
        undated = ctx.repo.open_without_close(ctx.filter)
        ctx = replace(ctx, filter=replace(ctx.filter, closing=(ctx.start, ctx.end, ctx.as_of.isoformat())))
    groups = ctx.repo.attention_by(ctx.filter, today=ctx.as_of.isoformat(), stale_days=ctx.stale_days,
                                   by=chosen or "all")
    summary = {k: sum(int(g[k]) for g in groups) for k in COUNTS}
    listed = summary["listed"]
    closing = "" if ctx.period == ALL_TIME else f", closing in {ctx.period.label} or overdue"
    sections = [Section("deals", "Stale, parked and no-next-step deals, largest first", deal_columns(),
                        deal_rows(ctx, list_limit), empty="no deal needs attention", total=listed)]
    if chosen:
        sections.insert(0, _by_section(ctx, chosen, groups, summary))
    report = Report(
        name="stale",
        title=f"Deals needing attention — {ctx.as_of.isoformat()}{closing}" + (f" ({ctx.scope_label()})"
                                                                               if ctx.scope_label() else ""),
        meta=ctx.meta("stale", chosen, default_stale_days=ctx.stale_days),
        summary=summary,
        figures=[Figure("open", "open deals"), Figure("stale", "stale"), Figure("parked", "parked"),
                 Figure("no_next_step", "no next step")],
        sections=sections,
        metrics={k: summary[k] for k in METRICS},
        csv_section=f"by_{chosen}" if chosen else "deals",
    )
    if undated:
        report.notes.append(f"{undated} open deal{'s' if undated != 1 else ''} without a close date left out"
                            f" by --period {ctx.period.label} (salescli report stale lists every open deal)")
    return report.finish(ctx)
