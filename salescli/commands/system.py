"""salescli init | db info|backup|migrate | history | demo"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer

from salescli.commands.options import (
    FormatOpt,
    OutputOpt,
    app_context,
    flush_notices,
    say,
    table_rows,
)

db_app = typer.Typer(help="The database file: info, check, backup, migrate.", no_args_is_help=True)


def init(ctx: typer.Context) -> None:
    """Create the database (any write also does); says where it is.

    \b
    Example: salescli --db team.db init
    """
    app = app_context(ctx)
    existed = app.db_path.is_file() and app.db_path.stat().st_size > 0
    repo = app.repo(create=True, adopt_empty=True)
    flush_notices(app)
    say(f"{'database already exists' if existed else 'created database'}: {repo.path} (schema {repo.schema_version()})")
    mode = repo.path.stat().st_mode & 0o777
    if not existed and mode & 0o007:  # an empty file made beforehand keeps its mode: say when anyone may read it
        say(f"note: {repo.path} is open to every user of this machine (mode {mode:o}); chmod 600 keeps it yours")


@db_app.command("info")
def info(ctx: typer.Context, fmt: FormatOpt = None, output: OutputOpt = None) -> None:
    """Path, size, schema version and record counts.

    \b
    Example: salescli db info -f json
    """
    from salescli.render import pick_format, render_record

    app = app_context(ctx)
    repo = app.repo()
    flush_notices(app)
    record: dict[str, Any] = {
        "path": str(repo.path),
        "size_bytes": repo.path.stat().st_size,
        "schema_version": repo.schema_version(),
        "journal_mode": repo.scalar("PRAGMA journal_mode"),
    }
    record.update(repo.table_counts())
    render_record(record, fmt=pick_format(fmt, output), output=output, title="Database")


@db_app.command("migrate")
def migrate(ctx: typer.Context) -> None:
    """Bring an older database up to this salescli's schema (a backup is written beside it first).

    Opening an older database with any command migrates it too; this command only does that.

    \b
    Example: salescli --db old.db db migrate
    """
    app = app_context(ctx)
    repo = app.repo()
    flush_notices(app)
    if repo.migrated_from is not None:
        say(f"migrated from schema version {repo.migrated_from} to {repo.schema_version()}")
    else:
        say(f"schema version {repo.schema_version()}: up to date")


@db_app.command("backup")
def backup(
    ctx: typer.Context,
    target_text: Annotated[str, typer.Argument(metavar="TARGET", help="File to write (must not exist unless"
                                                                      " --force).")],
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Copy the database with SQLite's online backup (safe while others write); mode 0600.

    The copy is checked (SQLite's quick_check): a damaged database is not copied over a good backup.

    \b
    Example: salescli db backup sales-$(date +%F).db
    """
    from salescli.errors import DatabaseError, RuleError, UsageError
    from salescli.render import check_output_folder, sqlite_companion

    if not target_text:
        raise UsageError("TARGET is empty; give the backup a file name")
    if target_text == "-":  # (elsewhere "-" is a stream: a file named "-" would be a surprise)
        raise UsageError("TARGET - : a backup is a database file, not a stream; give it a file name",
                         hint="compress it after: salescli db backup sales.db && gzip sales.db")
    check_output_folder(target_text, "cannot write")  # ("new/": a folder that does not exist, not a file "new")
    target = Path(target_text)
    repo = app_context(ctx).repo()
    if target.is_dir():
        raise UsageError(f"{target} is a folder; give the backup a file name (e.g. {target / 'sales-backup.db'})")
    if target.is_symlink():  # as cp: a link (even to a file not there yet) is written through
        target = target.resolve()
    if target.exists() and not target.is_file():  # --force never replaces /dev/null, a pipe or a terminal
        raise UsageError(f"{target} is not a regular file (a device or a pipe); a backup is a file",
                         hint="give it a file name, e.g. sales-backup.db")
    if target.exists() and target.samefile(repo.path):
        raise UsageError(f"{target} is the database itself; give the backup another file name")
    owner = sqlite_companion(target)
    if owner is not None:  # (its -wal holds changes not yet in the file: replacing it loses them)
        raise UsageError(f"{target} belongs to the database {owner} (its journal); give the backup another file"
                         " name")
    if target.exists() and not force:
        raise RuleError(f"{target} already exists", hint="pass --force to overwrite it")
    if not target.parent.is_dir():  # a storage fault, like --db in a missing folder: exit 5
        problem = "is not a folder" if target.parent.exists() else "does not exist"
        raise DatabaseError(f"cannot write {target}: folder {target.parent} {problem}")
    repo.backup_to(target, verify=True, replace=force)
    say(f"backed up {repo.path} to {target} ({target.stat().st_size} bytes)")


