"""Validated rows -> a plan: each row is a create, an update, unchanged, skipped or an error.

Cells are read with the same parsers as the command line (salescli.values), behind fast paths
for the forms exports use (ISO dates, plain amounts), because a million rows leave about
four microseconds per row. Relations are resolved by natural keys through in-memory caches
(companies by external id, domain and name; contacts by external id and e-mail; stages by
name within their pipeline); duplicates are found by external id, else the entity's natural key.

The planners never write SQL: creates go to the writer (apply.py), which buffers them and
flushes them in batches; updates and new stages are written at once through the writer too.
"""

from __future__ import annotations

import json
import re
import shlex
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from salescli.errors import ImportRejected, InvalidValue, NotFound, UsageError
from salescli.importers.mapping import (
    FIELDS,
    Mapping,
    MapSpec,
    extra_fold,
    fill_template,
    stored_spelling,
    template_columns,
)
from salescli.importers.reading import BadRecord, JsonValue
from salescli.render import restore_cell
from salescli.repository.base import reserved_user_name
from salescli.services.pipeline import (
    default_forecast_category,
    missing_fields,
    normalize_forecast_category,
    required_of,
)
from salescli.values import MULTI_LINE, as_timestamp, fold, loose_key, one_line, typo_of

if TYPE_CHECKING:
    from salescli.importers.apply import Writer

Row = dict[str, Any]
MAX_ERRORS_SHOWN = 20
#: Fields whose empty cell leaves a matched record's value as it is, and the column that holds it.
KEPT_WHEN_EMPTY: dict[str, tuple[tuple[str, str], ...]] = {
    "deals": (("amount", "amount_minor"), ("company", "company_id"), ("contact", "contact_id"),
              ("expected_close", "expected_close"), ("lost_reason", "lost_reason"), ("owner", "owner"),
              ("source", "source"), ("next_step", "next_step"), ("next_step_date", "next_step_date"),
              ("tags", "tags"), ("notes", "notes")),
    "companies": (("domain", "domain"), ("industry", "industry"), ("segment", "segment"),
                  ("territory", "territory"), ("owner", "owner"), ("tags", "tags"), ("notes", "notes")),
    "contacts": (("email", "email"), ("phone", "phone"), ("title", "title"), ("company", "company_id"),
                 ("owner", "owner"), ("source", "source"), ("tags", "tags"), ("notes", "notes")),
    "activities": (("body", "body"), ("outcome", "outcome"), ("owner", "owner"), ("due_date", "due_date")),
}
#: Notes on rows that were imported as they are (singular, plural): counted, then printed with the count.
BREAKS_STAGE_RULES = ("open deal lacks what its stage requires (`salescli db check` lists it)",
                      "open deals lack what their stage requires (`salescli db check` lists them)")
CLOSED_BEFORE_CREATED = ("won/lost deal closed before its created date (created date set to the close date)",
                         "won/lost deals closed before their created date (created dates set to the close dates)")
CREATED_AHEAD = ("deal has a created date after today (imported as it is: check the file's dates, or --today)",
                 "deals have a created date after today (imported as they are: check the file's dates, or --today)")
CUSTOMERS = ("contact becomes a customer (a deal of theirs is won)",
             "contacts become customers (deals of theirs are won)")  # (said of a dry run too: present tense)
CHURNED_KEPT = ("churned contact of a won deal stays churned (the file does not say whether the win came before"
                " the churn: `salescli contact edit ID --status customer` if they bought again)",
                "churned contacts of won deals stay churned (the file does not say whether the wins came before"
                " the churn: `salescli contact edit ID --status customer` for those who bought again)")
SEVERAL_ADDRESSES = ("row gives several e-mail addresses (a, b): the first is the e-mail, the cell is kept in extra",
                     "rows give several e-mail addresses (a, b): the first of each is the e-mail, the cell is kept in"
                     " extra")
SEVERAL_COMPANIES = ("row names several companies (a;b): the first is linked, the cell is kept in extra",
                     "rows name several companies (a;b): the first of each is linked, the cell is kept in extra")
SEVERAL_DEALS = ("row names several deals (a;b): the first is linked, the cell is kept in extra",
                 "rows name several deals (a;b): the first of each is linked, the cell is kept in extra")
SEVERAL_CONTACTS = ("row names several contacts (a;b): the first is linked, the cell is kept in extra",
                    "rows name several contacts (a;b): the first of each is linked, the cell is kept in extra")
MERGED_ROW = ("row describes a record merged into another since (company merge / contact merge): left as it is",
              "rows describe records merged into others since (company merge / contact merge): left as they are")
CLOSED_AHEAD = ("won/lost deal has a close date after today (imported as it is: check the file's dates, or --today)",
                "won/lost deals have a close date after today (imported as they are: check the file's dates, or"
                " --today)")
CLOSED_NOW = ("open deal the file closes keeps the close date it had, or one after today: won/lost today, as"
              " `deal won` dates it (a won_at/lost_at column, or a new close date, gives another day)",
              "open deals the file closes keep the close dates they had, or ones after today: won/lost today, as"
              " `deal won` dates them (a won_at/lost_at column, or a new close date, gives other days)")
DONE_NOW = ("done task is due after today: done today, as `task done` dates it (a done_at column gives another day)",
            "done tasks are due after today: done today, as `task done` dates them (a done_at column gives other"
            " days)")
ACTIVITY_AHEAD = ("activity is dated after today (planned?): imported as it is, without moving the last activity of"
                  " its deal, contact or company ahead (check the file's dates, or --today)",
                  "activities are dated after today (planned?): imported as they are, without moving the last"
                  " activity of their deals, contacts or companies ahead (check the file's dates, or --today)")
ZERO_PROBABILITY = ("open deal comes with a probability of 0 (its stage's is higher): it weighs nothing in the"
                    " weighted forecast (deal edit --probability, or drop the file's probability column)",
                    "open deals come with a probability of 0 (their stages' are higher): they weigh nothing in the"
                    " weighted forecast (deal edit --probability, or drop the file's probability column)")
STAGE_DECIDES = ("row's stage was changed and its status left as it was: the stage decides (the deal's status,"
                 " close date and forecast category follow it)",
                 "rows' stages were changed and their statuses left as they were: the stages decide (the deals'"
                 " statuses, close dates and forecast categories follow them)")
MOVED_BACK = ("existing deal is moved back a stage or reopened by the file (an older export?): `import undo` takes it"
              " back", "existing deals are moved back a stage or reopened by the file (an older export?): `import undo`"
              " takes them back")
#: An existing deal whose stage_history cell is not its history: the history is kept (it only grows by moves).
HISTORY_KEPT = ("existing deal's stage history differs from its stage_history cell: kept as it is"
                " (history only grows by stage changes)",
                "existing deals' stage histories differ from their stage_history cells: kept as they are"
                " (history only grows by stage changes)")
ACTIVITY_KINDS = ("call", "email", "meeting", "note", "task")
CONTACT_STATUSES = ("lead", "prospect", "customer", "churned")
DONE_WORDS = frozenset({"done", "completed", "complete", "closed", "finished", "yes", "y", "true", "1", "x", "✓"})
NOT_DONE_WORDS = frozenset({"not started", "open", "in progress", "waiting on someone else", "deferred",
                            "pending", "to do", "todo", "no", "n", "false", "0", "", "not done", "undone",
                            "incomplete", "-", "✗", "✘"})
RECURRING = {"none": "none", "no": "none", "one-off": "none", "once": "none", "month": "month", "monthly": "month",
             "mrr": "month", "year": "year", "yearly": "year", "annual": "year", "annually": "year", "arr": "year"}
LOST_CATEGORIES = ("competitor", "no_decision", "disqualified", "price", "timing", "other")


class RowError(Exception):
    """One bad row: where (line, column), what (value) and why."""

    def __init__(self, column: str | None, value: str | None, reason: str, line: int = 0) -> None:
        super().__init__(reason)
        self.column = column
        self.value = value
        self.reason = reason
        self.line = line

    def text(self, file_name: str) -> str:
        where = f"{file_name}:{self.line}: "
        if self.column is not None and self.value is not None:
            return f'{where}{self.column} "{_short(self.value)}" {self.reason}'
        if self.column is not None:
            return f"{where}{self.column}: {self.reason}"
        return where + self.reason

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "column": self.column, "value": self.value, "reason": self.reason}


class _StageConflict(RowError):
    """A stage cell and a status cell that disagree, in salescli's own export (the planner may settle it)."""

    def __init__(self, info: Any, column: str | None, value: str | None, reason: str, line: int) -> None:
        super().__init__(column, value, reason, line)
        self.info = info


#: A read row: (line, cells, field values or the error that refused it, extra columns).
ChunkRow = tuple[int, list[str], "dict[str, Any] | RowError", "dict[str, str] | None"]


def _short(text: str, limit: int = 80) -> str:
    text = text.replace("\n", "\\n").replace("\r", "\\r")
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class ImportOptions:
    """Everything an import needs besides the file: what, how strictly, relative to which day."""

    entity: str
    today: date
    spec: MapSpec = field(default_factory=MapSpec)
    day_first: bool | None = None
    decimal_comma: bool | None = None  # None: the map file's, else a decimal point
    on_duplicate: str = "update"  # update | skip | error
    on_error: str = "abort"  # abort | skip
    rejects: str | None = None
    dry_run: bool = False
    create_missing: bool = True
    create_stages: bool = False
    pipeline: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    by_id: bool = False  # --by-id: rows of salescli's own export update the records their id names


@dataclass
class Tally:
    """What happened to the rows (and to the related records a row made)."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    rejected: int = 0
    related: Counter[str] = field(default_factory=Counter)
    related_first: dict[str, tuple[int, str]] = field(default_factory=dict)  # kind -> (line, name) of the first
    errors: list[RowError] = field(default_factory=list)
    unknown_stages: Counter[tuple[str, str]] = field(default_factory=Counter)
    ambiguous: dict[str, list[int]] = field(default_factory=dict)  # column -> lines with day/month dates
    ambiguous_count: Counter[str] = field(default_factory=Counter)
    stages_created: list[str] = field(default_factory=list)
    stage_guesses: int = 0  # open stages made with the lowest probability of their pipeline (nothing said theirs)
    pipelines_created: list[str] = field(default_factory=list)
    new_users: list[str] = field(default_factory=list)  # owners first met in the file (made users)
    notes: Counter[tuple[str, str]] = field(default_factory=Counter)  # (singular, plural) -> rows
    owner_sources: dict[str, str] = field(default_factory=dict)  # an owner a value map gave -> the file's value

    def note_lines(self) -> list[str]:
        """The notes on imported rows, each with its count: "2 won/lost deals closed before …"."""
        return [f"{n} {one if n == 1 else many}" for (one, many), n in self.notes.items()]

    def error(self, err: RowError) -> None:
        self.rejected += 1
        if len(self.errors) < MAX_ERRORS_SHOWN:
            self.errors.append(err)


# -- reading cells --------------------------------------------------------------------------------
_ISO_TS_RE = re.compile(
    r"([0-9]{4}-[0-9]{2}-[0-9]{2})[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:[.,][0-9]{1,9})?)?"
    r"\s*(?:Z|z|UTC|[+-][0-9]{2}(?::?[0-9]{2})?)?"
)
_SERIAL_RE = re.compile(r"[0-9]{5}(?:\.[0-9]+)?")
_NUMERIC_DATE_RE = re.compile(r"([0-9]{1,2})[/.-]([0-9]{1,2})[/.-][0-9]{2,4}\b")
_PLAIN_AMOUNT_RE = re.compile(r"([0-9]{1,13})(?:\.([0-9]{1,3}))?")
_COMMA_AMOUNT_RE = re.compile(r"([0-9]{1,13})(?:,([0-9]{1,3}))?")  # with --decimal-comma


class CellParsers:
    """Turn cell text into field values, with the CLI's parsers behind fast paths."""

    def __init__(self, today: date, day_first: bool | None, date_format: str | None) -> None:
        self.today = today
        self.day_first = day_first
        self.date_format = date_format
        # without --day-first/--month-first: the first date that only reads one way, and that way, per separator
        # (31.12.2026 is German, 12/31/2026 American: one file may hold both)
        self.first_written: dict[str, tuple[str, str]] = {}

    def to_date(self, text: str) -> str:
        if len(text) == 10 and text[4] == "-" and text[7] == "-":
            try:
                d = date.fromisoformat(text)
            except ValueError:
                d = None
            if d is not None and 1900 <= d.year <= 2200:
                return text
        return self._slow_date(text).isoformat()

    def _slow_date(self, text: str) -> date:
        from salescli.values import excel_serial_to_date, parse_date_or_datetime

        if self.date_format:
            try:
                return datetime.strptime(text, self.date_format).date()
            except ValueError as exc:
                if "out of range" in str(exc) or "must be in" in str(exc):  # the form fits, the day does not exist
                    raise InvalidValue(None, text, "is not a valid date") from None
                from salescli.values import date_and_time

                split = date_and_time(text)  # "01.12.2026 14:22" in a "%d.%m.%Y" file: its day
                if split is not None and split[0] != text:
                    return self._slow_date(split[0])
                if not _SERIAL_RE.fullmatch(text):
                    # the file says how its dates are written: another form is a mistake, not a guess
                    raise InvalidValue(None, text, f"does not match the date format {self.date_format}") from None
        if _SERIAL_RE.fullmatch(text):
            return excel_serial_to_date(text)
        if self.day_first is not None:
            m = _NUMERIC_DATE_RE.match(text)
            if m and int(m.group(2 if self.day_first else 1)) > 12 >= int(m.group(1 if self.day_first else 2)):
                # 13/04/2026 read month first: a column of such dates is day first, and its 03/04/2026
                # would have been misread; refuse instead of reading one column two ways
                written, read = ("month", "day") if self.day_first else ("day", "month")
                raise InvalidValue(None, text, f"is written {written} first, but dates are read {read} first"
                                   f" here; use --{written}-first if the file writes them so")
        else:
            m = _NUMERIC_DATE_RE.match(text)
            if m and (int(m.group(1)) > 12) != (int(m.group(2)) > 12):
                # 13/04/2026 can only be day first, 04/30/2026 month first: one file writing both (two exports
                # pasted together) would be read two ways, and its 03/04/2026 either
                written = "day" if int(m.group(1)) > 12 else "month"
                first = self.first_written.setdefault(text[len(m.group(1))], (written, text))
                if first[0] != written:
                    raise InvalidValue(None, text, f"is written {written} first, but {first[1]} in this file is"
                                       f" {first[0]} first; say how the file writes its dates with --day-first or"
                                       " --month-first")
        return parse_date_or_datetime(text, self.today, self.day_first)

    def to_timestamp(self, text: str) -> str:
        """'YYYY-MM-DDTHH:MM:SS' as written (a zone is not converted); a bare date is midnight."""
        m = _ISO_TS_RE.fullmatch(text)
        if m:
            day, hour, minute, second = m.group(1), m.group(2), m.group(3), m.group(4) or "00"
            try:
                datetime(int(day[:4]), int(day[5:7]), int(day[8:10]), int(hour), int(minute), int(second))
            except ValueError:
                raise InvalidValue(None, text, "is not a valid date and time") from None
            self.to_date(day)  # range check
            return f"{day}T{hour}:{minute}:{second}"
        if "." in text and _SERIAL_RE.fullmatch(text):  # a spreadsheet serial with its time of day
            from salescli.values import excel_serial_to_datetime

            return excel_serial_to_datetime(text).isoformat(timespec="seconds")
        if self.date_format and ("%H" in self.date_format or "%I" in self.date_format):
            try:
                return datetime.strptime(text, self.date_format).replace(tzinfo=None).isoformat(timespec="seconds")
            except ValueError:
                pass
        if self.date_format:  # a date format without a time ("%d.%m.%Y"): its dates may still carry one
            from salescli.values import date_and_time

            split = date_and_time(text)
            if split is not None:
                written, (hour, minute, second) = split
                return f"{self.to_date(written)}T{hour:02d}:{minute:02d}:{second:02d}"
        day = self.to_date(text)
        if not self.date_format:
            from salescli.values import time_of_day

            clock = time_of_day(text)  # a spreadsheet's "12/15/2025 2:30 PM" keeps its time, as ISO text does
            if clock is not None:
                return f"{day}T{clock[0]:02d}:{clock[1]:02d}:{clock[2]:02d}"
        return day + "T00:00:00"

    def to_when(self, text: str) -> str:
        """A date or a timestamp, kept in the form it was written (stage_entered_at, last_activity_at)."""
        if len(text) == 10:
            return self.to_date(text)
        if _ISO_TS_RE.fullmatch(text):
            return self.to_timestamp(text)
        return self.to_date(text)


def parse_amount(text: str, currency: str | None, default_currency: str,
                 decimal_comma: bool = False) -> tuple[int, str]:
    """(minor units, currency): the text's own currency, else the row's, else the default."""
    from salescli.values import currency_decimals, parse_money, parse_money_in

    m = (_COMMA_AMOUNT_RE if decimal_comma else _PLAIN_AMOUNT_RE).fullmatch(text)
    if m:
        code = currency or default_currency
        decimals = currency_decimals(code)
        whole, fraction = m.group(1), (m.group(2) or "").rstrip("0")
        ambiguous = len(m.group(2) or "") == 3 and decimals < 3 and len(whole) <= 3 and whole[0] != "0"
        if len(fraction) <= decimals and not ambiguous:  # (1.500: parse_money says why it is refused)
            return int(whole) * 10**decimals + int((fraction + "0" * decimals)[:decimals] or "0"), code
    if currency:
        money = parse_money(text, currency, decimal_comma=decimal_comma)
        return money.minor, currency
    return parse_money_in(text, default_currency, decimal_comma=decimal_comma)


# characters that show nothing: a zero-width space or joiner, a word joiner, a BOM, a soft hyphen (pasted from web
# pages and chat): at either end of a cell they are no part of its value ("1200\u200b" is 1200)
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad"


def _strip_invisible(text: str) -> str:
    while True:
        cut = text.strip(_INVISIBLE).strip()
        if cut == text:
            return cut
        text = cut


def _header_currency(header: str) -> str | None:
    """The currency a column's header names: "Amount (EUR)", "Deal value in GBP", "Betrag €"; None if none."""
    from salescli.values import _SYMBOLS, ISO_CURRENCIES

    codes = {code for code in re.findall(r"(?<![A-Za-z])[A-Z]{3}(?![A-Za-z])", header)
             if code in ISO_CURRENCIES and code not in ("ALL", "TOP")}  # (words in capitals too)
    codes |= {_SYMBOLS[ch] for ch in "€£¥₹₩" if ch in header}
    return codes.pop() if len(codes) == 1 else None


def _unwrapped(text: str) -> str:
    """="0123", the way a file keeps a leading zero in Excel: 0123 (any other text as it is)."""
    if text[:2] == '="' and len(text) > 3 and text[-1] == '"' and '"' not in text[2:-1]:
        return text[2:-1]
    return text


# an activity's kind as people write it (salescli itself says "e-mail")
_KIND_WORDS = {"e-mail": "email", "mail": "email", "phone call": "call", "phone": "call", "todo": "task",
               "to-do": "task", "to do": "task"}


