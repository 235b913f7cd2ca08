"""Activities, tasks, automations, the daily agenda's task lists and full-text search."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from salescli.repository.base import Query, RepositoryBase, Row

ACTIVITY_COLUMNS = (
    "a.id, a.kind, a.subject, a.body, a.outcome, a.deal_id, d.title AS deal, a.contact_id, p.name AS contact,"
    " a.company_id, c.name AS company, a.owner, a.occurred_at, a.due_date, a.done_at, a.automation_id,"
    " a.external_id, a.extra, a.created_at, a.updated_at"
)
ACTIVITY_SOURCE = (
    "activities a LEFT JOIN deals d ON d.id = a.deal_id LEFT JOIN contacts p ON p.id = a.contact_id"
    " LEFT JOIN companies c ON c.id = a.company_id"
)
# What counts as "something happened" (last_activity_at, activity lists): any logged activity,
# and a task once it is done (on its done date).
HAPPENED = "(a.kind <> 'task' OR a.done_at IS NOT NULL)"
HAPPENED_ON = "CASE WHEN a.kind = 'task' THEN a.done_at ELSE a.occurred_at END"
OPEN_TASK = "a.kind = 'task' AND a.done_at IS NULL"  # matches the partial index activities_open_tasks
LINKED_TABLES = (("deal_id", "deals"), ("contact_id", "contacts"), ("company_id", "companies"))


def activity_after(day: str) -> str:
    """SQL: whether an activity is dated after a day (a parameter such as ? or :today) — logged then, or a task added
    or done then (an open task's occurred_at is the day it was added, a done one's the day it was done): the day is a
    --today pinned in the past, and what came after it does not count on it. One probe of activities_occurred."""
    return f"EXISTS (SELECT 1 FROM activities WHERE occurred_at >= date({day}, '+1 day'))"


def done_task_added_by(day: str, alias: str = "a") -> str:
    """SQL: whether a done task (alias) had been added by a day (a parameter): `task done` moved its occurred_at to
    the done day, the change it logged keeps the day before (none: it was added on the day it was done; a task
    imported done has no such change: taken as added)."""
    return ("substr(coalesce((SELECT coalesce(json_extract(ch.before, '$.occurred_at'),"
            " json_extract(ch.after, '$.done_at')) FROM changes ch"
            f" WHERE ch.entity = 'task' AND ch.entity_id = {alias}.id AND ch.action = 'done'"
            f" ORDER BY ch.id DESC LIMIT 1), ''), 1, 10) <= {day}")


def open_task_on(day: str) -> str:
    """SQL: a task (alias a) open on a day (a parameter, used thrice): added by then (an open task's occurred_at)
    and not done by then — a task done after a past day was still open on it. OPEN_TASK's index does not serve
    it: use it only when activity_dated_after(day)."""
    return (f"a.kind = 'task' AND (a.done_at IS NULL AND substr(a.occurred_at, 1, 10) <= {day}"
            f" OR substr(a.done_at, 1, 10) > {day} AND {done_task_added_by(day)})")


def activity_dated_after(repo: RepositoryBase, day: str) -> bool:
    """Whether an activity is dated after day (see activity_after): then the day's tasks are read as they stood."""
    return bool(repo.scalar(f"SELECT {activity_after('?')}", (day,)))


AGENDA_DEAL_COLUMNS = (  # (LAST_ACTIVITY: a ? for the agenda's day, see deals.last_activity_on)
    "d.id, d.title, d.company_id, c.name AS company, s.name AS stage, s.rot_days, d.amount_minor, d.currency,"
    " d.probability, d.expected_close, d.owner, d.next_step, d.next_step_date, LAST_ACTIVITY AS last_activity_at,"
    " d.stage_entered_at, d.created_at"
)
AGENDA_DEAL_SOURCE = "deals d JOIN stages s ON s.id = d.stage_id LEFT JOIN companies c ON c.id = d.company_id"

# search_index rowid = entity id * 4 + offset (see migrations._SEARCHED)
SEARCH_KINDS = ("company", "contact", "deal", "activity", "task")
SEARCH_OFFSETS = {"company": 0, "contact": 1, "deal": 2, "activity": 3, "task": 3}

SEARCH_WINDOW = 2000  # the newest matches of a word that `search` ranks

class ActivityStore(RepositoryBase):
    # -- automations ---------------------------------------------------------------------
    def automations_for(self, event: str, stage_name: str | None = None) -> list[Row]:
        """Automations that fire on a deal event: 'created', 'won', 'lost' or 'stage' (+ stage name)."""
        if event == "stage":
            return self.all(
                "SELECT * FROM automations WHERE event = 'stage' AND stage_name = ? COLLATE NOCASE ORDER BY id",
                (stage_name,),
            )
        return self.all("SELECT * FROM automations WHERE event = ? ORDER BY id", (event,))

    def automation(self, automation_id: int) -> Row | None:
        return self.one("SELECT * FROM automations WHERE id = ?", (automation_id,))

    def automation_query(self) -> Query:
        return Query(
            "u.id, u.event, u.stage_name, u.task_subject, u.due_days, u.owner_rule, u.created_at,"
            " (SELECT count(*) FROM activities WHERE automation_id = u.id) AS tasks_created",
            "automations u",
            order_by="u.id",
        )

    def stage_names_like(self, name: str, except_id: int | None = None) -> list[str]:
        """Stage names (any pipeline; but stage except_id) equal to name, case-insensitive, as spelt there."""
        return [r["name"] for r in self.all(
            "SELECT DISTINCT name FROM stages WHERE name = ? COLLATE NOCASE AND id IS NOT ? ORDER BY name",
            (name, except_id))]

    # -- users ---------------------------------------------------------------------------
    # -- activities and tasks ------------------------------------------------------------
    def activity(self, activity_id: int) -> Row | None:
        """One activity or task with the names of what it is linked to."""
        return self.one(f"SELECT {ACTIVITY_COLUMNS} FROM {ACTIVITY_SOURCE} WHERE a.id = ?", (activity_id,))

    def activity_query(
        self,
        *,
        deal_id: int | None = None,
        contact_id: int | None = None,
        company_id: int | None = None,
        kind: str | None = None,
        owner: str | None = None,
        since: str | None = None,
    ) -> Query:
        """Activities newest first (read them with fetch_activities): what happened (logged activities and done
        tasks; open tasks, dated when added, are `task list`'s). Filters only use the activities table, so counts
        are cheap."""
        q = Query("a.id", "activities a", order_by="a.occurred_at DESC, a.id DESC")
        q.add(HAPPENED)
        if kind is not None:
            q.add("a.kind = ?", kind)
        for column, value in (("a.deal_id", deal_id), ("a.contact_id", contact_id), ("a.company_id", company_id)):
            if value is not None:
                q.add(f"{column} = ?", value)
        if owner is not None:
            q.add("a.owner = ?", owner)
        if since is not None:
            q.add("a.occurred_at >= ?", since)
        return q

    def task_query(
        self,
        *,
        owner: str | None = None,
        include_done: bool = False,
        due_windows: Sequence[tuple[str | None, str]] = (),
        open_on: str | None = None,
    ) -> Query:
        """Tasks by due date (read them with fetch_activities). due_windows: (start or None, end
        exclusive) ISO dates, any may match; no start is overdue: open tasks only, even with include_done.
        open_on: the tasks open on that (past) day instead, as they stood then (open_task_on)."""
        q = Query("a.id", "activities a", order_by="a.due_date, a.id")
        if open_on is not None:
            on_day = open_task_on("?")
            q.add(on_day, *[open_on] * on_day.count("?"))
        else:
            q.add(OPEN_TASK if not include_done else "a.kind = 'task'")
        if owner is not None:
            q.add("a.owner = ?", owner)
        if due_windows:
            parts: list[str] = []
            params: list[str] = []
            for start, end in due_windows:
                if start is None:
                    parts.append("(a.due_date < ?)" if open_on is not None
                                 else "(a.due_date < ? AND a.done_at IS NULL)")
                    params.append(end)
                else:
                    parts.append("(a.due_date >= ? AND a.due_date < ?)")
                    params += [start, end]
            q.add(" OR ".join(parts), *params)
        return q

    def fetch_activities(self, query: Query, limit: int | None = None) -> Iterator[Row]:
        """The rows of an activity_query or task_query with the names of their links.

        With a limit, the page of ids is found on the activities table alone and only those rows are
        joined (joining first would look up a deal, contact and company for every candidate row).
        """
        if limit is None:
            full = Query(ACTIVITY_COLUMNS, ACTIVITY_SOURCE, query.where, query.params, query.order_by)
            yield from self.fetch(full)
            return
        ids = [r["id"] for r in self.fetch(query, limit)]
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            rows = {r["id"]: r for r in self.all(
                f"SELECT {ACTIVITY_COLUMNS} FROM {ACTIVITY_SOURCE} WHERE a.id IN ({', '.join('?' for _ in chunk)})",
                chunk)}
            yield from (rows[i] for i in chunk if i in rows)

    # -- last activity of the linked records ---------------------------------------------
    def open_deal_tasks(self, deal_id: int) -> list[Row]:
        """A deal's open tasks (id, subject), oldest first."""
        return self.all("SELECT id, subject FROM activities WHERE deal_id = ? AND kind = 'task' AND done_at IS NULL"
                        " ORDER BY id", (deal_id,))

    def open_contact_tasks(self, contact_id: int) -> list[int]:
        """The ids of a contact's open tasks whose subject is not an automation's own text (`contact forget`
        erases those subjects)."""
        return [r["id"] for r in self.all(
            "SELECT a.id FROM activities a LEFT JOIN automations r ON r.id = a.automation_id WHERE a.contact_id = ?"
            " AND a.kind = 'task' AND a.done_at IS NULL AND a.subject IS NOT r.task_subject ORDER BY a.id",
            (contact_id,))]

    def open_automation_tasks(self, deal_id: int, events: Sequence[str] = (), automation_id: int | None = None
                              ) -> list[Row]:
        """A deal's open tasks made by automations (of these events, or this rule), oldest first."""
        where = ["a.deal_id = ?", "a.kind = 'task'", "a.done_at IS NULL"]
        params: list[int | str] = [deal_id]
        if events:
            where.append(f"u.event IN ({', '.join('?' * len(events))})")
            params += list(events)
        if automation_id is not None:
            where.append("a.automation_id = ?")
            params.append(automation_id)
        return self.all("SELECT a.id, a.subject, u.event FROM activities a JOIN automations u ON u.id = a.automation_id"
                        f" WHERE {' AND '.join(where)} ORDER BY a.id", params)

    def touch_last_activity(self, day: str, links: Row) -> None:
        """Move last_activity_at of the linked deal, contact and company forward to day (never back).

        A derived timestamp like updated_at: the activity itself is in the change log.
        """
        for column, table in LINKED_TABLES:
            if links.get(column) is not None:
                self.conn.execute(
                    f"UPDATE {table} SET last_activity_at = ? WHERE id = ?"
                    " AND (last_activity_at IS NULL OR last_activity_at < ?)",
                    (day, links[column], day),
                )

    def forget_last_activity(self, day: str | None, links: Row) -> None:
        """After an activity dated day left these records: if it was their latest, recompute (from what happened
        by today: an imported meeting dated ahead is not a last activity yet)."""
        if day is None:
            return
        today = self.now()[:10] or "9999-12-31"
        for column, table in LINKED_TABLES:
            if links.get(column) is None:
                continue
            self.conn.execute(
                f"UPDATE {table} SET last_activity_at = (SELECT max({HAPPENED_ON}) FROM activities a"
                f" WHERE a.{column} = ? AND {HAPPENED} AND substr({HAPPENED_ON}, 1, 10) <= ?)"
                " WHERE id = ? AND substr(last_activity_at, 1, 10) = ?",
                (links[column], today, links[column], day[:10]),
            )

    def task_day_before_done(self, task_id: int) -> str | None:
        """The day a done task was dated before it was done (its `task done` change), if logged."""
        return self.scalar(  # type: ignore[no-any-return]
            "SELECT json_extract(before, '$.occurred_at') FROM changes WHERE entity = 'task' AND entity_id = ?"
            " AND action = 'done' ORDER BY id DESC LIMIT 1", (task_id,))

    def open_task_count(self) -> int:
        return int(self.scalar("SELECT count(*) FROM activities WHERE kind = 'task' AND done_at IS NULL"))

    def open_task_owners(self) -> list[Row]:
        """Owners of open tasks, most first: owner, tasks."""
        return self.all("SELECT owner, count(*) AS tasks FROM activities WHERE kind = 'task' AND done_at IS NULL"
                        " AND owner IS NOT NULL GROUP BY owner ORDER BY tasks DESC, owner")

    def open_tasks_named(self, text: str, limit: int = 11, *, part: bool = True, done: bool = False) -> list[Row]:
        """Open (or done) tasks whose subject is the text (any case), else (part) contains it; oldest due first
        (done ones: the last done first)."""
        state, order = ("done_at IS NOT NULL", "done_at DESC, id DESC") if done else ("done_at IS NULL", "due_date, id")
        tries = [("casefold(subject) = casefold(?)", text)]
        if part:
            tries.append(("instr(casefold(subject), casefold(?)) > 0", text))
        for where, arg in tries:
            rows = self.all(f"SELECT id, subject, due_date, done_at, owner FROM activities WHERE kind = 'task'"
                            f" AND {state} AND {where} ORDER BY {order} LIMIT ?", (arg, limit))
            if rows:
                return rows
        return []

    # -- the agenda ----------------------------------------------------------------------
    def open_tasks_due(
        self, owner: str | None, start: str | None, end: str, limit: int | None, day: str | None = None
    ) -> tuple[list[Row], int]:
        """Open tasks due in [start, end) (start None: everything before end), by due date; and their number.
        day: the agenda's day; when an activity is dated after it (a past --today), the tasks open on it."""
        on = day if day is not None and activity_dated_after(self, day) else None
        q = self.task_query(owner=owner, due_windows=[(start, end)], open_on=on)
        rows = list(self.fetch_activities(q, limit))
        total = len(rows) if limit is None or len(rows) < limit else self.count(q)
        return rows, total

    def agenda_deals(
        self, section: str, owner: str | None, today_iso: str, until_iso: str, default_stale_days: int,
        limit: int | None,
    ) -> tuple[list[Row], int]:
        """Open, unparked deals of one `today` section, in order, and how many there are in all.

        section: 'closing_soon' (expected close in [today, until)), 'stale' (stale_condition),
        'next_step_today' (its next-step date is today) or 'no_next_step'. owner None: everyone's. With
        a limit, one pass over the covering index deals_open_agenda finds the ids and the total, and a
        second reads just those rows.
        """
        from salescli.repository.deals import last_activity_on, last_touch, no_next_step_on, stale_condition

        # deals first (CROSS JOIN fixes the loop order): with ANALYZE statistics the planner would
        # otherwise walk every stage through deals_stage_owner and read each deal's row.
        q = Query("d.id", "deals d CROSS JOIN stages s ON s.id = d.stage_id" if section == "stale" else "deals d")
        q.add("d.status = 'open'")
        if owner is not None:
            q.add("d.owner = ?", owner)
        if section == "stale":
            sql, params = stale_condition(today_iso, default_stale_days)
            q.add(sql, *params)
            touch = last_touch("?")
            q.order_by, q.order_params = f"{touch}, d.id", [today_iso] * touch.count("?")
        else:
            q.add("d.parked_until IS NULL OR substr(d.parked_until, 1, 10) <= ?", today_iso)
            if section == "closing_soon":
                q.add("d.expected_close >= ? AND d.expected_close < ?", today_iso, until_iso)
                q.order_by = "d.expected_close, d.id"
            elif section == "next_step_today":
                q.add("substr(d.next_step_date, 1, 10) = ? AND trim(d.next_step) <> ''", today_iso)
                q.order_by = "d.expected_close IS NULL, d.expected_close, d.id"
            else:
                stepless = no_next_step_on("?")
                q.add(stepless, *[today_iso] * stepless.count("?"))
                q.order_by = "d.expected_close IS NULL, d.expected_close, d.id"
        last_activity = last_activity_on("?")
        columns = AGENDA_DEAL_COLUMNS.replace("LAST_ACTIVITY", last_activity)
        day_params = [today_iso] * last_activity.count("?")
        if limit is None:
            q.select, q.source, q.select_params = columns, AGENDA_DEAL_SOURCE, day_params
            rows = list(self.fetch(q))
            return rows, len(rows)
        q.select = "d.id, count(*) OVER () AS total"
        page = list(self.fetch(q, limit))
        if not page:
            return [], 0
        ids = [r["id"] for r in page]
        found = {r["id"]: r for r in self.all(
            f"SELECT {columns} FROM {AGENDA_DEAL_SOURCE} WHERE d.id IN ({', '.join('?' for _ in ids)})",
            [*day_params, *ids])}
        return [found[i] for i in ids if i in found], int(page[0]["total"])

    # -- search --------------------------------------------------------------------------
    def search(self, match: str, kinds: Iterable[str] | None, limit: int,
               window: int = SEARCH_WINDOW) -> tuple[list[Row], bool]:
        """Full-text matches, best first (bm25, titles weighted 4x), and whether there were more than
        `window` of them.

        Ranking every match of a common word over millions of rows takes seconds, so only the
        `window` newest matches (highest rowids) are ranked; a rarer word has all its matches ranked.
        Kinds are filtered on the rowid (id * 4 + offset), which needs no read of the stored text.
        """
        where, params = "search_index MATCH ?", [match]
        more_where, more_params = self._search_kinds(kinds)
        where += more_where
        params += more_params
        # the window's oldest match, and the next one when there is one (then some are left out)
        edge = [r["rowid"] for r in self.all(
            f"SELECT rowid FROM search_index WHERE {where} ORDER BY rowid DESC LIMIT 2 OFFSET ?",
            (*params, window - 1))]
        floor, more = (edge[0], len(edge) > 1) if edge else (None, False)
        if floor is not None:  # `window` matches or more: rank the newest
            where += " AND rowid >= ?"
            params.append(floor)
        return self.all(
            "SELECT kind, entity_id AS id, title, snippet(search_index, -1, '[', ']', '…', 12) AS snippet"
            f" FROM search_index WHERE {where} ORDER BY bm25(search_index, 0.0, 0.0, 4.0, 1.0), rowid DESC"
            " LIMIT ?",
            (*params, limit),
        ), more

    def _search_kinds(self, kinds: Iterable[str] | None) -> tuple[str, list[str]]:
        """The search's filter on kinds (" AND ..." and its parameters; "" for every kind)."""
        where = ""
        params: list[str] = []
        chosen = set(kinds or SEARCH_KINDS)
        narrow = sorted(chosen - set(SEARCH_KINDS))  # call, email, meeting, note: one kind of activity
        if narrow:
            chosen = (chosen - set(narrow)) | {"activity"}
        if chosen != set(SEARCH_KINDS):
            offsets = sorted({SEARCH_OFFSETS[k] for k in chosen})
            where += f" AND rowid % 4 IN ({', '.join(str(o) for o in offsets)})"
            if 3 in offsets and len(chosen & {"activity", "task"}) == 1:
                where += " AND (rowid % 4 <> 3 OR kind = ?)"
                params.append("task" if "task" in chosen else "activity")
        if narrow and kinds is not None and "activity" not in kinds:
            where += (" AND (rowid % 4 <> 3 OR kind = 'task' OR EXISTS (SELECT 1 FROM activities a"
                      f" WHERE a.id = entity_id AND a.kind IN ({', '.join('?' * len(narrow))})))")
            params += narrow
        return where, params

    def search_text(self, words: list[str], kinds: Iterable[str] | None, limit: int) -> list[Row]:
        """Index entries whose title or body holds every word (letters and digits) as a run of characters, newest
        first: words of scripts written without spaces (田中太郎), which the tokenizer keeps as one word, found
        inside it."""
        where, params = self._search_kinds(kinds)
        for word in words:  # (letters and digits only: no LIKE wildcard to escape)
            where += " AND (title LIKE ? OR body LIKE ?)"
            params += [f"%{word}%", f"%{word}%"]
        return self.all(f"SELECT kind, entity_id AS id, title, body FROM search_index WHERE 1{where}"
                        " ORDER BY rowid DESC LIMIT ?", (*params, limit))
