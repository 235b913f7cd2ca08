"""What every report shares: its scope and period, money in the base currency, the Report shape, --fail-if.

A report is built in two steps: `Scope.resolve(...)` turns what the person typed (period, pipeline,
owner, team, as-of date) into a ReportContext; a report module's `build(ctx, ...)` runs its
aggregate queries (repository/metrics.py) and returns a Report — summary figures, sections of rows,
charts, and the metrics `--fail-if` can test. Rendering is salescli/render_report.py.

Figures follow DESIGN.md "Figures, defined once": rates and attainment are fractions; money is
converted to the base currency with the rates in force on the report's day, and a currency without
a rate is named (`missing_rates`), never summed.
"""

from __future__ import annotations

import operator
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from salescli.errors import InvalidValue, NotFound, UsageError
from salescli.render import Column
from salescli.repository.metrics import DealFilter
from salescli.services.targets import Scope
from salescli.values import Period

if TYPE_CHECKING:
    from salescli.repository import Repository
    from salescli.repository.base import Row

ALL_TIME = Period(date(1900, 1, 1), date(2201, 1, 1), "all dates")  # JSON: label "all" (period_json)
NONE_LABEL = "(none)"
TARGETED = ("owner", "team")  # the --by groups a target can be set for


# -- context ---------------------------------------------------------------------------------
@dataclass
class ReportContext:
    """A report's resolved inputs: the database, its day, period, filters, currency and rates."""

    repo: Repository
    today: date
    period: Period
    as_of: date  # the day the report describes (today unless --as-of)
    filter: DealFilter
    scope: Scope
    pipeline: str | None
    base: str
    rates: dict[str, Decimal]
    stale_days: int
    settings: dict[str, str]
    missing: set[str] = field(default_factory=set)
    converted: set[str] = field(default_factory=set)  # currencies whose amounts a total converted

    @property
    def historical(self) -> bool:
        """Whether the report describes a past day (from stage history)."""
        return self.as_of < self.today

    @property
    def as_of_sql(self) -> str | None:
        return self.as_of.isoformat() if self.historical else None

    @property
    def upto(self) -> str:
        """The end of the report's day: what is dated after it has not happened yet on that day (a deal won
        after a pinned --today is not counted, so the report reads the same when run again later)."""
        return (self.as_of + timedelta(days=1)).isoformat()

    @property
    def events_end(self) -> str:
        """Where the period's events (wins, losses, activities, stage moves) stop: its end, or the end of
        the report's day when that comes first."""
        return min(self.end, self.upto)

    @property
    def start(self) -> str:
        return self.period.start.isoformat()

    @property
    def end(self) -> str:
        return self.period.end.isoformat()

    def to_base(self, per_currency: dict[str, int], scale: int = 1, *, exact: bool = False) -> Decimal:
        """Sum per-currency integer amounts (minor units x scale) into the base currency, rounded once to
        its minor unit (unrounded with `exact`, for a ratio); currencies without a rate are left out and
        remembered in `missing`."""
        from salescli.services.money import exact_total, quantize

        total, missing = exact_total(per_currency, self.base, self.rates, scale)
        self.missing.update(missing)
        self.converted.update(c for c, v in per_currency.items() if v and c != self.base and c in self.rates)
        return total if exact else quantize(total, self.base)

    def priced(self, rows: Iterable[Row], column: str) -> int:
        """Sum of a count column over the rows whose currency converts to the base: the divisor of an
        average amount, so deals left out of the total for want of a rate are left out of it too."""
        return sum(int(r[column] or 0) for r in rows if r["currency"] == self.base or r["currency"] in self.rates)

    def fx_scale(self) -> dict[str, float]:
        """currency -> factor from its minor units to the base's (approximate; for ordering in SQL)."""
        from salescli.services.money import minor_unit_factors

        return minor_unit_factors(self.base, self.rates)

    def meta(self, name: str, by: str | None = None, **extra: Any) -> dict[str, Any]:
        """The keys every report's JSON starts with."""
        return {
            "report": name,
            "period": period_json(self.period),
            "as_of": self.as_of.isoformat(),
            "base_currency": self.base,
            # the rates every amount was converted with: those in force on as_of (1 CURRENCY = rate base)
            "rates": dict(sorted(self.rates.items())),
            "filters": {"pipeline": self.pipeline, "owner": self.scope.owner, "team": self.scope.team},
            "by": by,
            **extra,
        }

    def scope_label(self) -> str:
        parts = []
        if self.pipeline:
            parts.append(f"pipeline {self.pipeline}")
        if self.scope.owner:
            parts.append(f"owner {self.scope.owner}")
        if self.scope.team:
            parts.append(f"team {self.scope.team}")
        return ", ".join(parts)


