"""The SQL of every report, forecast and insight: aggregates computed by SQLite, never rows in Python.

Each query returns a handful of rows (one per group, stage, kind or currency) however many deals
there are; lists (stale deals, events, overdue tasks) are streamed. Money is summed per currency in
integer minor units; the services convert the sums to the base currency (services/money.py).
Weighted sums are kept exact as sum(amount_minor * probability), i.e. in hundredths of a minor unit.

Stage history is ordered by (day, id) — changed_at is a timestamp (migration 9), often midnight — as in deals.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from salescli.repository.activities import OPEN_TASK, activity_dated_after, open_task_on
from salescli.repository.base import RepositoryBase, Row
from salescli.repository.deals import last_activity_on, last_touch, no_next_step, stale_condition

# --by NAME -> (SQL of the group key over deals d / stages s, the join it needs)
DEAL_GROUPS: dict[str, tuple[str, str]] = {
    "stage": ("s.id", ""),
    "owner": ("coalesce(d.owner, '')", ""),
    "team": ("coalesce(u.team, '')", " LEFT JOIN users u ON u.name = d.owner"),
    "pipeline": ("d.pipeline_id", ""),
    "source": ("coalesce(d.source, '')", ""),
    "segment": ("coalesce(c.segment, '')", " LEFT JOIN companies c ON c.id = d.company_id"),
    "all": ("''", ""),
}
# The same over activities a: pipeline and source are its deal's, segment its company's (else its deal's).
_ACTIVITY_DEAL = " LEFT JOIN deals ad ON ad.id = a.deal_id"
ACTIVITY_GROUPS: dict[str, tuple[str, str]] = {
    "owner": ("coalesce(a.owner, '')", ""),
    "team": ("coalesce(u.team, '')", " LEFT JOIN users u ON u.name = a.owner"),
    "pipeline": ("coalesce(ad.pipeline_id, '')", _ACTIVITY_DEAL),
    "source": ("coalesce(ad.source, '')", _ACTIVITY_DEAL),
    "segment": ("coalesce(ac.segment, '')",
                f"{_ACTIVITY_DEAL} LEFT JOIN companies ac ON ac.id = coalesce(a.company_id, ad.company_id)"),
    "all": ("''", ""),
}
HISTORY_DAY = "substr(h.changed_at, 1, 10)"
# What counts as activity in a period: logged activities on their date, tasks once done (activities.py).
DONE_IN_PERIOD = (
    "((a.kind <> 'task' AND a.occurred_at >= :start AND a.occurred_at < :end)"
    " OR (a.kind = 'task' AND a.done_at >= :start AND a.done_at < :end))"
)


def named(sql: str, params: list[Any], prefix: str) -> tuple[str, dict[str, Any]]:
    """A fragment with ? placeholders (as deals.stale_condition returns) as :prefixN named ones."""
    out: dict[str, Any] = {}
    counter = iter(range(len(params)))

    def repl(_: re.Match[str]) -> str:
        n = next(counter)
        out[f"{prefix}{n}"] = params[n]
        return f":{prefix}{n}"

    return re.sub(r"\?", repl, sql), out


# A parked deal is on hold by decision until its date: the insights on idle deals leave it out until then.
NOT_PARKED = "(d.parked_until IS NULL OR substr(d.parked_until, 1, 10) <= :today)"


@dataclass(frozen=True)
class DealFilter:
    """Which deals a report covers (names already resolved to stored spellings and ids)."""

    pipeline_id: int | None = None
    owner: str | None = None
    team: str | None = None
    # (start, end, today): expected to close in [start, end), or overdue before start (report stale --period)
    closing: tuple[str, str, str] | None = None

    def sql(self, deal: str = "d", owner_col: str | None = None) -> tuple[str, dict[str, Any]]:
        """' AND ...' clauses for deals alias `deal` (or an owner column, for activities)."""
        parts: list[str] = []
        params: dict[str, Any] = {}
        owner = owner_col or f"{deal}.owner"
        if self.pipeline_id is not None:
            if owner_col:
                parts.append("a.deal_id IN (SELECT id FROM deals WHERE pipeline_id = :f_pipeline)")
            else:
                parts.append(f"{deal}.pipeline_id = :f_pipeline")
            params["f_pipeline"] = self.pipeline_id
        if self.owner is not None:
            parts.append(f"{owner} = :f_owner")
            params["f_owner"] = self.owner
        if self.team is not None:
            parts.append(f"{owner} IN (SELECT name FROM users WHERE team = :f_team COLLATE NOCASE)")
            params["f_team"] = self.team
        if self.closing is not None:  # deals only (no report of activities filters on it)
            close = f"{deal}.expected_close"
            parts.append(f"(({close} >= :f_close_start AND {close} < :f_close_end)"
                         f" OR ({close} < :f_close_start AND {close} < :f_close_today))")
            params["f_close_start"], params["f_close_end"], params["f_close_today"] = self.closing
        return "".join(f" AND {p}" for p in parts), params


def _fx_cte(scale: dict[str, float], least: dict[str, int] | None = None) -> tuple[str, dict[str, Any]]:
    """A CTE fx(currency, factor, least): minor units of a currency -> minor units of the base, approximately
    (for ordering only; the base currency itself is in `scale` with factor 1), and the fewest minor units of
    the currency that reach a threshold, worked out exactly (NULL without one)."""
    if not scale:
        return "fx(currency, factor, least) AS (SELECT NULL, NULL, NULL WHERE 0)", {}
    values = ", ".join(f"(:fxc{i}, :fxf{i}, :fxl{i})" for i in range(len(scale)))
    params: dict[str, Any] = {}
    for i, (cur, factor) in enumerate(sorted(scale.items())):
        params[f"fxc{i}"] = cur
        params[f"fxf{i}"] = factor
        params[f"fxl{i}"] = None if least is None else least.get(cur)
    return f"fx(currency, factor, least) AS (VALUES {values})", params


# The deals moved out of a won or lost stage on or after :closed_upto (reopened after a pinned --today), by the
# moves' day index (DISTINCT over every deal's history instead cost 0.4 s on 300k deals).
_MOVED_OUT_OF_CLOSED = (
    "SELECT h2.deal_id FROM stage_history h2 INDEXED BY stage_history_changed"
    " JOIN stages s2 ON s2.id = h2.from_stage_id WHERE h2.changed_at >= :closed_upto AND s2.kind <> 'open'")
# Those deals' stage on :closed_upto's eve (its kind, and the day they entered it), from their history.
_STAGE_ON_EVE = (
    "SELECT h.deal_id, h.to_stage_id, s.kind, substr(h.changed_at, 1, 10) AS day"
    f" FROM (SELECT DISTINCT deal_id FROM ({_MOVED_OUT_OF_CLOSED})) m"
    " JOIN stage_history h ON h.id = (SELECT h3.id FROM stage_history h3 WHERE h3.deal_id = m.deal_id"
    " AND h3.changed_at < :closed_upto ORDER BY h3.changed_at DESC, h3.id DESC LIMIT 1)"
    " JOIN stages s ON s.id = h.to_stage_id")


class MetricStore(RepositoryBase):
    """Report aggregates. `start`/`end` are ISO dates, end exclusive; `today` an ISO date."""

    # -- helpers (named parameters) ------------------------------------------------------
    def _rows(self, sql: str, params: Mapping[str, Any] | None = None) -> list[Row]:
        return list(self.conn.execute(sql, params or {}).fetchall())

    def _one(self, sql: str, params: Mapping[str, Any]) -> Row | None:
        row: Row | None = self.conn.execute(sql, params).fetchone()
        return row

    def _scalar(self, sql: str, params: Mapping[str, Any]) -> Any:
        row = self._one(sql, params)
        return None if row is None else next(iter(row.values()))

    # -- reference data ------------------------------------------------------------------
    def stage_table(self) -> list[Row]:
        """Every stage with its pipeline, in pipeline (default first) and stage order."""
        return self._rows(
            "SELECT s.id, s.name, s.position, s.probability, s.kind, s.rot_days, s.pipeline_id,"
            " p.name AS pipeline, p.is_default FROM stages s JOIN pipelines p ON p.id = s.pipeline_id"
            " ORDER BY p.is_default DESC, p.id, s.position, s.id"
        )

    def pipeline_names(self) -> dict[int, str]:
        return {r["id"]: r["name"] for r in self._rows("SELECT id, name FROM pipelines")}

    def pipelines_holding_deals(self, flt: DealFilter) -> list[str]:
        """The pipelines with a deal of flt's owner or team (its pipeline ignored), default first: one
        EXISTS each, found through the stages' index."""
        where, params = DealFilter(owner=flt.owner, team=flt.team).sql()
        return [r["name"] for r in self._rows(
            "SELECT p.name FROM pipelines p WHERE EXISTS (SELECT 1 FROM deals d"
            " WHERE d.stage_id IN (SELECT s.id FROM stages s WHERE s.pipeline_id = p.id) AND d.pipeline_id = p.id"
            f"{where}) ORDER BY p.is_default DESC, p.name COLLATE NOCASE, p.id", params)]

    # -- the open pipeline ---------------------------------------------------------------
    def _open_source(self, as_of: str | None, upto: str | None = None
                     ) -> tuple[str, str, dict[str, Any], str, str]:
        """(FROM ..., WHERE ..., params, probability SQL, stored-category SQL) over open deals d, stage s.

        Now: the deals whose status is open (but those won or lost on upto's eve and reopened since: the
        closed-deal figures count them as won or lost, see _closed_deals). As of a past day: each deal's last
        stage entered on or before that day (stage history), if that stage is open and the deal existed; its probability
        is the stage's unless it is still in that stage (then its own). The stored category is NULL
        when the deal has moved on since (the caller derives it from the stage's probability).
        """
        if as_of is None:
            where, params = "d.status = 'open'", {}
            if self._reopened_since(upto):
                where += f" AND d.id NOT IN (SELECT deal_id FROM ({_STAGE_ON_EVE}) WHERE kind <> 'open')"
                params = {"closed_upto": upto}
            return ("deals d JOIN stages s ON s.id = d.stage_id", where, params, "d.probability", "d.forecast_category")
        source = (
            "(SELECT deal_id, stage_id FROM (SELECT h.deal_id, h.to_stage_id AS stage_id,"
            f" row_number() OVER (PARTITION BY h.deal_id ORDER BY {HISTORY_DAY} DESC, h.id DESC) AS rn"
            f" FROM stage_history h WHERE {HISTORY_DAY} <= :as_of) WHERE rn = 1) a"
            " JOIN deals d ON d.id = a.deal_id JOIN stages s ON s.id = a.stage_id"
        )
        where = "s.kind = 'open' AND substr(d.created_at, 1, 10) <= :as_of"
        return (source, where, {"as_of": as_of},
                "(CASE WHEN a.stage_id = d.stage_id THEN d.probability ELSE s.probability END)",
                "(CASE WHEN a.stage_id = d.stage_id THEN d.forecast_category END)")

    def open_pipeline(self, f: DealFilter, by: str, *, start: str, end: str, day: str, as_of: str | None,
                      stale_days: int, upto: str | None = None) -> list[Row]:
        """Per group and currency: deals, amounts, weighted (x100), closing in [start, end), age, stale.

        day: the day ages are counted to (today or as_of). Stale is only known for today (NULL as of
        a past day: activity dates are not kept historically).
        """
        key, join = DEAL_GROUPS[by]
        source, where, params, prob, _cat = self._open_source(as_of, upto)
        filt, fparams = f.sql()
        if as_of is None:
            stale_sql, stale_params = named(*stale_condition(day, stale_days), prefix="st")
            stale = f"sum(CASE WHEN {stale_sql} THEN 1 ELSE 0 END)"
            parked = "sum(substr(d.parked_until, 1, 10) > :day)"
        else:
            stale, stale_params, parked = "NULL", {}, "NULL"
        stepless = "NULL" if as_of is not None else f"sum{no_next_step(':day')}"
        sql = (
            f"SELECT {key} AS grp, d.currency AS currency, count(*) AS deals,"
            " count(d.amount_minor) AS with_amount, coalesce(sum(d.amount_minor), 0) AS amount,"
            f" coalesce(sum(d.amount_minor * {prob}), 0) AS weighted100,"
            " coalesce(sum(CASE WHEN d.expected_close >= :start AND d.expected_close < :end"
            " THEN d.amount_minor END), 0) AS closing,"
            " coalesce(sum(d.expected_close >= :start AND d.expected_close < :end), 0) AS closing_deals,"
            # a deal created after the report's day (an earlier --today) is 0 days old, not negative
            " total(max(0, julianday(:day) - julianday(substr(d.created_at, 1, 10)))) AS age_days,"
            f" {stale} AS stale, {parked} AS parked,"
            f" {stepless} AS no_next_step"
            f" FROM {source}{join} WHERE {where}{filt} GROUP BY grp, d.currency"
        )
        return self._rows(sql, {**params, **fparams, **stale_params, "start": start, "end": end, "day": day})

    def open_forecast(self, f: DealFilter, by: str, *, start: str, end: str, as_of: str | None,
                      month: bool = False, upto: str | None = None) -> list[Row]:
        """Open deals expected to close in [start, end): per group, stage, stored category and currency.

        The category is NULL as of a past day when the deal has left that stage since; the service
        derives it from the stage's probability.
        """
        source, where, params, prob, cat = self._open_source(as_of, upto)
        key, join = ("substr(d.expected_close, 1, 7)", "") if month else DEAL_GROUPS[by]
        filt, fparams = f.sql()
        sql = (
            f"SELECT {key} AS grp, s.id AS stage_id, {cat} AS category, d.currency AS currency,"
            " count(*) AS deals, count(d.amount_minor) AS with_amount,"
            f" coalesce(sum(d.amount_minor), 0) AS amount, coalesce(sum(d.amount_minor * {prob}), 0) AS weighted100"
            f" FROM {source}{join} WHERE {where} AND d.expected_close >= :start AND d.expected_close < :end{filt}"
            " GROUP BY grp, s.id, category, d.currency"
        )
        return self._rows(sql, {**params, **fparams, "start": start, "end": end})

    def open_counts(self, f: DealFilter, by: str, upto: str | None = None) -> list[Row]:
        """Open deals now, per group (velocity's first input; upto: see _open_source)."""
        key, join = DEAL_GROUPS[by]
        filt, fparams = f.sql()
        _source, where, params, _prob, _cat = self._open_source(None, upto)
        return self._rows(
            f"SELECT {key} AS grp, count(*) AS deals FROM deals d{join}"
            f" WHERE {where}{filt} GROUP BY grp",
            {**fparams, **params},
        )

    # -- closed deals --------------------------------------------------------------------
    def closed_in_period(self, f: DealFilter, by: str, *, start: str, end: str, month: bool = False,
                         upto: str | None = None) -> list[Row]:
        """Deals won (won_at) or lost (lost_at) in [start, end), per group and currency, with cycle days; as
        they stood on upto's eve when given (see _closed_deals)."""
        key, join = ("substr(coalesce(d.won_at, d.lost_at), 1, 7)", "") if month else DEAL_GROUPS[by]
        filt, fparams = f.sql()
        source, sparams = self._closed_deals(upto)
        sql = (
            f"SELECT {key} AS grp, d.currency AS currency,"
            " sum(d.status = 'won') AS won,"
            " count(CASE WHEN d.status = 'won' THEN d.amount_minor END) AS won_with_amount,"
            " coalesce(sum(CASE WHEN d.status = 'won' THEN d.amount_minor END), 0) AS won_amount,"
            " sum(d.status = 'lost') AS lost,"
            " coalesce(sum(CASE WHEN d.status = 'lost' THEN d.amount_minor END), 0) AS lost_amount,"
            " total(CASE WHEN d.status = 'won' THEN julianday(substr(d.won_at, 1, 10))"
            " - julianday(substr(d.created_at, 1, 10)) END) AS cycle_days"
            f" FROM {source} d{join}"
            " WHERE ((d.status = 'won' AND d.won_at >= :start AND d.won_at < :end)"
            f" OR (d.status = 'lost' AND d.lost_at >= :start AND d.lost_at < :end)){filt}"
            " GROUP BY grp, d.currency"
        )
        return self._rows(sql, {**fparams, **sparams, "start": start, "end": end})

    def median_cycle(self, f: DealFilter, by: str, *, start: str, end: str, upto: str | None = None
                     ) -> dict[Any, float]:
        """Median days from creation to won, of deals won in [start, end), per group (upto: closed_in_period)."""
        key, join = DEAL_GROUPS[by]
        filt, fparams = f.sql()
        source, sparams = self._closed_deals(upto)
        sql = (
            f"WITH c AS (SELECT {key} AS grp, julianday(substr(d.won_at, 1, 10))"
            " - julianday(substr(d.created_at, 1, 10)) AS v"
            f" FROM {source} d{join}"
            f" WHERE d.status = 'won' AND d.won_at >= :start AND d.won_at < :end{filt}),"
            " r AS (SELECT grp, v, row_number() OVER (PARTITION BY grp ORDER BY v) AS rn,"
            " count(*) OVER (PARTITION BY grp) AS n FROM c)"
            " SELECT grp, avg(v) AS median FROM r WHERE rn IN ((n + 1) / 2, (n + 2) / 2) GROUP BY grp"
        )
        return {r["grp"]: r["median"] for r in self._rows(sql, {**fparams, **sparams, "start": start, "end": end})}

    # -- activities and tasks ------------------------------------------------------------
    def activity_counts(self, f: DealFilter, by: str, *, start: str, end: str) -> list[Row]:
        """Per group and kind: activities logged in [start, end), tasks done in it."""
        key, join = ACTIVITY_GROUPS[by]
        filt, fparams = f.sql(owner_col="a.owner")
        sql = (
            f"SELECT {key} AS grp, a.kind AS kind, count(*) AS n FROM activities a{join}"
            f" WHERE {DONE_IN_PERIOD}{filt} GROUP BY grp, a.kind"
        )
        return self._rows(sql, {**fparams, "start": start, "end": end})

    def _open_task(self, today: str) -> str:
        """Open tasks on today (a past --today: as they stood then, see open_task_on)."""
        return f"({open_task_on(':today')})" if activity_dated_after(self, today) else OPEN_TASK

    def overdue_counts(self, f: DealFilter, by: str, *, today: str) -> dict[Any, int]:
        key, join = ACTIVITY_GROUPS[by]
        filt, fparams = f.sql(owner_col="a.owner")
        rows = self._rows(
            f"SELECT {key} AS grp, count(*) AS n FROM activities a{join}"
            f" WHERE {self._open_task(today)} AND a.due_date < :today{filt} GROUP BY grp",
            {**fparams, "today": today},
        )
        return {r["grp"]: r["n"] for r in rows}

    def overdue_tasks(self, f: DealFilter, *, today: str, limit: int | None = None) -> Iterator[Row]:
        """Open tasks due before today (as they stood on it), oldest first."""
        filt, fparams = f.sql(owner_col="a.owner")
        sql = (
            "SELECT a.id, a.due_date, julianday(:today) - julianday(substr(a.due_date, 1, 10)) AS days_overdue,"
            " a.owner, a.subject, a.deal_id, d.title AS deal FROM activities a LEFT JOIN deals d ON d.id = a.deal_id"
            f" WHERE {self._open_task(today)} AND a.due_date < :today{filt}"
            " ORDER BY a.due_date, a.id"
        )
        params: dict[str, Any] = {**fparams, "today": today}
        if limit is not None:
            sql += " LIMIT :limit"
            params["limit"] = limit
        yield from self.stream(sql, params)

    # -- stage history -------------------------------------------------------------------
    def dated_from(self, upto: str) -> bool:
        """Whether a stage move, win or loss is dated on or after upto (the end of a --today pinned inside the
        data): three index probes, so that a bound on every row is paid only when it matters."""
        return bool(self.scalar(
            "SELECT EXISTS (SELECT 1 FROM stage_history WHERE changed_at >= ?1)"
            " OR EXISTS (SELECT 1 FROM deals WHERE status = 'won' AND won_at >= ?1)"
            " OR EXISTS (SELECT 1 FROM deals WHERE status = 'lost' AND lost_at >= ?1)", (upto,)))

    def _reopened_since(self, upto: str | None) -> bool:
        """Whether a deal left a won or lost stage on or after upto (reopened after a pinned --today): one scan
        of the moves since that day, asked once a command (a report writes nothing in between)."""
        if upto is None:
            return False
        known: dict[str, bool] = self.__dict__.setdefault("_reopened_since_cache", {})
        if upto not in known:
            known[upto] = bool(self.scalar(f"SELECT EXISTS ({_MOVED_OUT_OF_CLOSED.replace(':closed_upto', '?1')})",
                                           (upto,)))
        return known[upto]

    def _closed_deals(self, upto: str | None) -> tuple[str, dict[str, Any]]:
        """The deals as the closed-deal figures read them: `deals`, or — when a deal was reopened after upto's
        eve (_reopened_since) — the deals with the stage, status and won/lost day they had on that eve, from
        their stage history, so a past day's figures read as they did then (amounts are as they are now). A
        deal counts as won while it stays won (a reopen since the report's day takes the win back)."""
        if not self._reopened_since(upto):
            return "deals", {}
        asof = ("status", "stage_id", "won_at", "lost_at", "lost_reason", "lost_category")
        kept = [r["name"] for r in self.conn.execute("PRAGMA table_info(deals)") if r["name"] not in asof]
        # (a loss's reason and category, which the reopen cleared: from the last change that lost the deal on that
        # day — a loss re-made the same day with another reason has the second)
        loss = ("(SELECT c.after FROM changes c WHERE c.entity = 'deal' AND c.entity_id = x.id"
                " AND json_extract(c.after, '$.status') = 'lost' AND json_extract(c.after, '$.lost_at') = r.day"
                " ORDER BY c.id DESC LIMIT 1)")
        # (an import logs no reason when it creates a lost deal: the change that reopened it has it before)
        reopen = ("(SELECT c.before FROM changes c WHERE c.entity = 'deal' AND c.entity_id = x.id"
                  " AND json_extract(c.before, '$.status') = 'lost' AND json_extract(c.before, '$.lost_at') = r.day"
                  " ORDER BY c.id LIMIT 1)")
        def why(key: str) -> str:
            return (f"CASE WHEN r.kind = 'lost' THEN coalesce(json_extract({loss}, '$.{key}'),"
                    f" json_extract({reopen}, '$.{key}')) END")

        columns = ", ".join(f"x.{c}" for c in kept)
        # two branches, so that the figures' bounds on status and day reach the deals' indexes in the first
        return (f"(SELECT {columns}, {', '.join(f'x.{c}' for c in asof)} FROM deals x"
                f" WHERE x.id NOT IN ({_MOVED_OUT_OF_CLOSED})"
                f" UNION ALL SELECT {columns}, r.kind, r.to_stage_id,"
                " CASE WHEN r.kind = 'won' THEN r.day END, CASE WHEN r.kind = 'lost' THEN r.day END,"
                f" {why('lost_reason')}, {why('lost_category')}"
                f" FROM deals x JOIN ({_STAGE_ON_EVE}) r ON r.deal_id = x.id)"), {"closed_upto": upto}

    def stage_outcomes(self, pipeline_id: int | None = None, as_of: str | None = None) -> list[Row]:
        """Per open stage: deals that entered it and have since closed, and how many of those were won."""
        params: dict[str, Any] = {}
        extra = ""
        if pipeline_id is not None:
            extra += " AND s.pipeline_id = :pipeline"
            params["pipeline"] = pipeline_id
        if as_of is not None and self.dated_from((date.fromisoformat(as_of) + timedelta(days=1)).isoformat()):
            extra += (" AND substr(coalesce(d.won_at, d.lost_at), 1, 10) <= :as_of"
                      f" AND {HISTORY_DAY} <= :as_of")
            params["as_of"] = as_of
        return self._rows(
            "SELECT h.to_stage_id AS stage_id, count(DISTINCT h.deal_id) AS closed,"
            " count(DISTINCT CASE WHEN d.status = 'won' THEN h.deal_id END) AS won"
            " FROM deals d JOIN stage_history h ON h.deal_id = d.id JOIN stages s ON s.id = h.to_stage_id"
            f" WHERE d.status IN ('won', 'lost') AND s.kind = 'open'{extra} GROUP BY h.to_stage_id",
            params,
        )

    def stage_medians(self, f: DealFilter, *, start: str, end: str, upto: str, by: str = "all") -> list[Row]:
        """Per group and stage: median days a deal stayed (entry to its next stage change), over the stays
        that began in [start, end) and had ended before upto (the end of the report's day)."""
        key, join = DEAL_GROUPS[by]
        filt, fparams = f.sql()
        bound = " AND h.changed_at < :upto" if self.dated_from(upto) else ""  # (it costs the covering index)
        deals = (f" JOIN deals d ON d.id = h.deal_id{join}" if filt or by != "all" else "") + f" WHERE 1{bound}{filt}"
        sql = (
            "WITH moved AS (SELECT DISTINCT deal_id FROM stage_history WHERE changed_at >= :start"
            " AND changed_at < :end),"
            f" h AS (SELECT {key} AS grp, h.to_stage_id AS stage_id, julianday({HISTORY_DAY}) AS t,"
            f" lead(julianday({HISTORY_DAY})) OVER (PARTITION BY h.deal_id ORDER BY {HISTORY_DAY}, h.id) AS t_next"
            f" FROM moved JOIN stage_history h ON h.deal_id = moved.deal_id{deals}),"
            " stays AS (SELECT grp, stage_id, t_next - t AS v FROM h WHERE t_next IS NOT NULL"
            " AND t >= julianday(:start) AND t < julianday(:end)),"
            " r AS (SELECT grp, stage_id, v, row_number() OVER (PARTITION BY grp, stage_id ORDER BY v) AS rn,"
            " count(*) OVER (PARTITION BY grp, stage_id) AS n FROM stays)"
            " SELECT grp, stage_id, avg(v) AS median, max(n) AS stays FROM r"
            " WHERE rn IN ((n + 1) / 2, (n + 2) / 2) GROUP BY grp, stage_id"
        )
        return self._rows(sql, {**fparams, "start": start, "end": end, "upto": upto})

    def funnel(self, f: DealFilter, pipeline_id: int, *, start: str, end: str, upto: str, by: str = "all",
               first_stage: int | None = None) -> list[Row]:
        """Per group, stage and currency: deals that first entered the stage in [start, end) (a deal back in
        a stage it was in before the period, or moved back from a later open stage, is not a new entry), and of
        those the ones that later (by day,
        then id) entered a later open stage or a won stage (converted); for first_stage's entries, the
        ones that have entered a won stage since (won_later: the cohort's wins). A won stage the deal was
        reopened from is not counted anywhere (its history moved on). Nothing after upto (the end of the
        report's day) counts: not a move on, nor a reopening."""
        key, join = DEAL_GROUPS[by]
        filt, fparams = f.sql()
        # a win the deal was reopened from is no win (as in `report performance`): a won stage counts when
        # the deal's history has not moved on since (history row h with stage s2); later is by day, then
        # id, as deal show orders the history (imports write a deal's earlier stages after its last one)
        def lasting(h: str) -> str:
            return (f"(s2.kind <> 'won' OR NOT EXISTS (SELECT 1 FROM stage_history hx WHERE hx.deal_id = {h}.deal_id"
                    f" AND hx.changed_at >= substr({h}.changed_at, 1, 10) AND hx.changed_at < :upto"
                    f" AND (substr(hx.changed_at, 1, 10) > substr({h}.changed_at, 1, 10) OR hx.id > {h}.id)))")

        later = ("EXISTS (SELECT 1 FROM stage_history h JOIN stages s2 ON s2.id = h.to_stage_id"
                 f" WHERE h.deal_id = e.deal_id AND h.changed_at < :upto AND {{0}} AND {lasting('h')}"
                 f" AND {HISTORY_DAY} || printf('%012d', h.id) > e.k)")
        # a win anywhere is progress; an open stage only when later in the report's own pipeline (positions of
        # two pipelines do not compare: Negotiation -> another pipeline's Due is a move, not a step on)
        moved_on = later.format("(s2.kind = 'won' OR (s2.kind = 'open' AND s2.pipeline_id = :pipeline"
                                " AND s2.position > e.position))")
        won = later.format("s2.kind = 'won'")
        sql = (
            "WITH e AS (SELECT h.deal_id, h.to_stage_id AS stage_id, s2.position,"
            f" min({HISTORY_DAY} || printf('%012d', h.id)) AS k"
            " FROM stage_history h JOIN stages s2 ON s2.id = h.to_stage_id"
            f" WHERE s2.pipeline_id = :pipeline AND h.changed_at >= :start AND h.changed_at < :end AND {lasting('h')}"
            " AND NOT EXISTS (SELECT 1 FROM stage_history h0 WHERE h0.deal_id = h.deal_id"
            f" AND h0.to_stage_id = h.to_stage_id AND h0.changed_at < :start AND {lasting('h0')})"
            # moved back to a stage before one it was in: no entry (created in Qualification, moved back to
            # Prospecting, it did not come in at the top)
            " AND NOT EXISTS (SELECT 1 FROM stage_history h1 JOIN stages s3 ON s3.id = h1.to_stage_id"
            " WHERE h1.deal_id = h.deal_id AND s3.pipeline_id = :pipeline AND s3.kind = 'open'"
            " AND s3.position > s2.position AND h1.changed_at < :upto"
            f" AND substr(h1.changed_at, 1, 10) || printf('%012d', h1.id) < {HISTORY_DAY} || printf('%012d', h.id))"
            " GROUP BY h.deal_id, h.to_stage_id),"
            f" m AS (SELECT e.deal_id, e.stage_id, {moved_on} AS conv,"
            f" CASE WHEN e.stage_id = :first THEN {won} ELSE 0 END AS won FROM e)"
            f" SELECT {key} AS grp, m.stage_id, d.currency AS currency, count(*) AS entered,"
            " coalesce(sum(d.amount_minor), 0) AS entered_amount, sum(m.conv) AS converted,"
            " coalesce(sum(CASE WHEN m.conv THEN d.amount_minor END), 0) AS converted_amount,"
            " sum(m.won) AS won_later, coalesce(sum(CASE WHEN m.won THEN d.amount_minor END), 0) AS won_later_amount"
            f" FROM m JOIN deals d ON d.id = m.deal_id{join} WHERE 1{filt} GROUP BY grp, m.stage_id, d.currency"
        )
        return self._rows(sql, {**fparams, "pipeline": pipeline_id, "start": start, "end": end, "upto": upto,
                                "first": first_stage})

    # -- deal lists ----------------------------------------------------------------------
    def open_without_close(self, f: DealFilter) -> int:
        """Open deals with no expected close date (a filter on the close date leaves them out)."""
        filt, fparams = f.sql()
        return int(self._scalar(f"SELECT count(*) FROM deals d WHERE d.status = 'open'"
                                f" AND d.expected_close IS NULL{filt}", fparams))

    def attention_by(self, f: DealFilter, *, today: str, stale_days: int, by: str = "all") -> list[Row]:
        """Open deals per group: how many are stale, parked, without a next step, and in any of these
        (listed); no row for a group without open deals."""
        key, join = DEAL_GROUPS[by]
        stale_sql, stale_params = named(*stale_condition(today, stale_days), prefix="st")
        filt, fparams = f.sql()
        return self._rows(
            f"SELECT {key} AS grp, count(*) AS open,"
            f" coalesce(sum(CASE WHEN {stale_sql} THEN 1 ELSE 0 END), 0) AS stale,"
            " coalesce(sum(substr(d.parked_until, 1, 10) > :today), 0) AS parked,"
            f" coalesce(sum{no_next_step(':today')}, 0) AS no_next_step,"
            f" coalesce(sum(CASE WHEN ({stale_sql}) OR substr(d.parked_until, 1, 10) > :today"
            f" OR {no_next_step(':today')} THEN 1 ELSE 0 END), 0) AS listed"
            f" FROM deals d JOIN stages s ON s.id = d.stage_id{join} WHERE d.status = 'open'{filt} GROUP BY grp",
            {**fparams, **stale_params, "today": today},
        )

    def attention_deals(self, f: DealFilter, *, today: str, stale_days: int, scale: dict[str, float],
                        limit: int | None = None) -> Iterator[Row]:
        """Open deals that are stale, parked or without a next step, largest (in the base currency) first."""
        stale_sql, stale_params = named(*stale_condition(today, stale_days), prefix="st")
        filt, fparams = f.sql()
        fx, fx_params = _fx_cte(scale)
        # The candidates come from the open-deals covering index; the wide deal rows are read only for
        # the ones listed. c has a LIMIT, so SQLite keeps its ORDER BY (it is not flattened), and
        # `c CROSS JOIN deals` keeps c as the outer loop: the rows come out in c's order.
        sql = (
            f"WITH {fx}, c AS (SELECT d.id, d.amount_minor * fx.factor AS k, ({stale_sql}) AS is_stale,"
            " coalesce(substr(d.parked_until, 1, 10) > :today, 0) AS is_parked,"
            f" {no_next_step(':today')} AS no_next_step,"
            " coalesce(s.rot_days, :default_days) AS rot_days"
            " FROM deals d JOIN stages s ON s.id = d.stage_id LEFT JOIN fx ON fx.currency = d.currency"
            f" WHERE d.status = 'open'{filt} AND (({stale_sql}) OR substr(d.parked_until, 1, 10) > :today"
            f" OR {no_next_step(':today')})"
            f" ORDER BY k IS NULL, k DESC, d.id LIMIT :limit)"
            " SELECT c.id, d.title, d.owner, s.name AS stage, d.amount_minor, d.currency, d.expected_close,"
            " d.next_step, d.next_step_date, d.parked_until, d.park_reason,"
            f" {last_touch(':today')} AS last_touch,"
            f" substr({last_activity_on(':today')}, 1, 10) AS last_activity, c.rot_days, c.is_stale, c.is_parked,"
            " c.no_next_step"
            " FROM c CROSS JOIN deals d CROSS JOIN stages s WHERE d.id = c.id AND s.id = d.stage_id"
        )
        params: dict[str, Any] = {**fparams, **stale_params, **fx_params, "today": today,
                                  "default_days": stale_days}
        params["limit"] = -1 if limit is None else limit  # a LIMIT (-1: none) keeps c ordered, unflattened
        yield from self.stream(sql, params)

    def at_risk_deals(self, f: DealFilter, *, today: str, stale_days: int, end: str, scale: dict[str, float],
                      limit: int | None = None) -> Iterator[Row]:
        """Open deals expected to close before `end` (in the period, or already overdue) that are stale or
        have no next step, largest (in the base currency) first."""
        stale_sql, stale_params = named(*stale_condition(today, stale_days), prefix="st")
        filt, fparams = f.sql()
        fx, fx_params = _fx_cte(scale)
        sql = (
            f"WITH {fx}, c AS (SELECT d.id, d.amount_minor * fx.factor AS k, ({stale_sql}) AS is_stale,"
            f" {no_next_step(':today')} AS no_next_step"
            " FROM deals d JOIN stages s ON s.id = d.stage_id LEFT JOIN fx ON fx.currency = d.currency"
            f" WHERE d.status = 'open' AND d.expected_close < :end{filt}"
            f" AND (({stale_sql}) OR {no_next_step(':today')})"
            f" ORDER BY k IS NULL, k DESC, d.id LIMIT :limit)"
            " SELECT c.id, d.title, d.owner, s.name AS stage, d.amount_minor, d.currency, d.forecast_category,"
            " d.expected_close, d.next_step, c.is_stale, c.no_next_step"
            " FROM c CROSS JOIN deals d CROSS JOIN stages s WHERE d.id = c.id AND s.id = d.stage_id"
        )
        params: dict[str, Any] = {**fparams, **stale_params, **fx_params, "end": end, "today": today}
        params["limit"] = -1 if limit is None else limit  # a LIMIT (-1: none) keeps c ordered, unflattened
        yield from self.stream(sql, params)

    def at_risk_count(self, f: DealFilter, *, today: str, stale_days: int, end: str) -> int:
        stale_sql, stale_params = named(*stale_condition(today, stale_days), prefix="st")
        filt, fparams = f.sql()
        return int(self._scalar(
            "SELECT count(*) FROM deals d JOIN stages s ON s.id = d.stage_id"
            f" WHERE d.status = 'open' AND d.expected_close < :end{filt}"
            f" AND (({stale_sql}) OR {no_next_step(':today')})",
            {**fparams, **stale_params, "end": end, "today": today},
        ))

    def open_closing_before(self, f: DealFilter, day: str) -> list[Row]:
        """Open deals whose close date passed before a day, per currency (deals, amount): in no forecast."""
        filt, fparams = f.sql()
        return self._rows(
            "SELECT d.currency AS currency, count(*) AS deals, coalesce(sum(d.amount_minor), 0) AS amount"
            f" FROM deals d WHERE d.status = 'open' AND d.expected_close < :day{filt} GROUP BY d.currency",
            {**fparams, "day": day},
        )

    def lost_by_reason(self, f: DealFilter, *, start: str, end: str, by: str = "all", upto: str | None = None
                       ) -> list[Row]:
        key, join = DEAL_GROUPS[by]
        filt, fparams = f.sql()
        source, sparams = self._closed_deals(upto)
        return self._rows(
            f"SELECT {key} AS grp, coalesce(d.lost_category, '') AS category, coalesce(d.lost_reason, '') AS reason,"
            " d.currency AS currency, count(*) AS deals, coalesce(sum(d.amount_minor), 0) AS amount"
            f" FROM {source} d{join} WHERE d.status = 'lost' AND d.lost_at >= :start AND d.lost_at < :end{filt}"
            " GROUP BY grp, category COLLATE NOCASE, reason COLLATE NOCASE, d.currency",
            {**fparams, **sparams, "start": start, "end": end},
        )

    def lost_by_stage(self, f: DealFilter, *, start: str, end: str, upto: str | None = None) -> list[Row]:
        """Deals lost in the period by the stage they were in before (from their last move to a lost stage)."""
        filt, fparams = f.sql()
        source, sparams = self._closed_deals(upto)
        return self._rows(
            "SELECT (SELECT h.from_stage_id FROM stage_history h WHERE h.deal_id = d.id"
            f" AND h.to_stage_id = d.stage_id AND {HISTORY_DAY} < :end ORDER BY {HISTORY_DAY} DESC, h.id DESC LIMIT 1)"
            " AS lost_from,"
            " d.currency AS currency, count(*) AS deals, coalesce(sum(d.amount_minor), 0) AS amount"
            f" FROM {source} d WHERE d.status = 'lost' AND d.lost_at >= :start AND d.lost_at < :end{filt}"
            " GROUP BY lost_from, d.currency",  # (not `AS stage_id`: GROUP BY stage_id meant d.stage_id)
            {**fparams, **sparams, "start": start, "end": end},
        )

    # -- the week's changes --------------------------------------------------------------
    def _events_sql(self, f: DealFilter, upto: str | None) -> tuple[str, dict[str, Any]]:
        filt, fparams = f.sql()
        source, sparams = self._closed_deals(upto)
        cols = "d.id AS deal_id, d.title, d.owner, d.amount_minor, d.currency"
        return (
            f"SELECT 'new' AS event, substr(d.created_at, 1, 10) AS day, {cols}, NULL AS detail_from,"
            " NULL AS detail_to, 0 AS seq FROM deals d"
            f" WHERE d.created_at >= :start AND d.created_at < :end{filt}"
            f" UNION ALL SELECT 'advanced', {HISTORY_DAY}, {cols}, fs.name, ts.name, h.id"
            " FROM stage_history h JOIN stages ts ON ts.id = h.to_stage_id"
            " JOIN stages fs ON fs.id = h.from_stage_id JOIN deals d ON d.id = h.deal_id"
            " WHERE h.changed_at >= :start AND h.changed_at < :end AND ts.kind = 'open'"
            " AND fs.kind = 'open' AND ts.position > fs.position"
            # (not the stages an import passes as it creates a deal: a move of a deal's creation instant, imported)
            f" AND NOT (h.batch_id IS NOT NULL AND h.changed_at = d.created_at){filt}"
            # back to an earlier open stage of its pipeline, or reopened from won or lost
            f" UNION ALL SELECT 'moved_back', {HISTORY_DAY}, {cols}, fs.name, ts.name, h.id"
            " FROM stage_history h JOIN stages ts ON ts.id = h.to_stage_id"
            " JOIN stages fs ON fs.id = h.from_stage_id JOIN deals d ON d.id = h.deal_id"
            " WHERE h.changed_at >= :start AND h.changed_at < :end AND ts.kind = 'open'"
            " AND (fs.kind <> 'open' OR (ts.pipeline_id = fs.pipeline_id AND ts.position < fs.position))"
            f" AND NOT (h.batch_id IS NOT NULL AND h.changed_at = d.created_at){filt}"
            # a deal whose close date ends the week later than it was (its first date of the week, cleared or
            # not on the way): pushed and pulled back is no slip, two pushes are one
            f" UNION ALL SELECT 'slipped', substr(l.changed_at, 1, 10), {cols}, w.first_close,"
            " json_extract(l.after, '$.expected_close'), l.id"
            " FROM (SELECT s.deal_id, s.last_id, (SELECT json_extract(c.before, '$.expected_close') FROM changes c"
            " WHERE c.entity = 'deal' AND c.entity_id = s.deal_id AND c.id BETWEEN s.first_id AND s.last_id"
            " AND c.after LIKE '%expected_close%' AND json_extract(c.before, '$.expected_close') IS NOT NULL"
            " ORDER BY c.id LIMIT 1) AS first_close"
            " FROM (SELECT ch.entity_id AS deal_id, min(ch.id) AS first_id, max(ch.id) AS last_id FROM changes ch"
            " WHERE ch.entity = 'deal' AND ch.changed_at >= :start AND ch.changed_at < :end"
            " AND ch.after LIKE '%expected_close%' GROUP BY ch.entity_id) s) w"
            " JOIN changes l ON l.id = w.last_id JOIN deals d ON d.id = w.deal_id"
            f" WHERE json_extract(l.after, '$.expected_close') > w.first_close{filt}"
            f" UNION ALL SELECT 'won', substr(d.won_at, 1, 10), {cols}, NULL, NULL, 0 FROM {source} d"
            f" WHERE d.status = 'won' AND d.won_at >= :start AND d.won_at < :end{filt}"
            f" UNION ALL SELECT 'lost', substr(d.lost_at, 1, 10), {cols}, d.lost_reason, NULL, 0 FROM {source} d"
            f" WHERE d.status = 'lost' AND d.lost_at >= :start AND d.lost_at < :end{filt}"
        ), {**fparams, **sparams}

    def week_events(self, f: DealFilter, *, start: str, end: str, limit: int | None = None,
                    upto: str | None = None) -> Iterator[Row]:
        """What happened to deals in [start, end): created, advanced (a move to a later open stage, after
        its creation), moved back (to an earlier open stage, or reopened), slipped (its close date later at the
        period's end than at its start, from the change log), won, lost — by day."""
        sql, params = self._events_sql(f, upto)
        yield from self.stream(f"{sql} ORDER BY day, deal_id, seq LIMIT :limit",
                                     {**params, "start": start, "end": end, "limit": -1 if limit is None else limit})

    def week_event_totals(self, f: DealFilter, *, start: str, end: str, upto: str | None = None) -> list[Row]:
        """Per event and currency: how many, and their amount (minor units)."""
        sql, params = self._events_sql(f, upto)
        return self._rows(
            "SELECT event, currency, count(*) AS n, coalesce(sum(amount_minor), 0) AS amount"
            f" FROM ({sql}) GROUP BY event, currency", {**params, "start": start, "end": end})

    # -- insights ------------------------------------------------------------------------
    def deals_in_stage_longer(self, f: DealFilter, *, today: str, limits: dict[int, float],
                              limit: int | None = None) -> Iterator[Row]:
        """Open deals whose days in their current stage exceed that stage's limit (stage id -> days), longest
        first; every row carries `total`, the number of such deals."""
        if not limits:
            return
        filt, fparams = f.sql()
        values = ", ".join(f"(:ls{i}, :lv{i})" for i in range(len(limits)))
        params: dict[str, Any] = {**fparams, "today": today}
        for i, (sid, lim) in enumerate(limits.items()):
            params[f"ls{i}"] = sid
            params[f"lv{i}"] = lim
        params["limit"] = -1 if limit is None else limit  # a LIMIT (-1: none) keeps c ordered, unflattened
        yield from self.stream(
            f"WITH lim(stage_id, days) AS (VALUES {values}),"
            " c AS (SELECT d.id, julianday(:today) - julianday(substr(d.stage_entered_at, 1, 10)) AS days_in_stage,"
            " count(*) OVER () AS total FROM deals d JOIN lim ON lim.stage_id = d.stage_id"
            " WHERE d.status = 'open' AND julianday(:today) - julianday(substr(d.stage_entered_at, 1, 10))"
            f" > lim.days AND {NOT_PARKED}{filt} ORDER BY days_in_stage DESC, d.id LIMIT :limit)"
            " SELECT c.id, d.title, d.owner, s.name AS stage, s.id AS stage_id, d.amount_minor, d.currency,"
            " c.days_in_stage, c.total"
            " FROM c CROSS JOIN deals d CROSS JOIN stages s WHERE d.id = c.id AND s.id = d.stage_id",
            params,
        )

    def close_date_pushes(self, f: DealFilter, *, min_pushes: int, before: str, limit: int | None = None
                          ) -> Iterator[Row]:
        """Open deals whose expected close was moved later at least min_pushes times before a day (change log),
        most pushed first, with the close date it had by then (last_close); every row carries `total`."""
        filt, fparams = f.sql()
        params: dict[str, Any] = {**fparams, "min": min_pushes, "before": before}
        params["limit"] = -1 if limit is None else limit  # a LIMIT (-1: none) keeps c ordered, unflattened
        yield from self.stream(
            "SELECT d.id, d.title, d.owner, s.name AS stage, d.amount_minor, d.currency, d.expected_close,"
            " count(*) AS pushes, min(json_extract(ch.before, '$.expected_close')) AS first_close,"
            " (SELECT json_extract(l.after, '$.expected_close') FROM changes l WHERE l.entity = 'deal'"
            "  AND l.entity_id = d.id AND l.after LIKE '%expected_close%' AND l.changed_at < :before"
            "  ORDER BY l.id DESC LIMIT 1) AS last_close, count(*) OVER () AS total"
            " FROM changes ch JOIN deals d ON d.id = ch.entity_id JOIN stages s ON s.id = d.stage_id"
            " WHERE ch.entity = 'deal' AND d.status = 'open' AND ch.after LIKE '%expected_close%'"
            " AND ch.changed_at < :before"
            " AND json_extract(ch.after, '$.expected_close') > json_extract(ch.before, '$.expected_close')"
            f"{filt} GROUP BY d.id HAVING count(*) >= :min ORDER BY pushes DESC, d.id"
            " LIMIT :limit",
            params,
        )

    def quiet_big_deals(self, f: DealFilter, *, today: str, quiet_days: int, least: dict[str, int],
                        scale: dict[str, float], limit: int | None = None) -> Iterator[Row]:
        """Open deals of at least `least` minor units of their currency (a threshold in the base, converted
        exactly) with no activity for quiet_days, largest first; every row carries `total`."""
        filt, fparams = f.sql()
        fx, fx_params = _fx_cte(scale, least)
        params: dict[str, Any] = {**fparams, **fx_params, "today": today, "quiet": f"-{int(quiet_days)} days"}
        params["limit"] = -1 if limit is None else limit  # a LIMIT (-1: none) keeps c ordered, unflattened
        yield from self.stream(
            f"WITH {fx}, c AS (SELECT d.id, d.amount_minor * fx.factor AS k,"
            f" {last_touch(':today')} AS last_touch,"
            " count(*) OVER () AS total"
            " FROM deals d LEFT JOIN fx ON fx.currency = d.currency"
            f" WHERE d.status = 'open' AND d.amount_minor IS NOT NULL AND {NOT_PARKED}{filt}"
            " AND d.amount_minor >= fx.least"
            f" AND {last_touch(':today')} <= date(:today, :quiet)"
            f" ORDER BY k DESC, d.id LIMIT :limit)"
            " SELECT c.id, d.title, d.owner, s.name AS stage, d.amount_minor, d.currency, c.last_touch,"
            f" substr({last_activity_on(':today')}, 1, 10) AS last_activity,"
            " julianday(:today) - julianday(c.last_touch) AS quiet, c.total"
            " FROM c CROSS JOIN deals d CROSS JOIN stages s WHERE d.id = c.id AND s.id = d.stage_id",
            params,
        )

    def open_amount_middle(self, f: DealFilter, scale: dict[str, float]) -> list[Row]:
        """The open deal or two in the middle by amount in the base (deals with an amount and a known rate):
        amount_minor and currency, for the median to be worked out exactly."""
        filt, fparams = f.sql()
        fx, fx_params = _fx_cte(scale)
        return self._rows(
            f"WITH {fx}, b AS (SELECT d.amount_minor, d.currency, d.amount_minor * fx.factor AS v"
            " FROM deals d LEFT JOIN fx ON fx.currency = d.currency"
            f" WHERE d.status = 'open' AND d.amount_minor IS NOT NULL{filt}),"
            " k AS (SELECT amount_minor, currency, v FROM b WHERE v IS NOT NULL),"
            " r AS (SELECT amount_minor, currency, row_number() OVER (ORDER BY v) AS rn, count(*) OVER () AS n"
            " FROM k)"
            " SELECT amount_minor, currency FROM r WHERE rn IN ((n + 1) / 2, (n + 2) / 2)",
            {**fparams, **fx_params},
        )
