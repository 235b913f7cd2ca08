"""Targets (quotas) for an owner or a team, per period and metric, and how a report's period finds them.

A target belongs to one unit (an owner, or a team) and one period. A report asks for the target of
a scope (everyone, one owner, one team) over its own period:

- per unit, a target whose period is exactly the report's is used as is; otherwise the targets that
  lie inside the report's period are summed (only the outermost when they nest: quarters, not also
  their months), and the days none of them covers take the part of a target reaching over the period's
  edge that falls on them (the shortest such target first), in proportion to calendar months, a day
  counting its month's share (an annual target seen from one quarter counts 1/4, from one month 1/12;
  year to date is Q1-Q3's targets and Q4's part so far);
- a team's target is its team targets on the days they cover, and its members' targets on the days
  they leave (a Q2 team target in a year of members' yearly quotas: Q2's, plus 3/4 of the quotas);
- everyone's target is the sum of the teams' targets plus the targets of owners in no team that has one.
"""

from __future__ import annotations

import csv
import io
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from salescli.errors import ImportRejected, InvalidValue, NotFound, RuleError
from salescli.values import Period

if TYPE_CHECKING:
    from salescli.repository import Repository
    from salescli.repository.base import Row

METRICS = ("won_amount", "deals_won", "activities")
TEAM_PREFIX = "team:"
MAX_TARGET_ROWS = 100_000


@dataclass(frozen=True)
class Scope:
    """Whose figures a report shows: everyone (both None), one owner, or one team."""

    owner: str | None = None
    team: str | None = None
    no_team: bool = False  # the owners in no team (a report's "(no team)" row)

    @property
    def key(self) -> str:
        """How a snapshot records the scope: 'all', 'owner:ana', 'team:east'."""
        if self.owner:
            return f"owner:{self.owner}"
        if self.team:
            return f"team:{self.team}"
        return "all"


def parse_metric(text: str, option: str = "--metric") -> str:
    metric = text.strip().lower().replace("-", "_")
    if metric not in METRICS:
        raise InvalidValue(option, text, f"is not one of {', '.join(METRICS)}")
    return metric


def parse_unit(text: str, option: str = "OWNER") -> tuple[str, str]:
    """'ana' -> ('owner', 'ana'); 'team:East' -> ('team', 'East')."""
    s = text.strip()
    if s.lower().startswith(TEAM_PREFIX):
        name = s[len(TEAM_PREFIX):].strip()
        if not name:
            raise InvalidValue(option, text, "names no team (write team:NAME)")
        return "team", name
    if not s:
        raise InvalidValue(option, text, "is empty (an owner name, or team:NAME)")
    return "owner", s


def parse_value(text: str, metric: str, base_currency: str, option: str = "VALUE") -> int:
    """A won_amount is money in the base currency (minor units); the other metrics are counts."""
    from salescli.values import parse_int, parse_money

    try:
        if metric == "won_amount":
            money = parse_money(text, base_currency)
            if money.currency is not None and money.currency != base_currency:
                raise InvalidValue(option, text, f"is in {money.currency}; targets are in the base currency "
                                                 f"{base_currency}")
            return money.minor
        try:
            return parse_int(text, minimum=0, maximum=10**12)
        except InvalidValue as exc:
            if exc.reason != "is not a whole number":
                raise
            what = "deals" if metric == "deals_won" else "activities"
            raise InvalidValue(option, text, f"is not a count: {metric} counts {what}, a whole number such as 12"
                                             " (an amount is --metric won_amount)") from None
    except InvalidValue as exc:
        raise exc.with_field(option) from None


def _parse_period(text: str, today: date, settings: dict[str, str], option: str) -> Period:
    from salescli.services.config import period_settings
    from salescli.values import parse_period

    try:
        return parse_period(text, today, *period_settings(settings))
    except InvalidValue as exc:
        raise exc.with_field(option) from None


def _values(scope: str, name: str, period: Period, metric: str, value: int, base: str) -> dict[str, Any]:
    return {
        "scope": scope,
        "name": name,
        "period_label": period.label,
        "period_start": period.start.isoformat(),
        "period_end": period.end.isoformat(),
        "metric": metric,
        "value": value,
        "currency": base if metric == "won_amount" else None,
    }


