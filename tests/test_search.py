"""salescli search: FTS5 over companies, contacts, deals, activities and tasks, kept in sync by triggers."""

from __future__ import annotations

import json
import sqlite3

import pytest

from salescli.services.search import fts_query
from tests.conftest import as_schema
from tests.seeding import build, copy_to


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return build(tmp_path_factory, "search", [
        ["company", "add", "Zephyr Logistics", "--domain", "zephyr.io", "--notes", "warehouse robots"],
        ["contact", "add", "Ana Lima", "--email", "ana@zephyr.io", "--company", "zephyr.io"],
        ["deal", "add", "Fleet telematics rollout", "--company", "zephyr.io"],
        ["activity", "log", "call", "Pricing call", "--deal", "1", "--notes", "They asked about quaternion sensors"],
        ["task", "add", "Send telematics brochure", "--deal", "1", "--due", "+2d"],
    ])


@pytest.fixture
def crm(template, db):
    copy_to(template, db)


def found(ok, *args):
    return [(r["kind"], r["id"]) for r in json.loads(ok("search", *args, "-f", "json").stdout)]


def test_finds_a_word_in_a_note_a_company_name_and_a_deal_title(ok, crm):
    assert found(ok, "quaternion") == [("activity", 1)]
    assert found(ok, "zephyr") == [("company", 1), ("contact", 1), ("deal", 1)]  # name, e-mail, then its deals
    assert found(ok, "rollout") == [("deal", 1)]
    assert found(ok, "warehouse") == [("company", 1)]  # (its notes: not its deals)


def test_accents_typed_decomposed_find_the_name_typed_composed(ok, db):
    """A Mac's decomposed accents (u + U+0308 for ü) split "Müller" into the words Mu and ller (nothing found),
    and `company show` of the name said 'not found; did you mean Müller GmbH?'. Text is stored as written."""
    nfd = "Mu\u0308ller GmbH"
    ok("company", "add", "Müller GmbH")
    ok("contact", "add", "José Álvarez", "--company", nfd)
    assert [r["title"] for r in json.loads(ok("search", "Mu\u0308ller", "-f", "json").stdout)] == ["Müller GmbH"]
    assert json.loads(ok("company", "show", nfd, "-f", "json").stdout)["id"] == 1
    assert json.loads(ok("contact", "show", "Jose\u0301 A\u0301lvarez", "-f", "json").stdout)["id"] == 1
    ok("company", "add", "Bu\u0308ro AG")  # stored as typed: found as typed (as before)
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT name FROM companies WHERE id = 2").fetchone()[0] == "Bu\u0308ro AG"
    conn.close()
    assert json.loads(ok("company", "show", "Bu\u0308ro AG", "-f", "json").stdout)["id"] == 2


def test_words_of_scripts_written_without_spaces_are_found_inside_a_name(ok):
    """The index keeps 田中太郎 as one word: 太郎 (the given name), 田中 太郎 as people write it, or 商事 found
    nothing."""
    ok("contact", "add", "田中太郎")
    ok("company", "add", "東京商事")
    ok("activity", "log", "note", "Visit", "--company", "東京商事", "--notes", "見積書を送付")

    def found(*args: str) -> list[tuple[str, int, str]]:
        return [(r["kind"], r["id"], r["snippet"]) for r in json.loads(ok("search", *args, "-f", "json").stdout)]

    assert found("太郎") == [("contact", 1, "田中[太郎]")]
    assert found("田中 太郎") == [("contact", 1, "[田中][太郎]")]
    assert found("商事") == [("company", 1, "東京[商事]")]
    assert found("送付") == [("activity", 1, "見積書を[送付]")]
    assert found("商事", "--kind", "contact") == []
    assert ok("search", "太郎x").stderr.startswith('nothing matches "太郎x"')
    assert ok("search", "太郎 Zzzz").stderr.startswith('nothing matches "太郎 Zzzz"')  # (every word is needed)
    assert found("visit 送付") == [("activity", 1, "見積書を[送付]")]
    ok("activity", "log", "note", "Long", "--notes", "見積書を送付" + "。これは長い説明です" * 30)
    long = ("見積書を送付" + "。これは長い説明です" * 30)[:60].replace("送付", "[送付]") + "…"  # (not the whole note)
    assert found("送付", "--kind", "note")[0][2] == long


