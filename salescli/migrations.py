"""Schema migrations: append-only, named, each applied in the opening transaction.

A released migration is never edited; a change to the schema is a new entry at
the end of MIGRATIONS. `PRAGMA user_version` holds how many have been applied.
"""

from __future__ import annotations

APPLICATION_ID = 0x53434C49  # "SCLI": marks a file as a salescli database

# Each searchable table feeds search_index; rowid = id * 4 + offset keeps rows distinct.
_SEARCHED = [
    ("companies", "'company'", "name", ["domain", "industry", "segment", "notes"], 0),
    ("contacts", "'contact'", "name", ["email", "title", "phone", "notes"], 1),
    ("deals", "'deal'", "title", ["next_step", "lost_reason", "notes"], 2),
    ("activities", "CASE new.kind WHEN 'task' THEN 'task' ELSE 'activity' END", "subject",
     ["body", "outcome"], 3),
]


def _search_triggers(table: str, kind: str, title: str, body: list[str], offset: int) -> str:
    joined = " || ' ' || ".join(f"coalesce(new.{col}, '')" for col in body)
    insert = (
        "INSERT INTO search_index(rowid, kind, entity_id, title, body) "
        f"VALUES (new.id * 4 + {offset}, {kind}, new.id, new.{title}, {joined});"
    )
    delete = f"DELETE FROM search_index WHERE rowid = old.id * 4 + {offset};"
    watched = ", ".join([title, *body] + (["kind"] if table == "activities" else []))
    return (
        f"CREATE TRIGGER {table}_search_ai AFTER INSERT ON {table} BEGIN {insert} END;\n"
        f"CREATE TRIGGER {table}_search_au AFTER UPDATE OF {watched} ON {table} BEGIN {delete} {insert} END;\n"
        f"CREATE TRIGGER {table}_search_ad AFTER DELETE ON {table} BEGIN {delete} END;\n"
    )


M001_CORE = """
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    email TEXT,
    team TEXT,
    territory TEXT,
    created_at TEXT NOT NULL
);
CREATE TABLE companies (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    domain TEXT COLLATE NOCASE UNIQUE,
    industry TEXT,
    segment TEXT,
    territory TEXT,
    owner TEXT,
    tags TEXT NOT NULL DEFAULT '[]',
    notes TEXT,
    external_id TEXT,
    extra TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    last_activity_at TEXT
);
CREATE INDEX companies_name ON companies(name COLLATE NOCASE);
CREATE TABLE contacts (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT COLLATE NOCASE UNIQUE,
    phone TEXT,
    title TEXT,
    company_id INTEGER REFERENCES companies(id) ON DELETE SET NULL,
    owner TEXT,
    status TEXT NOT NULL DEFAULT 'lead',
    source TEXT,
    tags TEXT NOT NULL DEFAULT '[]',
    notes TEXT,
    external_id TEXT,
    extra TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    last_activity_at TEXT
);
CREATE INDEX contacts_name ON contacts(name COLLATE NOCASE);
CREATE INDEX contacts_company ON contacts(company_id);
CREATE TABLE import_batches (
    id INTEGER PRIMARY KEY,
    entity TEXT NOT NULL,
    source TEXT,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    summary TEXT,
    undone_at TEXT
);
CREATE TABLE changes (
    id INTEGER PRIMARY KEY,
    batch_id INTEGER REFERENCES import_batches(id),
    entity TEXT NOT NULL,
    entity_id INTEGER NOT NULL,
    action TEXT NOT NULL,
    changed_at TEXT NOT NULL,
    changed_by TEXT NOT NULL,
    before TEXT,
    after TEXT
);
CREATE INDEX changes_entity ON changes(entity, entity_id);
CREATE INDEX changes_batch ON changes(batch_id);
"""