def _store(repo: Repository, values: dict[str, Any]) -> tuple[int, str]:
    """Insert the target, or change the value of the same unit/period/metric; (id, "created", "updated" or
    "unchanged")."""
    if values["scope"] == "owner":
        if repo.user_row(values["name"]) is None and repo.team_exists(values["name"]):  # `east` for team:East
            team = next(t for t in repo.teams().values() if t and t.lower() == values["name"].lower())
            raise NotFound(f'no user named "{values["name"]}"; did you mean team:{team}?',
                           hint=f"a team's target: salescli target set team:{team} …")
        repo.ensure_user(values["name"], announce=True)
        values = {**values, "name": repo.user_spelling(values["name"])}
    else:  # a team as its users have it ('east' for East); one a slip from a known team is a typo
        from salescli.values import typo_of

        teams = sorted({t for t in repo.teams().values() if t})
        spelled = next((t for t in teams if t.lower() == values["name"].lower()), None)
        if spelled is None and (meant := typo_of(values["name"], teams)) is not None:
            raise NotFound(f'no team named "{values["name"]}"; did you mean {meant}?',
                           hint=f"a team is made by its users: salescli user edit NAME --team {values['name']}")
        values = {**values, "name": spelled or values["name"]}
    existing = repo.target_like(values["scope"], values["name"], values["period_start"], values["period_end"],
                                values["metric"])
    if existing is None:
        return repo.create_record("targets", "target", {**values, "created_at": repo.now()}), "created"
    changed = repo.change_record("targets", "target", existing["id"], {"value": values["value"],
                                                                       "currency": values["currency"]})
    return int(existing["id"]), "updated" if changed else "unchanged"


def set_target(repo: Repository, unit: str, period_text: str, value_text: str, metric: str,
               today: date) -> tuple[Row, str]:
    """`target set`: one target, replacing the value of the same owner/team, period and metric; with what
    happened ("created", "updated", "unchanged")."""
    metric = parse_metric(metric)
    scope, name = parse_unit(unit)
    settings = repo.settings()
    period = _parse_period(period_text, today, settings, "PERIOD")
    value = parse_value(value_text, metric, settings["base_currency"])
    with repo.write():
        target_id, state = _store(repo, _values(scope, name, period, metric, value, settings["base_currency"]))
    if scope == "team" and not repo.team_exists(name):
        repo.notices.append(f"no user is in team {name} yet (salescli user edit NAME --team {name})")
    row = repo.one("SELECT * FROM targets WHERE id = ?", (target_id,))
    assert row is not None
    _note_overlaps(repo, row)
    return row, state


def _note_overlaps(repo: Repository, row: Row) -> None:
    """Targets of one unit and metric that overlap without one holding the other (Q4 and 11-15..12-15): where
    both cover a day, a report counts the shorter one's part; say so, as that is rarely what was meant."""
    for other in repo.targets_overlapping(row["period_start"], row["period_end"], row["metric"]):
        if other["id"] == row["id"] or other["scope"] != row["scope"] or other["name"].casefold() != row[
                "name"].casefold():
            continue
        inside = other["period_start"] >= row["period_start"] and other["period_end"] <= row["period_end"]
        holds = other["period_start"] <= row["period_start"] and other["period_end"] >= row["period_end"]
        if not (inside or holds):
            repo.notices.append(f"note: it overlaps target {other['id']} ({other['period_label']}) without one"
                                " holding the other: where both cover a day, reports count the shorter one")


def remove_target(repo: Repository, target_id: int) -> None:
    with repo.write():
        repo.delete_record("targets", "target", target_id)


# Columns `target list -f csv` writes besides owner, period, value and metric: its output imports back
# (team fills an empty owner; the figures are the database's own, not read).
LISTED_ONLY = ("id", "team", "period_start", "period_end", "currency", "actual", "attainment", "missing_rates")