class RowReader:
    """Cells -> (field values, extra) for one mapping; a bad cell raises RowError naming its column."""

    def __init__(self, mapping: Mapping, spec: MapSpec, parsers: CellParsers, tally: Tally, file_name: str) -> None:
        from salescli.models import normalize_domain, normalize_email
        from salescli.values import parse_bool, parse_probability, parse_tags

        self.mapping = mapping
        self.tally = tally
        self.width = len(mapping.header)
        specs = FIELDS[mapping.entity]
        self.date_names = {name for name, f in specs.items() if f.kind in ("date", "timestamp", "when")}
        self.serial_notes: dict[str, tuple[str, str]] = {}

        def checked(fn: Callable[[str], Any]) -> Callable[[str], Any]:
            def run(value: str) -> Any:
                try:
                    return fn(value)
                except ValueError as exc:  # normalize_email / normalize_domain raise ValueError
                    raise InvalidValue(None, value, str(exc)) from None
            return run

        kinds: dict[str, Callable[[str], Any]] = {
            "date": _memo(parsers.to_date),
            "timestamp": _memo(parsers.to_timestamp),
            "when": _memo(parsers.to_when),
            "probability": _memo(parse_probability),
            "bool": _memo(parse_bool),
            "tags": parse_tags,
            "email": _memo(checked(normalize_email)),
            "domain": _memo(checked(normalize_domain)),
            "lower": _memo(lambda v: " ".join(v.lower().split())),
            "currency": _memo(_currency),
        }
        # (column index, field, column name, converter or None for text, value map, longest text)
        self.columns: list[tuple[int, str, str, Callable[[str], Any] | None, dict[str, str] | None, int]] = []
        for name, index in mapping.fields.items():
            spec_f = specs[name]
            self.columns.append((index, name, mapping.header[index], kinds.get(spec_f.kind), spec.values.get(name),
                                 spec_f.max_length))
        self.extra = mapping.extra
        # numbers, dates and flags (no text of them starts with an apostrophe: there it is a spreadsheet's mark)
        self.typed = frozenset(n for n in mapping.fields
                               if specs[n].kind in ("money", "probability", "date", "timestamp", "when", "bool"))
        self.several_addresses: dict[str, str] = {}  # column -> a cell of several e-mail addresses (this row)
        self.list_fields = frozenset(n for n in mapping.fields if specs[n].kind in ("tags", "history"))
        self.export_id = mapping.export_id
        self.export_refs = list(mapping.export_refs.items())
        self.derived: list[tuple[str, str, list[tuple[str, int]], Callable[[str], Any] | None,
                                 dict[str, str] | None, int]] = []
        for name, template in spec.derive.items():
            spec_f = specs[name]
            try:
                placeholders = template_columns(template, mapping.header, f"{file_name}: derive.{name}")
            except ImportRejected:
                if name in mapping.fields:
                    continue  # only a fallback for the column's empty cells: a file without its columns needs none
                raise
            self.derived.append((name, template, placeholders, kinds.get(spec_f.kind), spec.values.get(name),
                                 spec_f.max_length))
        self.defaults: list[tuple[str, str, Callable[[str], Any] | None, dict[str, str] | None, int]] = []
        for name, text in spec.defaults.items():
            spec_f = specs[name]
            self.defaults.append((name, text, kinds.get(spec_f.kind), spec.values.get(name), spec_f.max_length))

    def _note_serial(self, column: str, text: str, value: Any) -> None:
        """A number read as a spreadsheet's day number is said, with the first one as it was read: a column of
        ids or zip codes mapped to a date would otherwise become dates of 1955 without a word. (A number the
        map file's date_format read, "11226" as %d%m%y, is no day number.)"""
        from salescli.values import excel_serial_to_date

        try:
            if excel_serial_to_date(text).isoformat() != str(value)[:10]:
                return
        except InvalidValue:
            return
        key = self.serial_notes.get(column)
        if key is None:
            read = f"{text} read as {str(value)[:10]}"
            key = self.serial_notes[column] = (
                f'date in column "{column}" was a spreadsheet day number ({read}); if the column holds no dates,'
                " map it elsewhere (--map)",
                f'dates in column "{column}" were spreadsheet day numbers (the first: {read}); if the column holds'
                " no dates, map it elsewhere (--map)")
        self.tally.notes[key] += 1

    def read(self, line: int, cells: list[str]) -> tuple[Row, dict[str, str] | None]:
        if isinstance(cells, BadRecord):  # a JSON-lines record that is not JSON
            raise RowError(None, None, cells.reason, line)
        first = cells[0] if cells else ""
        if not first.strip() or first.strip().lower().rstrip(":") in _TOTAL_WORDS:  # (fast: a cell, mostly)
            _check_not_a_totals_row(cells, line)
        n = len(cells)
        if n != self.width:
            if n < self.width:
                raise RowError(None, None, f"has {n} cell{'s' if n != 1 else ''} but the header has {self.width}"
                               " (ragged row: a delimiter inside an unquoted field, or a missing cell?)", line)
            past = next((i for i in range(self.width, n) if cells[i].strip()), None)
            if past is not None:  # (a header's trailing empty cells are no columns: a value under one is ragged)
                raise RowError(None, None, f'has a value in column {past + 1} ("{cells[past].strip()[:40]}") but'
                               f" the header names {self.width} column{'s' if self.width != 1 else ''} (ragged"
                               " row: a delimiter inside an unquoted field?)", line)
        values: Row = {}
        self.several_addresses = {}
        for index, name, column, convert, vmap, longest in self.columns:
            raw = cells[index]
            if not raw:
                continue
            if type(raw) is JsonValue and name not in self.list_fields:
                raise RowError(column, raw, "is a JSON list or object, where one value is expected", line)
            text = raw.strip()
            if not text.isascii():
                text = _strip_invisible(text)
            if not text:
                continue
            if text[0] == "'":
                restored = restore_cell(text)  # (salescli's own export: '=..., '-5, '' for a value starting so)
                if name in self.typed and restored == text:  # a spreadsheet's text mark: '1200, '2026-01-05
                    restored = text[1:].strip()
                    if not restored:
                        continue
                text = restored
            elif text[0] == "=":
                text = _unwrapped(text)
                if not text:
                    continue
            if vmap is not None:
                mapped = vmap.get(text.casefold())
                if mapped is not None and name == "owner":  # (a slip's note names the file's value)
                    self.tally.owner_sources[mapped.strip()] = text
                text = (mapped if mapped is not None else text).strip()
                if not text:
                    continue
            if convert is None:
                if not text.isprintable() and name not in MULTI_LINE:  # (line breaks are not printable)
                    text = one_line(text)  # a name or title on one line, as the commands keep it
                if len(text) > longest:
                    raise RowError(column, text, f"is too long (at most {longest:,} characters)", line)
                values[name] = text
            else:
                try:
                    values[name] = convert(text)
                except InvalidValue as exc:
                    flag = text.casefold()
                    if name in ("done_at", "done") and (flag in DONE_WORDS or flag in NOT_DONE_WORDS):
                        values["_done"] = flag in DONE_WORDS  # Completed: Yes/No (a status column decides first)
                        continue
                    address = self._first_of_addresses(name, text, convert)
                    if address is None:
                        raise self._error(exc, column, text, line) from None
                    values[name] = address  # (the whole cell kept in extra below)
                    self.several_addresses[column] = text
                if name in self.date_names and (len(text) == 5 or text[5:6] == ".") and _SERIAL_RE.fullmatch(text):
                    self._note_serial(column, text, values[name])
        if self.export_id is not None and cells[self.export_id].strip():
            values["_export_id"] = cells[self.export_id].strip()  # (plan_one takes it out: row_export_id)
        for hint, index in self.export_refs:
            if cells[index].strip():
                values[hint] = cells[index].strip()
        if self.derived:
            self._derive(line, cells, values)
        for name, text, convert, vmap, _longest in self.defaults:
            if name not in values:
                if vmap is not None:
                    text = vmap.get(text.casefold(), text).strip()
                try:
                    values[name] = convert(text) if convert else text
                except InvalidValue as exc:
                    raise self._error(exc, f"defaults.{name}", text, line) from None
        extra: dict[str, str] | None = None
        for index, key in self.extra:
            raw = cells[index] if index < n else ""
            if raw and raw.strip():
                if extra is None:
                    extra = {}
                cell = raw.strip()
                extra[key] = restore_cell(cell) if cell[0] == "'" else _unwrapped(cell)  # ('="x": the text ="x")
        named = values.get("contact_name")
        if named is not None and "@" in named and " " not in named.strip() and (
                values.get("contact") or named).casefold() == named.casefold():  # an address where a name goes
            values["contact"] = values.pop("contact_name")  # ("Contact" beside an empty "Email" column)
        contact = values.get("contact")
        if contact is not None and "@" in contact:
            parts = contact.split(",") if "," in contact and ";" not in contact else []
            if len(parts) > 1 and all("@" in p for p in parts):  # Pipedrive's "a@x.com, b@y.com": one person's
                self.tally.notes[SEVERAL_ADDRESSES] += 1
                extra = self._named_address(values, parts[0], extra)
                extra = {**(extra or {}), self.mapping.column_of("contact"): contact}
            elif contact[-1] in ")>" or ";" in contact:
                extra = self._named_address(values, contact, extra)
        if self.several_addresses:
            extra = {**(extra or {}), **self.several_addresses}
        return values, extra

    def _first_of_addresses(self, name: str, text: str, convert: Any) -> str | None:
        """A person's e-mail cell of several addresses ("a@x.com, b@x.com", as Pipedrive writes them): the first,
        when every one is an address (the whole cell is kept in extra, and said)."""
        if name != "email" or not re.search(r"[,;]", text):
            return None
        parts = [p.strip() for p in re.split(r"[,;]", text) if p.strip()]
        try:
            addresses = [convert(p) for p in parts]
        except InvalidValue:
            return None
        if len(addresses) < 2:
            return None
        self.tally.notes[SEVERAL_ADDRESSES] += 1
        return str(addresses[0])

    def _named_address(self, values: Row, cell: str, extra: dict[str, str] | None) -> dict[str, str] | None:
        """HubSpot's associated contacts, "Jane Doe (jane@x.com);Bob Roe (bob@x.com)": the first one's e-mail is
        the contact, and its name the new contact's name (the whole cell kept in extra when it names more)."""
        first, _, rest = cell.partition(";")
        m = _NAMED_ADDRESS_RE.fullmatch(first.strip())
        if m is not None:
            values["contact"] = m.group(2)
            if m.group(1) and not values.get("contact_name"):
                values["contact_name"] = m.group(1)
        elif first.strip():
            values["contact"] = first.strip()
        if rest.strip():
            self.tally.notes[SEVERAL_CONTACTS] += 1
            extra = {**(extra or {}), self.mapping.column_of("contact"): cell}
        return extra

    def _derive(self, line: int, cells: list[str], values: Row) -> None:
        for name, template, placeholders, convert, vmap, longest in self.derived:
            if name in values:
                continue
            filled = fill_template(template, {p: restore_cell(cells[i].strip()) for p, i in placeholders})
            if vmap is not None:
                filled = vmap.get(filled.casefold(), filled).strip()
            if not filled:
                continue
            if convert is None and len(filled) > longest:
                raise RowError(f"derive.{name}", filled, f"is too long (at most {longest:,} characters)", line)
            # (a template of one column is that column to the user: its errors name it)
            column = (self.mapping.header[placeholders[0][1]] if len(placeholders) == 1
                      and template.strip() == "{" + placeholders[0][0] + "}" else f"derive.{name}")
            try:
                values[name] = convert(filled) if convert else filled
            except InvalidValue as exc:
                address = self._first_of_addresses(name, filled, convert)
                if address is None:
                    raise self._error(exc, column, filled, line) from None
                values[name] = address
                self.several_addresses[column] = filled

    def _error(self, exc: InvalidValue, column: str, text: str, line: int) -> RowError:
        if exc.reason.startswith("is ambiguous"):
            lines = self.tally.ambiguous.setdefault(column, [])
            if len(lines) < 10:
                lines.append(line)
            self.tally.ambiguous_count[column] += 1
        return RowError(column, text, exc.reason, line)


def _memo(fn: Callable[[str], Any], size: int = 20_000) -> Callable[[str], Any]:
    """Remember the values of a parser (cells repeat: dates, currencies, stages, e-mails)."""
    cache: dict[str, Any] = {}

    def run(text: str) -> Any:
        value = cache.get(text)
        if value is None:
            value = fn(text)
            if len(cache) < size:
                cache[text] = value
        return value

    return run


def _currency(text: str) -> str:
    from salescli.values import parse_currency

    return parse_currency(text)


# -- stage history cells --------------------------------------------------------------------------
class HistoryEntry(NamedTuple):
    """One entry of a stage_history cell: a stage the deal entered, when, by whom (None: the importing
    user), the stage's pipeline when not the deal's own (None), the note and whether it was forced."""

    stage: str
    when: str
    by: str | None
    pipeline: str | None
    note: str | None
    forced: int


_HISTORY_WHEN_RE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2}))?)?")
_HISTORY_DETAILS = ("pipeline", "note", "forced")
HISTORY_FORM = '[["STAGE", "DATE", "BY", {"pipeline": …, "note": …, "forced": true}], …]'


#: The history dates read so far (text -> as stored): dates repeat, as _memo's cells do.
_HISTORY_WHENS: dict[str, str] = {}


def _history_when(text: object) -> str | None:
    """YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS (a space and no seconds are read too), as history stores it."""
    if not isinstance(text, str):
        return None
    known = _HISTORY_WHENS.get(text)
    if known is not None:
        return known
    when = _read_history_when(text)
    if when is not None and len(_HISTORY_WHENS) < 100_000:
        _HISTORY_WHENS[text] = when
    return when


def _read_history_when(text: str) -> str | None:
    m = _HISTORY_WHEN_RE.fullmatch(text.strip())
    if m is None:
        return None
    year, month, day, hour, minute, second = m.groups()
    try:
        datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0))
    except ValueError:
        return None
    if not 1900 <= int(year) <= 2200:
        return None
    if hour is None:
        return f"{year}-{month}-{day}"
    return f"{year}-{month}-{day}T{hour}:{minute}:{second or '00'}"


class HistoryCell(NamedTuple):
    """A stage_history cell: its text (for messages) and its entries, in order."""

    text: str
    entries: tuple[HistoryEntry, ...]


def parse_history(text: str) -> HistoryCell:
    """A stage_history cell (salescli's export: a JSON array of [stage, when, by] entries, in order, with
    an object of details when there are any) -> its entries. What needs no database is checked here (the
    form, the dates and their order); the planner resolves the stages."""
    try:
        data = json.loads(text)
    except RecursionError:  # [[[[… thousands deep
        raise InvalidValue(None, text, f"is nested too deeply to be a stage history; expected {HISTORY_FORM}") from None
    except ValueError as exc:
        reason = f"{exc.msg} at character {exc.pos + 1}" if isinstance(exc, json.JSONDecodeError) else str(exc)
        raise InvalidValue(None, text, f"is not valid JSON ({reason}); expected {HISTORY_FORM}") from None
    if not isinstance(data, list) or not data:
        raise InvalidValue(None, text, f"is not a list of stage entries {HISTORY_FORM}")
    entries: list[HistoryEntry] = []
    previous = ""
    known = _HISTORY_WHENS
    for n, item in enumerate(data, 1):
        # the fast path: an exported entry [stage, when, by] with a date already seen (a million rows)
        if type(item) is list and len(item) == 3:
            stage, when_text, by = item
            when = known.get(when_text) if type(when_text) is str else None
            if when is not None and type(stage) is str and type(by) is str and 0 < len(by) <= 200 \
                    and stage and stage == stage.strip() and by == by.strip():
                entries.append(HistoryEntry(stage, when, by, None, None, 0))
            else:
                entries.append(_history_entry(text, n, item))
        else:
            entries.append(_history_entry(text, n, item))
        day = entries[-1].when[:10]
        if day < previous:
            raise InvalidValue(None, text, f"entry {n}: {entries[-1].when} is before entry {n - 1}"
                               f" ({entries[-2].when}); stage history runs forward")
        previous = day
    return HistoryCell(text, tuple(entries))


def _history_entry(text: str, n: int, item: Any) -> HistoryEntry:
    def bad(reason: str) -> InvalidValue:
        return InvalidValue(None, text, f"entry {n}: {reason}")

    if not isinstance(item, list) or not 2 <= len(item) <= 4:
        raise bad(f"{_short(json.dumps(item, ensure_ascii=False), 40)} is not [stage, date, by, {{details}}]")
    stage, when_text, *rest = item
    if not isinstance(stage, str) or not stage.strip():
        raise bad(f"the stage {json.dumps(stage, ensure_ascii=False)} is not a stage name")
    when = _history_when(when_text)
    if when is None:
        raise bad(f"{json.dumps(when_text, ensure_ascii=False)} is not a date (YYYY-MM-DD)"
                  " or a date and time (YYYY-MM-DDTHH:MM:SS)")
    details: dict[str, Any] = {}
    by: str | None = None
    if rest and isinstance(rest[-1], dict):
        details = rest.pop()
    if len(rest) > 1 or (rest and rest[0] is not None and (not isinstance(rest[0], str) or not rest[0].strip())):
        raise bad(f"who moved it ({json.dumps(rest[0], ensure_ascii=False)}) is not a user name")
    if rest and rest[0] is not None:
        by = rest[0].strip()
        if len(by) > 200:
            raise bad("the user name is too long (at most 200 characters)")
    unknown = [k for k in details if k not in _HISTORY_DETAILS]
    if unknown:
        raise bad(f'"{unknown[0]}" is not one of {", ".join(_HISTORY_DETAILS)}')
    pipeline, note, forced = details.get("pipeline"), details.get("note"), details.get("forced", False)
    if pipeline is not None and (not isinstance(pipeline, str) or not pipeline.strip()):
        raise bad(f"the pipeline {json.dumps(pipeline, ensure_ascii=False)} is not a pipeline name")
    if note is not None and not isinstance(note, str):
        raise bad(f"the note {json.dumps(note, ensure_ascii=False)} is not text")
    if note is not None and len(note) > 10_000:
        raise bad("the note is too long (at most 10,000 characters)")
    if not isinstance(forced, bool):
        raise bad(f"forced {json.dumps(forced)} is not true or false")
    return HistoryEntry(stage.strip(), when, by, pipeline.strip() if pipeline else None, note, int(forced))


# -- relations ---------------------------------------------------------------------------------------
def nocase(text: str) -> str:
    """The key a deal title is matched by, as SQLite's NOCASE compares (ASCII letters only, spacing exact):
    titles are looked up in the database by its NOCASE index, so a file's own duplicates are told the same way."""
    return text.lower() if text.isascii() else text.encode("utf-8").lower().decode("utf-8")


