"""The strict CSV reader: each trap of RELIABILITY.md's CSV list is refused (or read right), with the
database unchanged after every refusal."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import digest

Run = Callable[..., Any]


@pytest.fixture
def base(ok: Run, db: Path) -> Path:
    """A database with one company, so 'unchanged' is checked against real content."""
    ok("company", "add", "Existing Co", "--domain", "existing.io")
    return db


def write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def refused(cli: Run, db: Path, *args: str, input: Any = None) -> str:
    """Run an import that must be refused: exit 4, one Error line, nothing on stdout, database unchanged."""
    before = digest(db)
    res = cli(*args, input=input)
    assert res.exit_code == 4, (res.exit_code, res.stderr)
    assert res.stdout == ""
    first = res.stderr.splitlines()[0]
    assert first.startswith("Error: ") and "Traceback" not in res.stderr
    assert digest(db) == before
    return first


def names(cli: Run) -> list[str]:
    res = cli("sql", "SELECT name FROM companies ORDER BY id", "-f", "json")
    return [r["name"] for r in json.loads(res.stdout)]


# -- encodings ---------------------------------------------------------------------------------------
def test_utf8_bom_is_not_glued_to_the_first_header(ok: Run, tmp_path: Path) -> None:
    path = write(tmp_path, "bom.csv", b"\xef\xbb\xbfname,domain\nZ\xc3\xbcrich AG,zurich.ch\n")
    res = ok("import", "companies", str(path))
    assert "utf-8 with BOM" in res.stderr
    assert "1 created" in res.stderr
    assert names(ok) == ["Zürich AG"]


def test_non_utf8_file_is_refused_with_the_line_and_a_hint(cli: Run, base: Path, tmp_path: Path) -> None:
    path = write(tmp_path, "latin.csv", "name,domain\nAcme,acme.io\nCaf\u00e9 Noir,cafe.fr\n".encode("cp1252"))
    first = refused(cli, base, "import", "companies", str(path))
    assert first == "Error: latin.csv:3: is not UTF-8 (byte 0xE9)"
    res = cli("import", "companies", str(path))
    assert "Hint: pass --encoding cp1252" in res.stderr


def test_named_encoding_is_used(ok: Run, tmp_path: Path) -> None:
    path = write(tmp_path, "latin.csv", "name,domain\nCaf\u00e9 Noir,cafe.fr\n".encode("cp1252"))
    ok("import", "companies", str(path), "--encoding", "cp1252")
    assert names(ok) == ["Café Noir"]


@pytest.mark.parametrize(("text", "codec", "message"), [
    ("name\nSoci\u00e9t\u00e9 G\u00e9n\u00e9rale\n", "cp1252",
     'Error: utf8.csv: is UTF-8 text: read as cp1252 its "\u00e9" would become "\u00c3\u00a9"'),
    ("\ufeffname\nAcme\n", "latin-1",
     'Error: utf8.csv: is UTF-8 text: read as latin-1 its byte order mark would become "\u00ef\u00bb\u00bf"'),
    # one accent or curly quote, deep in the file: named with its line
    ("name\n" + "Plain Co\n" * 30_000 + "Caf\u00e9 Noir\n", "cp1252",
     'Error: utf8.csv:30002: is UTF-8 text: read as cp1252 its "\u00e9" would become "\u00c3\u00a9"'),
    ("name\nO\u2019Brien Ltd\n", "cp1252",
     'Error: utf8.csv:2: is UTF-8 text: read as cp1252 its "\u2019" would become "\u00e2\u20ac\u2122"'),
])
def test_utf8_read_as_another_encoding_is_refused(cli: Run, base: Path, tmp_path: Path, text: str, codec: str,
                                                  message: str) -> None:
    path = write(tmp_path, "utf8.csv", text.encode("utf-8"))
    assert refused(cli, base, "import", "companies", str(path), "--encoding", codec) == message
    assert cli("import", "companies", str(path), "--encoding", codec).stderr.splitlines()[-1] == \
        "Hint: leave --encoding out (UTF-8 is read by default)"


@pytest.mark.parametrize(("data", "codec", "name"), [
    ("name\nCafé".encode("cp1252"), "cp1252", "Café"),  # (an accent as the last byte read)
    ("name\nCAFÉ’S DELI\n".encode("cp1252"), "cp1252", "CAFÉ’S DELI"),  # (É’ is valid UTF-8 by chance)
    ("name\nSÃO PAULO LTDA\n".encode("cp1252"), "cp1252", "SÃO PAULO LTDA"),  # (Ã then a letter: not UTF-8)
    ("name\n职员\n".encode("gbk"), "gbk", "职员"),  # (not a one-byte encoding)
    ("\ufeffname\nAcme\n".encode("utf-8"), "utf-8-sig", "Acme"),
])
def test_a_file_in_the_encoding_named_is_never_taken_for_utf8(ok: Run, tmp_path: Path, data: bytes, codec: str,
                                                              name: str) -> None:
    ok("import", "companies", str(write(tmp_path, "c.csv", data)), "--encoding", codec)
    assert names(ok) == [name]


def test_rejects_are_written_in_the_encoding_of_the_file_so_they_import_again(ok: Run, tmp_path: Path) -> None:
    path = write(tmp_path, "latin.csv", "name;domain\r\nCaf\u00e9 Noir;not a domain\r\nSoci\u00e9t\u00e9;soc.fr\r\n"
                 .encode("cp1252"))
    rejects = tmp_path / "rj.csv"
    res = ok("import", "companies", str(path), "--encoding", "cp1252", "--on-error", "skip", "--rejects", str(rejects))
    assert "rejected rows and their reasons: " + str(rejects) + " (cp1252, as the file read)" in res.stderr
    assert rejects.read_bytes().decode("cp1252").startswith("name;domain;import_error\nCafé Noir;not a domain;")
    rejects.write_bytes("name;domain\nCafé Noir;cafe.fr\n".encode("cp1252"))  # fixed, as the user would
    ok("import", "companies", str(rejects), "--encoding", "cp1252")
    assert names(ok) == ["Société", "Café Noir"]


def test_utf16_needs_its_encoding_named(cli: Run, ok: Run, base: Path, tmp_path: Path) -> None:
    path = write(tmp_path, "u16.csv", "name\tdomain\nUni Co\tuni.io\n".encode("utf-16"))
    assert "is UTF-16 text" in refused(cli, base, "import", "companies", str(path))
    ok("import", "companies", str(path), "--encoding", "utf-16")
    assert names(ok) == ["Existing Co", "Uni Co"]


def test_unknown_encoding_is_a_usage_error(cli: Run, tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", "name\nA\n")
    res = cli("import", "companies", str(path), "--encoding", "klingon")
    assert res.exit_code == 2 and 'Error: --encoding "klingon" is not an encoding' in res.stderr


# -- binary and empty files ----------------------------------------------------------------------------
@pytest.mark.parametrize(("data", "what"), [
    (b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 40, "zip archive (an Excel .xlsx"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "PDF document"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 40, "old Excel .xls"),
    (b"name,domain\nA\x00B,c.io\n", "binary file (it contains NUL bytes)"),
])
def test_binary_files_are_refused(cli: Run, base: Path, tmp_path: Path, data: bytes, what: str) -> None:
    path = write(tmp_path, "deals.xlsx", data)
    first = refused(cli, base, "import", "companies", str(path))
    assert what in first
    assert "Hint: export it as CSV first" in cli("import", "companies", str(path)).stderr


def test_empty_file_and_missing_file(cli: Run, base: Path, tmp_path: Path) -> None:
    path = write(tmp_path, "empty.csv", b"\n\n")
    assert refused(cli, base, "import", "companies", str(path)) == "Error: empty.csv: is empty (no header line)"
    assert "cannot be read (No such file or directory)" in refused(cli, base, "import", "companies",
                                                                     str(tmp_path / "nope.csv"))


def test_blank_lines_above_the_header_are_skipped_not_read_as_a_header_of_no_columns(
        ok: Run, cli: Run, base: Path, tmp_path: Path) -> None:
    # a spreadsheet saved with an empty first row: before, every row imported as nothing, with exit 0
    path = write(tmp_path, "c.csv", b"\r\n;;\r\nName;Domain\r\nAcme;acme.io\r\nGlobex;globex.com\r\n")
    res = ok("import", "companies", str(path))
    assert "imported c.csv: 2 rows — 2 created" in res.stderr
    assert "delimiter ';' (semicolon) detected" in res.stderr
    path = write(tmp_path, "d.csv", b"\nName,Name\n")
    assert refused(cli, base, "import", "companies", str(path)) == (
        'Error: d.csv:2: column "Name" appears twice in the header (columns 1 and 2)')


def test_a_spreadsheets_totals_row_is_refused_not_imported_as_a_record(ok: Run, cli: Run, base: Path,
                                                                          tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", "Deal Name;Amount;Stage;Company\nA;1.234,56;Proposal;Acme\n"
                                    "B;12.500,00 €;Proposal;Beta\nTotal;;13.734,56 €;;\n")
    assert refused(cli, base, "import", "deals", str(path), "--decimal-comma") == (
        'Error: d.csv:4: is a totals row ("Total" followed by numbers), not a record: delete it from the file, or'
        " skip it with --on-error skip")
    res = ok("import", "deals", str(path), "--decimal-comma", "--on-error", "skip")
    assert "3 rows — 2 created, 0 updated, 0 unchanged, 1 rejected" in res.stderr
    # a company called Total, with a domain, is a company
    path = write(tmp_path, "c.csv", "Name,Domain,Employees\nTotal,totalenergies.com,100000\n")
    assert "1 row — 1 created" in ok("import", "companies", str(path)).stderr


def test_pretty_printed_json_objects_are_read(ok: Run, tmp_path: Path) -> None:
    # `jq '.[]'` writes each object over several lines: records, not a broken JSON-lines file
    path = write(tmp_path, "c.json", '{\n  "name": "Acme"\n}\n{\n  "name": "Beta"\n}\n')
    assert "2 rows — 2 created" in ok("import", "companies", str(path)).stderr


def test_a_csv_header_starting_with_a_bracket_is_no_json(ok: Run, tmp_path: Path) -> None:
    ok("import", "companies", str(write(tmp_path, "c.csv", "name,[1] tier\nAcme,gold\n")))
    ok("import", "companies", str(write(tmp_path, "d.csv", "[1] tier,name\ngold,Beta\n")))
    assert names(ok) == ["Acme", "Beta"]


def test_json_values_kept_in_extra_keep_their_words(ok: Run, tmp_path: Path) -> None:
    path = write(tmp_path, "c.json", '[{"name": "X", "vip": true, "churned": false, "seats": 5, "gone": null}]')
    ok("import", "companies", str(path))
    assert json.loads(ok("company", "show", "X", "-f", "json").stdout)["extra"] == {
        "vip": "true", "churned": "false", "seats": "5"}  # (true was "yes": another word than the file's)


def test_a_broken_json_lines_record_is_a_bad_row_the_others_can_skip(ok: Run, cli: Run, tmp_path: Path) -> None:
    path = write(tmp_path, "d.jsonl", '{"name": "A1"}\n{"name": "A2"\n{"name": "A3"}\n')
    res = cli("import", "companies", str(path))
    assert (res.exit_code, res.stderr.splitlines()[0]) == (
        4, "Error: d.jsonl:2: record 2 is not valid JSON (Expecting ',' delimiter, column 14)")
    rejects = tmp_path / "rj.csv"
    res = ok("import", "companies", str(path), "--on-error", "skip", "--rejects", str(rejects))
    assert "3 rows — 2 created, 0 updated, 0 unchanged, 1 rejected" in res.stderr
    assert rejects.read_text() == ('name,import_error\n"{""name"": ""A2""","d.jsonl:2: record 2 is not valid JSON'
                                   ' (Expecting \',\' delimiter, column 14)"\n')
    assert [c["name"] for c in json.loads(ok("company", "list", "-f", "json").stdout)] == ["A1", "A3"]