def read_target_file(path: Path) -> list[dict[str, str]]:
    """The rows of a targets CSV (owner, period, value[, metric]; separated by , ; TAB or |; "-" reads stdin) with
    their line numbers; refuses bad files."""
    name = path.name if str(path) != "-" else "<stdin>"
    try:
        raw = sys.stdin.buffer.read() if str(path) == "-" else path.read_bytes()
    except OSError as exc:
        raise ImportRejected(f"{path}: cannot be read ({exc.strerror})") from None
    if b"\x00" in raw[:8192]:
        raise ImportRejected(f"{name}: is a binary file, not CSV")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:  # the same words as `import`: the line and the byte at fault
        line = raw.count(b"\n", 0, exc.start) + 1
        byte = raw[exc.start:exc.start + 1].hex().upper()
        raise ImportRejected(f"{name}:{line}: is not UTF-8 (byte 0x{byte})", hint="save it as CSV UTF-8") from None
    from salescli.importers.reading import sniff_delimiter  # (as `import` finds a spreadsheet's delimiter)

    delimiter = sniff_delimiter(text.split("\n", 1)[0]) or ","
    reader = csv.reader(io.StringIO(text, newline=""), strict=True, delimiter=delimiter)
    try:
        header = next(reader, None)
        if header is None:
            raise ImportRejected(f"{name}: is empty")
        columns = [h.strip().lower() for h in header]
        for needed in ("owner", "period", "value"):
            if needed not in columns:
                raise ImportRejected(f"{name}: has no {needed} column (columns: owner, period, value, metric)")
        if len(set(columns)) != len(columns):
            raise ImportRejected(f"{name}: repeats a column name in its header")
        unknown = [c for c in columns if c not in ("owner", "period", "value", "metric", *LISTED_ONLY)]
        if unknown:
            raise ImportRejected(f"{name}: unknown column {unknown[0]} (columns: owner, period, value, metric)")
        rows: list[dict[str, str]] = []
        for cells in reader:
            line = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(columns):
                raise ImportRejected(f"{name}:{line}: has {len(cells)} fields, the header has {len(columns)}")
            row = dict(zip(columns, (c.strip() for c in cells), strict=True))
            if not row["owner"] and row.get("team"):  # a team's row of `target list -f csv`
                row["owner"] = f"team:{row['team']}"
            rows.append({**row, "_line": str(line)})
            if len(rows) > MAX_TARGET_ROWS:
                raise ImportRejected(f"{name}: more than {MAX_TARGET_ROWS} rows")
    except csv.Error as exc:
        raise ImportRejected(f"{name}:{reader.line_num}: {exc}") from None
    return rows


class _DryRun(Exception):
    """Raised inside the write of a dry run: what it did is rolled back."""


class TargetsRejected(ImportRejected):
    """A targets file with refused rows: the first is the error; every one is in `errors` (line, message)."""

    def __init__(self, errors: list[tuple[str, ImportRejected]]) -> None:
        first = errors[0][1]
        lines = ", ".join(line for line, _ in errors[:20]) + (" …" if len(errors) > 20 else "")
        hint = first.hint if len(errors) == 1 else (f"{len(errors)} rows were refused (lines {lines}); nothing was"
                                                    " imported")
        super().__init__(first.message, hint=hint)
        self.errors = [{"line": int(line), "error": exc.message} for line, exc in errors]


def import_targets(repo: Repository, path: Path, today: date, *, dry_run: bool = False) -> dict[str, int]:
    """`target import FILE`: every row valid, or nothing written (exit 4 naming the line; every refused row in
    the error's hint and `errors`). A dry run checks and counts every row as the import would (a new owner, a
    team slip), then writes nothing."""
    rows = read_target_file(path)
    settings = repo.settings()
    planned: list[dict[str, Any]] = []
    refused: list[tuple[str, ImportRejected]] = []
    seen: dict[tuple[str, str, str, str, str], str] = {}
    for row in rows:
        try:
            planned.append(_planned_target(row, path.name, today, settings, seen))
        except ImportRejected as exc:
            refused.append((str(row["_line"]), exc))
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    try:
        with repo.write():
            for values in planned:
                where = values.pop("_where")
                try:
                    counts[_store(repo, values)[1]] += 1
                except (NotFound, RuleError) as exc:  # an owner that reads like a known user's typo, or one who left
                    refused.append((where.rsplit(":", 1)[1], ImportRejected(f"{where}: {exc.message}",
                                                                            hint=exc.hint)))
            if refused:
                refused.sort(key=lambda r: int(r[0]))
                raise TargetsRejected(refused)
            if dry_run:
                raise _DryRun()
    except (_DryRun, TargetsRejected) as exc:  # ("new user" said of a user not added; its other notes hold)
        repo.notices[:] = [n for n in repo.notices if not n.startswith("new user ")]
        if isinstance(exc, TargetsRejected):
            raise
    return {"rows": len(planned), **counts}


