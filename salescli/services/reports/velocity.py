"""`report velocity`: pipeline velocity and its four inputs, per pipeline and per owner.

velocity = open deals x win rate x average won amount / average cycle days (money per day), where
open deals are open now, and win rate (won / (won + lost)), average won amount and average days
from creation to won are of the deals closed in the period. Undefined (–) without won deals.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from salescli.repository.base import Row
from salescli.services.reports.common import (
    Chart,
    Figure,
    Report,
    ReportContext,
    Section,
    check_by,
    col,
    group_label,
    grouped,
    per_currency,
    ratio,
)

BY = ("pipeline", "owner", "team", "source", "segment")
METRICS = {"velocity": "money per day", "open_deals": "open deals", "win_rate": "won / (won + lost)",
           "avg_won": "average won amount", "avg_cycle_days": "average days to win", "won": "deals won",
           "lost": "deals lost"}


def figures(ctx: ReportContext, open_count: int, closed: list[Row]) -> dict[str, Any]:
    won = sum(r["won"] or 0 for r in closed)
    lost = sum(r["lost"] or 0 for r in closed)
    won_amount = ctx.to_base(per_currency(closed, "won_amount"))
    cycle_total = sum(r["cycle_days"] or 0 for r in closed)
    win_rate = ratio(won, won + lost)
    priced = ctx.priced(closed, "won_with_amount")  # won deals whose amount is in won_amount (a rate known)
    avg_won = won_amount / priced if priced else None
    avg_cycle = Decimal(str(cycle_total)) / won if won else None
    velocity = None
    if win_rate is not None and avg_won is not None and avg_cycle:
        exact = Decimal(open_count) * Decimal(won) / Decimal(won + lost) * won_amount / priced / avg_cycle
        velocity = exact.quantize(Decimal("0.01"))
    return {
        "open_deals": open_count,
        "won": won,
        "lost": lost,
        "win_rate": win_rate,
        "avg_won": None if avg_won is None else avg_won.quantize(Decimal("0.01")),
        "avg_cycle_days": None if avg_cycle is None else avg_cycle.quantize(Decimal("0.1")),
        "velocity": velocity,
    }


def _section(ctx: ReportContext, by: str) -> tuple[Section, list[dict[str, Any]]]:
    repo = ctx.repo
    opens = {r["grp"]: r["deals"] for r in repo.open_counts(ctx.filter, by, upto=ctx.upto)}
    closed = grouped(repo.closed_in_period(ctx.filter, by, start=ctx.start, end=ctx.events_end, upto=ctx.upto))
    rows = [{by: group_label(by, key, ctx), **figures(ctx, opens.get(key, 0), closed.get(key, []))}
            for key in set(opens) | set(closed)]
    rows.sort(key=lambda r: (-(r["velocity"] or 0), r[by]))
    columns = [
        col(by), col("open_deals", "open", "count"), col("won", "won", "count", in_table=False),
        col("lost", "lost", "count", in_table=False), col("win_rate", "win %", "rate"),
        col("avg_won", "avg won", "money"), col("avg_cycle_days", "cycle d", "days"),
        col("velocity", "per day", "money"),
    ]
    return Section(f"by_{by}", f"Velocity by {by} ({ctx.base} per day)", columns, rows,
                   empty="no open or closed deals"), rows


def build(ctx: ReportContext, by: str | None = None) -> Report:
    chosen = check_by(by, BY, None)
    groups = [chosen] if chosen else ["pipeline", "owner"]
    sections = []
    first_rows: list[dict[str, Any]] = []
    for g in groups:
        section, rows = _section(ctx, g)
        sections.append(section)
        first_rows = first_rows or rows
    repo = ctx.repo
    open_total = sum(r["deals"] for r in repo.open_counts(ctx.filter, "all", upto=ctx.upto))
    totals = figures(ctx, open_total, repo.closed_in_period(ctx.filter, "all", start=ctx.start, end=ctx.events_end,
                                                            upto=ctx.upto))
    for section in sections:  # velocity is no sum of the groups': the row of all deals, not a total
        section.footer = {section.key[3:]: "All deals", **totals}
    scope = ctx.scope_label()
    report = Report(
        name="velocity",
        title=f"Pipeline velocity {ctx.period.label}" + (f" ({scope})" if scope else ""),
        meta=ctx.meta("velocity", chosen),
        summary={**totals, "currency": ctx.base},
        figures=[Figure("velocity", f"velocity ({ctx.base}/day)", "money"), Figure("open_deals", "open deals"),
                 Figure("win_rate", "win rate", "rate"), Figure("avg_won", "average won", "money"),
                 Figure("avg_cycle_days", "average cycle (days)", "days")],
        sections=sections,
        charts=[Chart(f"Velocity by {groups[0]} ({ctx.base}/day)", ctx.base,
                      [(str(r[groups[0]]), float(r["velocity"] or 0)) for r in first_rows])],
        metrics={k: totals[k] for k in METRICS},
        csv_section=sections[0].key,
    )
    return report.finish(ctx)