@dataclass
class Relations:
    """In-memory indexes of companies, contacts and users, kept up to date as the import adds them."""

    company_by_ext: dict[str, int] = field(default_factory=dict)
    company_by_domain: dict[str, int] = field(default_factory=dict)
    company_by_name: dict[str, list[int]] = field(default_factory=dict)
    company_names: dict[int, str] = field(default_factory=dict)
    company_domains: dict[int, str | None] = field(default_factory=dict)
    contact_by_ext: dict[str, int] = field(default_factory=dict)
    contact_by_email: dict[str, int] = field(default_factory=dict)
    contact_by_name: dict[str, list[int]] = field(default_factory=dict)
    contact_company: dict[int, int | None] = field(default_factory=dict)
    contact_labels: dict[int, str] = field(default_factory=dict)
    company_exts: dict[int, str | None] = field(default_factory=dict)
    contact_emails: dict[int, str | None] = field(default_factory=dict)
    contact_exts: dict[int, str | None] = field(default_factory=dict)
    users: dict[str, str] = field(default_factory=dict)  # folded name -> the user's spelling
    # the keys of duplicates merged away (`company merge`): ("company"|"contact", "ext"|"domain"|"name"|"email",
    # key) -> the record kept, so a re-import of the source finds it instead of making the duplicate again
    merged: dict[tuple[str, str, str], int] = field(default_factory=dict)
    former_names: dict[str, set[int]] = field(default_factory=dict)  # a company's folded former name -> its ids
    heirs: dict[str, str] = field(default_factory=dict)  # a removed user's folded name or e-mail -> their heir
    company_loose: dict[str, str] | None = None  # loose name -> a company's spelling (built on first creation)
    company_core: dict[str, str] | None = None  # the same without a legal form (Acme Inc -> acme)

    def loose_twin(self, name: str) -> tuple[str, bool] | None:
        """A company spelt like name but for case, accents, spaces or punctuation ("Acme Corp." beside "Acme
        Corp"), with False; else one whose name differs by a legal form ("Acme" beside "Acme Inc"), with True.
        name is remembered for the next one."""
        from salescli.values import LEGAL_FORMS, core_name_key, loose_key

        if self.company_loose is None or self.company_core is None:
            self.company_loose, self.company_core = {}, {}
            for known in self.company_names.values():
                self.company_loose.setdefault(loose_key(known), known)
                self.company_core.setdefault(core_name_key(known), known)
        twin = self.company_loose.setdefault(loose_key(name), name)
        if twin != name:
            return twin, False
        core = self.company_core.setdefault(core_name_key(name), name)
        if core == name:
            return None
        forms = [w[-1] for w in (re.findall(r"[^\W_]+", n.casefold()) for n in (name, core)) if w]
        if len(forms) == 2 and forms[0] != forms[1] and forms[0] in LEGAL_FORMS and forms[1] in LEGAL_FORMS:
            return None  # Zeta AB beside Zeta AG: two companies
        return core, True

    @classmethod
    def load(cls, writer: Writer, *, contacts: bool) -> Relations:
        rel = cls()
        for row in writer.store.import_company_keys():
            rel.add_company(row["id"], row["name"], row["domain"], row["external_id"])
        if contacts:
            for row in writer.store.import_contact_keys():
                rel.add_contact(row["id"], row["name"], row["email"], row["external_id"], row["company_id"])
        rel.users = writer.store.import_user_keys()
        rel._load_merges(writer.store.import_merges())
        rel.heirs = writer.store.user_heirs()
        for row in writer.store.import_former_company_names():
            rel.former_names.setdefault(fold(row["name"]), set()).add(row["id"])
        return rel

    def formerly_named(self, name: str) -> int | None:
        """The one company that had this name and has another now (renamed since: by `company edit`, or by a file
        that found it by its domain), or None."""
        ids = [i for i in self.former_names.get(fold(name), ()) if i in self.company_names
               and fold(self.company_names[i]) != fold(name)]
        return ids[0] if len(ids) == 1 else None

    def _load_merges(self, merges: list[Row]) -> None:
        into = {(m["entity"], m["entity_id"]): m["kept"] for m in merges}
        for m in merges:
            entity, kept, hops = m["entity"], m["kept"], 0
            while (entity, kept) in into and hops < 50:  # a chain of merges: where it ended
                kept, hops = into[(entity, kept)], hops + 1
            live = self.company_names if entity == "company" else self.contact_labels
            if kept not in live:
                continue  # merged into a record gone since (or contacts not loaded)
            try:
                keys = json.loads(m["before"] or "{}")
            except ValueError:
                continue
            wanted = (("ext", "external_id"), ("domain", "domain"), ("name", "name")) if entity == "company" \
                else (("ext", "external_id"), ("email", "email"))
            for kind, column in wanted:
                value = keys.get(column)
                if isinstance(value, str) and value:
                    self.merged.setdefault((entity, kind, fold(value) if kind == "name" else value), int(kept))
            if entity == "contact" and isinstance(keys.get("name"), str) and not keys.get("email"):  # (one without
                self.merged.setdefault((entity, "name_at", _name_at(keys["name"], keys.get("company_id"))),
                                       int(kept))  # an e-mail: by its name at its company, as found)

    def merged_into(self, entity: str, **keys: str | None) -> int | None:
        """The record kept for a duplicate merged away, found by one of its keys (ext, domain, name, email)."""
        for kind, value in keys.items():
            if value:
                kept = self.merged.get((entity, kind, fold(value) if kind == "name" else value))
                if kept is not None:
                    return kept
        return None

    def add_company(self, cid: int, name: str, domain: str | None, ext: str | None) -> None:
        self.company_by_name.setdefault(fold(name), []).append(cid)
        self.company_names[cid] = name
        self.company_domains[cid] = domain
        self.company_exts[cid] = ext
        if domain:
            self.company_by_domain[domain] = cid
        if ext:
            self.company_by_ext[ext] = cid

    def rename_company(self, cid: int, old: str, new: str) -> None:
        ids = self.company_by_name.get(fold(old), [])
        if cid in ids:
            ids.remove(cid)
        self.company_by_name.setdefault(fold(new), []).append(cid)
        self.company_names[cid] = new

    def add_contact(self, pid: int, name: str, email: str | None, ext: str | None, company_id: int | None) -> None:
        self.contact_by_name.setdefault(fold(name), []).append(pid)
        self.contact_company[pid] = company_id
        self.contact_labels[pid] = name + (f" <{email}>" if email else "")
        self.contact_emails[pid] = email
        self.contact_exts[pid] = ext
        if email:
            self.contact_by_email[email] = pid
        if ext:
            self.contact_by_ext[ext] = pid

    def ambiguous(self, kind: str, ref: str, ids: list[int], column: str) -> RowError:
        if kind == "company":
            listed = "; ".join(
                f"{i} {self.company_names[i]}"
                + (f" <{self.company_domains[i]}>" if self.company_domains.get(i) else "") for i in ids[:10])
        else:
            listed = "; ".join(f"{i} {self.contact_labels.get(i, '')}" for i in ids[:10])
        return RowError(column, ref, f"is ambiguous: {len(ids)} {'companies' if kind == 'company' else 'contacts'}"
                        f" match ({listed}); give a domain, e-mail or external id instead")