M002_DEALS = """
CREATE TABLE pipelines (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    is_default INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
CREATE TABLE stages (
    id INTEGER PRIMARY KEY,
    pipeline_id INTEGER NOT NULL REFERENCES pipelines(id) ON DELETE CASCADE,
    name TEXT NOT NULL COLLATE NOCASE,
    position INTEGER NOT NULL,
    probability INTEGER NOT NULL CHECK (probability BETWEEN 0 AND 100),
    kind TEXT NOT NULL CHECK (kind IN ('open', 'won', 'lost')),
    rot_days INTEGER,
    required_fields TEXT NOT NULL DEFAULT '[]',
    UNIQUE (pipeline_id, name)
);
CREATE TABLE deals (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    company_id INTEGER REFERENCES companies(id) ON DELETE SET NULL,
    contact_id INTEGER REFERENCES contacts(id) ON DELETE SET NULL,
    pipeline_id INTEGER NOT NULL REFERENCES pipelines(id),
    stage_id INTEGER NOT NULL REFERENCES stages(id),
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'won', 'lost')),
    amount_minor INTEGER CHECK (amount_minor IS NULL OR amount_minor >= 0),
    currency TEXT NOT NULL,
    probability INTEGER NOT NULL CHECK (probability BETWEEN 0 AND 100),
    probability_set INTEGER NOT NULL DEFAULT 0,
    forecast_category TEXT NOT NULL,
    forecast_category_set INTEGER NOT NULL DEFAULT 0,
    expected_close TEXT,
    owner TEXT,
    source TEXT,
    next_step TEXT,
    next_step_date TEXT,
    recurring TEXT NOT NULL DEFAULT 'none' CHECK (recurring IN ('none', 'month', 'year')),
    won_at TEXT,
    lost_at TEXT,
    lost_reason TEXT,
    lost_category TEXT,
    parked_until TEXT,
    park_reason TEXT,
    external_id TEXT,
    tags TEXT NOT NULL DEFAULT '[]',
    notes TEXT,
    extra TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    stage_entered_at TEXT NOT NULL,
    last_activity_at TEXT
);
CREATE INDEX deals_stage_owner ON deals(stage_id, owner, amount_minor, probability);
CREATE INDEX deals_owner_status ON deals(owner, status, expected_close);
CREATE INDEX deals_status_close ON deals(status, expected_close, currency, amount_minor, probability);
CREATE INDEX deals_company ON deals(company_id);
CREATE INDEX deals_contact ON deals(contact_id);
CREATE UNIQUE INDEX deals_external_id ON deals(external_id) WHERE external_id IS NOT NULL;
CREATE INDEX deals_title ON deals(title COLLATE NOCASE);
CREATE TABLE stage_history (
    id INTEGER PRIMARY KEY,
    deal_id INTEGER NOT NULL REFERENCES deals(id) ON DELETE CASCADE,
    from_stage_id INTEGER REFERENCES stages(id),
    to_stage_id INTEGER NOT NULL REFERENCES stages(id),
    changed_at TEXT NOT NULL,
    changed_by TEXT NOT NULL,
    note TEXT,
    forced INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX stage_history_deal ON stage_history(deal_id, changed_at);
CREATE INDEX stage_history_to ON stage_history(to_stage_id, deal_id);
CREATE TABLE fx_rates (
    currency TEXT NOT NULL,
    rate TEXT NOT NULL,
    as_of TEXT NOT NULL,
    PRIMARY KEY (currency, as_of)
);
"""

M003_ACTIVITIES = """
CREATE TABLE activities (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('call', 'email', 'meeting', 'note', 'task')),
    subject TEXT NOT NULL,
    body TEXT,
    outcome TEXT,
    deal_id INTEGER REFERENCES deals(id) ON DELETE SET NULL,
    contact_id INTEGER REFERENCES contacts(id) ON DELETE SET NULL,
    company_id INTEGER REFERENCES companies(id) ON DELETE SET NULL,
    owner TEXT,
    occurred_at TEXT NOT NULL,
    due_date TEXT,
    done_at TEXT,
    automation_id INTEGER,
    external_id TEXT,
    extra TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX activities_deal ON activities(deal_id, occurred_at);
CREATE INDEX activities_contact ON activities(contact_id, occurred_at);
CREATE INDEX activities_company ON activities(company_id, occurred_at);
CREATE INDEX activities_owner_kind ON activities(owner, kind, occurred_at);
CREATE INDEX activities_open_tasks ON activities(owner, due_date) WHERE kind = 'task' AND done_at IS NULL;
CREATE TABLE automations (
    id INTEGER PRIMARY KEY,
    event TEXT NOT NULL,
    stage_name TEXT,
    task_subject TEXT NOT NULL,
    due_days INTEGER NOT NULL,
    owner_rule TEXT NOT NULL DEFAULT 'deal-owner',
    created_at TEXT NOT NULL
);
CREATE VIRTUAL TABLE search_index USING fts5(
    kind UNINDEXED, entity_id UNINDEXED, title, body, tokenize = 'unicode61 remove_diacritics 2'
);
""" + "\n".join(
    _search_triggers(table, kind, title, body, offset)
    for table, kind, title, body, offset in _SEARCHED
)


