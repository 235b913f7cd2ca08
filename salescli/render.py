"""Output, implemented once: table (rich) | json | jsonl | csv | markdown | html; stdout or -o FILE.

Data goes to stdout (or the file); notes such as "12 more rows" go to stderr.
Files are written to a temporary name and renamed, mode 0600.
"""

from __future__ import annotations

import errno
import io
import itertools
import json
import math
import os
import re
import stat
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from salescli.errors import DatabaseError, SalesCliError, UsageError, printable

FORMATS = ("table", "json", "jsonl", "csv", "markdown", "html")
EXTENSIONS = {
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
    ".txt": "table",
}
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "'")
DEFAULT_TABLE_ROWS = 100


@dataclass(frozen=True)
class Column:
    """A column: its JSON/CSV key, its table header, and how a table cell shows the value."""

    key: str
    header: str | None = None
    justify: str = "left"
    show: Callable[[Any, dict[str, Any]], str] | None = None
    in_table: bool = True  # False: only in json/csv (a table on 80 columns shows the essentials)
    #: On a terminal too narrow for every column, the order the table leaves this one out in (1 first, then
    #: 2, ...) before it cuts text below COMFORTABLE_WIDTH; 0: never left out.
    drop: int = 0
    #: How narrow this column's text may be cut before a column with a drop rank goes instead (a deal's title
    #: keeps more than its company; an e-mail address cut is no address). None: COMFORTABLE_WIDTH.
    comfortable: int | None = None
    wrap: bool = False  # True: a description, wrapped on a narrow terminal (other text is cut with …)
    cut: int | None = None  # free text cut to this many characters in a terminal table (markdown/html: whole)

    @property
    def title(self) -> str:
        return self.header or self.key.replace("_", " ")


def pick_format(fmt: str | None, output: str | None, allowed: tuple[str, ...] = FORMATS) -> str:
    """-f wins; else the output file's extension; else a table."""
    if fmt:
        chosen = fmt.lower()
    elif output and output != "-":
        suffix = Path(output).suffix.lower()
        if suffix and suffix not in EXTENSIONS:
            # A text table saved as report.xlsx or data.pdf is a broken file, not a choice.
            raise UsageError(
                f'--output "{output}": cannot tell the format from "{suffix}"',
                hint="use .csv, .json, .jsonl, .md, .html or .txt, or pass -f FORMAT",
            )
        chosen = EXTENSIONS.get(suffix, "table")
    else:
        chosen = "table"
    if chosen not in allowed:
        if fmt:
            raise UsageError(f'--format "{fmt}" is not one of {", ".join(allowed)}')
        first: dict[str, str] = {}
        for suffix, kind in EXTENSIONS.items():
            first.setdefault(kind, suffix)
        listed = [first[k] for k in ("csv", "json", "jsonl", "markdown", "html", "table") if k in allowed]
        raise UsageError(f'--output "{output}": this command has no {chosen} output (formats: {", ".join(allowed)})',
                         hint=f"use {', '.join(listed[:-1])} or {listed[-1]}, or pass -f FORMAT")
    return chosen


# -- values --------------------------------------------------------------------------------
class RawJson(str):
    """JSON text made already (by SQLite's json functions): json_value writes it as it is."""


_quoted = json.encoder.encode_basestring  # type: ignore[attr-defined]  # json.dumps(text, ensure_ascii=False)
_quoted_key = json.encoder.encode_basestring_ascii  # type: ignore[attr-defined]  # json.dumps(text)