def test_a_json_list_or_object_where_one_value_belongs_is_refused(cli: Run, ok: Run, db: Path,
                                                                 tmp_path: Path) -> None:
    ok("init")
    before = digest(db)
    path = write(tmp_path, "d.jsonl", '{"title": "A", "company": ["Acme", "Globex"]}\n'
                                      '{"title": "B", "company": {"name": "Acme"}}\n'
                                      '{"title": "C", "company": "Acme", "tags": ["vip", "q4"], "crm": {"id": 7}}\n')
    res = cli("import", "deals", str(path))
    assert (res.exit_code, res.stderr.splitlines()[0]) == (
        4, 'Error: d.jsonl:1: company "Acme, Globex" is a JSON list or object, where one value is expected')
    assert digest(db) == before  # (not a company named "Acme, Globex")
    res = ok("import", "deals", str(path), "--on-error", "skip", "--rejects", str(tmp_path / "rj.csv"))
    assert "3 rows — 1 created, 0 updated, 0 unchanged, 2 rejected" in res.stderr
    deal = json.loads(ok("deal", "show", "C", "-f", "json").stdout)
    assert (deal["company"], deal["tags"], deal["extra"]) == ("Acme", ["vip", "q4"], {"crm": '{"id": 7}'})


def test_a_minified_json_array_names_records_by_number(cli: Run, ok: Run, db: Path, tmp_path: Path) -> None:
    """`jq -c` writes the whole array on one line: "line 1" for every record would point nowhere."""
    ok("init")
    before = digest(db)
    records = [{"title": f"D{i}", "company": "Acme", "amount": str(100 + i)} for i in range(1, 9)]
    records[4]["amount"] = "abc"
    path = write(tmp_path, "deals.json", json.dumps(records))
    res = cli("import", "deals", str(path))
    assert (res.exit_code, res.stderr) == (4, 'Error: deals.json:5: amount "abc" is not an amount (examples: 12000,'
                                              " 12,000.50, 12k, $1.2M)\nHint: nothing was imported; deals.json writes"
                                              " several records on one line: line N in its messages is record N\n")
    assert digest(db) == before
    rejects = tmp_path / "rj.csv"
    res = ok("import", "deals", str(path), "--on-error", "skip", "--rejects", str(rejects))
    assert res.stderr.splitlines()[0] == ("reading deals.json: JSON, utf-8 (deals.json writes several records on one"
                                          " line: line N in its messages is record N)")
    assert rejects.read_text().splitlines()[1].startswith('D5,Acme,abc,"deals.json:5: amount ""abc""')
    summary = json.loads(cli("import", "deals", str(path), "--dry-run", "-f", "json").stdout)
    assert (summary["numbered_by_record"], summary["errors"][0]["line"]) == (True, 5)
    records[4]["amount"], records[6]["amount"] = "105", "nope"
    path.write_text(json.dumps(records, indent=2))  # pretty-printed: each record starts on a line of its own
    res = cli("import", "deals", str(path))
    assert res.stderr == ('Error: deals.json:32: amount "nope" is not an amount (examples: 12000, 12,000.50, 12k,'
                          " $1.2M)\nHint: nothing was imported\n")


