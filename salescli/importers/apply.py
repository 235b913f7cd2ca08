"""One import = one transaction: read, plan and write in chunks, then commit or roll back.

How the rows are written (the reasons are speed and "all or nothing"):

- one BEGIN IMMEDIATE transaction; a refused import, a dry run, an interrupt or a kill leaves
  nothing behind (SQLite rolls the journal back);
- new rows get explicit ids (the next free ones: nobody else can write while we hold the lock)
  and are inserted with executemany in chunks; the change log gets one 'create' row per record,
  written by INSERT … SELECT from the new rows; updates are logged one by one, before and after;
- the full-text index's insert triggers are dropped for the duration and the new rows are
  indexed in one statement at the end, then the triggers are re-created (inside the same
  transaction, so no other connection ever sees the schema without them);
- a deals import that grows the table a lot drops five secondary indexes and rebuilds them at
  the end (one sort instead of a million random B-tree inserts).

HISTORY — the stage history an imported deal gets, so that velocity and funnel reports see
imported pipelines as they were. A new deal whose ``stage_history`` cell is filled (salescli's own
export: every stage it entered, in order, with when and by whom) gets exactly those rows, each coming
from the stage before it; an existing deal keeps its history whatever the cell says (it only grows by
stage changes). Other files carry no dates for the stages a deal went through, so:

- a deal enters its pipeline's first open stage when it was created (``created_at``: the file's
  created or engage date, else now), so the top of the funnel counts every deal — unless the file's
  ``stage_entered_at`` is the creation day: then it started in its own stage;
- an open deal in a later stage enters it at ``stage_entered_at`` when the file has one, else at
  creation (the stages in between are not invented);
- a won or lost deal enters the entry stage at creation — the map file's ``entry_stage`` (the Maven
  preset uses Qualification, where its "Engaging" deals are), or the open stage the file says it
  was closed from (Pipedrive), else the first stage — and Won/Lost at its close date (won_at/lost_at,
  else the close date, else today). So the sales cycle is creation -> close, time in the entry stage
  is engage -> close, and stage conversion counts an imported win as progress (a loss is not);
- the stages passed at creation take no time (they have no dates of their own).
Automations do not fire on import (a historical won deal needs no follow-up task today).
"""

from __future__ import annotations

import csv
import json
import os
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from salescli.errors import ImportRejected, SalesCliError
from salescli.importers.mapping import Mapping, resolve
from salescli.importers.plan import (
    MAX_ERRORS_SHOWN,
    PLANNERS,
    CellParsers,
    ChunkRow,
    ImportOptions,
    Planner,
    RowError,
    RowReader,
    Tally,
)
from salescli.importers.reading import CsvFile, describe_delimiter, open_csv
from salescli.repository.imports import BULK_TABLES, IMPORT_COLUMNS, WRITE_ORDER
from salescli.values import as_timestamp

if TYPE_CHECKING:
    from salescli.repository import Repository

CHUNK = 2000
CACHE_MB = 48  # page cache while importing (the default 2 MB makes every index insert a disk read)
KEPT_ID_GAP = 1_000_000  # the farthest ahead an id of salescli's own export is kept (see Writer.keep_id)
BULK_AFTER = 50_000  # an import expecting more rows (and more than the table has) rebuilds indexes in bulk
# The tables each import may insert into (their search triggers are suspended).
TOUCHES = {
    "companies": ("companies",),
    "contacts": ("companies", "contacts"),
    "deals": ("companies", "contacts", "deals"),
    "activities": ("companies", "contacts", "activities"),
    "users": (),
}

Progress = Callable[[int, int, int | None], None]  # (rows, bytes read or FINISHING, file size)
FINISHING = -1  # every row is read; the indexes, the search index and the commit are being written


class _Rollback(Exception):
    """Unwinds the transaction of a dry run or a refused import."""


