"""The strict CSV reader: what Python's csv module lets through silently is refused here. (A JSON
array of objects or JSON lines — `export -f json|jsonl` — is read as the CSV export of the same
records would be: see _json_file.)

- UTF-8 with or without a BOM; another encoding only when ``--encoding`` names it (never a silent
  latin-1 fallback: a non-UTF-8 byte is an error naming the line);
- the delimiter sniffed among ``, ; TAB |`` from the header line (or given), and reported;
- refused: binary files (xlsx, xls, pdf, zip, gzip, NUL bytes), UTF-16 without ``--encoding``,
  empty or duplicate header cells, unterminated quotes, fields over MAX_FIELD characters,
  a one-column header that contains another delimiter;
- ragged rows are row errors (the caller decides: abort, or reject just that row).

The file is streamed: blocks of bytes are decoded at C speed and split into lines, so memory
stays bounded whatever the file size, and every error carries the physical line number at which
the record starts (records with quoted newlines span several lines).
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import os
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from salescli.errors import ImportRejected, UsageError

MAX_FIELD = 1_000_000  # characters in one cell: notes fit, a runaway quote does not swallow the file
_C1_RE = re.compile("[\x80-\x9f]")  # C1 controls: never meant in a CSV cell
BLOCK = 1 << 20
HEAD_BYTES = 64 * 1024  # read first, to tell the file's kind and encoding
DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}

_MAGIC: list[tuple[bytes, str]] = [
    (b"PK\x03\x04", "a zip archive (an Excel .xlsx or OpenDocument workbook?)"),
    (b"\xd0\xcf\x11\xe0", "an old Excel .xls (or other Office) file"),
    (b"%PDF", "a PDF document"),
    (b"\x1f\x8b", "gzip-compressed"),
    (b"SQLite format 3\x00", "a SQLite database"),
]


def describe_delimiter(delimiter: str) -> str:
    shown = "\\t" if delimiter == "\t" else delimiter
    name = DELIMITER_NAMES.get(delimiter)
    return f"'{shown}' ({name})" if name else f"'{shown}'"


def parse_delimiter(text: str) -> str:
    """--delimiter: one character; 'tab', '\\t', 'comma', 'semicolon', 'pipe' are accepted too."""
    words = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|", "t": "\t"}
    value = words.get(text.strip().lower(), text)
    if len(value) != 1 or value in ('"', "\r", "\n"):
        raise UsageError(f'--delimiter "{text}" is not one character (examples: , ; tab |)')
    return value


@dataclass
class CsvFile:
    """An opened CSV: its header and a stream of (line number, cells) records."""

    name: str
    header: list[str]
    delimiter: str
    delimiter_sniffed: bool
    encoding: str
    bom: bool
    size: int | None  # bytes, when known (a file, not stdin)
    _records: Iterator[tuple[int, list[str]]] = field(repr=False)
    bytes_read: Callable[[], int] = field(repr=False, default=lambda: 0)
    form: str = "csv"  # or "json" / "jsonl": an export of salescli (or another tool) read back
    #: A JSON array whose records share lines (`jq -c`, a minified API dump): every record would be "line 1",
    #: so the number given as a record's line is its record number (and the messages say so).
    numbered_by_record: bool = False

    def numbering_note(self) -> str | None:
        if not self.numbered_by_record:
            return None
        return f"{self.name} writes several records on one line: line N in its messages is record N"

    def records(self) -> Iterator[tuple[int, list[str]]]:
        """(line where the record starts, cells) for every non-blank record after the header."""
        return self._records


def _refuse(name: str, message: str, hint: str | None = None) -> ImportRejected:
    return ImportRejected(f"{name}: {message}", hint=hint)


def _check_binary(name: str, head: bytes) -> None:
    for magic, what in _MAGIC:
        if head.startswith(magic):
            raise _refuse(name, f"is {what}, not a CSV file", "export it as CSV first (File > Save as > CSV UTF-8)")
    if b"\x00" in head[:8192]:
        raise _refuse(name, "is a binary file (it contains NUL bytes), not a CSV file",
                      "export it as CSV first (File > Save as > CSV UTF-8)")


def _check_utf8_named_otherwise(name: str, head: bytes, encoding: str) -> None:
    """--encoding cp1252 (or another one-byte encoding) on a file of UTF-8 text with accents: every accent would
    be stored as two wrong letters (é as Ã©). A run of UTF-8's multi-byte sequences is next to impossible by
    chance in such text, so a start that decodes as UTF-8 with a byte order mark, or with three letters or more
    past ASCII, is UTF-8: refused, showing what it would read."""
    if codecs.lookup(encoding).name.startswith("utf") or head.isascii() or not _one_byte(encoding):
        return
    try:
        text = codecs.getincrementaldecoder("utf-8")().decode(head, final=False)  # (64 KiB may cut a letter)
    except UnicodeDecodeError:
        return
    wide = [ch for ch in text if not ch.isascii()]
    if not (text.startswith("\ufeff") or len(wide) >= 3):
        return
    letter = wide[0]
    misread = letter.encode("utf-8").decode(encoding, errors="replace")
    what = "its byte order mark" if letter == "\ufeff" else f'its "{letter}"'
    raise _refuse(name, f'is UTF-8 text: read as {encoding} {what} would become "{misread}"',
                  "leave --encoding out (UTF-8 is read by default)")


# letters UTF-8 writes as two or three bytes that a one-byte encoding reads as "Ã©", "Â°", "â€™": accented Latin
# letters, signs, curly quotes and dashes, the euro (a pair such as "É’" happens by chance in cp1252 text; these not)
_UTF8_MARK_RE = re.compile("[\u00a0-\u00ff\u2010-\u203a\u20ac]")


def _utf8_in_block(name: str, first_line: int, data: bytes, encoding: str) -> bool:
    """A block of whole lines of a file read with a one-byte --encoding: refused when it is UTF-8 text with an
    accent or sign (its first one named, with its line); False when it is not UTF-8 (no need to look further)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    found = _UTF8_MARK_RE.search(text)
    if found is not None:
        letter = found.group()
        misread = letter.encode("utf-8").decode(encoding, errors="replace")
        line = first_line + text.count("\n", 0, found.start())
        raise _refuse(f"{name}:{line}", f'is UTF-8 text: read as {encoding} its "{letter}" would become "{misread}"',
                      "leave --encoding out (UTF-8 is read by default)")
    return True


