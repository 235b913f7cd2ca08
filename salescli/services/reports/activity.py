"""`report activity`: activities by owner (or team; or their deal's pipeline or source, or their
company's segment) and kind for the period, and overdue tasks.

Calls, e-mails, meetings and notes count on the day they happened; a task counts when it was done.
Overdue tasks are open tasks due before the report's day.
"""

from __future__ import annotations

from typing import Any

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
    short,
)

BY = ("owner", "team", "pipeline", "source", "segment")
KINDS = ("call", "email", "meeting", "note", "task")
METRICS = {"activities": "activities in the period", "overdue": "overdue tasks",
           **{k: f"{k}s in the period" for k in KINDS}}


def activity_rows(ctx: ReportContext, by: str, start: str, end: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Rows per group with a column per kind, and the totals."""
    repo = ctx.repo
    counts = grouped(repo.activity_counts(ctx.filter, by, start=start, end=end))
    overdue = repo.overdue_counts(ctx.filter, by, today=ctx.as_of.isoformat())
    rows = []
    for key in set(counts) | set(overdue):
        kinds = {k: sum(r["n"] for r in counts.get(key, []) if r["kind"] == k) for k in KINDS}
        rows.append({by: group_label(by, key, ctx), **kinds, "total": sum(kinds.values()),
                     "overdue": overdue.get(key, 0)})
    rows.sort(key=lambda r: (-r["total"], r[by]))
    totals = {k: sum(r[k] for r in rows) for k in (*KINDS, "total", "overdue")}
    return rows, totals


def overdue_section(ctx: ReportContext, limit: int | None) -> Section:
    repo = ctx.repo
    total = repo.overdue_counts(ctx.filter, "all", today=ctx.as_of.isoformat()).get("", 0)

    def rows() -> Any:
        for r in repo.overdue_tasks(ctx.filter, today=ctx.as_of.isoformat(), limit=limit):
            yield {**r, "days_overdue": round(r["days_overdue"])}  # whole days (due dates are days), as `today`

    columns = [col("id", "id", "id"), col("due_date", "due"), col("days_overdue", "days late", "count"),
               col("owner"), short("subject"), col("deal_id", "deal", "id"), col("deal", in_table=False)]
    return Section("overdue_tasks", "Overdue tasks", columns, rows(), empty="no overdue tasks", total=total)


def build(ctx: ReportContext, by: str | None = None, list_limit: int | None = None) -> Report:
    by = check_by(by, BY, "owner")
    assert by is not None
    rows, totals = activity_rows(ctx, by, ctx.start, ctx.events_end)
    columns = [col(by), *(col(k, k, "count") for k in KINDS), col("total", "total", "count"),
               col("overdue", "overdue", "count")]
    report = Report(
        name="activity",
        title=f"Activity {ctx.period.label} by {by}" + (f" ({ctx.scope_label()})" if ctx.scope_label() else ""),
        meta=ctx.meta("activity", by),
        summary={"activities": totals["total"], **{k: totals[k] for k in KINDS}, "overdue": totals["overdue"]},
        figures=[Figure("activities", "activities"), *(Figure(k, f"{k}s") for k in KINDS),
                 Figure("overdue", "overdue tasks")],
        sections=[Section("rows", f"Activities by {by} and kind (tasks: done in the period)", columns, rows,
                          empty="no activity in the period", footer={by: "Total", **totals}, limited=False),
                  overdue_section(ctx, list_limit)],
        charts=[Chart(f"Activities by {by}", "activities", [(str(r[by]), float(r["total"])) for r in rows],
                      kind="count")],
        metrics={"activities": totals["total"], "overdue": totals["overdue"], **{k: totals[k] for k in KINDS}},
        csv_section="rows",
    )
    return report.finish(ctx)