def _unformula(cell: str) -> str:
    """A rejects-file cell a spreadsheet will not run as a formula (it is made to be opened in one), which the
    importer reads back as the cell was: a ' before it (cells are read trimmed, so a tab or space before the
    = goes)."""
    text = cell.strip()
    return "'" + text if text.startswith(("=", "+", "-", "@")) else cell


class Rejects:
    """The rejects file: each bad row with its reason, written under a temporary name and renamed at the end."""

    def __init__(self, path: str | None, header: list[str], delimiter: str, encoding: str = "utf-8",
                 bom: bool = False) -> None:
        self.path = Path(path) if path else None
        self.count = 0
        self.fh: IO[str] | None = None
        self.tmp: Path | None = None  # None with a path: a device or pipe, written in place
        if self.path is not None:
            from salescli.render import open_beside

            # a missing or read-only folder: exit 5
            self.tmp, fd, self.path = open_beside(self.path, "--rejects", "nothing was imported")
            # in the input's encoding (and BOM), so the fixed rows import again with the options the file took
            if bom and encoding == "utf-8":
                encoding = "utf-8-sig"
            self.fh = os.fdopen(fd, "w", encoding=encoding, errors="replace", newline="")
            self.writer = csv.writer(self.fh, delimiter=delimiter, lineterminator="\n")
            self.writer.writerow([*header, "import_error"])
            self.width = len(header)

    def add(self, cells: list[str], reason: str) -> None:
        self.count += 1
        if self.fh is not None:
            # every line as wide as the header, so the file imports again once fixed: the cells of a ragged
            # row past the header are quoted in its reason, not written where import_error belongs
            if len(cells) > self.width:
                reason += "; cells past the header: " + ", ".join(json.dumps(c, ensure_ascii=False)
                                                                 for c in cells[self.width:])
            try:
                self.writer.writerow([*map(_unformula, (cells + [""] * self.width)[:self.width]),
                                      _unformula(reason)])
            except OSError as exc:
                raise self._failed(exc) from None

    def finish(self) -> None:
        """Every row on disk under the temporary name (before the import commits: a rejects file that cannot be
        written undoes it); place() then puts it where it was asked for, once the import is committed."""
        if self.fh is not None and self.path is not None:
            try:
                self.fh.flush()
                if self.tmp is not None:
                    os.fsync(self.fh.fileno())
                self.fh.close()
                self.fh = None
            except OSError as exc:
                raise self._failed(exc) from None

    def place(self, batch_id: int | None = None) -> None:
        """After the commit (a failing commit leaves a file the --rejects path had before as it was)."""
        self.finish()
        if self.tmp is not None and self.path is not None and self.tmp.exists():
            try:
                os.replace(self.tmp, self.path)
            except OSError as exc:  # (a rename in its own folder: hardly ever)
                kept, self.tmp = self.tmp, None  # (not discarded: the rows are there)
                saved = f"the import was saved (batch {batch_id})" if batch_id is not None else "nothing was imported"
                raise SalesCliError(f"--rejects {self.path}: {exc.strerror or exc}; {saved}, its rejected rows are"
                                    f" in {kept}") from None

    def _failed(self, exc: OSError) -> SalesCliError:
        """The rejects file could not be written (a full disk): named, its temporary file removed."""
        from salescli.errors import DatabaseError
        from salescli.render import DISK_FULL

        self.discard()
        if exc.errno in DISK_FULL:  # DESIGN: disk full is exit 5
            return DatabaseError(f"--rejects {self.path}: disk full ({exc.strerror}); nothing was imported")
        return SalesCliError(f"--rejects {self.path}: {exc.strerror or exc}; nothing was imported")

    def discard(self) -> None:
        fh, self.fh = self.fh, None
        if fh is not None:
            try:
                fh.close()  # (its last write may fail again on a full disk: the file goes all the same)
            except OSError:
                pass
        if self.tmp is not None:
            self.tmp.unlink(missing_ok=True)