def json_value(value: Any) -> str:
    """JSON text with Decimal kept exact (a number, not a float's approximation); infinity and NaN, which
    JSON has no number for (Python would write `Infinity`, which other programs refuse), are null."""
    kind = type(value)
    if kind is str:  # (the common cases first, without json.dumps's machinery: it was most of an export's time)
        return _quoted(value)
    if kind is int:
        return int.__repr__(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f") if value.is_finite() else "null"
    if isinstance(value, float):
        return json.dumps(value) if math.isfinite(value) else "null"
    if isinstance(value, int):
        return json.dumps(value)
    if isinstance(value, date | datetime):
        return json.dumps(value.isoformat())
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_quoted_key(str(k))}: {json_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(json_value(v) for v in value) + "]"
    if type(value) is RawJson:
        return value
    return json.dumps(str(value), ensure_ascii=False)


def text_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ", ".join(text_value(v) for v in value)
    if isinstance(value, dict):
        return json_value(value)
    text = str(value)
    if len(text) == 19 and text[10] == "T" and _STORED_TIMESTAMP_RE.fullmatch(text):
        # a stored timestamp, for people: 2026-07-30 (midnight: a day) or 2026-07-30 14:05
        return text[:10] if text.endswith("T00:00:00") else f"{text[:10]} {text[11:16]}"
    return text


_STORED_TIMESTAMP_RE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")


def neutralise_cell(text: str) -> str:
    """Stop spreadsheets from running a cell as a formula; a leading ' is doubled so it survives."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def restore_cell(text: str) -> str:
    """The inverse of neutralise_cell, applied by the importer."""
    if text.startswith("'") and len(text) > 1 and text[1] in "=+-@\t\r'":
        return text[1:]
    return text


# -- destinations --------------------------------------------------------------------------
def check_output_folder(output: str | None, option: str = "--output") -> None:
    """-o FILE in a missing folder (or under a file): a storage fault, exit 5 like --db's."""
    if output and output != "-":
        if output.endswith(("/", os.sep)) and not os.path.isdir(output):  # (Path drops the slash: "new/" is new)
            raise DatabaseError(f"{option} {output}: folder {output.rstrip('/' + os.sep) or output} does not"
                                " exist")
        folder = Path(output).parent
        if not folder.is_dir():
            problem = "is not a folder" if folder.exists() else "does not exist"
            raise DatabaseError(f"{option} {output}: folder {folder} {problem}")


def sqlite_companion(path: Path) -> Path | None:
    """The database whose journal, WAL or shared-memory file path is, if it is one (overwriting one loses
    committed changes)."""
    from salescli.repository.base import SQLITE_COMPANIONS

    for suffix in SQLITE_COMPANIONS:
        if path.name.endswith(suffix) and len(path.name) > len(suffix):
            owner = path.with_name(path.name[:-len(suffix)])
            if _is_sqlite_file(owner):
                return owner
    return None


#: Paths that name a descriptor of this process (whatever it is open on: a pipe, a terminal, a file).
_FD_PATH_RE = re.compile(r"/dev/(?:stdout|stderr|fd/\d+)|/proc/(?:self|\d+)/fd/\d+")


def open_beside(target: Path, option: str, nothing: str = "no file written") -> tuple[Path | None, int, Path]:
    """(temporary path, descriptor, final path) of a new file beside target, to be renamed onto it once
    complete; the final path is a symlink's target (the link stays). A device, pipe or terminal
    (/dev/null, /dev/stdout, a FIFO) is written in place instead: no temporary path (renaming onto it
    would replace /dev/null with a plain file). A missing or read-only folder is a storage fault (exit 5)
    naming the option; a folder given as the file is a usage error (exit 2); a SQLite database there
    (salescli's own, by a slip of the hand) is never overwritten (exit 1); nothing is written."""
    check_output_folder(str(target), option)
    if target.is_dir():
        raise UsageError(f"{option} {target} is a folder; give a file name; {nothing}")
    try:
        mode: int | None = os.stat(target).st_mode
    except OSError:
        mode = None
    special = mode is not None and not stat.S_ISREG(mode)
    if special or _FD_PATH_RE.fullmatch(str(target)):  # /dev/stdout -> /proc/self/fd/1: that very descriptor
        try:
            flags = os.O_WRONLY | (os.O_APPEND if not special else 0)
            return None, os.open(target, flags), target
        except OSError as exc:
            raise SalesCliError(f"{option} {target}: {exc.strerror}; {nothing}") from None
    final = Path(os.path.realpath(target)) if target.is_symlink() else target
    if _is_sqlite_file(final):
        raise SalesCliError(f"{option} {target} is a SQLite database; refusing to overwrite it; {nothing}")
    owner = sqlite_companion(final)
    if owner is not None:
        raise SalesCliError(f"{option} {target} belongs to the SQLite database {owner} (its journal); refusing to"
                            f" overwrite it; {nothing}")
    tmp = final.with_name(f".{final.name}.{os.getpid()}.tmp")
    sweep_stale_temporaries(final)
    try:
        return tmp, os.open(tmp, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600), final
    except OSError as exc:
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):  # a read-only folder: a storage fault
            raise DatabaseError(f"{option} {target}: folder {target.parent} is not writable"
                                f" ({exc.strerror}); {nothing}") from None
        raise SalesCliError(f"{option} {target}: {exc.strerror}; {nothing}") from None