def _one_byte(encoding: str) -> bool:
    """Whether the encoding writes every letter it has in one byte (cp1252, latin-1; not GBK or Shift-JIS)."""
    return all(len(ch.encode(encoding, errors="ignore")) <= 1 for ch in "é€Жあ职한")


def _is_ascii_compatible(encoding: str) -> bool:
    """Whether the byte 0x0A always means a newline (so the file can be split into lines as bytes)."""
    name = codecs.lookup(encoding).name
    return not (name.startswith("utf-16") or name.startswith("utf-32"))


_LONE_CR = re.compile(rb"\r(?!\n)")


class _Lines:
    """Decoded lines (each ending in "\\n" except maybe the last) with the physical line count."""

    def __init__(self, name: str, raw: IO[bytes], head: bytes, encoding: str, cr_only: bool = False) -> None:
        self.name = name
        self.raw = raw
        self.cr_only = cr_only  # lines end in CR alone (classic Mac): read as if they ended in LF
        self.quoted = 0  # 1 inside a quoted cell at the end of the bytes read (see _lone_crs)
        self.held = b""  # a CR that ended the bytes read: a line end of its own, or the first half of a CRLF
        self.pending = self._feed(head)
        self.encoding = encoding
        self.line = 0  # lines handed out so far
        self.bytes = 0
        self.eof = False

    def _feed(self, chunk: bytes) -> bytes:
        """Bytes as read, their line ends made LF: every CR of a classic-Mac file, else a CR alone (see _lone_crs;
        one ending the chunk waits for the next byte)."""
        if self.cr_only:
            return chunk.replace(b"\r", b"\n")
        chunk, self.held = self.held + chunk, b""
        if chunk.endswith(b"\r"):
            chunk, self.held = chunk[:-1], b"\r"
        return self._lone_crs(chunk)

    def __iter__(self) -> Iterator[list[str]]:
        """Blocks of lines (a csv reader walks them through itertools.chain, at C speed)."""
        decode = codecs.getdecoder(self.encoding)
        # latin-1 reads every byte, so a cp1252 file (Excel's dashes and quotes at 0x80-0x9F) decodes without
        # an error into invisible control characters: refused, naming the encoding it must be
        c1 = _C1_RE if codecs.lookup(self.encoding).name == "iso8859-1" else None
        # UTF-8 text read with --encoding cp1252 (its first accent maybe deep in the file): looked for block by
        # block until a block is not UTF-8
        probe = not codecs.lookup(self.encoding).name.startswith("utf") and _one_byte(self.encoding)
        while not self.eof:
            block = self.raw.read(BLOCK)
            if block:
                data = self.pending + self._feed(block)
                cut = data.rfind(b"\n") + 1
                if cut == 0:
                    if len(data) > MAX_FIELD * 4:
                        raise _refuse(self.name, f"line {self.line + 1} is longer than {MAX_FIELD * 4:,} bytes",
                                      "is this really a CSV file?")
                    self.pending = data
                    continue
                data, self.pending = data[:cut], data[cut:]
            else:
                self.eof = True
                held, self.held = self.held, b""
                data, self.pending = self.pending + (self._lone_crs(held) if held else b""), b""
                if not data:
                    break
            self.bytes += len(data)
            if probe and not data.isascii():
                probe = _utf8_in_block(self.name, self.line + 1, data, self.encoding)
            try:
                text = decode(data)[0]
            except UnicodeError as exc:  # (decoders such as punycode raise the base class, with no position)
                start = getattr(exc, "start", 0)
                line = self.line + data.count(b"\n", 0, start) + 1
                raise self._decode_error(line, data[start:start + 1]) from None
            found = c1.search(text) if c1 is not None else None
            if found is not None:
                line = self.line + text.count("\n", 0, found.start()) + 1
                byte = f"0x{ord(found.group()):02X}"
                raise ImportRejected(f"{self.name}:{line}: byte {byte} is a control character in {self.encoding}:"
                                     " the file is most likely cp1252 (Excel on Windows)",
                                     hint="pass --encoding cp1252")
            if "\x00" in text:
                line = self.line + text.count("\n", 0, text.index("\x00")) + 1
                raise _refuse(f"{self.name}:{line}", "contains a NUL byte: this is not a text CSV file",
                              "export it as CSV first")
            parts = text.split("\n")
            last = parts.pop()
            lines = [part + "\n" for part in parts]
            if last:
                lines.append(last)
            self.line += len(lines)
            yield lines

    def _lone_crs(self, data: bytes) -> bytes:
        """A line ended by CR alone among LF or CRLF ones ends a line too; a CR inside a quoted cell stays (the
        quotes are counted from the start of the file: inside a quoted cell their number is odd)."""
        if b"\r" not in data or data.count(b"\r") == data.count(b"\r\n"):
            self.quoted ^= data.count(b'"') & 1
            return data
        out, pos = bytearray(data), 0
        for cr in _LONE_CR.finditer(data):
            self.quoted ^= data.count(b'"', pos, cr.start()) & 1
            pos = cr.start()
            if not self.quoted:
                out[pos] = 0x0A
        self.quoted ^= data.count(b'"', pos) & 1
        return bytes(out)

    def _decode_error(self, line: int, byte: bytes) -> ImportRejected:
        shown = f"0x{byte.hex().upper()}" if byte else "?"
        if codecs.lookup(self.encoding).name == "utf-8":
            return ImportRejected(
                f"{self.name}:{line}: is not UTF-8 (byte {shown})",
                hint="pass --encoding cp1252 (Excel on Windows) or the file's encoding, e.g. --encoding utf-16",
            )
        return ImportRejected(f"{self.name}:{line}: is not valid {self.encoding} (byte {shown})",
                              hint="pass the file's real encoding with --encoding")