M004_TARGETS = """
CREATE TABLE targets (
    id INTEGER PRIMARY KEY,
    scope TEXT NOT NULL CHECK (scope IN ('owner', 'team')),
    name TEXT NOT NULL COLLATE NOCASE,
    period_label TEXT NOT NULL,
    period_start TEXT NOT NULL,
    period_end TEXT NOT NULL,
    metric TEXT NOT NULL CHECK (metric IN ('won_amount', 'deals_won', 'activities')),
    value INTEGER NOT NULL CHECK (value >= 0),
    currency TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (scope, name, period_start, period_end, metric)
);
CREATE TABLE forecast_snapshots (
    id INTEGER PRIMARY KEY,
    taken_at TEXT NOT NULL,
    period_label TEXT NOT NULL,
    period_start TEXT NOT NULL,
    period_end TEXT NOT NULL,
    scope TEXT NOT NULL DEFAULT 'all',
    figures TEXT NOT NULL
);
"""

# `salescli today` per owner: every column the closing-soon, stale and no-next-step sections test, so
# they are answered from this index alone (open deals only; the stale test needs no table read).
# `activity list` reads newest first (without this, the first page of 3M activities is a full sort);
# `automation list` counts the tasks each rule created.
M005_AGENDA_INDEX = """
CREATE INDEX deals_open_agenda ON deals(owner, status, expected_close, stage_id, parked_until, last_activity_at,
    stage_entered_at, created_at, next_step_date, next_step) WHERE status = 'open';
CREATE INDEX activities_occurred ON activities(occurred_at);
CREATE INDEX activities_automation ON activities(automation_id) WHERE automation_id IS NOT NULL;
"""

# Reports (repository/metrics.py) on a large database: deals closed in a period by their won/lost
# day, new deals by creation, stage moves and logged changes by day, the stage history of each deal
# by stage (covering), and the open pipeline by stage and category answered from one covering index.
M006_REPORT_INDEXES = """
CREATE INDEX deals_won_at ON deals(won_at) WHERE status = 'won';
CREATE INDEX deals_lost_at ON deals(lost_at) WHERE status = 'lost';
CREATE INDEX deals_created_at ON deals(created_at);
CREATE INDEX deals_open_pipeline ON deals(stage_id, currency, forecast_category, amount_minor, probability,
    expected_close, created_at, owner, pipeline_id, parked_until, last_activity_at, stage_entered_at,
    next_step_date, next_step, status) WHERE status = 'open';
CREATE INDEX stage_history_changed ON stage_history(changed_at);
CREATE INDEX stage_history_deal_stage ON stage_history(deal_id, to_stage_id, changed_at);
CREATE INDEX changes_entity_changed ON changes(entity, changed_at);
"""

# The import batch that wrote a stage-history row (NULL for moves made by hand and for rows written
# before this migration), so `import undo` removes exactly the history a batch added to deals it updated.
M007_STAGE_HISTORY_BATCH = """
ALTER TABLE stage_history ADD COLUMN batch_id INTEGER REFERENCES import_batches(id);
"""

# A done task happened on the day it was done: `task done` now records that day as occurred_at (the
# day activity lists sort and filter by); tasks done before kept their creation day there.
M008_DONE_TASK_DAY = """
UPDATE activities SET occurred_at = substr(done_at, 1, 10)
WHERE kind = 'task' AND done_at IS NOT NULL AND occurred_at IS NOT substr(done_at, 1, 10);
"""