# -- planners ---------------------------------------------------------------------------------------
class Planner:
    """Decides, row by row, what an import does; subclasses know one entity."""

    entity = ""
    table = ""
    change_entity = ""

    def __init__(self, writer: Writer, options: ImportOptions, mapping: Mapping, tally: Tally,
                 file_name: str) -> None:
        self.writer = writer
        self.store = writer.store
        self.options = options
        self.mapping = mapping
        self.tally = tally
        self.file_name = file_name
        self.settings = self.store.settings()
        self.default_owner = None if "owner" in mapping.fields else writer.user
        self.relations = Relations()
        self.known_users: list[str] | None = None
        # names the file makes that look like others (said once per kind, with the first few, by near_notes)
        self.near: dict[str, list[tuple[str, str]]] = {
            "owner": [], "owner_file": [], "company": [], "team": [], "heir": [], "company_form": [],
            "company_domain": [], "named": []}
        self.new_owner_keys: dict[str, str] = {}  # a new full name with one letter dropped (or none) -> that name
        self.domain_decided: tuple[str, str] | None = None  # the note of rows whose domain and name disagree
        self.renamed_note: tuple[str, str] | None = None  # ... and of rows naming a company by a former name
        self.contact_renamed_note: tuple[str, str] | None = None  # ... a contact by a former e-mail or name
        self.renamed_contact_keys: set[tuple[Any, ...]] = set()  # (the references resolved so)
        self.renamed_contact: int | None = None  # (the one the reference being resolved found so)
        self.resolved_contacts: dict[tuple[Any, ...], int] = {}  # (external id, reference, company) -> id
        self.from_json = False  # the file is JSON (set by the import): its numbers were written as numbers
        self.row_export_id: str | None = None  # the row being planned: its id in salescli's own export
        # ... the links of the record it updates (its export's company_id, contact_id, deal_id naming those is
        # this database's export read back: those ids are this database's), see hinted
        self.row_links: dict[str, int | None] = {}
        self.row_record: tuple[tuple[str, int], Row] | None = None  # (see record)
        self.shared_created: set[str] | None = None  # created_at values of several records (see by_own_id)
        self.row_shared_id: int | None = None  # ... the record of the row's id, had its created_at been its own
        self.copy_note: tuple[str, str] | None = None  # ... and the note of rows made new records for it
        self.ids_kept: bool | None = None  # every record made kept its export id (None: none made so)
        self.export_ids: dict[int, str] = {}  # record created by this file -> its id in the export read
        # the row's amount is in a currency besides the base: rows by currency (each needs a rate for totals)
        self.row_foreign: str | None = None
        self.row_values: Row = {}  # the row being planned (for notes about what it creates)
        self.foreign: Counter[str] = Counter()
        # the columns a matched record keeps when the row's cell for them is empty (said in a note)
        self.kept_when_empty = [column for name, column in KEPT_WHEN_EMPTY.get(self.entity, ())
                                if name in mapping.fields]
        self.extra_keys = {extra_fold(key) for _, key in mapping.extra}  # ... and the extra keys the file has
        self.row_extra: dict[str, str] | None = None

    def col(self, name: str) -> str:
        return self.mapping.column_of(name)

    def by_export_id(self, ids: list[int], values: Row) -> list[int]:
        """Same-name candidates, told apart by the id of salescli's own export (row_export_id): not the ones
        another row of this file made (another id: another record), and this database's own one when the id
        and its created time agree (its export read back)."""
        export_id = self.row_export_id
        if export_id is None:
            return ids
        ids = [i for i in ids if self.export_ids.get(i, export_id) == export_id]
        if len(ids) > 1 and export_id.isdigit() and int(export_id) in ids and self.writer.current(
                self.table, int(export_id))["created_at"] == values.get("created_at"):
            ids = [int(export_id)]
        return ids

    def by_own_id(self, line: int, values: Row) -> int | None:
        """The record of this database the row's id (salescli's own export) names, whatever its title, name or
        e-mail now says (an edited export read back): with --by-id, always (an id this database does not have is
        the row's error: a new record would be a second copy of the one meant); without, when the row's
        created_at, to the second, is that record's too (an id alone may be another database's record; a
        midnight is no fingerprint: what --today or a file of dates gives every record of a day). None for a
        row without an id."""
        text = self.row_export_id
        if text is None:
            return None
        if not self.options.by_id:
            created = str(values.get("created_at") or "")
            if len(created) < 19 or not (text.isascii() and text.isdigit()) \
                    or self.writer.is_created(self.table, int(text)) or self.writer.was_touched(self.table, int(text)):
                return None  # (a row copied in the spreadsheet to add a record: the first one is the record)
            stored = self.store.one(f"SELECT created_at FROM {self.table} WHERE id = ?", (int(text),))
            if stored is None or str(stored["created_at"]) != created:
                return None
            if self.shared_created is None:  # times several records share (one import made them all in a
                self.shared_created = self.store.shared_created_times(self.table)  # second): no fingerprint
            if created.endswith("T00:00:00") or created in self.shared_created:
                self.row_shared_id = int(text)  # (said if the row makes a new record: keep_export_id)
                return None
            return int(text)
        if not (text.isascii() and text.isdigit()) or self.store.one(
                f"SELECT 1 FROM {self.table} WHERE id = ?", (int(text),)) is None:
            what = self.change_entity
            raise RowError("id", text, f"is not the id of a{'n' if what[0] in 'aeiou' else ''} {what} of this"
                           " database (--by-id updates the records an export's ids name)", line)
        return int(text)

    def keep_export_id(self, line: int) -> None:
        """The record this row creates keeps its id in salescli's own export when this database never had it
        (an export read into a new database: ids stay, and so do the links between the files). Whether every
        record the file made kept its id is recorded with the batch (`kept_ids`), for hinted. A row whose id and
        created_at are a record's here that other records share (see by_own_id) makes a new one: said, with
        --by-id."""
        text = self.row_export_id
        kept = text is not None and text.isascii() and text.isdigit() and self.writer.keep_id(self.table, int(text))
        self.ids_kept = kept and self.ids_kept is not False
        if self.row_shared_id is None:
            return
        what, rid = self.change_entity, self.row_shared_id
        if self.copy_note is None:
            self.copy_note = (
                f"row has the id and created_at of {what} {rid} here, a time that tells no record apart (a midnight,"
                f" or shared by records made together): a new {what} (line {line}; if it is that {what} edited,"
                " import the file with --by-id)",
                f"rows have the ids and created_at of records here, times that tell no record apart (midnights, or"
                f" shared by records made together): new records (the first, line {line}: {what} {rid}; if they are"
                " those records edited, import the file with --by-id)")
        self.tally.notes[self.copy_note] += 1

    def hinted(self, values: Row, hint: str, ids: list[int]) -> int | None:
        """Which of several same-name records (ids) the row means, by the id its salescli export gives for it
        (`company_id`...): that id among them, when an import that kept every id of its export made it (the
        export's ids are this database's). Any other record of that id may be another one of that name."""
        text = values.get(hint)
        if not (text and text.isascii() and text.isdigit() and int(text) in ids):
            return None
        if self.row_links.get(hint) == int(text):  # the record the row updates links it: this database's export
            return int(text)
        entity = {"_company_id": "company", "_contact_id": "contact", "_deal_id": "deal"}[hint]
        return int(text) if self.store.made_with_kept_ids(entity, int(text)) else None

    def linked_hint(self, values: Row, hint: str, ids: list[int]) -> int | None:
        """The record the export's id names among several of one name, before the row's company narrows them
        (a deal's contact may work at another company): only when the record the row updates links that very
        id, the export being this database's. (Ids kept from an export are not enough: another database's
        export names other records by the same numbers.)"""
        text = values.get(hint)
        if len(ids) > 1 and text and text.isascii() and text.isdigit() and int(text) in ids \
                and self.row_links.get(hint) == int(text):
            return int(text)
        return None

    def record(self, table: str, rid: int) -> Row:
        """The stored record a row matched, read once a row (link_hints may have read it first)."""
        if self.row_record is None or self.row_record[0] != (table, rid):
            self.row_record = ((table, rid), self.writer.current(table, rid))
        return self.row_record[1]

    def link_hints(self, current: Row) -> None:
        """The row updates this record: its export's ids of the record's company, contact and deal are this
        database's (hinted takes them among records of one name)."""
        self.row_links = {"_company_id": current.get("company_id"), "_contact_id": current.get("contact_id"),
                          "_deal_id": current.get("deal_id")}

    def made_for_export_id(self, record_id: int) -> None:
        """A record this file created, and the export id of its row (see by_export_id)."""
        if self.row_export_id is not None:
            self.export_ids[record_id] = self.row_export_id

    # each row: values -> outcome; RowError for a bad row
    def plan_row(self, line: int, values: Row, extra: dict[str, str] | None) -> str:
        raise NotImplementedError

    def plan_chunk(self, rows: list[ChunkRow]) -> None:
        """Plan a chunk of read rows (subclasses may look keys up for the whole chunk first)."""
        for line, cells, values, extra in rows:
            if isinstance(values, RowError):
                self.reject(values, cells)
            else:
                self.plan_one(line, cells, values, extra)

    def after_flush(self) -> None:
        """The chunk's new rows are in the database now (so lookups find them)."""

    def after_rows(self) -> None:
        """What an import does once every row is planned (nothing, unless the entity says)."""

    def plan_one(self, line: int, cells: list[str], values: Row, extra: dict[str, str] | None) -> None:
        # salescli's own export: the row's id there (two records of one name are two ids, not duplicates)
        self.row_export_id = values.pop("_export_id", None)
        self.row_shared_id = None
        self.row_links = {}
        self.row_record = None
        self.row_foreign = None
        company = values.get("company")
        if isinstance(company, str) and ";" in company and self.joined_companies:
            extra = self._first_company(values, company, extra)
        deal = values.get("deal") if self.entity == "activities" else None
        if isinstance(deal, str) and ";" in deal and loose_key(self.mapping.column_of("deal")).startswith(
                "associateddeal"):
            extra = self._first_deal(values, deal, extra)
        self.row_values = values
        self.row_extra = extra
        try:
            outcome = self.plan_row(line, values, extra)
        except RowError as err:
            err.line = line
            self._as_written(err, cells)
            self.reject(err, cells)
            return
        setattr(self.tally, outcome, getattr(self.tally, outcome) + 1)
        if self.row_foreign is not None:
            self.foreign[self.row_foreign] += 1

    @property
    def joined_companies(self) -> bool:
        """Whether the company column is HubSpot's list of associated companies ("Globex;Initech"); elsewhere a
        ";" is part of a name ("Smith; Jones LLP")."""
        return loose_key(self.mapping.column_of("company")).startswith("associatedcompan")

    def _first_company(self, values: Row, cell: str, extra: dict[str, str] | None) -> dict[str, str] | None:
        """A HubSpot export's several associated companies, "Globex;Initech" (unless a company has that name): the
        first is the company, the whole cell kept in extra (as several contacts are)."""
        first, _, rest = cell.partition(";")
        if not (first.strip() and rest.strip()) or fold(cell) in self.relations.company_by_name:
            return extra
        values["company"] = first.strip()
        self.tally.notes[SEVERAL_COMPANIES] += 1
        if "company" in self.mapping.fields:  # (a derived one's columns are kept as they are)
            extra = {**(extra or {}), self.mapping.column_of("company"): cell}
        return extra

    def _first_deal(self, values: Row, cell: str, extra: dict[str, str] | None) -> dict[str, str] | None:
        """HubSpot's several associated deals of an activity, "Renewal;Upsell" (unless a deal has that title): the
        first is the deal, the whole cell kept in extra (as several companies are)."""
        first, _, rest = cell.partition(";")
        if not (first.strip() and rest.strip()) or self.store.import_deals_titled(cell):
            return extra
        values["deal"] = first.strip()
        self.tally.notes[SEVERAL_DEALS] += 1
        return {**(extra or {}), self.mapping.column_of("deal"): cell}

    def _as_written(self, err: RowError, cells: list[str]) -> None:
        """An error quotes the cell as the file has it ("Closed Won"), not as read for matching ("closed won")."""
        if err.column is None or not isinstance(err.value, str):
            return
        try:
            raw = cells[self.mapping.header.index(err.column)]
        except (ValueError, IndexError):
            return
        if isinstance(raw, str) and raw != err.value and " ".join(raw.lower().split()) == err.value:
            err.value = raw.strip()

    def reject(self, err: RowError, cells: list[str]) -> None:
        self.tally.error(err)
        self.writer.reject(cells, err.text(self.file_name))

    # -- shared pieces -----------------------------------------------------------------------
    def owner(self, values: Row) -> str | None:
        owner = values.get("owner", self.default_owner)
        if not owner:
            return owner  # type: ignore[no-any-return]
        spelled = self.relations.users.get(fold(owner))
        if spelled is None and (heir := self.relations.heirs.get(fold(owner))) is not None:
            self.relations.users[fold(owner)] = spelled = self.relations.users.get(fold(heir), heir)
            self.near["heir"].append((owner, spelled))  # a user who left, their records handed over: to the heir
        if spelled is None:  # a new user, as the file spells them
            reserved = reserved_user_name(owner)
            if reserved is not None:
                raise RowError(self.col("owner"), owner, reserved)
            if self.known_users is None:  # the users before this import, for the "did you mean" below
                self.known_users = list(self.relations.users.values())
            self.writer.ensure_user(owner)
            self.relations.users[fold(owner)] = spelled = owner
            self.tally.new_users.append(owner)  # (the one importing too: `import batches` counts the user made)
            if fold(owner) == fold(self.writer.user or ""):
                return spelled
            meant = typo_of(owner, self.known_users)
            if meant is not None:  # imported as the file has it (an import records the source), but said
                self.near["owner"].append((owner, meant))
            elif " " in owner.strip():
                self._note_new_owner_twin(owner)
        return spelled  # "dana kim" is the user Dana Kim: one owner in every report

    def _note_new_owner_twin(self, owner: str) -> None:
        """A new full name one slip from another this file gave ("Jane Deo" beside "Jane Doe"), found in constant
        time by the name with each letter dropped; first names alone are not compared (dana and hana are two
        people more often than a slip)."""
        from salescli.values import one_slip

        folded = fold(owner)
        keys = {folded, *(folded[:i] + folded[i + 1:] for i in range(len(folded)))}
        other = next((o for k in keys if (o := self.new_owner_keys.get(k)) is not None and one_slip(o, owner)), None)
        if other is not None:
            self.near["owner_file"].append((owner, other))
        for k in keys:
            self.new_owner_keys.setdefault(k, owner)

    def near_notes(self) -> None:
        """One note per kind of look-alike the file made, naming the first three (a file of thousands of
        HubSpot multi-company cells gives one line, not thousands)."""
        def shown(pairs: list[tuple[str, str]], how: str) -> str:
            listed = ", ".join(how.format(a, b) for a, b in pairs[:3])
            return listed + (f" and {len(pairs) - 3} more" if len(pairs) > 3 else "")

        def slip_note(kind: str, noun: str, pairs: list[tuple[str, str]], sources: dict[str, str]) -> None:
            a, b = pairs[0]
            src = sources.get(a, a)
            self.tally.notes[(
                f'{kind} "{a}" is a new {noun}, one slip from {noun} {b}: check the file, or map the value'
                f' (--map-file values: {{"{kind}": {{"{src}": "{b}"}}}})',
                f'{kind}s are new {noun}s, each one slip from a {noun}: {shown(pairs, "{0} ({1}?)")}: check the file,'
                f' or map the values (--map-file values: {{"{kind}": {{"{src}": "{b}"}}}})')] += len(pairs)

        quoted_pair = '"{0}" beside "{1}"'  # (an f-string of Python 3.11 reuses no quote)
        owners, in_file, twins, named = (self.near[k] for k in ("owner", "owner_file", "company", "named"))
        if named:
            self.tally.notes[(f"new contact has no name in the file: named from its e-mail address"
                              f" ({shown(named, '{0} as {1}')}; contact edit --name)",
                              f"new contacts have no name in the file: named from their e-mail addresses"
                              f" ({shown(named, '{0} as {1}')}; contact edit --name)")] += len(named)
        if owners:
            slip_note("owner", "user", owners, self.tally.owner_sources)  # (a value map gave it: map the file's value)
        if in_file:
            self.tally.notes[(
                f'new owner is one slip from another the file names: {shown(in_file, "{0} beside {1}")}: if one is a'
                ' typo, map it (--map-file values: {"owner": {"TYPO": "NAME"}})',
                f'new owners are one slip from others the file names: {shown(in_file, "{0} beside {1}")}: where one'
                ' is a typo, map it (--map-file values: {"owner": {"TYPO": "NAME"}})')] += len(in_file)
        if twins:
            a, b = twins[0]
            self.tally.notes[(
                f'company "{a}" is new beside company "{b}" (the same name but for case, spaces or punctuation):'
                f' check the file, or map the value (--map-file values: {{"company": {{"{a}": "{b}"}}}})',
                f'companies are new beside others spelt the same but for case, spaces or punctuation:'
                f' {shown(twins, quoted_pair)}: check the file, or map the values (--map-file values:'
                f' {{"company": {{"{a}": "{b}"}}}})')] += len(twins)
        heirs = self.near["heir"]
        if heirs:
            a, b = heirs[0]
            self.tally.notes[(
                f"owner {a} was removed, their records handed to {b} (user rm --to): the rows naming {a} are {b}'s",
                f"owners were removed, their records handed over (user rm --to): the rows naming them are their"
                f" heirs' ({shown(heirs, '{0} to {1}')})")] += len(heirs)
        if self.near["team"]:
            slip_note("team", "team", self.near["team"], {})
        by_domain = self.near["company_domain"]
        if by_domain:
            a, b = by_domain[0]
            self.tally.notes[(
                f'company "{a}" is new though its contact writes from the domain of company "{b}": if one company,'
                f' map the value (--map-file values: {{"company": {{"{a}": "{b}"}}}}) or merge them (company merge)',
                f'companies are new though their contacts write from the domains of others:'
                f' {shown(by_domain, quoted_pair)}: where one company, map the values (--map-file values:'
                f' {{"company": {{"{a}": "{b}"}}}}) or merge them (company merge)')] += len(by_domain)
        forms = self.near["company_form"]
        if forms:
            a, b = forms[0]
            self.tally.notes[(
                f'company "{a}" is new beside company "{b}" (the same name but for a legal form such as Inc):'
                f' if one company, map the value (--map-file values: {{"company": {{"{a}": "{b}"}}}}) or merge'
                ' them (company merge)',
                f'companies are new beside others named the same but for a legal form such as Inc:'
                f' {shown(forms, quoted_pair)}: where one company, map the values (--map-file values:'
                f' {{"company": {{"{a}": "{b}"}}}}) or merge them (company merge)')] += len(forms)

    def duplicate_of(self, table: str, rid: int, line: int, how: str) -> RowError:
        first = self.writer.seen_line(table, rid)
        if first:
            return RowError(None, None, f"duplicates line {first} ({how}); fix one of the two lines", line)
        return RowError(None, None, f"matches the same record as an earlier line ({how})", line)

    def company_ref(self, values: Row, line: int, *, create: bool) -> int | None:
        """The company a row names: by external id, domain, or name-or-domain; created when missing."""
        rel = self.relations
        ext = values.get("company_external_id")
        if ext:
            cid = rel.company_by_ext.get(ext) or rel.merged_into("company", ext=ext)
            if cid is not None:
                return cid
            if "company" not in values and "company_domain" not in values:
                raise RowError(self.col("company_external_id"), ext,
                               "is not the external id of any company (import the companies first)", line)
        domain = values.get("company_domain")
        name = values.get("company")
        if domain:
            cid = rel.company_by_domain.get(domain)
            if cid is not None:
                if name:
                    known: str = rel.company_names.get(cid) or str(name)
                    if fold(name) != fold(known) and _as_domain(name) is None:
                        self._note_domain_decided(name, domain, known)
                return cid
        if name:
            as_domain = _as_domain(name)
            if as_domain is not None:
                if as_domain in rel.company_by_domain:
                    return rel.company_by_domain[as_domain]
                domain = domain or as_domain  # a new company named by its domain gets that domain
            ids = rel.company_by_name.get(fold(name), [])
            if len(ids) > 1:
                hinted = self.hinted(values, "_company_id", ids)
                if hinted is not None:
                    return hinted
                err = rel.ambiguous("company", name, ids, self.col("company"))
                err.line = line
                raise err
            if ids:
                return ids[0]
        if not (name or domain):
            return None
        if name and name in rel.company_by_ext:
            return rel.company_by_ext[name]  # exports that put the account's id in the company column
        renamed = self._renamed_from(values, name)
        if renamed is not None:
            return renamed
        kept = rel.merged_into("company", ext=ext, domain=domain, name=name)
        if kept is not None:
            return kept  # a company merged into another since the source was exported
        renamed = rel.formerly_named(name) if name and not domain else None
        if renamed is not None:
            self._note_renamed(renamed, name or "")
            return renamed
        if not create or not self.options.create_missing:
            column, value = ("company", name) if name else ("company_domain", domain)
            raise RowError(self.col(column), value, "is not a known company (--no-create is set)", line)
        return self.create_company(name or domain or "", domain, ext, line, self.owner(values))

    def _renamed_from(self, values: Row, name: str | None) -> int | None:
        """The company salescli's export names by its id (`company_id`) and by the name it had then, renamed since
        (companies.csv with the new name imported before deals.csv): that company, said, rather than a new one
        of the old name."""
        text = values.get("_company_id")
        if not (name and text and text.isascii() and text.isdigit()):
            return None
        cid = int(text)
        now = self.relations.company_names.get(cid)
        if now is None or fold(now) == fold(name) or not self.store.was_named("company", cid, name):
            return None
        self._note_renamed(cid, name)
        return cid

    def _note_renamed(self, cid: int, name: str) -> None:
        now = self.relations.company_names.get(cid)
        if self.renamed_note is None:
            self.renamed_note = (f'row names company {cid} by its former name "{name}": linked to it (now "{now}")',
                                 f'rows name companies by their former names (the first: company {cid}, "{name}",'
                                 f' now "{now}"): linked to them')
        self.tally.notes[self.renamed_note] += 1

    def _note_domain_decided(self, name: str, domain: str, known: str) -> None:
        """A row whose company cell names one company and company_domain another (a company cell edited in an
        export, the domain beside it left): the domain decides, and that is said with the first such row."""
        if self.domain_decided is None:
            self.domain_decided = (
                f'row names company "{name}" but its company_domain {domain} is {known}\'s: linked to {known} (the'
                " domain decides; clear the company_domain cell to link by name)",
                f'rows name a company whose company_domain is another\'s (the first: "{name}", {domain} is {known}\'s):'
                " linked by the domain (clear the company_domain cells to link by name)")
        self.tally.notes[self.domain_decided] += 1

    def _company_is_new(self, values: Row) -> bool:
        """Whether the row names a company that does not exist yet (created only if the row is good)."""
        rel = self.relations
        ext = values.get("company_external_id")
        if ext and ext in rel.company_by_ext:
            return False
        domain = values.get("company_domain")
        if domain and domain in rel.company_by_domain:
            return False
        name = values.get("company")
        if name:
            if fold(name) in rel.company_by_name or name in rel.company_by_ext:
                return False
            as_domain = _as_domain(name)
            if as_domain and as_domain in rel.company_by_domain:
                return False
            domain = domain or as_domain  # (as company_ref reads a name that is a domain)
        elif not domain:
            return False
        # a company merged into another since the source was exported is the kept one (as company_ref finds), and
        # one renamed since is itself
        if name and not domain and rel.formerly_named(name) is not None:
            return False
        return rel.merged_into("company", ext=ext, domain=domain, name=name) is None

    def _note_domain_twin(self, name: str) -> None:
        """A new company whose row's contact writes from another company's domain ("Acme Robotics Inc" for
        ann@acme.io, the domain of Acme): likely that company, named another way; said."""
        email = self.row_values.get("email") or self.row_values.get("contact")
        if not isinstance(email, str) or "@" not in email:
            return
        cid = self.relations.company_by_domain.get(email.rpartition("@")[2].strip().lower())
        if cid is not None:
            self.near["company_domain"].append((name, self.relations.company_names[cid]))

    def note_company_twin(self, name: str) -> None:
        twin = self.relations.loose_twin(name)
        if twin is not None:  # created as the file has it (as an owner is), but said
            self.near["company_form" if twin[1] else "company"].append((name, twin[0]))

    def create_company(self, name: str, domain: str | None, ext: str | None, line: int,
                       owner: str | None = None) -> int:
        self.note_company_twin(name)
        if not domain:
            self._note_domain_twin(name)
        now = self.writer.now
        cid = self.writer.create("companies", {
            "name": name, "domain": domain, "owner": owner, "tags": "[]", "external_id": ext,
            "created_at": now, "updated_at": now,
        }, line=line)
        self.relations.add_company(cid, name, domain, ext)
        self.tally.related["companies"] += 1
        self.tally.related_first.setdefault("companies", (line, name))
        return cid

    def contact_ref(self, values: Row, line: int, company_id: int | None) -> int | None:
        key = (values.get("contact_external_id"), values.get("contact") or values.get("contact_name"), company_id,
               values.get("_contact_id"), self.row_links.get("_contact_id"))
        pid = self.resolved_contacts.get(key)
        if pid is None:
            self.renamed_contact = None
            pid = self._contact_ref(values, line, company_id)
            if pid is not None:
                self.resolved_contacts[key] = pid
                if pid == self.renamed_contact:
                    self.renamed_contact_keys.add(key)
        if key in self.renamed_contact_keys and self.contact_renamed_note is not None:
            self.tally.notes[self.contact_renamed_note] += 1  # (every row naming it so)
        return pid

    def _contact_ref(self, values: Row, line: int, company_id: int | None) -> int | None:
        rel = self.relations
        ext = values.get("contact_external_id")
        if ext:
            pid = rel.contact_by_ext.get(ext) or rel.merged_into("contact", ext=ext)
            if pid is not None:
                return pid
        ref, field = _contact_text(values)
        if ext and not ref:
            raise RowError(self.col("contact_external_id"), ext, _unknown_contact_id(ext), line)
        if not ref:
            return None
        if field == "contact_name":
            return self._contact_by_name_at(ref, company_id, line, values)
        if "@" in ref:
            from salescli.models import normalize_email

            try:
                email = normalize_email(ref)
            except ValueError as exc:
                raise RowError(self.col("contact"), ref, str(exc), line) from None
            pid = rel.contact_by_email.get(email) or rel.merged_into("contact", ext=ext, email=email) \
                or self._contact_renamed_from(values, email, "email")
            if pid is not None:
                return pid
            if not self.options.create_missing:
                raise RowError(self.col("contact"), ref, "is not a known contact (--no-create is set)", line)
            name = values.get("contact_name") or _name_from_email(email)
            return self.create_contact(name, email, company_id, line, ext)
        ids = rel.contact_by_name.get(fold(ref), [])
        linked = self.linked_hint(values, "_contact_id", ids)
        if linked is not None:
            return linked
        if company_id is not None and not any(rel.contact_company.get(i) == company_id for i in ids):
            kept = rel.merged_into("contact", name_at=_name_at(ref, company_id))  # (merged away from there since)
            if kept is not None:
                return kept
        if len(ids) > 1 and company_id is not None:
            ids = [i for i in ids if rel.contact_company.get(i) == company_id] or ids
        hinted = self.hinted(values, "_contact_id", ids) if len(ids) > 1 else None
        if hinted is not None:
            return hinted
        if len(ids) > 1:
            err = rel.ambiguous("contact", ref, ids, self.col(field))
            err.line = line
            raise err
        if ids:
            return ids[0]
        renamed = self._contact_renamed_from(values, ref, "name")
        if renamed is None:
            renamed = rel.merged_into("contact", name_at=_name_at(ref, company_id))  # (merged since)
        if renamed is not None:
            return renamed
        if not self.options.create_missing:
            raise RowError(self.col(field), ref, "is not a known contact (--no-create is set)", line)
        return self.create_contact(ref, None, company_id, line, values.get("contact_external_id"))

    def _contact_renamed_from(self, values: Row, ref: str, field: str) -> int | None:
        """The contact salescli's export names by its id (`contact_id`) and by the e-mail or name it had then,
        changed since (contacts.csv imported first): that contact (said by contact_ref), rather than a new one of
        the old e-mail or name."""
        text = values.get("_contact_id")
        if not (text and text.isascii() and text.isdigit()):
            return None
        pid = int(text)
        row = self.store.one("SELECT name, email FROM contacts WHERE id = ?", (pid,))
        what = "email" if field == "email" else "name"
        if row is None or fold(row[what] or "") == fold(ref) or not self.store.was_named("contact", pid, ref, what):
            return None
        if self.contact_renamed_note is None:
            said = "e-mail" if what == "email" else "name"
            self.contact_renamed_note = (
                f'row names contact {pid} by its former {said} "{ref}": linked to it (now "{row[what]}")',
                f'rows name contacts by their former e-mails or names (the first: contact {pid}, "{ref}", now'
                f' "{row[what]}"): linked to them')
        self.renamed_contact = pid
        return pid

    def _name_only_matches(self, name: str, company_id: int | None) -> list[int]:
        """Contacts of this name at the company (or without one): a name alone is a weak reference."""
        rel = self.relations
        return [i for i in rel.contact_by_name.get(fold(name), [])
                if rel.contact_company.get(i) in (company_id, None)]

    def _contact_by_name_at(self, name: str, company_id: int | None, line: int, values: Row) -> int | None:
        """A contact named without an e-mail (Pipedrive's "Person - Name"): the one of that name at the company,
        else a new one there; two of that name there leave the record without a contact (not refused). The
        one salescli's own export names by id (see hinted) among them, else among all of that name."""
        ids = self._name_only_matches(name, company_id)
        hinted = self.linked_hint(values, "_contact_id", self.relations.contact_by_name.get(fold(name), [])) \
            or self.hinted(values, "_contact_id", ids or self.relations.contact_by_name.get(fold(name), []))
        if hinted is not None:
            return hinted
        if len(ids) == 1:
            return ids[0]
        if ids:
            return None
        kept = self.relations.merged_into("contact", name_at=_name_at(name, company_id))
        if kept is not None:
            return kept  # merged into another since (`contact merge`): that one
        renamed = self._contact_renamed_from(values, name, "name")
        if renamed is not None or not self.options.create_missing:
            return renamed
        return self.create_contact(name, None, company_id, line, values.get("contact_external_id"))

    def probe_contact(self, values: Row, line: int, company_id: int | None) -> None:
        """Raise the errors contact_ref would, without creating anything (before a row writes)."""
        ref, field = _contact_text(values)
        if (values.get("contact_external_id"), ref, company_id, values.get("_contact_id"),
                self.row_links.get("_contact_id")) in self.resolved_contacts:
            return
        rel = self.relations
        ext = values.get("contact_external_id")
        if ext and ext in rel.contact_by_ext:
            return
        if ext and not ref:
            raise RowError(self.col("contact_external_id"), ext, _unknown_contact_id(ext), line)
        if not ref or field == "contact_name":
            return  # (a name alone never refuses a row)
        if "@" in ref:
            from salescli.models import normalize_email

            try:
                email = normalize_email(ref)
            except ValueError as exc:
                raise RowError(self.col("contact"), ref, str(exc), line) from None
            known = email in rel.contact_by_email
        else:
            ids = rel.contact_by_name.get(fold(ref), [])
            if self.linked_hint(values, "_contact_id", ids) is not None:
                return
            if company_id is not None and not any(rel.contact_company.get(i) == company_id for i in ids) and \
                    rel.merged_into("contact", name_at=_name_at(ref, company_id)) is not None:
                return  # (merged away from the row's company since: the one kept, as contact_ref finds)
            if len(ids) > 1 and company_id is not None:
                ids = [i for i in ids if rel.contact_company.get(i) == company_id] or ids
            if len(ids) > 1 and self.hinted(values, "_contact_id", ids) is not None:
                return
            if len(ids) > 1:
                err = rel.ambiguous("contact", ref, ids, self.col(field))
                err.line = line
                raise err
            known = bool(ids)
        if not known and not self.options.create_missing and self._contact_renamed_from(
                values, email if "@" in ref else ref, "email" if "@" in ref else "name") is None:
            raise RowError(self.col(field), ref, "is not a known contact (--no-create is set)", line)

    def create_contact(self, name: str, email: str | None, company_id: int | None, line: int,
                       ext: str | None = None) -> int:
        """A contact the row names and no record is: with the row's contact_external_id (salescli's own export
        of deals carries it), so that the source's contacts file finds it by that id later."""
        now = self.writer.now
        pid = self.writer.create("contacts", {
            "name": name, "email": email, "company_id": company_id, "status": "lead", "tags": "[]",
            "external_id": ext or None, "created_at": now, "updated_at": now,
        }, line=line)
        self.relations.add_contact(pid, name, email, ext or None, company_id)
        self.tally.related["contacts"] += 1
        self.tally.related_first.setdefault("contacts", (line, email or name))
        return pid

    def merged_extra(self, current: str | None, extra: dict[str, str] | None) -> str | None:
        """The record's extra after this row: its old keys, with this file's values laid over (a key the record
        has in another case or spacing keeps the record's spelling)."""
        if not extra:
            return current
        old = json.loads(current) if current else {}
        merged = dict(old)
        spelling: dict[str, str] | None = None  # (built only for a key the record lacks as spelt)
        for key, value in extra.items():
            if key not in old:
                spelling = spelling if spelling is not None else stored_spelling(list(old))
                key = spelling.get(extra_fold(key), key)
            merged[key] = value
        return json.dumps(merged, ensure_ascii=False)

    def update(self, table: str, current: Row, values: Row) -> str:
        """Write the given fields that differ (logged); 'updated' or 'unchanged'."""
        changed = _changed(current, values)
        if table == self.table:
            self.note_kept_values(current, values)
        if not changed:
            return "unchanged"
        if self.options.on_duplicate == "skip":
            return "skipped"
        self.writer.update(table, self.change_entity_of(current), current, changed)
        return "updated"

    def note_kept_values(self, current: Row, fields: Row) -> None:
        """A matched record keeps what the row's empty cells would have cleared: counted in a note (a user
        who blanked a cell of an export expects the field cleared)."""
        if self.kept_when_empty and any(c not in fields and current.get(c) not in (None, "", "[]")
                                        for c in self.kept_when_empty) or self._extra_kept(current):
            entity = self.change_entity
            self.tally.notes[(f"row has empty cells where its {entity} has a value: the values stay (an import"
                              f" never clears a field; `salescli {entity} edit` does)",
                              f"rows have empty cells where their {self.entity} have values: the values stay (an"
                              f" import never clears a field; `salescli {entity} edit` does)")] += 1

    def _extra_kept(self, current: Row) -> bool:
        """Whether the row's empty cells of extra columns leave values the record has for them."""
        if not self.extra_keys or not current.get("extra"):
            return False
        given = {extra_fold(k) for k in self.row_extra or ()}
        if self.extra_keys <= given:
            return False  # (every extra column of the file has a cell in this row: none left a value)
        try:
            stored = json.loads(current["extra"])
        except ValueError:
            return False
        return isinstance(stored, dict) and any(
            v not in (None, "") and extra_fold(k) in self.extra_keys and extra_fold(k) not in given
            for k, v in stored.items())

    def change_entity_of(self, row: Row) -> str:
        return self.change_entity

    def existing(self, rid: int, line: int, how: str) -> None:
        """A row matched record rid: refuse a second match in the file, and --on-duplicate error."""
        if self.writer.is_created(self.table, rid):
            raise self.duplicate_of(self.table, rid, line, how)
        first = self.writer.touch(self.table, rid, line)
        if first:
            raise RowError(None, None, f"duplicates line {first} ({how}); fix one of the two lines", line)
        if self.options.on_duplicate == "error":
            raise RowError(None, None, f"already exists as {self.change_entity} {rid} ({how});"
                           " --on-duplicate error refuses it", line)


# a spreadsheet's footer: "Total;;13.734,56 €;;" is the sum of the rows above, not a record named Total
_TOTAL_WORDS = frozenset({"total", "totals", "grand total", "subtotal", "sum", "summe", "gesamt", "gesamtsumme",
                          "somme", "totale", "totaal", "suma"})
_NUMERIC_CELL_RE = re.compile(r"[\s0-9.,'%()+\-$€£¥]*[0-9][\s0-9.,'%()+\-$€£¥]*(?:[A-Za-z]{3})?")


def _check_not_a_totals_row(cells: list[str], line: int) -> None:
    filled = [cell.strip() for cell in cells if cell.strip()]
    if len(filled) < 2 or " ".join(filled[0].lower().rstrip(":").split()) not in _TOTAL_WORDS:
        return
    if all(_NUMERIC_CELL_RE.fullmatch(cell) for cell in filled[1:]):
        raise RowError(None, None, f'is a totals row ("{_short(filled[0], 20)}" followed by numbers), not a record:'
                       " delete it from the file, or skip it with --on-error skip", line)