class Writer:
    """Buffers new rows per table and writes them in order; logs every write under the batch id."""

    def __init__(self, repo: Repository, tables: tuple[str, ...], rejects: Rejects,
                 bulk_tables: tuple[str, ...] = ()) -> None:
        self.store = repo
        self.user = repo.user
        self.now = repo.now()
        self.rejects = rejects
        self.next_id = {t: repo.next_id(t) for t in WRITE_ORDER}
        self.first_id = dict(self.next_id)
        self.id_gaps = 0  # ids skipped to keep an export's ids (see keep_id)
        self.flushed_id = dict(self.next_id)
        self.buffers: dict[str, list[tuple[Any, ...]]] = {t: [] for t in WRITE_ORDER}
        self.lines: dict[str, array[int]] = {t: array("I") for t in WRITE_ORDER}
        self.touched: dict[str, array[int]] = {}
        self.history_rows: list[tuple[int, int | None, int, str, str, str | None, int]] = []
        self.touches: list[tuple[str, dict[str, Any]]] = []
        self.saved_triggers: dict[str, tuple[str, str]] = {}
        for table in tables:
            saved = repo.suspend_search_insert(table)
            if saved is not None:
                self.saved_triggers[table] = saved
        # (only while the new deals are indexed in bulk at the end, which reads their notes: the import
        # writes noted moves for new deals only)
        self.saved_note_trigger = repo.suspend_stage_note_search() if "deals" in self.saved_triggers else None
        self.rows_before = {t: repo.row_count(t) for t in bulk_tables}  # tables whose indexes may go bulk
        self.dropped_indexes: dict[str, str] = {}  # name -> SQL, re-created at the end
        self.keep_indexes: set[str] = set()  # indexes the planner's lookups need

    # -- creates (buffered) ------------------------------------------------------------------------
    def create(self, table: str, row: dict[str, Any], line: int = 0) -> int:
        new_id = self.next_id[table]
        self.next_id[table] = new_id + 1
        row["id"] = new_id
        self.buffers[table].append(tuple(row.get(c) for c in IMPORT_COLUMNS[table]))
        self.lines[table].append(line)
        return new_id

    def create_tuple(self, table: str, values: tuple[Any, ...], line: int) -> int:
        """Like create, with the values already in IMPORT_COLUMNS order (without the id): the fast path."""
        new_id = self.next_id[table]
        self.next_id[table] = new_id + 1
        self.buffers[table].append((new_id, *values))
        self.lines[table].append(line)
        return new_id

    def keep_id(self, table: str, wanted: int) -> bool:
        """The next record of table gets id `wanted` when no record of the table ever had it (salescli's own
        export read into a new database keeps its ids); whether it does. The gaps of one import add up to at
        most KEPT_ID_GAP ids (each is padded in the line index)."""
        gap = wanted - self.next_id[table]
        if 0 < gap and self.id_gaps + gap <= KEPT_ID_GAP:
            self.id_gaps += gap
            self.lines[table].extend(array("I", bytes(4 * gap)))
            self.next_id[table] = wanted
        return self.next_id[table] == wanted

    def history(self, deal_id: int, from_id: int | None, to_id: int, when: str, by: str | None = None,
                note: str | None = None, forced: int = 0) -> None:
        """A stage-history row (by the importing user unless a stage_history cell names who moved it); a day
        is stored as its midnight, as every stage change is a timestamp."""
        self.history_rows.append((deal_id, from_id, to_id, as_timestamp(when), by or self.user, note, forced))

    def flush(self) -> None:
        store = self.store
        for table in WRITE_ORDER:
            rows = self.buffers[table]
            if rows:
                store.insert_rows(table, rows)
                first, last = rows[0][0], rows[-1][0]
                store.log_created(table, first, last)
                self.flushed_id[table] = last + 1
                self.buffers[table] = []
        if self.history_rows:
            store.insert_stage_history(self.history_rows)
            self.history_rows = []
        for day, links in self.touches:
            store.touch_last_activity(day, links)
        self.touches = []

    def expect(self, rows: int) -> None:
        """The import expects about this many rows in all: the tables it would grow a lot get their
        indexes rebuilt in bulk at the end instead of updated row by row."""
        if rows < BULK_AFTER:
            return
        for table, before in list(self.rows_before.items()):
            if rows >= before:
                self.dropped_indexes.update(self.store.drop_bulk_indexes([table], self.keep_indexes))
                del self.rows_before[table]

    def need_index(self, name: str) -> None:
        """A lookup is about to use this index: re-create it now if the bulk mode dropped it."""
        self.keep_indexes.add(name)
        sql = self.dropped_indexes.pop(name, None)
        if sql is not None:
            self.flush()
            self.store.create_indexes([sql])

    def finish(self) -> None:
        """Flush, then index the new rows for search and rebuild dropped indexes."""
        self.flush()
        for table, saved in self.saved_triggers.items():
            self.store.restore_search_insert(table, saved, self.first_id[table])
        self.saved_triggers = {}
        if self.saved_note_trigger is not None:
            self.store.restore_stage_note_search(self.saved_note_trigger)
            self.saved_note_trigger = None
        if self.dropped_indexes:
            self.store.create_indexes(self.dropped_indexes.values())
        self.dropped_indexes = {}

    # -- immediate writes ---------------------------------------------------------------------------
    def update(self, table: str, entity: str, current: dict[str, Any], changed: dict[str, Any]) -> None:
        self.flush()  # what the update points at may still be in a buffer
        self.store.update_logged(table, entity, current, changed)

    def ensure_user(self, name: str) -> None:
        """A user first mentioned by the file (an owner): created, and logged under the batch for undo."""
        self.store.add_import_user(name)

    def create_stage(self, pipeline_id: int, name: str, kind: str, probability: int) -> int:
        return self.store.add_import_stage(pipeline_id, name, kind, probability)

    def set_stage_probability(self, stage_id: int, probability: int) -> None:
        self.store.set_import_stage_probability(stage_id, probability)

    def create_pipeline(self, name: str) -> int:
        return self.store.add_import_pipeline(name)

    def touch_last_activity(self, day: str, links: dict[str, Any]) -> None:
        self.touches.append((day, {k: links.get(k) for k in ("deal_id", "contact_id", "company_id")}))

    def current(self, table: str, row_id: int) -> dict[str, Any]:
        return self.store.import_row(table, row_id)

    def reject(self, cells: list[str], reason: str) -> None:
        self.rejects.add(cells, reason)

    # -- duplicates inside the file ------------------------------------------------------------------
    def is_created(self, table: str, row_id: int) -> bool:
        return row_id >= self.first_id[table]

    def seen_line(self, table: str, row_id: int) -> int:
        index = row_id - self.first_id[table]
        lines = self.lines[table]
        return lines[index] if 0 <= index < len(lines) else 0

    def touch(self, table: str, row_id: int, line: int) -> int:
        """Note that a line matched an existing record; returns the line that matched it before (0: none)."""
        marks = self.touched.get(table)
        if marks is None:
            marks = self.touched[table] = array("I", bytes(4 * self.first_id[table]))
        if row_id >= len(marks):
            return 0
        first = marks[row_id]
        if not first:
            marks[row_id] = line
        return first

    def was_touched(self, table: str, row_id: int) -> bool:
        marks = self.touched.get(table)
        return marks is not None and row_id < len(marks) and bool(marks[row_id])