# One form for the moment a deal entered a stage: a timestamp. Stage changes given as a day (`--date`,
# imports, the demo) were stored as YYYY-MM-DD beside the YYYY-MM-DDTHH:MM:SS of changes made live, so
# JSON and CSV consumers met both forms in one field; a day is now midnight of that day.
M009_STAGE_TIMESTAMPS = """
UPDATE deals SET stage_entered_at = stage_entered_at || 'T00:00:00' WHERE length(stage_entered_at) = 10;
UPDATE stage_history SET changed_at = changed_at || 'T00:00:00' WHERE length(changed_at) = 10;
"""

# A deal with an open task has a next step, even with the next-step field empty (the task is the step,
# as in Pipedrive's "next activity"): `today` and the pipeline, stale and weekly reports probe this
# index once per open deal whose next-step field is empty.
M010_DEAL_OPEN_TASKS = """
CREATE INDEX activities_deal_open_tasks ON activities(deal_id) WHERE kind = 'task' AND done_at IS NULL;
"""

# A forecast snapshot's scope in columns of its own: the 'pipeline:NAME owner:NAME team:NAME' text was
# split at spaces to be read back, so a pipeline or team named with a space ("New business") could not
# be renamed, guarded or measured. The text stays, as the label reports print. Old rows are read in the
# order the text was written (pipeline, then owner, then team).
M011_SNAPSHOT_SCOPE = """
ALTER TABLE forecast_snapshots ADD COLUMN pipeline TEXT;
ALTER TABLE forecast_snapshots ADD COLUMN owner TEXT;
ALTER TABLE forecast_snapshots ADD COLUMN team TEXT;
UPDATE forecast_snapshots SET team = substr(scope, instr(' ' || scope, ' team:') + 5)
WHERE instr(' ' || scope, ' team:') > 0;
UPDATE forecast_snapshots SET owner = substr(scope, instr(' ' || scope, ' owner:') + 6,
    CASE WHEN team IS NULL THEN length(scope)
         ELSE instr(' ' || scope, ' team:') - instr(' ' || scope, ' owner:') - 7 END)
WHERE instr(' ' || scope, ' owner:') > 0;
UPDATE forecast_snapshots SET pipeline = substr(scope, 10,
    CASE WHEN owner IS NOT NULL THEN instr(' ' || scope, ' owner:') - 11
         WHEN team IS NOT NULL THEN instr(' ' || scope, ' team:') - 11 ELSE length(scope) END)
WHERE scope LIKE 'pipeline:%';
"""

# A deal is found by its park reason and by the notes of its stage moves (`deal park --reason`, `deal move
# --note`), which its search entry lacked. The deal triggers are re-created with both in the body: the notes
# through a subquery, in the order they were written (the inner ORDER BY keeps SQLite from flattening it into
# the aggregate). Triggers on stage_history re-index the deal when a note comes, changes or goes — but not a
# deal without an entry yet: the new deals of a bulk import, indexed all at once when it ends (see
# repository/imports.py suspend_search_insert, which turns deals_search_ai's one INSERT into an INSERT …
# SELECT over the new deals). That import drops the non-unique indexes of stage_history meanwhile, so the
# subquery reads an index of its own that stays: UNIQUE (deal_id, id is unique anyway), and only the rows
# with a note. The existing deals with a park reason or a stage note are re-indexed (the body of any
# other deal has the same words as before).
_DEAL_NOTES = ("(SELECT group_concat(note, ' ') FROM (SELECT h.note FROM stage_history h"
               " WHERE h.deal_id = {d}.id AND h.note IS NOT NULL ORDER BY h.id))")