def _as_domain(text: str) -> str | None:
    """The text as a domain name when it is one ('Acme.io' -> 'acme.io'), else None."""
    lowered = text.strip().lower()
    if "." not in lowered or " " in lowered:
        return None
    from salescli.models import as_domain

    return as_domain(lowered)


def _name_from_email(email: str) -> str:
    local = email.split("@", 1)[0]
    parts = [p for p in re.split(r"[._\-+]+", local) if p]
    return " ".join(p.capitalize() for p in parts) or email


def _changed(current: Row, values: Row) -> Row:
    """The values that differ from the record's; an older export does not move its last activity back (the
    activities logged since are newer than the file's day)."""
    changed = {k: v for k, v in values.items() if current.get(k) != v}
    if "last_activity_at" in changed and current.get("last_activity_at") and (
            str(changed["last_activity_at"] or "") < str(current["last_activity_at"])):
        del changed["last_activity_at"]
    return changed


def _json_tags(tags: list[str] | None) -> str:
    return json.dumps(tags or [], ensure_ascii=False)


# -- companies ----------------------------------------------------------------------------------------
class CompanyPlanner(Planner):
    entity = "companies"
    table = "companies"
    change_entity = "company"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.relations = Relations.load(self.writer, contacts=False)

    def plan_row(self, line: int, values: Row, extra: dict[str, str] | None) -> str:
        rel = self.relations
        domain = values.get("domain")
        name = values.get("name") or domain
        if not name:
            raise RowError(self.col("name"), "", "is required (a company needs a name or a domain)", line)
        ext = values.get("external_id")
        match: int | None = self.by_own_id(line, values)
        how = ""
        if match is not None:
            how = f"id {match}"
        elif ext and ext in rel.company_by_ext:
            match, how = rel.company_by_ext[ext], f'external id "{ext}"'
        elif domain and domain in rel.company_by_domain:
            match, how = rel.company_by_domain[domain], f"domain {domain}"
        else:
            # by name, among the companies that cannot be another one (no other domain or external id)
            ids = [i for i in rel.company_by_name.get(fold(name), [])
                   if not (domain and rel.company_domains.get(i)) and not (ext and rel.company_exts.get(i))]
            ids = self.by_export_id(ids, values)
            if len(ids) > 1:
                raise rel.ambiguous("company", name, ids, self.col("name"))
            if ids:
                match, how = ids[0], f'name "{name}"'
        if match is None and rel.merged_into("company", ext=ext, domain=domain, name=name) is not None:
            self.tally.notes[MERGED_ROW] += 1  # its record was merged into another: updating that one with the
            return "skipped"                 # duplicate's values would undo the merge
        fields: Row = {k: values[k] for k in ("name", "domain", "industry", "segment", "territory", "owner",
                                              "notes", "external_id", "last_activity_at") if k in values}
        if how.startswith("name"):
            fields.pop("name", None)  # matched by its name: another spelling of it is no rename
        elif "name" not in fields:
            fields["name"] = name
        if "tags" in values:
            fields["tags"] = _json_tags(values["tags"])
        if match is not None:
            self.existing(match, line, how)
            current = self.writer.current("companies", match)
            if extra:
                fields["extra"] = self.merged_extra(current.get("extra"), extra)
            if "owner" in fields:
                fields["owner"] = self.owner(fields)
            if domain and domain != current.get("domain") and domain in rel.company_by_domain:
                other = rel.company_by_domain[domain]
                raise RowError(self.col("domain"), domain, f"is already used by company {other}"
                               f" {rel.company_names.get(other, '')}", line)
            outcome = self.update("companies", current, fields)
            if outcome == "updated":
                if "name" in fields and fields["name"] != current["name"]:
                    self._note_namesake(match, fields["name"])
                    rel.rename_company(match, current["name"], fields["name"])
                if domain:
                    rel.company_by_domain[domain] = match
                if ext:
                    rel.company_by_ext[ext] = match
            return outcome
        owner = self.owner(values)
        now = self.writer.now
        self.note_company_twin(name)
        self.keep_export_id(line)
        cid = self.writer.create("companies", {
            "name": name, "domain": domain, "industry": values.get("industry"), "segment": values.get("segment"),
            "territory": values.get("territory"), "owner": owner, "tags": _json_tags(values.get("tags")),
            "notes": values.get("notes"), "external_id": ext,
            "extra": json.dumps(extra, ensure_ascii=False) if extra else None,
            "created_at": values.get("created_at") or now, "updated_at": values.get("updated_at") or now,
            "last_activity_at": values.get("last_activity_at"),
        }, line=line)
        rel.add_company(cid, name, domain, ext)
        self.made_for_export_id(cid)
        return "created"

    def _note_namesake(self, cid: int, name: str) -> None:
        """A company the file renames to another's name (as `company add` says of a second one of a name)."""
        others = [i for i in self.relations.company_by_name.get(fold(name), []) if i != cid]
        if others:
            self.tally.notes[(f'company renamed to "{name}" (company {cid}), the name of company {others[0]} too:'
                              " refer to each by id or domain from now on",
                              f'companies renamed to names other companies have (the first: company {cid} to "{name}",'
                              f" as company {others[0]} is named): refer to each by id or domain from now on")] += 1


# -- contacts -------------------------------------------------------------------------------------------
class ContactPlanner(Planner):
    entity = "contacts"
    table = "contacts"
    change_entity = "contact"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.relations = Relations.load(self.writer, contacts=True)

    def plan_row(self, line: int, values: Row, extra: dict[str, str] | None) -> str:
        rel = self.relations
        email = values.get("email")
        name = values.get("name")
        if not name:
            name = " ".join(p for p in (values.get("first_name"), values.get("last_name")) if p)
        if not name and email:
            name = _name_from_email(email)
        if not name:
            raise RowError(self.col("name"), "", "is required (a contact needs a name or an e-mail)", line)
        status = values.get("status")
        if status is not None and status not in CONTACT_STATUSES:
            raise RowError(self.col("status"), status, f"is not one of {', '.join(CONTACT_STATUSES)}"
                           " (map other values with a value map)", line)
        ext = values.get("external_id")
        match: int | None = self.by_own_id(line, values)
        how = ""
        if match is not None:
            how = f"id {match}"
        elif ext and ext in rel.contact_by_ext:
            match, how = rel.contact_by_ext[ext], f'external id "{ext}"'
        elif email and email in rel.contact_by_email:
            match, how = rel.contact_by_email[email], f"e-mail {email}"
        if match is not None and self.mapping.export_refs and not self.writer.is_created("contacts", match):
            self.link_hints(self.record("contacts", match))  # (before its company is looked for: see hinted; one
            # this file made is a duplicate line, said below)
        company_id = self.company_ref(values, line, create=True)
        if match is None and (not email or company_id is not None):
            # without a known e-mail: the same name at the same company, with no e-mail yet (a file that now has
            # it fills it in) and no other external id; a row without one also finds the one such contact whose
            # e-mail a later file gave (the first file imported again)
            named = [i for i in rel.contact_by_name.get(fold(name), [])
                     if rel.contact_company.get(i) == company_id and not (ext and rel.contact_exts.get(i))]
            emailless = [i for i in named if not rel.contact_emails.get(i)]
            ids = self.by_export_id(emailless, values)
            if not email and not emailless and len(named) == 1 and not self.writer.is_created("contacts", named[0]):
                ids = self.by_export_id(named, values)
            if len(ids) > 1 and email:
                ids = []  # (two of that name without an e-mail: this address is a third person, or one of them)
            if len(ids) > 1:
                raise rel.ambiguous("contact", name, ids, self.col("name"))
            if ids:
                match, how = ids[0], f'name "{name}"'
        if match is None and rel.merged_into("contact", ext=ext, email=email,
                                             name_at=None if email else _name_at(name, company_id)) is not None:
            self.tally.notes[MERGED_ROW] += 1  # (as for companies: the kept record is not overwritten)
            return "skipped"
        fields: Row = {k: values[k] for k in ("email", "phone", "title", "status", "source", "notes", "external_id",
                                              "last_activity_at") if k in values}
        if (values.get("name") or values.get("first_name") or values.get("last_name")) and not how.startswith("name"):
            fields["name"] = name
        if company_id is not None:
            fields["company_id"] = company_id
        if "tags" in values:
            fields["tags"] = _json_tags(values["tags"])
        if "owner" in values:
            fields["owner"] = self.owner(values)
        if match is not None:
            self.existing(match, line, how)
            current = self.record("contacts", match)
            if extra:
                fields["extra"] = self.merged_extra(current.get("extra"), extra)
            if email and email != current.get("email") and email in rel.contact_by_email:
                raise RowError(self.col("email"), email, f"is already used by contact {rel.contact_by_email[email]}",
                               line)
            # made a customer by a won deal: a file of leads written before the win does not undo it
            if current.get("status") == "customer" and fields.get("status") in ("lead", "prospect") and (
                    self.store.contact_has_won_deal(match)):
                self.tally.notes[(f"contact with a won deal stays a customer, not {fields['status']} as the file"
                                  " says (contact edit --status sets it)",
                                  "contacts with won deals stay customers, not the lead or prospect the file says"
                                  " (contact edit --status sets one)")] += 1
                del fields["status"]
            outcome = self.update("contacts", current, fields)
            if outcome == "updated":
                if email:
                    rel.contact_by_email[email] = match
                    rel.contact_emails[match] = email
                if ext:
                    rel.contact_by_ext[ext] = match
            return outcome
        owner = self.owner(values)
        now = self.writer.now
        self.keep_export_id(line)
        pid = self.writer.create("contacts", {
            "name": name, "email": email, "phone": values.get("phone"), "title": values.get("title"),
            "company_id": company_id, "owner": owner, "status": status or "lead", "source": values.get("source"),
            "tags": _json_tags(values.get("tags")), "notes": values.get("notes"), "external_id": ext,
            "extra": json.dumps(extra, ensure_ascii=False) if extra else None,
            "created_at": values.get("created_at") or now, "updated_at": values.get("updated_at") or now,
            "last_activity_at": values.get("last_activity_at"),
        }, line=line)
        rel.add_contact(pid, name, email, ext, company_id)
        self.made_for_export_id(pid)
        if not (values.get("name") or values.get("first_name") or values.get("last_name")):
            self.near["named"].append((email or "", name))
        return "created"


# -- deals ------------------------------------------------------------------------------------------
@dataclass
class StageInfo:
    id: int
    pipeline_id: int
    name: str
    kind: str
    probability: int
    position: int
    #: what an open deal in this stage must have (its required fields, and the amount past Proposal):
    #: the rules `db check` lists the deals that break
    rules: tuple[str, ...] = ()


def stage_rules(stage: Row) -> tuple[str, ...]:
    """What an open deal in the stage must have, as required-field names (see StageInfo.rules)."""
    if stage["kind"] != "open":
        return ()
    names = required_of(stage)
    if stage["past_proposal"] and "amount" not in names:
        names.append("amount")
    return tuple(names)


def breaks_rules(deal: Row, stage: StageInfo) -> bool:
    """Whether a deal's column values lack what its stage requires (as `deal move` checks them)."""
    return bool(missing_fields(deal, list(stage.rules)))