class _TextLines:
    """UTF-16/32 files (only with --encoding): decoded by io.TextIOWrapper, lines counted as read."""

    def __init__(self, name: str, raw: IO[bytes], head: bytes, encoding: str) -> None:
        self.name = name
        self.line = 0
        self.bytes = 0
        self.encoding = encoding
        self.text = io.TextIOWrapper(io.BufferedReader(_Prefixed(head, raw)), encoding=encoding, errors="strict",
                                     newline="")
        self.bom = head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE,
                                    codecs.BOM_UTF32_BE))

    def __iter__(self) -> Iterator[list[str]]:
        while True:
            try:
                line = self.text.readline()
            except UnicodeError:  # (utf-16 without a byte-order mark raises the base class)
                name = codecs.lookup(self.encoding).name
                hint = (f"the file has no byte-order mark: pass --encoding {name}-le (Windows) or {name}-be"
                        if name in ("utf-16", "utf-32") and not self.bom else "pass the file's real encoding with"
                        " --encoding")
                raise ImportRejected(f"{self.name}:{self.line + 1}: is not valid {self.encoding} text",
                                     hint=hint) from None
            if not line:
                return
            if "\x00" in line:
                raise _refuse(f"{self.name}:{self.line + 1}", "contains a NUL character: this is not a text CSV"
                              " file", "export it as CSV first")
            self.line += 1
            self.bytes += len(line) * 2
            yield [line]


