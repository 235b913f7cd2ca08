"""Exit codes and the one-line error contract, in-process and through the installed command."""

from __future__ import annotations

import os
import select
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from salescli.errors import ExitStatus, InvalidValue, shown_value
from tests.conftest import digest, pty_run, salescli_exe

Run = Callable[..., Any]


@pytest.fixture
def crm(ok: Run) -> Run:
    ok("company", "add", "Acme Corp", "--domain", "acme.io")
    ok("contact", "add", "Ana Silva", "--email", "ana@acme.io", "--company", "acme.io")
    return ok


@pytest.mark.parametrize(
    ("args", "status"),
    [
        (("company", "list"), ExitStatus.OK),
        (("company", "rm", "1"), ExitStatus.RULE),  # no terminal and no --yes
        (("contact", "add", "X", "--email", "ANA@acme.io"), ExitStatus.RULE),  # duplicate
        (("company", "list", "--sort", "name; DROP TABLE companies"), ExitStatus.USAGE),
        (("company", "list", "--bogus"), ExitStatus.USAGE),
        (("nosuchcommand",), ExitStatus.USAGE),
        (("contact", "show", "404"), ExitStatus.NOT_FOUND),
        (("history", "contact", "x"), ExitStatus.NOT_FOUND),  # (a name: no contact of that name)
        (("history", "contact", "99999999999999999999999"), ExitStatus.NOT_FOUND),
        (("history", "stage", "x"), ExitStatus.USAGE),  # (a stage's history is by its id only)
        (("contact", "list", "--company", "99999999999999999999"), ExitStatus.NOT_FOUND),
        (("company", "show", "#99999999999999999999"), ExitStatus.NOT_FOUND),
    ],
)
def test_exit_codes_by_case(crm: Run, cli: Run, db: Path, args: tuple[str, ...], status: ExitStatus) -> None:
    before = digest(db)
    res = cli(*args)
    assert res.exit_code == status
    if status != ExitStatus.OK:
        assert res.stdout == "" and "Traceback" not in res.stderr
        assert digest(db) == before


def test_domain_errors_are_exactly_one_line(crm: Run, cli: Run) -> None:
    for args in (("contact", "show", "404"), ("company", "add", "X", "--domain", "x"), ("company", "rm", "1")):
        lines = cli(*args).stderr.splitlines()
        assert lines[0].startswith("Error: ") and len(lines) <= 2, args
        assert all(line.startswith("Hint: ") for line in lines[1:])


@pytest.mark.parametrize("today", ["2026-02-31", "yesterday-ish", "03/04/2026", ""])
def test_bad_today_is_exit_2_naming_the_option(crm: Run, cli: Run, db: Path, today: str) -> None:
    before = digest(db)
    res = cli("--today", today, "company", "add", "Later", today=None)
    assert (res.exit_code, res.stdout) == (2, "")
    assert res.stderr.startswith(f'Error: --today "{today}" ')
    assert digest(db) == before


def test_today_pins_every_timestamp(ok: Run) -> None:
    import json

    ok("company", "add", "Acme", today="2025-01-31")
    record = json.loads(ok("company", "show", "1", "-f", "json").stdout)
    assert (record["created_at"], record["updated_at"]) == ("2025-01-31T00:00:00", "2025-01-31T00:00:00")
    assert json.loads(ok("history", "-f", "json").stdout)[0]["changed_at"] == "2025-01-31T00:00:00"


def test_long_and_multiline_values_stay_on_one_short_line() -> None:
    error = InvalidValue("--notes", "line1\nline2\r" + "x" * 500, "is bad")
    assert "\n" not in str(error) and len(str(error)) < 120
    assert shown_value("abc") == "abc" and shown_value("a" * 81) == "a" * 79 + "…"
    assert error.value.startswith("line1\nline2")  # the value itself is kept whole for callers


def test_no_traceback_unless_salescli_debug(crm: Run, db: Path, run_exe: Run) -> None:
    res = run_exe("--db", str(db), "contact", "show", "404")
    assert (res.returncode, res.stderr) == (3, 'Error: contact "404" not found\n'
                                                "Hint: list contacts with `salescli contact list`\n")
    res = run_exe("--db", str(db), "contact", "show", "404", env={"SALESCLI_DEBUG": "1"})
    assert res.returncode == 3 and "Traceback" in res.stderr and "NotFound" in res.stderr  # the same exit code
    assert res.stderr.endswith('Error: contact "404" not found\nHint: list contacts with `salescli contact list`\n')