def test_a_json_key_written_twice_is_refused(cli: Run, ok: Run, db: Path, tmp_path: Path) -> None:
    ok("init")
    before = digest(db)
    for name, text, says in [("d.json", '[{"title": "A", "title": "B"}]',
                              'd.json:1: record 1 has the key "title" twice'),
                             ("d.jsonl", '{"title": "A"}\n{"title": "B", "extra": {"x": 1, "x": 2}}\n',
                              'd.jsonl:2: record 2 has the key "x" twice')]:
        res = cli("import", "deals", str(write(tmp_path, name, text)))
        assert (res.exit_code, res.stderr) == (4, f"Error: {says}\nHint: keep one of them\n")
    assert digest(db) == before


def test_an_empty_json_lines_file_is_no_records(ok: Run, tmp_path: Path) -> None:
    # `export activities -o a.jsonl` of an empty table writes nothing: it reads back as nothing to import
    path = write(tmp_path, "a.jsonl", b"")
    res = ok("import", "activities", str(path))
    assert "imported a.jsonl: 0 rows — 0 created, 0 updated, 0 unchanged, 0 rejected" in res.stderr


# -- delimiters ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("delimiter", "shown"), [(";", "';' (semicolon)"), ("\t", "'\\t' (tab)"), ("|", "'|' (pipe)")])
def test_delimiter_is_sniffed_and_reported(ok: Run, tmp_path: Path, delimiter: str, shown: str) -> None:
    path = write(tmp_path, "semi.csv", f"name{delimiter}domain{delimiter}notes\n"
                                       f"Acme{delimiter}acme.io{delimiter}\"a, b; c | d\"\n")
    res = ok("import", "companies", str(path))
    assert f"delimiter {shown} detected" in res.stderr
    out = json.loads(ok("export", "companies", "-f", "json").stdout)
    assert (out[0]["name"], out[0]["domain"], out[0]["notes"]) == ("Acme", "acme.io", "a, b; c | d")