@dataclass
class ImportReport:
    """What an import did (or, in a dry run, would do)."""

    file: str
    entity: str
    dry_run: bool
    tally: Tally
    mapping: Mapping | None
    csv_file: CsvFile | None
    batch_id: int | None = None
    on_error: str = "abort"
    rejects: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def refused(self) -> bool:
        return bool(self.tally.rejected) and self.on_error == "abort"

    @property
    def all_rejected(self) -> bool:
        """--on-error skip with no good row: nothing is written (not even a stage --create-stages made),
        so the command fails (exit 4), as its dry run does, though the rejects file it asked for is kept."""
        t = self.tally
        return self.on_error == "skip" and t.rows > 0 and t.rejected == t.rows

    def all_rejected_error(self) -> ImportRejected:
        first = self.tally.errors[0].text(self.file) if self.tally.errors else self.file
        where = f"; every row and its reason are in {self.rejects}" if self.rejects else ""
        one = self.tally.rows == 1
        rows = "its one row" if one else f"all {self.tally.rows} rows"
        note = self.csv_file.numbering_note() if self.csv_file is not None else None
        numbering = f"; {note}" if note else ""
        if self.dry_run:
            return ImportRejected(first, hint=f"{rows} would be rejected, nothing would be imported{numbering}")
        return ImportRejected(first, hint=f"{rows} {'was' if one else 'were'} rejected, nothing was imported{where}"
                                          f"{numbering}")

    def error_lines(self) -> list[str]:
        return [e.text(self.file) for e in self.tally.errors]

    def summary(self) -> dict[str, Any]:
        t = self.tally
        out: dict[str, Any] = {
            "file": self.file, "entity": self.entity, "dry_run": self.dry_run, "rows": t.rows,
            "created": t.created, "updated": t.updated, "unchanged": t.unchanged, "skipped": t.skipped,
            "rejected": t.rejected, "batch_id": self.batch_id,
            "related_created": dict(t.related), "stages_created": list(t.stages_created),
            "pipelines_created": list(t.pipelines_created),
            "users_created": list(t.new_users),
        }
        if self.csv_file is not None:
            out.update(format=self.csv_file.form, delimiter=self.csv_file.delimiter,
                       delimiter_sniffed=self.csv_file.delimiter_sniffed, encoding=self.csv_file.encoding,
                       bom=self.csv_file.bom, numbered_by_record=self.csv_file.numbered_by_record)
        if self.rejects:
            out["rejects_file"] = self.rejects
        out["errors"] = [e.as_dict() for e in t.errors]
        if t.unknown_stages:
            out["unknown_stages"] = [{"pipeline": p, "stage": s, "rows": n} for (p, s), n in t.unknown_stages.items()]
        out["mapping"] = self.mapping.rows() if self.mapping else []
        out["notes"] = list(self.notes)
        out["row_notes"] = t.note_lines()
        return out

    def sentence(self) -> str:
        t = self.tally
        verb = "would import" if self.dry_run else "imported"
        parts = [f"{t.created} created", f"{t.updated} updated", f"{t.unchanged} unchanged"]
        if t.skipped:
            parts.append(f"{t.skipped} skipped")
        parts.append(f"{t.rejected} rejected")
        text = f"{verb} {self.file}: {t.rows} row{'s' if t.rows != 1 else ''} — {', '.join(parts)}"
        if self.batch_id is not None and not self.dry_run:
            text += f" (batch {self.batch_id})"
        return text

    def related_sentence(self) -> str | None:
        related = self.tally.related
        if not related:
            return None
        def said(kind: str, n: int) -> str:
            text = f"{n} {kind if n != 1 else kind.rstrip('s').replace('companie', 'company')}"
            first = self.tally.related_first.get(kind)
            if first is not None:  # which, so a contact made of an old e-mail is seen
                text += f" ({'' if n == 1 else 'the first, '}line {first[0]}: {first[1]})"
            return text

        listed = ", ".join(said(kind, n) for kind, n in sorted(related.items()))
        return ("would also create " if self.dry_run else "also created ") + listed

    def refusal(self) -> ImportRejected:
        t = self.tally
        first = t.errors[0].text(self.file) if t.errors else f"{self.file}: {t.rejected} rows rejected"
        hints = [n for n in self.notes if n.startswith("these columns are a ")][:1]  # (the way past them all)
        if t.ambiguous_count:
            column, count = next(iter(t.ambiguous_count.items()))
            lines = ", ".join(map(str, t.ambiguous.get(column, [])[:5]))
            hints.append(f'column "{column}" has {count} ambiguous day/month date{"s" if count != 1 else ""}'
                         f" (lines {lines}{'…' if count > 5 else ''}); pass --day-first or --month-first")
        if t.unknown_stages:
            listed = ", ".join(f'"{s}" ({n} row{"s" if n != 1 else ""})'
                               for (_p, s), n in t.unknown_stages.most_common(8))
            hints.append(f"unknown stages: {listed}; map them (--map-file values.stage) or pass --create-stages")
        if self.dry_run:  # its plan (or JSON) lists the errors: say how to get past them, not to run it again
            rows = f"{t.rejected} row{'s' if t.rejected != 1 else ''}"
            hints.append(f"{rows} would be refused; --on-error skip imports the good rows, and --rejects FILE"
                         " writes every bad one with its reason")
        elif t.rejected > 1:
            see = ("See them all with --dry-run" if t.rejected <= MAX_ERRORS_SHOWN
                   else f"--dry-run lists the first {MAX_ERRORS_SHOWN}")
            hints.append(f"{t.rejected} rows were refused; nothing was imported. {see},"
                         " or import the good rows with --on-error skip --rejects FILE")
        else:
            hints.append("nothing was imported")
        numbering = self.csv_file.numbering_note() if self.csv_file is not None else None
        if numbering:
            hints.append(numbering)
        return ImportRejected(first, hint="; ".join(hints))


