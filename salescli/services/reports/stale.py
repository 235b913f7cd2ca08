"""`report stale`: open deals that need attention — stale, parked, or without a next step — largest first.

Stale is DESIGN.md's definition (repository/deals.py stale_condition): no activity for the stage's
rot days (else the default stale days), or the close date or next-step date has passed; a parked
deal is not stale until its park date. Amounts sort in the base currency; a deal in a currency
without a rate sorts last.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from salescli.repository.base import Row
from salescli.services.reports.common import Figure, Report, ReportContext, Section, col, short

METRICS = {"stale": "stale open deals", "parked": "parked deals", "no_next_step": "open deals without a next step",
           "open": "open deals"}


def reasons(row: Row, today: date, default_days: int) -> str:
    """Why a deal is listed, in words a person reads."""
    out = []
    if row["is_stale"]:
        touch = row["last_touch"]
        if touch and (today - date.fromisoformat(touch)).days > int(row["rot_days"] or default_days):
            out.append(f"no activity for {(today - date.fromisoformat(touch)).days} days")
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
            "next_step_date": r["next_step_date"], "last_activity": r["last_touch"],
            "stale": bool(r["is_stale"]), "parked": bool(r["is_parked"]), "no_next_step": bool(r["no_next_step"]),
            "why": reasons(r, today, ctx.stale_days),
        }


def deal_columns() -> list[Any]:
    return [
        col("id", "id", "id"), short("title"), col("owner"), col("stage", in_table=False),
        col("amount", "amount", "priced"), col("currency", in_table=False), col("expected_close", in_table=False),
        col("next_step", in_table=False), col("next_step_date", in_table=False),
        col("last_activity", in_table=False), col("stale", in_table=False), col("parked", in_table=False),
        col("no_next_step", in_table=False), col("why"),
    ]


def build(ctx: ReportContext, list_limit: int | None = None) -> Report:
    """list_limit: read only the first deals (a table shows no more)."""
    counts = ctx.repo.attention_counts(ctx.filter, today=ctx.as_of.isoformat(), stale_days=ctx.stale_days)
    listed = counts["listed"]
    summary = {"open": counts["open"], "stale": counts["stale"], "parked": counts["parked"],
               "no_next_step": counts["no_next_step"], "listed": listed}
    report = Report(
        name="stale",
        title=f"Deals needing attention — {ctx.as_of.isoformat()}" + (f" ({ctx.scope_label()})"
                                                                      if ctx.scope_label() else ""),
        meta=ctx.meta("stale", None, default_stale_days=ctx.stale_days),
        summary=summary,
        figures=[Figure("open", "open deals"), Figure("stale", "stale"), Figure("parked", "parked"),
                 Figure("no_next_step", "no next step")],
        sections=[Section("deals", "Stale, parked and no-next-step deals, largest first", deal_columns(),
                          deal_rows(ctx, list_limit), empty="no deal needs attention", total=listed)],
        metrics={k: summary[k] for k in METRICS},
        csv_section="deals",
    )
    return report.finish(ctx)