_DEAL_BODY = " || ' ' || ".join(
    [f"coalesce({{d}}.{col}, '')" for col in ("next_step", "lost_reason", "notes", "park_reason")]
    + [f"coalesce({_DEAL_NOTES}, '')"]
)
_DEAL_ENTRY = "{d}.id * 4 + 2, 'deal', {d}.id, {d}.title, " + _DEAL_BODY
_REINDEX_DEAL = (
    "DELETE FROM search_index WHERE rowid = {id} * 4 + 2; INSERT INTO search_index(rowid, kind, entity_id, title,"
    " body) SELECT " + _DEAL_ENTRY.format(d="d") + " FROM deals AS d WHERE d.id = {id};"
)
_HAS_ENTRY = "EXISTS (SELECT 1 FROM search_index WHERE rowid = {id} * 4 + 2)"

M012_DEAL_SEARCH_NOTES = f"""
DROP TRIGGER deals_search_ai;
DROP TRIGGER deals_search_au;
CREATE TRIGGER deals_search_ai AFTER INSERT ON deals BEGIN INSERT INTO search_index(rowid, kind, entity_id, title,\
 body) VALUES ({_DEAL_ENTRY.format(d="new")}); END;
CREATE TRIGGER deals_search_au AFTER UPDATE OF title, next_step, lost_reason, notes, park_reason ON deals BEGIN\
 DELETE FROM search_index WHERE rowid = old.id * 4 + 2; INSERT INTO search_index(rowid, kind, entity_id, title,\
 body) VALUES ({_DEAL_ENTRY.format(d="new")}); END;
CREATE UNIQUE INDEX stage_history_deal_notes ON stage_history(deal_id, id) WHERE note IS NOT NULL;
CREATE TRIGGER stage_history_search_ai AFTER INSERT ON stage_history
WHEN new.note IS NOT NULL AND {_HAS_ENTRY.format(id="new.deal_id")}
BEGIN {_REINDEX_DEAL.format(id="new.deal_id")} END;
CREATE TRIGGER stage_history_search_au AFTER UPDATE OF note ON stage_history
WHEN old.note IS NOT new.note AND {_HAS_ENTRY.format(id="new.deal_id")}
BEGIN {_REINDEX_DEAL.format(id="new.deal_id")} END;
CREATE TRIGGER stage_history_search_ad AFTER DELETE ON stage_history
WHEN old.note IS NOT NULL AND {_HAS_ENTRY.format(id="old.deal_id")}
BEGIN {_REINDEX_DEAL.format(id="old.deal_id")} END;
DELETE FROM search_index WHERE rowid IN (SELECT d.id * 4 + 2 FROM deals d WHERE d.park_reason IS NOT NULL
    OR EXISTS (SELECT 1 FROM stage_history h WHERE h.deal_id = d.id AND h.note IS NOT NULL));
INSERT INTO search_index(rowid, kind, entity_id, title, body) SELECT {_DEAL_ENTRY.format(d="d")} FROM deals AS d
WHERE d.park_reason IS NOT NULL OR EXISTS (SELECT 1 FROM stage_history h WHERE h.deal_id = d.id AND h.note IS NOT NULL);
"""

MIGRATIONS: list[tuple[str, str]] = [
    ("m001_core", M001_CORE),
    ("m002_deals_pipelines", M002_DEALS),
    ("m003_activities_search", M003_ACTIVITIES),
    ("m004_targets_snapshots", M004_TARGETS),
    ("m005_agenda_index", M005_AGENDA_INDEX),
    ("m006_report_indexes", M006_REPORT_INDEXES),
    ("m007_stage_history_batch", M007_STAGE_HISTORY_BATCH),
    ("m008_done_task_day", M008_DONE_TASK_DAY),
    ("m009_stage_timestamps", M009_STAGE_TIMESTAMPS),
    ("m010_deal_open_tasks", M010_DEAL_OPEN_TASKS),
    ("m011_snapshot_scope", M011_SNAPSHOT_SCOPE),
    ("m012_deal_search_notes", M012_DEAL_SEARCH_NOTES),
]

SCHEMA_VERSION = len(MIGRATIONS)


def statements(script: str) -> list[str]:
    """Split a script into statements (trigger bodies keep their inner semicolons)."""
    import sqlite3

    out: list[str] = []
    buf = ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip():
                out.append(buf.strip())
            buf = ""
    if buf.strip():
        out.append(buf.strip())
    return out