@pytest.mark.parametrize(("args", "message"), [
    (("import", "undo", "abc"), 'Error: Invalid value for \'BATCH\': "abc" is not a whole number'),
    (("deal", "list", "--limit=x2"), 'Error: Invalid value for \'--limit\' / \'-n\': "x2" is not a whole number'),
    (("deal", "list", "-n", "0"),
     'Error: Invalid value for \'--limit\' / \'-n\': "0" should be greater than or equal to 1'),
])
def test_a_number_option_names_the_value_typed(cli: Run, args: tuple[str, ...], message: str) -> None:
    res = cli(*args)
    assert (res.exit_code, res.stderr.splitlines()) == (2, [message, f"Hint: see `salescli {' '.join(args[:2])} -h`"])


def test_a_name_in_another_encoding_is_one_error_line_not_a_traceback(crm: Run, db: Path, run_exe: Run) -> None:
    before = digest(db)
    latin1 = os.fsdecode(b"Caf\xe9")  # a Latin-1 terminal's bytes: not UTF-8
    for args in (("deal", "show", latin1), ("history", "deal", latin1), ("pipeline", "show", latin1)):
        res = run_exe("--db", str(db), *args)
        assert (res.returncode, res.stderr) == (2, 'Error: "Caf\\udce9" is not UTF-8 text\nHint: the terminal or'
                                                   " script gave it in another encoding: give names in UTF-8\n"), args
    assert digest(db) == before


def test_a_real_subprocess_round_trip(run_exe: Run, tmp_path: Path) -> None:
    db = tmp_path / "real.db"
    add = run_exe("--db", str(db), "--today", "2026-11-26", "company", "add", "Acme", "--domain", "acme.io")
    assert (add.returncode, add.stdout, add.stderr) == (0, "1\n", "added company 1 Acme\n")
    show = run_exe("--db", str(db), "company", "show", "acme.io", "-f", "csv")
    assert show.returncode == 0 and show.stdout.splitlines()[1].startswith("1,Acme,acme.io,")
    missing = run_exe("--db", str(tmp_path / "typo.db"), "company", "list")
    assert (missing.returncode, missing.stdout) == (5, "") and not (tmp_path / "typo.db").exists()


def _prompt_then(db: Path, send: bytes | None, sig: int | None) -> tuple[int, str]:
    """Run `salescli contact rm 1` under a pseudo-terminal; answer the prompt or signal the process."""
    import pty

    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child
        os.execv(salescli_exe(), [salescli_exe(), "--db", str(db), "contact", "rm", "1"])
    out = b""
    deadline = time.monotonic() + 30
    while b"[y/N]: " not in out and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                out += os.read(fd, 1024)
            except OSError:
                break
    assert b"[y/N]: " in out, out
    time.sleep(0.1)  # the process is now blocked reading the answer
    if send is not None:
        os.write(fd, send)
    if sig is not None:
        os.kill(pid, sig)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 1024)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    else:  # the child never finished: do not hang the suite
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), out.decode().replace("\r\n", "\n")


@pytest.mark.parametrize(
    ("send", "sig", "code", "tail"),
    [
        (b"n\n", None, 1, "n\nError: cancelled; nothing changed\n"),
        (b"\x04", None, 1, "\nError: cancelled; nothing changed\n"),  # Ctrl-D (EOF) is a no
        (None, signal.SIGINT, 130, "\nError: interrupted; nothing was saved\n"),
        (None, signal.SIGTERM, 143, "\nError: terminated; nothing was saved\n"),
        (b"y\n", None, 0, "y\ndeleted contact 1 Ana Silva\n"),
    ],
)
def test_confirmation_prompt_on_a_terminal(
    crm: Run, db: Path, send: bytes | None, sig: int | None, code: int, tail: str
) -> None:
    before = digest(db)
    status, out = _prompt_then(db, send, sig)
    assert (status, out) == (code, "Delete contact 1 Ana Silva? [y/N]: " + tail)
    if code:
        assert digest(db) == before
    else:
        assert digest(db) != before