def sweep_stale_temporaries(final: Path) -> None:
    """Remove the temporary files a salescli killed while writing final left beside it (SIGKILL, a power cut:
    `.out.csv.4242.tmp`, `.b.db.tmp4242` and its journal): only this user's, untouched for an hour, and whose
    process is gone; a cron job killed every day would otherwise pile them up. (A live writer touches its file
    all the time; an hour also covers a process of that number in another container or on another host.)"""
    number = r"([0-9]{1,7})"
    pattern = re.compile(rf"\.{re.escape(final.name)}\.(?:{number}\.tmp|tmp{number})(?:-journal|-wal|-shm)?")
    try:
        entries = [e for e in os.scandir(final.parent) if e.name.startswith(f".{final.name}.")]
    except OSError:
        return
    now = time.time()
    for entry in entries:
        found = pattern.fullmatch(entry.name)
        if found is None:
            continue
        try:
            info = entry.stat(follow_symlinks=False)
            if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid() or now - info.st_mtime < 3600:
                continue
            pid = int(found.group(1) or found.group(2))
            if pid == os.getpid():
                continue
            try:
                os.kill(pid, 0)
                continue  # alive
            except ProcessLookupError:
                pass
            os.unlink(entry.path)
        except (OSError, OverflowError, ValueError):
            continue


class HeldStdout:
    """stdout for a data format (json, csv…): held back until the command succeeds, so a query failing half-way
    (`sql` meeting an overflow at row 5,000) prints nothing rather than half a document; past HOLD_CHARS it
    streams (a long export or an endless query is not kept whole in memory)."""

    def __init__(self) -> None:
        self.held: io.StringIO | None = io.StringIO()

    def write(self, text: str) -> int:
        if self.held is None:
            return sys.stdout.write(text)
        self.held.write(text)
        if self.held.tell() > HOLD_CHARS:
            self.release()
        return len(text)

    def flush(self) -> None:
        if self.held is None:
            sys.stdout.flush()

    def release(self) -> None:
        held, self.held = self.held, None
        if held is not None and held.tell():
            sys.stdout.write(held.getvalue())


HOLD_CHARS = 8_000_000


@contextmanager
def destination(output: str | None, hold: bool = False) -> Iterator[IO[str]]:
    """stdout, or a file written under a temporary name and renamed only when complete. hold: a data format on
    stdout, written once the command has succeeded (see HeldStdout)."""
    if not output or output == "-":
        if hold:
            held = HeldStdout()
            yield held  # type: ignore[misc]
            held.release()
        else:
            yield sys.stdout
        sys.stdout.flush()
        return
    tmp, fd, final = open_beside(Path(output), "--output")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            yield fh
            fh.flush()
            if tmp is not None:
                os.fsync(fh.fileno())
        if tmp is not None:
            os.replace(tmp, final)
    except OSError as exc:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
        if exc.errno in DISK_FULL:  # DESIGN: disk full is exit 5, like the database's own
            raise DatabaseError(f"--output {output}: disk full ({exc.strerror}); no file written") from None
        raise SalesCliError(f"--output {output}: {exc.strerror or exc}; no file written") from None
    except BaseException:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
        raise


DISK_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