def _planned_target(row: dict[str, str], file_name: str, today: date, settings: dict[str, str],
                    seen: dict[tuple[str, str, str, str, str], str]) -> dict[str, Any]:
    """One row of a targets file as the values to store (with "_where"), or ImportRejected naming its line."""
    where = f"{file_name}:{row['_line']}"
    base = settings["base_currency"]
    try:
        metric = parse_metric(row.get("metric") or "won_amount", "metric")
        scope, name = parse_unit(row["owner"], "owner")
        period = _parse_period(row["period"], today, settings, "period")
        value = parse_value(row["value"], metric, base, "value")
    except InvalidValue as exc:
        raise ImportRejected(f"{where}: {exc.message}") from None
    # a `target list` file from another database: its amounts and periods must mean the same here
    currency = row.get("currency", "").upper()
    if currency and metric == "won_amount" and currency != base:
        raise ImportRejected(f'{where}: currency "{row["currency"]}" is not the base currency ({base}); targets'
                             " are in the base currency", hint="convert the value, or set the base currency")
    bounds = (row.get("period_start"), row.get("period_end"))
    inclusive_end = (period.end - timedelta(days=1)).isoformat()
    if all(bounds) and bounds != (period.start.isoformat(), inclusive_end):
        raise ImportRejected(f'{where}: period "{row["period"]}" is {period.start.isoformat()}..{inclusive_end}'
                             f" here, not {bounds[0]}..{bounds[1]} (another fiscal year start?)",
                             hint="write the period as START..END dates")
    values = _values(scope, name, period, metric, value, base)
    key = (scope, name.lower(), values["period_start"], values["period_end"], metric)
    if key in seen:
        raise ImportRejected(f"{where}: repeats the target of line {seen[key]} ({row['owner']} {period.label} "
                             f"{metric})")
    seen[key] = str(row["_line"])
    return {**values, "_where": where}


# -- resolution ------------------------------------------------------------------------------
def _overlap_days(row: Row, start: date, end: date) -> int:
    s = max(date.fromisoformat(row["period_start"]), start)
    e = min(date.fromisoformat(row["period_end"]), end)
    return max((e - s).days, 0)


@lru_cache(maxsize=4096)
def _months(start: date, end: date) -> Fraction:
    """The calendar months from start to end (exclusive): each month counts 1, a day its month's share (a
    yearly 12 is 1 in February and 1 in March, where a split by days gives 0.92 and 1.02)."""
    total = Fraction(0)
    day = start
    while day < end:
        first = day.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        stop = min(end, following)
        total += Fraction((stop - day).days, (following - first).days)
        day = stop
    return total


def _overlap_months(row: Row, start: date, end: date) -> Fraction:
    return _months(max(date.fromisoformat(row["period_start"]), start),
                   min(date.fromisoformat(row["period_end"]), end))


def _part(value: str, share: Fraction) -> Decimal:
    return Decimal(value) * share.numerator / share.denominator


def _unit_value(rows: list[Row], period: Period, upto: date | None = None) -> Decimal | None:
    """One unit's target over the period (rules in the module docstring); None when no target covers any of it."""
    return _unit_cover(rows, period, upto)[0]


Spans = list[tuple[date, date]]


