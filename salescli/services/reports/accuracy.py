"""Forecast snapshots (`forecast snapshot`, weekly from cron) and `report forecast-accuracy`.

A snapshot stores the forecast figures of a period as they stood on the day it was taken, before
the period ends (of --period all, or of a period already over, there is no forecast to take: its
"forecast" is what was won). The accuracy report sets each snapshot's three forecasts — won +
commit, won + weighted, won + historical — against what was actually won in that period (as known
today): error = forecast - actual, error % = error / actual; and per method the mean absolute error %
over the snapshots whose period is over. Snapshots such as older versions stored (of all dates, or
taken after their period ended) are left out, with a note.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from salescli.errors import InvalidValue, NotFound, RuleValue
from salescli.services.reports.common import (
    ALL_TIME,
    Figure,
    Report,
    ReportContext,
    Section,
    col,
    parse_report_period,
    per_currency,
    ratio,
    resolve,
)
from salescli.values import Period

if TYPE_CHECKING:
    from salescli.repository import Repository
    from salescli.repository.base import Row

METRICS = {"snapshots": "snapshots compared", "mape_commit": "mean |error %| of won + commit",
           "mape_weighted": "mean |error %| of won + weighted", "mape_historical": "mean |error %| of won + historical",
           "complete": "snapshots of periods that are over"}
STORED = ("won", "commit", "best_case", "pipeline", "omitted", "open", "weighted", "historical", "forecast",
          "best_case_forecast", "target", "attainment", "gap", "coverage")


def scope_key(ctx: ReportContext) -> str:
    """'all', or the filters a snapshot was taken with: 'pipeline:Default', 'owner:ana', 'team:East'."""
    parts = []
    if ctx.pipeline:
        parts.append(f"pipeline:{ctx.pipeline}")
    if ctx.scope.owner:
        parts.append(f"owner:{ctx.scope.owner}")
    if ctx.scope.team:
        parts.append(f"team:{ctx.scope.team}")
    return " ".join(parts) or "all"


def _scope_of(ctx: ReportContext) -> dict[str, str | None]:
    """The pipeline, owner and team a snapshot of ctx is taken of (stored in columns of their own)."""
    return {"pipeline": ctx.pipeline, "owner": ctx.scope.owner, "team": ctx.scope.team}


def _same_scope(snap: Row, scope: dict[str, str | None]) -> bool:
    return all((snap[k] or "").casefold() == (v or "").casefold() for k, v in scope.items())


def check_snapshot_period(period: Period, today: date) -> None:
    """A snapshot is a forecast made before its period ends: --period all (no period) is a usage error, a
    period over by today (what it would store is what was won: a perfect "forecast") is refused."""
    if period == ALL_TIME:
        raise InvalidValue("--period", "all", "is every date, not a period to forecast (e.g. this-quarter,"
                                              " 2026-Q4, 2026-11)")
    if period.end <= today:
        last = (period.end - timedelta(days=1)).isoformat()
        raise RuleValue("--period", period.label, f"ended on {last}: a snapshot records a forecast made before"
                                                  " its period ends")


def _left_out(snap: Row) -> str | None:
    """Why a stored snapshot is no forecast (taken of all dates, or after its period ended: older versions
    stored them), or None."""
    if (snap["period_start"], snap["period_end"]) == (ALL_TIME.start.isoformat(), ALL_TIME.end.isoformat()):
        return "all dates"
    if snap["taken_at"][:10] >= snap["period_end"]:
        return "after"
    return None


def take_snapshot(ctx: ReportContext) -> dict[str, Any]:
    """Store the forecast of ctx's period and scope as of today; returns what was stored."""
    from salescli.services.reports import forecast

    check_snapshot_period(ctx.period, ctx.today)
    repo = ctx.repo
    # Figured inside the write transaction: a snapshot that waited for an import to commit stores the
    # figures of the database it is written into, not those from before the wait.
    with repo.write():
        report = forecast.build(ctx)
        figures = {k: report.summary.get(k) for k in STORED}
        stored = {k: None if v is None else str(v) for k, v in figures.items()}
        stored["currency"] = ctx.base
        stored["as_of"] = ctx.as_of.isoformat()
        values = {
            "taken_at": repo.now(),
            "period_label": ctx.period.label,
            "period_start": ctx.start,
            "period_end": ctx.end,
            "scope": scope_key(ctx),
            **_scope_of(ctx),
            "figures": json.dumps(stored, sort_keys=True),
        }
        # one snapshot a day per period and scope: a cron retry (or a second run) replaces the day's
        # snapshot instead of counting the day twice in forecast-accuracy's averages
        earlier = repo.snapshot_of_day(str(values["taken_at"])[:10], ctx.start, ctx.end, _scope_of(ctx))
        if earlier is not None:
            snapshot_id = earlier["id"]
            repo.change_record("forecast_snapshots", "forecast_snapshot", snapshot_id, values)
        else:
            snapshot_id = repo.create_record("forecast_snapshots", "forecast_snapshot", values)
    return {"id": snapshot_id, "replaced": earlier is not None, "taken_at": values["taken_at"],
            "period": ctx.period.label, "scope": values["scope"], **figures, "currency": ctx.base,
            "missing_rates": report.missing_rates}