class DealPlanner(Planner):
    entity = "deals"
    table = "deals"
    change_entity = "deal"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "external_id" not in self.mapping.fields:
            self.writer.keep_indexes.add("deals_title")  # every row is looked up by its title
        self.has_contact = any(f in self.mapping.fields or f in self.options.spec.defaults
                               for f in ("contact", "contact_external_id", "contact_name"))
        self.relations = Relations.load(self.writer, contacts=self.has_contact)
        self.won_contacts: set[int] = set()  # contacts of deals the file makes won: customers (as `deal won`)
        self.base_currency = self.settings.get("base_currency", "USD")
        # "Amount (EUR)" with no currency column: its amounts are in EUR (the header says so), said once
        self.amount_currency: str | None = None
        if "amount" in self.mapping.fields and "currency" not in self.mapping.fields:
            header = self.mapping.header[self.mapping.fields["amount"]]
            self.amount_currency = _header_currency(header)
            if self.amount_currency is not None:
                self.header_currency_note = (
                    f'deal\'s amount is in {self.amount_currency}, as its column "{header}" says (a currency'
                    " column would decide)",
                    f'deals\' amounts are in {self.amount_currency}, as their column "{header}" says (a currency'
                    " column would decide)")
        given = self.options.decimal_comma
        self.decimal_comma = bool(given if given is not None else self.options.spec.decimal_comma)
        self.pipelines: dict[str, int] = {}
        self.pipeline_names: dict[int, str] = {}
        self.stages: dict[tuple[int, str], StageInfo] = {}
        self.stage_by_id: dict[int, StageInfo] = {}
        self.loose_stages: dict[tuple[int, str], StageInfo | None] = {}
        self.entry: dict[int, StageInfo] = {}  # where a closed deal's history runs through (entry_stage)
        self.first: dict[int, StageInfo] = {}  # each pipeline's first open stage: where every deal starts
        self.closing: dict[tuple[int, str], StageInfo] = {}
        self._load_stages()
        self._check_entry_stage()
        # what rows named, resolved once: (pipeline, stage, status) and (external id, domain, name) of a company
        self.stage_cache: dict[tuple[Any, ...], tuple[StageInfo, StageInfo | None]] = {}
        #: open stages this import made from a stage-history cell, their probability a guess: the first own-export
        #: row in one that follows its stage's probability says it (stage id -> its line in stages_created)
        self.guessed_stages: dict[int, int] = {}
        self.new_pipelines: list[int] = []  # created by this import (--create-stages)
        pipeline = self.options.pipeline
        if pipeline is None:
            default = self.store.import_default_pipeline()
            if default is None:
                raise NotFound("there is no pipeline to import deals into",
                               hint='create one: salescli pipeline add "New business"')
            self.default_pipeline = default
        else:
            key = fold(pipeline.strip())
            staged = "stage" in self.mapping.fields  # (--create-stages makes a pipeline's stages from a stage column)
            if key not in self.pipelines and self.options.create_stages and pipeline.strip() and staged:
                if pipeline.strip().isascii() and pipeline.strip().isdigit():
                    raise UsageError(f'--pipeline "{pipeline}" is a number, which names the pipeline of that id:'
                                     " a new pipeline needs a word")
                self.create_pipeline(pipeline.strip())
            if key not in self.pipelines:
                names = ", ".join(self.pipeline_names.values())
                instead = "or pass --create-stages" if staged else (
                    f"or create it: salescli pipeline add {shlex.quote(pipeline.strip())} --stages \"…\"; the file has"
                    " no stage column to make its stages from")
                raise NotFound(f'--pipeline "{pipeline}" not found (pipelines: {names}; {instead})')
            self.default_pipeline = self.pipelines[key]
        self.pending: dict[tuple[Any, ...], int] = {}  # keys of rows planned in this chunk -> line
        self.company_cache: dict[tuple[Any, ...], int] = {}
        self.found_ext: dict[str, int] = {}
        self.found_title: dict[tuple[str, int | None], list[int]] = {}
        self.found_history: dict[int, str | None] = {}  # deal id -> its history as an export writes it
        self.today = self.options.today.isoformat()
        # a created column whose cell is empty: the deal is created now, which the summary says
        day, column = self.writer.now[:10], self.col("created_at")
        self.created_now_note = (f'deal has no created date in the file ("{column}" is empty): created on {day}',
                                 f'deals have no created date in the file ("{column}" is empty): created on {day}')
        mapped = [self.col(f) for f in ("won_at", "lost_at", "expected_close") if f in self.mapping.fields]
        if mapped:  # (the columns are read: their cells are empty)
            where = " or ".join(f'"{c}"' for c in mapped)
            self.closed_today_note = (
                f"won/lost deal has no close date in the file ({where} empty): closed on {self.today}, the import day",
                f"won/lost deals have no close date in the file ({where} empty): closed on {self.today}, the import"
                " day")
        else:
            self.closed_today_note = (
                f"won/lost deal has no close date in the file: closed on {self.today} (the import day; map its"
                " closing date column, e.g. --map \"Won time=won_at\")",
                f"won/lost deals have no close date in the file: closed on {self.today} (the import day; map their"
                " closing date column, e.g. --map \"Won time=won_at\")")

    def _load_stages(self) -> None:
        self.pipelines.clear()
        self.stages.clear()
        self.loose_stages.clear()
        for p in self.store.import_pipelines():
            self.pipelines[fold(p["name"])] = p["id"]
            self.pipeline_names[p["id"]] = p["name"]
        for s in self.store.import_stages():
            info = StageInfo(s["id"], s["pipeline_id"], s["name"], s["kind"], s["probability"], s["position"],
                             stage_rules(s))
            self.stages[(s["pipeline_id"], fold(s["name"]))] = info
            self.stage_by_id[info.id] = info
            key = (s["pipeline_id"], loose_key(s["name"]))  # two stages reading alike: neither (None)
            self.loose_stages[key] = None if key in self.loose_stages else info
        self.entry.clear()
        self.first.clear()
        self.closing.clear()
        for info in sorted(self.stage_by_id.values(), key=lambda i: (i.pipeline_id, i.position, i.id)):
            if info.kind == "open":
                self.entry.setdefault(info.pipeline_id, info)
                self.first.setdefault(info.pipeline_id, info)
            else:
                self.closing.setdefault((info.pipeline_id, info.kind), info)
        if self.options.spec.entry_stage:
            for pid in self.pipeline_names:
                chosen = self.stages.get((pid, fold(self.options.spec.entry_stage)))
                if chosen is not None and chosen.kind == "open":
                    self.entry[pid] = chosen

    def _check_entry_stage(self) -> None:
        """A map file's entry_stage must be an open stage of a pipeline here (else it would be ignored unsaid);
        --create-stages may still make it from the file's stage column."""
        spec = self.options.spec
        if not spec.entry_stage or self.options.create_stages:
            return
        named = [info for (_pid, key), info in self.stages.items() if key == fold(spec.entry_stage)]
        if any(info.kind == "open" for info in named):
            return
        what = f"a {named[0].kind} stage" if named else "no stage of any pipeline"
        stages = sorted({i.name for i in self.stage_by_id.values() if i.kind == "open"})
        raise UsageError(f'{spec.entry_stage_origin}: entry_stage "{spec.entry_stage}" is {what}',
                         hint="name an open stage: " + ", ".join(stages))

    def plan_chunk(self, rows: list[ChunkRow]) -> None:
        good = [v for _, _, v, _ in rows if not isinstance(v, RowError)]
        exts = [v["external_id"] for v in good if v.get("external_id")]
        self.found_ext = self.store.import_deal_ids_by_external(exts) if exts else {}
        titles = [v["title"] for v in good if v.get("title") and not v.get("external_id")]
        if titles:
            self.writer.need_index("deals_title")
        self.found_title = self.store.import_deal_ids_by_title(titles) if titles else {}
        if "stage_history" in self.mapping.fields:  # the histories of the deals the chunk updates, in one query
            ids = [*self.found_ext.values(), *(i for found in self.found_title.values() for i in found)]
            if ids:  # (by deal: the index the bulk mode may have dropped, or one scan of the history per deal)
                self.writer.need_index("stage_history_deal")
            self.found_history = self.store.import_deal_histories(ids) if ids else {}
        super().plan_chunk(rows)

    def after_flush(self) -> None:
        self.pending.clear()

    def stage_for(self, values: Row, line: int) -> tuple[StageInfo, StageInfo | None]:
        """The deal's stage, and the open stage a won/lost deal was closed from (when the file says)."""
        pid = self.default_pipeline
        pipeline = values.get("pipeline")
        if pipeline:
            found = self.pipelines.get(fold(pipeline))
            staged = "stage" in self.mapping.fields  # (--create-stages makes a pipeline's stages from a stage column)
            if found is None and self.options.create_stages and staged:
                if pipeline.strip().isascii() and pipeline.strip().isdigit():  # (it would hide the pipeline of that id)
                    raise RowError(self.col("pipeline"), pipeline, "is a number, which names the pipeline of that id:"
                                   " a new pipeline needs a word", line)
                found = self.create_pipeline(pipeline.strip())
            if found is None:
                raise RowError(self.col("pipeline"), pipeline, "is not a pipeline (pipelines: "
                               + ", ".join(self.pipeline_names.values()) + ("; or pass --create-stages)" if staged
                                                                            else "; the file has no stage column to"
                                                                            " make its stages from)"), line)
            pid = found
        status = values.get("status")
        if status is not None and status not in ("open", "won", "lost"):
            raise RowError(self.col("status"), status, "is not one of open, won, lost", line)
        name = values.get("stage")
        if name:
            # `needs-analysis` is Needs Analysis when no other stage reads so (as `deal move` finds it)
            info = self.stages.get((pid, fold(name))) or self.loose_stages.get((pid, loose_key(name)))
            if info is None:
                if self.options.create_stages:
                    # in salescli's own export a won or lost deal's stage is its won or lost stage (other CRMs
                    # give the open stage it was closed from); a probability it says was not set is the stage's
                    own_export = self.mapping.export_id is not None  # (its status says the kind, even of an
                    kind = status if own_export and status in ("open", "won", "lost") else None  # open "Closed Won")
                    followed = values.get("probability") if own_export and values.get("probability_set") == 0 \
                        else None
                    info = self.create_stage(pid, name, kind, followed)
                else:
                    self.tally.unknown_stages[(self.pipeline_names[pid], name)] += 1
                    mapped = name in self.options.spec.values.get("stage", {}).values()
                    raise RowError(self.col("stage"), name,
                                   ("(the value map's stage) " if mapped else "")
                                   + f"is not a stage of pipeline {self.pipeline_names[pid]}"
                                   + (" (fix values.stage, or pass --create-stages)" if mapped else
                                      " (map it with a value map, or pass --create-stages)"), line)
            if status is None or status == info.kind:
                return info, None
            own = self.mapping.export_id is not None  # (a row of it may have had only its stage edited)
            if info.kind != "open" or status == "open":
                reason = f"does not match stage {info.name} ({info.kind})"
                raise _StageConflict(info, self.col("status"), status, reason, line) if own else \
                    RowError(self.col("status"), status, reason, line)
            if own:  # salescli's own export gives a closed deal its closing stage
                raise _StageConflict(info, self.col("status"), status, f"does not match stage {info.name}"
                                     f" ({info.kind}): to reopen the deal set status to open; to close it set stage"
                                     f" to its {status} stage", line)
            # a won/lost deal with the open stage it was closed from (Pipedrive exports do this)
            return self._closing_stage(pid, status, line), info
        if status in ("won", "lost"):
            return self._closing_stage(pid, status, line), None
        info = self.entry.get(pid)
        if info is None:
            raise RowError(None, None, f"pipeline {self.pipeline_names[pid]} has no open stage", line)
        return info, None

    def _stage_over_status(self, conflict: _StageConflict, values: Row, line: int) -> tuple[StageInfo, None]:
        """A row of salescli's own export whose stage cell was edited (Won, or Proposal for a won deal) and whose
        status cell still says what the deal is (or, the file read again, was before the file moved it): the
        stage decides, and the cells its old status filled go; any other mix (a status edited) stays an error."""
        rid = self.by_own_id(line, values)
        current = self.writer.current("deals", rid) if rid is not None else None
        if current is None:
            raise conflict
        info, status = conflict.info, values.get("status")
        read_again = current["status"] != status
        if read_again:
            # the file read again after it moved the deal: the deal is in the row's stage now, and had the row's
            # status before (the change log says so); any other status is an edit against the stage: refused
            if current["stage_id"] != info.id or not self.store.was_named("deal", current["id"], str(status),
                                                                          "status"):
                raise conflict
        elif current["status"] != "open" and info.kind != "open":
            raise RowError(self.col("stage"), values.get("stage"), f"would make {current['status']} deal"
                           f" {current['id']} {info.kind}: reopen it first (status open), as `deal {info.kind}`"
                           " asks", line)
        # what the old status left in the row goes (as stored, or all of it in a file read again): a reopened
        # deal's won or lost date, reason, 100% or 0% and "closed"; a closed one's open forecast category
        stale = ("won_at", "lost_at", "forecast_category", "probability", "lost_reason", "lost_category") \
            if info.kind == "open" else ("forecast_category",)
        for key in stale:
            if key in values and (read_again or str(values[key]) == str(current.get(key))):
                del values[key]
        values["status"] = info.kind
        if current["stage_id"] != info.id:
            self.tally.notes[STAGE_DECIDES] += 1
        return info, None

    def _closing_stage(self, pid: int, status: str, line: int) -> StageInfo:
        info = self.closing.get((pid, status))
        if info is None and pid in self.new_pipelines:  # a pipeline this import made: its Won/Lost now
            info = self.create_stage(pid, status.capitalize(), status)
        if info is None:
            raise RowError(self.col("status"), status, f"pipeline {self.pipeline_names[pid]} has no {status} stage",
                           line)
        return info

    def create_pipeline(self, name: str) -> int:
        """A pipeline the file names (--create-stages): its stages as rows name them (a won or lost row's
        stage is a won or lost stage), and Won and Lost at the end when no row gave it one."""
        pid = self.writer.create_pipeline(name)
        self.stage_cache.clear()
        self.tally.pipelines_created.append(name)
        self.new_pipelines.append(pid)
        self._load_stages()
        return pid

    def _complete_new_pipelines(self) -> None:
        if self.new_pipelines:
            self.writer.flush()  # (the last rows may still be in a buffer)
        for pid in self.new_pipelines:
            for kind, label in (("won", "Won"), ("lost", "Lost")):
                if (pid, kind) not in self.closing:
                    self.create_stage(pid, label, kind)
            if not self.store.pipeline_has_deals(pid):  # every row of it refused (--on-error skip)
                self.tally.notes[(f"new pipeline, {self.pipeline_names[pid]}, got no deal: every row naming it was"
                                  " refused (import undo removes it)", "")] += 1

    def create_stage(self, pipeline_id: int, name: str, kind: str | None = None,
                     probability: int | None = None) -> StageInfo:
        from salescli.services.pipeline import _kind_from_name

        kind = kind or _kind_from_name(name)
        opens = [s for s in self.stage_by_id.values() if s.pipeline_id == pipeline_id and s.kind == "open"]
        guessed = kind == "open" and probability is None
        if kind != "open" or probability is None:
            # (where another CRM's stage belongs is unknown: the lowest chance of its pipeline, never a forecast
            # inflated by an early stage read as a late one; the summary says how to set it)
            probability = {"won": 100, "lost": 0}.get(kind, min((s.probability for s in opens), default=10))
        sid = self.writer.create_stage(pipeline_id, name.strip(), kind, probability)
        self.stage_cache.clear()  # positions moved
        self.tally.stage_guesses += guessed
        if guessed and self.mapping.export_id is not None:
            self.guessed_stages[sid] = len(self.tally.stages_created)
        self.tally.stages_created.append(self._stage_made(name.strip(), kind, probability, pipeline_id))
        self._load_stages()
        return self.stage_by_id[sid]

    def _stage_made(self, name: str, kind: str, probability: int, pipeline_id: int) -> str:
        return f"{name} ({kind}, {probability}%) in pipeline {self.pipeline_names[pipeline_id]}"

    def _stage_said(self, info: StageInfo, values: Row) -> StageInfo:
        """A row in a stage this import made with a guessed probability (met first in a stage-history cell, or in
        a row whose deal set its own): in salescli's own export an open deal whose probability was not set has its
        stage's, which the first such row says (a round trip into a new database gave the stage the lowest
        probability and marked the deal's own 40% as set)."""
        followed = values.get("probability")
        if values.get("status") not in (None, "open") or values.get("probability_set") != 0 or followed is None:
            return info
        said = self.guessed_stages.pop(info.id)
        self.tally.stage_guesses -= 1  # (said: no longer a guess)
        if followed == info.probability:
            return info
        self.writer.set_stage_probability(info.id, followed)
        self.tally.stages_created[said] = self._stage_made(info.name, info.kind, followed, info.pipeline_id)
        self.stage_cache.clear()  # positions moved
        self._load_stages()
        return self.stage_by_id[info.id]

    def _amount(self, text: str, currency: str | None, line: int) -> tuple[int, str]:
        """(minor units, currency) of an amount cell, or the row error naming the column and value."""
        try:
            return parse_amount(text, currency, self.base_currency, self.decimal_comma)
        except InvalidValue as exc:
            reason = exc.reason
            if self.from_json:
                pass  # (a JSON number: 12.345 is no European 12.345,00)
            elif not self.decimal_comma and ("misplaced thousands separators" in reason or "ambiguous" in reason
                                           or ("more decimals" in reason and _DOTTED_THOUSANDS_RE.fullmatch(text))):
                reason += "; amounts like 1.234,56 need --decimal-comma"
            elif self.decimal_comma and "more decimals" in reason \
                    and _COMMA_THOUSANDS_RE.search(text):
                reason += "; the comma is read as the decimal mark (decimal_comma is on)"
            raise RowError(self.col("amount"), text, reason, line) from None

    def plan_row(self, line: int, values: Row, extra: dict[str, str] | None) -> str:
        # salescli's own export: two deals of one title and company are two rows with two ids, not duplicates
        export_id = self.row_export_id
        title = values.get("title")
        # A row that updates a deal (by external id) and lacks the title, stage or currency keeps the deal's:
        # a partial export (ids and amounts) must not move deals to the first stage or relabel currencies.
        known = None
        if not title or not values.get("stage") or not values.get("currency"):
            known_id = self.found_ext.get(values["external_id"]) if values.get("external_id") else None
            known = self.writer.current("deals", known_id) if known_id is not None else None
        if not title:
            if known is None:
                reason = "is required" if "title" in self.mapping.fields or not values.get("external_id") else (
                    f"is required for a new deal (no deal has external id {values['external_id']} to update)")
                raise RowError(self.col("title"), "", reason, line)
            title = values["title"] = known["title"]
        stage_key = (values.get("pipeline"), values.get("stage"), values.get("status"))
        found = self.stage_cache.get(stage_key)
        if found is None:
            try:
                found = self.stage_for(values, line)
                self.stage_cache[stage_key] = found
            except _StageConflict as conflict:
                found = self._stage_over_status(conflict, values, line)
        stage, closed_from = found
        if self.guessed_stages and stage.id in self.guessed_stages:
            stage = self._stage_said(stage, values)
        if known is not None and not values.get("stage"):
            was = self.stage_by_id[known["stage_id"]]
            if not values.get("pipeline") and not values.get("status") or (
                    was.pipeline_id == stage.pipeline_id and was.kind == stage.kind):
                stage, closed_from = was, None  # (a status or pipeline column the deal's stage already fits)
        kind = stage.kind
        if self.amount_currency is not None and values.get("amount"):
            values["currency"] = self.amount_currency  # (as a currency column would give it)
            self.tally.notes[self.header_currency_note] += 1
        currency = values.get("currency") or (known["currency"] if known is not None else None)
        amount_text = values.get("amount")
        minor: int | None = None
        if amount_text is not None:
            minor, currency = self._amount(amount_text, currency, line)
            if currency and currency != self.base_currency:
                self.row_foreign = currency
        currency = currency or self.base_currency
        closed = kind != "open"
        # salescli's own export says whether a deal's probability and category were set or followed its stage
        # ("no": the stage's, then): a row moved to another stage in a spreadsheet takes that stage's, unless the
        # value itself was edited too — told from the row (a value no stage it was exported in gives: its
        # stage_history cell's last; without one, an existing deal's stages, below), so that the same file imported
        # again changes nothing
        given = values.get("probability")
        follows = values.get("probability_set") is not None and not values.get("probability_set")
        if closed:
            probability, probability_set = stage.probability, 0
            category, category_set = "closed", 0
        else:
            exported = self._exported_probabilities(values, stage, line)
            probability, probability_set, category, category_set = self._odds(values, stage, exported, line)
            if given == 0 and stage.probability and probability == 0:
                self.tally.notes[ZERO_PROBABILITY] += 1  # (new or updated: the file says so)
        expected_close = values.get("expected_close")
        # a stage_history cell says when the deal started (its first entry) and entered its stage (its last);
        # read here when the row lacks one of those dates, else only for a new deal (or a changed history)
        cell: str | None = values.get("stage_history")
        history: HistoryCell | None = None
        first_entry = last_entry = None
        if cell is not None and not (values.get("created_at") and values.get("stage_entered_at")
                                     and (kind == "open" or values.get(f"{kind}_at"))):
            history = self._read_history(cell, line)
            first_entry = history.entries[0].when  # when the deal started, wherever the row has it now
            if fold(history.entries[-1].stage) == fold(stage.name):  # the history of the deal as the row has it
                last_entry = history.entries[-1].when
            # (else a deal the row moves on from the cell's last stage: its last date is not the move's)
        created_at = values.get("created_at") or (as_timestamp(first_entry) if first_entry else None) \
            or self.writer.now
        won_at = lost_at = None
        closed_today = False  # (said in the summary when the deal is new: an existing one keeps its date)
        if closed:
            closed_on = values.get(f"{kind}_at") or (last_entry[:10] if last_entry else None) or expected_close
            if closed_on is None:
                closed_on, closed_today = self.today, True
            if kind == "won":
                won_at = closed_on
            else:
                lost_at = closed_on
        else:
            for name in ("won_at", "lost_at"):
                if values.get(name):
                    raise RowError(self.col(name), values[name], f"is set but stage {stage.name} is open", line)
        recurring = values.get("recurring")
        if recurring is not None:
            if recurring not in RECURRING:
                raise RowError(self.col("recurring"), recurring, "is not one of none, month, year", line)
            recurring = RECURRING[recurring]
        lost_category = values.get("lost_category")
        if lost_category is not None and lost_category not in LOST_CATEGORIES:
            raise RowError(self.col("lost_category"), lost_category, f"is not one of {', '.join(LOST_CATEGORIES)}",
                           line)
        entered: str = as_timestamp(values.get("stage_entered_at") or last_entry
                                  or ((won_at or lost_at) if closed else created_at) or created_at)
        created_moved = False
        if closed and str(entered)[:10] < str(created_at)[:10] and "stage_entered_at" not in values \
                and cell is None:
            # closed before it was created: records loaded into the CRM after the fact (the created
            # date is the load date); the close date is the better start, and the count is reported
            # (for a new deal only: an update keeps the deal's created date and history)
            created_at = f"{str(entered)[:10]}T00:00:00"
            created_moved = True
        if str(entered)[:10] < str(created_at)[:10]:
            if "stage_entered_at" in values:
                column = self.col("stage_entered_at")
            elif closed and ("won_at" if kind == "won" else "lost_at") in values:
                column = self.col("won_at" if kind == "won" else "lost_at")
            else:
                column = self.col("expected_close")
            raise RowError(column, str(entered), f"is before the deal was created ({str(created_at)[:10]})", line)

        get = values.get
        ext = get("external_id")
        match: int | None = self.by_own_id(line, values)
        early = match if match is not None else self.found_ext.get(ext) if ext else None
        if early is not None and self.mapping.export_refs and not self.writer.is_created("deals", early):
            # the deal the row updates, before its company is looked for (see hinted)
            self.link_hints(known if known is not None and known["id"] == early else self.record("deals", early))
        company_key = (get("company_external_id"), get("company_domain"), get("company"), get("_company_id"),
                       self.row_links.get("_company_id"))
        company_id = self.company_cache.get(company_key)
        new_company = False
        if company_id is None:
            new_company = self._company_is_new(values)
            company_id = None if new_company else self.company_ref(values, line, create=False)
            if company_id is not None:
                self.company_cache[company_key] = company_id
        if match is not None:
            key: tuple[Any, ...] = ("i", match)
        elif ext:
            key = ("x", ext)
            match = self.found_ext.get(ext)
        else:
            folded = nocase(title)
            key = ("t", folded, ("new", fold(get("company") or "")) if new_company else company_id, export_id)
            if not new_company:
                ids = self.found_title.get((folded, company_id))
                if ids:
                    ids = self.by_export_id(list(ids), values)  # (this database's export read back: its deal)
                    if len(ids) > 1:
                        raise RowError(self.col("title"), title, f"matches {len(ids)} deals of this company"
                                       f" ({', '.join(map(str, ids[:10]))}); give them external ids", line)
                    match = ids[0] if ids else None
        if key in self.pending:
            raise RowError(None, None, f"duplicates line {self.pending[key]} ({self._how(values)});"
                           " fix one of the two lines", line)
        if match is not None and not self.writer.is_created("deals", match):  # (before the contact is looked for:
            current = known if known is not None and known["id"] == match else self.record("deals", match)
            self.link_hints(current)  # see hinted; one this file made is a duplicate line, said below)
        self.probe_contact(values, line, company_id)
        tags = _json_tags(get("tags")) if "tags" in values else "[]"

        if match is not None:
            self.existing(match, line, self._how(values))
            if not any(k in values for k in ("stage", "pipeline", "status")):
                # a file without stage columns (a partial export: ids and amounts) leaves the stage as it is,
                # not the default stage a new deal would start in
                stage = self.stage_by_id[current["stage_id"]]
                kind = stage.kind
            before = self.stage_by_id.get(current["stage_id"])
            closes = kind != "open" and before is not None and before.kind == "open" and not values.get(f"{kind}_at")
            if closes and (str(won_at or lost_at)[:10] > self.today or (
                    self.mapping.export_id is not None and last_entry is None
                    and values.get("expected_close") == current.get("expected_close"))):
                # an open deal marked won: its close date was a forecast (ahead; or in salescli's own export, as it
                # stood before, where a CRM's export gives the day it was won): the win is now, as `deal won`
                # dates it
                won_at, lost_at = (self.today, None) if kind == "won" else (None, self.today)
                self.tally.notes[CLOSED_NOW] += 1
            self._check_history_runs_forward(current, stage, values, won_at or lost_at, line)
            redated = self._new_close(current, stage, values, won_at or lost_at)
            self._check_redated(current, stage, values, redated, line)
            if kind == "open" and exported is None and (follows or values.get("forecast_category_set") == 0):
                # (no stage_history cell: the stages this deal has been in are those it may have been exported in)
                exported = {stage.probability, *(self.stage_by_id[sid].probability
                                                 for sid in self.store.import_deal_stages(current["id"])
                                                 if sid in self.stage_by_id)}
                probability, probability_set, category, category_set = self._odds(values, stage, exported, line)
            fields: Row = {
                "title": title, "pipeline_id": stage.pipeline_id, "stage_id": stage.id, "status": kind,
                "probability": probability, "probability_set": probability_set,
                "forecast_category": category, "forecast_category_set": category_set,
            }
            if values.get("currency"):
                fields["currency"] = currency
            if amount_text is not None and not values.get("currency") and known is None:
                # (matched by title: the amount is read again in the deal's own currency)
                minor, currency = self._amount(amount_text, current["currency"], line)
                fields["currency"] = currency
            elif amount_text is not None:
                fields["currency"] = currency
            elif values.get("currency") and currency != current["currency"] and current.get("amount_minor") is not None:
                raise RowError(self.col("currency"), values["currency"], f"changes the deal's currency from"
                               f" {current['currency']} but the row has no amount: give the amount in {currency}",
                               line)
            if minor is not None:
                fields["amount_minor"] = minor
            for k in ("expected_close", "source", "next_step", "next_step_date", "lost_reason", "parked_until",
                      "park_reason", "notes", "external_id", "last_activity_at"):
                if k in values:
                    fields[k] = values[k]
            if recurring is not None:
                fields["recurring"] = recurring
            if lost_category is not None:
                fields["lost_category"] = lost_category
            if "tags" in values:
                fields["tags"] = tags
            if won_at:
                fields["won_at"] = won_at
            if lost_at:
                fields["lost_at"] = lost_at
            if new_company:
                company_id = self.company_ref(values, line, create=True)
            contact_id = self.contact_ref(values, line, company_id)
            if company_id is not None:
                fields["company_id"] = company_id
            if contact_id is not None:
                fields["contact_id"] = contact_id
            if "owner" in values:
                fields["owner"] = self.owner(values)
            if extra:
                fields["extra"] = self.merged_extra(current.get("extra"), extra)
            if cell is not None and not self._same_history(current, cell, history, stage, line):
                self.tally.notes[HISTORY_KEPT] += 1  # history only grows by stage changes: the cell is not applied
            outcome = self._update_deal(current, fields, values, stage, redated)
            buyer = fields.get("contact_id", current.get("contact_id"))
            if outcome == "updated" and stage.kind == "won" and buyer is not None and (current["status"] != "won" or (
                    buyer != current.get("contact_id") and self._status_unsaid(buyer))):
                self.won_contacts.add(buyer)  # won by this import, or a won deal's contact given by it
            return outcome

        if cell is not None and history is None:
            history = self._read_history(cell, line)
        moves = self._history_moves(history, stage, created_at, line) if history is not None else None
        # a new deal: now create what it refers to (the row is known to be good)
        if new_company:
            company_id = self.company_ref(values, line, create=True)
            if key[0] == "t":  # a later line names the company just created: the same deal
                self.pending[("t", key[1], company_id, key[3])] = line
        contact_id = self.contact_ref(values, line, company_id) if self.has_contact else None
        owner = self.owner(values)
        self.pending[key] = line
        self.keep_export_id(line)
        deal_id = self.writer.create_tuple("deals", (
            title, company_id, contact_id, stage.pipeline_id, stage.id, kind, minor, currency, probability,
            probability_set, category, category_set, expected_close, owner, get("source"), get("next_step"),
            get("next_step_date"), recurring or "none", won_at, lost_at, get("lost_reason"), lost_category,
            get("parked_until"), get("park_reason"), ext, tags, get("notes"),
            json.dumps(extra, ensure_ascii=False) if extra else None, created_at, get("updated_at") or self.writer.now,
            entered,
            get("last_activity_at"),
        ), line)
        if kind == "won" and contact_id is not None and self._status_unsaid(contact_id):
            self.won_contacts.add(contact_id)
        if closed_today:
            self.tally.notes[self.closed_today_note] += 1
        if str(created_at)[:10] > self.today:
            self.tally.notes[CREATED_AHEAD] += 1
        if (won_at or lost_at or "")[:10] > self.today:
            self.tally.notes[CLOSED_AHEAD] += 1
        if created_moved:
            self.tally.notes[CLOSED_BEFORE_CREATED] += 1
        elif not values.get("created_at") and cell is None and "created_at" in self.mapping.fields:
            self.tally.notes[self.created_now_note] += 1  # its created cell is empty: created now
        if stage.rules and breaks_rules({
            "amount_minor": minor, "expected_close": expected_close, "company_id": company_id,
            "contact_id": contact_id, "owner": owner, "source": get("source"), "next_step": get("next_step"),
            "next_step_date": get("next_step_date"),
        }, stage):
            self.tally.notes[BREAKS_STAGE_RULES] += 1
        if moves is not None:
            previous: int | None = None
            for entry, stage_id in moves:
                self.writer.history(deal_id, previous, stage_id, entry.when, entry.by, entry.note, entry.forced)
                previous = stage_id
        else:
            self._history(deal_id, stage, created_at, entered, closed_from, "stage_entered_at" in values)
        return "created"

    def _history_moves(self, history: HistoryCell, stage: StageInfo, created_at: str,
                       line: int) -> list[tuple[HistoryEntry, int]]:
        """A new deal's stage_history cell as (entry, stage id) pairs, refused (one RowError naming the column,
        the cell and the entry) unless every stage is known, the first is not before the deal was created
        and the last is the deal's own stage. Each entry comes from the stage before it."""
        column = self.col("stage_history")
        moves: list[tuple[HistoryEntry, int]] = []
        for n, entry in enumerate(history.entries, 1):
            pid = stage.pipeline_id
            if entry.pipeline is not None:
                found = self.pipelines.get(fold(entry.pipeline))
                if found is None:
                    raise RowError(column, history.text, f'entry {n}: pipeline "{entry.pipeline}" is not a pipeline'
                                   f" (pipelines: {', '.join(self.pipeline_names.values())})", line)
                pid = found
            info = self.stages.get((pid, fold(entry.stage)))
            if info is None:
                if not self.options.create_stages:
                    raise RowError(column, history.text, f'entry {n}: "{entry.stage}" is not a stage of pipeline'
                                   f" {self.pipeline_names[pid]} (add it, or pass --create-stages)", line)
                info = self.create_stage(pid, entry.stage)
            moves.append((entry, info.id))
        first = history.entries[0].when
        if first[:10] < created_at[:10]:
            raise RowError(column, history.text, f"entry 1: {first} is before the deal was created"
                           f" ({created_at[:10]})", line)
        if moves[-1][1] != stage.id:
            last = self.stage_by_id[moves[-1][1]]
            where = f" of pipeline {self.pipeline_names[last.pipeline_id]}" if last.pipeline_id != stage.pipeline_id \
                else ""
            raise RowError(column, history.text, f"ends in stage {last.name}{where}, but the deal is in {stage.name}"
                           " (the last entry is the deal's own stage)", line)
        return moves

    def _read_history(self, cell: str, line: int) -> HistoryCell:
        try:
            return parse_history(cell)
        except InvalidValue as exc:
            raise RowError(self.col("stage_history"), cell, exc.reason, line) from None

    def _same_history(self, current: Row, cell: str, history: HistoryCell | None, stage: StageInfo,
                      line: int) -> bool:
        """Whether an existing deal's stage history is what its stage_history cell says (stages by name, each
        entry's pipeline defaulting to the deal's, its user to the importing one). A malformed cell is refused
        all the same."""
        deal_id = current["id"]
        if deal_id in self.found_history:
            stored = self.found_history[deal_id]
        else:
            self.writer.need_index("stage_history_deal")
            stored = self.store.import_deal_history(deal_id)
        if stored == cell:
            return True  # the cell of an export of this database
        if history is None:
            history = self._read_history(cell, line)
        if stored is None:
            return False
        try:
            entries = parse_history(stored).entries
        except InvalidValue:
            return False
        if len(entries) != len(history.entries):
            return False
        own_then = fold(self.pipeline_names.get(current["pipeline_id"], ""))
        own_now = fold(self.pipeline_names.get(stage.pipeline_id, ""))
        user = self.writer.user
        for was, given in zip(entries, history.entries, strict=True):
            # (a day and its midnight are the same moment: an export from before stage changes were all
            # stored as timestamps)
            if (fold(was.stage), fold(was.pipeline) if was.pipeline else own_then, as_timestamp(was.when),
                    was.by or user, was.note, was.forced) != (
                    fold(given.stage), fold(given.pipeline) if given.pipeline else own_now, as_timestamp(given.when),
                    given.by or user, given.note, given.forced):
                return False
        return True

    def _how(self, values: Row) -> str:
        """How a row was matched, for duplicate messages."""
        if values.get("external_id"):
            return f'external id "{values["external_id"]}"'
        company = values.get("company")
        return f'title "{values.get("title")}"' + (f' and company "{company}"' if company else "")

    def _exported_probabilities(self, values: Row, stage: StageInfo, line: int) -> set[int] | None:
        """The probabilities a row of salescli's own export may have had when exported, following its stage: that of
        its stage_history cell's last stage (a row moved in a spreadsheet names another in its stage cell; a stage
        of that name in any pipeline) and the row's stage's; None without a cell (the row alone cannot tell)."""
        cell = values.get("stage_history")
        if not cell or values.get("probability_set") is None and values.get("forecast_category_set") is None:
            return None
        entries = self._read_history(cell, line).entries
        last = fold(entries[-1].stage) if entries else None
        return {stage.probability, *(info.probability for (_pid, key), info in self.stages.items() if key == last)}

    def _odds(self, values: Row, stage: StageInfo, exported: set[int] | None, line: int) -> tuple[int, int, str, int]:
        """An open deal's (probability, probability_set, category, category_set) from the row. A probability or
        category whose _set cell says "no" follows the stage unless edited: a value none of the exported
        probabilities gives (None: any may have, so it follows)."""
        given, given_set = values.get("probability"), values.get("probability_set")
        follows = given_set is not None and not given_set
        edited = follows and given is not None and exported is not None and given not in exported
        probability = stage.probability if given is None or (follows and not edited) else given
        probability_set = int(given is not None and given != stage.probability) if given_set is None \
            else int(given_set) or int(edited)
        category = self._category(values, line, probability)
        category_given_set = values.get("forecast_category_set")
        if category_given_set is None:
            return probability, probability_set, category, int(
                "forecast_category" in values and category != default_forecast_category(probability))
        derived = default_forecast_category(probability)
        if not category_given_set and (exported is None or category == derived
                                       or category in {default_forecast_category(p) for p in exported}):
            return probability, probability_set, derived, 0  # (as exported: it follows)
        return probability, probability_set, category, 1  # (set, or edited in the file: the deal's own now)

    def _category(self, values: Row, line: int, probability: int) -> str:
        given = values.get("forecast_category")
        if given is None:
            return default_forecast_category(probability)
        category = normalize_forecast_category(given)
        if category is None or category == "closed":
            raise RowError(self.col("forecast_category"), given,
                           "is not a forecast category of an open deal (pipeline, best_case, commit, omitted)", line)
        return category

    def _history(self, deal_id: int, stage: StageInfo, created_at: str, entered: str,
                 closed_from: StageInfo | None, entered_given: bool) -> None:
        """Stage history as reports need it (see HISTORY in apply.py): a deal enters its pipeline's
        first stage when created, unless the file says it entered its own stage then; a won or lost deal
        then the stage it was closed from (the entry stage) and Won/Lost at its close date; an open deal
        its stage (at stage_entered_at, else creation)."""
        first = self.first.get(stage.pipeline_id, stage)
        path = [first]
        if stage.kind != "open":
            entry = closed_from or self.entry.get(stage.pipeline_id)
            if entry is not None and entry.id != first.id:
                path.append(entry)
        elif entered_given and entered[:10] <= created_at[:10]:
            path = [stage]  # the file says it started in this stage
        previous: int | None = None
        for step in path:
            self.writer.history(deal_id, previous, step.id, created_at)
            previous = step.id
        if stage.id != previous:
            self.writer.history(deal_id, previous, stage.id, entered)

    def after_rows(self) -> None:
        """The contacts of the deals this import made won become customers (a lead or prospect before; a
        churned one stays, said in a note), as `deal won` does; each change is in the batch, so `import undo`
        takes it back. A pipeline the import created gets the Won or Lost stage no row gave it (every pipeline
        has both)."""
        self._complete_new_pipelines()
        if self.foreign:
            base = self.base_currency
            for currency, n in sorted(self.foreign.items()):
                if self.store.has_rate(currency):
                    continue
                from salescli.services.money import currency_slip

                slip = currency_slip(self.store, currency, unguessed=True)  # ("ERU is no ISO 4217 currency …; ")
                self.tally.notes[(f"deal is in {currency}, which has no exchange rate: totals in {base} leave it"
                                  f" out ({slip}salescli fx set {currency} RATE)",
                                  f"deals are in {currency}, which has no exchange rate: totals in {base} leave"
                                  f" them out ({slip}salescli fx set {currency} RATE)")] += n
        if self.won_contacts:
            self.writer.flush()  # (a contact this import made may still be in a buffer)
            promoted, churned = self.store.promote_contacts(sorted(self.won_contacts))
            if promoted:
                self.tally.notes[CUSTOMERS] += promoted
            if churned:
                self.tally.notes[CHURNED_KEPT] += churned

    def _status_unsaid(self, contact_id: int) -> bool:
        """Whether a won deal's contact becomes a customer (as `deal won` makes them): not when a row of salescli's
        own export, won when exported, links one that was here before (the contacts export says their status, set
        back by hand perhaps); a deal the file wins, or a row added to it, does."""
        return self.mapping.export_id is None or self.row_export_id is None \
            or self.writer.is_created("contacts", contact_id)

    def _update_deal(self, current: Row, fields: Row, values: Row, stage: StageInfo, redated: str | None) -> str:
        """Write an existing deal's changed fields (redated: the new close day of a won/lost deal kept in its
        stage, from _new_close)."""
        if current["stage_id"] == stage.id:
            # the stage stays: keep what the stage derives unless the file sets it
            for k in ("won_at", "lost_at"):
                if k in fields and current.get(k) and redated is None:
                    fields.pop(k)
            if redated is not None:  # it entered its won/lost stage on the new close date
                fields["stage_entered_at"] = as_timestamp(redated)
            if "probability" not in values and "probability_set" not in values:
                fields.pop("probability", None)
                fields.pop("probability_set", None)
            if "forecast_category" not in values and "forecast_category_set" not in values:
                if current["forecast_category_set"]:
                    fields.pop("forecast_category", None)
                    fields.pop("forecast_category_set", None)
                else:
                    probability = fields["probability"] if "probability" in fields else current["probability"]
                    fields["forecast_category"] = default_forecast_category(probability, stage.kind)
                    fields.pop("forecast_category_set", None)
        else:
            fields["stage_entered_at"] = as_timestamp(fields.get("won_at") or fields.get("lost_at") or self.writer.now)
            # what the old status left behind goes, as `deal reopen` clears it (unless the file sets it)
            if stage.kind != "won":
                fields["won_at"] = None
            if stage.kind != "lost":
                fields["lost_at"] = None
                for k in ("lost_reason", "lost_category"):
                    fields.setdefault(k, values.get(k))
        self.note_kept_values(current, fields)
        changed = _changed(current, fields)
        if not changed:
            return "unchanged"
        if self.options.on_duplicate == "skip":
            return "skipped"
        self.writer.update("deals", "deal", current, changed)
        if stage.rules and breaks_rules({**current, **fields}, stage):
            self.tally.notes[BREAKS_STAGE_RULES] += 1
        if any(str(changed.get(k) or "")[:10] > self.today for k in ("won_at", "lost_at")):
            self.tally.notes[CLOSED_AHEAD] += 1
        if redated is not None and "stage_entered_at" in changed:
            self.writer.need_index("stage_history_deal")
            last = self.store.last_stage_entries(current["id"])
            if last and last[0]["to_stage_id"] == stage.id:  # (undo puts the day back, from the change's before)
                self.store.redate_stage_entry(last[0]["id"], fields["stage_entered_at"])
        if "stage_id" in changed:  # (stage_entered_at may be unchanged: entered the old stage that day)
            self.writer.history(current["id"], current["stage_id"], stage.id, fields["stage_entered_at"])
            was = self.stage_by_id.get(current["stage_id"])
            if was is not None and (was.kind != "open" and stage.kind == "open" or (
                    stage.kind == was.kind == "open" and stage.pipeline_id == was.pipeline_id
                    and stage.position < was.position)):
                self.tally.notes[MOVED_BACK] += 1  # (work done in salescli since that export: said, not refused)
        return "updated"

    def _new_close(self, current: Row, stage: StageInfo, values: Row, closed_on: str | None) -> str | None:
        """The other close date a row gives a won or lost deal that stays in its stage: the file's won/lost date,
        else its close date when the file changed that (a CRM's close date of a won deal is the day it was won,
        as a new deal's import takes it); None when the deal keeps its date (an old export's unchanged close
        date leaves a date set by `deal won --date` alone)."""
        if current["stage_id"] != stage.id or stage.kind == "open" or not closed_on:
            return None
        name = f"{stage.kind}_at"
        if name not in values and values.get("expected_close") in (None, current.get("expected_close")):
            return None
        return closed_on if closed_on != current.get(name) else None

    def _check_redated(self, current: Row, stage: StageInfo, values: Row, redated: str | None, line: int) -> None:
        """A new close date of a won or lost deal (from _new_close) is the day it entered that stage: refused when
        before the deal was created or entered the stage before it (its history runs forward)."""
        if redated is None or self.options.on_duplicate == "skip":
            return
        self.writer.need_index("stage_history_deal")  # (a bulk import drops it: a scan of the history a row)
        last = self.store.last_stage_entries(current["id"])
        floor, what = str(current["created_at"])[:10], "was created"
        if len(last) == 2 and str(last[1]["changed_at"])[:10] > floor:
            was = self.stage_by_id.get(last[1]["to_stage_id"])
            floor, what = str(last[1]["changed_at"])[:10], f"entered {was.name if was else 'its stage before'}"
        if redated[:10] < floor:
            name = f"{stage.kind}_at"
            column = self.col(name) if values.get(name) else self.col("expected_close")
            raise RowError(column, redated, f"is before deal {current['id']} {what} ({floor}); stage history runs"
                           " forward", line)

    def _check_history_runs_forward(self, current: Row, stage: StageInfo, values: Row, closed_on: str | None,
                                    line: int) -> None:
        """A row that moves an existing deal enters the new stage at its close date (won/lost), else
        today (see _update_deal): refused when that is before the deal's last stage change, as `deal won
        --date` is, since its history runs forward (and its created date and history stay as they are)."""
        if current["stage_id"] == stage.id or self.options.on_duplicate == "skip":
            return
        entered = str(closed_on or self.writer.now)[:10]
        self.writer.need_index("stage_history_deal")
        last = self.store.last_stage_change(current["id"]) or str(current["stage_entered_at"])[:10]
        if entered >= last:
            return
        was = self.stage_by_id.get(current["stage_id"])
        reason = (f"is before deal {current['id']} entered {was.name if was else 'its stage'} ({last});"
                  " stage history runs forward")
        name = "won_at" if stage.kind == "won" else "lost_at"
        if stage.kind != "open" and values.get(name):
            raise RowError(self.col(name), str(values[name]), reason, line)
        if stage.kind != "open" and values.get("expected_close"):
            raise RowError(self.col("expected_close"), str(values["expected_close"]), reason, line)
        raise RowError(self.col("stage"), stage.name, f"would be entered today ({entered}), which {reason}", line)