def test_an_excel_sep_line_names_the_delimiter_and_lines_still_count_it(cli: Run, ok: Run, base: Path,
                                                                         tmp_path: Path) -> None:
    path = write(tmp_path, "sep.csv", "sep=;\r\nname;domain;notes\r\nAcme;acme.io;a, b\r\nBad;not a domain;\r\n")
    first = refused(cli, base, "import", "companies", str(path))
    assert first == 'Error: sep.csv:4: domain "not a domain" is not a domain name (example: acme.io)'
    res = ok("import", "companies", str(path), "--on-error", "skip")
    assert "delimiter ';' (semicolon) detected" in res.stderr and "1 created" in res.stderr
    assert names(ok)[-1] == "Acme"


def test_semicolon_file_read_with_a_comma_is_refused_not_one_column(cli: Run, base: Path, tmp_path: Path) -> None:
    path = write(tmp_path, "semi.csv", "name;domain\nAcme;acme.io\n")
    first = refused(cli, base, "import", "companies", str(path), "--delimiter", ",")
    assert first == "Error: semi.csv:1: the header is one column \"name;domain\" with --delimiter ',' (comma)"
    assert 'pass --delimiter ";"' in cli("import", "companies", str(path), "--delimiter", ",").stderr


# -- header and structure ------------------------------------------------------------------------------
def test_duplicate_header_is_refused_naming_both_columns(cli: Run, base: Path, tmp_path: Path) -> None:
    path = write(tmp_path, "dup.csv", "name,Domain,domain\nAcme,acme.io,acme.com\n")
    assert refused(cli, base, "import", "companies", str(path)) == (
        'Error: dup.csv:1: column "domain" appears twice in the header (columns 2 and 3)')


