"""`salescli import undo BATCH`: revert an import's creates and updates, in one transaction.

An update is reverted field by field from the change log (updated_at included); the stage-history
rows the batch added to the deals it updated are deleted (they carry its batch id), and a created
deal's history goes with the deal.

Refused (exit 1) when a record of the batch was changed afterwards, or a later record points at
one the batch created, unless --force; an unknown batch is exit 3, an undone one exit 1.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from salescli.errors import NotFound, RuleError
from salescli.values import as_timestamp

if TYPE_CHECKING:
    from salescli.repository import Repository

TABLE_OF = {"company": "companies", "contact": "contacts", "deal": "deals", "activity": "activities",
            "task": "activities", "user": "users", "stage": "stages", "pipeline": "pipelines"}
# What a deal's stage moves write: kept by an undo when the deal was moved again after the batch.
STAGE_FIELDS = frozenset({"stage_id", "pipeline_id", "stage_entered_at", "status", "won_at", "lost_at", "probability",
                          "forecast_category", "lost_reason", "lost_category"})
# Deleted in this order: what points at a record goes before it.
DELETE_ORDER = (("activities", "CASE kind WHEN 'task' THEN 'task' ELSE 'activity' END"), ("deals", "'deal'"),
                ("contacts", "'contact'"), ("companies", "'company'"), ("users", "'user'"))
# (a user the batch created goes only when nothing owns it any more: a later deal of theirs keeps them)


def undo_import(repo: Repository, batch_id: int, *, force: bool = False) -> dict[str, Any]:
    """Revert batch batch_id; returns what was reverted."""
    try:
        return _undo(repo, batch_id, force)
    finally:
        repo.batch_id = None


def _undo(repo: Repository, batch_id: int, force: bool) -> dict[str, Any]:
    with repo.write():
        batch = repo.import_batch(batch_id)
        if batch is None:
            raise NotFound(f"import batch {batch_id} not found", hint="list them with `salescli import batches`")
        if batch["undone_at"]:
            raise RuleError(f"import batch {batch_id} was already undone ({batch['undone_at']})")
        changes = repo.batch_changes(batch_id)
        last = max((c["id"] for c in changes), default=0)
        if changes and not force:
            _refuse_if_changed(repo, batch_id, last)
        repo.batch_id = batch_id  # the undo's own entries carry the batch they revert
        updates = [c for c in changes if c["action"] == "update"]
        # the stage history the batch's stage changes added (what reports and `db check` read); a deal moved again
        # since (--force) keeps its stage and that history: a later move starts from the stage the batch set
        deal_updates = [c for c in updates if c["entity"] == "deal"]
        moved = repo.moved_since(batch_id, sorted({c["entity_id"] for c in deal_updates}))
        history = repo.undo_stage_history(batch_id, deal_updates, keep=moved)
        reverted = 0
        refreshed: list[tuple[str, dict[str, Any]]] = []  # (a day an updated activity gave its records, links)
        for change in reversed(updates):
            table = TABLE_OF.get(change["entity"])
            if table is None:
                continue
            current = repo.one(f"SELECT * FROM {table} WHERE id = ?", (change["entity_id"],))
            if current is None:
                continue
            before = json.loads(change["before"] or "{}")
            if isinstance(before.get("stage_entered_at"), str):  # logged before migration 9: a day is its midnight
                before["stage_entered_at"] = as_timestamp(before["stage_entered_at"])
            after = json.loads(change["after"] or "{}")
            if change["entity"] == "deal" and (change["entity_id"] in moved or (  # (or a close date moved since)
                    "stage_id" not in after and "stage_entered_at" in after
                    and current["stage_entered_at"] != after["stage_entered_at"])):
                before = {k: v for k, v in before.items() if k not in STAGE_FIELDS}
            values = {k: v for k, v in before.items() if k in current and current[k] != v}
            if values:
                repo.update_row(table, change["entity_id"], values)
                repo.record_change(change["entity"], change["entity_id"], "undo import",
                                   {k: current[k] for k in values}, values)
                reverted += 1
                day = after.get("done_at") or after.get("occurred_at")
                if table == "activities" and day:  # (a task the batch marked done moved its records' last
                    keys = ("deal_id", "contact_id", "company_id")  # activity: worked out again below)
                    refreshed += [(str(day), {k: side.get(k, current[k]) for k in keys}) for side in (after, values)]
        created: dict[str, list[int]] = {}
        for change in changes:
            if change["action"] == "create":
                created.setdefault(TABLE_OF.get(change["entity"], ""), []).append(change["entity_id"])
        deleted: dict[str, int] = {}
        # a company or contact another was merged into since holds that one's data now: it stays (--force too)
        absorbed: list[str] = []
        for table, entity in (("companies", "company"), ("contacts", "contact")):
            merged = repo.merged_into(entity, created.get(table, []))
            if merged:
                created[table] = [i for i in created[table] if i not in merged]
                absorbed += [f"{entity} {kept} (holds {entity} {', '.join(map(str, gone))}, merged into it since)"
                             for kept, gone in merged.items()]
        # the records outside the batch linked to what it made: unlinked before it goes, each unlink logged (the
        # foreign keys would clear them silently)
        outside = repo.unlink_outside(created)
        unlinked = outside.get("activities", 0)
        kept_users = 0
        touched = repo.activity_links(created.get("activities", []))
        for table, entity_sql in DELETE_ORDER:
            ids = created.get(table, [])
            if table == "users" and ids:
                ids, kept_users = repo.unowned_users(ids)
            if ids:
                deleted[table] = repo.undo_delete(table, entity_sql, ids)
        for day, links in [*touched, *refreshed]:
            repo.forget_last_activity(day, links)
        # a pipeline the batch made and someone used since stays whole (a pipeline needs its won/lost stages)
        kept = repo.pipelines_in_use(created.get("pipelines", []))
        kept_ids = {r["id"] for r in kept}
        gone = [p for p in created.get("pipelines", []) if p not in kept_ids]
        stage_pipeline = repo.stage_pipelines(created.get("stages", []))
        stages = repo.undo_stages([s for s in created.get("stages", [])
                                   if stage_pipeline.get(s) not in kept_ids and stage_pipeline.get(s) not in gone])
        stages += sum(1 for s in created.get("stages", []) if stage_pipeline.get(s) in gone)
        if gone:
            repo.delete_pipelines(gone)
        if stages:
            deleted["stages"] = stages
        if gone:
            deleted["pipelines"] = len(gone)
        repo.mark_batch_undone(batch_id)
    return {"batch_id": batch_id, "entity": batch["entity"], "source": batch["source"], "deleted": deleted,
            "reverted_updates": reverted, "stage_history_removed": history,
            "kept_pipelines": [r["name"] for r in kept], "unlinked_activities": unlinked, "kept_users": kept_users,
            "unlinked_records": {t: n for t, n in outside.items() if t != "activities"}, "kept_merged": absorbed,
            "kept_stage": sorted(moved)}


def check_undoable(repo: Repository, batch_id: int) -> None:
    """The refusal undo_import would give without --force (records changed or linked since), before anything
    is asked: a prompt is not answered only to be refused."""
    last = repo.batch_last_change(batch_id)
    if last:
        _refuse_if_changed(repo, batch_id, last)


def _refuse_if_changed(repo: Repository, batch_id: int, last_change_id: int) -> None:
    changed = repo.changed_since(batch_id, last_change_id)
    refs, linked = repo.later_references(batch_id)
    if not changed and not linked:
        return
    parts = [f"{r['entity']} {r['entity_id']} ({r['action']})" for r in changed[:5]]
    parts += [f"{r['entity']} {r['entity_id']} (points at a record it made)" for r in refs[:5]]
    more = len(changed) + linked - len(parts)
    raise RuleError(
        f"import batch {batch_id}: records changed since the import: {', '.join(parts)}"
        + (f" and {more} more" if more > 0 else ""),
        hint="--force undoes it anyway: the fields the import changed go back (a later edit of one of them with"
             " them; other edits stay)",
    )
