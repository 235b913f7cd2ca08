"""Which CSV column fills which field: aliases, map files, presets and --map.

A header matches a field when it equals one of the field's aliases once both are lower-cased and
stripped of spaces and punctuation ("Deal Name", "deal_name" and "DEAL-NAME" are the same).
Explicit choices come first, in this order (a later one wins): the preset, the map file, --map.
A column that matches nothing is kept in the record's ``extra`` (nothing is dropped silently);
``-`` (or ``ignore``) as a target drops a column on purpose.

Map files (TOML or JSON) and presets share one shape; every key is optional, and a table named
after an entity (``[deals]``, ``[companies]``...) overrides the top level for that entity::

    columns = { "Deal Stage" = "stage", "Internal notes" = "-" }
    values = { stage = { "Engaging" = "Qualification", "Closed Won" = "Won" } }
    date_format = "%m/%d/%Y"
    day_first = false
    decimal_comma = true                             # amounts written 1.234,56 (deals)
    derive = { title = "{product} — {account}" }     # a field built from other columns
    defaults = { currency = "USD" }                  # a field's value when the file has none
    entry_stage = "Qualification"                    # where a won/lost deal's history starts
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from salescli.errors import ImportRejected, UsageError
from salescli.values import loose_key

ENTITIES = ("companies", "contacts", "deals", "activities", "users")
_ENTITY_ALIASES = {
    "company": "companies", "companies": "companies", "account": "companies", "accounts": "companies",
    "organization": "companies", "organizations": "companies",
    "contact": "contacts", "contacts": "contacts", "person": "contacts", "people": "contacts",
    "deal": "deals", "deals": "deals", "opportunity": "deals", "opportunities": "deals",
    "activity": "activities", "activities": "activities", "task": "activities", "tasks": "activities",
    "user": "users", "users": "users", "rep": "users", "reps": "users",
}
PRESETS = ("hubspot", "pipedrive", "salesforce", "maven")
IGNORE = ("-", "ignore", "skip", "drop")
MAP_KEYS = ("columns", "values", "date_format", "day_first", "decimal_comma", "derive", "defaults", "entry_stage",
            "description")


@dataclass(frozen=True)
class FieldSpec:
    """A field an import can fill: how its cells are read, and the headers that name it."""

    name: str
    kind: str  # text | long_text | money | currency | date | timestamp | when | probability | bool | tags
    #            | email | domain | lower | history
    aliases: tuple[str, ...] = ()
    max_length: int = 1000


def _f(name: str, kind: str = "text", *aliases: str, max_length: int = 1000) -> FieldSpec:
    return FieldSpec(name, kind, (name, *aliases), max_length)


_CREATED = ("created", "created on", "create date", "created date", "date created", "createddate")

FIELDS: dict[str, dict[str, FieldSpec]] = {
    "deals": {f.name: f for f in (
        _f("external_id", "text", "external id", "id", "deal id", "record id", "opportunity id", "source id",
           max_length=200),
        _f("title", "text", "deal name", "opportunity name", "name", "deal", "opportunity", "deal title",
           max_length=300),
        _f("company", "text", "company name", "account", "account name", "organization", "organization name",
           "organisation", "associated company", "customer", max_length=300),
        _f("company_domain", "domain", "company domain", "company domain name", "domain", "website"),
        _f("company_external_id", "text", "company external id", "account id", "organization id", max_length=200),
        _f("contact", "text", "contact email", "email", "person email", "person - email (work)",
           "primary contact", "person", max_length=300),
        _f("contact_name", "text", "person name", "person - name", max_length=300),
        _f("contact_external_id", "text", "contact external id", "contact id", max_length=200),
        _f("amount", "money", "deal value", "value", "close value", "deal amount", "opportunity amount"),
        _f("currency", "currency", "deal currency", "currency code", "currency iso code"),
        _f("pipeline", "text", "deal pipeline", "pipeline name", max_length=200),
        _f("stage", "text", "deal stage", "stage name", "pipeline stage", max_length=200),
        _f("status", "lower", "deal status", "state"),
        _f("probability", "probability", "probability (%)", "deal probability", "win probability"),
        _f("probability_set", "bool"),
        _f("forecast_category", "text", "forecast category", "forecast category name", "forecast"),
        _f("forecast_category_set", "bool"),
        _f("expected_close", "date", "close date", "expected close date", "expected close", "close",
           "expected close date"),
        _f("created_at", "timestamp", *_CREATED, "deal created", "add time", "engage date"),
        _f("updated_at", "timestamp"),
        _f("stage_entered_at", "when"),
        _f("won_at", "date", "won date", "won time", "date won", "closed won date"),
        _f("lost_at", "date", "lost date", "lost time", "date lost"),
        _f("lost_reason", "text", "lost reason", "loss reason", "closed lost reason"),
        _f("lost_category", "lower", "loss category", "lost reason category"),
        _f("owner", "text", "deal owner", "sales agent", "owner id", "sales rep", "rep", "assigned to",
           "salesperson", max_length=200),
        _f("source", "text", "lead source", "deal source", "original source", "channel", max_length=200),
        _f("next_step", "text", "next step", "next action"),
        _f("next_step_date", "date", "next step date", "next activity date"),
        _f("recurring", "lower", "recurring interval", "billing interval"),
        _f("parked_until", "date"),
        _f("park_reason", "text"),
        _f("tags", "tags", "labels", "label"),
        _f("notes", "long_text", "description", "note", "comments", max_length=10_000),
        _f("last_activity_at", "when"),
        # salescli's export: every stage the deal entered, with when (a JSON array; see plan.parse_history)
        _f("stage_history", "history", "stage history", max_length=1_000_000),
    )},
    "companies": {f.name: f for f in (
        _f("external_id", "text", "external id", "id", "company id", "record id", "account id",
           "organization id", max_length=200),
        _f("name", "text", "company", "company name", "account", "account name", "organization",
           "organization name", "organisation", max_length=300),
        _f("domain", "domain", "website", "company domain name", "web site", "url"),
        _f("industry", "text", "sector", "vertical", max_length=200),
        _f("segment", "lower", "company type", "type"),
        _f("territory", "text", "region", "office location", "sales territory", max_length=200),
        _f("owner", "text", "company owner", "account owner", "owner id", max_length=200),
        _f("tags", "tags", "labels", "label"),
        _f("notes", "long_text", "description", "about", "note", max_length=10_000),
        _f("created_at", "timestamp", *_CREATED),
        _f("updated_at", "timestamp"),
        _f("last_activity_at", "when"),
    )},
    "contacts": {f.name: f for f in (
        _f("external_id", "text", "external id", "id", "contact id", "record id", "person id", max_length=200),
        _f("name", "text", "full name", "contact name", "person name", "person - name", "contact",
           max_length=300),
        _f("first_name", "text", "first name", "given name", "person - first name", max_length=150),
        _f("last_name", "text", "last name", "surname", "family name", "person - last name", max_length=150),
        _f("email", "email", "e-mail", "email address", "work email", "primary email", "person - email",
           "person - email (work)"),
        _f("phone", "text", "phone number", "work phone", "telephone", "person - phone", "person - phone (work)",
           max_length=100),
        _f("title", "text", "job title", "position", "role", max_length=300),
        _f("company", "text", "company name", "account", "account name", "organization", "organization name",
           "person - organization", max_length=300),
        _f("company_domain", "domain", "company domain", "company domain name", "domain", "website"),
        _f("company_external_id", "text", "company external id", "account id", "organization id",
           max_length=200),
        _f("owner", "text", "contact owner", "owner id", "person - owner", max_length=200),
        _f("status", "lower", "contact status"),
        _f("source", "text", "lead source", "original source", max_length=200),
        _f("tags", "tags", "labels", "label"),
        _f("notes", "long_text", "description", "note", max_length=10_000),
        _f("created_at", "timestamp", *_CREATED),
        _f("updated_at", "timestamp"),
        _f("last_activity_at", "when"),
    )},
    "activities": {f.name: f for f in (
        _f("external_id", "text", "external id", "id", "activity id", "task id", "record id", max_length=200),
        _f("kind", "lower", "type", "activity type", "task subtype", "activity - type"),
        _f("subject", "text", "title", "activity subject", "activity - subject", "name", max_length=500),
        _f("body", "long_text", "notes", "description", "note", "details", "activity - note",
           max_length=100_000),
        _f("outcome", "text", "result", "call result", "disposition"),
        _f("deal", "text", "deal title", "deal name", "opportunity", "opportunity name", max_length=300),
        _f("deal_external_id", "text", "deal external id", "deal id", "opportunity id", max_length=200),
        _f("related_external_id", "text", "related to id", "related id", "what id", max_length=200),
        _f("company", "text", "company name", "account", "account name", "organization", "organization name",
           max_length=300),
        _f("company_domain", "domain", "company domain", "company domain name"),
        _f("company_external_id", "text", "company external id", "account id", "organization id", max_length=200),
        _f("contact", "text", "contact email", "email", "person", "person - email", max_length=300),
        _f("contact_name", "text", "person name", "person - name", max_length=300),
        _f("contact_external_id", "text", "contact external id", "contact id", "who id", max_length=200),
        _f("owner", "text", "assigned to", "owner id", "activity owner", "user", max_length=200),
        _f("occurred_at", "date", "date", "occurred on", "activity date", "when", "done date"),
        _f("due_date", "date", "due date", "due", "due on"),
        _f("done_at", "date", "done on", "completed", "completed at", "completed on", "marked as done time"),
        _f("done", "date", "is done", "is completed"),  # a done flag (yes/no) or the day it was done
        _f("status", "lower", "task status", "state"),
        _f("created_at", "timestamp", *_CREATED),
        _f("updated_at", "timestamp"),
    )},
    "users": {f.name: f for f in (
        _f("name", "text", "user", "sales agent", "rep", "owner", "full name", "user name", max_length=200),
        _f("email", "email", "e-mail", "email address"),
        _f("team", "text", "manager", "sales team", max_length=200),
        _f("territory", "text", "region", "regional office", "office", max_length=200),
        _f("created_at", "timestamp"),
    )},
}

#: Fields a file must fill (directly, derived, or by a default) for each entity; tuples are "one of".
REQUIRED: dict[str, list[tuple[str, ...]]] = {
    "deals": [("title", "external_id")],  # by external id alone: updates of deals already imported
    "companies": [("name", "domain")],
    "contacts": [("name", "email", "first_name", "last_name")],
    "activities": [("subject",)],
    "users": [("name",)],
}

#: Columns of salescli's own exports that the importer recognises and recomputes (local ids, counters).
EXPORT_ONLY: dict[str, tuple[str, ...]] = {
    "deals": ("id", "company_id", "contact_id", "weighted_amount"),
    "companies": ("id", "contacts", "open_deals"),
    "contacts": ("id", "company_id"),
    "activities": ("id", "deal_id", "contact_id", "company_id", "automation_id"),
    "users": ("id", "open_deals"),
}
#: Of those, the ids a row points at: read as hints (see Mapping.export_refs), not as values.
EXPORT_REFS = frozenset({"company_id", "contact_id", "deal_id"})
_EXPORT_ALIASES: dict[str, dict[str, str]] = {
    # the names salescli's exports give reference columns -> the import field they fill
    "deals": {"company_external_id": "company_external_id", "contact_email": "contact"},
    "contacts": {},
    "activities": {"deal_external_id": "deal_external_id"},
    "companies": {},
    "users": {},
}


def _alias_index(specs: dict[str, FieldSpec]) -> dict[str, str]:
    """normalized alias -> field; where two fields share an alias, the one listed first keeps it."""
    index: dict[str, str] = {}
    for spec in specs.values():
        for alias in spec.aliases:
            index.setdefault(loose_key(alias), spec.name)
    return index


_ALIAS_INDEX: dict[str, dict[str, str]] = {entity: _alias_index(specs) for entity, specs in FIELDS.items()}


# -- map specs ------------------------------------------------------------------------------------
@dataclass
class MapSpec:
    """The explicit choices for one import (merged from preset, map file and options)."""

    columns: dict[str, str] = field(default_factory=dict)
    column_origin: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    date_format: str | None = None
    day_first: bool | None = None
    decimal_comma: bool | None = None
    derive: dict[str, str] = field(default_factory=dict)
    derive_origin: dict[str, str] = field(default_factory=dict)
    defaults: dict[str, str] = field(default_factory=dict)
    entry_stage: str | None = None
    entry_stage_origin: str = ""
    sources: list[str] = field(default_factory=list)
    strict_columns: set[str] = field(default_factory=set)  # named by --map: must exist in the file
    # named by a map file for this entity: a file without the column, whose field no other column fills, is
    # refused (a typo there would leave the field unread, unsaid)
    expected_columns: set[str] = field(default_factory=set)

    def merge(self, raw: dict[str, Any], entity: str, origin: str) -> None:
        """Lay a map-file dict over this spec: its top level, then its table for this entity."""
        self._check(raw, origin)
        layers = [raw]
        for key, value in raw.items():
            if key in _ENTITY_ALIASES and _ENTITY_ALIASES[key] == entity:
                if not isinstance(value, dict):
                    raise UsageError(f"{origin}: [{key}] must be a table")
                self._check(value, f"{origin} [{key}]")
                layers.append(value)
        # a map file's columns are for this file when in its table for the entity, or at its top level when it has
        # no tables per entity (a file for one kind of export; with tables, the top level is for every file, where
        # present); a preset's list the headers of every version of its exports
        tables = any(key in _ENTITY_ALIASES for key in raw)
        for_entity = [] if origin.startswith("preset") else layers[1:] if tables else layers
        fields = FIELDS[entity]
        for layer in layers:
            for column, target in (layer.get("columns") or {}).items():
                column = str(column).strip()
                self.set_column(column, check_target(_text(target, origin, f"columns.{column}"), entity,
                                                     f"{origin} columns"), origin)
                if any(layer is chosen for chosen in for_entity):
                    self.expected_columns.add(column)
            for name, table in (layer.get("values") or {}).items():
                if name not in fields:
                    raise UsageError(f"{origin}: values for unknown field \"{name}\" ({', '.join(fields)})")
                if not isinstance(table, dict):
                    raise UsageError(f"{origin}: values.{name} must map text to text")
                current = self.values.setdefault(name, {})
                for source, to in table.items():
                    current[str(source).strip().casefold()] = _text(to, origin, f"values.{name}.{source}")
            for name, template in (layer.get("derive") or {}).items():
                if name not in fields:
                    raise UsageError(f"{origin}: derive for unknown field \"{name}\"")
                self.derive[name] = _text(template, origin, f"derive.{name}")
                self.derive_origin[name] = origin
            for name, value in (layer.get("defaults") or {}).items():
                if name not in fields:
                    raise UsageError(f"{origin}: default for unknown field \"{name}\"")
                self.defaults[name] = _text(value, origin, f"defaults.{name}")
            if "date_format" in layer:
                self.date_format = _date_format(layer["date_format"], origin)
            if "day_first" in layer:
                value = layer["day_first"]
                if value is not None and not isinstance(value, bool):
                    raise UsageError(f"{origin}: day_first must be true, false or absent")
                self.day_first = value
            if "decimal_comma" in layer:
                value = layer["decimal_comma"]
                if value is not None and not isinstance(value, bool):
                    raise UsageError(f"{origin}: decimal_comma must be true, false or absent")
                self.decimal_comma = value
            if "entry_stage" in layer:
                stage = layer["entry_stage"]
                self.entry_stage = _text(stage, origin, "entry_stage").strip() or None if stage is not None else None
                self.entry_stage_origin = origin
        self.sources.append(origin)

    def set_column(self, column: str, target: str, origin: str) -> None:
        """Map a column, replacing an earlier choice for it however that was spelt (headers match loosely, so
        "client" and "Client" are one column: the later choice wins)."""
        key = loose_key(column)
        for earlier in [c for c in self.columns if loose_key(c) == key]:
            del self.columns[earlier]
            self.column_origin.pop(earlier, None)
            self.strict_columns.discard(earlier)
            self.expected_columns.discard(earlier)
        self.columns[column] = target
        self.column_origin[column] = origin

    @staticmethod
    def _check(raw: dict[str, Any], origin: str) -> None:
        for key in raw:
            if key not in MAP_KEYS and key not in _ENTITY_ALIASES:
                raise UsageError(f'{origin}: unknown key "{key}" (known: {", ".join(MAP_KEYS)},'
                                 f" and a table per entity: {', '.join(ENTITIES)})")
        for key in ("columns", "values", "derive", "defaults"):
            if key in raw and not isinstance(raw[key], dict):
                raise UsageError(f"{origin}: {key} must be a table of names")


def _text(value: Any, origin: str, where: str) -> str:
    """A map file's value that must be text (a number is read as its text; JSON's null or true is refused, not
    stored as "None" or "True")."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    shown = json.dumps(value) if value is None or isinstance(value, bool) else type(value).__name__
    raise UsageError(f"{origin}: {where} must be text, not {shown}")