def period_json(period: Period) -> dict[str, str | None]:
    """A period in JSON: its label, first and last day (inclusive); no dates for --period all."""
    if period == ALL_TIME:
        return {"label": "all", "start": None, "end": None}
    return {"label": period.label, "start": period.start.isoformat(),
            "end": (period.end - timedelta(days=1)).isoformat()}


def parse_report_period(text: str | None, today: date, settings: dict[str, str], option: str = "--period") -> Period:
    """A report period: default this (fiscal) quarter; 'all' for every date."""
    from salescli.services.config import period_settings
    from salescli.values import parse_period

    if text is not None and text.strip().lower() == "all":
        return ALL_TIME
    try:
        # (an empty --period "" is refused by parse_period: a script's unset $PERIOD is no default)
        return parse_period("this-quarter" if text is None else text, today, *period_settings(settings))
    except InvalidValue as exc:
        raise exc.with_field(option) from None


def resolve(
    repo: Repository,
    today: date,
    *,
    period: str | None = None,
    pipeline: str | None = None,
    owner: str | None = None,
    team: str | None = None,
    as_of: date | None = None,
    period_value: Period | None = None,
) -> ReportContext:
    """Turn typed options into a ReportContext; unknown pipeline, owner or team is exit 3."""
    from salescli.services.money import rates_on

    settings = repo.settings()
    day = today
    if as_of is not None:
        if as_of > today:
            raise InvalidValue("--as-of", as_of.isoformat(), f"is after today ({today.isoformat()}); history only"
                                                             " goes back")
        day = as_of
    chosen = period_value or parse_report_period(period, day, settings)
    if owner and team:
        raise UsageError("--owner and --team cannot be combined (a team report covers its owners)")
    pipeline_id = None
    pipeline_name = None
    if pipeline:
        row = repo.pipeline_named(pipeline)
        if row is None:
            raise NotFound(f'no pipeline named "{pipeline}"', hint="see `salescli pipeline list`")
        pipeline_id, pipeline_name = int(row["id"]), str(row["name"])
    owner_name = None
    if owner:
        from salescli.services.refs import known_user

        owner_name = known_user(repo, owner)
    team_name = None
    if team:
        if not repo.team_exists(team):
            raise NotFound(f'no team named "{team}"', hint="set one with `salescli user edit NAME --team TEAM`")
        team_name = repo.team_spelling(team.strip())  # (as its users spell it, found in any case of any script)
    from salescli.services.config import stale_days as default_stale_days

    stale_days = default_stale_days(settings)
    return ReportContext(
        repo=repo,
        today=today,
        period=chosen,
        as_of=day,
        filter=DealFilter(pipeline_id=pipeline_id, owner=owner_name, team=team_name),
        scope=Scope(owner=owner_name, team=team_name),
        pipeline=pipeline_name,
        base=settings["base_currency"],
        rates=rates_on(repo, day),
        stale_days=stale_days,
        settings=settings,
    )


def check_by(by: str | None, allowed: tuple[str, ...], default: str | None,
             hints: dict[str, str] | None = None) -> str | None:
    """--by from its allow-list (the first entry names the default); hints: what to do instead of a group
    the report has not."""
    if by is None:
        return default
    key = by.strip().lower()
    if key not in allowed:
        err = InvalidValue("--by", by, f"is not one of {', '.join(allowed)}")
        err.hint = (hints or {}).get(key)
        raise err
    return key