def test_empty_header_cell_is_refused(cli: Run, base: Path, tmp_path: Path) -> None:
    path = write(tmp_path, "blank.csv", "name,,domain\nAcme,x,acme.io\n")
    assert refused(cli, base, "import", "companies", str(path)) == (
        "Error: blank.csv:1: column 2 has no name in the header")


def test_ragged_row_is_refused_with_its_line(cli: Run, base: Path, tmp_path: Path) -> None:
    path = write(tmp_path, "ragged.csv", "name,domain\nAcme,acme.io\nGlobex,globex.com,extra cell\nInitech\n")
    first = refused(cli, base, "import", "companies", str(path))
    assert first == ('Error: ragged.csv:3: has a value in column 3 ("extra cell") but the header names 2 columns'
                     " (ragged row: a delimiter inside an unquoted field?)")
    res = cli("import", "companies", str(path), "--dry-run")
    assert "ragged.csv:4: has 1 cell but the header has 2" in res.stdout


def test_trailing_empty_cells_and_blank_lines_are_harmless(ok: Run, tmp_path: Path) -> None:
    path = write(tmp_path, "excel.csv", "name,domain\r\nAcme,acme.io,,\r\n,\r\n\r\nGlobex,globex.com\r\n , \r\n\t,\r\n")
    res = ok("import", "companies", str(path))  # (cells of spaces: a sheet's cleared cells)
    assert "2 rows — 2 created" in res.stderr


def test_trailing_unnamed_columns_are_harmless_until_a_row_fills_one(cli: Run, ok: Run, base: Path,
                                                                     tmp_path: Path) -> None:
    path = write(tmp_path, "excel.csv", "name;domain;;\r\nAcme;acme.io;;\r\nGlobex;globex.com;;\r\n")
    assert "2 rows — 2 created" in ok("import", "companies", str(path), "--dry-run").stderr
    path = write(tmp_path, "excel.csv", "name;domain;;\r\nAcme;acme.io;;\r\nGlobex;globex.com;;vip\r\n")
    assert refused(cli, base, "import", "companies", str(path)).startswith(
        'Error: excel.csv:3: has a value in column 4 ("vip") but the header names 2 columns (ragged row')


def test_unterminated_quote_does_not_swallow_the_file(cli: Run, base: Path, tmp_path: Path) -> None:
    path = write(tmp_path, "quote.csv", 'name,notes\nAcme,fine\nGlobex,"never closed\nInitech,x\nUmbrella,y\n')
    assert refused(cli, base, "import", "companies", str(path)) == (
        "Error: quote.csv:3: a quoted field is never closed (unterminated quote)")


def test_stray_quote_inside_a_field_is_refused(cli: Run, base: Path, tmp_path: Path) -> None:
    path = write(tmp_path, "stray.csv", 'name,notes\nAcme,"a"b\n')
    assert refused(cli, base, "import", "companies", str(path)).startswith("Error: stray.csv:2: malformed CSV")


def test_huge_field_is_refused(cli: Run, base: Path, tmp_path: Path) -> None:
    path = write(tmp_path, "huge.csv", 'name,notes\nAcme,"' + "x" * 1_100_000 + '"\n')
    assert refused(cli, base, "import", "companies", str(path)) == (
        "Error: huge.csv:2: a field is longer than 1,000,000 characters (or a quote is never closed)")


def test_quoted_newlines_keep_line_numbers_right(cli: Run, ok: Run, base: Path, tmp_path: Path) -> None:
    path = write(tmp_path, "multi.csv", 'name,notes,created_at\nAcme,"line one\nline two",2026-01-05\n'
                                        'Globex,"a\r\nb\r\nc",2026-02-30\n')
    assert refused(cli, base, "import", "companies", str(path)) == (
        'Error: multi.csv:4: created_at "2026-02-30" is not a valid date')
    fixed = write(tmp_path, "multi2.csv", 'name,notes\nAcme,"line one\nline two"\n')
    ok("import", "companies", str(fixed))
    out = json.loads(ok("export", "companies", "-f", "json").stdout)
    assert out[1]["notes"] == "line one\nline two"