class _Prefixed(io.RawIOBase):
    """A raw stream that first returns bytes already read (the sniffed head), then the rest."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self.head = head
        self.rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self.head:
            n = min(len(buffer), len(self.head))
            buffer[:n] = self.head[:n]
            self.head = self.head[n:]
            return n
        data = self.rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _outside_quotes(line: str) -> dict[str, int]:
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    return counts


def sniff_delimiter(header_line: str, sample: str | None = None) -> str | None:
    """The candidate that occurs most often outside quotes in the header line (comma when none). Several as often:
    the one that splits every record of the sample (the text from the header on, records read as CSV: a quoted cell
    may span lines) into as many cells as the header; None when more than one does (`Company;Amount (EUR, net)`
    over rows that fit both: say which); comma when none does, or without records to look at."""
    counts = _outside_quotes(header_line)
    most = max(counts.values())
    if not most:
        return ","
    tied = [d for d in DELIMITERS if counts[d] == most]
    if len(tied) == 1 or sample is None:
        return tied[0]
    fits = []
    for candidate in tied:
        try:
            records = [r for r in csv.reader(io.StringIO(sample), delimiter=candidate, strict=True) if r]
        except csv.Error:  # (a quoted cell the sample cuts short, or one not closed: not this one's to say)
            continue
        records = records[1:]  # (the header)
        if records and all(len(r) == most + 1 for r in records):
            fits.append(candidate)
    return fits[0] if len(fits) == 1 else tied[0] if not fits else None


def open_csv(
    path: str,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    stdin: IO[bytes] | None = None,
) -> tuple[CsvFile, Callable[[], None]]:
    """Open and check a CSV file ('-' is stdin). Returns the file and a close function."""
    name = "stdin" if path == "-" else os.path.basename(path) or path
    if encoding is not None:
        try:
            info = codecs.lookup(encoding)
        except LookupError:
            raise UsageError(f'--encoding "{encoding}" is not an encoding (examples: utf-8, cp1252, latin-1)') from None
        if not getattr(info, "_is_text_encoding", True):  # rot13, base64, zlib...: codecs, not text encodings
            raise UsageError(f'--encoding "{encoding}" is not a text encoding (examples: utf-8, cp1252, latin-1)')
    size: int | None = None
    if path == "-":
        raw: IO[bytes] = stdin if stdin is not None else sys.stdin.buffer
        close: Callable[[], None] = lambda: None  # noqa: E731
    else:
        try:
            raw = open(path, "rb")  # closed by the returned close()
        except IsADirectoryError:
            raise _refuse(path, "is a folder, not a CSV file") from None
        except OSError as exc:
            raise _refuse(path, f"cannot be read ({exc.strerror})") from None
        size = os.fstat(raw.fileno()).st_size
        close = raw.close
    try:
        csv_file = _open(name, raw, size, encoding, delimiter)
    except BaseException:
        close()
        raise
    return csv_file, close


def _open(name: str, raw: IO[bytes], size: int | None, encoding: str | None, delimiter: str | None) -> CsvFile:
    head = raw.read(HEAD_BYTES)
    if not head.strip():
        if name.lower().endswith((".jsonl", ".ndjson")):  # JSON lines of no records (an empty table's export)
            return _json_file(name, raw, head, size, encoding or "utf-8", False)
        raise _refuse(name, "is empty (no header line)")
    bom = False
    if encoding is None:
        if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):  # (its BOM begins as UTF-16's does)
            raise _refuse(name, "is UTF-32 text", "pass --encoding utf-32 (or save it as CSV UTF-8)")
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise _refuse(name, "is UTF-16 text", "pass --encoding utf-16 (or save it as CSV UTF-8)")
        _check_binary(name, head)
        encoding = "utf-8"
    else:
        _check_utf8_named_otherwise(name, head, encoding)
    if codecs.lookup(encoding).name == "utf-8" and head.startswith(codecs.BOM_UTF8):
        head = head[len(codecs.BOM_UTF8):]
        bom = True
    # salescli's own -f json / jsonl, or another tool's (an array of other values: refused as one)
    if re.match(rb'\s*(\[\s*[{\]\[]|\{\s*")', head) or _array_of_values(head):
        return _json_file(name, raw, head, size, encoding, bom)
    if _is_ascii_compatible(encoding):
        cr_only = b"\r" in head and b"\n" not in head
        lines: _Lines | _TextLines = _Lines(name, raw, head, encoding, cr_only)
    else:
        lines = _TextLines(name, raw, head, encoding)
    blocks = iter(lines)
    first_block = next(blocks, [""])
    # blank lines above the header (a spreadsheet's empty first row) are skipped, not read as a header of no columns
    first_line = next((line.rstrip("\r\n") for line in first_block if line.strip()), "")
    # Excel's "sep=;" line names the delimiter (Excel writes it so that it opens the file in any locale)
    sep = re.fullmatch(r"\ufeff?sep=(.)", first_line)
    if sep and sep.group(1) in ('"', "\r", "\n"):
        sep = None
    if sep:
        chosen = delimiter or sep.group(1)
    else:
        sample = "".join(line for line in first_block[:200] if line.strip())  # (blank lines above the header go)
        sniffed = delimiter or sniff_delimiter(first_line, sample)
        if sniffed is None:
            counts = _outside_quotes(first_line)
            tied = [d for d in DELIMITERS if counts[d] == max(counts.values())]
            shown = " and ".join(DELIMITER_NAMES[d] + "s" for d in tied)
            raise _refuse(name, f"has as many {shown} in its header, and in its rows: which one separates the"
                          " columns is not clear", f"pass --delimiter \"{tied[0]}\" (or \"{tied[1]}\")")
        chosen = sniffed
    csv.field_size_limit(MAX_FIELD)
    reader = csv.reader(itertools.chain(first_block, itertools.chain.from_iterable(blocks)), delimiter=chosen,
                        quotechar='"', doublequote=True, strict=True)
    try:
        if sep:
            next(reader)  # (line numbers still count it: the header is line 2)
        header_cells = next(reader)
        while not any(cell.strip() for cell in header_cells):
            header_cells = next(reader)
    except csv.Error as exc:
        raise _refuse(f"{name}:{reader.line_num or 1}", f"the header line is malformed ({exc})") from None
    except StopIteration:
        raise _refuse(name, "is empty (no header line)") from None
    header = [cell.strip() for cell in header_cells]
    while len(header) > 1 and not header[-1]:
        header.pop()  # a spreadsheet's trailing empty columns ("a;b;;"): a row with a value there is ragged
    _check_header(f"{name}:{reader.line_num}", header, chosen, delimiter is None)
    return CsvFile(
        name=name,
        header=header,
        delimiter=chosen,
        delimiter_sniffed=delimiter is None,
        encoding=codecs.lookup(encoding).name,
        bom=bom,
        size=size,
        _records=_records(name, reader),
        bytes_read=lambda: lines.bytes,
    )


def _array_of_values(head: bytes) -> bool:
    """Whether the file starts as a JSON array of numbers, strings or booleans (`[1, 2]`, `["Acme"]`): JSON to
    refuse as such, where a CSV header cell in brackets (`[1] name,domain`) is no JSON array."""
    import json

    match = re.match(rb'\s*\[\s*', head)
    if match is None or not re.match(rb'["\d-]|true\b|false\b|null\b', head[match.end():]):
        return False
    text = head.decode("utf-8", errors="replace")
    start = len(head[:match.end()].decode("utf-8", errors="replace"))
    try:
        _, end = json.JSONDecoder().raw_decode(text, start)
    except ValueError:
        return False
    rest = text[end:].lstrip()
    return rest.startswith(",") or (rest.startswith("]") and not rest[1:].strip())


def _json_file(name: str, raw: IO[bytes], head: bytes, size: int | None, encoding: str, bom: bool) -> CsvFile:
    """A JSON array of objects or JSON lines (`export -f json|jsonl`), as the CSV `export` would have
    written it: one column per key, each key of an `extra` object an `extra.KEY` column, lists of
    names joined with ", " (tags), other lists and objects as JSON text; a record's line is the line
    its object starts on, or its record number when records share lines (a minified array). The text is
    read twice (the columns, then the records), so the records are never all held at once."""
    data = head + raw.read()
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise _refuse(f"{name}:{line}", f"is not valid {encoding} text", "pass --encoding") from None
    del data
    if text.startswith("\ufeff"):
        text = text[1:]
    header: dict[str, None] = {}
    records = 0
    shared, last_line = False, 0
    for line, _number, obj in _json_objects(name, text):
        records += 1
        shared = shared or line == last_line
        last_line = line
        if isinstance(obj, BadRecord):
            continue
        for key, value in obj.items():
            if key == "extra" and isinstance(value, dict):
                header.update((f"extra.{k}", None) for k in value)
            elif key != "extra" or value is not None:
                header[str(key)] = None
    columns = list(header)  # none: an empty array (an empty table's export), nothing to import
    if records and not columns:
        raise _refuse(name, f"has {records:,} record{'s' if records != 1 else ''} with no fields")
    read = [0]

    def rows() -> Iterator[tuple[int, list[str]]]:
        for line, number, obj in _json_objects(name, text, read):
            line = number if shared else line
            if isinstance(obj, BadRecord):
                yield line, obj
                continue
            flat = dict(obj)
            extra = flat.pop("extra", None)
            if isinstance(extra, dict):
                flat.update((f"extra.{k}", v) for k, v in extra.items())
            elif extra is not None:
                flat["extra"] = extra
            cells = [_json_cell(flat.get(c)) for c in columns]
            if any("\x00" in cell for cell in cells):
                raise _refuse(f"{name}:{line}", f"record {number} holds a NUL character (\\u0000)",
                              "remove it: no text field may contain one")
            if any(len(cell) > MAX_FIELD for cell in cells):  # as a CSV's (an export of it could not be read back)
                raise _refuse(f"{name}:{line}", f"record {number} has a field longer than {MAX_FIELD:,} characters")
            yield line, cells

    return CsvFile(name=name, header=columns, delimiter=",", delimiter_sniffed=False,
                   encoding=codecs.lookup(encoding).name, bom=bom, size=size, _records=rows(),
                   bytes_read=lambda: read[0], form="jsonl" if text.lstrip().startswith("{") else "json",
                   numbered_by_record=shared)


class BadRecord(list[str]):
    """A JSON-lines record that is not JSON: its line as one cell, and why (a row error, which
    --on-error skip puts in the rejects file like any bad row)."""

    def __init__(self, raw: str, reason: str) -> None:
        super().__init__([raw])
        self.reason = reason


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


_JSON_TYPES = {dict: "an object", list: "an array", str: "a string", bool: "true or false", type(None): "null"}


def _json_objects(name: str, text: str,
                  read: list[int] | None = None) -> Iterator[tuple[int, int, dict[str, Any] | BadRecord]]:
    """(line, record number, object) for each element of a JSON array, or each line of JSON lines;
    strict: one comma between elements, one record per line of JSON lines. read[0]: characters read."""
    import json
    from decimal import Decimal

    def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(pairs)
        if len(obj) != len(pairs):  # {"title": "A", "title": "B"}: which one was meant? (a CSV header twice too)
            seen: set[str] = set()
            for key, _value in pairs:
                if key in seen:
                    raise _DuplicateKey(key)
                seen.add(key)
        return obj

    decoder = json.JSONDecoder(parse_float=Decimal, object_pairs_hook=unique_keys)
    end_of_text = len(text)
    seen_to, line = 0, 1

    def line_at(pos: int) -> int:
        nonlocal seen_to, line
        line += text.count("\n", seen_to, pos)
        seen_to = pos
        return line

    def skip(pos: int) -> int:
        while pos < end_of_text and text[pos] in " \t\r\n":
            pos += 1
        return pos

    pos = skip(0)
    in_array = text.startswith("[", pos)
    pos = skip(pos + 1) if in_array else pos
    number = 0
    one_per_line = False  # JSON lines (each record so far on a line of its own), known from record 2 on
    while True:
        if in_array and pos < end_of_text and text[pos] == "]" and number == 0:
            pos = end_of_text if not text[pos + 1:].strip() else pos
            if pos != end_of_text:
                raise _refuse(f"{name}:{line_at(pos)}", "has text after the JSON array")
            return
        if pos >= end_of_text:
            if in_array:
                raise _refuse(f"{name}:{line_at(pos)}", "the JSON array is never closed (a cut-off file?)")
            return
        number += 1
        where = f"{name}:{line_at(pos)}"
        try:
            obj, end = decoder.raw_decode(text, pos)
        except _DuplicateKey as exc:
            raise _refuse(where, f'record {number} has the key "{exc.key}" twice', "keep one of them") from None
        except json.JSONDecodeError as exc:
            eol = text.find("\n", pos)
            if not one_per_line:
                raise _refuse(f"{name}:{exc.lineno}", f"record {number} is not valid JSON ({exc.msg},"
                              f" column {exc.colno})") from None
            # JSON lines: what is wrong on the record's own line (not where the decoder stopped, reading on
            # into the lines below), as a bad row: the records around it still import with --on-error skip
            eol = end_of_text if eol < 0 else eol
            try:
                decoder.raw_decode(text[pos:eol])
                reason = f"{exc.msg}, column {exc.colno}"
            except json.JSONDecodeError as own:
                reason = f"{own.msg}, column {own.colno + pos - (text.rfind(chr(10), 0, pos) + 1)}"
            yield line_at(pos), number, BadRecord(text[pos:eol].rstrip("\r"), f"record {number} is not valid JSON"
                                                                                f" ({reason})")
            if read is not None:
                read[0] = eol
            pos = skip(eol)
            continue
        if not isinstance(obj, dict):
            kind = _JSON_TYPES.get(type(obj), "a number")
            raise _refuse(where, f"record {number} is {kind}, not an object")
        one_per_line = (number == 1 or one_per_line) and not in_array and "\n" not in text[pos:end]
        yield line, number, obj
        if read is not None:
            read[0] = end
        pos = skip(end)
        if in_array:
            if pos < end_of_text and text[pos] == ",":
                pos = skip(pos + 1)
                if pos < end_of_text and text[pos] in ",]":
                    raise _refuse(f"{name}:{line_at(pos)}", f"has an extra comma after record {number}")
            elif pos < end_of_text and text[pos] == "]":
                if text[pos + 1:].strip():
                    raise _refuse(f"{name}:{line_at(pos)}", "has text after the JSON array")
                return
            elif pos < end_of_text:
                raise _refuse(f"{name}:{line_at(pos)}", f"has no comma after record {number}")
        elif pos < end_of_text and "\n" not in text[end:pos]:
            raise _refuse(f"{name}:{line_at(pos)}", f"has a second record on the line of record {number}"
                          " (JSON lines: one object per line)")


def _json_cell(value: Any) -> str:
    """The CSV export's cell for a JSON value (text neutralised as it would be, for the importer to restore):
    scalars as the export writes them, a list of names joined (tags), other lists and objects as JSON."""
    import json

    from salescli.render import csv_cell, neutralise_cell

    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return JsonValue(neutralise_cell(", ".join(value)))
    if isinstance(value, list | dict):
        return JsonValue(neutralise_cell(json.dumps(value, ensure_ascii=False, default=str)))
    if isinstance(value, bool):  # as JSON writes it (a flag field reads true/false; an extra key keeps the word)
        return "true" if value else "false"
    return csv_cell(value)


class JsonValue(str):
    """The cell of a JSON list or object: tags and a stage history take one; a field of one value refuses it
    (`"company": ["Acme", "Globex"]` is no company named "Acme, Globex")."""


def _check_header(where: str, header: list[str], delimiter: str, sniffed: bool) -> None:
    if len(header) == 1 and not sniffed:
        others = [d for d in DELIMITERS if d != delimiter and d in header[0]]
        if others:
            raise _refuse(where, f"the header is one column \"{header[0][:60]}\" with --delimiter "
                          f"{describe_delimiter(delimiter)}",
                          f"the file looks {DELIMITER_NAMES[others[0]]}-separated: pass --delimiter "
                          f"\"{'tab' if others[0] == chr(9) else others[0]}\" or leave --delimiter out")
    seen: dict[str, int] = {}
    for index, cell in enumerate(header, start=1):
        if not cell:
            raise _refuse(where, f"column {index} has no name in the header",
                          "name the column, or delete it if it is empty")
        # (salescli's export writes an extra key stored in two spellings as two columns: kept apart)
        key = cell if cell.startswith("extra.") else " ".join(cell.lower().split())
        if key in seen:
            raise _refuse(where, f'column "{cell}" appears twice in the header (columns {seen[key]} and {index})',
                          "rename one of them; a duplicate header would silently hide one column's values")
        seen[key] = index


def _records(name: str, reader: Any) -> Iterator[tuple[int, list[str]]]:
    start = reader.line_num + 1  # line_num: lines the reader has taken (a record may span several)
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            text = str(exc)
            if "field larger than field limit" in text:
                raise _refuse(f"{name}:{start}", f"a field is longer than {MAX_FIELD:,} characters"
                              " (or a quote is never closed)",
                              "check the quotes on this line") from None
            if "unexpected end of data" in text:
                raise _refuse(f"{name}:{start}", "a quoted field is never closed (unterminated quote)",
                              'close the quote, or double quotes inside a quoted field ("")') from None
            raise _refuse(f"{name}:{start}", f"malformed CSV ({text})",
                          'quote fields that contain the delimiter, and double quotes inside them ("")') from None
        line = start
        start = reader.line_num + 1
        if not cells or not any(cells) or (not cells[0].strip() and not any(c.strip() for c in cells)):
            continue  # blank line, or a spreadsheet's row of empty (or only blank) cells
        yield line, cells