# -- the report ------------------------------------------------------------------------------
@dataclass
class Figure:
    """A summary figure: its JSON key, its label in a table, and how it is shown (money, rate, ...)."""

    key: str
    label: str
    kind: str = "count"  # money | rate | ratio | count | days | text


@dataclass
class Section:
    """A table of the report: its JSON key, title, columns and rows (rows may stream)."""

    key: str
    title: str
    columns: list[Column]
    rows: Iterable[dict[str, Any]]
    empty: str = "none"
    total: int | None = None  # rows in all (when rows stream and a table shows only the first ones)
    table_limit: int | None = 100
    footer: dict[str, Any] | None = None  # a totals row under the table (json has it in "summary")
    in_json: bool = True  # False: a display of figures json already has in "summary"
    hide_empty: bool = False  # an empty section is left out of tables, markdown and html (json keeps [])
    limited: bool = True  # False: every row, always (a summary, a row per group: --limit never cuts it)


@dataclass
class Chart:
    """A bar chart: (label, value) bars, in a unit (a currency code, 'deals', '%')."""

    title: str
    unit: str
    bars: list[tuple[str, float]]
    kind: str = "money"  # how values are written beside the bars: money | count | rate


@dataclass
class Report:
    name: str
    title: str
    meta: dict[str, Any]
    summary: dict[str, Any]
    figures: list[Figure]
    sections: list[Section]
    charts: list[Chart] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    csv_section: str | None = None
    missing_rates: list[str] = field(default_factory=list)

    def finish(self, ctx: ReportContext) -> Report:
        """Name the currencies left out of the totals for want of a rate; every figure of the summary is
        a --fail-if metric (unless the report gives it another value)."""
        for key, value in self.summary.items():
            self.metrics.setdefault(key, value)
        self.missing_rates = sorted(ctx.missing)
        from salescli.services.money import missing_rate_note, rate_text

        self.notes.extend(missing_rate_note(ctx.repo, cur, ctx.as_of) for cur in self.missing_rates)
        if ctx.converted:  # which day's rates a total used: a closed quarter's figures move with later rates

            used = ", ".join(f"1 {c} = {rate_text(ctx.rates[c])} {ctx.base}" for c in sorted(ctx.converted))
            self.notes.append(f"converted at the rates in force on {ctx.as_of.isoformat()}: {used}")
        return self


# -- cells -----------------------------------------------------------------------------------
def _half_up(value: Decimal, places: int) -> Decimal:
    """Rounded as people round (1.025 -> 1.03, 12.5% -> 13%), not to even as Decimal's format does."""
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def money_cell(value: Any, row: dict[str, Any] | None = None) -> str:
    """Money in a table: whole units with thousands separators, millions as 1.15M (billions B, trillions T)
    so that a table keeps to 80 columns (exact values are in json/csv)."""
    if value is None or value == "":
        return "–"
    amount = Decimal(value)
    if abs(amount) >= 1_000_000_000_000:
        return f"{_half_up(amount / 1_000_000_000_000, 2):,}T"
    if abs(amount) >= 1_000_000_000:
        return f"{_half_up(amount / 1_000_000_000, 2)}B"
    if abs(amount) >= 1_000_000:
        return f"{_half_up(amount / 1_000_000, 2)}M"
    return f"{_half_up(amount, 0):,}"


def rate_cell(value: Any, row: dict[str, Any] | None = None) -> str:
    if value is None:
        return "–"
    return f"{_half_up(Decimal(str(value)) * 100, 0)}%"


def ratio_cell(value: Any, row: dict[str, Any] | None = None) -> str:
    if value is None:
        return "–"
    return f"{_half_up(Decimal(str(value)), 2)}x"


def days_cell(value: Any, row: dict[str, Any] | None = None) -> str:
    if value is None:
        return "–"
    return f"{_half_up(Decimal(str(value)), 1)}"