def test_invalid_value_deep_in_the_file_refuses_everything(cli: Run, base: Path, tmp_path: Path) -> None:
    rows = "".join(f"Deal {i},{i * 10},2026-12-{1 + i % 28:02d}\n" for i in range(1, 3001))
    path = write(tmp_path, "deals.csv", "title,amount,close_date\n" + rows + "Late deal,12k,31/02/2026\n")
    first = refused(cli, base, "import", "deals", str(path))
    assert first == 'Error: deals.csv:3002: close_date "31/02/2026" is not a valid date'


def test_stdin_is_read_with_a_dash(ok: Run) -> None:
    res = ok("import", "companies", "-", input="name,domain\nFrom Stdin,stdin.io\n")
    assert "imported stdin: 1 row — 1 created" in res.stderr
    assert names(ok) == ["From Stdin"]


# -- found by a user audit (2026-11-27) ------------------------------------------------------
def test_non_text_codecs_and_utf16_without_bom_are_one_line_errors(cli: Run, base: Path, tmp_path: Path) -> None:
    path = write(tmp_path, "w.csv", "name,domain\nWindows Co,win.io\n".encode("cp1252"))
    # utf-16 without a byte-order mark raised UnicodeError (a traceback)
    assert refused(cli, base, "import", "companies", str(path), "--encoding", "utf-16") == (
        "Error: w.csv:1: is not valid utf-16 text")
    before = digest(base)
    for codec in ("rot13", "base64", "zlib"):  # codecs, not text encodings: TypeError tracebacks before
        res = cli("import", "companies", str(path), "--encoding", codec)
        assert (res.exit_code, res.stderr.splitlines()[0]) == (
            2, f'Error: --encoding "{codec}" is not a text encoding (examples: utf-8, cp1252, latin-1)')
    assert digest(base) == before


def test_classic_mac_line_ends_are_read(ok: Run, base: Path, tmp_path: Path) -> None:
    path = write(tmp_path, "mac.csv", 'name,domain\r"Line\rBreak Co",lb.io\rOther Co,other.io\r')
    res = ok("import", "companies", str(path), "-f", "json")
    assert json.loads(res.stdout)["created"] == 2
    rows = ok("company", "list", "-f", "json").stdout
    assert [c["name"] for c in json.loads(rows)] == ["Existing Co", "Line Break Co", "Other Co"]  # (one line)


@pytest.mark.parametrize("data", [
    b"name,domain\rA Co,a.io\rB Co,b.io\r\n",  # classic Mac lines, the last one CRLF (the file is small)
    b"name,domain\nA Co,a.io\rB Co,b.io\n",  # one line ended by CR alone among LF ones
    b"name,domain\r\nA Co,a.io\rB Co,b.io\r\n",  # ... among CRLF ones
])
def test_a_line_ended_by_cr_alone_among_others_is_a_line(ok: Run, base: Path, tmp_path: Path, data: bytes) -> None:
    ok("import", "companies", str(write(tmp_path, "mixed.csv", data)))
    assert [c["name"] for c in json.loads(ok("company", "list", "-f", "json").stdout)] == ["Existing Co", "A Co",
                                                                                          "B Co"]


@pytest.mark.parametrize("block", [1, 2, 3, 5, 7])
def test_line_ends_split_across_read_blocks_read_the_same(ok: Run, base: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch, block: int) -> None:
    """A CRLF, a lone CR or a quote cut between two reads of the file is read as if whole (and a CR inside quotes
    stays)."""
    monkeypatch.setattr("salescli.importers.reading.BLOCK", block)
    monkeypatch.setattr("salescli.importers.reading.HEAD_BYTES", block)
    data = b'name,notes\r\nA Co,x\rB Co,"one\rtwo"\r\nC Co,z\rD Co,w\r'
    ok("import", "companies", str(write(tmp_path, "b.csv", data)))
    rows = [(c["name"], c["notes"]) for c in json.loads(ok("company", "list", "-f", "json").stdout)][1:]
    assert rows == [("A Co", "x"), ("B Co", "one\rtwo"), ("C Co", "z"), ("D Co", "w")]