def _unit_cover(rows: list[Row], period: Period, upto: date | None = None,
                within: Spans | None = None) -> tuple[Decimal | None, Spans]:
    """One unit's target over the days of `within` (default: the whole period), and the days of it no target
    of the unit covers (a team's target for Q2 leaves Q1, Q3 and Q4 of a year to its members' targets). The
    target is None when none covers any of those days. With upto: the part of it expected before that day,
    each target spread evenly over its own months, and a month's over its days (a September target expects
    nothing in August)."""
    free: Spans = [(period.start, period.end)] if within is None else list(within)
    rows = [r for r in rows if _overlap_days(r, period.start, period.end) > 0]  # (a report's rows: its period's)
    if not rows or not free:
        return None, free  # no target covers any of the period (a month of a year-long report): none, not 0
    end_by = period.end if upto is None else min(period.end, max(upto, period.start))
    start, end = period.start.isoformat(), period.end.isoformat()
    inside = [r for r in rows if r["period_start"] >= start and r["period_end"] <= end]
    outer = [r for r in inside if not any(
        o is not r and o["period_start"] <= r["period_start"] and o["period_end"] >= r["period_end"]
        and (o["period_start"], o["period_end"]) != (r["period_start"], r["period_end"])
        for o in inside)]
    # Each day of the period counts once, from one target: those inside first (the shortest first where two
    # overlap without nesting; the period's own target holds them all), then the part of the targets reaching
    # over the period's edge that falls on the days left (all of them when none is inside: a quarter of a
    # year's target), again the most specific (shortest) first: year to date is Q1-Q3 and the part of Q4 so
    # far; 10-15..11-14 is half of October's and of November's.
    total: Decimal | None = None

    def length(r: Row) -> tuple[timedelta, str]:
        return _day(r, "period_end") - _day(r, "period_start"), r["period_start"]

    for r in sorted(outer, key=length) + sorted((r for r in rows if r not in inside), key=length):
        span = (_day(r, "period_start"), _day(r, "period_end"))
        pieces = [(max(a, span[0]), min(b, span[1])) for a, b in free if max(a, span[0]) < min(b, span[1])]
        if not pieces:
            continue
        whole = _months(*span)
        total = total or Decimal(0)
        if whole:
            total += _part(r["value"], sum((_months(a, min(b, end_by)) for a, b in pieces if a < end_by),
                                           Fraction(0)) / whole)
        free = _without(free, pieces)
    return total, free


def _day(row: Row, key: str) -> date:
    return date.fromisoformat(row[key])


def _without(spans: list[tuple[date, date]], cut: list[tuple[date, date]]) -> list[tuple[date, date]]:
    """The parts of spans (start, end exclusive) outside every span of cut."""
    for c0, c1 in cut:
        kept: list[tuple[date, date]] = []
        for a, b in spans:
            if c1 <= a or c0 >= b:
                kept.append((a, b))
                continue
            if a < c0:
                kept.append((a, c0))
            if c1 < b:
                kept.append((c1, b))
        spans = kept
    return spans