def count_cell(value: Any, row: dict[str, Any] | None = None) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal) and value != value.to_integral_value():
        return f"{value:,.2f}"  # (a count target's part of a longer one: 0.75 deals a quarter)
    return f"{int(value):,}"


def priced_cell(value: Any, row: dict[str, Any] | None = None) -> str:
    """A deal's own amount with its currency (lists of deals in several currencies)."""
    if value is None or value == "":
        return "–"
    return f"{money_cell(value)} {(row or {}).get('currency') or ''}".rstrip()


def id_cell(value: Any, row: dict[str, Any] | None = None) -> str:
    return "" if value is None else str(value)


def gap_cell(value: Any, row: dict[str, Any] | None = None) -> str:
    """A gap to target: what is still short, or by how much the target is beaten (a negative gap)."""
    if value is None or value == "":
        return "–"
    amount = Decimal(value)
    return f"{money_cell(-amount)} over" if amount < 0 else money_cell(amount)


def exact_money_cell(value: Any, row: dict[str, Any] | None = None) -> str:
    """An amount in its own currency's decimals (1.50 BTC, 13.734 KWD), where whole units would hide it."""
    return "–" if value is None or value == "" else f"{Decimal(value):,}"


CELLS: dict[str, Callable[[Any, dict[str, Any] | None], str]] = {
    "money": money_cell, "exact_money": exact_money_cell, "rate": rate_cell, "ratio": ratio_cell, "days": days_cell,
    "count": count_cell, "priced": priced_cell, "id": id_cell, "gap": gap_cell,
}


def short(key: str, header: str | None = None, width: int = 28) -> Column:
    """A free-text column cut to `width` characters in terminal tables (json/csv/markdown/html keep the
    whole text)."""
    return Column(key, header, cut=width)


def col(key: str, header: str | None = None, kind: str = "text", *, in_table: bool = True, drop: int = 0,
        comfortable: int | None = None) -> Column:
    """A report column: numbers right-aligned and shown by kind in tables (json/csv keep exact values); drop: the
    rank it is left out in on a narrow terminal, comfortable: how far its text is cut first (see Column)."""
    return Column(key, header, justify="left" if kind == "text" else "right", show=CELLS.get(kind),
                  in_table=in_table, drop=drop, comfortable=comfortable)


#: A stage's name whole ("Qualification", "Needs Analysis") before a report's lesser columns: on a narrow
#: terminal those go first.
STAGE_WIDTH = 14


# -- arithmetic ------------------------------------------------------------------------------
def ratio(numerator: Any, denominator: Any, places: int = 4) -> Decimal | None:
    """numerator / denominator as a Decimal fraction rounded to `places`; None when undefined."""
    if numerator is None or denominator is None:
        return None
    d = Decimal(str(denominator))
    if d == 0:
        return None
    return _half_up(Decimal(str(numerator)) / d, places)


def days(value: float | None) -> Decimal | None:
    """Days (julianday differences) to one decimal."""
    return None if value is None else Decimal(str(round(value, 1)))


def grouped(rows: Iterable[Row], key: str = "grp") -> dict[Any, list[Row]]:
    out: dict[Any, list[Row]] = defaultdict(list)
    for row in rows:
        out[row[key]].append(row)
    return out


def per_currency(rows: Iterable[Row], column: str) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for row in rows:
        out[row["currency"]] += int(row[column] or 0)
    return dict(out)


def group_label(by: str, key: Any, ctx: ReportContext) -> str:
    """How a group key reads: a pipeline's name for its id; '(none)' for a blank owner, team, source..."""
    if key in (None, ""):
        return "(no team)" if by == "team" else NONE_LABEL
    if by == "pipeline":
        return ctx.repo.pipeline_names().get(key, str(key))
    return str(key)