def test_utf16_and_utf32_files_are_told_apart_and_a_nul_in_them_refused(cli: Run, base: Path,
                                                                         tmp_path: Path) -> None:
    nul = write(tmp_path, "u.csv", "\ufeffname\tdomain\r\nAn\x00a\ta.io\r\n".encode("utf-16-le"))
    assert refused(cli, base, "import", "companies", str(nul), "--encoding", "utf-16") == (
        "Error: u.csv:2: contains a NUL character: this is not a text CSV file")
    bare = write(tmp_path, "n.csv", "name\tdomain\r\nA\ta.io\r\n".encode("utf-16-le"))  # (no byte-order mark)
    res = cli("import", "companies", str(bare), "--encoding", "utf-16")
    assert res.stderr.splitlines()[1] == ("Hint: the file has no byte-order mark: pass --encoding utf-16-le (Windows)"
                                          " or utf-16-be")
    wide = write(tmp_path, "w.csv", "name,domain\r\nA,a.io\r\n".encode("utf-32"))
    res = cli("import", "companies", str(wide))
    assert (res.exit_code, res.stderr) == (4, "Error: w.csv: is UTF-32 text\nHint: pass --encoding utf-32 (or save it"
                                              " as CSV UTF-8)\n")


def test_a_delimiter_the_header_leaves_open_is_read_from_the_rows_or_asked_for(ok: Run, cli: Run, base: Path,
                                                                              tmp_path: Path) -> None:
    # as many commas as semicolons in the header: the rows say which (it was the comma, on a tie)
    path = write(tmp_path, "s.csv", "name;notes (EUR, net)\nAcme;1000\n")
    assert "delimiter ';' (semicolon) detected" in ok("import", "companies", str(path)).stderr
    spanning = write(tmp_path, "m.csv", 'name;notes (EUR, net)\nBeta;"first line\nsecond, line"\nGamma;2\n')
    assert "delimiter ';' (semicolon) detected" in ok("import", "companies", str(spanning)).stderr  # (records)
    both = write(tmp_path, "b.csv", "name, city;domain\nDeal, Oslo;d.io\n")  # (the rows fit either)
    assert refused(cli, base, "import", "companies", str(both)) == (
        "Error: b.csv: has as many commas and semicolons in its header, and in its rows: which one separates the"
        " columns is not clear")
    ok("import", "companies", str(both), "--delimiter", ";")


@pytest.mark.parametrize(("text", "names"), [
    ('[\n  {"id": 7, "name": "Acme", "tags": ["a", "b"], "extra": {"tier": "gold"}}\n]\n', ["Acme"]),
    ('{"name": "Acme"}\n{"name": "=Sum Co", "notes": null}\n', ["Acme", "=Sum Co"]),
    ("[]\n", []),
])
def test_a_json_or_json_lines_file_is_read_as_its_export(ok: Run, base: Path, tmp_path: Path, text: str,
                                                         names: list[str]) -> None:
    path = write(tmp_path, "companies.json", text)
    res = ok("import", "companies", str(path))
    assert res.stderr.splitlines()[0] == f"reading companies.json: JSON{' lines' if text[0] == '{' else ''}, utf-8"
    rows = json.loads(ok("company", "list", "-f", "json").stdout)
    assert [c["name"] for c in rows] == ["Existing Co", *names]
    if names == ["Acme"]:
        acme = json.loads(ok("company", "show", "Acme", "-f", "json").stdout)
        assert (acme["tags"], acme["extra"]) == (["a", "b"], {"tier": "gold"})


