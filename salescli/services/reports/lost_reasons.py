"""`report lost-reasons`: deals lost in the period by category and reason (count and value), and the
stage they were lost from (the stage before their last move to a lost stage, from the history).
--by adds each group's losses and its reasons (the CSV with --by)."""

from __future__ import annotations

from typing import Any

from salescli.render import Column
from salescli.repository.base import Row
from salescli.services.reports.common import (
    NONE_LABEL,
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
    stage_lookup,
)

BY = ("owner", "team", "pipeline", "source", "segment")
METRICS = {"lost": "deals lost", "lost_amount": "amount lost"}


def reason_rows(ctx: ReportContext, rows: list[Row]) -> list[dict[str, Any]]:
    """Category and reason (case-insensitive, first spelling kept) with deals, amount and share of `rows`,
    most deals first."""
    total_deals = sum(r["deals"] for r in rows)
    groups: dict[tuple[str, str], list[Any]] = {}
    spelling: dict[tuple[str, str], tuple[str, str]] = {}
    for r in rows:
        key = (r["category"].lower(), r["reason"].lower())
        groups.setdefault(key, []).append(r)
        spelling.setdefault(key, (r["category"], r["reason"]))
    out = []
    for key, mine in groups.items():
        category, reason = spelling[key]
        deals = sum(r["deals"] for r in mine)
        amount = ctx.to_base(per_currency(mine, "amount"))
        out.append({"category": category or NONE_LABEL, "reason": reason or NONE_LABEL, "deals": deals,
                    "amount": amount, "share": ratio(deals, total_deals)})
    out.sort(key=lambda r: (-r["deals"], -r["amount"], r["category"], r["reason"]))
    return out


def _reason_text(row: dict[str, Any]) -> str:
    """'price: no budget', or the one that is known ('price', 'no budget'), else '(none)'."""
    known = [row[k] for k in ("category", "reason") if row[k] != NONE_LABEL]
    return ": ".join(known) or NONE_LABEL


def top_reason(reasons: list[dict[str, Any]]) -> str:
    """The reason with the most deals (reasons are sorted so); a tie says so."""
    tied = sum(1 for r in reasons[1:] if r["deals"] == reasons[0]["deals"])
    return _reason_text(reasons[0]) + (f" (tied with {tied} more)" if tied else "")


def _group_sections(ctx: ReportContext, by: str, rows: list[Row], summary: dict[str, Any],
                    money: list[Column]) -> list[Section]:
    """--by: each group's losses (with its most frequent reason), then its reasons (share within the group)."""
    per_group = []
    for key, mine in grouped(rows).items():
        reasons = reason_rows(ctx, mine)
        deals = sum(r["deals"] for r in reasons)
        per_group.append(({by: group_label(by, key, ctx), "deals": deals,
                           "amount": ctx.to_base(per_currency(mine, "amount")),
                           "share": ratio(deals, summary["lost"]), "top_reason": top_reason(reasons)}, reasons))
    per_group.sort(key=lambda g: (-g[0]["deals"], -g[0]["amount"], g[0][by]))
    empty = "no deals lost in the period"
    return [
        Section(f"by_{by}", f"By {by}", [col(by), *money, col("top_reason", "most frequent reason")],
                [g for g, _ in per_group], empty=empty, limited=False,
                footer={by: "Total", "deals": summary["lost"], "amount": summary["lost_amount"],
                        "share": ratio(summary["lost"], summary["lost"]), "top_reason": summary["top_reason"]}),
        Section(f"reasons_by_{by}", f"By {by}, category and reason (share of the {by}'s losses)",
                [col(by), col("category"), col("reason"), *money],
                [{by: g[by], **r} for g, reasons in per_group for r in reasons], empty=empty, limited=False),
    ]


def build(ctx: ReportContext, by: str | None = None) -> Report:
    chosen = check_by(by, BY, None)
    repo = ctx.repo
    by_reason = repo.lost_by_reason(ctx.filter, start=ctx.start, end=ctx.events_end, by=chosen or "all",
                                    upto=ctx.upto)
    by_stage = repo.lost_by_stage(ctx.filter, start=ctx.start, end=ctx.events_end, upto=ctx.upto)
    total_deals = sum(r["deals"] for r in by_reason)
    total_amount = ctx.to_base(per_currency(by_reason, "amount"))
    overall = reason_rows(ctx, by_reason)

    cats: dict[str, dict[str, Any]] = {}
    for r in overall:
        c = cats.setdefault(r["category"].lower(), {"category": r["category"], "deals": 0, "amount": 0})
        c["deals"] += r["deals"]
        c["amount"] += r["amount"]
    category_rows = sorted(({**c, "share": ratio(c["deals"], total_deals)} for c in cats.values()),
                           key=lambda r: (-r["deals"], r["category"]))

    stages = stage_lookup(ctx)
    stage_groups: dict[Any, list[Any]] = {}
    for r in by_stage:
        stage_groups.setdefault(r["lost_from"], []).append(r)
    order = {sid: i for i, sid in enumerate(stages)}
    stage_rows = []
    for sid in sorted(stage_groups, key=lambda s: order.get(s, len(order))):
        mine = stage_groups[sid]
        deals = sum(r["deals"] for r in mine)
        stage_rows.append({"stage": stages[sid]["name"] if sid in stages else "(unknown)", "deals": deals,
                           "amount": ctx.to_base(per_currency(mine, "amount")), "share": ratio(deals, total_deals)})
    money = [col("deals", "deals", "count"), col("amount", "amount", "money"), col("share", "% of deals", "rate")]
    summary = {"lost": total_deals, "lost_amount": total_amount,
               "top_reason": top_reason(overall) if overall else None, "currency": ctx.base}
    report = Report(
        name="lost-reasons",
        title=f"Lost deals {ctx.period.label}" + (f" ({ctx.scope_label()})" if ctx.scope_label() else ""),
        meta=ctx.meta("lost-reasons", chosen),
        summary=summary,
        figures=[Figure("lost", "deals lost"), Figure("lost_amount", "amount lost", "money")],
        sections=[
            *(_group_sections(ctx, chosen, by_reason, summary, money) if chosen else []),
            Section("reasons", "By category and reason", [col("category"), col("reason"), *money], overall,
                    empty="no deals lost in the period"),
            Section("categories", "By category", [col("category"), *money], category_rows,
                    empty="no deals lost in the period"),
            Section("stages", "Lost from stage", [col("stage"), *money], stage_rows,
                    empty="no deals lost in the period"),
        ],
        charts=[Chart("Lost deals by category", "deals", [(r["category"], float(r["deals"]))
                                                          for r in category_rows], kind="count")],
        metrics={"lost": total_deals, "lost_amount": total_amount},
        csv_section=f"reasons_by_{chosen}" if chosen else "reasons",
    )
    return report.finish(ctx)