def target_units(by: str, target_rows: list[Row], teams: dict[str, str | None], scope: Scope) -> set[str]:
    """Owners (by owner) or teams (by team) that have a target in view: they get a row even without deals."""
    team_of = {name.lower(): team for name, team in teams.items()}
    out: set[str] = set()
    for t in target_rows:
        if by == "owner" and t["scope"] == "owner":
            name = t["name"]
            if scope.owner and name.lower() != scope.owner.lower():
                continue
            if scope.team and (team_of.get(name.lower()) or "").lower() != scope.team.lower():
                continue
            out.add(name)
        elif by == "team" and not scope.owner:
            team = t["name"] if t["scope"] == "team" else team_of.get(t["name"].lower())
            if team and (not scope.team or team.lower() == scope.team.lower()):
                out.add(team)
            elif not team and not scope.team:
                out.add("")  # (an owner in no team: the "(no team)" row)
    return out


def stage_lookup(ctx: ReportContext) -> dict[int, Row]:
    return {r["id"]: r for r in ctx.repo.stage_table()}


def target_rollup_note(by: str | None, rows: list[dict[str, Any]], total: Decimal | None, base: str) -> str | None:
    """By owner, when the total's target is not the sum of the rows' (a team target stands for its members'), or
    by month (a month's own target counts there, where the period's longer target holds it): say so, or the Total
    row reads as wrong."""
    if by not in ("owner", "month") or total is None:
        return None
    given = [r["target"] for r in rows if r.get("target") is not None]
    added = sum(given, Decimal(0))
    if not given or added == total:
        return None
    if by == "month":
        return (f"the total's target, {total:,.2f} {base}, is the period's own (a longer target holds the shorter"
                f" ones inside it); the months count their own targets where one is set and add up to {added:,.2f}")
    return (f"the total's target, {total:,.2f} {base}, counts a team's target instead of its members' on the days"
            f" one is set (the owners' targets add up to {added:,.2f})")


# A total target compared with everyone's figure: (metric, its target's key, the figure, in words)
TARGETED_FIGURES = (("won_amount", "target", "won_amount", "won amount"),
                    ("deals_won", "deals_won_target", "won", "deals won"),
                    ("activities", "activities_target", "activities", "activities"))


def report_targets(ctx: ReportContext, metric: str | None = None) -> list[Row]:
    """The targets overlapping the report's period; none for a report of one pipeline (a target is an owner's or a
    team's, over every pipeline: set against one pipeline's figures it would read as a shortfall)."""
    if ctx.pipeline:
        return []
    return ctx.repo.targets_overlapping(ctx.start, ctx.end, metric)


def pipeline_target_note(ctx: ReportContext) -> list[str]:
    if ctx.pipeline and ctx.repo.targets_overlapping(ctx.start, ctx.end, None):
        return [f"no target shown for pipeline {ctx.pipeline}: targets are an owner's or a team's, over every"
                " pipeline"]
    return []


