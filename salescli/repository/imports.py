"""The SQL of imports, exports, undo, `db check` and `salescli sql`.

Imports write rows directly (not through the per-row services) for speed, in one transaction:
explicit ids in batches with executemany, the change log written by INSERT … SELECT from the new
rows, and the full-text index filled in bulk (see ``suspend_search_insert``). Every row they write
is logged in ``changes`` with the import's batch id, which is what ``import undo`` reverts.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from salescli.repository.base import RepositoryBase, Row
from salescli.values import as_timestamp, fold

#: The date and timestamp columns `db check` reads: (table, entity, columns).
_DATED = (
    ("deals", "deal", ("expected_close", "next_step_date", "won_at", "lost_at", "parked_until", "created_at",
                       "updated_at", "stage_entered_at", "last_activity_at")),
    ("activities", "activity", ("occurred_at", "due_date", "done_at", "created_at", "updated_at")),
    ("companies", "company", ("created_at", "updated_at", "last_activity_at")),
    ("contacts", "contact", ("created_at", "updated_at", "last_activity_at")),
)

#: The columns whose CHECK names their values (`db check` names the rows that break one): (table, entity, column,
#: values).
_CHOICES = (
    ("deals", "deal", "status", ("open", "won", "lost")),
    ("deals", "deal", "recurring", ("none", "month", "year")),
    ("activities", "activity", "kind", ("call", "email", "meeting", "note", "task")),
    ("stages", "stage", "kind", ("open", "won", "lost")),
    ("targets", "target", "scope", ("owner", "team")),
    ("targets", "target", "metric", ("won_amount", "deals_won", "activities")),
)

#: The columns an import writes, per table, in the order of its INSERT (ids are explicit).
IMPORT_COLUMNS: dict[str, tuple[str, ...]] = {
    "users": ("id", "name", "email", "team", "territory", "created_at"),
    "companies": ("id", "name", "domain", "industry", "segment", "territory", "owner", "tags", "notes",
                  "external_id", "extra", "created_at", "updated_at", "last_activity_at"),
    "contacts": ("id", "name", "email", "phone", "title", "company_id", "owner", "status", "source", "tags",
                 "notes", "external_id", "extra", "created_at", "updated_at", "last_activity_at"),
    "deals": ("id", "title", "company_id", "contact_id", "pipeline_id", "stage_id", "status", "amount_minor",
              "currency", "probability", "probability_set", "forecast_category", "forecast_category_set",
              "expected_close", "owner", "source", "next_step", "next_step_date", "recurring", "won_at", "lost_at",
              "lost_reason", "lost_category", "parked_until", "park_reason", "external_id", "tags", "notes", "extra",
              "created_at", "updated_at", "stage_entered_at", "last_activity_at"),
    "activities": ("id", "kind", "subject", "body", "outcome", "deal_id", "contact_id", "company_id", "owner",
                   "occurred_at", "due_date", "done_at", "external_id", "extra", "created_at", "updated_at"),
}
#: The change-log entity of a row of each table (SQL over the new row; activities depend on kind).
CHANGE_ENTITY: dict[str, str] = {
    "users": "'user'",
    "companies": "'company'",
    "contacts": "'contact'",
    "deals": "'deal'",
    "activities": "CASE kind WHEN 'task' THEN 'task' ELSE 'activity' END",
}
#: Tables in the order their rows must be written (a row's references are written before it).
WRITE_ORDER = ("users", "companies", "contacts", "deals", "activities")
#: The tables a big import of each entity fills (besides the entity's own).
BULK_TABLES: dict[str, tuple[str, ...]] = {
    "deals": ("deals", "stage_history", "changes"),
    "companies": ("companies", "changes"),
    "contacts": ("contacts", "changes"),
    "activities": ("activities", "changes"),
    "users": (),
}
#: What the change log keeps of a row an import created: enough to say what it was; the values
#: are the row itself, and the batch records the file it came from.
LOGGED_COLUMNS: dict[str, tuple[str, ...]] = {
    "users": ("name", "team", "territory"),
    "companies": ("name", "domain", "external_id"),
    "contacts": ("name", "email", "company_id", "external_id"),
    "deals": ("title", "external_id", "company_id", "stage_id", "status", "amount_minor", "currency", "owner"),
    "activities": ("kind", "subject", "deal_id", "contact_id", "company_id", "external_id"),
}
#: PRAGMAs whose argument names what to read (`PRAGMA table_info(deals)`): `salescli sql` runs them.
_READING_PRAGMAS = frozenset({
    "table_info", "table_xinfo", "table_list", "index_list", "index_info", "index_xinfo", "foreign_key_list",
    "foreign_key_check", "integrity_check", "quick_check", "pragma_list", "function_list", "module_list",
    "collation_list", "database_list", "compile_options",
})
#: PRAGMAs that do something even without an argument (`PRAGMA wal_checkpoint` writes the database).
_ACTING_PRAGMAS = frozenset({"wal_checkpoint", "optimize", "incremental_vacuum", "shrink_memory"})
SEARCHED_TABLES = ("companies", "contacts", "deals", "activities")
_TRIGGER_BODY_RE = re.compile(
    r"BEGIN\s+INSERT\s+INTO\s+search_index\s*\((?P<cols>[^)]*)\)\s*VALUES\s*\((?P<values>.*)\)\s*;\s*END\s*$",
    re.IGNORECASE | re.DOTALL,
)

#: A deal's stage history as salescli's export writes it (the deal is ``d``): a JSON array of the stages it
#: entered, in the order history lists them (by day, then as written), each ``[stage, when, by]`` with an
#: object of what else the row has: the stage's pipeline when it is not the deal's, the note, forced. Each
#: row comes from the stage of the row before it, so from_stage_id is not written. One correlated subquery
#: over an index on stage_history.deal_id; group_concat keeps the subquery's order (its ORDER BY stops SQLite
#: from flattening it into the aggregate). NULL for a deal without history.
HISTORY_JSON = (
    "(SELECT '[' || group_concat(e, ',') || ']' FROM (SELECT CASE"
    " WHEN h.note IS NULL AND h.forced = 0 AND t.pipeline_id = d.pipeline_id"
    " THEN json_array(t.name, h.changed_at, h.changed_by)"
    " ELSE json_array(t.name, h.changed_at, h.changed_by, json_patch('{}', json_object("
    "'pipeline', CASE WHEN t.pipeline_id != d.pipeline_id THEN (SELECT name FROM pipelines WHERE id = t.pipeline_id)"
    " END, 'note', h.note, 'forced', CASE WHEN h.forced THEN json('true') END))) END AS e"
    " FROM stage_history h JOIN stages t ON t.id = h.to_stage_id WHERE h.deal_id = d.id"
    " ORDER BY substr(h.changed_at, 1, 10), h.id))"
)

EXPORT_SELECT: dict[str, tuple[str, str]] = {
    "companies": (
        "c.id, c.name, c.domain, c.industry, c.segment, c.territory, c.owner, c.tags, c.notes, c.external_id,"
        " c.created_at, c.updated_at, c.last_activity_at, c.extra",
        "companies c",
    ),
    "contacts": (
        "p.id, p.name, p.email, p.phone, p.title, p.company_id, c.name AS company, c.domain AS company_domain,"
        " c.external_id AS company_external_id, p.owner, p.status, p.source, p.tags, p.notes, p.external_id,"
        " p.created_at, p.updated_at, p.last_activity_at, p.extra",
        "contacts p LEFT JOIN companies c ON c.id = p.company_id",
    ),
    "deals": (
        "d.id, d.title, d.company_id, c.name AS company, c.domain AS company_domain,"
        " c.external_id AS company_external_id, d.contact_id, ct.email AS contact_email, ct.name AS contact_name,"
        " ct.external_id AS contact_external_id, p.name AS pipeline, s.name AS stage, d.status, d.amount_minor,"
        " d.currency, d.probability, d.probability_set, d.forecast_category, d.forecast_category_set,"
        " d.expected_close, d.owner, d.source, d.next_step, d.next_step_date, d.recurring, d.won_at, d.lost_at,"
        " d.lost_reason, d.lost_category, d.parked_until, d.park_reason, d.external_id, d.tags, d.notes,"
        f" d.created_at, d.updated_at, d.stage_entered_at, d.last_activity_at, {HISTORY_JSON} AS stage_history,"
        " d.extra",
        "deals d JOIN stages s ON s.id = d.stage_id JOIN pipelines p ON p.id = d.pipeline_id"
        " LEFT JOIN companies c ON c.id = d.company_id LEFT JOIN contacts ct ON ct.id = d.contact_id",
    ),
    "activities": (
        "a.id, a.kind, a.subject, a.body, a.outcome, a.deal_id, d.title AS deal, d.external_id AS deal_external_id,"
        " a.company_id, c.name AS company, c.domain AS company_domain, c.external_id AS company_external_id,"
        " a.contact_id, p.email AS contact_email, p.name AS contact_name, p.external_id AS contact_external_id,"
        " a.owner, a.occurred_at, a.due_date, a.done_at, a.external_id, a.created_at, a.updated_at, a.extra",
        "activities a LEFT JOIN deals d ON d.id = a.deal_id LEFT JOIN companies c ON c.id = a.company_id"
        " LEFT JOIN contacts p ON p.id = a.contact_id",
    ),
    "users": ("u.id, u.name, u.email, u.team, u.territory, u.created_at", "users u"),
}


# A later change that counts against undoing a batch: not the batch's own, and not one of a batch
# that was undone since (its changes and the undo's own entries carry that batch's id).
_ACTIVITY_ENTITY = "CASE kind WHEN 'task' THEN 'task' ELSE 'activity' END"
_NOT_UNDONE = ("(c.batch_id IS NULL OR (c.batch_id != {batch} AND c.batch_id NOT IN"
               " (SELECT id FROM import_batches WHERE undone_at IS NOT NULL)))")


def _marks(n: int) -> str:
    return ", ".join("?" for _ in range(n))


class ImportStore(RepositoryBase):
    """Imports, exports, undo, checks: bulk reads and writes for the importers."""

    # -- what an import looks up --------------------------------------------------------------------
    def import_company_keys(self) -> Iterator[Row]:
        yield from self.stream("SELECT id, name, domain, external_id FROM companies ORDER BY id")

    def import_contact_keys(self) -> Iterator[Row]:
        yield from self.stream("SELECT id, name, email, external_id, company_id FROM contacts ORDER BY id")

    def promote_contacts(self, ids: list[int]) -> tuple[int, int]:
        """Make these contacts customers (the leads and prospects among them), each change logged in the batch
        as update_logged logs one (status and updated_at before and after), so `import undo` takes it back.
        A churned contact stays churned: a file of won deals does not say whether the win came before the
        churn. Returns (how many became customers, how many churned ones were kept)."""
        now, done, churned = self.now(), 0, 0
        for start in range(0, len(ids), 500):
            part = ids[start:start + 500]
            marks = ", ".join("?" * len(part))
            self.conn.execute(
                "INSERT INTO changes (batch_id, entity, entity_id, action, changed_at, changed_by, before, after)"
                " SELECT ?, 'contact', id, 'update', ?, ?, json_object('status', status, 'updated_at', updated_at),"
                " json_object('status', 'customer', 'updated_at', ?) FROM contacts WHERE status IN ('lead',"
                f" 'prospect') AND id IN ({marks}) ORDER BY id", (self.batch_id, now, self.user, now, *part))
            done += self.conn.execute(f"UPDATE contacts SET status = 'customer', updated_at = ? WHERE status IN"
                                      f" ('lead', 'prospect') AND id IN ({marks})", (now, *part)).rowcount
            churned += int(self.scalar(f"SELECT count(*) FROM contacts WHERE status = 'churned' AND id IN ({marks})",
                                       tuple(part)))
        return done, churned

    def was_named(self, entity: str, record_id: int, value: str, field: str = "name") -> bool:
        """Whether the change log has the record's name, title or e-mail (field) changed from this value (in any
        case)."""
        found = self.one("SELECT 1 FROM changes WHERE entity = ? AND entity_id = ? AND action = 'update'"
                         " AND json_extract(before, ?) = ? COLLATE NOCASE LIMIT 1",
                         (entity, record_id, f"$.{field}", value))
        return found is not None

    def contact_has_won_deal(self, contact_id: int) -> bool:
        won = self.one("SELECT 1 FROM deals WHERE contact_id = ? AND status = 'won' LIMIT 1", (contact_id,))
        return won is not None

    def import_merges(self) -> list[Row]:
        """The merges of companies and contacts (`company merge`): entity, the duplicate's id and its keys
        before (JSON), and the id it went into (kept)."""
        return self.all(
            "SELECT entity, entity_id, before, json_extract(after, '$.merged_into') AS kept FROM changes"
            " WHERE entity IN ('company', 'contact') AND action = 'merge' AND after LIKE '%merged_into%'"
            " ORDER BY id")

    def import_former_company_names(self) -> list[Row]:
        """Names companies had before a rename (id, name), from the change log."""
        return self.all("SELECT entity_id AS id, json_extract(before, '$.name') AS name FROM changes"
                        " WHERE entity = 'company' AND action = 'update'"
                        " AND json_extract(before, '$.name') IS NOT NULL")

    def import_user_keys(self) -> dict[str, str]:
        """Folded name -> a user's name; and, where no user has it as a name, folded e-mail -> the name of the user
        of that e-mail (an export giving owners by e-mail: the same people)."""
        rows = self.all("SELECT name, email FROM users ORDER BY id")
        keys: dict[str, str] = {}
        for r in rows:  # (two users of one folded name, from before names were folded: the first, as the CLI finds)
            keys.setdefault(fold(r["name"]), r["name"])
        for r in rows:
            if r["email"]:
                keys.setdefault(fold(r["email"]), r["name"])
        for r in self.removed_users():  # one removed and added again since: their former e-mail is theirs
            if r["email"] and fold(r["name"]) in keys:
                keys.setdefault(fold(r["email"]), keys[fold(r["name"])])
        return keys

    def import_user_rows(self) -> list[Row]:
        return self.all("SELECT id, name, email FROM users ORDER BY id")

    def pipeline_has_deals(self, pipeline_id: int) -> bool:
        return bool(self.scalar("SELECT EXISTS (SELECT 1 FROM deals WHERE pipeline_id = ?)", (pipeline_id,)))

    def import_pipelines(self) -> list[Row]:
        return self.all("SELECT id, name, is_default FROM pipelines ORDER BY id")

    def import_default_pipeline(self) -> int | None:
        return self.scalar("SELECT id FROM pipelines ORDER BY is_default DESC, id LIMIT 1")  # type: ignore[no-any-return]

    def import_stages(self) -> list[Row]:
        """Each stage, with its required fields and whether it is past its pipeline's Proposal stage (where
        `db check` wants an open deal's amount)."""
        return self.all("SELECT s.id, s.pipeline_id, s.name, s.kind, s.probability, s.position, s.required_fields,"
                        " EXISTS (SELECT 1 FROM stages p WHERE p.pipeline_id = s.pipeline_id"
                        " AND p.name = 'Proposal' COLLATE NOCASE AND s.position >= p.position) AS past_proposal"
                        " FROM stages s ORDER BY s.id")

    def import_deal_ids_by_external(self, external_ids: Sequence[str]) -> dict[str, int]:
        rows = self.conn.execute(
            "SELECT external_id, id FROM deals WHERE external_id IN (SELECT value FROM json_each(?))",
            (json.dumps(list(external_ids)),),
        )
        return {r["external_id"]: r["id"] for r in rows}

    def import_deal_ids_by_title(self, titles: Sequence[str]) -> dict[tuple[str, int | None], list[int]]:
        """(title as NOCASE folds it, company id) -> deal ids, for the titles given."""
        from salescli.importers.plan import nocase

        out: dict[tuple[str, int | None], list[int]] = {}
        rows = self.conn.execute(
            "SELECT id, title, company_id FROM deals"
            " WHERE title COLLATE NOCASE IN (SELECT value FROM json_each(?)) ORDER BY id",
            (json.dumps(list(set(titles))),),
        )
        for r in rows:
            out.setdefault((nocase(r["title"]), r["company_id"]), []).append(r["id"])
        return out

    def shared_created_times(self, table: str) -> set[str]:
        """The created_at values more than one record of the table has (a bulk import's second)."""
        rows = self.all(f"SELECT created_at FROM {table} GROUP BY created_at HAVING count(*) > 1")
        return {str(r["created_at"]) for r in rows}

    def import_deals_titled(self, title: str) -> list[Row]:
        return self.all("SELECT id, title, company_id, contact_id FROM deals WHERE title = ? COLLATE NOCASE"
                        " ORDER BY id LIMIT 20", (title,))

    def import_deal_named(self, deal_id: int) -> Row | None:
        return self.one("SELECT id, title, company_id, contact_id FROM deals WHERE id = ?", (deal_id,))

    def import_deal_history(self, deal_id: int) -> str | None:
        """A deal's stage history as its export's stage_history cell (None: it has none)."""
        return self.scalar(f"SELECT {HISTORY_JSON} FROM deals d WHERE d.id = ?", (deal_id,))  # type: ignore[no-any-return]

    def import_deal_stages(self, deal_id: int) -> list[int]:
        """The stages a deal has been in (its stage history's)."""
        return [int(r["to_stage_id"]) for r in self.all(
            "SELECT DISTINCT to_stage_id FROM stage_history WHERE deal_id = ?", (deal_id,))]

    def import_deal_histories(self, deal_ids: Sequence[int]) -> dict[int, str | None]:
        """Deal id -> its stage_history cell as an export writes it, for the deals given."""
        rows = self.conn.execute(f"SELECT d.id, {HISTORY_JSON} AS history FROM deals d"
                                 " WHERE d.id IN (SELECT value FROM json_each(?))", (json.dumps(list(deal_ids)),))
        return {r["id"]: r["history"] for r in rows}

    def import_deal_refs(self) -> Iterator[Row]:
        yield from self.stream("SELECT id, external_id, company_id, contact_id FROM deals"
                               " WHERE external_id IS NOT NULL")

    def import_deal_ref(self, external_id: str) -> Row | None:
        """One deal by its external id, as import_deal_refs gives them."""
        return self.one("SELECT id, external_id, company_id, contact_id FROM deals WHERE external_id = ?",
                        (external_id,))

    def import_activity_keys(self) -> Iterator[Row]:
        yield from self.stream(
            "SELECT id, kind, subject, occurred_at, due_date, deal_id, contact_id, company_id, external_id, body,"
            " created_at FROM activities"
        )

    def import_row(self, table: str, row_id: int) -> Row:
        row = self.one(f"SELECT * FROM {table} WHERE id = ?", (row_id,))
        assert row is not None
        return row

    # -- writing --------------------------------------------------------------------------------------
    def set_cache_mb(self, megabytes: int) -> int:
        """Set the page cache (a big import's random index inserts need room); returns the old setting."""
        old = int(self.scalar("PRAGMA cache_size"))
        self.conn.execute(f"PRAGMA cache_size = {-1024 * int(megabytes)}")
        return old

    def restore_cache(self, setting: int) -> None:
        self.conn.execute(f"PRAGMA cache_size = {int(setting)}")

    def begin_import_batch(self, entity: str, source: str) -> int:
        return self.insert("import_batches", {"entity": entity, "source": source, "created_at": self.now(),
                                              "created_by": self.user})

    def batch_change_count(self, batch_id: int) -> int:
        return int(self.scalar("SELECT count(*) FROM changes WHERE batch_id = ?", (batch_id,)))

    def made_with_kept_ids(self, entity: str, entity_id: int) -> bool:
        """Whether an import that kept every id of the export it read made this record (see kept_ids)."""
        return self.scalar(
            "SELECT 1 FROM changes c JOIN import_batches b ON b.id = c.batch_id WHERE c.entity = ? AND"
            " c.entity_id = ? AND c.action = 'create' AND json_extract(b.summary, '$.kept_ids') = 1 LIMIT 1",
            (entity, entity_id)) is not None

    def finish_import_batch(self, batch_id: int, summary: dict[str, Any]) -> None:
        self.conn.execute("UPDATE import_batches SET summary = ? WHERE id = ?",
                          (json.dumps(summary, ensure_ascii=False), batch_id))

    def insert_rows(self, table: str, rows: list[tuple[Any, ...]]) -> None:
        """Rows in IMPORT_COLUMNS order, ids included.

        Columns that are NULL in every row are left out of the INSERT (they default to NULL): binding
        fewer values is a fifth faster, and exports often leave half the columns empty.
        """
        cols = IMPORT_COLUMNS[table]
        by_column = list(zip(*rows, strict=True))
        present = [j for j, values in enumerate(by_column) if values.count(None) != len(values)]
        if len(present) < len(cols):
            cols = tuple(cols[j] for j in present)
            rows = list(zip(*(by_column[j] for j in present), strict=True))
        self.conn.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({_marks(len(cols))})", rows)

    def add_import_user(self, name: str) -> None:
        """A user on first mention in a file: created (unless known) and logged under the batch."""
        cur = self.conn.execute("INSERT INTO users (name, created_at) VALUES (?, ?) ON CONFLICT(name) DO NOTHING",
                                (name, self.now()))
        if cur.rowcount == 1 and cur.lastrowid is not None:
            self.log_created("users", cur.lastrowid, cur.lastrowid)

    def unowned_users(self, ids: list[int]) -> tuple[list[int], int]:
        """Of these users, the ones nothing names: no deal, activity, company, contact or automation as its owner,
        no owner target, no change made by them (the one acting included) — names compared in any case, as
        users are. Returns them and how many others there are: what an undo takes back with its batch, and
        what it keeps."""
        from salescli.repository.targets import TargetStore

        users = {int(r["id"]): r["name"] for r in self.all(
            "SELECT id, name FROM users WHERE id IN (SELECT value FROM json_each(?))", (json.dumps(ids),))}
        if not users:
            return [], 0
        folded = json.dumps(sorted({name.casefold() for name in users.values()}))
        named: set[str] = {(self.user or "").casefold()}
        # one pass over each table (no index serves a case-insensitive owner; an undo runs once)
        for table, column, _entity in (*TargetStore.OWNED, ("changes", "changed_by", None)):
            named.update(r["k"] for r in self.all(
                f"SELECT DISTINCT casefold({column}) AS k FROM {table}"
                f" WHERE casefold({column}) IN (SELECT value FROM json_each(?))", (folded,)))
        named.update(r["k"] for r in self.all(
            "SELECT DISTINCT casefold(name) AS k FROM targets WHERE scope = 'owner'"
            " AND casefold(name) IN (SELECT value FROM json_each(?))", (folded,)))
        gone = [uid for uid, name in users.items() if name.casefold() not in named]
        return sorted(gone), len(users) - len(gone)

    def log_created(self, table: str, first_id: int, last_id: int) -> None:
        """One 'create' change per new row (its identifying values, non-null, as `after`)."""
        pairs = ", ".join(f"'{c}', {c}" for c in LOGGED_COLUMNS[table])
        self.conn.execute(
            "INSERT INTO changes (batch_id, entity, entity_id, action, changed_at, changed_by, after)"
            f" SELECT ?, {CHANGE_ENTITY[table]}, id, 'create', ?, ?, json_patch('{{}}', json_object({pairs}))"
            f" FROM {table} WHERE id BETWEEN ? AND ? ORDER BY id",
            (self.batch_id, self.now(), self.user, first_id, last_id),
        )

    def insert_stage_history(self, rows: list[tuple[int, int | None, int, str, str, str | None, int]]) -> None:
        """(deal id, from stage, to stage, when, by, note, forced) rows, marked with the import's batch
        (so that `import undo` removes exactly these rows)."""
        batch = "NULL" if self.batch_id is None else str(int(self.batch_id))
        self.conn.executemany(
            "INSERT INTO stage_history (deal_id, from_stage_id, to_stage_id, changed_at, changed_by, note, forced,"
            f" batch_id) VALUES (?, ?, ?, ?, ?, ?, ?, {batch})",
            rows,
        )

    def insert_stage_path(self, deal_id: int, stops: list[tuple[int, str]]) -> None:
        """The stages a deal went through between its first history entry and its last, as (stage id, day)
        in order: inserted with the last entry's batch, and the last entry re-pointed to come from the
        last stop (the demo's closed deals, imported with their first and closing stages only)."""
        entries = self.all("SELECT id, to_stage_id, batch_id FROM stage_history WHERE deal_id = ?"
                           " ORDER BY substr(changed_at, 1, 10), id", (deal_id,))
        previous = entries[0]["to_stage_id"]
        for stage_id, day in stops:
            self.conn.execute(
                "INSERT INTO stage_history (deal_id, from_stage_id, to_stage_id, changed_at, changed_by, batch_id)"
                " VALUES (?, ?, ?, ?, ?, ?)", (deal_id, previous, stage_id, as_timestamp(day), self.user,
                                               entries[-1]["batch_id"]))
            previous = stage_id
        self.conn.execute("UPDATE stage_history SET from_stage_id = ? WHERE id = ?", (previous, entries[-1]["id"]))

    def update_logged(self, table: str, entity: str, current: Row, changed: Row) -> None:
        """Write the changed fields (and updated_at) and log before/after of just those, updated_at
        included when it moves (so that `import undo` can put it back)."""
        values = dict(changed)
        if table != "users" and current.get("updated_at") != self.now():
            values["updated_at"] = self.now()
        self.update_row(table, current["id"], values)
        self.record_change(entity, current["id"], "update", {k: current.get(k) for k in values}, values)

    def add_import_pipeline(self, name: str) -> int:
        """A pipeline an import met (--create-stages), without stages: its rows' stages are added as they come
        (add_import_stage), and a Won or Lost stage it still lacks at the end."""
        pipeline_id = self.insert("pipelines", {"id": self.next_id("pipelines"), "name": name, "is_default": 0,
                                                "created_at": self.now()})
        self.record_change("pipeline", pipeline_id, "create", None, {"name": name})
        return pipeline_id

    def pipelines_in_use(self, ids: list[int]) -> list[Row]:
        """Of the pipelines an import created, those used since: a deal or stage history in one of their
        stages, made the default, or named by a forecast snapshot (undo keeps them whole)."""
        kept = []
        for pid in ids:
            row = self.one("SELECT id, name, is_default FROM pipelines WHERE id = ?", (pid,))
            if row is None:
                continue
            used = row["is_default"] or self.scalar(
                "SELECT EXISTS (SELECT 1 FROM deals d JOIN stages s ON s.id = d.stage_id WHERE s.pipeline_id = ?1)"
                " OR EXISTS (SELECT 1 FROM stage_history h JOIN stages s ON s.id = h.to_stage_id"
                " WHERE s.pipeline_id = ?1)"
                " OR EXISTS (SELECT 1 FROM forecast_snapshots WHERE pipeline = ?2 COLLATE NOCASE)",
                (pid, row["name"]))
            if used:
                kept.append(row)
        return kept

    def add_import_stage(self, pipeline_id: int, name: str, kind: str, probability: int) -> int:
        """A stage an import met (--create-stages): an open one goes after the open stages of its probability or
        less (among early stages, where the lowest probability puts it: never past Proposal, whose rules it does
        not know, nor before the pipeline's first stage, where new deals enter), a won or lost one at the end."""
        position = int(self.scalar("SELECT count(*) FROM stages WHERE pipeline_id = ?", (pipeline_id,))) + 1000
        stage_id = self.insert("stages", {"id": self.next_id("stages"), "pipeline_id": pipeline_id, "name": name,
                                          "position": position, "probability": probability, "kind": kind,
                                          "required_fields": "[]"})
        self._place_import_stage(pipeline_id, stage_id, kind, probability)
        self.record_change("stage", stage_id, "create", None,
                           {"pipeline_id": pipeline_id, "name": name, "kind": kind, "probability": probability})
        return stage_id

    def _place_import_stage(self, pipeline_id: int, stage_id: int, kind: str, probability: int) -> None:
        stages = self.all("SELECT id, kind, probability FROM stages WHERE pipeline_id = ? AND id <> ?"
                          " ORDER BY position, id", (pipeline_id, stage_id))
        open_rows = [s for s in stages if s["kind"] == "open"]
        opens = [s["id"] for s in open_rows]
        closed = [s["id"] for s in stages if s["kind"] != "open"]
        lower = [i for i, s in enumerate(open_rows) if s["probability"] <= probability]
        after = lower[-1] + 1 if lower else min(1, len(opens))
        order = [*opens[:after], stage_id, *opens[after:], *closed] if kind == "open" else [*opens, *closed, stage_id]
        for pos, sid in enumerate(order, start=1):
            self.conn.execute("UPDATE stages SET position = ? WHERE id = ?", (-pos, sid))
        self.conn.execute("UPDATE stages SET position = -position WHERE pipeline_id = ? AND position < 0",
                          (pipeline_id,))

    def set_import_stage_probability(self, stage_id: int, probability: int) -> None:
        """The probability of an open stage this import created before a row said it (a stage first met in a
        deal's stage history): set, the stage placed by it, and its creation in the change log said so."""
        pipeline_id = int(self.scalar("SELECT pipeline_id FROM stages WHERE id = ?", (stage_id,)))
        self.conn.execute("UPDATE stages SET probability = ? WHERE id = ?", (probability, stage_id))
        self._place_import_stage(pipeline_id, stage_id, "open", probability)
        self.conn.execute("UPDATE changes SET after = json_set(after, '$.probability', ?) WHERE entity = 'stage'"
                          " AND entity_id = ? AND action = 'create' AND batch_id IS ?",
                          (probability, stage_id, self.batch_id))

    # -- full-text index and secondary indexes during a bulk import ------------------------------------
    def suspend_search_insert(self, table: str) -> tuple[str, str] | None:
        """Drop the table's insert trigger on search_index (inside the import's transaction).

        A trigger costs tens of microseconds per row; one INSERT … SELECT after the rows are in
        costs one or two. Returns (trigger SQL, bulk SQL) to restore it with, or None when the
        trigger is not of the one-INSERT form this understands (then it stays and does the work).
        """
        name = f"{table}_search_ai"
        sql = self.scalar("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", (name,))
        if not sql:
            return None
        m = _TRIGGER_BODY_RE.search(sql)
        if not m:
            return None
        bulk = (f"INSERT INTO search_index ({m.group('cols')}) SELECT {m.group('values')}"
                f" FROM {table} AS new WHERE new.id >= ? ORDER BY new.id")
        self.conn.execute(f"DROP TRIGGER {name}")
        return sql, bulk

    def restore_search_insert(self, table: str, saved: tuple[str, str], first_id: int) -> None:
        """Index the rows from first_id on (removing any entry an update trigger made), then re-create the trigger."""
        trigger_sql, bulk = saved
        offset = self._search_offset(table)
        if offset is not None and self.scalar(f"SELECT count(*) FROM {table} WHERE id >= ?", (first_id,)):
            self.conn.execute("DELETE FROM search_index WHERE rowid >= ? AND rowid % 4 = ?",
                              (first_id * 4, offset))
            self.conn.execute(bulk, (first_id,))
        elif offset is None:
            self.conn.execute(bulk, (first_id,))
        self.conn.execute(trigger_sql)

    def suspend_stage_note_search(self) -> str | None:
        """Drop the trigger that re-indexes a deal when a stage move with a note is written (inside the
        import's transaction): it costs microseconds on every history row, noted or not. Returns its SQL, to
        re-create it with at the end, or None when there is none. (Only new deals get noted moves from a
        file, and they are indexed at the end with their notes.)"""
        sql = self.scalar("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'stage_history_search_ai'")
        if sql:
            self.conn.execute("DROP TRIGGER stage_history_search_ai")
        return sql or None

    def restore_stage_note_search(self, trigger_sql: str) -> None:
        self.conn.execute(trigger_sql)

    @staticmethod
    def _search_offset(table: str) -> int | None:
        from salescli.migrations import _SEARCHED

        for name, _kind, _title, _body, offset in _SEARCHED:
            if name == table:
                return offset
        return None

    def drop_bulk_indexes(self, tables: Iterable[str], keep: Iterable[str] = ()) -> dict[str, str]:
        """Drop the tables' non-unique indexes but those in keep (inside the transaction: nobody else
        ever sees them missing); returns name -> the SQL that re-creates it.

        Unique indexes stay: they are rules (one e-mail per contact, one external id per deal).
        """
        saved: dict[str, str] = {}
        for table in tables:
            for index in self.all(f"PRAGMA index_list({table})"):
                name = index["name"]
                if index["unique"] or index["origin"] != "c" or name in keep:
                    continue
                sql = self.scalar("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?", (name,))
                if sql:
                    saved[name] = sql
                    self.conn.execute(f'DROP INDEX "{name}"')
        return saved

    def create_indexes(self, statements: Iterable[str]) -> None:
        """Re-create indexes, with a small page cache: the sort spills to a temporary file in order
        instead of doubling the memory (and it is no slower)."""
        setting = self.set_cache_mb(16)
        try:
            for sql in statements:
                self.conn.execute(sql)
        finally:
            self.restore_cache(setting)

    def row_count(self, table: str) -> int:
        return int(self.scalar(f"SELECT count(*) FROM {table}"))

    # -- undo --------------------------------------------------------------------------------------
    def import_batch(self, batch_id: int) -> Row | None:
        return self.one("SELECT * FROM import_batches WHERE id = ?", (batch_id,))

    _BATCHES = ("SELECT b.*, (SELECT count(*) FROM changes WHERE batch_id = b.id AND action = 'create') AS creates,"
                " (SELECT count(*) FROM changes WHERE batch_id = b.id AND action = 'update') AS updates"
                " FROM import_batches b")

    def import_batches(self) -> list[Row]:
        return self.all(f"{self._BATCHES} ORDER BY b.id")

    def import_batch_counts(self, batch_id: int) -> Row | None:
        """One batch as `import batches` lists it (with its creates and updates)."""
        return self.one(f"{self._BATCHES} WHERE b.id = ?", (batch_id,))

    def batch_created(self, batch_id: int) -> list[Row]:
        """What a batch created, per kind of record (entity, n), the most first."""
        return self.all("SELECT entity, count(*) AS n FROM changes WHERE batch_id = ? AND action = 'create'"
                        " GROUP BY entity ORDER BY n DESC, entity", (batch_id,))

    def batch_last_change(self, batch_id: int) -> int:
        return int(self.scalar("SELECT coalesce(max(id), 0) FROM changes WHERE batch_id = ?", (batch_id,)))

    def batch_changes(self, batch_id: int) -> list[Row]:
        return self.all("SELECT id, entity, entity_id, action, before, after, changed_by FROM changes"
                        " WHERE batch_id = ? ORDER BY id", (batch_id,))

    def changed_since(self, batch_id: int, last_change_id: int) -> list[Row]:
        """Records of the batch that later changes (outside it) touched: entity, id, first later change."""
        return self.all(
            "SELECT c.entity, c.entity_id, min(c.id) AS change_id, min(c.action) AS action FROM changes c"
            f" WHERE c.id > ? AND {_NOT_UNDONE.format(batch='?')}"
            " AND EXISTS (SELECT 1 FROM changes b WHERE b.batch_id = ? AND b.entity = c.entity"
            " AND b.entity_id = c.entity_id)"
            " GROUP BY c.entity, c.entity_id ORDER BY min(c.id) LIMIT 50",
            (last_change_id, batch_id, batch_id),
        )

    def later_references(self, batch_id: int, limit: int = 5) -> tuple[list[Row], int]:
        """Records outside the batch (neither created nor updated by it) that point at a record it created, as
        they stand now: a deal or contact linked to it by hand or by a later import, an activity logged on it
        since (one deleted since is no reason to refuse). The first `limit` of them, and how many in all."""
        sql = (
            "WITH mine AS (SELECT entity, entity_id, action FROM changes WHERE batch_id = ?1"
            "   AND action IN ('create', 'update')),"
            " made AS (SELECT entity, entity_id FROM mine WHERE action = 'create')"
            " SELECT 'deal' AS entity, id AS entity_id FROM deals d"
            " WHERE (company_id IN (SELECT entity_id FROM made WHERE entity = 'company')"
            "   OR contact_id IN (SELECT entity_id FROM made WHERE entity = 'contact'))"
            "   AND id NOT IN (SELECT entity_id FROM mine WHERE entity = 'deal')"
            " UNION ALL SELECT 'contact', id FROM contacts"
            " WHERE company_id IN (SELECT entity_id FROM made WHERE entity = 'company')"
            "   AND id NOT IN (SELECT entity_id FROM mine WHERE entity = 'contact')"
            " UNION ALL SELECT CASE a.kind WHEN 'task' THEN 'task' ELSE 'activity' END, a.id FROM activities a"
            " WHERE (a.deal_id IN (SELECT entity_id FROM made WHERE entity = 'deal')"
            "   OR a.contact_id IN (SELECT entity_id FROM made WHERE entity = 'contact')"
            "   OR a.company_id IN (SELECT entity_id FROM made WHERE entity = 'company'))"
            "   AND EXISTS (SELECT 1 FROM changes c WHERE c.entity IN ('activity', 'task') AND c.entity_id = a.id"
            "     AND c.action = 'create' AND c.id > (SELECT max(id) FROM changes WHERE batch_id = ?1)"
            f"     AND {_NOT_UNDONE.format(batch='?1')})"
        )
        total = int(self.scalar(f"SELECT count(*) FROM ({sql})", (batch_id,)))
        return (self.all(f"{sql} ORDER BY 1, 2 LIMIT ?2", (batch_id, limit)) if total else []), total

    def merged_into(self, entity: str, ids: list[int]) -> dict[int, list[int]]:
        """Of the companies or contacts ids, those another record was merged into since (`company merge`): id ->
        the ids merged into it."""
        out: dict[int, list[int]] = {}
        for row in self.all(
                "SELECT entity_id, json_extract(after, '$.merged_into') AS kept FROM changes WHERE entity = ?"
                " AND action = 'merge' AND json_extract(after, '$.merged_into') IN (SELECT value FROM json_each(?))"
                " ORDER BY id", (entity, json.dumps(ids))):
            out.setdefault(int(row["kept"]), []).append(int(row["entity_id"]))
        return out

    def unlink_outside(self, created: dict[str, list[int]]) -> dict[str, int]:
        """Before an undo deletes the records it created: clear, each logged (as the undo's, not counted among the
        batch's updates), the links that records outside the batch have to them (the foreign keys would clear them
        silently); returns the records unlinked, per table."""
        made = {table: json.dumps(created.get(table, [])) for table in ("companies", "contacts", "deals", "activities")}
        cleared: dict[str, set[int]] = {}
        for table, entity_sql, link, target in (
                ("contacts", "'contact'", "company_id", "companies"), ("deals", "'deal'", "company_id", "companies"),
                ("deals", "'deal'", "contact_id", "contacts"),
                ("activities", _ACTIVITY_ENTITY, "company_id", "companies"),
                ("activities", _ACTIVITY_ENTITY, "contact_id", "contacts"),
                ("activities", _ACTIVITY_ENTITY, "deal_id", "deals")):
            if not created.get(target):
                continue
            where = f"{link} IN (SELECT value FROM json_each(?)) AND id NOT IN (SELECT value FROM json_each(?))"
            params = (made[target], made[table])
            cleared.setdefault(table, set()).update(
                r["id"] for r in self.all(f"SELECT id FROM {table} WHERE {where}", params))
            self.conn.execute(
                "INSERT INTO changes (batch_id, entity, entity_id, action, changed_at, changed_by, before, after)"
                f" SELECT ?, {entity_sql}, id, 'undo import', ?, ?, json_object('{link}', {link}),"
                f" json_object('{link}', NULL)"
                f" FROM {table} WHERE {where} ORDER BY id", (self.batch_id, self.now(), self.user, *params))
            self.conn.execute(f"UPDATE {table} SET {link} = NULL WHERE {where}", params)
        return {table: len(ids) for table, ids in cleared.items() if ids}

    def undo_delete(self, table: str, entity_sql: str, ids: list[int]) -> int:
        """Delete rows an import created, logging each as a 'delete' with its values."""
        if not ids:
            return 0
        cols = [r["name"] for r in self.all(f"PRAGMA table_info({table})")]
        pairs = ", ".join(f"'{c}', {c}" for c in cols)
        deleted = 0
        for start in range(0, len(ids), 5000):
            chunk = json.dumps(ids[start:start + 5000])
            self.conn.execute(
                "INSERT INTO changes (batch_id, entity, entity_id, action, changed_at, changed_by, before)"
                f" SELECT ?, {entity_sql}, id, 'delete', ?, ?, json_object({pairs}) FROM {table}"
                " WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id",
                (self.batch_id, self.now(), self.user, chunk),
            )
            cur = self.conn.execute(f"DELETE FROM {table} WHERE id IN (SELECT value FROM json_each(?))", (chunk,))
            deleted += cur.rowcount
        return deleted

    def activity_links(self, ids: list[int]) -> list[tuple[str, Row]]:
        """(the day it happened, its links) of the activities given that count as activity."""
        out: list[tuple[str, Row]] = []
        for start in range(0, len(ids), 5000):
            rows = self.conn.execute(
                "SELECT kind, occurred_at, done_at, deal_id, contact_id, company_id FROM activities"
                " WHERE id IN (SELECT value FROM json_each(?))", (json.dumps(ids[start:start + 5000]),))
            for r in rows:
                day = r["done_at"] if r["kind"] == "task" else r["occurred_at"]
                if day:
                    out.append((day, r))
        return out

    def moved_since(self, batch_id: int, deal_ids: list[int]) -> set[int]:
        """Of the deals a batch moved (stage history rows carrying its id), those moved again after it."""
        return {r["deal_id"] for r in self.all(
            "SELECT DISTINCT h.deal_id FROM stage_history h WHERE h.deal_id IN (SELECT value FROM json_each(?1))"
            " AND h.batch_id IS NOT ?2 AND h.id > (SELECT max(b.id) FROM stage_history b WHERE b.deal_id = h.deal_id"
            " AND b.batch_id = ?2)", (json.dumps(deal_ids), batch_id))}

    def undo_stage_history(self, batch_id: int, updates: list[Row], keep: set[int] | None = None) -> int:
        """Delete the stage-history rows batch_id added to deals it updated, but the deals in keep (the history of
        deals it created goes with them); returns how many. A batch written before stage history carried its
        batch id: the row its stage change wrote (same deal, stages, day and user; the latest such)."""
        removed = 0
        legacy: list[tuple[int, Any, Any, Any, str]] = []
        moves: dict[int, list[Row]] = {}  # deal -> its updates that changed the stage (the legacy rows' source)
        for u in updates:
            if '"stage_id"' in (u["after"] or ""):
                moves.setdefault(u["entity_id"], []).append(u)
        for deal_id in sorted({u["entity_id"] for u in updates} - (keep or set())):
            cur = self.conn.execute("DELETE FROM stage_history WHERE deal_id = ? AND batch_id = ?",
                                    (deal_id, batch_id))
            removed += cur.rowcount
            if cur.rowcount:
                continue
            for u in moves.get(deal_id, ()):
                before, after = json.loads(u["before"] or "{}"), json.loads(u["after"] or "{}")
                if "stage_id" in after and after.get("stage_entered_at"):
                    legacy.append((deal_id, before.get("stage_id"), after["stage_id"], after["stage_entered_at"],
                                   u["changed_by"]))
        for u in updates:  # a won/lost deal given another close date: its entry into that stage gets its day back
            before, after = json.loads(u["before"] or "{}"), json.loads(u["after"] or "{}")
            if u["entity_id"] not in (keep or set()) and "stage_id" not in after and before.get("stage_entered_at") \
                    and after.get("stage_entered_at"):
                self.conn.execute(  # (the first entry of that moment: a later win at the same instant is not it)
                    "UPDATE stage_history SET changed_at = ? WHERE id = (SELECT min(h.id) FROM stage_history h"
                    " WHERE h.deal_id = ? AND h.changed_at = ?)",
                    (before["stage_entered_at"], u["entity_id"], after["stage_entered_at"]))
        for deal_id, from_id, to_id, when, who in legacy:
            cur = self.conn.execute(
                "DELETE FROM stage_history WHERE id = (SELECT max(id) FROM stage_history WHERE deal_id = ?"
                " AND from_stage_id IS ? AND to_stage_id = ? AND changed_at IN (?, ? || 'T00:00:00')"
                " AND changed_by = ? AND batch_id IS NULL)", (deal_id, from_id, to_id, when, when, who))
            removed += cur.rowcount
        return removed

    def stage_pipelines(self, ids: list[int]) -> dict[int, int]:
        """stage id -> its pipeline's id (of those still there)."""
        return {r["id"]: r["pipeline_id"] for chunk in (ids[i:i + 500] for i in range(0, len(ids), 500))
                for r in self.all(f"SELECT id, pipeline_id FROM stages WHERE id IN ({', '.join('?' * len(chunk))})",
                                  chunk)}

    def undo_stages(self, ids: list[int]) -> int:
        """Delete stages an import created, unless deals or history still use them."""
        removed = 0
        for sid in ids:
            used = self.scalar("SELECT (SELECT count(*) FROM deals WHERE stage_id = ?)"
                               " + (SELECT count(*) FROM stage_history WHERE to_stage_id = ? OR from_stage_id = ?)",
                               (sid, sid, sid))
            if not used:
                self.delete_record("stages", "stage", sid)
                removed += 1
        return removed

    def mark_batch_undone(self, batch_id: int) -> None:
        self.conn.execute("UPDATE import_batches SET undone_at = ? WHERE id = ?", (self.now(), batch_id))
        self.record_change("import", batch_id, "undo", None, {"batch_id": batch_id})

    # -- export ------------------------------------------------------------------------------------
    def export_rows(self, entity: str) -> Iterator[Row]:
        select, source = EXPORT_SELECT[entity]
        alias = source.split()[1]
        cursor = self.conn.execute(f"SELECT {select} FROM {source} ORDER BY {alias}.id")
        while batch := cursor.fetchmany(512):
            yield from batch

    def export_extra_keys(self, entity: str) -> list[str]:
        """Every key found in the entity's extra JSON, in order of first appearance."""
        if entity not in SEARCHED_TABLES:  # the tables with an extra column
            return []
        table = entity
        rows = self.conn.execute(
            f"SELECT j.key AS key, min(t.id) AS first FROM {table} t, json_each(t.extra) j"
            " WHERE t.extra IS NOT NULL GROUP BY j.key ORDER BY first, j.key"
        )
        return [r["key"] for r in rows]

    # -- checks ------------------------------------------------------------------------------------
    def integrity_problems(self) -> list[str]:
        rows = self.conn.execute("PRAGMA integrity_check").fetchall()
        messages = [next(iter(r.values())) for r in rows]
        return [m for m in messages if m != "ok"]

    def foreign_key_problems(self) -> list[Row]:
        return self.all("PRAGMA foreign_key_check")

    def check_queries(self, required_columns: dict[str, str], forecast_categories: Sequence[str],
                      contact_statuses: Sequence[str]) -> list[tuple[str, str, str]]:
        """(check name, SQL returning entity, id, detail) for salescli's own invariants.

        required_columns: a stage's required-field name -> the deals column that must be filled.
        """
        return [
            ("negative amount", "SELECT 'deal' AS entity, id, 'amount ' || amount_minor || ' ' || currency AS detail"
             " FROM deals WHERE amount_minor < 0", ""),
            ("stage outside its pipeline",
             "SELECT 'deal', d.id, 'stage ' || s.name || ' belongs to pipeline ' || s.pipeline_id"
             " || ', the deal to pipeline ' || d.pipeline_id FROM deals d JOIN stages s ON s.id = d.stage_id"
             " WHERE s.pipeline_id != d.pipeline_id", ""),
            ("status differs from stage kind",
             "SELECT 'deal', d.id, 'status ' || d.status || ' in ' || s.kind || ' stage ' || s.name"
             " FROM deals d JOIN stages s ON s.id = d.stage_id WHERE d.status != s.kind", ""),
            ("closed deal without its date",
             "SELECT 'deal', id, status || ' without ' || status || '_at' FROM deals"
             " WHERE (status = 'won' AND won_at IS NULL) OR (status = 'lost' AND lost_at IS NULL)", ""),
            ("forecast category",
             "SELECT 'deal', id, status || ' deal with forecast category ' || forecast_category FROM deals"
             " WHERE (status != 'open') != (forecast_category = 'closed')", ""),
            ("no stage history",
             "SELECT 'deal', d.id, 'no stage history' FROM deals d"
             " WHERE NOT EXISTS (SELECT 1 FROM stage_history h WHERE h.deal_id = d.id)", ""),
            ("history ends elsewhere",
             "SELECT 'deal', d.id, 'last history entry is stage ' || t.name || ', the deal is in ' || s.name"
             " FROM deals d JOIN stages s ON s.id = d.stage_id"
             " JOIN stage_history h ON h.id = (SELECT h2.id FROM stage_history h2 WHERE h2.deal_id = d.id"
             "  ORDER BY substr(h2.changed_at, 1, 10) DESC, h2.id DESC LIMIT 1)"
             " JOIN stages t ON t.id = h.to_stage_id WHERE h.to_stage_id != d.stage_id", ""),
            ("history out of order",
             "SELECT 'deal', h.deal_id, 'history entry ' || h.id || ' comes from stage '"
             " || coalesce(h.from_stage_id, 'none') || ' but the previous entry went to ' || p.to_stage_id"
             " FROM stage_history h JOIN stage_history p ON p.id = (SELECT p2.id FROM stage_history p2"
             "  WHERE p2.deal_id = h.deal_id AND (substr(p2.changed_at, 1, 10) < substr(h.changed_at, 1, 10)"
             "  OR (substr(p2.changed_at, 1, 10) = substr(h.changed_at, 1, 10) AND p2.id < h.id))"
             "  ORDER BY substr(p2.changed_at, 1, 10) DESC, p2.id DESC LIMIT 1)"
             " WHERE h.from_stage_id IS NOT p.to_stage_id", ""),
            ("open past Proposal without amount",
             "SELECT 'deal', d.id, 'open in ' || s.name || ' without an amount' FROM deals d"
             " JOIN stages s ON s.id = d.stage_id"
             " JOIN stages prop ON prop.pipeline_id = d.pipeline_id AND prop.name = 'Proposal' COLLATE NOCASE"
             " WHERE d.status = 'open' AND d.amount_minor IS NULL AND s.position >= prop.position"
             " AND NOT EXISTS (SELECT 1 FROM json_each(s.required_fields) r WHERE r.value = 'amount')", ""),
            ("missing required field",
             "SELECT 'deal', d.id, 'in ' || s.name || ' without ' || r.value FROM deals d"
             " JOIN stages s ON s.id = d.stage_id, json_each(s.required_fields) r"
             " WHERE d.status = 'open' AND (" + " OR ".join(
                 f"(r.value = '{name}' AND coalesce(d.{column}, '') = '')"
                 for name, column in required_columns.items()) + ")", ""),
            ("negative target", "SELECT 'target', id, 'value ' || value FROM targets WHERE value < 0", ""),
            # values written around salescli (by hand, another program): each one a command would trip on
            ("not a whole number",
             "SELECT 'deal', id, 'amount_minor ' || quote(amount_minor) || ' is not a whole number of cents' FROM deals"
             " WHERE amount_minor IS NOT NULL AND typeof(amount_minor) != 'integer' UNION ALL"
             " SELECT 'deal', id, 'probability ' || quote(probability) || ' is not a whole number from 0 to 100'"
             " FROM deals WHERE typeof(probability) != 'integer' OR probability NOT BETWEEN 0 AND 100", ""),
            ("malformed JSON", " UNION ALL ".join(
                f"SELECT '{entity}', id, '{column} ' || quote(substr({column}, 1, 40)) || ' is not a JSON {kind}'"
                f" FROM {table} WHERE {column} IS NOT NULL AND CASE WHEN json_valid({column})"
                f" THEN json_type({column}) != '{kind}' ELSE 1 END"
                for table, entity in (("companies", "company"), ("contacts", "contact"), ("deals", "deal"),
                                      ("activities", "activity"))
                for column, kind in (("tags", "array"), ("extra", "object")) if table != "activities" or
                column == "extra"), ""),
            ("not a date", " UNION ALL ".join(
                f"SELECT '{entity}', id, '{column} ' || quote(substr({column}, 1, 40)) || ' is not a date'"
                f" FROM {table} WHERE {column} IS NOT NULL AND date({column}, '+0 days') IS NOT substr({column}, 1, 10)"
                for table, entity, columns in _DATED for column in columns), ""),
            ("unknown value", " UNION ALL ".join((
                "SELECT 'deal', id, 'currency ' || quote(currency) || ' is not a three-letter code' FROM deals"
                " WHERE currency NOT GLOB '[A-Z][A-Z][A-Z]'",
                "SELECT 'deal', id, 'forecast_category ' || quote(forecast_category) || ' is not one of "
                + ", ".join(forecast_categories) + f"' FROM deals WHERE forecast_category NOT IN"
                f" ({', '.join(repr(c) for c in forecast_categories)})",
                "SELECT 'contact', id, 'status ' || quote(status) || ' is not one of " + ", ".join(contact_statuses)
                + f"' FROM contacts WHERE status NOT IN ({', '.join(repr(c) for c in contact_statuses)})",
                *(f"SELECT '{entity}', id, '{column} ' || quote({column}) || ' is not one of {', '.join(allowed)}'"
                  f" FROM {table} WHERE {column} NOT IN ({', '.join(repr(a) for a in allowed)})"
                  for table, entity, column, allowed in _CHOICES),
                "SELECT 'stage', id, 'probability ' || quote(probability) || ' is not a whole number from 0 to 100'"
                " FROM stages WHERE typeof(probability) != 'integer' OR probability NOT BETWEEN 0 AND 100")), ""),
            # reports group by team as spelt: "enterprise" beside "Enterprise" would be two teams
            ("team spelt two ways",
             "SELECT 'user', u.id, 'team ' || u.team || ' beside ' || min(t.team) || ' (salescli user edit '"
             " || u.name || ' --team ' || min(t.team) || ')' FROM users u JOIN users t"
             " ON t.team = u.team COLLATE NOCASE AND t.team != u.team AND t.id < u.id GROUP BY u.id", ""),
        ]

    def run_check(self, sql: str) -> list[Row]:
        cursor = self.conn.execute(sql + " LIMIT 1001")
        names = ("entity", "id", "detail")
        return [dict(zip(names, r.values(), strict=True)) for r in cursor.fetchall()]

    # -- salescli sql ------------------------------------------------------------------------------
    def read_query(self, sql: str) -> tuple[list[str], Iterator[tuple[Any, ...]]]:
        """Run one read-only statement (the connection should be opened read-only too).

        query_only refuses writes; an authorizer refuses ATTACH (which could create a file), DETACH and a
        PRAGMA that sets something (`journal_mode=delete` would try to change the file), while a PRAGMA
        that reads (`PRAGMA user_version`, `PRAGMA table_info(deals)`) runs.
        Returns the column names and the rows as tuples, streamed.
        """
        import sqlite3

        def authorize(action: int, arg1: str | None, arg2: str | None, *_args: Any) -> int:
            if action in (sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH):
                return sqlite3.SQLITE_DENY
            if action == sqlite3.SQLITE_PRAGMA:
                name = (arg1 or "").lower()
                if name in _ACTING_PRAGMAS or (arg2 is not None and name not in _READING_PRAGMAS):
                    return sqlite3.SQLITE_DENY
            return sqlite3.SQLITE_OK

        self.conn.execute("PRAGMA query_only = ON")
        self.conn.set_authorizer(authorize)
        self.conn.row_factory = None
        cursor = self.conn.execute(sql)
        columns = [d[0] for d in cursor.description or ()]

        def rows() -> Iterator[tuple[Any, ...]]:
            while batch := cursor.fetchmany(512):
                yield from batch

        return columns, rows()