# -- activities -------------------------------------------------------------------------------------
class ActivityPlanner(Planner):
    entity = "activities"
    table = "activities"
    change_entity = "activity"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.relations = Relations.load(self.writer, contacts=True)
        self.by_ext: dict[str, int] = {}
        # without an external id, identical activities (two calls on one day) are distinct: a row
        # matches one of the existing ones not matched yet, so re-importing a file changes nothing
        self.by_key: dict[tuple[Any, ...], list[int]] = {}
        # ... and a row the file gives no date (dated the import day) is one imported so before, on any day, of the
        # same body (an activity logged or imported with its own date stays another one)
        self.by_undated_key: dict[tuple[Any, ...], list[int]] = {}
        # ... and a call done before its due day (dated its done day) by that due day, for an older file planning it
        self.by_due_key: dict[tuple[Any, ...], list[int]] = {}
        for row in self.store.import_activity_keys():
            if row["external_id"]:
                self.by_ext[row["external_id"]] = row["id"]
            key = self._key(row)
            self.by_key.setdefault(key, []).append(row["id"])
            if row["kind"] != "task" and row["due_date"]:
                self.by_due_key.setdefault(self._due_key(row), []).append(row["id"])
            if not row["external_id"] and str(row["occurred_at"])[:10] == str(row["created_at"])[:10]:
                self.by_undated_key.setdefault(self._undated_key(key, row.get("body")), []).append(row["id"])
        self.other_company_note: tuple[str, str] | None = None
        self.deal_renamed_note: tuple[str, str] | None = None  # the note of rows naming a deal by a former title
        self.planned_note: tuple[str, str] | None = None
        self.deal_by_ext: dict[str, tuple[int, int | None, int | None]] = {}  # -> (deal, its company, contact)
        if any(f in self.mapping.fields for f in ("deal_external_id", "related_external_id")):
            for row in self.store.import_deal_refs():
                self.deal_by_ext[row["external_id"]] = (row["id"], row["company_id"], row["contact_id"])

    @staticmethod
    def _key(row: Row) -> tuple[Any, ...]:
        """What makes a row without an external id the same record: a task by its due day (its occurred_at
        moves to the done day when it is done), anything else by the day it happened."""
        day = row.get("due_date") if row["kind"] == "task" else row["occurred_at"]
        return (row["kind"], fold(row["subject"]), str(day or "")[:10], row["deal_id"], row["contact_id"],
                row["company_id"])

    @staticmethod
    def _planned_kind(row: Row) -> str | None:
        """The kind of call a task stands for (a call not done yet when imported), else None."""
        if row.get("kind") != "task" or not row.get("extra"):
            return None
        try:
            extra = json.loads(row["extra"])
        except ValueError:  # (written around salescli: `db check` lists it)
            return None
        kind = extra.get("planned_kind") if isinstance(extra, dict) else None
        return kind if isinstance(kind, str) else None

    @staticmethod
    def _due_key(row: Row) -> tuple[Any, ...]:
        return ("due", row["kind"], fold(row["subject"]), str(row.get("due_date") or "")[:10], row["deal_id"],
                row["contact_id"], row["company_id"])

    @staticmethod
    def _undated_key(key: tuple[Any, ...], body: str | None) -> tuple[Any, ...]:
        return (*key[:2], *key[3:], body or "")

    def change_entity_of(self, row: Row) -> str:
        return "task" if row.get("kind") == "task" else "activity"

    def _deal(self, values: Row, line: int, company_id: int | None) -> tuple[int | None, int | None, int | None]:
        """(deal, its company, its contact) the row names, or Nones."""
        ext = values.get("deal_external_id")
        if ext:
            found = self.deal_by_ext.get(ext)
            if found is None:
                raise RowError(self.col("deal_external_id"), ext, "is not the external id of any deal", line)
            return found
        related = values.get("related_external_id")
        if related and related in self.deal_by_ext:
            return self.deal_by_ext[related]
        title = values.get("deal")
        if not title:
            return None, None, None
        rows, by = self.store.import_deals_titled(title), "title"
        named = next((str(values[k]) for k in ("company", "company_domain", "company_external_id") if values.get(k)),
                     None)
        names = self.relations.company_names
        at_company = False
        linked = self.linked_hint(values, "_deal_id", [r["id"] for r in rows])
        if linked is not None:  # (the activity's deal may be at another company than the activity)
            rows = [r for r in rows if r["id"] == linked]
        if company_id is not None and len(rows) > 1:  # two "Renewal" deals: the one at the row's company
            at = [r for r in rows if r["company_id"] == company_id]
            rows, at_company = at or rows, bool(at)
        contact = values.get("contact")
        hinted = self.hinted(values, "_deal_id", [r["id"] for r in rows]) if len(rows) > 1 else None
        if hinted is not None:
            rows = [r for r in rows if r["id"] == hinted]
        if len(rows) > 1 and contact:  # ... or the one with the row's contact
            key = _email_key(contact) if "@" in contact else None
            pid = self.relations.contact_by_email.get(key) if key is not None else None
            rows = [r for r in rows if pid is not None and r["contact_id"] == pid] or rows
        if len(rows) > 1:
            listed = "; ".join(f"{r['id']} at {names.get(r['company_id'], 'no company')}" for r in rows[:10])
            if named is not None and not at_company:
                label = names.get(company_id, named) if company_id is not None else named
                raise RowError(self.col("deal"), title, f"is ambiguous: {len(rows)} deals match, none at company"
                               f" {label} ({listed}); give the deal's external id", line)
            raise RowError(self.col("deal"), title, f"is ambiguous: {len(rows)} deals match ({listed}); give the"
                           " company or the deal's external id", line)
        if not rows:
            ref = self.store.import_deal_ref(title)  # a deal column holding a deal's external id (no deal's title)
            deal = ref if ref is not None else self._deal_renamed_from(values, title)
            if deal is None:
                raise RowError(self.col("deal"), title, "is no deal's title or external id (import the deals first)",
                               line)
            rows, by = [deal], "external id" if ref is not None else "title"
        if company_id is not None and rows[0]["company_id"] not in (None, company_id):
            # the one deal of the title, at another company (a CRM's activity may name its contact's company)
            if self.other_company_note is None:
                where = (f'line {line}: deal "{title}" is at {names.get(rows[0]["company_id"])}, the row says'
                         f" {names.get(company_id, named)}")
                self.other_company_note = (
                    f"activity row names a company other than its deal's: linked by the deal's {by} ({where})",
                    f"activity rows name a company other than their deal's: linked by the deal's {by} (the first,"
                    f" {where})")
            self.tally.notes[self.other_company_note] += 1
        return rows[0]["id"], rows[0]["company_id"], rows[0]["contact_id"]

    def _deal_renamed_from(self, values: Row, title: str) -> Row | None:
        """The deal salescli's export names by its id (`deal_id`) and by the title it had then, renamed since
        (deals.csv with the new title imported before activities.csv): that deal, said, rather than an error."""
        text = values.get("_deal_id")
        if not (text and text.isascii() and text.isdigit()):
            return None
        row = self.store.import_deal_named(int(text))
        if row is None or fold(row["title"]) == fold(title) \
                or not self.store.was_named("deal", row["id"], title, "title"):
            return None
        if self.deal_renamed_note is None:
            self.deal_renamed_note = (f'row names deal {row["id"]} by its former title "{title}": linked to it (now'
                                 f' "{row["title"]}")', f'rows name deals by their former titles (the first: deal'
                                 f' {row["id"]}, "{title}", now "{row["title"]}"): linked to them')
        self.tally.notes[self.deal_renamed_note] += 1
        return row

    def plan_row(self, line: int, values: Row, extra: dict[str, str] | None) -> str:
        rel = self.relations
        subject = values.get("subject")
        if not subject:
            raise RowError(self.col("subject"), "", "is required", line)
        kind = values.get("kind") or ("task" if values.get("due_date") else "note")
        kind = _KIND_WORDS.get(kind, kind)
        if kind not in ACTIVITY_KINDS:
            raise RowError(self.col("kind"), kind, f"is not one of {', '.join(ACTIVITY_KINDS)}"
                           " (map other values with a value map)", line)
        related = values.get("related_external_id")
        if related and related not in self.deal_by_ext and "company_external_id" not in values \
                and related in rel.company_by_ext:
            values = {**values, "company_external_id": related}
        if related and related not in self.deal_by_ext and "contact_external_id" not in values \
                and related in rel.contact_by_ext:
            values = {**values, "contact_external_id": related}
        if related and related not in self.deal_by_ext and related not in rel.company_by_ext \
                and related not in rel.contact_by_ext:
            raise RowError(self.col("related_external_id"), related,
                           "is not the external id of any deal, company or contact (import those first)", line)
        flag, done_day = values.pop("_done", None), values.pop("done", None)  # a Done column: yes/no, or its day
        if done_day is not None and values.get("done_at") is None:
            values["done_at"] = done_day
        if values.get("status") is None and (flag is not None or done_day is not None):
            values["status"] = "done" if flag or done_day is not None else "open"
        status = values.get("status")
        due = values.get("due_date")
        # a call or meeting of a day and no status (Salesforce's Event): held on that day, or planned for it
        today = self.options.today.isoformat()
        ahead = status is None and bool(due) and str(due)[:10] > today \
            and str(values.get("occurred_at") or due)[:10] > today  # (one dated in the past happened then)
        if kind in ("call", "meeting", "email") and due and values.get("done_at") is None \
                and (status in NOT_DONE_WORDS or ahead):
            # a call planned for its due date (Pipedrive's "To do" activities): salescli logs a call once it
            # happened, and a planned one is a task, due then (its kind kept in extra)
            if self.planned_note is None:
                self.planned_note = (
                    f'call or meeting not done yet is imported as a task due on its date (line {line}: {kind}'
                    f' "{subject}"; its kind kept as extra.planned_kind)',
                    f'calls and meetings not done yet are imported as tasks due on their dates (the first, line'
                    f' {line}: {kind} "{subject}"; their kinds kept as extra.planned_kind)')
            self.tally.notes[self.planned_note] += 1
            extra = {**(extra or {}), "planned_kind": kind}
            kind, planned = "task", kind
        else:
            planned = None
        if kind == "task" and values.get("done_at") is None and status is not None \
                and status not in DONE_WORDS and status not in NOT_DONE_WORDS:
            raise RowError(self.col("status"), status, "is not a task status (done/completed, or open/"
                           "not started)", line)
        own = self.by_own_id(line, values)  # (this database's export read back: the activity it was)
        if own is not None:
            self.link_hints(self.record("activities", own))
        # every check before anything is created: a rejected row (an unknown deal) leaves no company behind
        new_company = self._company_is_new(values)
        company_id = None if new_company else self.company_ref(values, line, create=False)
        deal_id, deal_company, deal_contact = self._deal(values, line, company_id)
        # salescli's own export says every link: an empty company or contact cell is none (another CRM's row
        # linked to a deal is given the deal's company and contact, as `activity log --deal` links them)
        fields_given = self.mapping.fields
        said_company = self.mapping.export_id is not None and any(
            k in fields_given for k in ("company", "company_domain", "company_external_id"))
        said_contact = self.mapping.export_id is not None and any(
            k in fields_given for k in ("contact", "contact_name", "contact_external_id"))
        if company_id is None and not said_company:
            company_id = deal_company
        self.probe_contact(values, line, company_id)
        if new_company:
            company_id = self.company_ref(values, line, create=True)
        contact_id = self.contact_ref(values, line, company_id)
        named_contact = contact_id is not None or any(values.get(k) for k in ("contact", "contact_name",
                                                                                "contact_external_id"))
        if contact_id is None and not named_contact and company_id in (None, deal_company) and not said_contact:
            contact_id = deal_contact  # with the deal's contact, as `activity log --deal` links it
        if company_id is None and contact_id is not None and not said_company:
            company_id = rel.contact_company.get(contact_id)
        done_at = values.get("done_at")
        done_today = False  # (a done task the file gives no date: done on the import day, which a re-import keeps)
        done_early = False  # ... or a due day still ahead (done today at the latest: said when it is news)
        derived_done = kind == "task" and done_at is None and status in DONE_WORDS  # (its day: a re-import keeps)
        if derived_done:
            done_at = values.get("due_date") or values.get("occurred_at")
            if not done_at:
                done_at, done_today = self.options.today.isoformat(), True
            elif str(done_at)[:10] > self.options.today.isoformat():
                done_at, done_today, done_early = self.options.today.isoformat(), True, True
        created = values.get("created_at")
        # a call or e-mail logged as a completed task (Salesforce's TaskSubtype) happened on its activity date (the
        # column a task's due date comes from), not on the day the record was made (a bulk load's)
        dated = due if kind != "task" and (done_at or status in DONE_WORDS or status is None) else None
        undated = not (values.get("occurred_at") or dated or created)  # (dated the import day)
        day = str(dated)[:10] if dated else None
        if day and kind != "task" and done_at and str(done_at)[:10] < day:
            day = str(done_at)[:10]  # marked done before its day came: it happened then, at the latest
        if day and kind != "task" and day > today:
            day, undated = today, True  # done, its day still ahead: done by now (as a done task is; the day first
            # imported stays its day, as an undated row's)
        occurred = (values.get("occurred_at") or day or (created[:10] if created else None)
                    or self.options.today.isoformat())
        if kind == "task" and done_at:  # a done task happened on its done day (as `task done` records it)
            occurred, undated = str(done_at)[:10], done_today
        fields: Row = {"kind": kind, "subject": subject, "occurred_at": occurred, "deal_id": deal_id,
                       "contact_id": contact_id, "company_id": company_id}
        early = bool(dated) and day != str(dated)[:10]  # (done before its due day: the due day kept beside)
        for k in ("body", "outcome", "due_date", "external_id"):
            if k in values and not (k == "due_date" and dated and not early):  # (a done call's date: when it was)
                fields[k] = values[k]
        if done_at is not None:
            fields["done_at"] = done_at
        ext = values.get("external_id")
        match = own
        how = ""
        if match is not None:
            how = f"id {match}"
        elif ext:
            match, how = self.by_ext.get(ext), f'external id "{ext}"'
        else:
            how = (f'"{subject}" due {fields.get("due_date") or "never"}' if kind == "task"
                   else f'"{subject}" on {occurred}')
            match = next((i for i in self.by_key.get(self._key(fields), ())
                          if not self.writer.was_touched("activities", i)), None)
            if match is None and fields["contact_id"] is not None and fields["contact_id"] == deal_contact:
                # imported before the deal's contact was linked: the same activity, now given it
                match = next((i for i in self.by_key.get(self._key({**fields, "contact_id": None}), ())
                              if not self.writer.was_touched("activities", i)), None)
            if match is None and dated:  # a call done now that an earlier file had planned (a task, see above)
                match = next((i for i in self.by_key.get(self._key({**fields, "kind": "task", "due_date": dated}), ())
                              if not self.writer.was_touched("activities", i)
                              and self._planned_kind(self.writer.current("activities", i)) == kind), None)
            if match is None and dated:  # ... or imported done before its due day (dated then, its due day kept)
                match = next((i for i in self.by_due_key.get(self._due_key({**fields, "due_date": dated}), ())
                              if not self.writer.was_touched("activities", i)), None)
                undated = undated or match is not None  # (the day it was first dated stays its day)
            if match is None and planned:  # an older file of a call a later one had done: that call (done on its
                held = {**fields, "kind": planned}  # due day, or before it: kept beside as its due day)
                candidates = [*self.by_key.get(self._key({**held, "occurred_at": fields.get("due_date")}), ()),
                              *self.by_due_key.get(self._due_key(held), ())]
                match = next((i for i in candidates if not self.writer.was_touched("activities", i)), None)
            if match is None and undated and kind != "task":
                for linked in ((fields, {**fields, "contact_id": None}) if fields["contact_id"] is not None
                               and fields["contact_id"] == deal_contact else (fields,)):  # (as above)
                    match = next((i for i in self.by_undated_key.get(self._undated_key(self._key(linked),
                                                                                       fields.get("body")), ())
                                  if not self.writer.was_touched("activities", i)), None)
                    if match is not None:
                        break
        if match is not None:
            self.existing(match, line, how)
            current = self.record("activities", match)
            if planned and current.get("kind") == planned:
                if self.planned_note is not None:  # (the planned call has happened since: an older file does not
                    self.tally.notes[self.planned_note] -= 1  # plan it again, nor say it does)
                    if self.tally.notes[self.planned_note] <= 0:
                        del self.tally.notes[self.planned_note]
                return "unchanged"
            if undated:
                fields.pop("occurred_at")  # (the day it was first imported stays its day)
                if done_today and current.get("done_at"):
                    fields.pop("done_at", None)
            if derived_done and current.get("done_at"):  # done already: its done day stays (as the file has none)
                fields.pop("done_at", None)
                fields.pop("occurred_at", None)
            elif done_early:
                self.tally.notes[DONE_NOW] += 1
            if kind == "task" and current.get("done_at") and not fields.get("done_at"):
                fields.pop("occurred_at", None)  # done since the file was written: it happened on its done day
            if "owner" in values:
                fields["owner"] = self.owner(values)
            if extra:
                fields["extra"] = self.merged_extra(current.get("extra"), extra)
            if kind != "task" and self._planned_kind(current) == kind:  # the planned call happened: a call again
                kept = json.loads(fields.get("extra") or current.get("extra") or "{}")
                kept.pop("planned_kind", None)
                fields["extra"] = json.dumps(kept, ensure_ascii=False) if kept else None
                fields["due_date"] = due if early else None  # (a call has happened: as a new one's fields are)
                fields["done_at"] = done_at
                if fields.get("occurred_at"):
                    self._touch(fields["occurred_at"], fields)
            if fields.get("done_at") and fields["done_at"] != current.get("done_at"):
                self._touch(fields["done_at"], fields)
            return self.update("activities", current, fields)
        owner = self.owner(values)
        now = self.writer.now
        if done_early:
            self.tally.notes[DONE_NOW] += 1
        self.keep_export_id(line)
        aid = self.writer.create("activities", {
            "kind": kind, "subject": subject, "body": values.get("body"), "outcome": values.get("outcome"),
            "deal_id": deal_id, "contact_id": contact_id, "company_id": company_id, "owner": owner,
            "occurred_at": occurred, "due_date": fields.get("due_date"), "done_at": done_at,
            "external_id": ext, "extra": json.dumps(extra, ensure_ascii=False) if extra else None,
            "created_at": created or now, "updated_at": values.get("updated_at") or now,
        }, line=line)
        if ext:
            self.by_ext[ext] = aid
        happened = done_at if kind == "task" else occurred
        if happened:
            self._touch(happened, fields)
        return "created"

    def _touch(self, happened: str, links: Row) -> None:
        """The linked records' last activity moves to the day it happened, never past today (the CLI refuses
        to log what has not happened yet; an export may hold meetings planned ahead)."""
        if str(happened)[:10] > self.options.today.isoformat():
            self.tally.notes[ACTIVITY_AHEAD] += 1
        else:
            self.writer.touch_last_activity(happened, links)