def test_a_companys_name_finds_its_deals_after_the_matches(ok, crm):
    ok("deal", "add", "Zephyr renewal", "--company", "zephyr.io")
    ok("deal", "add", "Other", "--company", "Another Co")
    rows = json.loads(ok("search", "zephyr log", "-f", "json").stdout)
    assert [(r["kind"], r["id"], r["snippet"]) for r in rows] == [
        ("company", 1, "[Zephyr] [Logistics]"), ("deal", 2, "deal at [Zephyr Logistics]"),
        ("deal", 1, "deal at [Zephyr Logistics]")]
    # --kind deal: the companies are looked up to find their deals, the deal of the title first
    assert found(ok, "zephyr", "--kind", "deal") == [("deal", 2), ("deal", 1)]
    assert found(ok, "zephyr", "--kind", "company,contact") == [("company", 1), ("contact", 1)]
    assert found(ok, "zephyr", "--limit", "3") == [("deal", 2), ("company", 1), ("contact", 1)]


def test_table_and_json_output(ok, crm):
    rows = json.loads(ok("search", "quaternion", "-f", "json").stdout)
    assert rows == [{"kind": "activity", "id": 1, "title": "Pricing call",
                     "snippet": "They asked about [quaternion] sensors"}]
    lines = [line.strip() for line in ok("search", "quaternion").stdout.splitlines() if line.strip()]
    assert lines[0].split() == ["kind", "id", "title", "snippet"]
    assert lines[2] == "activity    1   Pricing call   They asked about [quaternion] sensors"


def test_words_all_must_match_and_the_last_may_be_a_prefix(ok, crm):
    assert sorted(found(ok, "telematics")) == [("deal", 1), ("task", 2)]
    assert found(ok, "telematics roll") == [("deal", 1)]
    assert found(ok, "FLEET Telem") == [("deal", 1)]
    assert sorted(found(ok, "tele")) == [("deal", 1), ("task", 2)]
    assert found(ok, "roll telematics") == []  # only the last word is a prefix


def test_kind_and_limit(ok, cli, crm):
    assert found(ok, "telematics", "--kind", "task") == [("task", 2)]
    assert found(ok, "zephyr", "--kind", "deal,contact") == [("contact", 1), ("deal", 1)]  # (Zephyr's deal)
    assert found(ok, "zephyr", "-k", "companies") == [("company", 1)]
    assert len(found(ok, "zephyr", "--limit", "1")) == 1
    bad = cli("search", "zephyr", "--kind", "invoice")
    assert (bad.exit_code, bad.stdout) == (2, "")
    assert bad.stderr == ('Error: --kind "invoice" is not one of company, contact, deal, activity, task, call,'
                          " email, meeting, note\n")
    assert cli("search", "zephyr", "--limit", "0").exit_code == 2


def test_kind_narrows_to_one_kind_of_activity(ok, crm):
    ok("activity", "log", "note", "Pricing notes", "--deal", "1")  # 3
    ok("task", "add", "Pricing review", "--deal", "1")  # 4
    assert found(ok, "pricing", "--kind", "note") == [("activity", 3)]
    assert sorted(found(ok, "pricing", "--kind", "calls,task")) == [("activity", 1), ("task", 4)]
    assert sorted(found(ok, "pricing", "--kind", "note,activity")) == [("activity", 1), ("activity", 3)]