def run_import(
    repo: Repository,
    path: str,
    options: ImportOptions,
    *,
    stdin: IO[bytes] | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Import a CSV file in one transaction (rolled back for a dry run or a refused import)."""
    csv_file, close = open_csv(path, encoding=options.encoding, delimiter=options.delimiter, stdin=stdin)
    rejects: Rejects | None = None
    cache: int | None = None
    report = ImportReport(file=csv_file.name, entity=options.entity, dry_run=options.dry_run, tally=Tally(),
                          mapping=None, csv_file=csv_file, on_error=options.on_error,
                          rejects=None if options.dry_run else options.rejects)
    if not csv_file.header:  # an empty JSON array (`export -f json` of an empty table): 0 rows, nothing written
        close()
        return report
    try:
        mapping = resolve(csv_file.header, options.entity, options.spec, csv_file.name)
        if options.by_id and mapping.export_id is None:
            raise ImportRejected(f"{csv_file.name}: --by-id needs salescli's own export (its id, external_id and"
                                 " created_at columns); this file has none", hint="without --by-id, rows match"
                                 " records by external id, else by name or title")
        if options.by_id:  # (the plan's mapping says what the id column does now)
            used = next(u for u in mapping.uses if u.index == mapping.export_id)
            used.target, used.how = "id", "--by-id: the record the row updates"
        if mapping.extra:
            mapping.adopt_stored_keys(repo.export_extra_keys(options.entity))
        report.mapping = mapping
        report.notes.extend(mapping.warnings + mapping.notes)
        report.notes.extend(_spec_notes(options))
        rejects = Rejects(None if options.dry_run else options.rejects, csv_file.header, csv_file.delimiter,
                          csv_file.encoding, csv_file.bom)
        day_first = options.day_first if options.day_first is not None else options.spec.day_first
        parsers = CellParsers(options.today, day_first, options.spec.date_format)
        cache = repo.set_cache_mb(CACHE_MB)
        try:
            with repo.write():
                _run(repo, csv_file, mapping, options, parsers, rejects, report, progress)
                if options.dry_run or report.refused or report.all_rejected:
                    raise _Rollback()  # (--create-stages may have added stages before every row failed)
                if report.batch_id is not None and not repo.batch_change_count(report.batch_id):
                    report.batch_id = None  # nothing changed: the file leaves no trace, not even a batch
                    raise _Rollback()
                rejects.finish()  # before the commit: a rejects file that cannot be written undoes the import
        except _Rollback:
            if options.dry_run or report.refused:
                rejects.discard()
            else:
                rejects.place()  # every row rejected: the rejects file is what the run leaves
            report.batch_id = None
            return report
        rejects.place(report.batch_id)
        return report
    except BaseException:
        if rejects is not None:
            rejects.discard()
        raise
    finally:
        repo.batch_id = None
        if cache is not None:
            repo.restore_cache(cache)
        close()


def _run(repo: Repository, csv_file: CsvFile, mapping: Mapping, options: ImportOptions, parsers: CellParsers,
         rejects: Rejects, report: ImportReport, progress: Progress | None) -> None:
    tally = report.tally
    batch_id = repo.begin_import_batch(options.entity, csv_file.name)
    repo.batch_id = batch_id
    report.batch_id = batch_id
    writer = Writer(repo, TOUCHES[options.entity], rejects, BULK_TABLES[options.entity])
    planner: Planner = PLANNERS[options.entity](writer, options, mapping, tally, csv_file.name)
    planner.from_json = csv_file.form != "csv"  # (its numbers are numbers: no decimal-comma hint)
    reader = RowReader(mapping, options.spec, parsers, tally, csv_file.name)
    chunk: list[ChunkRow] = []
    read = reader.read
    for line, cells in csv_file.records():
        tally.rows += 1
        try:
            values, extra = read(line, cells)
        except RowError as err:
            err.line = line
            chunk.append((line, cells, err, None))  # rejected in its turn, so rejects keep the file's order
        else:
            chunk.append((line, cells, values, extra))
        if len(chunk) >= CHUNK:
            writer.expect(_estimate(tally.rows, csv_file))
            _plan_and_flush(planner, writer, chunk)
            chunk = []
            if progress is not None:
                progress(tally.rows, csv_file.bytes_read(), csv_file.size)
    if chunk:
        _plan_and_flush(planner, writer, chunk)
    if progress is not None:  # every row read: what is left (indexes, search, commit) has no count to show
        progress(tally.rows, FINISHING, csv_file.size)
    planner.after_rows()
    planner.near_notes()
    writer.finish()
    summary = report.summary()
    summary.pop("mapping", None)
    summary["delimiter"] = describe_delimiter(csv_file.delimiter)
    if planner.ids_kept:
        summary["kept_ids"] = True  # its records have their export's ids: the export's *_id columns name them
    repo.finish_import_batch(batch_id, summary)


def _spec_notes(options: ImportOptions) -> list[str]:
    """The explicit choices besides column maps, for the dry run's plan."""
    spec = options.spec
    notes = [f'{name} = "{template}" (derived from other columns when empty)' for name, template in spec.derive.items()]
    notes += [f'{name} = "{value}" when the file gives none' for name, value in spec.defaults.items()]
    notes += [f"{name}: {len(table)} value{'s' if len(table) != 1 else ''} mapped"
              f" ({', '.join(f'{k} -> {v}' for k, v in list(table.items())[:4])}{', …' if len(table) > 4 else ''})"
              for name, table in spec.values.items()]
    if spec.date_format:
        notes.append(f"dates read with format {spec.date_format}")
    day_first = options.day_first if options.day_first is not None else spec.day_first
    if day_first is not None:
        notes.append("day/month dates read " + ("day first" if day_first else "month first"))
    decimal_comma = options.decimal_comma if options.decimal_comma is not None else spec.decimal_comma
    if decimal_comma and options.entity == "deals":
        notes.append("amounts read with a decimal comma (1.234,56)")
    if spec.entry_stage and options.entity == "deals":
        notes.append(f"won and lost deals enter {spec.entry_stage} when created")
    if spec.sources:
        notes.append("choices from " + ", ".join(spec.sources))
    return notes


def _estimate(rows: int, csv_file: CsvFile) -> int:
    """Rows the whole file will have, from the bytes read so far (stdin: the rows so far)."""
    done = csv_file.bytes_read()
    if csv_file.size is None or done <= 0:
        return rows
    return max(rows, int(rows * csv_file.size / done))


def _plan_and_flush(planner: Planner, writer: Writer, chunk: list[ChunkRow]) -> None:
    planner.plan_chunk(chunk)
    writer.flush()
    planner.after_flush()
