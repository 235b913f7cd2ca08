"""salescli import companies|contacts|deals|activities|users|undo|batches | export … | sql | db check"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from salescli.commands.options import (
    AllOpt,
    FormatOpt,
    OutputOpt,
    YesOpt,
    app_context,
    confirm,
    flush_notices,
    say,
    warn,
)

if TYPE_CHECKING:
    from salescli.context import AppContext
    from salescli.importers.apply import ImportReport
    from salescli.repository import Repository

import_app = typer.Typer(
    help="Import CSV files (from spreadsheets, HubSpot, Pipedrive, Salesforce…): mapping, presets, dedupe, dry run,"
    " undo.",
    no_args_is_help=True,
)
export_app = typer.Typer(help="Export every record with every field, to CSV, JSON or JSON lines.", no_args_is_help=True)

FileArg = Annotated[str, typer.Argument(
    help="CSV file to read ('-' reads standard input); salescli's own JSON or JSON-lines exports are read too.")]
MapOpt = Annotated[list[str] | None, typer.Option(
    "--map", help='"CSV column=field" (repeat); field may be extra or - (drop the column).')]
MapFileOpt = Annotated[list[str] | None, typer.Option(
    "--map-file", help="TOML or JSON file of column maps, value maps, date format, day-first (repeat: later"
    " files win).")]
PresetOpt = Annotated[str | None, typer.Option("--preset", help="hubspot, pipedrive, salesforce or maven.")]
DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="Show the plan (counts, errors, mapping); write nothing.")]
OnErrorOpt = Annotated[str, typer.Option(
    "--on-error", show_default=False,
    help="abort (default: any bad row refuses the file) or skip (import the good rows).")]
RejectsOpt = Annotated[str | None, typer.Option(
    "--rejects", help="With --on-error skip: write each bad row and its reason to this CSV file.")]
OnDuplicateOpt = Annotated[str, typer.Option(
    "--on-duplicate", show_default=False, help="update (default: changed fields only), skip, or error.")]
ById = Annotated[bool, typer.Option(
    "--by-id", help="Rows of salescli's own export update the records their id names (titles and names too:"
                    " edit an export, import it back); a row without an id is new.")]
ByIdHidden = Annotated[bool, typer.Option("--by-id", hidden=True)]  # (users are matched by name)
NoCreateOpt = Annotated[bool, typer.Option(
    "--no-create", help="Refuse rows naming a company or contact that does not exist (default: create it).")]
# companies and users name no company or contact: the option is accepted (scripts pass it to every
# import) but not listed in their help
NoCreateHiddenOpt = Annotated[bool, typer.Option("--no-create", hidden=True)]
EncodingOpt = Annotated[str | None, typer.Option(
    "--encoding", help="The file's encoding when it is not UTF-8 (e.g. cp1252, latin-1, utf-16).")]
DelimiterOpt = Annotated[str | None, typer.Option(
    "--delimiter", help="Field delimiter (default: detected among , ; tab |).")]
DayFirstOpt = Annotated[bool | None, typer.Option(
    "--day-first/--month-first", help="How to read 03/04/2026 (default: the day_first setting, else refused).")]
ImportFormatOpt = Annotated[str | None, typer.Option(
    "--format", "-f", help="table (default) or json: the summary (or dry-run plan) as JSON on stdout.")]
UndoFormatOpt = Annotated[str | None, typer.Option(
    "--format", "-f", help="table (default) or json: the summary as JSON on stdout.")]
ProgressOpt = Annotated[bool | None, typer.Option(
    "--progress/--no-progress", help="Progress bar on stderr (default: for big files on a terminal).")]

#: An owner that reads as a CRM's record id, not a person: Salesforce's 15 or 18 letters and digits (005Ec000004o8yH),
#: or a number (HubSpot's owner ids).
_RECORD_ID_RE = re.compile(r"(?=[0-9A-Za-z]*[0-9])(?=[0-9A-Za-z]*[A-Za-z])[0-9A-Za-z]{15}(?:[0-9A-Za-z]{3})?|[0-9]{5,}")
ON_ERROR = ("abort", "skip")
SINGULAR = {"companies": "company", "contacts": "contact", "deals": "deal", "activities": "activity", "users": "user",
            "stages": "stage", "pipelines": "pipeline"}
ON_DUPLICATE = ("update", "skip", "error")
_PLURAL = {"company": "companies", "activity": "activities"}


def _plural(entity: str, n: int) -> str:
    return entity if n == 1 else _PLURAL.get(entity, entity + "s")


def _and(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
PROGRESS_BYTES = 1_500_000  # about 10,000 rows of a typical export


def _choice(value: str, allowed: tuple[str, ...], option: str) -> str:
    from salescli.errors import InvalidValue

    key = value.strip().lower()
    if key not in allowed:
        raise InvalidValue(option, value, f"is not one of {', '.join(allowed)}")
    return key


def _same_file(a: str, b: str) -> bool:
    import os

    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet)
        return False


def _import(
    ctx: typer.Context,
    entity: str,
    file: str,
    *,
    maps: list[str] | None,
    map_file: list[str] | None,
    preset: str | None,
    dry_run: bool,
    on_error: str,
    rejects: str | None,
    on_duplicate: str,
    no_create: bool,
    encoding: str | None,
    delimiter: str | None,
    day_first: bool | None,
    fmt: str | None,
    progress: bool | None,
    create_stages: bool = False,
    pipeline: str | None = None,
    decimal_comma: bool | None = None,
    by_id: bool = False,
) -> None:
    from salescli.errors import UsageError
    from salescli.importers.apply import run_import
    from salescli.importers.mapping import build_spec
    from salescli.importers.plan import ImportOptions
    from salescli.importers.reading import parse_delimiter

    app = app_context(ctx)
    chosen = _choice(fmt or "table", ("table", "json"), "--format")
    on_error = _choice(on_error, ON_ERROR, "--on-error")
    if rejects and on_error != "skip":
        raise UsageError("--rejects needs --on-error skip (with abort, a bad row imports nothing)")
    if by_id and entity == "users":
        raise UsageError("--by-id: users are matched by name (user edit renames one)")
    if rejects is not None and rejects.strip() in ("", "-"):  # a file literally named "-" helps no one
        raise UsageError(f'--rejects "{rejects}": give the rejects a file name (e.g. --rejects rejects.csv)')
    if rejects and rejects.lower().endswith((".json", ".jsonl")):
        raise UsageError(f"--rejects {rejects}: the rejects file is CSV (each bad row and its reason); name it .csv")
    if rejects and file != "-" and _same_file(rejects, file):
        raise UsageError(f"--rejects {rejects} is the file being imported; refusing to overwrite it;"
                         " nothing was imported", hint="name another file, e.g. --rejects rejects.csv")
    options = ImportOptions(
        entity=entity,
        today=app.today,
        spec=build_spec(entity, preset=preset, map_files=map_file, maps=maps),
        day_first=day_first,
        decimal_comma=decimal_comma,
        on_duplicate=_choice(on_duplicate, ON_DUPLICATE, "--on-duplicate"),
        on_error=on_error,
        rejects=rejects,
        dry_run=dry_run,
        create_missing=not no_create,
        create_stages=create_stages,
        pipeline=pipeline,
        encoding=encoding,
        delimiter=parse_delimiter(delimiter) if delimiter is not None else None,
        by_id=by_id,
    )
    if options.day_first is None and options.spec.day_first is None:
        options.day_first = app.day_first()
    with repo_for(app, dry_run) as repo:
        with _progress_bar(file, progress) as tick:
            report = run_import(repo, file, options, progress=tick)
        flush_notices(app)
        _report(report, chosen)
    if report.refused:
        raise report.refusal()
    if report.all_rejected:
        raise report.all_rejected_error()


class _TempRepo:
    """A dry run against a database that does not exist yet: plan against a fresh one, then delete it."""

    def __init__(self, app: AppContext, dry_run: bool) -> None:
        self.app = app
        self.dry_run = dry_run
        self.tmp: Any = None
        self.repo: Repository | None = None

    def __enter__(self) -> Repository:
        if self.dry_run and not self.app.db_path.exists():
            import tempfile

            from salescli.repository import Repository

            self.tmp = tempfile.TemporaryDirectory(prefix="salescli-dry-run-")
            self.repo = Repository.open(Path(self.tmp.name) / "plan.db", create=True, user=self.app.user,
                                        now=self.app.now)
            return self.repo
        return self.app.repo(create=True)

    def __exit__(self, *exc: object) -> None:
        if self.repo is not None:
            self.repo.close()
        if self.tmp is not None:
            self.tmp.cleanup()


def repo_for(app: AppContext, dry_run: bool) -> _TempRepo:
    return _TempRepo(app, dry_run)


class _progress_bar:  # a context manager, named like the function it stands for
    """A rich progress bar on stderr for big files on a terminal; otherwise nothing."""

    def __init__(self, file: str, wanted: bool | None) -> None:
        self.file = file
        self.wanted = wanted
        self.bar: Any = None
        self.task: Any = None
        self.task_name = ""

    def __enter__(self) -> Callable[[int, int, int | None], None] | None:
        from salescli import render

        if self.wanted is False or (self.wanted is None and (render.QUIET or not sys.stderr.isatty())):
            return None
        size = None
        if self.file != "-":
            try:
                size = Path(self.file).stat().st_size
            except OSError:
                return None
        if self.wanted is None and size is not None and size < PROGRESS_BYTES:
            return None
        return self.tick

    def tick(self, rows: int, done: int, total: int | None) -> None:
        if self.bar is None:
            if total is None and rows < 10_000 and self.wanted is None:
                return
            from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

            from salescli.render import stderr_console

            self.bar = Progress(TextColumn("importing {task.description}"), BarColumn(),
                                TextColumn("{task.fields[rows]:,} rows"), TimeRemainingColumn(),
                                console=stderr_console(), transient=True)
            self.bar.start()
            self.task_name = Path(self.file).name if self.file != "-" else "stdin"
            self.task = self.bar.add_task(self.task_name, total=total, rows=0)
        if done < 0:  # apply.FINISHING: a bar full for the last third of a big import reads as hung: say what runs
            from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            from salescli.render import stderr_console

            self.bar.stop()
            self.bar = Progress(SpinnerColumn(), TextColumn(f"{self.task_name}: {rows:,} rows read; writing the"
                                                            " indexes and saving"), TimeElapsedColumn(),
                                console=stderr_console(), transient=True)
            self.bar.start()
            self.task = self.bar.add_task("", total=None)
            return
        self.bar.update(self.task, completed=done, rows=rows)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


def _report(report: ImportReport, fmt: str) -> None:
    """The summary on stderr; the plan (dry run) or the summary as JSON on stdout (none for a refused import)."""
    from salescli.importers.reading import describe_delimiter
    from salescli.render import json_value

    csv_file = report.csv_file
    failed = report.refused or report.all_rejected
    if csv_file is not None and not failed and csv_file.form != "csv":
        say(f"reading {report.file}: {'JSON lines' if csv_file.form == 'jsonl' else 'JSON'}, {csv_file.encoding}"
            + (f" ({csv_file.numbering_note()})" if csv_file.numbered_by_record and (
                report.tally.errors or report.tally.note_lines()) else ""))
    elif csv_file is not None and not failed:  # a refusal is one Error line (and its hint)
        how = "detected" if csv_file.delimiter_sniffed else "given"
        say(f"reading {report.file}: delimiter {describe_delimiter(csv_file.delimiter)} {how},"
            f" {csv_file.encoding}{' with BOM' if csv_file.bom else ''}")
    if fmt == "json":
        # A refused import is a failing command: nothing on stdout. A dry run is a check whose output is
        # the plan, printed even when the plan has errors (and the exit code says so).
        if report.dry_run or not failed:
            typer.echo(json_value(report.summary()))
    elif report.dry_run:
        typer.echo(_plan_text(report), nl=False)
    tally = report.tally
    if failed:
        return
    if not report.dry_run and report.mapping is not None:  # (the plan lists them under "Also")
        for warning in report.mapping.warnings:
            say(f"note: {warning}")
    for note in tally.note_lines():
        say(f"note: {note}")
    for pipeline in tally.pipelines_created:
        say(f"{'would create' if report.dry_run else 'created'} pipeline {pipeline}")
    for stage in tally.stages_created:
        say(f"{'would create' if report.dry_run else 'created'} stage {stage}")
    if tally.stage_guesses:
        say("note: a new open stage takes the lowest probability of its pipeline's open stages and goes after the"
            " stages of that probability; set both with salescli pipeline stage-edit PIPELINE STAGE -p N --after STAGE")
    loud = warn if tally.rejected and not report.dry_run else say  # (-q: a cron job hears of rejected rows)
    loud(report.sentence())
    related = report.related_sentence()
    if related:
        say(related)
    if tally.new_users:  # owners first met in the file (a typo would become a user unseen)
        names = ", ".join(tally.new_users[:10]) + (f" and {len(tally.new_users) - 10} more"
                                                   if len(tally.new_users) > 10 else "")
        say(f"{'would add' if report.dry_run else 'added'} user{'s' if len(tally.new_users) != 1 else ''}"
            f" (first mention): {names}")
        ids = [u for u in tally.new_users if _RECORD_ID_RE.fullmatch(u)]
        if ids:  # a Salesforce OwnerId (005…) or the like: a user named by a number nobody knows them by
            which = (f"owner {ids[0]} looks like a record id, not a person" if len(ids) == 1
                     else f"{len(ids)} owners look like record ids, not people")
            say(f"note: {which}: a --map-file value map names them"
                f' (values: {{"owner": {{"{ids[0]}": "ana"}}}})')
    if tally.rejected and report.rejects:
        encoding = report.csv_file.encoding if report.csv_file is not None else "utf-8"
        loud(f"rejected rows and their reasons: {report.rejects}"
             + (f" ({encoding}, as the file read)" if encoding != "utf-8" else ""))
    elif tally.rejected and not report.dry_run:
        for line in report.error_lines()[:5]:
            loud(f"  rejected {line}")


def _plan_text(report: ImportReport) -> str:
    tally = report.tally
    lines = [f"Plan for {report.file} (dry run: nothing was written)", ""]
    counts = [("create", tally.created), ("update", tally.updated), ("unchanged", tally.unchanged),
              ("skip", tally.skipped), ("error", tally.rejected)]
    lines.append("  " + "   ".join(f"{name}: {n}" for name, n in counts) + f"   (rows: {tally.rows})")
    related = report.related_sentence()
    if related:
        lines.append(f"  {related}")
    if report.mapping is not None:
        lines += ["", "Mapping:"]
        rows = report.mapping.rows()
        from salescli.render import cells_of, pad_cells

        width = max((cells_of(r["column"]) for r in rows), default=6)  # (a header in 日本語: two columns a letter)
        field_width = max((len(r["field"]) for r in rows), default=5)
        lines.append(f"  {'column'.ljust(width)}  {'field'.ljust(field_width)}  how")
        for r in rows:
            lines.append(f"  {pad_cells(r['column'], width)}  {r['field'].ljust(field_width)}  {r['how']}")
    if report.notes:
        lines += ["", "Also:"] + [f"  {note}" for note in report.notes]
    if tally.errors:
        shown = len(tally.errors)
        lines += ["", f"Errors (first {shown} of {tally.rejected}):" if tally.rejected > shown else "Errors:"]
        lines += [f"  {text}" for text in report.error_lines()]
    return "\n".join(lines) + "\n"


def _entity_command(entity: str, example: str, extra_help: str = "", relations: bool = True) -> Callable[..., None]:
    def command(
        ctx: typer.Context,
        file: FileArg,
        maps: MapOpt = None,
        map_file: MapFileOpt = None,
        preset: PresetOpt = None,
        dry_run: DryRunOpt = False,
        on_error: OnErrorOpt = "abort",
        rejects: RejectsOpt = None,
        on_duplicate: OnDuplicateOpt = "update",
        no_create: NoCreateOpt = False,
        encoding: EncodingOpt = None,
        delimiter: DelimiterOpt = None,
        day_first: DayFirstOpt = None,
        fmt: ImportFormatOpt = None,
        progress: ProgressOpt = None,
        by_id: ById = False,
    ) -> None:
        _import(ctx, entity, file, maps=maps, map_file=map_file, preset=preset, dry_run=dry_run, on_error=on_error,
                rejects=rejects, on_duplicate=on_duplicate, no_create=no_create, encoding=encoding,
                delimiter=delimiter, day_first=day_first, fmt=fmt, progress=progress, by_id=by_id)

    if not relations:
        command.__annotations__["no_create"] = "NoCreateHiddenOpt"  # resolved in this module's namespace
    if entity == "users":
        command.__annotations__["by_id"] = "ByIdHidden"
    command.__doc__ = f"""Import {entity} from a CSV file: one transaction, all or nothing.{extra_help}

    \b
    Example: {example}
    """
    return command


import_app.command("companies")(_entity_command(
    "companies", "salescli import companies accounts.csv --preset maven",
    " Duplicates: external id, else domain, else name.", relations=False))
import_app.command("contacts")(_entity_command(
    "contacts", 'salescli import contacts people.csv --map "E-mail=email" --dry-run',
    " Duplicates: external id, else e-mail (else name at the same company)."))


@import_app.command("deals")
def import_deals(
    ctx: typer.Context,
    file: FileArg,
    maps: MapOpt = None,
    map_file: MapFileOpt = None,
    preset: PresetOpt = None,
    dry_run: DryRunOpt = False,
    on_error: OnErrorOpt = "abort",
    rejects: RejectsOpt = None,
    on_duplicate: OnDuplicateOpt = "update",
    no_create: NoCreateOpt = False,
    create_stages: Annotated[bool, typer.Option(
        "--create-stages", help="Add stages (and pipelines) the database does not have (default: unknown ones are"
                                " errors).")] = False,
    pipeline: Annotated[str | None, typer.Option(
        "--pipeline", help="Pipeline of rows without one (default: the default pipeline).")] = None,
    encoding: EncodingOpt = None,
    delimiter: DelimiterOpt = None,
    day_first: DayFirstOpt = None,
    decimal_comma: Annotated[bool | None, typer.Option(
        "--decimal-comma/--decimal-point",
        help="Amounts written 1.234,56 (European spreadsheets) or 1,234.56 (default: the map file's, else point)."),
    ] = None,
    fmt: ImportFormatOpt = None,
    progress: ProgressOpt = None,
    by_id: ById = False,
) -> None:
    """Import deals from a CSV file: one transaction, all or nothing.

    Duplicates: external id, else title + company. Companies and contacts named by a row are found by
    name, domain or e-mail, and created when missing (--no-create refuses instead).

    \b
    Example: salescli import deals sales_pipeline.csv --preset maven --dry-run
    """
    _import(ctx, "deals", file, maps=maps, map_file=map_file, preset=preset, dry_run=dry_run, on_error=on_error,
            rejects=rejects, on_duplicate=on_duplicate, no_create=no_create, encoding=encoding, delimiter=delimiter,
            day_first=day_first, fmt=fmt, progress=progress, create_stages=create_stages, pipeline=pipeline,
            decimal_comma=decimal_comma, by_id=by_id)


import_app.command("activities")(_entity_command(
    "activities", "salescli import activities Task.csv --preset salesforce",
    " Links: deal by external id or title (+ company), contact by e-mail, company by name or domain."))
import_app.command("users")(_entity_command(
    "users", "salescli import users sales_teams.csv --preset maven",
    " Name, e-mail, team (or manager), territory (or regional office).", relations=False))


@import_app.command("undo")
def undo(
    ctx: typer.Context,
    batch: Annotated[int, typer.Argument(help="The batch number an import printed (see `import batches`).")],
    force: Annotated[bool, typer.Option("--force", help="Undo even if records were changed since.")] = False,
    fmt: UndoFormatOpt = None,
    yes: YesOpt = False,
) -> None:
    """Revert an import: delete what it created, restore what it updated (one transaction). Asks first;
    --yes in scripts.

    \b
    Example: salescli import undo 3 --yes
    """
    from salescli.importers.undo import check_undoable, undo_import
    from salescli.render import json_value

    chosen = _choice(fmt or "table", ("table", "json"), "--format")
    repo = app_context(ctx).repo()
    found = repo.import_batch_counts(batch)
    if found is not None and not found["undone_at"]:  # (an unknown or undone batch: undo_import says so)
        if not force:
            check_undoable(repo, batch)  # refused before the question, not after it is answered
        n, m = found["creates"], found["updates"]
        linked = repo.later_references(batch, 0)[1] if force and n else 0  # (without --force: refused, said)
        made = [f"{r['n']:,} {_plural(r['entity'], r['n'])}" for r in repo.batch_created(batch)]
        work = [f"delete the {_and(made)} it created" if n else "",
                f"restore the {m:,} record{'s' if m != 1 else ''} it updated" if m else "",
                f"unlink the {linked:,} record{'s' if linked != 1 else ''} linked to them since" if linked else ""]
        confirm(f"Undo import batch {batch} ({found['entity']} from {found['source']}):"
                f" {' and '.join(w for w in work if w) or 'nothing left to revert'}?", yes)
    result = undo_import(repo, batch, force=force)
    deleted = ", ".join(f"{n} {table if n != 1 else SINGULAR.get(table, table)}"
                        for table, n in result["deleted"].items()) or "nothing"
    say(f"undid import batch {batch} ({result['entity']} from {result['source']}): deleted {deleted};"
        f" restored {result['reverted_updates']} updated record{'s' if result['reverted_updates'] != 1 else ''}")
    if result["unlinked_activities"]:
        n = result["unlinked_activities"]
        say(f"unlinked {n} activit{'ies' if n != 1 else 'y'} logged since on what it created"
            f" ({'they stay' if n != 1 else 'it stays'}, without that link)")
    if result["unlinked_records"]:
        listed = ", ".join(f"{n} {table if n != 1 else SINGULAR.get(table, table)}"
                           for table, n in result["unlinked_records"].items())
        say(f"unlinked {listed} linked since to what it created (they stay, without that link; the history says so)")
    if result["kept_stage"]:
        ids = result["kept_stage"]
        say(f"kept the stage of deal{'s' if len(ids) != 1 else ''} {', '.join(map(str, ids[:10]))}"
            f"{' …' if len(ids) > 10 else ''}: moved again since the import (their later moves start from it)")
    for kept in result["kept_merged"]:
        say(f"kept {kept}: delete it yourself if it should go")
    if result["kept_users"]:
        n = result["kept_users"]
        say(f"kept {n} user{'s' if n != 1 else ''} it added: {'they are' if n != 1 else 'one is'} named since, as"
            " an owner or in the history")
    for name in result["kept_pipelines"]:
        say(f"kept pipeline {name} and its stages: in use since the import (deals, the default, or a forecast"
            " snapshot)")
    if chosen == "json":
        typer.echo(json_value(result))


@import_app.command("batches")
def batches(ctx: typer.Context, fmt: FormatOpt = None, output: OutputOpt = None) -> None:
    """List import batches: what each imported, when, by whom, and whether it was undone.

    \b
    Example: salescli import batches -f json
    """
    from salescli.render import Column, pick_format, render_rows

    repo = app_context(ctx).repo()
    columns = [Column("id", justify="right"), Column("entity"), Column("source"), Column("created_at", "when"),
               Column("created_by", "who"), Column("creates", justify="right"), Column("updates", justify="right"),
               Column("undone_at", "undone")]
    render_rows(repo.import_batches(), columns, fmt=pick_format(fmt, output), output=output, empty="no imports yet")


EXPORT_FORMATS = ("csv", "json", "jsonl")
EXPORT_EXTENSIONS = {".csv": "csv", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl"}


def _export_format(fmt: str | None, output: str | None) -> str:
    """-f wins; else -o's extension, one of those export writes; no extension, or stdout: CSV."""
    from salescli.errors import UsageError
    from salescli.render import pick_format

    if fmt:
        return pick_format(fmt, output, allowed=EXPORT_FORMATS)
    suffix = Path(output).suffix.lower() if output and output != "-" else ""
    if suffix and suffix not in EXPORT_EXTENSIONS:
        raise UsageError(f'-o/--output "{output}": export cannot write "{suffix}" files',
                         hint="use .csv, .json or .jsonl, or pass -f csv|json|jsonl")
    return EXPORT_EXTENSIONS.get(suffix, "csv")