#: What the change log records, and the table of each kind that has one (its ids are checked).
HISTORY_ENTITIES: dict[str, str | None] = {
    "company": "companies", "contact": "contacts", "deal": "deals", "activity": "activities",
    "task": "activities", "pipeline": "pipelines", "stage": "stages", "target": "targets", "user": "users",
    "automation": "automations", "forecast_snapshot": "forecast_snapshots", "setting": None, "fx": None,
    "import": None,
}


def _history_id(repo: Any, kind: str | None, ref: str) -> int:
    """The id a history reference names: an id, else the record's name as the kind's own commands take it."""
    from salescli.errors import NotFound
    from salescli.services.refs import parse_id

    found = parse_id(ref)
    if found is not None and 0 < found < 2**63:
        return found
    try:
        return _history_id_by_name(repo, kind, ref)
    except NotFound as exc:  # (a removed record is not found by its name: its history is under its id)
        if not ref.strip().lstrip("#").isdigit():
            exc.hint = f"a removed {kind}'s history is under its id: see `salescli history {kind}`"
        raise


def _history_id_by_name(repo: Any, kind: str | None, ref: str) -> int:
    from salescli.errors import UsageError

    if kind == "deal":
        from salescli.services.deals import resolve_deal

        return int(resolve_deal(repo, ref)["id"])
    if kind == "company":
        from salescli.services.refs import resolve_company

        return int(resolve_company(repo, ref)["id"])
    if kind == "contact":
        from salescli.services.refs import resolve_contact

        return int(resolve_contact(repo, ref)["id"])
    if kind == "task":
        from salescli.services.activities import resolve_task_ref

        return resolve_task_ref(repo, ref)
    if kind == "pipeline":
        from salescli.services.pipeline import resolve_pipeline

        return int(resolve_pipeline(repo, ref)["id"])
    if kind == "user":
        from salescli.services.refs import known_user

        row = repo.user_row(known_user(repo, ref))
        if row is not None:
            return int(row["id"])
    what = f"a {kind} id" if kind else "an id (after the kind of record: history deal 12)"
    raise UsageError(f'history: "{ref}" is not {what}')