def snapshot_views(repo: Repository, today: date, period: str | None = None) -> list[dict[str, Any]]:
    """The stored snapshots as `forecast list` shows them (of periods overlapping `period` when given)."""
    span = None if period is None else parse_report_period(period, today, repo.settings())
    out = []
    for snap in repo.snapshot_rows():
        if span is not None and not (snap["period_start"] < span.end.isoformat()
                                     and snap["period_end"] > span.start.isoformat()):
            continue
        figures = json.loads(snap["figures"])
        out.append({"id": snap["id"], "taken_on": snap["taken_at"][:10], "period": snap["period_label"],
                    "scope": snap["scope"], **{k: _dec(figures.get(k)) for k in STORED},
                    "currency": figures.get("currency")})
    return out


def snapshot_columns() -> list[Any]:
    from salescli.render import Column

    return [Column("id", justify="right"), Column("taken_on", "taken"), Column("period"), Column("scope", drop=1),
            *(col(k, k.replace("_", " "), "money", in_table=k in ("won", "commit", "weighted")) for k in STORED),
            Column("currency", drop=2)]


def remove_snapshot(repo: Repository, snapshot_id: int) -> None:
    with repo.write():
        repo.delete_record("forecast_snapshots", "forecast_snapshot", snapshot_id)


def _dec(value: Any) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def _actual_won(ctx: ReportContext, snap: Row, cache: dict[tuple[str, str, str], tuple[Decimal | None, bool]],
                notes: list[str]) -> tuple[Decimal | None, bool]:
    """What was won in the snapshot's period and scope, as known today (None when its owner or team is no
    longer there to measure); and whether the period is over."""
    key = (snap["period_start"], snap["period_end"], snap["scope"])
    if key not in cache:
        period = Period(date.fromisoformat(snap["period_start"]), date.fromisoformat(snap["period_end"]),
                        snap["period_label"])
        try:
            sub = resolve(ctx.repo, ctx.today, period_value=period, pipeline=snap["pipeline"], owner=snap["owner"],
                          team=snap["team"])
        except NotFound as exc:
            cache[key] = (None, period.end <= ctx.today)
            notes.append(f"snapshots of {snap['scope']} have no actual: {exc.message.split(';')[0]}")
            return cache[key]
        sub.missing = ctx.missing
        rows = ctx.repo.closed_in_period(sub.filter, "all", start=sub.start, end=sub.events_end, upto=sub.upto)
        cache[key] = (sub.to_base(per_currency(rows, "won_amount")), period.end <= ctx.today)
    return cache[key]