def resolve_target(repo: Repository, metric: str, period: Period, scope: Scope,
                   rows: list[Row] | None = None, teams: dict[str, str | None] | None = None,
                   upto: date | None = None, *, exact: bool = False) -> Decimal | None:
    """The scope's target for the period, or None when no target covers it.

    won_amount in minor units of the base currency (rounded to a whole minor unit), counts to 2 decimals when a
    part of a longer target (whole numbers otherwise; `exact`: unrounded, what an attainment divides by).
    `rows` and `teams` let a report resolve many scopes from one read. upto: only the part expected before
    that day (each target spread over its own months, a day its month's share), for pacing.
    """
    if rows is None:
        rows = repo.targets_overlapping(period.start.isoformat(), period.end.isoformat(), metric)
    rows = [r for r in rows if r["metric"] == metric]
    if teams is None:
        teams = repo.teams()
    team_of = {name.lower(): team for name, team in teams.items()}
    by_owner: dict[str, list[Row]] = {}
    by_team: dict[str, list[Row]] = {}
    for r in rows:
        (by_owner if r["scope"] == "owner" else by_team).setdefault(r["name"].lower(), []).append(r)

    def team_value(team: str) -> Decimal | None:
        """The team's own targets where they are set, its members' on the days they leave."""
        own, left = _unit_cover(by_team.get(team.lower(), []), period, upto)
        members = [o for o in by_owner if (team_of.get(o) or "").lower() == team.lower()]
        values = [v for v in (_unit_cover(by_owner[o], period, upto, left)[0] for o in members) if v is not None]
        if own is not None:
            values.append(own)
        return sum(values, Decimal(0)) if values else None

    if scope.owner:
        value = _unit_value(by_owner.get(scope.owner.lower(), []), period, upto)
    elif scope.team:
        value = team_value(scope.team)
    elif scope.no_team:
        own = [v for owner, owner_rows in by_owner.items() if not team_of.get(owner)
               for v in [_unit_value(owner_rows, period, upto)] if v is not None]
        value = sum(own, Decimal(0)) if own else None
    else:
        parts = [v for v in map(team_value, by_team) if v is not None]  # (with their members' where they leave)
        for owner, owner_rows in by_owner.items():
            if (team_of.get(owner) or "").lower() in by_team:
                continue  # counted with the team's target, on the days it leaves
            v = _unit_value(owner_rows, period, upto)
            if v is not None:
                parts.append(v)
        value = sum(parts, Decimal(0)) if parts else None
    if value is None:
        return None
    if metric == "won_amount":
        return value.quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
    return value if exact else count_shown(value)


def count_shown(value: Decimal) -> Decimal:
    """A count target as shown: its part of a longer target keeps its fraction to 2 decimals (a yearly 1 is 0.25
    a quarter, not none at all), a whole number is whole."""
    count = value.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)
    return count.quantize(Decimal(1)) if count == count.to_integral_value() else count


def target_view(row: Row) -> dict[str, Any]:
    """A target as scripts see it: won_amount as money in its currency, counts as numbers."""
    from salescli.values import minor_to_decimal

    money = row["metric"] == "won_amount"
    return {
        "id": row["id"],
        "owner": row["name"] if row["scope"] == "owner" else None,
        "team": row["name"] if row["scope"] == "team" else None,
        "period": row["period_label"],
        "period_start": row["period_start"],
        "period_end": (date.fromisoformat(row["period_end"]) - timedelta(days=1)).isoformat(),
        "metric": row["metric"],
        "value": minor_to_decimal(row["value"], row["currency"]) if money and row["currency"] else row["value"],
        "currency": row["currency"] if money else None,
    }


def target_progress(repo: Repository, rows: list[Row], today: date) -> list[dict[str, Any]]:
    """Each target with what has been achieved in its period so far (actual) and attainment = actual / value."""
    from salescli.repository.metrics import DealFilter
    from salescli.services.money import convert_totals, rates_on
    from salescli.values import minor_to_decimal

    base = repo.settings()["base_currency"]
    rates = rates_on(repo, today)
    upto = (today + timedelta(days=1)).isoformat()
    out = []
    for row in rows:
        f = DealFilter(owner=row["name"]) if row["scope"] == "owner" else DealFilter(team=row["name"])
        start, end = row["period_start"], min(row["period_end"], upto)  # (nothing dated after today yet)
        view = target_view(row)
        actual: Any
        missing: list[str] = []
        if row["metric"] == "activities":
            actual = sum(r["n"] for r in repo.activity_counts(f, "all", start=start, end=end))
            goal: Any = row["value"]
        else:
            closed = repo.closed_in_period(f, "all", start=start, end=end, upto=upto)
            if row["metric"] == "deals_won":
                actual = sum(r["won"] or 0 for r in closed)
                goal = row["value"]
            else:
                actual, missing = convert_totals({r["currency"]: r["won_amount"] for r in closed}, base, rates)
                goal = minor_to_decimal(row["value"], row["currency"] or base)
        attainment = None
        if goal:
            attainment = (Decimal(actual) / Decimal(goal)).quantize(Decimal("0.0001"))
        out.append({**view, "actual": actual, "attainment": attainment, "missing_rates": missing})
    return out