def check_target(target: str, entity: str, origin: str) -> str:
    """A --map / columns target: a field of the entity, 'extra', 'extra.KEY', or '-' to drop."""
    lowered = target.strip().lower()
    if lowered in IGNORE:
        return "-"
    if lowered == "extra" or lowered.startswith("extra."):
        return "extra" + target.strip()[5:]
    name = lowered.replace(" ", "_").replace("-", "_")
    if name in FIELDS[entity]:
        return name
    alias = _ALIAS_INDEX[entity].get(loose_key(target))
    if alias is not None:
        return alias
    raise UsageError(f'{origin}: "{target}" is not a field of {entity}'
                     f" ({', '.join(FIELDS[entity])}, extra, or - to drop the column)")


def _date_format(value: Any, origin: str) -> str | None:
    if value is None or value == "":
        return None
    text = str(value)
    try:  # a directive strptime does not know (%Q) would refuse every row instead
        sample = datetime(2026, 11, 27, 13, 45, 30, 123000, tzinfo=UTC)  # (every directive has a value)
        datetime.strptime(sample.strftime(text), text)
        ok = "%" in text
    except ValueError:
        ok = False
    if not ok:
        raise UsageError(f'{origin}: date_format "{text}" is not a strftime format (example: "%d/%m/%Y")')
    return text