def test_a_negative_number_is_not_read_as_options(run_exe: Any, tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    res = run_exe("--db", str(db), "target", "set", "dana", "2026-Q4", "-10k")
    # Click saw the options -1, -0, -k: "No such option: -1" said nothing of the value
    assert (res.returncode, res.stdout) == (2, "")
    assert res.stderr == ("Error: -10k: a negative number is not accepted here (a value starting with - is read as"
                          " an option)\nHint: see `salescli target set -h`\n")
    assert not db.exists()


def test_an_ambiguous_today_asks_for_the_iso_form_whatever_day_first_says(ok: Run, cli: Run) -> None:
    ok("config", "set", "day_first", "true")  # --today is read before the database and its settings
    res = cli("--today", "03/04/2026", "today", today=None)
    assert (res.exit_code, res.stderr) == (
        2, 'Error: --today "03/04/2026" is ambiguous (day/month); write 2026-04-03 or 2026-03-04\n')


def test_a_person_is_told_when_a_write_creates_the_database(tmp_path: Path, run_exe: Callable[..., Any]) -> None:
    typo = tmp_path / "sales.bd"  # meant sales.db
    out = pty_run([salescli_exe(), "--db", str(typo), "--today", "2026-11-26", "deal", "add", "Oops"],
                  dict(os.environ)).replace("\r\n", "\n")
    assert out.startswith(f"added deal 1 Oops (Prospecting)\n1\nnote: created database {typo}\n")
    # a script is not: its stderr says only what the command did
    res = run_exe("--db", str(tmp_path / "other.db"), "deal", "add", "Oops")
    assert res.stderr == "added deal 1 Oops (Prospecting)\n"


@pytest.mark.parametrize(("args", "hint"), [
    (("deal", "unpark", "2"), "Hint: did you mean `salescli deal park ID --clear`? (see `salescli deal -h`)\n"),
    (("company", "delete", "2"), "Hint: did you mean `salescli company rm`? (see `salescli company -h`)\n"),
    (("contact", "get", "2"), "Hint: did you mean `salescli contact show`? (see `salescli contact -h`)\n"),
    (("task", "close", "2"), "Hint: did you mean `salescli task done`? (see `salescli task -h`)\n"),
    (("deal", "close", "2"), "Hint: did you mean `salescli deal won or lost`? (see `salescli deal -h`)\n"),
    (("report", "delete"), "Hint: see `salescli report -h`\n"),  # no report rm to point to
    (("config", "list"), "Hint: did you mean `salescli config get`? (see `salescli config -h`)\n"),
    (("config", "show"), "Hint: did you mean `salescli config get`? (see `salescli config -h`)\n"),
])
def test_a_command_other_tools_call_so_points_to_salesclis(cli: Run, args: tuple[str, ...], hint: str) -> None:
    res = cli(*args)
    assert (res.exit_code, res.stderr) == (2, f"Error: No such command '{args[1]}'.\n{hint}")


@pytest.mark.parametrize("args", [("task", "list", "--today", "2026-12-09"), ("report", "pipeline", "--today", "x")])
def test_today_after_the_command_says_where_it_goes(run_exe: Callable[..., Any], args: tuple[str, ...]) -> None:
    res = run_exe(*args)
    assert res.returncode == 2
    assert res.stderr.splitlines()[1] == (f"Hint: the global --today DATE goes before the command: salescli --today"
                                          f" DATE {' '.join(args[:2])} …")


def test_a_today_before_the_command_is_not_blamed_for_an_extra_argument(run_exe: Callable[..., Any]) -> None:
    res = run_exe("--today", "2026-11-26", "deal", "show", "1", "2")
    assert (res.returncode, res.stderr) == (2, "Error: Got unexpected extra argument(s) (2)\n"
                                               "Hint: see `salescli deal show -h`\n")
    res = run_exe("task", "list", "--today=2026-12-09")
    assert res.stderr.splitlines()[1] == ("Hint: the global --today DATE goes before the command: salescli --today"
                                          " DATE task list …")