def history(
    ctx: typer.Context,
    entity: Annotated[
        str | None, typer.Argument(help=f"One of: {', '.join(HISTORY_ENTITIES)}.")
    ] = None,
    entity_ref: Annotated[str | None, typer.Argument(
        metavar="ID", help="The record's id, or a deal's title, a company's or contact's name or e-mail, a"
        " pipeline's or user's name, an open task's subject.")] = None,
    limit: Annotated[int | None, typer.Option(
        "--limit", "-n", min=1, max=1_000_000_000, help="Only the latest N changes (in every format).")] = None,
    show_all: Annotated[bool, typer.Option("--all", help="Every change in a table (default: the latest 100).")] = False,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """The change log: who changed what, when, before and after, oldest first.

    --limit N gives the latest N changes in every format. Without it, a table
    shows the latest 100 (--all every one); json, jsonl, csv and markdown give
    the whole log from the first change.

    \b
    Example: salescli history deal 1
    Example: salescli history deal "Platform pilot" -n 5
    """
    import json

    from salescli.errors import NotFound, UsageError
    from salescli.render import Column, pick_format, render_rows

    chosen = pick_format(fmt, output)
    repo = app_context(ctx).repo()
    kind = entity.lower().rstrip("s") if entity else None
    if kind == "companie":
        kind = "company"
    if kind == "activitie":
        kind = "activity"
    if kind is not None and kind not in HISTORY_ENTITIES:
        raise UsageError(f'history: "{entity}" is not a kind of record (one of: {", ".join(HISTORY_ENTITIES)})')
    entity_id = _history_id(repo, kind, entity_ref) if entity_ref is not None else None
    query = repo.history_query(kind, entity_id)
    table = HISTORY_ENTITIES.get(kind or "")
    if entity_id is not None and table and not repo.count(query) and not repo.row_exists(table, entity_id):
        raise NotFound(f"{kind} {entity_id} not found (and never was: it has no history)")
    _, shown = table_rows(limit, show_all)
    # --limit N is the latest N in every format, oldest first; without it a person reading a table gets
    # the latest 100 and a script the whole log
    latest = limit if limit is not None else (shown if chosen == "table" else None)

    namer = _Namer(repo)

    def rows() -> Any:
        for row in repo.fetch(repo.history_query(kind, entity_id, latest)):
            before = _decoded(json.loads(row["before"])) if row["before"] else None
            after = _decoded(json.loads(row["after"])) if row["after"] else None
            named = namer.fields(row, before, after)
            if chosen != "table":
                shown_before, shown_after = namer.money(row, before, after)
            else:
                shown_before, shown_after = before, after
            yield {**row, "before": shown_before, "after": shown_after,
                   "summary": _summary(row["action"], before, after, named),
                   "what": _summary(row["action"], before, after, named, readable=True)}

    # one record's (or one kind's) history need not say on every row which record (or kind) it is: the room
    # goes to what changed (a batch's history spans records of every kind)
    one_kind = kind is not None and not (kind == "import" and entity_id is not None)
    one_record = one_kind and entity_id is not None
    columns = [
        Column("id", justify="right"),
        Column("changed_at", "when"),
        Column("changed_by", "who"),
        Column("entity", in_table=not one_kind),
        Column("entity_id", "id", justify="right", in_table=not one_record),
        Column("action"),
        Column("batch_id", "batch", in_table=False),
        # a table reads the summary without bookkeeping flags and with timestamps as days (json: as logged)
        Column("summary", "what", wrap=True, show=lambda v, r: str(r["what"])),
        Column("before", in_table=False),
        Column("after", in_table=False),
    ]
    total = repo.count(query) if chosen == "table" and limit is None else None
    render_rows(rows(), columns, fmt=chosen, output=output, table_limit=shown, total=total, empty="no changes")


def _decoded(values: Any) -> Any:
    """Columns stored as JSON text (tags, extra) shown as lists/objects, not as quoted JSON strings."""
    import json

    if not isinstance(values, dict):
        return values
    out = dict(values)
    for key in ("tags", "extra", "required_fields"):
        if isinstance(out.get(key), str):
            try:
                out[key] = json.loads(out[key])
            except ValueError:
                pass
    return out


class _Namer:
    """Names for the ids and minor units a change stores, so the summary reads like the record:
    "stage: Qualification → Won", "amount: 12,000.00 → 11,500.00 EUR" (json keeps before/after raw)."""

    REFS = {"stage_id": ("stage", "stages", "name"), "from_stage_id": ("from stage", "stages", "name"),
            "to_stage_id": ("to stage", "stages", "name"), "pipeline_id": ("pipeline", "pipelines", "name"),
            "company_id": ("company", "companies", "name"), "contact_id": ("contact", "contacts", "name"),
            "deal_id": ("deal", "deals", "title")}

    def __init__(self, repo: Any) -> None:
        self.repo = repo
        self.currencies: dict[tuple[str, int], list[tuple[int, str]]] = {}  # (see _currency_then)
        self.cache: dict[tuple[str, int], str] = {}

    def name(self, table: str, column: str, row_id: Any) -> Any:
        if not isinstance(row_id, int):
            return row_id
        key = (table, row_id)
        if key not in self.cache:
            found = self.repo.record_label(table, column, row_id)
            if not found:
                self.cache[key] = self._gone(table, column, row_id)
            else:  # a stage or pipeline by its name; a company, contact or deal with its id (names repeat)
                self.cache[key] = found if table in ("stages", "pipelines") else f"{found} (#{row_id})"
        return self.cache[key]

    ENTITIES = {"stages": "stage", "pipelines": "pipeline", "companies": "company", "contacts": "contact",
                "deals": "deal"}

    def _gone(self, table: str, column: str, row_id: int) -> str:
        """A record deleted (or merged into another) since: named as its last change left it, so that
        `company: #1 → ∅` reads `company: Acme Robotics (#1, removed) → ∅`."""
        import json

        removal = self.repo.last_removal(self.ENTITIES[table], row_id)
        if removal is None:  # (never logged, or its history erased by `contact forget`)
            return f"#{row_id}"
        before = json.loads(removal["before"]) if removal["before"] else {}
        after = json.loads(removal["after"]) if removal["after"] else {}
        how = "removed"
        if removal["action"] == "merge" and isinstance(after, dict) and after.get("merged_into"):
            how = f"merged into #{after['merged_into']}"
        label = before.get(column) if isinstance(before, dict) else None
        return f"{label} (#{row_id}, {how})" if label else f"#{row_id} ({how})"

    def _currency_then(self, entity: str, entity_id: int, change_id: int) -> str | None:
        """A record's currency when a change was made: that of the last change up to it that names one, its
        creation included (a deal's currency changed since, or a deal removed since); a count target has none.
        A record's currency changes are read once (a query per change walked back through every earlier one:
        4,000 amount changes of a deal took 20 s)."""
        from bisect import bisect_right

        key = (entity, entity_id)
        named = self.currencies.get(key)
        if named is None:
            named = self.currencies[key] = [
                (int(r["id"]), str(r["currency"])) for r in self.repo.all(
                    "SELECT id, json_extract(after, '$.currency') AS currency FROM changes WHERE entity = ? AND"
                    " entity_id = ? AND json_extract(after, '$.currency') IS NOT NULL ORDER BY id", key)]
        at = bisect_right(named, (change_id, "\uffff"))
        return named[at - 1][1] if at else None

    def fields(self, row: dict[str, Any], before: Any, after: Any) -> dict[str, tuple[str, Any, Any]]:
        """key -> (label, before, after) shown for the keys that are ids or minor units."""
        if not (isinstance(before, dict) and isinstance(after, dict)):
            return {}
        out: dict[str, tuple[str, Any, Any]] = {}
        for key in after:
            if key in self.REFS:
                label, table, column = self.REFS[key]
                if label in after:  # the change names it already ("stage": "Won" beside "stage_id": 6)
                    out[key] = ("", None, None)
                    continue
                out[key] = (label, self.name(table, column, before.get(key)), self.name(table, column, after[key]))
            elif key == "value" and row["entity"] == "target":  # a won amount target: minor units of its currency
                from salescli.values import format_money

                was, now = self._target_currencies(row, before, after)
                if now:
                    old = None if before.get(key) is None else format_money(int(before[key]), was or now)
                    out[key] = ("value", old, format_money(int(after[key]), now))
            elif key == "amount_minor":
                from salescli.values import format_money, minor_to_decimal

                # each side in its own currency: `deal won --amount €8k` on a GBP deal is 7,500.00 GBP → 8,000.00 EUR
                old_currency, new_currency = self._amount_currencies(row, before, after)
                amounts = [None if v is None else format_money(int(v), cur) if cur
                           else str(minor_to_decimal(int(v), ""))
                           for v, cur in ((before.get(key), old_currency), (after[key], new_currency))]
                out[key] = ("amount", amounts[0], amounts[1])
        return out

    def _target_currencies(self, row: dict[str, Any], before: dict[str, Any], after: dict[str, Any]
                           ) -> tuple[str | None, str | None]:
        """A won amount target's currency before and after a change (None for a count target)."""
        now = after.get("currency") or before.get("currency") or self._currency_then("target", row["entity_id"],
                                                                                     row["id"])
        return (before.get("currency") or now), now

    def _amount_currencies(self, row: dict[str, Any], before: dict[str, Any], after: dict[str, Any]
                           ) -> tuple[str | None, str | None]:
        """The currencies of a change's amount_minor before and after (a deal's own when the change names none)."""
        now = after.get("currency") or before.get("currency")
        if now is None and row["entity"] == "deal":  # (as it stood then; else as it is: a log from before
            now = self._currency_then("deal", row["entity_id"], row["id"]) or self.repo.scalar(  # currencies)
                "SELECT currency FROM deals WHERE id = ?", (row["entity_id"],))
        return (before.get("currency") or now), now

    def money(self, row: dict[str, Any], before: Any, after: Any) -> tuple[Any, Any]:
        """before/after for json, jsonl and csv: as logged, with money as a decimal beside its currency code, as
        in every other JSON salescli writes: "amount": 48000.00 beside "amount_minor": 4800000 (and the currency
        when the change names none), a won amount target's value in its currency (40000.00, not 4000000)."""
        sides = [dict(side) if isinstance(side, dict) else side for side in (before, after)]
        if not any(isinstance(side, dict) and ("amount_minor" in side or (row["entity"] == "target" and
                                                                          side.get("value") is not None))
                   for side in sides):
            return before, after
        from salescli.values import minor_to_decimal

        empty: dict[str, Any] = {}
        b, a = (side if isinstance(side, dict) else empty for side in sides)
        if row["entity"] == "target":
            currencies = self._target_currencies(row, b, a)
            for side, currency in zip(sides, currencies, strict=True):
                if isinstance(side, dict) and isinstance(side.get("value"), int) and currency:
                    side["value"] = minor_to_decimal(side["value"], currency)
                    side.setdefault("currency", currency)
            return sides[0], sides[1]
        currencies = self._amount_currencies(row, b, a)
        for side, currency in zip(sides, currencies, strict=True):
            if isinstance(side, dict) and "amount_minor" in side:
                minor = side["amount_minor"]
                amount = None if not isinstance(minor, int) else minor_to_decimal(minor, currency or "")
                shown: dict[str, Any] = {}
                for key, value in side.items():  # "amount" first, beside amount_minor
                    if key == "amount_minor":
                        shown["amount"] = amount
                        if currency and "currency" not in side:
                            shown["currency"] = currency
                    shown[key] = value
                side.clear()
                side.update(shown)
        return sides[0], sides[1]


def _as_object(value: Any) -> dict[str, Any] | None:
    """A record's extra as logged (an object, its JSON text, or none) as a dict; None when it is something else."""
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        import json

        try:
            value = json.loads(value)
        except ValueError:
            return None
    return value if isinstance(value, dict) else None


def _summary(action: str, before: Any, after: Any, named: dict[str, tuple[str, Any, Any]] | None = None, *,
             readable: bool = False) -> str:
    """What a change did, in a line. readable (a table's): without the flags that only say a value was set by
    hand (probability_set: 0 → 1) unless nothing else changed, stored timestamps as a day (or a day and a
    time), and field names in words (stage entered at)."""
    def short(value: Any) -> str:
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        if readable and isinstance(value, str):
            from salescli.render import text_value

            value = text_value(value)  # 2026-03-02T00:00:00 -> 2026-03-02; 2026-03-02T14:05:09 -> 2026-03-02 14:05
        text = "∅" if value is None or value == "" else " ".join(str(value).split())  # notes: one line
        return text if len(text) <= 40 else text[:39] + "…"

    def record_name(values: dict[str, Any]) -> str:
        """What names the record: its name, title or subject (an automation: its task; a target: whose)."""
        for key in ("name", "title", "subject", "task_subject", "period_label"):
            if values.get(key):
                return short(values[key])
        return ""

    if action == "create" and isinstance(after, dict):
        return f"created {record_name(after)}".rstrip()
    if action == "delete" and isinstance(before, dict):
        return f"deleted {record_name(before)}".rstrip()
    if action.startswith(("set ", "rm ")) and isinstance(after or before, dict) and "as_of" in (after or before):
        side = after if isinstance(after, dict) else before  # an exchange rate: which day's, from what to what
        was = f"{before['rate']} → " if isinstance(before, dict) and isinstance(after, dict) else ""
        return (f"{'removed ' if after is None else ''}{side['currency']} {was}{side['rate']} from {side['as_of']}")
    if action == "merge" and isinstance(after, dict) and "merged_into" in after:
        return f"merged {record_name(before) if isinstance(before, dict) else ''} into #{after['merged_into']}"
    if isinstance(before, dict) and isinstance(after, dict):
        named = named or {}
        parts = [f"merged {short(after['merged'])}"] if action == "merge" and after.get("merged") else []
        flags: list[str] = []
        for k, v in after.items():
            if (action == "merge" and k == "merged") or k == "updated_at":  # (an import logs it for its undo)
                continue
            if k in before and before[k] == v and k not in named:  # what names the change (an fx rate's day)
                continue
            label, old, new = named.get(k, (k, before.get(k), v))
            if not label:
                continue
            if readable and k.endswith("_set"):  # said in words only when nothing else changed
                field = k.removesuffix("_set").replace("_", " ")
                flags.append(f"{field} set by hand" if new else f"{field} no longer set by hand")
                continue
            if k == "extra" and label == "extra":  # the keys that changed, each (not two cut-off objects)
                was_extra, now_extra = _as_object(old), _as_object(new)
                if was_extra is not None and now_extra is not None:
                    keys = [*now_extra, *(key for key in was_extra if key not in now_extra)]
                    parts += [f"extra.{key}: {short(was_extra.get(key))} → {short(now_extra.get(key))}"
                              for key in keys if was_extra.get(key) != now_extra.get(key)]
                    continue
            parts.append(f"{label.replace('_', ' ') if readable else label}: {short(old)} → {short(new)}")
        return "; ".join(parts or flags)
    return action


def demo(
    ctx: typer.Context,
    db: Annotated[
        Path | None,
        typer.Option("--db",
                     help="Where to build it (default: --db given before the command, else ./salescli-demo.db)."),
    ] = None,
) -> None:
    """Build a demo database from the bundled sample data and print what salescli shows.

    Rebuilds the file each time (only a demo database is ever replaced).

    \b
    Example: salescli demo && salescli --db salescli-demo.db deal list
    """
    from salescli.services.demo import build_demo

    app = app_context(ctx)
    root = ctx.find_root()
    given = root.params.get("db")
    target = db or (Path(given) if given else Path("salescli-demo.db"))
    if db is None and not given and os.environ.get("SALESCLI_DB"):
        say(f"note: the demo leaves $SALESCLI_DB ({os.environ['SALESCLI_DB']}) alone and builds {target};"
            " pass --db PATH to build it elsewhere")
    build_demo(target, app.today, app.user)
    app.db_path = target
    app.default_location = False
    say(f"demo database: {target}  (explore it: salescli --db {target} company list)")
    from salescli.services.demo import print_demo

    print_demo(app)


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("history")(history)
    app.command("demo")(demo)