def _export(ctx: typer.Context, entity: str, fmt: str | None, output: str | None) -> None:
    from salescli.importers.export import export_columns, export_records
    from salescli.render import Column, render_rows

    chosen = _export_format(fmt, output)
    repo = app_context(ctx).repo()
    with repo.read_transaction():  # (an extra key another process adds between the two reads would be left out)
        keys, extra = export_columns(repo, entity, chosen)
        written = render_rows(export_records(repo, entity, chosen, extra), [Column(k) for k in keys], fmt=chosen,
                              output=output)
    if output and output != "-":
        say(f"exported {written} {entity if written != 1 else SINGULAR[entity]} to {output}")


def _export_command(entity: str) -> Callable[..., None]:
    def command(
        ctx: typer.Context,
        fmt: Annotated[str | None, typer.Option(
            "--format", "-f", help="csv, json or jsonl (default: from -o's extension, else csv).")] = None,
        output: OutputOpt = None,
    ) -> None:
        _export(ctx, entity, fmt, output)

    command.__doc__ = f"""Export every {SINGULAR[entity]} with every field (extra columns included), by id, ISO dates.

    `salescli import {entity}` reads the file back unchanged.

    \b
    Example: salescli export {entity} -o {entity}.csv
    """
    return command


for _entity in ("companies", "contacts", "deals", "activities", "users"):
    export_app.command(_entity)(_export_command(_entity))