@pytest.mark.parametrize(("text", "message"), [
    ('[\n{"name": "A"},\n{"name": "B",}\n]\n',
     "Error: c.json:3: record 2 is not valid JSON (Expecting property name enclosed in double quotes, column 14)"),
    ('[\n{"name": "A"},\n', "Error: c.json:3: the JSON array is never closed (a cut-off file?)"),
    ('{"name": "A"}\n[1]\n', "Error: c.json:2: record 2 is an array, not an object"),
    ('[\n{"name": "A"}\n] x', "Error: c.json:3: has text after the JSON array"),
    ('[{"name": "E"} {"name": "F"}]', "Error: c.json:1: has no comma after record 1"),
    ('[{"name": "E"},,{"name": "F"}]', "Error: c.json:1: has an extra comma after record 1"),
    ('[{"name": "E"},]', "Error: c.json:1: has an extra comma after record 1"),
    ('[[1, 2], {"name": "x"}]', "Error: c.json:1: record 1 is an array, not an object"),
    ('[{"name": "Big", "notes": "' + "z" * 1_000_001 + '"}]',
     "Error: c.json:1: record 1 has a field longer than 1,000,000 characters"),  # (as a CSV: its export reads back)
    ("[1, 2, 3]", "Error: c.json:1: record 1 is a number, not an object"),  # (not a CSV of columns "[1", "2"…)
    ('[\n  "Acme"\n]', "Error: c.json:2: record 1 is a string, not an object"),
    ("[{}]", "Error: c.json: has 1 record with no fields"),
    ('[{"name": "Nul\\u0000Co"}]', "Error: c.json:1: record 1 holds a NUL character (\\u0000)"),
    ('{"name": "a"} {"name": "b"}\n',
     "Error: c.json:1: has a second record on the line of record 1 (JSON lines: one object per line)"),
    # JSON lines: a broken record is its own line's error, not read on into the lines after it
    ('{"name": "a"}\n{"name": \n{"name": "c"}\n', "Error: c.json:2: record 2 is not valid JSON (Expecting value,"
                                                   " column 10)"),
    ('{"name": "a"}\n  {"name": "b",}\n', "Error: c.json:2: record 2 is not valid JSON (Expecting property name"
                                         " enclosed in double quotes, column 16)"),
])
def test_bad_json_is_refused_naming_the_line(cli: Run, base: Path, tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, "c.json", text)
    assert refused(cli, base, "import", "companies", str(path)) == message


def test_a_header_starting_with_a_bracket_is_still_csv(ok: Run, base: Path, tmp_path: Path) -> None:
    path = write(tmp_path, "b.csv", "[Name],domain\nBracket Co,br.io\n")
    res = ok("import", "companies", str(path), "--map", "[Name]=name", "-f", "json")
    assert json.loads(res.stdout)["created"] == 1


def test_rejects_naming_a_folder_is_refused_before_anything_is_written(cli: Run, base: Path,
                                                                       tmp_path: Path) -> None:
    path = write(tmp_path, "mix.csv", "name,domain\nGood Co,good.io\nBad Co,not a domain\n")
    folder = tmp_path / "rejects"
    folder.mkdir()
    before = digest(base)
    res = cli("import", "companies", str(path), "--on-error", "skip", "--rejects", str(folder))
    # it used to write the good rows, then fail renaming the rejects file onto the folder (exit 1)
    assert (res.exit_code, res.stderr.strip()) == (
        2, f"Error: --rejects {folder} is a folder; give a file name; nothing was imported")
    assert digest(base) == before
    assert list(folder.iterdir()) == [] and not list(tmp_path.glob(".*.tmp"))


def test_a_decoder_without_a_position_is_one_line_too(cli: Run, base: Path, tmp_path: Path) -> None:
    path = write(tmp_path, "w.csv", "name,domain\nCaf\xe9 Co,cafe.io\n".encode("cp1252"))
    # punycode raises UnicodeError (no start position): a traceback before
    assert refused(cli, base, "import", "companies", str(path), "--encoding", "punycode").startswith(
        "Error: w.csv:")


def test_output_paths_written_in_place_are_descriptors_and_devices_only() -> None:
    from salescli.render import _FD_PATH_RE

    for path in ("/dev/stdout", "/dev/stderr", "/dev/fd/3", "/proc/self/fd/1", "/proc/123/fd/4"):
        assert _FD_PATH_RE.fullmatch(path), path
    for path in ("/dev/shm/out.csv", "/proc/self/status", "/tmp/dev/stdout"):  # regular files: temp + rename
        assert not _FD_PATH_RE.fullmatch(path), path


def test_a_rejects_file_named_json_is_refused_before_anything_is_read(cli: Run, base: Path, tmp_path: Path) -> None:
    path = write(tmp_path, "c.json", '[{"name": "A"}]')
    before = digest(base)
    res = cli("import", "companies", str(path), "--on-error", "skip", "--rejects", str(tmp_path / "bad.json"))
    assert (res.exit_code, res.stdout) == (2, "")
    assert res.stderr.startswith(f"Error: --rejects {tmp_path / 'bad.json'}: the rejects file is CSV")
    assert digest(base) == before and not (tmp_path / "bad.json").exists()


def test_rejects_dash_is_refused_instead_of_writing_a_file_named_dash(cli: Run, base: Path, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    path = write(tmp_path, "c.csv", "name\nA\n")
    before = digest(base)
    res = cli("import", "companies", str(path), "--on-error", "skip", "--rejects", "-")
    assert (res.exit_code, res.stdout) == (2, "")
    assert res.stderr == 'Error: --rejects "-": give the rejects a file name (e.g. --rejects rejects.csv)\n'
    assert digest(base) == before and not (tmp_path / "-").exists()