def test_more_matches_than_shown_are_announced_on_stderr(ok, crm, monkeypatch):
    res = ok("search", "zephyr", "--limit", "1", "-f", "json")
    assert (len(json.loads(res.stdout)), res.stderr) == (1, "more match: the best 1 shown (see more with --limit N)\n")
    assert ok("search", "zephyr", "--limit", "3").stderr == ""  # exactly all of them (its deal the third)
    monkeypatch.setattr("salescli.repository.activities.SEARCH_WINDOW", 2)  # exactly the window: all ranked
    assert ok("search", "zephyr", "-f", "json").stderr == ""
    monkeypatch.setattr("salescli.repository.activities.SEARCH_WINDOW", 1)  # a word with very many matches
    assert ok("search", "zephyr", "-f", "json").stderr == (
        "more than 1 match: the best 1 of the newest 1 shown (add a word or --kind to narrow it)\n")


def test_follows_edits_and_deletes(ok, crm):
    ok("company", "edit", "zephyr.io", "--name", "Aurora Freight")
    assert found(ok, "zephyr", "--kind", "company") == [("company", 1)]  # still in its domain
    assert found(ok, "aurora") == [("company", 1), ("deal", 1)]  # (and its deal, by the name it has now)
    ok("company", "edit", "1", "--domain", "aurora.io")
    assert found(ok, "zephyr", "--kind", "company") == []
    ok("activity", "edit", "1", "--notes", "They asked about lidar")
    assert found(ok, "quaternion") == []
    assert found(ok, "lidar") == [("activity", 1)]
    ok("deal", "edit", "1", "--title", "Fleet sensors pilot")
    assert found(ok, "rollout") == []
    assert found(ok, "pilot") == [("deal", 1)]
    ok("activity", "rm", "1", "--yes")
    assert found(ok, "lidar") == []
    ok("deal", "rm", "1", "--yes")
    assert found(ok, "pilot") == []
    ok("contact", "rm", "ana@zephyr.io", "--yes")
    ok("company", "rm", "1", "--yes")
    assert found(ok, "aurora") == []
    assert found(ok, "telematics") == [("task", 2)]


def test_a_parked_deal_is_found_by_why_it_waits(ok, crm):
    ok("deal", "park", "1", "--until", "2027-01-15", "--reason", "budget freeze")
    assert json.loads(ok("search", "budget", "-f", "json").stdout) == [
        {"kind": "deal", "id": 1, "title": "Fleet telematics rollout", "snippet": "[budget] freeze"}]
    ok("deal", "park", "1", "--clear")
    assert found(ok, "budget") == []


def test_a_deal_is_found_by_the_notes_of_its_stage_moves(ok, crm):
    ok("deal", "move", "1", "Qualification", "--note", "champion left the company")
    ok("deal", "move", "1", "Needs Analysis", "--note", "new champion: the CFO")
    assert json.loads(ok("search", "champion", "-f", "json").stdout) == [
        {"kind": "deal", "id": 1, "title": "Fleet telematics rollout",
         "snippet": "[champion] left the company new [champion]: the CFO"}]
    assert found(ok, "cfo", "--kind", "deal") == [("deal", 1)]
    ok("deal", "edit", "1", "--title", "Fleet sensors pilot")  # the deal's own edit keeps its notes in
    assert found(ok, "champion cfo") == [("deal", 1)]
    ok("deal", "rm", "1", "--yes")
    assert found(ok, "champion") == []


def test_stage_notes_of_imported_deals_are_found_and_go_with_an_undo(ok, crm, tmp_path):
    history = json.dumps([["Prospecting", "2026-11-02T00:00:00", "dana"],
                          ["Qualification", "2026-11-20T00:00:00", "dana", {"note": "procurement wants a pilot"}]])
    cell = '"' + history.replace('"', '""') + '"'
    path = tmp_path / "deals.csv"
    path.write_text("title,stage,park_reason,parked_until,stage_history\n"
                    f"Harbour cranes,Qualification,waiting on the port authority,2027-02-01,{cell}\n")
    ok("import", "deals", str(path))
    assert found(ok, "procurement") == [("deal", 2)]
    assert found(ok, "port authority") == [("deal", 2)]
    ok("import", "undo", "1", "--yes")
    assert found(ok, "procurement") == []