def sql(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help="One SELECT (or WITH …) statement; the database is opened read-only.")],
    fmt: FormatOpt = None,
    output: OutputOpt = None,
    show_all: AllOpt = False,
) -> None:
    """Run a read-only SQL query and print the rows in any output format (for scripts).

    A table shows the first 100 rows (--all: every one); the other formats
    stream every row.

    \b
    Example:
      salescli sql "SELECT owner, count(*) AS n FROM deals GROUP BY owner" -f csv
    """
    from salescli.render import Column, pick_format, render_rows
    from salescli.services.sql import run_query

    app = app_context(ctx)
    chosen = pick_format(fmt, output)
    columns, rows = run_query(app, query)
    # a table is read whole before it is drawn: it stops at 100 rows, so an endless query still prints
    render_rows(rows, [Column(c, c) for c in columns], fmt=chosen, output=output,
                table_limit=None if show_all else 100, empty="no rows",
                rest_hint="the table stops at 100 (--all, a LIMIT, or -f csv/json for every row)")


def check(ctx: typer.Context, fmt: FormatOpt = None, output: OutputOpt = None) -> None:
    """Check the database: SQLite integrity and foreign keys, then salescli's rules.

    Exit 1 listing the problems when a rule is broken: amounts not negative, stages in their deal's pipeline,
    status matching the stage kind, stage history consistent, foreign keys, and values written around salescli
    that commands would trip on (no whole number, malformed JSON, no date, an unknown code). Open deals past
    Proposal without an amount, or missing their stage's required fields (left so by `deal move --force` or an
    import), are
    listed as warnings (exit 0). Exit 5 (one error line, no list) when SQLite finds the file itself corrupt:
    restore a backup.

    \b
    Example: salescli db check
    """
    import sqlite3

    from salescli.errors import DatabaseCorrupt, RuleError
    from salescli.render import Column, pick_format, render_rows
    from salescli.repository.base import translate_sqlite_error
    from salescli.services.checks import check_database, restore_hint

    app = app_context(ctx)
    try:
        repo = app.repo()
        problems, ran = check_database(repo)
    except (DatabaseCorrupt, sqlite3.Error) as exc:
        err = exc if isinstance(exc, DatabaseCorrupt) else translate_sqlite_error(exc, app.db_path)
        if isinstance(err, DatabaseCorrupt):  # the usual hint says "run `salescli db check`": this is it
            raise DatabaseCorrupt(err.message, hint=restore_hint(app.db_path)) from None
        raise err from None
    columns = [Column("check"), Column("level"), Column("entity"), Column("id", justify="right"),
               Column("detail", wrap=True)]
    chosen = pick_format(fmt, output)
    if problems or chosen != "table" or output:  # scripts and -o FILE get an empty list (a file of an earlier
        # run's problems is replaced); a person gets the sentence below
        render_rows(problems, columns, fmt=chosen, output=output, table_limit=None, empty="")
    errors = sum(p["level"] == "problem" for p in problems)
    warnings = len(problems) - errors
    if errors:
        raise RuleError(f"db check found {errors} problem{'s' if errors != 1 else ''}"
                        + (f" and {warnings} warning{'s' if warnings != 1 else ''}" if warnings else "")
                        + f" in {repo.path}", hint="the list is above (one row per problem)")
    say(f"db check: no problems in {repo.path} ({len(ran)} checks: {', '.join(ran)})"
        + (f"; {warnings} warning{'s' if warnings != 1 else ''} above (deals short of what their stage requires)"
           if warnings else ""))


def register(app: typer.Typer, db_app: typer.Typer) -> None:
    app.add_typer(import_app, name="import")
    app.add_typer(export_app, name="export")
    app.command("sql")(sql)
    db_app.command("check")(check)