def _is_sqlite_file(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(16) == b"SQLite format 3\x00"
    except OSError:
        return False


def _plain() -> bool:
    """NO_COLOR (any non-empty value): no escape codes at all, bold and italics included."""
    return bool(os.environ.get("NO_COLOR"))


def _raise_broken_pipe() -> None:
    raise BrokenPipeError  # cli.py stops quietly with exit 0 (rich alone would exit 1)


def stderr_console() -> Any:
    from rich.console import Console

    if _plain():
        return Console(stderr=True, highlight=False, color_system=None)
    return Console(stderr=True, highlight=False)


#: `salescli -q`: messages for a person are left out (what was done, notes, "wrote FILE", progress); errors,
#: questions and the notice of a migrated database still go to stderr. Set by the root command on every run.
QUIET = False


def note(message: str) -> None:
    """A message for the person (stderr), never part of the data; none with -q."""
    if not QUIET:
        print(printable(message), file=sys.stderr)


def _stdout_console(fh: IO[str]) -> Any:
    from rich.console import Console

    if fh is not sys.stdout:
        # -o FILE: no terminal to fit, as when stdout is redirected (one row a line, values whole)
        return Console(file=fh, highlight=False, no_color=True, force_terminal=False, width=500, soft_wrap=False)
    options: dict[str, Any] = {"highlight": False, "soft_wrap": False}
    if _plain():
        options["color_system"] = None
    if not fh.isatty() and not os.environ.get("COLUMNS"):
        # Piped or redirected: no terminal to fit, so do not cut values to 80 columns.
        options["width"] = 500
    elif screen_width() < MIN_SCREEN_WIDTH:
        # COLUMNS=0 or 5 is no terminal's width: a table cut to it would be blank (rich reads COLUMNS itself)
        options["width"] = 80
    console = Console(**options)
    console.on_broken_pipe = _raise_broken_pipe  # type: ignore[method-assign]
    return console


#: Below this many columns a table has no room for its cells: it is drawn 80 wide instead (COLUMNS=0, COLUMNS=5).
MIN_SCREEN_WIDTH = 40


def screen_width() -> int:
    """The terminal's columns (COLUMNS when set); 80 when stdout is not a terminal."""
    if os.environ.get("COLUMNS", "").isdigit():
        return int(os.environ["COLUMNS"])
    if sys.stdout.isatty():
        import shutil

        return shutil.get_terminal_size().columns
    return 80


def _unbounded(fh: IO[str]) -> bool:
    """Piped or redirected stdout: no terminal width to fit (see _stdout_console)."""
    return fh is sys.stdout and not fh.isatty() and not os.environ.get("COLUMNS")


def _one_line(text: str) -> str:
    """A cell on one line: its line breaks and tabs shown as \\n and \\t (as printable shows other controls)."""
    return text.replace("\n", "\\n").replace("\t", "\\t") if "\n" in text or "\t" in text else text


def _no_tabs(cells: list[list[str]]) -> bool:
    """Whether the direct writer draws these cells as rich would (rich expands tabs)."""
    return not any("\t" in text for row in cells for text in row)


def cells_of(text: str) -> int:
    """How many terminal columns text takes: 日本 or 🚀 two a letter (ASCII, the usual cell, without asking rich:
    a piped table measures every cell)."""
    if text.isascii() and text.isprintable():
        return len(text)
    from rich.cells import cell_len

    return cell_len(text)


def pad_cells(text: str, width: int, right: bool = False) -> str:
    """text filled with spaces to `width` terminal columns (str.ljust counts characters)."""
    gap = " " * max(width - cells_of(text), 0)
    return gap + text if right else text + gap


def fit_cells(text: str, width: int) -> str:
    """text on one line in at most `width` terminal columns, cut with "…"."""
    text = " ".join(str(text).split())
    if cells_of(text) <= width:
        return text
    from rich.cells import set_cell_size

    return set_cell_size(text, max(width - 1, 0)).rstrip() + "…"


def _write_text_table(fh: IO[str], title: str | None, headers: list[str] | None, justify: list[str],
                      rows: list[list[str]]) -> None:
    """The table rich draws with box SIMPLE(_HEAD), no edge and unlimited width — written directly.

    For piped output, where nothing wraps: the same columns (three spaces apart, numbers on the
    right, a rule under the header) without rich's cost per cell (8,800 deals: 7 s -> 0.3 s) and
    without padding every line with trailing blanks.
    """
    from rich.cells import cell_len

    split = [[cell.split("\n") for cell in row] for row in rows]
    widths = [cell_len(h) for h in headers] if headers else [0] * len(justify)
    for row in split:
        for j, lines in enumerate(row):
            widths[j] = max(widths[j], *(cell_len(line) for line in lines))

    def line_of(cells: list[str]) -> str:
        out = []
        for j, text in enumerate(cells):
            out.append(pad_cells(text, widths[j], justify[j] == "right"))
        return "   ".join(out).rstrip() + "\n"

    if title:
        fh.write(title + "\n")
    if headers:
        fh.write(line_of(headers))
        fh.write("─" * (sum(widths) + 3 * (len(widths) - 1)) + "\n")
    for row in split:
        for k in range(max(len(lines) for lines in row)):
            fh.write(line_of([lines[k] if k < len(lines) else "" for lines in row]))


# -- lists ---------------------------------------------------------------------------------
def render_rows(
    rows: Iterable[dict[str, Any]],
    columns: list[Column],
    *,
    fmt: str,
    output: str | None = None,
    title: str | None = None,
    table_limit: int | None = DEFAULT_TABLE_ROWS,
    total: int | None = None,
    empty: str = "no rows",
    rest_hint: str | None = None,
) -> int:
    """Write rows in the chosen format; returns how many were written.

    json/jsonl/csv/markdown stream every row; a table stops at table_limit and says how many
    more there are (total when known). rest_hint: for a query that may not end (`sql`), the rows past the
    limit are counted up to REST_COUNTED ("over 10,000" beyond) and this hint follows the count.
    """
    keys = [c.key for c in columns]
    columns = [c for c in columns if c.in_table]
    written = 0
    # Run the query before writing a byte: a database error (corrupt, busy) then leaves stdout empty
    # and creates no output file, instead of a lone "[" or a CSV header.
    rows = iter(rows)
    first = next(rows, None)
    if first is not None:
        rows = itertools.chain((first,), rows)
    with destination(output, hold=fmt != "table") as fh:
        if fmt == "json":
            fh.write("[")
            for row in rows:
                fh.write(",\n  " if written else "\n  ")
                fh.write("{" + ", ".join(f'"{k}": {json_value(row.get(k))}' for k in keys) + "}")
                written += 1
            fh.write("\n]\n" if written else "]\n")
        elif fmt == "jsonl":
            for row in rows:
                fh.write("{" + ", ".join(f'"{k}": {json_value(row.get(k))}' for k in keys) + "}\n")
                written += 1
        elif fmt == "csv":
            writer = _CsvWriter(fh)
            writer.writerow(keys)
            for row in rows:  # (plain text inline: csv_cell's call per cell was a third of an export's time)
                writer.writerow([v if type(v) is str and not v.startswith(FORMULA_PREFIXES) else csv_cell(v)
                                 for v in map(row.get, keys)])
                written += 1
        elif fmt == "markdown":
            fh.write("| " + " | ".join(c.title for c in columns) + " |\n")
            fh.write("|" + "|".join("---:" if c.justify == "right" else "---" for c in columns) + "|\n")
            for row in rows:
                fh.write("| " + " | ".join(_md_cell(_cell(c, row)) for c in columns) + " |\n")
                written += 1
        elif fmt == "html":
            from salescli.html import rows_page

            materialised = list(rows)
            written = len(materialised)
            fh.write(rows_page(title or "salescli", columns, materialised, _cell))
        else:
            written = _table(fh, rows, columns, title=title, limit=table_limit, total=total, empty=empty,
                             rest_hint=rest_hint)
    return written


class _CsvWriter:
    """csv.writer with "\n" line ends that still quotes a carriage return inside a value.

    Python's writer quotes only the characters of its own line terminator, so "a\rb" would be
    written bare and split the row for every reader (salescli import included): such a row is
    written with every cell quoted."""

    def __init__(self, fh: IO[str]) -> None:
        import csv

        self.plain = csv.writer(fh, lineterminator="\n")
        self.quoted = csv.writer(fh, lineterminator="\n", quoting=csv.QUOTE_ALL)

    def writerow(self, cells: list[str]) -> None:
        (self.quoted if "\r" in "".join(cells) else self.plain).writerow(cells)


def csv_cell(value: Any) -> str:
    """A value as a CSV cell of an export (text neutralised against formulas)."""
    kind = type(value)
    if kind is str:
        return "'" + value if value.startswith(FORMULA_PREFIXES) else value  # (neutralise_cell, inlined)
    if value is None:
        return ""
    if kind is int:
        return int.__repr__(value)
    if isinstance(value, str):
        return neutralise_cell(value)
    return text_value(value)


def _md_cell(text: str) -> str:
    """A table cell's text as Markdown shows it: pipes and backslashes escaped, one line, and no HTML (a deal
    named <script> is text, as in the html format)."""
    text = text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("\r", " ")
    return printable(text.replace("<", "&lt;"))  # (no tag can start without it; the rest stays readable)


def _cell(column: Column, row: dict[str, Any], *, whole: bool = False) -> str:
    """A cell's text; a column with `cut` is cut to it unless whole (a document, not a terminal)."""
    value = row.get(column.key)
    text = column.show(value, row) if column.show is not None else text_value(value)
    if column.cut and not whole and len(text) > column.cut:
        return text[:column.cut - 1] + "…"
    return text


REST_COUNTED = 10_000  # rows past a table's limit that a query of no known total runs on to count


def _table(
    fh: IO[str],
    rows: Iterable[dict[str, Any]],
    columns: list[Column],
    *,
    title: str | None,
    limit: int | None,
    total: int | None,
    empty: str,
    rest_hint: str | None = None,
) -> int:
    cells: list[list[str]] = []  # (each row's texts as it comes: the rows themselves are not kept)
    piped = fh is not sys.stdout or not fh.isatty()  # piped, redirected or -o FILE: one line a row, for scripts
    more = 0
    for row in rows:
        if limit is not None and len(cells) >= limit:
            more += 1
            # (rows of a query that may not end, `sql`'s: counted up to a bound, then said to be more)
            if total is not None or (rest_hint is not None and more > REST_COUNTED):
                break
            continue
        texts = [printable(_cell(c, row)) for c in columns]
        cells.append([_one_line(text) for text in texts] if piped else texts)
    if total is not None and limit is not None and total > len(cells):
        more = total - len(cells)
    if not cells:
        if empty:
            note(empty)
        return 0
    if _unbounded(fh) and _no_tabs(cells):
        _write_text_table(fh, title, [c.title for c in columns], [c.justify for c in columns], cells)
    else:
        from rich import box
        from rich.markup import escape
        from rich.table import Table

        console = _stdout_console(fh)
        table = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, title_justify="left")
        keep = add_columns(table, columns, cells, fh, console)
        for texts in cells:
            table.add_row(*(escape(texts[i]) for i in keep))
        console.print(table)
    if more and rest_hint is not None:
        counted = f"over {REST_COUNTED:,}" if more > REST_COUNTED else f"{more:,}"
        note(f"{counted} more row{'s' if more != 1 else ''} not shown: {rest_hint}")
    elif more:
        note(f"{more} more row{'s' if more != 1 else ''} not shown (use --limit N or --all, or -f csv/json)")
    return len(cells)


