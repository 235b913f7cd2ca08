"""Exports: every field of every record, in id order, that `salescli import` reads back unchanged.

CSV puts each key of a record's ``extra`` in its own ``extra.KEY`` column (the importer puts
them back); JSON keeps ``extra`` as an object. A deal's ``stage_history`` lists every stage it
entered, in order: ``[stage, when, by]``, with an object when the row has more (``pipeline`` when
the stage is not of the deal's pipeline, ``note``, ``forced``); CSV writes that JSON array as
text, JSON as an array. `import deals` gives a new deal exactly that history. Dates are ISO;
amounts are decimals beside their currency; text cells that a spreadsheet would run as a formula
are neutralised by render.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from salescli.repository import Repository

ENTITIES = ("companies", "contacts", "deals", "activities", "users")

#: The columns of each export, in order (extra.KEY columns follow in CSV).
COLUMNS: dict[str, tuple[str, ...]] = {
    "companies": ("id", "name", "domain", "industry", "segment", "territory", "owner", "tags", "notes",
                  "external_id", "created_at", "updated_at", "last_activity_at"),
    "contacts": ("id", "name", "email", "phone", "title", "company_id", "company", "company_domain",
                 "company_external_id", "owner", "status", "source", "tags", "notes", "external_id", "created_at",
                 "updated_at", "last_activity_at"),
    "deals": ("id", "title", "company_id", "company", "company_domain", "company_external_id", "contact_id",
              "contact_email", "contact_name", "contact_external_id", "pipeline", "stage", "status", "amount",
              "currency", "probability", "probability_set", "forecast_category", "forecast_category_set",
              "expected_close", "owner", "source", "next_step", "next_step_date", "recurring", "won_at", "lost_at",
              "lost_reason", "lost_category", "parked_until", "park_reason", "external_id", "tags", "notes",
              "created_at", "updated_at", "stage_entered_at", "last_activity_at", "stage_history"),
    "activities": ("id", "kind", "subject", "body", "outcome", "deal_id", "deal", "deal_external_id", "company_id",
                   "company", "company_domain", "company_external_id", "contact_id", "contact_email",
                   "contact_name", "contact_external_id", "owner", "occurred_at", "due_date", "done_at",
                   "external_id", "created_at", "updated_at"),
    "users": ("id", "name", "email", "team", "territory", "created_at"),
}
_FLAGS = ("probability_set", "forecast_category_set")


def export_columns(repo: Repository, entity: str, fmt: str) -> tuple[list[str], list[str]]:
    """(columns, extra keys): CSV gets one extra.KEY column per key, JSON one "extra" object."""
    keys = repo.export_extra_keys(entity)
    columns = list(COLUMNS[entity])
    if entity == "users":
        return columns, []
    if fmt == "csv":
        columns += [f"extra.{k}" for k in keys]
    else:
        columns.append("extra")
    return columns, keys


def export_records(repo: Repository, entity: str, fmt: str, extra_keys: list[str]) -> Iterator[dict[str, Any]]:
    """The entity's records as export rows (streamed, by id)."""
    from salescli.render import RawJson
    from salescli.values import minor_to_decimal

    flat = fmt == "csv"
    for row in repo.export_rows(entity):
        out = dict(row)
        if "tags" in out:
            tags = json.loads(out["tags"] or "[]")
            out["tags"] = ", ".join(tags) if flat else tags
        if "amount_minor" in out:
            minor = out.pop("amount_minor")
            out["amount"] = None if minor is None else minor_to_decimal(minor, out["currency"])
        for key in _FLAGS:
            if key in out:
                out[key] = bool(out[key])
        if not flat and out.get("stage_history"):
            out["stage_history"] = RawJson(out["stage_history"])  # an array, as SQLite wrote it
        if "extra" in out:
            extra = json.loads(out.pop("extra")) if row.get("extra") else {}
            if flat:
                for key in extra_keys:
                    value = extra.get(key)
                    out[f"extra.{key}"] = value if value is None or isinstance(value, str) else json.dumps(value)
            else:
                out["extra"] = {k: extra[k] for k in sorted(extra)} if extra else None
        yield out
