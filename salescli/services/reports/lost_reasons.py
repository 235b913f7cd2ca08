"""`report lost-reasons`: deals lost in the period by category and reason (count and value), and the
stage they were lost from (the stage before their last move to a lost stage, from the history)."""

from __future__ import annotations

from typing import Any

from salescli.services.reports.common import (
    NONE_LABEL,
    Chart,
    Figure,
    Report,
    ReportContext,
    Section,
    col,
    per_currency,
    ratio,
    stage_lookup,
)

METRICS = {"lost": "deals lost", "lost_amount": "amount lost"}


def build(ctx: ReportContext) -> Report:
    repo = ctx.repo
    by_reason = repo.lost_by_reason(ctx.filter, start=ctx.start, end=ctx.end)
    by_stage = repo.lost_by_stage(ctx.filter, start=ctx.start, end=ctx.end)
    total_deals = sum(r["deals"] for r in by_reason)
    total_amount = ctx.to_base(per_currency(by_reason, "amount"))

    groups: dict[tuple[str, str], list[Any]] = {}
    spelling: dict[tuple[str, str], tuple[str, str]] = {}
    for r in by_reason:
        key = (r["category"].lower(), r["reason"].lower())
        groups.setdefault(key, []).append(r)
        spelling.setdefault(key, (r["category"], r["reason"]))
    reason_rows = []
    for key, mine in groups.items():
        category, reason = spelling[key]
        deals = sum(r["deals"] for r in mine)
        amount = ctx.to_base(per_currency(mine, "amount"))
        reason_rows.append({"category": category or NONE_LABEL, "reason": reason or NONE_LABEL, "deals": deals,
                            "amount": amount, "share": ratio(deals, total_deals)})
    reason_rows.sort(key=lambda r: (-r["deals"], -r["amount"], r["category"], r["reason"]))

    cats: dict[str, dict[str, Any]] = {}
    for r in reason_rows:
        c = cats.setdefault(r["category"].lower(), {"category": r["category"], "deals": 0, "amount": 0})
        c["deals"] += r["deals"]
        c["amount"] += r["amount"]
    category_rows = sorted(({**c, "share": ratio(c["deals"], total_deals)} for c in cats.values()),
                           key=lambda r: (-r["deals"], r["category"]))

    stages = stage_lookup(ctx)
    stage_groups: dict[Any, list[Any]] = {}
    for r in by_stage:
        stage_groups.setdefault(r["stage_id"], []).append(r)
    order = {sid: i for i, sid in enumerate(stages)}
    stage_rows = []
    for sid in sorted(stage_groups, key=lambda s: order.get(s, len(order))):
        mine = stage_groups[sid]
        deals = sum(r["deals"] for r in mine)
        stage_rows.append({"stage": stages[sid]["name"] if sid in stages else "(unknown)", "deals": deals,
                           "amount": ctx.to_base(per_currency(mine, "amount")), "share": ratio(deals, total_deals)})
    money = [col("deals", "deals", "count"), col("amount", "amount", "money"), col("share", "share", "rate")]
    summary = {"lost": total_deals, "lost_amount": total_amount, "currency": ctx.base}
    report = Report(
        name="lost-reasons",
        title=f"Lost deals {ctx.period.label}" + (f" ({ctx.scope_label()})" if ctx.scope_label() else ""),
        meta=ctx.meta("lost-reasons", None),
        summary=summary,
        figures=[Figure("lost", "deals lost"), Figure("lost_amount", "amount lost", "money")],
        sections=[
            Section("reasons", "By category and reason", [col("category"), col("reason"), *money], reason_rows,
                    empty="no deals lost in the period"),
            Section("categories", "By category", [col("category"), *money], category_rows,
                    empty="no deals lost in the period"),
            Section("stages", "Lost from stage", [col("stage"), *money], stage_rows,
                    empty="no deals lost in the period"),
        ],
        charts=[Chart("Lost deals by category", "deals", [(r["category"], float(r["deals"]))
                                                          for r in category_rows], kind="count")],
        metrics={"lost": total_deals, "lost_amount": total_amount},
        csv_section="reasons",
    )
    return report.finish(ctx)