def test_an_older_database_finds_park_reasons_and_stage_notes_once_upgraded(ok, crm, db):
    with sqlite3.connect(db) as conn:  # as schema 11 left them: neither was in the deal's search entry
        as_schema(conn, 11)
        conn.execute("UPDATE deals SET park_reason = 'budget freeze', parked_until = '2027-01-15' WHERE id = 1")
        conn.execute("UPDATE stage_history SET note = 'champion left' WHERE deal_id = 1")
        assert conn.execute("SELECT count(*) FROM search_index WHERE search_index MATCH 'budget OR champion'"
                            ).fetchone() == (0,)
    conn.close()
    res = ok("search", "budget", "-f", "json")
    assert res.stderr == f"backed up schema 11 database to {db}.v11.bak before migrating\n"
    assert json.loads(res.stdout) == [{"kind": "deal", "id": 1, "title": "Fleet telematics rollout",
                                       "snippet": "[budget] freeze champion left"}]
    assert found(ok, "champion") == [("deal", 1)]
    assert found(ok, "rollout") == [("deal", 1)]  # the deal as before
    assert ok("db", "check").stderr.startswith("db check: no problems in ")


@pytest.mark.parametrize("text", ['"', "AND (", "(", ")", "*", "OR", "NOT", "NEAR(a b)", "a:b", "^x", "-x", "'",
                                  '"unterminated', "a AND", "col:*", "{a b}", "\\", "ü", "日本語", "a" * 300])
def test_user_text_never_reaches_the_query_language(cli, ok, crm, text):
    res = cli("search", "--", text)
    assert res.exit_code in (0, 2), res.stderr
    if res.exit_code == 2:
        assert res.stderr.startswith("Error: nothing to search for in TEXT «")
        assert res.stdout == ""
    else:
        assert "Traceback" not in res.stderr


def test_a_query_without_words_is_a_usage_error(cli, crm):
    res = cli("search", '"')
    assert (res.exit_code, res.stdout) == (2, "")
    assert res.stderr == 'Error: nothing to search for in TEXT «"»: give at least one word (letters or digits)\n'
    res = cli("search", "AND (")
    assert (res.exit_code, res.stdout, res.stderr) == (0, "", 'nothing matches "AND ("\n')


@pytest.mark.parametrize(
    ("text", "query"),
    [
        ("acme", '"acme"*'),
        ("acme renewal", '"acme" "renewal"*'),
        ('say "hi" AND (x', '"say" "hi" "AND" "x"'),
        ("o'brien", '"o" "brien"*'),
        ("snake_case", '"snake" "case"*'),
        ("Café crème", '"Café" "crème"*'),
    ],
)
def test_fts_query(text, query):
    assert fts_query(text) == query


def test_diacritics_are_folded(ok):
    ok("company", "add", "Crème Café")
    assert found(ok, "creme cafe") == [("company", 1)]


def test_the_word_as_typed_comes_before_longer_words_it_begins(ok, tmp_path):
    rows = "title,amount\n" + "".join(f"Deal {i},100\n" for i in range(1, 501))
    (tmp_path / "d.csv").write_text(rows)
    ok("import", "deals", str(tmp_path / "d.csv"))
    found = json.loads(ok("search", "Deal 42", "--limit", "3", "-f", "json").stdout)
    assert [r["title"] for r in found] == ["Deal 42", "Deal 429", "Deal 428"]  # then the newest that begin so
    assert json.loads(ok("search", "42", "--limit", "1", "-f", "json").stdout)[0]["title"] == "Deal 42"


def test_text_that_looks_like_an_option_is_searched_after_a_double_dash(ok, cli, run_exe, crm):
    assert ok("search", "--", "-5%").stderr == 'nothing matches "-5%"\n'
    res = run_exe("--db", str(crm), "search", "-5%")
    assert (res.returncode, res.stderr) == (2, "Error: No such option: -5\nHint: to search for text starting with -,"
                                               " put -- before it: salescli search -- -5%\n")
    assert cli("search", "acme", "--limt", "3").stderr.startswith("Error: No such option: --limt (Possible options:")