_LETTER_RE = re.compile(r"[^\W\d_]")
_TIMESTAMP_RE = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:?\d\d)?")
#: Periods (2026-Q4, 2026-H1, 2026-W47) are figures, not text: kept whole like dates.
_PERIOD_RE = re.compile(r"\b\d{4}-(?:Q[1-4]|H[12]|W\d\d)\b")
#: On a terminal too narrow for a table, text columns are cut to this width only when no column is left to drop.
COMFORTABLE_WIDTH = 12
#: A text column is cut no narrower than this (then 3) when a table does not fit the terminal.
MIN_TEXT_WIDTH = 6
#: Between two columns of a table: padding, separator, padding.
COLUMN_GAP = 3


def _is_text(cell: str) -> bool:
    """Words, not a number, date, timestamp, period, percentage or id: a cell that may be cut with …"""
    return bool(_LETTER_RE.search(_PERIOD_RE.sub("", _TIMESTAMP_RE.sub("", cell))))


@dataclass
class _Fit:
    """How a table's columns fit the terminal: the width of each as rich lays it out when it fits
    (widest cell or whole header), its width with the header wrapped between words, the header's longest
    word, and which columns may be cut with … (text, not numbers, dates or ids)."""

    natural: list[int]
    base: list[int]
    words: list[int]
    cuttable: list[bool]
    ease: list[int]  # the width each column's text is comfortable at (its own `comfortable`, else the default)
    gap: int = COLUMN_GAP

    @classmethod
    def measure(cls, columns: list[Column], cells: list[list[str]], gap: int = COLUMN_GAP) -> _Fit:
        from rich.cells import cell_len

        fit = cls([], [], [], [], [], gap)
        for i, c in enumerate(columns):
            longest_word = max((cell_len(w) for w in c.title.split()), default=1)
            widest = max((cell_len(line) for row in cells for line in row[i].splitlines() or [""]), default=0)
            fit.natural.append(max(widest, cell_len(c.title), 1))
            fit.base.append(max(widest, longest_word, 1))
            fit.words.append(longest_word)
            fit.cuttable.append(c.wrap or (c.justify != "right" and any(_is_text(row[i]) for row in cells)))
            fit.ease.append(COMFORTABLE_WIDTH if c.comfortable is None else c.comfortable)
        return fit

    def widths(self, keep: list[int], available: int) -> list[int] | None:
        """The widths of the kept columns on `available` characters, or None when they cannot fit.

        Headers wrap between their words first; then the widest text column gives a character up, down
        to the next widest (ties: one by one), to the width it is comfortable at, then to MIN_TEXT_WIDTH,
        then to 3 characters keeping each header's words whole, then breaking them."""
        widths = [self.natural[i] for i in keep]
        excess = sum(widths) + self.gap * (len(keep) - 1) - available
        every = list(range(len(keep)))
        text = [k for k, i in enumerate(keep) if self.cuttable[i]]
        words = [self.words[i] for i in keep]
        phases = [(every, [self.base[i] for i in keep]),
                  # text down to where it is comfortable first (a title keeps more than its company), then lower
                  (text, [max(w, min(self.base[i], self.ease[i])) for w, i in zip(words, keep, strict=True)]),
                  (text, [max(w, MIN_TEXT_WIDTH) for w in words]),
                  (text, [max(w, 3) for w in words]), (text, [3] * len(keep))]
        for candidates, floors in phases:
            while excess > 0:
                widest = max((k for k in candidates if widths[k] > floors[k]), key=lambda k: widths[k], default=None)
                if widest is None:
                    break
                second = max((widths[k] for k in candidates if k != widest), default=0)
                step = max(1, min(excess, widths[widest] - max(second, floors[widest])))
                widths[widest] -= step
                excess -= step
        return widths if excess <= 0 else None

    def comfortable(self, keep: list[int], widths: list[int]) -> bool:
        return all(w >= min(self.base[i], self.ease[i]) for i, w in zip(keep, widths, strict=True))