def uncovered_target_notes(ctx: ReportContext, totals: dict[str, Any], target_rows: list[Row],
                           teams: dict[str, str | None], targeted: Iterable[tuple[str, str, str, str]],
                           end: str | None = None) -> list[str]:
    """A total target set for some owners only is compared with everyone's figure (the documented roll-up):
    say whose figures it counts without a target, or 27 activities against one rep's 30 reads as 90%.
    targeted: (metric, the target's key in totals, the figure's key, in words), as TARGETED_FIGURES; end: where
    the totals' closed deals stop (the forecast counts wins up to its day)."""
    from salescli.values import currency_decimals

    wanted = [t for t in targeted if totals.get(t[1]) is not None]
    if not wanted:
        return []
    repo, f = ctx.repo, ctx.filter
    closed = grouped(repo.closed_in_period(f, "owner", start=ctx.start, end=end or ctx.events_end, upto=ctx.upto))
    acts = grouped(repo.activity_counts(f, "owner", start=ctx.start, end=end or ctx.events_end)) \
        if any(t[2] == "activities" for t in wanted) else {}  # (forecast and weekly need only the wins)
    per_owner = {o: {"won_amount": ctx.to_base(per_currency(closed.get(o, []), "won_amount")),
                     "won": sum(r["won"] or 0 for r in closed.get(o, [])),
                     "activities": sum(r["n"] for r in acts.get(o, []))} for o in {*closed, *acts} if o}
    team_of = {name.lower(): team for name, team in teams.items()}
    notes = []
    for metric, _target, key, words in wanted:
        units = {(r["scope"], r["name"].lower()) for r in target_rows if r["metric"] == metric}
        bare = sorted(o for o, got in per_owner.items() if got[key] and ("owner", o.lower()) not in units
                      and ("team", (team_of.get(o.lower()) or "").lower()) not in units)
        if not bare:
            continue
        theirs = sum((per_owner[o][key] for o in bare), Decimal(0) if key == "won_amount" else 0)
        shown, whole = (f"{n:,.{currency_decimals(ctx.base)}f} {ctx.base}" if key == "won_amount" else f"{n:,}"
                        for n in (theirs, totals[key]))
        listed = bare[:5] + ([f"{len(bare) - 5} more"] if len(bare) > 5 else [])
        names = listed[0] if len(listed) == 1 else ", ".join(listed[:-1]) + " and " + listed[-1]
        notes.append(f"{names} {'has' if len(bare) == 1 else 'have'} no {words} target, yet {shown} of the"
                     f" {whole} {words} are theirs and count against the total's target")
    return notes


# -- --fail-if -------------------------------------------------------------------------------
_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "<=": operator.le, ">=": operator.ge, "==": operator.eq, "!=": operator.ne,
    "<": operator.lt, ">": operator.gt, "=": operator.eq,
}
_CONDITION_RE = re.compile(r"\s*([a-z_]+)\s*(<=|>=|==|!=|<|>|=)\s*(-?[0-9]+(?:\.[0-9]+)?)\s*(%|k|m|bn|b)?\s*")
_SCALE = {"%": Decimal("0.01"), "k": Decimal(1000), "m": Decimal(1_000_000), "b": Decimal(10**9), "bn": Decimal(10**9)}


@dataclass(frozen=True)
class Condition:
    text: str
    metric: str
    op: str
    value: Decimal

    def holds(self, actual: float | Decimal | None) -> bool:
        if actual is None:
            return False
        return _OPS[self.op](Decimal(str(actual)), self.value)


def parse_conditions(texts: list[str] | None, metrics: dict[str, str]) -> list[Condition]:
    """--fail-if "stale>5" / "coverage<3" / "attainment<50%" / "weighted<100k": a metric of this report, an
    operator, a number (k, m, bn as amounts are typed).

    A malformed condition or a metric the report does not have is a usage error (exit 2).
    """
    out: list[Condition] = []
    for text in texts or []:
        m = _CONDITION_RE.fullmatch(text.lower())
        if not m:
            example = f'"{next(iter(metrics), "metric")}>5"'  # a metric of this report
            raise InvalidValue("--fail-if", text, f"is not a condition (write METRIC<NUMBER, e.g. {example})")
        metric, op, number, unit = m.groups()
        if metric not in metrics:
            raise InvalidValue("--fail-if", text, f"names no metric of this report (metrics: {', '.join(metrics)})")
        value = Decimal(number) * _SCALE[unit] if unit else Decimal(number)
        out.append(Condition(text.strip(), metric, op, value))
    return out


def failed_conditions(report: Report, conditions: list[Condition]) -> list[str]:
    """The conditions that hold, each with the value that made it hold."""
    held = []
    for c in conditions:
        actual = report.metrics.get(c.metric)
        if c.holds(actual):
            held.append(f"{c.text} ({c.metric} = {_plain(actual)})")
    return held


def untested_conditions(report: Report, conditions: list[Condition]) -> list[str]:
    """The conditions whose figure has no value in this report (attainment without a target): a cron job would
    otherwise pass them silently."""
    return [f"--fail-if {c.text}: {c.metric} has no value here (no target, or nothing to divide by), so it was not"
            " tested" for c in conditions if report.metrics.get(c.metric) is None]


def _plain(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)
