"""Pipelines, stages, deals, stage history and exchange rates: the SQL of the deal aggregate.

Shared with other features (today, reports, insights):

- ``stale_condition(today_iso, default_days)``: THE definition of a stale deal, as a SQL fragment
  for a query over ``deals d JOIN stages s ON s.id = d.stage_id``.
- ``DealStore.deal_query(...)`` / ``DEAL_SORTS``: the filtered deal list.
- ``DealStore.fx_rates_on(as_of_iso)``: the exchange rates in force on a date.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from salescli.repository.activities import activity_after, done_task_added_by
from salescli.repository.base import Query, RepositoryBase, Row
from salescli.repository.crm import add_tag_filter

#: --sort names of `deal list` -> ORDER BY (an allow-list: user text never reaches SQL).
DEAL_SORTS: dict[str, str] = {
    "id": "d.id",
    "amount": "d.amount_minor IS NULL, d.amount_minor DESC, d.id",
    "close": "d.expected_close IS NULL, d.expected_close, d.id",
    "stage": "s.pipeline_id, s.position, d.id",  # s, not d.pipeline_id: the deals index covers the sort
    "age": "d.stage_entered_at, d.id",
    "updated": "d.updated_at DESC, d.id",
    "title": "d.title COLLATE NOCASE, d.id",
    "created": "d.created_at, d.id",
    "owner": "d.owner COLLATE NOCASE, d.id",
    "probability": "d.probability DESC, d.id",
}



def reversed_order(order_by: str) -> str:
    """An ORDER BY turned around (`deal list --sort -amount`): each term's direction flips, but the terms
    that put missing or unconverted values last (`x IS NULL`, `x NOT IN (...)`) keep them last."""
    terms, depth, start = [], 0, 0
    for i, ch in enumerate(order_by):
        depth += (ch == "(") - (ch == ")")
        if ch == "," and depth == 0:
            terms.append(order_by[start:i].strip())
            start = i + 1
    terms.append(order_by[start:].strip())
    out = []
    for term in terms:
        if term.endswith(" IS NULL") or " NOT IN (" in term:
            out.append(term)
        elif term.endswith(" DESC"):
            out.append(term.removesuffix(" DESC"))
        else:
            out.append(f"{term} DESC")
    return ", ".join(out)


DEAL_COLUMNS = (
    "d.id, d.title, d.company_id, c.name AS company, d.contact_id, ct.name AS contact,"
    " d.pipeline_id, p.name AS pipeline, d.stage_id, s.name AS stage, s.kind AS stage_kind,"
    " s.position AS stage_position, s.probability AS stage_probability, s.rot_days, s.required_fields,"
    " d.status, d.amount_minor, d.currency, d.probability, d.probability_set, d.forecast_category,"
    " d.forecast_category_set, d.expected_close, d.owner, d.source, d.next_step, d.next_step_date,"
    " d.recurring, d.won_at, d.lost_at, d.lost_reason, d.lost_category, d.parked_until, d.park_reason,"
    " d.external_id, d.tags, d.notes, d.extra, d.created_at, d.updated_at, d.stage_entered_at,"
    " d.last_activity_at"
)
DEAL_SOURCE = (
    "deals d JOIN stages s ON s.id = d.stage_id JOIN pipelines p ON p.id = d.pipeline_id"
    " LEFT JOIN companies c ON c.id = d.company_id LEFT JOIN contacts ct ON ct.id = d.contact_id"
)


@dataclass
class DealQuery(Query):
    """A deal list query; its filters use only d (deals) and, when uses_stage, s (the deal's stage),
    so counts and totals can run on the deals table (and its covering indexes) alone."""

    uses_stage: bool = False

    def filtered_source(self) -> str:
        return "deals d JOIN stages s ON s.id = d.stage_id" if self.uses_stage else "deals d"

    def where_sql(self) -> str:
        return (" WHERE " + " AND ".join(f"({w})" for w in self.where)) if self.where else ""


def last_activity_on(day: str) -> str:
    """A deal's (alias ``d``) last activity as a day (a parameter such as ? or :today) saw it: last_activity_at,
    unless that is after the day (a report pinned to a past --today) — then the last of its activities that had
    happened by the day's end (logged, or a task done), read for those deals only."""
    happened_on = "CASE WHEN t.kind = 'task' THEN t.done_at ELSE t.occurred_at END"
    return (f"(CASE WHEN substr(d.last_activity_at, 1, 10) > {day} THEN (SELECT max({happened_on})"
            " FROM activities t WHERE t.deal_id = d.id AND (t.kind <> 'task' OR t.done_at IS NOT NULL)"
            f" AND substr({happened_on}, 1, 10) <= {day}) ELSE d.last_activity_at END)")


def last_touch(day: str) -> str:
    """The day a deal (alias ``d``) was last touched, as of a day (a parameter): its last activity or its entry
    into its stage, whichever is later (an old call does not make a deal that moved on today idle; the stage's rot
    days count from the move)."""
    return (f"substr(max(coalesce({last_activity_on(day)}, ''), coalesce(d.stage_entered_at, d.created_at)),"
            " 1, 10)")


def stale_condition(today_iso: str, default_days: int) -> tuple[str, list[Any]]:
    """SQL (with its bound parameters) that holds for a stale deal; aliases ``d`` (deals), ``s`` (its stage).

    A deal is stale when it is open, not parked (parked_until absent or on/before today) and any of:
    - idle for longer than its stage's rot days (``s.rot_days``, else ``default_days``): last_touch (the
      later of its last activity and its entry into its stage) is more than that many days before today;
    - its expected close date has passed (before today);
    - its next-step date has passed (before today).
    Dates are compared on their first 10 characters, so date and datetime text both work.

    Use it as ``query.add(sql, *params)`` or ``f"... WHERE {sql}"`` with ``params`` in that position.
    """
    touch = last_touch("?")
    sql = (
        "d.status = 'open'"
        " AND (d.parked_until IS NULL OR substr(d.parked_until, 1, 10) <= ?)"
        " AND ("
        f"{touch} < date(?, '-' || coalesce(s.rot_days, ?) || ' days')"
        " OR substr(d.expected_close, 1, 10) < ?"
        " OR substr(d.next_step_date, 1, 10) < ?"
        ")"
    )
    return sql, [today_iso, *[today_iso] * touch.count("?"), today_iso, int(default_days), today_iso, today_iso]


def no_next_step_on(day: str) -> str:
    """An open deal has no next step when its next-step field is empty and no open task is linked to it
    (the task is the step). A 0/1 value on alias ``d`` (deals) on a day (a parameter such as ? or :today); the CASE
    keeps the probe of the partial index activities_deal_open_tasks to the deals whose field is empty. INDEXED BY:
    the planner chose activities_deal and read every activity's row of each deal (220k open deals: 0.1 s -> 3 s).

    When an activity is dated after the day (a report pinned to a past --today; asked once a statement: the
    EXISTS is not correlated), the tasks are those open on the day: added by then, and not done by then
    (activities.open_task_on)."""
    return (
        "(CASE WHEN d.next_step IS NULL OR trim(d.next_step) = '' THEN"
        f" CASE WHEN {activity_after(day)} THEN NOT EXISTS (SELECT 1 FROM activities t"
        " INDEXED BY activities_deal_open_tasks WHERE t.deal_id = d.id AND t.kind = 'task' AND t.done_at IS NULL"
        f" AND substr(t.occurred_at, 1, 10) <= {day}) AND NOT EXISTS (SELECT 1 FROM activities t"
        f" INDEXED BY activities_deal WHERE t.deal_id = d.id AND t.occurred_at > {day} AND t.kind = 'task'"
        f" AND substr(t.done_at, 1, 10) > {day} AND {done_task_added_by(day, 't')})"
        " ELSE NOT EXISTS (SELECT 1 FROM activities t"
        " INDEXED BY activities_deal_open_tasks WHERE t.deal_id = d.id AND t.kind = 'task' AND t.done_at IS NULL)"
        " END ELSE 0 END)"
    )


def no_next_step(today: str) -> str:
    """no_next_step_on(today) for a deal not parked past today (a named parameter such as ':today'): a parked deal
    needs no next step until its date, as `today` counts it."""
    return f"(CASE WHEN substr(d.parked_until, 1, 10) > {today} THEN 0 ELSE {no_next_step_on(today)} END)"


class DealStore(RepositoryBase):
    """Pipelines and their stages, deals, stage history, exchange rates."""

    stale_condition = staticmethod(stale_condition)

    # -- pipelines -----------------------------------------------------------------------
    # A deal's status mirrors its stage's kind, so deals per stage (counted on the deals_stage_owner
    # index, never the table) give every count: open deals are those in open stages.
    _STAGE_DEALS = "(SELECT count(*) FROM deals d WHERE d.stage_id = s.id)"

    def pipelines(self) -> list[Row]:
        return self.all(
            "SELECT p.id, p.name, p.is_default, p.created_at, count(s.id) AS stage_count,"
            f" coalesce(sum(CASE WHEN s.kind = 'open' THEN {self._STAGE_DEALS} END), 0) AS open_deals,"
            f" coalesce(sum({self._STAGE_DEALS}), 0) AS deals"
            " FROM pipelines p LEFT JOIN stages s ON s.pipeline_id = p.id"
            " GROUP BY p.id ORDER BY p.is_default DESC, p.name COLLATE NOCASE, p.id"
        )

    def pipeline(self, pipeline_id: int) -> Row | None:
        return self.one("SELECT * FROM pipelines WHERE id = ?", (pipeline_id,))

    def pipeline_named(self, name: str) -> Row | None:
        return self.one("SELECT * FROM pipelines WHERE name = ? COLLATE NOCASE", (name,))

    def pipeline_use(self, pipeline_id: int, name: str) -> dict[str, int]:
        """What keeps a pipeline: its deals, the deals whose stage history passes through its stages, the
        forecast snapshots taken of it."""
        return {
            "deals": int(self.scalar("SELECT count(*) FROM deals WHERE pipeline_id = ?", (pipeline_id,))),
            "history": int(self.scalar(
                "SELECT count(DISTINCT h.deal_id) FROM stage_history h JOIN stages s ON s.id = h.to_stage_id"
                " WHERE s.pipeline_id = ?", (pipeline_id,))),
            "snapshots": int(self.scalar(
                "SELECT count(*) FROM forecast_snapshots WHERE pipeline = ? COLLATE NOCASE", (name,))),
        }

    def delete_pipelines(self, ids: list[int]) -> int:
        """Delete pipelines nothing uses (see pipeline_use), their stages first; each delete logged."""
        for pid in ids:
            for sid in [r["id"] for r in self.all("SELECT id FROM stages WHERE pipeline_id = ?", (pid,))]:
                self.delete_record("stages", "stage", sid)
            self.delete_record("pipelines", "pipeline", pid)
        return len(ids)

    def rename_in_snapshot_scopes(self, old: str, new: str) -> int:
        """Forecast snapshots taken of pipeline old name it by its new name (their scope label begins with
        'pipeline:NAME')."""
        return self.conn.execute(
            "UPDATE forecast_snapshots SET pipeline = ?1,"
            " scope = 'pipeline:' || ?1 || substr(scope, length(pipeline) + 10) WHERE pipeline = ?2 COLLATE NOCASE",
            (new, old)).rowcount

    def default_pipeline(self) -> Row | None:
        return self.one("SELECT * FROM pipelines ORDER BY is_default DESC, id LIMIT 1")

    def set_default_pipeline(self, pipeline_id: int) -> None:
        current = self.default_pipeline()
        self.conn.execute("UPDATE pipelines SET is_default = (id = ?)", (pipeline_id,))
        self.record_change(
            "pipeline", pipeline_id, "set default",
            {"default": current["name"] if current else None},
            {"default": self.scalar("SELECT name FROM pipelines WHERE id = ?", (pipeline_id,))},
        )

    # -- stages --------------------------------------------------------------------------
    def stages(self, pipeline_id: int) -> list[Row]:
        return self.all(
            f"SELECT s.*, {self._STAGE_DEALS} AS deals,"
            f" CASE WHEN s.kind = 'open' THEN {self._STAGE_DEALS} ELSE 0 END AS open_deals"
            " FROM stages s WHERE s.pipeline_id = ? ORDER BY s.position, s.id",
            (pipeline_id,),
        )

    def stage(self, stage_id: int) -> Row | None:
        return self.one("SELECT * FROM stages WHERE id = ?", (stage_id,))

    def stage_named(self, pipeline_id: int, name: str) -> Row | None:
        return self.one(
            "SELECT * FROM stages WHERE pipeline_id = ? AND name = ? COLLATE NOCASE", (pipeline_id, name)
        )

    def stage_ids_named(self, name: str) -> list[int]:
        """Ids of the stages called name (any case) in every pipeline."""
        return [r["id"] for r in self.all("SELECT id FROM stages WHERE name = ? COLLATE NOCASE ORDER BY id", (name,))]

    def stage_names(self, pipeline_id: int | None = None) -> list[str]:
        if pipeline_id is None:
            rows = self.all(
                "SELECT s.name FROM stages s JOIN pipelines p ON p.id = s.pipeline_id"
                " ORDER BY p.is_default DESC, p.id, s.position"
            )
        else:
            rows = self.all("SELECT name FROM stages WHERE pipeline_id = ? ORDER BY position", (pipeline_id,))
        names: list[str] = []
        for row in rows:
            if row["name"].lower() not in (n.lower() for n in names):
                names.append(row["name"])
        return names

    def stage_history_refs(self, stage_id: int) -> int:
        """Stage history rows that name the stage (entering it; leaving it is counted only when
        nothing entered it, as leaving implies entering and from_stage_id has no index)."""
        entered = int(self.scalar("SELECT count(*) FROM stage_history WHERE to_stage_id = ?", (stage_id,)))
        if entered:
            return entered
        return int(self.scalar("SELECT count(*) FROM stage_history WHERE from_stage_id = ?", (stage_id,)))

    def renumber_stages(self, pipeline_id: int, ordered_ids: list[int]) -> None:
        """Give the stages positions 1..n in this order (two passes keep positions unique)."""
        for pos, sid in enumerate(ordered_ids, start=1):
            self.conn.execute("UPDATE stages SET position = ? WHERE id = ? AND pipeline_id = ?",
                              (-pos, sid, pipeline_id))
        self.conn.execute("UPDATE stages SET position = -position WHERE pipeline_id = ? AND position < 0",
                          (pipeline_id,))

    def follow_stage_probability(self, stage_id: int, probability: int, category: str) -> int:
        """Open deals in the stage whose probability follows it take the new one (and category, unless set); each
        logged in the deal's history."""
        self._log_deals_follow(
            "WHERE stage_id = :stage AND status = 'open' AND probability_set = 0 AND probability != :probability",
            {"stage": stage_id}, {}, probability, category)
        cur = self.conn.execute(
            "UPDATE deals SET probability = ?,"
            " forecast_category = CASE WHEN forecast_category_set = 1 THEN forecast_category ELSE ? END,"
            " updated_at = ?"
            " WHERE stage_id = ? AND status = 'open' AND probability_set = 0 AND probability != ?",
            (probability, category, self.now(), stage_id, probability),
        )
        return cur.rowcount

    def _log_deals_follow(self, where: str, where_params: dict[str, Any], moved: dict[str, int], probability: int,
                          category: str) -> None:
        """Log, deal by deal (in one INSERT … SELECT: a stage may hold many), what a stage edit or merge is about to
        write — a pipeline command changes deals too, and their history says so: the moved fields, and an open
        deal's probability and category where they follow the stage."""
        changes = [(f"{column} != :{column}", column) for column in moved]
        changes += [("status = 'open' AND probability_set = 0 AND probability != :probability", "probability"),
                    ("status = 'open' AND probability_set = 0 AND forecast_category_set = 0"
                     " AND forecast_category != :forecast_category", "forecast_category")]
        before = after = "'{}'"
        for condition, column in changes:
            when = f"CASE WHEN {condition} THEN json_object('{column}', "
            before = f"json_patch({before}, {when}{column}) ELSE '{{}}' END)"
            after = f"json_patch({after}, {when}:{column}) ELSE '{{}}' END)"
        named = {**where_params, **moved, "probability": probability, "forecast_category": category,
                 "batch": self.batch_id, "now": self.now(), "user": self.user}
        self.conn.execute(
            "INSERT INTO changes (batch_id, entity, entity_id, action, changed_at, changed_by, before, after)"
            " SELECT :batch, 'deal', id, 'update', :now, :user, b, a"
            f" FROM (SELECT id, {before} AS b, {after} AS a FROM deals {where}) WHERE a != '{{}}' ORDER BY id", named)

    def merge_stage(self, old_id: int, new_id: int, new_pipeline_id: int, probability: int, category: str) -> int:
        """Move every deal and history reference of stage old_id to new_id; returns the deals moved.

        Open deals whose probability follows their stage take the new stage's (and its derived category
        unless theirs was set by hand).
        """
        self._log_deals_follow("WHERE stage_id = :old", {"old": old_id},
                               {"stage_id": new_id, "pipeline_id": new_pipeline_id}, probability, category)
        cur = self.conn.execute(
            "UPDATE deals SET stage_id = ?, pipeline_id = ?, updated_at = ?,"
            " probability = CASE WHEN status = 'open' AND probability_set = 0 THEN ? ELSE probability END,"
            " forecast_category = CASE WHEN status = 'open' AND probability_set = 0 AND forecast_category_set = 0"
            " THEN ? ELSE forecast_category END"
            " WHERE stage_id = ?",
            (new_id, new_pipeline_id, self.now(), probability, category, old_id),
        )
        moved = cur.rowcount
        self.conn.execute("UPDATE stage_history SET to_stage_id = ? WHERE to_stage_id = ?", (new_id, old_id))
        self.conn.execute("UPDATE stage_history SET from_stage_id = ? WHERE from_stage_id = ?", (new_id, old_id))
        # a move between the two stages is no move now: the history reads as one stay in the stage kept (its
        # time in stage counted once), and a deal in it entered it when that stay began. The note and the
        # forced mark of such a move go to the move that began the stay (the change log keeps the move too).
        inner = self.all("SELECT id, deal_id, changed_at, note, forced FROM stage_history"
                         " WHERE from_stage_id = ?1 AND to_stage_id = ?1 ORDER BY deal_id, changed_at, id", (new_id,))
        for row in inner:
            if not (row["note"] or row["forced"]):
                continue
            entry = self.one(
                "SELECT id, note FROM stage_history WHERE deal_id = ?1 AND (changed_at, id) < (?2, ?3)"
                " AND NOT (from_stage_id IS ?4 AND to_stage_id = ?4) ORDER BY changed_at DESC, id DESC LIMIT 1",
                (row["deal_id"], row["changed_at"], row["id"], new_id))
            if entry is not None:
                note = "; ".join(n for n in (entry["note"], row["note"]) if n) or None
                self.conn.execute("UPDATE stage_history SET note = ?, forced = max(forced, ?) WHERE id = ?",
                                  (note, row["forced"], entry["id"]))
        merged = sorted({r["deal_id"] for r in inner})
        if merged:
            self.conn.execute("DELETE FROM stage_history WHERE from_stage_id = ?1 AND to_stage_id = ?1", (new_id,))
            self.conn.execute(
                "UPDATE deals SET stage_entered_at = (SELECT max(h.changed_at) FROM stage_history h"
                " WHERE h.deal_id = deals.id AND h.to_stage_id = ?1)"
                " WHERE stage_id = ?1 AND id IN (SELECT value FROM json_each(?2))"
                " AND EXISTS (SELECT 1 FROM stage_history h WHERE h.deal_id = deals.id AND h.to_stage_id = ?1)",
                (new_id, json.dumps(merged)))
        return moved

    def deals_in_stage(self, stage_id: int) -> list[int]:
        return [r["id"] for r in self.all("SELECT id FROM deals WHERE stage_id = ? ORDER BY id", (stage_id,))]

    # -- deals ---------------------------------------------------------------------------
    def deal(self, deal_id: int) -> Row | None:
        """A deal with its stage, pipeline, company and contact names."""
        return self.one(f"SELECT {DEAL_COLUMNS} FROM {DEAL_SOURCE} WHERE d.id = ?", (deal_id,))

    def deals_titled(self, title: str) -> list[Row]:
        """The deals of a title (any case), with what tells them apart: company, stage, status."""
        return self.all(
            "SELECT d.id, d.title AS name, d.company_id, c.name AS company, s.name AS stage, d.status FROM deals d"
            " JOIN stages s ON s.id = d.stage_id LEFT JOIN companies c ON c.id = d.company_id"
            " WHERE d.title = ? COLLATE NOCASE ORDER BY d.id LIMIT 21", (title,)
        )

    def deal_query(
        self,
        *,
        stage_ids: list[int] | None = None,
        owner: str | None = None,
        pipeline_id: int | None = None,
        status: str | None = None,
        close_from: str | None = None,
        close_before: str | None = None,
        tag: str | None = None,
        company_id: int | None = None,
        contact_id: int | None = None,
        stale: tuple[str, int] | None = None,
        parked_after: str | None = None,
        min_amount: tuple[int, str | None] | None = None,
        scale: dict[str, float] | None = None,
        sort: str = "id",
        worth: dict[str, float] | None = None,
        rated: list[str] | None = None,
        descending: bool = False,
    ) -> DealQuery:
        """The deal list. Filters only use aliases d and s (see deal_totals).

        stale = (today_iso, default_days); parked_after: open deals parked past that day;
        min_amount = (minor units at 2 decimals, currency or None):
        with a currency only that currency's deals, else the nominal amount in each deal's own currency,
        scaled by ``scale`` (currency -> 10**(decimals-2) for currencies without 2 decimals). ``worth``
        (currency -> factor from its minor units to the base's; "*": any other currency) orders --sort amount
        in the base currency, the currencies not in ``rated`` (no exchange rate) after the others.
        descending: the sort turned around (deals without the value still last).
        """
        order_by = DEAL_SORTS[sort]
        if sort == "amount" and worth:
            # numbers and ISO codes we computed, written into the SQL (ORDER BY appears twice in fetch_deals)
            cases = " ".join(f"WHEN '{code}' THEN {factor!r}" for code, factor in sorted(worth.items())
                             if code.isalpha() and code.isascii())
            other = float(worth.get("*", 1.0))
            known = ", ".join(f"'{code}'" for code in rated or () if code.isalpha() and code.isascii()) or "''"
            order_by = (f"d.amount_minor IS NULL, d.currency NOT IN ({known}),"
                        f" d.amount_minor * (CASE d.currency {cases} ELSE {other!r} END) DESC, d.id")
        if sort == "id" and (stage_ids or owner or company_id is not None or contact_id is not None):
            # "+d.id": not walkable in rowid order, so SQLite seeks the filter's index and sorts what it
            # finds, instead of scanning the table in id order hoping to meet LIMIT matches early
            # (a full scan when they are few or none).
            order_by = "+d.id"
        if descending:
            order_by = reversed_order(order_by)
        q = DealQuery(DEAL_COLUMNS, DEAL_SOURCE, order_by=order_by)
        if stage_ids is not None:
            if len(stage_ids) == 1:
                q.add("d.stage_id = ?", stage_ids[0])
            else:
                q.add(f"d.stage_id IN ({', '.join('?' for _ in stage_ids)})", *stage_ids)
        if owner:
            # The user's own spelling (users.name is case-insensitive) or the text as typed: an exact
            # match, so the (stage_id, owner) and (owner, status) indexes serve it.
            q.add("d.owner IN (SELECT name FROM users WHERE name = ? COLLATE NOCASE UNION ALL SELECT ?)", owner, owner)
        if pipeline_id is not None:
            q.add("d.pipeline_id = ?", pipeline_id)
        if status:
            q.add("d.status = ?", status)
        if close_from:
            q.add("d.expected_close >= ?", close_from)
        if close_before:
            q.add("d.expected_close < ?", close_before)
        if tag:
            add_tag_filter(q, "d.tags", tag)
        if company_id is not None:
            q.add("d.company_id = ?", company_id)
        if contact_id is not None:
            q.add("d.contact_id = ?", contact_id)
        if stale is not None:
            sql, params = stale_condition(*stale)
            q.add(sql, *params)
            q.uses_stage = True
        if parked_after is not None:
            q.add("d.status = 'open' AND substr(d.parked_until, 1, 10) > ?", parked_after)  # (parked as every report)
        if min_amount is not None:
            minor, currency = min_amount
            if currency:
                q.add("d.currency = ? AND d.amount_minor >= ?", currency, minor)
            elif scale:
                cases = " ".join("WHEN ? THEN ?" for _ in scale)
                flat = [v for item in scale.items() for v in item]
                q.add(f"d.amount_minor >= ? * (CASE d.currency {cases} ELSE 1 END)", minor, *flat)
            else:
                q.add("d.amount_minor >= ?", minor)
        return q

    def open_deal_owners(self) -> list[Row]:
        """Owners of open deals, most first: owner, deals."""
        return self.all("SELECT owner, count(*) AS deals FROM deals WHERE status = 'open' AND owner IS NOT NULL"
                        " GROUP BY owner ORDER BY deals DESC, owner")

    def deal_totals(self, query: DealQuery) -> list[Row]:
        """Per status and currency: deals, deals with an amount, and the sum of amounts (minor units) for a
        deal_query."""
        sql = (
            "SELECT d.status AS status, d.currency AS currency, count(*) AS deals,"
            " count(d.amount_minor) AS with_amount, coalesce(sum(d.amount_minor), 0) AS minor"
            f" FROM {query.filtered_source()}{query.where_sql()} GROUP BY d.status, d.currency ORDER BY d.currency"
        )
        return self.all(sql, query.params)

    def fetch_deals(self, query: DealQuery, limit: int | None = None) -> Iterator[Row]:
        """The rows of a deal_query. With a limit, the first `limit` are picked on the deals table and its
        indexes alone (often without reading the table), and only those are joined to their names:
        sorting a million joined rows to show 50 is what this avoids."""
        if limit is None:
            yield from self.fetch(query)
            return
        order = query.order_by or "d.id"
        source = query.filtered_source()
        if "s." in order and not query.uses_stage:
            source = "deals d JOIN stages s ON s.id = d.stage_id"
        picked = f"SELECT d.id FROM {source}{query.where_sql()} ORDER BY {order} LIMIT ?"
        yield from self.stream(
            f"SELECT {DEAL_COLUMNS} FROM {DEAL_SOURCE} WHERE d.id IN ({picked}) ORDER BY {order}",
            [*query.params, limit],
        )

    def stage_history(self, deal_id: int) -> list[Row]:
        return self.all(
            "SELECT h.id, h.changed_at, f.name AS from_stage, t.name AS to_stage, h.changed_by, h.note, h.forced"
            " FROM stage_history h JOIN stages t ON t.id = h.to_stage_id"
            " LEFT JOIN stages f ON f.id = h.from_stage_id"
            " WHERE h.deal_id = ? ORDER BY substr(h.changed_at, 1, 10), h.id",
            (deal_id,),
        )

    def stage_before(self, deal_id: int, stage_id: int) -> int | None:
        """The stage a deal came from when it last entered stage_id (None when unknown)."""
        return self.scalar(  # type: ignore[no-any-return]
            "SELECT from_stage_id FROM stage_history WHERE deal_id = ? AND to_stage_id = ?"
            " ORDER BY substr(changed_at, 1, 10) DESC, id DESC LIMIT 1",
            (deal_id, stage_id),
        )

    def values_before_closing(self, deal_id: int) -> dict[str, Any]:
        """What the change that closed the deal last (won or lost, by hand or by an import) changed, as it
        was before (the change log's `before`; {} when none)."""
        import json

        text = self.scalar("SELECT before FROM changes WHERE entity = 'deal' AND entity_id = ?"
                           " AND json_extract(after, '$.status') IN ('won', 'lost') ORDER BY id DESC LIMIT 1",
                           (deal_id,))
        found = json.loads(text) if text else {}
        return found if isinstance(found, dict) else {}

    def last_stage_change(self, deal_id: int) -> str | None:
        """The day of a deal's latest stage change."""
        at = self.last_stage_change_at(deal_id)
        return None if at is None else at[:10]

    def last_stage_change_at(self, deal_id: int) -> str | None:
        """The time of a deal's latest stage change."""
        return self.scalar(  # type: ignore[no-any-return]
            "SELECT max(changed_at) FROM stage_history WHERE deal_id = ?", (deal_id,)
        )

    def last_stage_entries(self, deal_id: int) -> list[Row]:
        """A deal's last two stage-history rows (id, to_stage_id, changed_at), latest first."""
        return self.all("SELECT id, to_stage_id, changed_at FROM stage_history WHERE deal_id = ?"
                        " ORDER BY substr(changed_at, 1, 10) DESC, id DESC LIMIT 2", (deal_id,))

    def redate_stage_entry(self, entry_id: int, changed_at: str) -> None:
        """The day a deal entered its stage, corrected (an import's new close date of a won/lost deal)."""
        self.conn.execute("UPDATE stage_history SET changed_at = ? WHERE id = ?", (changed_at, entry_id))

    def add_stage_history(
        self, deal_id: int, from_stage_id: int | None, to_stage_id: int, changed_at: str, note: str | None,
        forced: bool,
    ) -> int:
        return self.insert("stage_history", {
            "deal_id": deal_id, "from_stage_id": from_stage_id, "to_stage_id": to_stage_id,
            "changed_at": changed_at, "changed_by": self.user, "note": note, "forced": int(forced),
        })

    def deal_id_by_external_id(self, external_id: str) -> int | None:
        return self.scalar("SELECT id FROM deals WHERE external_id = ?", (external_id,))  # type: ignore[no-any-return]

    def write_deal(self, deal_id: int, values: Row) -> None:
        self.update_row("deals", deal_id, values)

    # -- exchange rates ------------------------------------------------------------------
    def set_fx_rate(self, currency: str, rate: str, as_of: str) -> str | None:
        """Store a rate (text) for a currency on a date; returns the rate it replaced on that date."""
        before = self.scalar("SELECT rate FROM fx_rates WHERE currency = ? AND as_of = ?", (currency, as_of))
        self.conn.execute(
            "INSERT INTO fx_rates (currency, rate, as_of) VALUES (?, ?, ?)"
            " ON CONFLICT(currency, as_of) DO UPDATE SET rate = excluded.rate",
            (currency, rate, as_of),
        )
        self.record_change("fx", 0, f"set {currency}",
                           None if before is None else {"currency": currency, "rate": before, "as_of": as_of},
                           {"currency": currency, "rate": rate, "as_of": as_of})
        return before  # type: ignore[no-any-return]

    def delete_fx_rate(self, currency: str, as_of: str) -> None:
        """Remove one dated rate (logged as `rm CURRENCY`)."""
        rate = self.scalar("SELECT rate FROM fx_rates WHERE currency = ? AND as_of = ?", (currency, as_of))
        if rate is None:
            return
        self.conn.execute("DELETE FROM fx_rates WHERE currency = ? AND as_of = ?", (currency, as_of))
        self.record_change("fx", 0, f"rm {currency}", {"currency": currency, "rate": rate, "as_of": as_of}, None)

    def has_rate(self, currency: str) -> bool:
        return self.scalar("SELECT EXISTS (SELECT 1 FROM fx_rates WHERE currency = ?)", (currency,)) == 1

    def fx_rates_on(self, as_of_iso: str) -> dict[str, str]:
        """currency -> rate text of the latest rate on or before the date."""
        rows = self.all(
            "SELECT f.currency, f.rate FROM fx_rates f WHERE f.as_of = ("
            " SELECT max(g.as_of) FROM fx_rates g WHERE g.currency = f.currency AND g.as_of <= ?)",
            (as_of_iso,),
        )
        return {r["currency"]: r["rate"] for r in rows}

    def rated_currencies(self) -> list[str]:
        return [r["currency"] for r in self.all("SELECT DISTINCT currency FROM fx_rates ORDER BY currency")]

    def first_rate_day(self, currency: str) -> str | None:
        """The day a currency's first stored rate applies from (None: no rate at all)."""
        return self.scalar("SELECT min(as_of) FROM fx_rates WHERE currency = ?",  # type: ignore[no-any-return]
                           (currency,))

    def fx_rates_by_day(self) -> list[Row]:
        """Every stored rate, oldest first (currency, rate, as_of)."""
        return self.all("SELECT currency, rate, as_of FROM fx_rates ORDER BY as_of, currency")

    def fx_rate_rows(self, currency: str | None = None) -> list[Row]:
        if currency:
            return self.all("SELECT currency, rate, as_of FROM fx_rates WHERE currency = ? ORDER BY as_of DESC",
                            (currency,))
        return self.all("SELECT currency, rate, as_of FROM fx_rates ORDER BY currency, as_of DESC")