def fit_columns(columns: list[Column], cells: list[list[str]], available: int,
                gap: int = COLUMN_GAP) -> tuple[list[int], list[int] | None]:
    """(the columns to show, their widths) for a terminal `available` characters wide; widths None when
    the table fits as it is (or cannot fit at all: rich wraps it then).

    A table too wide is fitted on one line a row, as gh does: numbers, dates and ids stay whole and the
    widest text columns (titles, companies, names) are cut with …; when that would cut text below
    COMFORTABLE_WIDTH, or the table cannot fit at all, the columns empty in every row go, then those with a `drop`
    rank, one rank at a time (1 first), until the rest fit comfortably (or none is left to drop)."""
    fit = _Fit.measure(columns, cells, gap)
    keep = list(range(len(columns)))
    widths = fit.widths(keep, available)
    blank = {i for i in keep if not any(row[i].strip() for row in cells)}  # (nothing to show: they go first)
    steps = [blank] if blank else []
    steps += [{i for i in keep if columns[i].drop == rank} for rank in sorted({c.drop for c in columns if c.drop})]
    for gone in steps:
        if widths is not None and fit.comfortable(keep, widths) or not [i for i in keep if i not in gone]:
            break  # (a table keeps one column at least)
        keep = [i for i in keep if i not in gone]
        widths = fit.widths(keep, available)
    return keep, None if widths == [fit.natural[i] for i in keep] else widths