def parse_map_option(text: str, entity: str) -> tuple[str, str]:
    """--map "CSV column=field" -> (column, target)."""
    column, sep, target = text.rpartition("=")
    if not sep or not column.strip() or not target.strip():
        raise UsageError(f'--map "{text}" is not of the form "CSV column=field"')
    return column.strip(), check_target(target, entity, f'--map "{text}"')


def load_map_file(path: str) -> dict[str, Any]:
    """A map file as a dict: TOML, or JSON (by extension, else by its first character)."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise UsageError(f"--map-file {path}: cannot be read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise UsageError(f"--map-file {path}: is not UTF-8 text") from None
    return _parse_map_text(text, path, json_first=path.lower().endswith(".json") or text.lstrip().startswith("{"))


def _parse_map_text(text: str, origin: str, *, json_first: bool) -> dict[str, Any]:
    import tomllib

    if json_first:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise UsageError(f"{origin}: is not valid JSON (line {exc.lineno}: {exc.msg})") from None
    else:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise UsageError(f"{origin}: is not valid TOML ({exc})") from None
    if not isinstance(data, dict):
        raise UsageError(f"{origin}: must be a table (JSON object) at the top level")
    return data


def load_preset(name: str) -> dict[str, Any]:
    """A bundled preset (salescli/presets/NAME.toml)."""
    from importlib import resources

    key = name.strip().lower()
    if key not in PRESETS:
        raise UsageError(f'--preset "{name}" is not one of {", ".join(PRESETS)}')
    text = resources.files("salescli").joinpath("presets", f"{key}.toml").read_text(encoding="utf-8")
    return _parse_map_text(text, f"preset {key}", json_first=False)


def preset_for(header: list[str], entity: str) -> str | None:
    """The bundled preset whose columns for entity are most of this header (a Maven or Salesforce export imported
    without its preset), or None."""
    named = {loose_key(h) for h in header if h.strip()}
    best, best_share = None, 0.0
    for name in PRESETS:
        columns = {loose_key(c) for c in load_preset(name).get(entity, {}).get("columns", {})}
        hits = len(named & columns)
        share = hits / len(columns) if columns and hits >= 4 else 0.0
        if share > best_share:
            best, best_share = name, share
    return best if best_share >= 0.6 else None  # (4 of its columns or more, and 60 % of them: its export)


# -- resolving a header ---------------------------------------------------------------------------
@dataclass
class ColumnUse:
    """What one CSV column feeds: a field, an extra key, or nothing (dropped on purpose)."""

    index: int
    column: str
    target: str  # field name | "extra" | "-"
    extra_key: str | None
    how: str  # alias | preset maven | map file x.toml | --map | salescli export | unmapped

    def describe(self) -> str:
        if self.target == "extra":
            return f"extra.{self.extra_key}"
        if self.target == "-":
            return "(dropped)"
        return self.target


@dataclass
class Mapping:
    entity: str
    header: list[str]
    uses: list[ColumnUse]
    fields: dict[str, int]  # field -> column index
    extra: list[tuple[int, str]]  # (column index, extra key)
    notes: list[str] = field(default_factory=list)
    # what a real import says too (the plan lists them with the notes): columns that look like a field, unread
    warnings: list[str] = field(default_factory=list)
    # salescli's own deals export: its id column, which tells apart two deals of one title and company
    export_id: int | None = None
    # and its columns of the ids a row points at (`_company_id` -> column index): which of two records of one
    # name it means, when this database has that id under that name
    export_refs: dict[str, int] = field(default_factory=dict)

    def column_of(self, name: str) -> str:
        index = self.fields.get(name)
        return self.header[index] if index is not None else name

    def rows(self) -> list[dict[str, str]]:
        return [{"column": u.column, "field": u.describe(), "how": u.how} for u in self.uses]

    def adopt_stored_keys(self, stored: list[str]) -> None:
        """A column kept in extra whose name is a key the records already have but for case or spacing
        (`Product` for `product`, as a spreadsheet re-saving the file may write it) fills that key, not a second
        one beside it; a key stored as the file spells it, or that another column fills, stays as it is."""
        exact = set(stored)
        spelling = stored_spelling(stored)
        taken = {key for _, key in self.extra}
        for n, (index, key) in enumerate(self.extra):
            known = spelling.get(extra_fold(key))
            if key in exact or known is None or known in taken:
                continue
            taken.add(known)
            self.extra[n] = (index, known)
            use = next(u for u in self.uses if u.index == index)
            use.extra_key, use.how = known, f"{use.how}, as stored"


def extra_fold(key: str) -> str:
    """What two spellings of one extra key share: the key without case or runs of spaces."""
    return " ".join(key.casefold().split())


def stored_spelling(keys: list[str]) -> dict[str, str]:
    """Folded key -> the first spelling of it among keys."""
    spelling: dict[str, str] = {}
    for key in keys:
        spelling.setdefault(extra_fold(key), key)
    return spelling


def resolve(header: list[str], entity: str, spec: MapSpec, file_name: str) -> Mapping:
    """Match every header cell to its target; conflicts and missing required fields are refused (exit 4). A
    header that is a bundled preset's, imported without a preset or map file, is said (a note, or the hint of
    the refusal)."""
    suggested = None if spec.sources else preset_for(header, entity)
    try:
        mapping = _resolve(header, entity, spec, file_name)
    except ImportRejected as exc:
        if suggested:
            exc.hint = f"these columns are a {suggested} export's: add --preset {suggested}" + (
                f" (else: {exc.hint})" if exc.hint else "")
        raise
    if suggested:  # said when the preset reads a column the aliases leave aside, or fills a field they do not
        table = load_preset(suggested).get(entity, {})
        known = {loose_key(c) for c in table.get("columns", {})}
        if any(u.how == "unmapped" and loose_key(u.column) in known for u in mapping.uses) or any(
                name not in mapping.fields for name in table.get("derive", {})):
            mapping.warnings.append(f"these columns are a {suggested} export's: --preset {suggested} reads them")
    return mapping


def _resolve(header: list[str], entity: str, spec: MapSpec, file_name: str) -> Mapping:
    fields = FIELDS[entity]
    targets: list[tuple[str, str | None, str] | None] = [None] * len(header)
    by_exact = {h: i for i, h in enumerate(header)}
    by_norm: dict[str, int] = {}
    for i, h in enumerate(header):
        by_norm.setdefault(loose_key(h), i)
    notes: list[str] = []
    absent: list[tuple[str, str]] = []  # (column, field) a map file names for this file, which it lacks

    # 1. explicit columns (preset < map file < --map; the merged dict already holds the last word)
    # the user's own choices first: a preset's mapping of the same field then yields (kept in extra)
    ordered = sorted(spec.columns.items(), key=lambda item: spec.column_origin.get(item[0], "").startswith("preset"))
    for column, target in ordered:
        index = by_exact.get(column)
        if index is None:
            index = by_norm.get(loose_key(column))
        if index is None:
            if column in spec.strict_columns:
                raise ImportRejected(f'{file_name}: --map names column "{column}", which the file does not have',
                                     hint="columns: " + ", ".join(f'"{h}"' for h in header))
            if column in spec.expected_columns and target not in ("-", "extra") and not target.startswith("extra."):
                absent.append((column, target))
            continue
        how = spec.column_origin.get(column, "map")
        if targets[index] is not None:
            continue  # the user mapped this column already
        if target.startswith("extra"):
            key = target[6:] if target.startswith("extra.") else header[index]
            targets[index] = ("extra", key, how)
        elif how.startswith("preset") and any(t is not None and t[0] == target for t in targets):
            # a preset lists the alternative headers of one field; the first one present wins
            targets[index] = ("extra", header[index], f"{how} (alternative, kept)")
        else:
            targets[index] = (target, None, how)

    # 2. salescli's own export: its local ids and counters are recomputed, extra.KEY columns go back to extra
    export_id: int | None = None
    export_refs: dict[str, int] = {}
    looks_exported = "id" in by_exact and ("external_id" in by_exact or entity == "users") and (
        "created_at" in by_exact)
    for i, h in enumerate(header):
        if targets[i] is not None:
            continue
        if h.startswith("extra.") and len(h) > 6:
            targets[i] = ("extra", h[6:], "salescli export")
        elif looks_exported and h in EXPORT_ONLY[entity]:
            if h == "id":
                export_id = i
            if h in EXPORT_REFS:
                export_refs["_" + h] = i
                targets[i] = ("-", None, "salescli export (tells apart records of one name)")
            else:
                targets[i] = ("-", None, "salescli export (recomputed)")
        elif looks_exported and h in _EXPORT_ALIASES[entity]:
            targets[i] = (_EXPORT_ALIASES[entity][h], None, "salescli export")
        elif h == "import_error" and i == len(header) - 1:  # a rejects file, fixed and imported again
            targets[i] = ("-", None, "rejects file (the reason, not data)")

    # 3. aliases for the rest
    taken: dict[str, int] = {}
    for i, t in enumerate(targets):
        if t is not None and t[0] not in ("extra", "-"):
            if t[0] in taken:
                raise ImportRejected(
                    f'{file_name}: columns "{header[taken[t[0]]]}" and "{header[i]}" both map to {t[0]}',
                    hint=f'map one elsewhere: --map "{header[i]}=extra" (or =-)',
                )
            taken[t[0]] = i
    claims: dict[str, list[int]] = {}
    for i, h in enumerate(header):
        if targets[i] is not None:
            continue
        name = _ALIAS_INDEX[entity].get(loose_key(h))
        if name is not None and name not in taken:
            claims.setdefault(name, []).append(i)
    for name, indexes in claims.items():
        mails = [i for i in indexes if "mail" in loose_key(header[i])]
        if name == "contact" and len(indexes) == 2 and len(mails) == 1 and "contact_name" not in taken \
                and "contact_name" not in claims:  # a sheet's "Contact" and "Email": the person's name and e-mail
            named = indexes[0] if indexes[1] == mails[0] else indexes[1]
            targets[named] = ("contact_name", None, "alias (a name beside the e-mail column)")
            targets[mails[0]] = ("contact", None, "alias")
            taken.update(contact=mails[0], contact_name=named)
            continue
        if len(indexes) > 1:
            shown = " and ".join(f'"{header[i]}"' for i in indexes)
            raise ImportRejected(
                f"{file_name}: columns {shown} could each be {name}",
                hint=f'choose one: --map "{header[indexes[0]]}={name}" --map "{header[indexes[1]]}=extra"',
            )
        targets[indexes[0]] = (name, None, "alias")
        taken[name] = indexes[0]
    for column, name in absent:  # (a column a map file names may be missing: one export has it, another not)
        unread = [h for i, h in enumerate(header) if targets[i] is None]
        close = difflib.get_close_matches(column, unread, n=1, cutoff=0.75)
        if name not in taken and name not in spec.derive and close:  # ... but not beside a column spelt like it
            raise ImportRejected(
                f'{file_name}: {spec.column_origin[column]} maps column "{column}" to {name}, which the file does not'
                f' have; its column "{close[0]}" is kept in extra', hint=f'a typo? map "{close[0]}" instead')

    uses: list[ColumnUse] = []
    extra: list[tuple[int, str]] = []
    extra_keys: dict[str, str] = {}  # key -> the column kept under it
    for i, h in enumerate(header):
        target, extra_key, how = targets[i] or ("extra", h, "unmapped")
        if target == "extra":
            assert extra_key is not None
            if extra_key in extra_keys:
                raise ImportRejected(f'{file_name}: columns "{extra_keys[extra_key]}" and "{h}" would both be kept'
                                     f' as extra "{extra_key}"', hint=f'drop one: --map "{h}=-"')
            extra_keys[extra_key] = h
            extra.append((i, extra_key))
        uses.append(ColumnUse(i, h, target, extra_key, how))

    for name, template in list(spec.derive.items()):
        if spec.derive_origin.get(name, "").startswith("preset ") and name not in taken:
            try:  # a preset's derive is for the export that has its columns; another view of it may not
                read = template_columns(template, header, "")
            except ImportRejected:
                del spec.derive[name]
                continue
            uses_of = [targets[i] for _, i in read]  # (a column the user dropped is not read by the preset either)
            if any(t is not None and t[0] == "-" and not t[2].startswith("preset") for t in uses_of):
                del spec.derive[name]
            continue
        if name in taken:
            try:
                template_columns(template, header, "")
            except ImportRejected:
                continue  # (the fallback's columns are not in this file: the column alone fills the field)
            notes.append(f"{name} comes from column \"{header[taken[name]]}\"; derive.{name} fills empty cells")
    warnings = [f'column "{h}" is kept in extra, not read as {name}: --map "{h}={name}" reads it'
                for h, name in _near_misses(header, targets, entity, taken)]
    mapping = Mapping(entity, header, uses, dict(taken), extra, notes, warnings, export_id, export_refs)
    _check_required(mapping, spec, file_name)
    if entity == "users" and extra:
        cols = ", ".join(f'"{header[i]}"' for i, _ in extra)
        raise ImportRejected(
            f"{file_name}: users have no extra fields, so columns {cols} would be lost",
            hint=f'map them (fields: {", ".join(fields)}) or drop them on purpose: --map "{header[extra[0][0]]}=-"',
        )
    return mapping


# "Amount (EUR)", "Close Date [UTC]", "Deal value in USD", "Amount $": a field's alias with a unit around it
_UNIT_RE = re.compile(r"\([^)]*\)|\[[^\]]*\]|\bin\s+[A-Za-z]{3}\b|\b[A-Z]{3}\b|[$€£¥%]")


def _near_misses(header: list[str], targets: list[Any], entity: str, taken: dict[str, int]) -> list[tuple[str, str]]:
    """(column, field) for each unmapped column that is a field's alias once its unit is taken off, for a field
    no column fills: a renamed column (Amount -> Amount (EUR)) would otherwise go to extra unsaid."""
    found: list[tuple[str, str]] = []
    for i, h in enumerate(header):
        if targets[i] is not None:
            continue
        core = _UNIT_RE.sub(" ", h)
        name = _ALIAS_INDEX[entity].get(loose_key(core)) if core.strip() and core != h else None
        if name is not None and name not in taken and name not in (f for _, f in found):
            found.append((h, name))
    return found


def _check_required(mapping: Mapping, spec: MapSpec, file_name: str) -> None:
    for group in REQUIRED[mapping.entity]:
        if any(name in mapping.fields or name in spec.derive or name in spec.defaults for name in group):
            continue
        wanted = " or ".join(group)
        aliases = FIELDS[mapping.entity][group[0]].aliases[:4]
        raise ImportRejected(
            f"{file_name}: no column gives the {wanted} of the {mapping.entity}"
            f" (looked for {', '.join(repr(a) for a in aliases)}…)",
            hint=f'name the column: --map "YOUR COLUMN={group[0]}"; columns: '
            + ", ".join(f'"{h}"' for h in mapping.header[:12]) + ("…" if len(mapping.header) > 12 else ""),
        )


_TEMPLATE_RE = re.compile(r"\{([^{}]+)\}")


def template_columns(template: str, header: list[str], origin: str) -> list[tuple[str, int]]:
    """The columns a derive template names, as (placeholder, column index)."""
    by_exact = {h: i for i, h in enumerate(header)}
    by_norm = {loose_key(h): i for i, h in enumerate(header)}
    out = []
    for name in _TEMPLATE_RE.findall(template):
        index = by_exact.get(name, by_norm.get(loose_key(name)))
        if index is None:
            raise ImportRejected(f'{origin}: derive names column "{name}", which the file does not have')
        out.append((name, index))
    return out


def fill_template(template: str, values: dict[str, str]) -> str:
    """'{product} — {account}' with the row's cells; separators left dangling by empty cells go."""
    text = _TEMPLATE_RE.sub(lambda m: values.get(m.group(1), ""), template)
    text = re.sub(r"\s+", " ", text).strip()
    return text.strip(" -—–:,;/|").strip()


def build_spec(entity: str, *, preset: str | None = None, map_files: list[str] | None = None,
               maps: list[str] | None = None) -> MapSpec:
    """The explicit choices of one import: the preset, then each map file (a later one changes what an earlier
    one chose), then each --map."""
    spec = MapSpec()
    if preset:
        spec.merge(load_preset(preset), entity, f"preset {preset.strip().lower()}")
    for map_file in map_files or []:
        spec.merge(load_map_file(map_file), entity, f"map file {Path(map_file).name}")
    given: dict[str, tuple[str, str]] = {}  # a column as headers are matched (loosely) -> (as typed, field)
    for text in maps or []:
        column, target = parse_map_option(text, entity)
        key = loose_key(column)
        if key in given and given[key][1] != target:  # (a preset's or map file's choice is for --map to change)
            from salescli.errors import UsageError

            raise UsageError(f'--map "{column}={target}": column "{given[key][0]}" is already mapped to'
                             f" {given[key][1]} by another --map; give one")
        given[key] = (column, target)
        spec.set_column(column, target, "--map")
        spec.strict_columns.add(column)
    return spec