_NAMED_ADDRESS_RE = re.compile(r'"?([^"()<>]*?)"?\s*[(<]\s*([^\s()<>]+@[^\s()<>]+)\s*[)>]')  # Jane Doe (jane@x.com)
_COMMA_THOUSANDS_RE = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+")  # 1,234: a thousands comma, likely
_DOTTED_THOUSANDS_RE = re.compile(r"[0-9]{1,3}(?:\.[0-9]{3})+")  # 1.234: a thousands dot, likely


def _email_key(text: str) -> str | None:
    """An e-mail address as contacts are looked up by it, or None when it is not one."""
    from salescli.models import normalize_email

    try:
        return normalize_email(text)
    except ValueError:
        return None


def _name_at(name: str, company_id: Any) -> str:
    """A contact's key without an e-mail: its name at its company."""
    return f"{fold(name)}\x1f{company_id}"


def _contact_text(values: Row) -> tuple[str | None, str]:
    """The contact a row names and the field it is in: its e-mail or name (`contact`), else the name alone
    (`contact_name`: Pipedrive's "Person - Name" without an e-mail)."""
    if values.get("contact"):
        return values["contact"], "contact"
    return values.get("contact_name"), "contact_name"


def _unknown_contact_id(ext: str) -> str:
    """Why a contact external id matched nothing: a Salesforce Lead id (00Q…) says which file comes first."""
    if len(ext) in (15, 18) and ext.startswith("00Q") and ext.isalnum():
        return ("is not the external id of any contact: a Salesforce Lead id (import Lead.csv as contacts"
                " first, with --preset salesforce)")
    return "is not the external id of any contact (import the contacts first)"


# -- users ------------------------------------------------------------------------------------------
class UserPlanner(Planner):
    entity = "users"
    table = "users"
    change_entity = "user"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        rows = self.store.import_user_rows()
        self.by_name: dict[str, int] = {}
        for r in rows:  # (the first of one folded name, as the CLI finds it)
            self.by_name.setdefault(fold(r["name"]), r["id"])
        self.heirs = self.store.user_heirs()
        self.by_email = {fold(r["email"]): (r["id"], r["name"]) for r in rows if r["email"]}
        for key, (uid, _) in self.by_email.items():  # a name that is a user's e-mail: that user (as an owner given
            self.by_name.setdefault(key, uid)  # so is)
        self.known_teams = self.store.team_names()
        self.teams: dict[str, str] = {}  # casefolded -> as first spelt (reports group by team: one spelling each)
        for team in self.known_teams:
            self.teams.setdefault(team.casefold(), team)

    def team(self, team: str) -> str:
        """The team as spelt already ("EAST" in the file, East known); a new one one slip from a known team said
        (services.users._team_spelling's rule, kept in memory here: a file's teams are read once, not per row)."""
        spelled = self.teams.get(team.casefold())
        if spelled is None:
            meant = typo_of(team, self.known_teams)
            if meant is not None:
                self.near["team"].append((team, meant))
            self.teams[team.casefold()] = spelled = team
        return spelled

    def plan_row(self, line: int, values: Row, extra: dict[str, str] | None) -> str:
        name = values.get("name")
        if not name:
            raise RowError(self.col("name"), "", "is required", line)
        fields: Row = {k: values[k] for k in ("email", "team", "territory") if k in values}
        if fields.get("team"):
            fields["team"] = self.team(fields["team"])
        match = self.by_name.get(fold(name))
        reserved = reserved_user_name(name) if match is None else None
        if reserved is not None:
            raise RowError(self.col("name"), name, reserved, line)
        heir = self.heirs.get(fold(name)) if match is None else None
        if heir is not None:  # an old users file again: one who left (user rm --to) is not made again
            self.tally.notes[(f"user {name} was removed, their records handed to {heir} (user rm --to): not made"
                              " again (user add brings them back)", "users were removed, their records handed over"
                              " (user rm --to): not made again (user add brings them back)")] += 1
            return "skipped"
        if match is not None:
            self.existing(match, line, f'name "{name}"')  # (twice in the file: refused there)
        current = self.writer.current("users", match) if match is not None else None
        old_email = fold(current["email"] or "") if current is not None else ""
        email = fold(fields["email"]) if fields.get("email") else ""
        holder = self.by_email.get(email) if email and email != old_email else None
        if holder is not None and holder[0] != match:  # one e-mail a user (owners given by it are that user)
            raise RowError(self.col("email"), fields["email"], f"is the e-mail of user {holder[1]}", line)
        if current is not None and match is not None:
            outcome = self.update("users", current, fields)
        else:
            created = values.get("created_at") or self.writer.now
            match = self.writer.create("users", {"name": name, **fields, "created_at": created}, line=line)
            self.by_name[fold(name)] = match
            outcome = "created"
        if email and email != old_email:  # (the e-mail moves: its old one is free for a later row)
            if old_email and self.by_email.get(old_email, (None,))[0] == match:
                del self.by_email[old_email]
            self.by_email[email] = (match, name)
            self.by_name.setdefault(email, match)  # (a later row naming the user by it: that user)
        return outcome


PLANNERS: dict[str, type[Planner]] = {
    "companies": CompanyPlanner,
    "contacts": ContactPlanner,
    "deals": DealPlanner,
    "activities": ActivityPlanner,
    "users": UserPlanner,
}