def build(ctx: ReportContext) -> Report:
    rows: list[dict[str, Any]] = []
    cache: dict[tuple[str, str, str], tuple[Decimal | None, bool]] = {}
    notes: list[str] = []
    errors: dict[str, list[Decimal]] = {"commit": [], "weighted": [], "historical": []}
    left_out = {"after": 0, "all dates": 0}
    other_scopes: dict[str, int] = {}  # (the company's forecast is not averaged with one rep's or one team's)
    for snap in ctx.repo.snapshot_rows():
        if not (snap["period_start"] < ctx.end and snap["period_end"] > ctx.start):
            continue
        if snap["taken_at"][:10] > ctx.today.isoformat():
            continue  # taken after the report's day: a re-run for that day reads as it did then
        if not _same_scope(snap, _scope_of(ctx)):
            other_scopes[snap["scope"]] = other_scopes.get(snap["scope"], 0) + 1
            continue
        reason = _left_out(snap)
        if reason is not None:
            left_out[reason] += 1
            continue
        figures = json.loads(snap["figures"])
        won = _dec(figures.get("won")) or Decimal(0)
        forecasts = {
            "commit": won + (_dec(figures.get("commit")) or 0),
            "weighted": won + (_dec(figures.get("weighted")) or 0),
            "historical": won + (_dec(figures.get("historical")) or 0),
        }
        actual, over = _actual_won(ctx, snap, cache, notes)
        row: dict[str, Any] = {
            "id": snap["id"], "taken_on": snap["taken_at"][:10], "period": snap["period_label"],
            "scope": snap["scope"], "period_over": over,
            # days after the snapshot's own day (which pacing counts as passed); period_end is exclusive
            "days_left": max((date.fromisoformat(snap["period_end"]) - date.fromisoformat(snap["taken_at"][:10])).days
                             - 1, 0),
            "won_then": won, "actual": actual,
        }
        for method, value in forecasts.items():
            err = None if actual is None else value - actual
            row[f"forecast_{method}"] = value
            row[f"error_{method}"] = err
            row[f"error_pct_{method}"] = ratio(err, actual) if actual else None
            if over and actual and err is not None:
                errors[method].append(abs(err) / actual)
        rows.append(row)
    for reason, n in left_out.items():
        if n:
            what = ("of all dates left out: all dates is no period to forecast" if reason == "all dates" else
                    f"taken after {'its' if n == 1 else 'their'} period ended left out: a forecast is made"
                    " before its period ends")
            notes.append(f"{n} snapshot{'s' if n != 1 else ''} {what}")
    if other_scopes:
        n = sum(other_scopes.values())
        listed = ", ".join(sorted(other_scopes)[:5]) + (f" and {len(other_scopes) - 5} more" if len(other_scopes) > 5
                                                        else "")
        notes.append(f"{n} snapshot{'s' if n != 1 else ''} of {listed} left out: each scope is measured on its own"
                     " (--pipeline, --owner or --team reports it)")
    mape = {f"mape_{m}": (sum(v, Decimal(0)) / len(v)).quantize(Decimal("0.0001")) if v else None
            for m, v in errors.items()}
    summary = {"snapshots": len(rows), "complete": sum(1 for r in rows if r["period_over"]), **mape,
               "currency": ctx.base}
    columns = [
        col("id", "id", "count", in_table=False), col("taken_on", "taken"), col("period"),
        col("scope", in_table=False), col("period_over", in_table=False), col("days_left", "days left", "count"),
        col("won_then", "won then", "money", in_table=False),
        col("forecast_commit", "won+commit", "money", drop=2), col("forecast_weighted", "won+wtd", "money"),
        col("forecast_historical", "won+hist", "money", drop=1), col("actual", "actual", "money"),
        col("error_commit", in_table=False), col("error_pct_commit", "err c", "rate", drop=2),
        col("error_weighted", in_table=False), col("error_pct_weighted", "err w", "rate"),
        col("error_historical", in_table=False), col("error_pct_historical", "err h", "rate", drop=1),
    ]
    period_text = "all periods" if ctx.period == ALL_TIME else ctx.period.label
    report = Report(
        name="forecast-accuracy",
        title=f"Forecast accuracy — {period_text}" + (f" ({ctx.scope_label()})" if ctx.scope_label() else ""),
        meta=ctx.meta("forecast-accuracy", None),
        summary=summary,
        figures=[Figure("snapshots", "snapshots"), Figure("complete", "periods over"),
                 Figure("mape_commit", "mean |error| won+commit", "rate"),
                 Figure("mape_weighted", "mean |error| won+weighted", "rate"),
                 Figure("mape_historical", "mean |error| won+historical", "rate")],
        sections=[Section("snapshots", "Snapshots against what was won (actual: as known today)", columns, rows,
                          empty="no forecast snapshots (take one weekly: salescli forecast snapshot)")],
        metrics={"snapshots": len(rows), **mape},
        csv_section="snapshots",
        notes=notes,
    )
    return report.finish(ctx)