def add_columns(table: Any, columns: list[Column], cells: list[list[str]], fh: IO[str], console: Any, *,
                gap: int = COLUMN_GAP, footers: list[str] | None = None) -> list[int]:
    """Add the columns to a rich table, fitted to the terminal (see fit_columns) when writing to stdout
    (a file, -o x.txt, has no terminal: rich wraps it at its width); the indexes of the columns kept, to
    add each row's cells with."""
    from rich.text import Text

    keep, widths = list(range(len(columns))), None
    if fh is sys.stdout:
        keep, widths = fit_columns(columns, [*cells, footers] if footers else cells, console.width, gap)
        hidden = [c.title for i, c in enumerate(columns) if i not in keep and any(row[i].strip() for row in cells)]
        if hidden:  # (columns empty in every row go unsaid: nothing is missing)
            note(f"{len(hidden)} column{'s' if len(hidden) != 1 else ''} left out to fit {console.width} characters:"
                 f" {', '.join(hidden)} (a wider terminal shows them; -f csv or json has every column)")
    for k, i in enumerate(keep):
        c = columns[i]
        footer = _escape(footers[i]) if footers else ""
        if widths is None:
            table.add_column(c.title, justify=c.justify, footer=footer)
        else:  # one line a row (but descriptions): long text cut with …, numbers and dates whole
            table.add_column(Text(c.title, no_wrap=False, overflow="fold"), justify=c.justify, footer=footer,
                             width=widths[k], no_wrap=not c.wrap, overflow="fold" if c.wrap else "ellipsis")
    return keep


# -- single records ------------------------------------------------------------------------
def _escape(text: str) -> str:
    """A table cell: rich markup and terminal control characters in stored text are shown, not obeyed."""
    from rich.markup import escape

    return escape(printable(text))


def render_record(
    record: dict[str, Any],
    *,
    fmt: str,
    output: str | None = None,
    title: str | None = None,
    sections: dict[str, tuple[list[Column], list[dict[str, Any]]]] | None = None,
    labels: dict[str, str] | None = None,
) -> None:
    """One record as key/value pairs, followed by its sections (history, timeline...).

    In json a section is a list under its name (beside `contact_count`, `company show` gives `contacts`).
    """
    sections = sections or {}
    with destination(output) as fh:
        if fmt in ("json", "jsonl"):
            body = dict(record)
            for name, (cols, rows) in sections.items():
                body[name] = [{c.key: r.get(c.key) for c in cols} for r in rows]
            fh.write(json_value(body) + "\n")
        elif fmt == "csv":
            writer = _CsvWriter(fh)
            writer.writerow(list(record))
            writer.writerow([csv_cell(v) for v in record.values()])
        elif fmt == "markdown":
            if title:
                fh.write(f"## {title}\n\n")
            fh.write("| field | value |\n|---|---|\n")
            for key, value in record.items():
                fh.write(f"| {(labels or {}).get(key, key)} | {_md_cell(text_value(value))} |\n")
            for name, (cols, rows) in sections.items():
                fh.write(f"\n### {name.replace('_', ' ')}\n\n")
                if not rows:
                    fh.write("(none)\n")
                    continue
                fh.write("| " + " | ".join(c.title for c in cols) + " |\n")
                fh.write("|" + "|".join("---" for _ in cols) + "|\n")
                for row in rows:
                    fh.write("| " + " | ".join(_md_cell(_cell(c, row)) for c in cols) + " |\n")
        elif fmt == "html":
            from salescli.html import record_page

            fh.write(record_page(title or "salescli", record, sections, _cell))
        else:
            pairs = [[(labels or {}).get(key, key.replace("_", " ")), printable(text_value(value))]
                     for key, value in record.items() if not (value is None or value == "" or value == [])]
            tables = [(name.replace("_", " "), shown, [[printable(_cell(c, row)) for c in shown] for row in rows])
                      for name, (cols, rows) in sections.items() if rows
                      for shown in ([c for c in cols if c.in_table],)]
            if _unbounded(fh) and _no_tabs(pairs) and all(_no_tabs(cells) for _, _, cells in tables):
                _write_text_table(fh, title, None, ["left", "left"], pairs)
                for name, cols, cells in tables:
                    fh.write("\n")  # a blank line between the record and each section
                    _write_text_table(fh, name, [c.title for c in cols], [c.justify for c in cols], cells)
                return
            from rich import box
            from rich.markup import escape
            from rich.table import Table

            console = _stdout_console(fh)
            kv = Table(title=title, box=box.SIMPLE, show_header=False, pad_edge=False, show_edge=False,
                       title_justify="left")
            kv.add_column("field", style="bold")
            kv.add_column("value")
            for label, text in pairs:
                kv.add_row(label, escape(text))
            console.print(kv)
            for name, cols, cells in tables:
                console.print()  # a blank line between the record and each section
                table = Table(title=name, box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, title_justify="left")
                keep = add_columns(table, cols, cells, fh, console)
                for texts in cells:
                    table.add_row(*(escape(texts[i]) for i in keep))
                console.print(table)


def render_text(text: str, output: str | None = None) -> None:
    with destination(output) as fh:
        fh.write(text)
