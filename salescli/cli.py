"""The root command: global options, wiring of the command groups, and the one error translator."""

from __future__ import annotations

import errno
import os
import re
import shlex
import signal
import sqlite3
import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
import typer.main
from typer.core import TyperGroup

from salescli import __version__
from salescli.commands import (
    activity,
    automation,
    company,
    contact,
    deal,
    forecast,
    insights,
    pipeline,
    report,
    search,
    system,
    target,
    task,
    user,
)
from salescli.commands import config as config_command
from salescli.commands import io as io_command
from salescli.commands import today as today_command
from salescli.commands.lazy import SuggestingGroup, name_placeholders
from salescli.context import AppContext, busy_timeout_from_env, resolve_db_path, resolve_user
from salescli.errors import ExitStatus, InvalidValue, SalesCliError, UsageError, printable


class Terminated(BaseException):
    """SIGTERM arrived: unwind (rolling back any open transaction) and exit 143."""


class Interrupted(BaseException):
    """Ctrl-C (SIGINT) in the salescli process: unwind and exit 130. Not a KeyboardInterrupt, which Click turns
    into "Aborted!" and exit 1 when it comes before the command runs (while the command line is parsed)."""


_PENDING_GROUPS: dict[str, Any] = {}  # name -> TyperInfo of a command group, built when it runs


class SalesCliTyper(typer.Typer):
    """The root app. A group added with add_typer is turned into Click objects only when it runs:
    converting every command's signature costs ~5 ms a command, which every start would pay."""

    def add_typer(self, *args: Any, **kwargs: Any) -> None:
        super().add_typer(*args, **kwargs)
        info = self.registered_groups.pop()
        _PENDING_GROUPS[typer.main.solve_typer_info_defaults(info).name or ""] = info


class PendingGroup(TyperGroup):
    """Stands in for a command group in the root's list (name, help, hidden) until it runs."""

    def __init__(self, name: str, info: Any) -> None:
        solved = typer.main.solve_typer_info_defaults(info)
        super().__init__(name=name, help=solved.help, short_help=solved.short_help, hidden=bool(solved.hidden),
                         rich_markup_mode=None)
        self.info = info

    def build(self) -> TyperGroup:
        """The group's Click objects, built once per process (a process that runs several commands, as the
        tests do in-process, would otherwise convert every signature again each time: ~20 ms a run)."""
        built = _BUILT_GROUPS.get(self.name or "")
        if built is None:
            built = _BUILT_GROUPS[self.name or ""] = name_placeholders(typer.main.get_group_from_info(
                self.info,
                pretty_exceptions_short=app.pretty_exceptions_short,
                suggest_commands=app.suggest_commands,
                rich_markup_mode=app.rich_markup_mode,
            ))
        return built


_BUILT_GROUPS: dict[str, TyperGroup] = {}


class SalesCliGroup(SuggestingGroup):
    """The root command: builds the group that runs, and translates every domain and database error
    into one stderr line and its exit code."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        name_placeholders(self)  # its own options and commands (the groups name theirs when built)
        for name, info in _PENDING_GROUPS.items():
            self.add_command(PendingGroup(name, info), name)

    def resolve_command(self, ctx: Any, args: list[str]) -> tuple[str | None, Any, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        if isinstance(command, PendingGroup):
            command = command.build()
        return name, command, rest

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except typer._click.exceptions.UsageError as exc:  # `salescli --bogus`
            _usage_error(exc)
            raise  # unreachable

    def invoke(self, ctx: Any) -> Any:
        try:
            result = self._invoke(ctx)
        except BaseException as exc:
            # Any failure (an error, a usage error, Ctrl-C, SIGTERM, a bug) ends the command: a database file
            # this very process created for it goes too (RELIABILITY.md: only init/first write may create).
            succeeded = (isinstance(exc, typer.Exit) and exc.exit_code == 0) or (
                isinstance(exc, SystemExit) and exc.code in (0, None))
            if not succeeded and isinstance(ctx.obj, AppContext):
                ctx.obj.discard_created_database()
            raise
        if isinstance(ctx.obj, AppContext) and ctx.invoked_subcommand not in ("init", "demo"):
            ctx.obj.note_created_database()
        return result

    def _invoke(self, ctx: Any) -> Any:
        """Run the command, translating every error into one stderr line and its exit code."""
        try:
            return super().invoke(ctx)
        except SalesCliError as exc:
            _fail(exc.message, exc.exit_status, exc.hint)
        except typer._click.exceptions.UsageError as exc:
            _usage_error(exc)
        except sqlite3.Error as exc:
            from salescli.repository.base import translate_sqlite_error

            obj = ctx.obj
            err = translate_sqlite_error(exc, obj.db_path if isinstance(obj, AppContext) else "?")
            _fail(err.message, err.exit_status, err.hint)
        except (KeyboardInterrupt, Interrupted):
            _fail(_stopped("interrupted", ctx.obj), ExitStatus.INTERRUPTED)
        except Terminated:
            _fail(_stopped("terminated", ctx.obj), ExitStatus.TERMINATED)
        except BrokenPipeError:
            _quiet_pipe()
        except UnicodeEncodeError as exc:  # an argument in another encoding (a Latin-1 terminal): its bytes
            text = exc.object if isinstance(exc.object, str) else ""  # were kept as lone surrogates
            if not any("\udc80" <= c <= "\udcff" for c in text[exc.start:exc.end]):
                raise
            _fail(f'"{text.strip("%")}" is not UTF-8 text', ExitStatus.USAGE,
                  "the terminal or script gave it in another encoding: give names in UTF-8")
        except OverflowError:  # a number past SQLite's 64-bit integers, from any option
            _fail("a number given is too large (at most 9223372036854775807)", ExitStatus.USAGE)
        except (ValueError, TypeError, ArithmeticError) as exc:  # a bug, or a value written around salescli
            _unreadable_stored_value(ctx.obj, exc)
            raise
        except OSError as exc:
            where = f": {exc.filename}" if exc.filename else ""
            if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):  # e.g. stdout redirected to a full disk
                _fail(f"disk full ({exc.strerror}){where}", ExitStatus.DATABASE)
            _fail(f"{exc.strerror or exc}{where}", ExitStatus.RULE)


def _unreadable_stored_value(obj: Any, exc: BaseException) -> None:
    """A command that failed on a value of the wrong type: when the database holds values salescli cannot read
    (`amount_minor` '12.5', tags '{bad', written by hand in sqlite3), one line and exit 5, as for a damaged
    file, not a traceback; otherwise it returns and the error stays a bug's."""
    repo = obj._repo if isinstance(obj, AppContext) else None
    if repo is None:
        return
    from salescli.services.checks import unreadable_values

    try:
        if repo.conn.in_transaction:
            repo.conn.rollback()
        found = unreadable_values(repo)
    except Exception:  # (the database itself failing: the first error is the one to show)
        return
    if found is None:
        return
    count, first = found
    more = f" (and {count - 1} more)" if count > 1 else ""
    _fail(f"database {obj.db_path} holds a value salescli cannot read: {first['entity']} {first['id']}:"
          f" {first['detail']}{more}; nothing changed", ExitStatus.DATABASE,
          "run `salescli db check` for the list; fix them in sqlite3, or restore a backup")


def _usage_error(exc: Any) -> None:
    """A command line Click cannot parse: one line, like every other error (not Click's usage block)."""
    if isinstance(exc, typer._click.exceptions.NoArgsIsHelpError):
        raise exc  # a bare group: its help
    where = exc.ctx.command_path if exc.ctx is not None else "salescli"
    if isinstance(exc, typer._click.exceptions.NoSuchOption) and where == "salescli search" and not (
            exc.possibilities):  # `search -5%`: text, not a mistyped option
        token = next((a for a in sys.argv[2:] if a.startswith(exc.option_name or "-")), exc.option_name)
        _fail(exc.format_message(), ExitStatus.USAGE, f"to search for text starting with -, put -- before it:"
                                                       f" salescli search -- {shlex.quote(str(token))}")
    if isinstance(exc, typer._click.exceptions.NoSuchOption) and re.fullmatch(r"-\d", exc.option_name or ""):
        # `target set dana 2026-Q4 -10k`: Click reads -10k as the options -1, -0, -k
        token = next((a for a in sys.argv[1:] if a.startswith(exc.option_name)), exc.option_name)
        _fail(f"{token}: a negative number is not accepted here (a value starting with - is read as an option)",
              ExitStatus.USAGE, f"see `{where} -h`")
    message = exc.format_message()
    if message.startswith("Invalid value for ") and ": Input should be " in message:
        # Typer's words, from pydantic, without the value: the value as typed ("abc" is not a whole number)
        errors = exc.__cause__.errors() if hasattr(exc.__cause__, "errors") else []
        value = errors[0].get("input") if errors else None
        named, rule = message.split(": Input should be ", 1)
        rule = "is not a whole number" if rule.startswith("a valid integer") else f"should be {rule}"
        _fail(f'{named}: "{value}" {rule}' if value is not None else f"{named}: {rule}", ExitStatus.USAGE,
              f"see `{where} -h`")
    if (isinstance(exc, typer._click.exceptions.NoSuchOption) and exc.option_name == "--today") or (
            _today_after_the_command(where) and (message.startswith("Got unexpected extra argument")
                                                 or "does not take a value" in message)):
        # `task list --today 2026-12-09`: the filter took --today, the date was left over
        if message.startswith("No such option: --today"):
            message = "No such option: --today"  # (not Click's guesses at this command's options)
        _fail(message, ExitStatus.USAGE, "the global --today DATE goes before the command:"
                                         f" salescli --today DATE {_command_words()} …")
    wanted = re.match(r"No such command '(.+?)'\.", message)
    group = exc.ctx.command if exc.ctx is not None else None
    if wanted and group is not None:
        known = group.list_commands(exc.ctx)
        instead = next((c for c in _SAY_INSTEAD.get(wanted.group(1).lower(), ()) if c.split()[0] in known), None)
        if instead:  # (in place of Click's guess by spelling: `contact get` is no `contact forget`)
            _fail(wanted.group(0), ExitStatus.USAGE, f"did you mean `{where} {instead}`? (see `{where} -h`)")
    _fail(exc.format_message(), ExitStatus.USAGE, f"see `{where} -h`")


def _command_start(argv: list[str]) -> int | None:
    """Where the command's first word is: past the global options before it (and their values)."""
    i = 0
    while i < len(argv):
        if argv[i] in ("--db", "--user", "--today"):
            i += 2
        elif argv[i].startswith("-"):
            i += 1
        else:
            return i
    return None


def _command_words() -> str:
    """The command as typed, without options ('task list' of `salescli --db x task list --today=…`)."""
    argv = sys.argv[1:]
    start = _command_start(argv)
    words: list[str] = []
    for arg in argv[start:start + 2] if start is not None else []:  # (a group and its command)
        if arg.startswith("-"):
            break
        words.append(arg)
    return " ".join(words)


def _today_after_the_command(where: str) -> bool:
    """Whether --today was typed after the command's own words (`task list --today 2026-12-09`)."""
    argv, pos = sys.argv[1:], 0
    for word in where.split()[1:]:
        if word in argv[pos:]:
            pos = argv.index(word, pos) + 1
    return any(a == "--today" or a.startswith("--today=") for a in argv[pos:])


#: Commands people type from other tools, and what salescli calls them.
_SAY_INSTEAD = {"unpark": ("park ID --clear",), "remove": ("rm",), "delete": ("rm",), "del": ("rm",),
                "new": ("add",), "create": ("add",), "ls": ("list", "get"), "view": ("show", "get"), "get": ("show",),
                "list": ("get",), "show": ("get",),
                "update": ("edit",), "complete": ("done",), "finish": ("done",), "close": ("done", "won or lost")}


def _stopped(what: str, obj: Any) -> str:
    """What an interrupt left: usually nothing (rolled back), unless it came as the COMMIT finished or after."""
    repo = obj._repo if isinstance(obj, AppContext) else None
    if isinstance(obj, AppContext) and obj.saved or repo is not None and repo.saved_changes():
        return f"{what} after the changes were saved"
    return f"{what}; nothing was saved"


def _fail(message: str, status: int, hint: str | None = None) -> None:
    if os.environ.get("SALESCLI_DEBUG") == "1":  # the traceback too, and the same exit code: debugging a cron
        import traceback  # job does not change what it exits with

        traceback.print_exc()
    try:
        sys.stdout.flush()
    except (BrokenPipeError, ValueError):
        _quiet_pipe()
    typer.echo(f"Error: {printable(message)}", err=True)
    if hint:
        typer.echo(f"Hint: {printable(hint)}", err=True)
    raise typer.Exit(int(status))


def _quiet_pipe() -> None:
    """The reader went away (`| head -1`): stop quietly."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    raise typer.Exit(0)


app = SalesCliTyper(
    name="salescli",
    cls=SalesCliGroup,
    help="A sales pipeline in one SQLite file: companies, contacts, deals, activities, reports.",
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"salescli {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option("--db", help="Database file (default: $SALESCLI_DB, else ~/.local/share/salescli/sales.db)."),
    ] = None,
    user: Annotated[
        str | None, typer.Option("--user", help="Who acts (default: $SALESCLI_USER, else the OS login).")
    ] = None,
    today: Annotated[
        str | None, typer.Option("--today", help="Pin today's date for every relative date and report"
                                 " (YYYY-MM-DD, or a date such as -1w or 'last friday').")
    ] = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Say nothing on stderr unless something is wrong: no 'added …',"
                           " 'wrote FILE', notes or progress bar (errors and questions still; for cron).")
    ] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """salescli: track deals, log activities, report the pipeline — all in one SQLite file.

    \b
    Example:
      salescli deal add "Acme renewal" --amount 12k --company 1 --close +30d
    """
    from salescli import render

    render.QUIET = quiet
    ctx.call_on_close(lambda: setattr(render, "QUIET", False))  # (an in-process caller's next run starts loud)
    pinned = today is not None
    the_day = date.today()
    path, default_location = resolve_db_path(db)
    if today is not None:
        from salescli.values import parse_date

        fiscal = _fiscal_start_of(path) if any(w in today.lower() for w in ("eoq", "eoy", "quarter", "year")) else 1
        try:
            the_day = parse_date(today, the_day, fiscal_start=fiscal)
        except InvalidValue as exc:
            # (read before the database and its day_first setting: only the ISO form settles it)
            reason = exc.reason.replace(", or set day_first", "") if "ambiguous" in exc.reason else exc.reason
            raise InvalidValue("--today", today, reason) from None
    acting, source = resolve_user(user)
    ctx.obj = AppContext(
        db_path=path,
        user=acting,
        user_source=source,
        today=the_day,
        today_pinned=pinned,
        default_location=default_location,
        busy_timeout=busy_timeout_from_env(),
    )
    ctx.call_on_close(ctx.obj.close)


app.add_typer(company.app, name="company")
app.add_typer(company.app, name="companies", hidden=True)
app.add_typer(contact.app, name="contact")
app.add_typer(contact.app, name="contacts", hidden=True)
app.add_typer(deal.app, name="deal")
app.add_typer(deal.app, name="deals", hidden=True)
app.add_typer(pipeline.app, name="pipeline")
app.add_typer(pipeline.app, name="pipelines", hidden=True)
app.add_typer(config_command.app, name="config")
app.add_typer(config_command.fx_app, name="fx")
io_command.register(app, system.db_app)  # before db_app is added: it adds `db check`
app.add_typer(system.db_app, name="db")
system.register(app)
app.add_typer(activity.app, name="activity")
app.add_typer(activity.app, name="activities", hidden=True)
app.add_typer(task.app, name="task")
app.add_typer(task.app, name="tasks", hidden=True)
app.add_typer(automation.app, name="automation")
app.add_typer(automation.app, name="automations", hidden=True)
today_command.register(app)
search.register(app)
app.add_typer(report.app, name="report")
app.add_typer(report.app, name="reports", hidden=True)
app.add_typer(target.app, name="target")
app.add_typer(target.app, name="targets", hidden=True)
app.add_typer(user.app, name="user")
app.add_typer(user.app, name="users", hidden=True)
app.add_typer(forecast.app, name="forecast")
app.command("insights")(insights.insights)


def _on_sigterm(signum: int, frame: Any) -> None:
    raise Terminated()


def _on_sigint(signum: int, frame: Any) -> None:
    raise Interrupted()


_HOISTED = ("--db", "--user")  # the global options DESIGN allows on any command (--today is a task list filter)
_HOISTED_FLAGS = ("--quiet", "-q")  # and the global flag, which takes no value
#: Options of the commands that take a value: the word after one is its value (`--notes --user` is a note), never
#: an option to move (a test checks every command's help against this list).
VALUE_OPTIONS = frozenset({
    "--add-tag", "--after", "--amount", "--as-of", "--before", "--by", "--category", "--close", "--closing",
    "--company", "--contact", "--currency", "--date", "--deal", "--delimiter", "--domain", "--due", "--email",
    "--encoding", "--external-id", "--fail-if", "--forecast", "--forecast-category", "--format", "--industry",
    "--kind", "--limit", "--map", "--map-file", "--metric", "--min-amount", "--move-to", "--name", "--next-step",
    "--next-step-date", "--note", "--notes", "--on", "--on-duplicate", "--on-error", "--outcome", "--output",
    "--owner", "--period", "--phone", "--pipeline", "--position", "--preset", "--probability", "--reason",
    "--recurring", "--rejects", "--remove-tag", "--require", "--rot-days", "--segment", "--since", "--sort",
    "--source", "--stage", "--stages", "--status", "--subject", "--tag", "--task", "--team", "--territory",
    "--title", "--to", "--until", "--week", "-f", "-k", "-m", "-n", "-o", "-p", "-t",
})
#: The commands where one of VALUE_OPTIONS is a flag: `task list --week -q` (report weekly's --week takes a week).
FLAGS_OF = {("task", "list"): frozenset({"--week"}), ("tasks", "list"): frozenset({"--week"})}


def hoist_global_options(argv: list[str]) -> list[str]:
    """`salescli deal list --db x.db` as `salescli --db x.db deal list`: --db, --user and -q/--quiet given after
    the command (up to a `--`) move before it, where the root callback reads them (demo has a --db of its own).
    One without its value is a UsageError."""
    command = _command_start(argv)
    if command is None:
        return argv
    hoisted = ("--user",) if argv[command] == "demo" else _HOISTED  # (demo's own --db says where to build it)
    words = (argv[command], argv[command + 1] if command + 1 < len(argv) else "")
    flags = FLAGS_OF.get(words, frozenset())
    front: list[str] = []
    rest: list[str] = []
    i = command
    while i < len(argv):
        token = argv[i]
        if token == "--":
            rest += argv[i:]
            break
        if token in hoisted:
            if i + 1 >= len(argv):
                raise UsageError(f"{token} needs a value ({'a database file' if token == '--db' else 'a name'})")
            front += argv[i:i + 2]
            i += 2
            continue
        if token in _HOISTED_FLAGS:
            front.append(token)
            i += 1
            continue
        if token in VALUE_OPTIONS and token not in flags:  # its value follows, whatever it looks like
            rest += argv[i:i + 2]
            i += 2
            continue
        if token.split("=", 1)[0] in hoisted and "=" in token:
            front.append(token)
        else:
            rest.append(token)
        i += 1
    return argv[:command] + front + rest


_GONE = (errno.EPIPE, errno.ENOSPC, errno.EIO, errno.EDQUOT, errno.EFBIG, errno.EBADF)


class _Messages:
    """stderr as salescli writes to it: only messages for a person, so a write that fails (stderr redirected
    to a log on a full disk, a closed pipe) is dropped, and so is every later one (fd 2 goes to /dev/null):
    the command's work and its exit status never depend on its messages. Anything else is stderr's own."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return int(self._stream.write(text))
        except (OSError, ValueError) as exc:
            self._drop_or_raise(exc)
            return len(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except (OSError, ValueError) as exc:
            self._drop_or_raise(exc)

    def _drop_or_raise(self, exc: Exception) -> None:
        """Gone for good (full disk, closed pipe or file, I/O error): drop. Anything else (a stream that would
        block, a character it cannot encode) is stderr's own error, as without this wrapper."""
        gone = isinstance(exc, OSError) and exc.errno in _GONE or (
            type(exc) is ValueError and "closed file" in str(exc))
        if not gone:
            raise exc
        self._drop()

    def _drop(self) -> None:
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self._stream.fileno())
            os.close(devnull)
            self._stream.flush()  # what the failed write left in the buffer goes where the rest goes
        except (OSError, ValueError):
            pass

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _whole_writes(stream: Any) -> Any:
    """stdout as Python opens it under PYTHONUNBUFFERED=1 (or -u): a text layer straight over the file, which
    takes a short write (a disk that fills up, `ulimit -f`) as done, so the rest of the output was lost and the
    command exited 0. The same layer over a file that writes every byte or raises (then: exit 5, disk full)."""
    import io

    if not isinstance(getattr(stream, "buffer", None), io.FileIO):
        return stream  # buffered (the default): its BufferedWriter writes on after a short write, or raises

    class WholeFileIO(io.FileIO):
        def write(self, data: Any) -> int:
            view = memoryview(data).cast("B")
            done = 0
            while done < len(view):
                n = super().write(view[done:])
                if n is None:  # a non-blocking stdout that would block: as the unwrapped stream says it
                    raise BlockingIOError(errno.EAGAIN, "stdout would block", done)
                done += n
            return done

    raw = WholeFileIO(stream.fileno(), "w", closefd=False)
    return io.TextIOWrapper(raw, encoding=stream.encoding, errors=stream.errors, newline=None,
                            line_buffering=stream.line_buffering, write_through=True)


def _fiscal_start_of(path: Path) -> int:
    """The database's fiscal_year_start_month, read for `--today eoq` before the database is opened (1 when it
    cannot be read: a new or damaged file is refused, if at all, by the command)."""
    try:
        if not path.is_file():  # (a FIFO would block the open; the command says what the path is)
            return 1
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=10.0)  # (a writer's lock:
        try:  # waited for as the command waits, rather than January taken)
            row = conn.execute("SELECT value FROM settings WHERE key = 'fiscal_year_start_month'").fetchone()
        finally:
            conn.close()
        month = int(row[0]) if row else 1
        return month if 1 <= month <= 12 else 1
    except (sqlite3.Error, OSError, ValueError, TypeError):
        return 1


def main() -> None:
    try:
        _main()
    except (Interrupted, Terminated) as exc:  # before the command ran (Python still installing the handlers, Click
        interrupted = isinstance(exc, Interrupted)  # reading the command line), or after it returned (its work may
        print(f"Error: {_stopped('interrupted' if interrupted else 'terminated', AppContext.current)}",  # be saved:
              file=sys.stderr)  # said so)
        sys.exit(ExitStatus.INTERRUPTED if interrupted else ExitStatus.TERMINATED)
    finally:  # all said and done: a signal now ends the process as it would any program (not a traceback from
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # Python's shutdown, with exit status 0)
        if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
            signal.signal(signal.SIGINT, signal.SIG_DFL)


def _main() -> None:
    # (signal.signal runs Python code after the handler is in place: a SIGTERM landing there is main's)
    signal.signal(signal.SIGTERM, _on_sigterm)
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:  # (a background job of a script ignores it)
        signal.signal(signal.SIGINT, _on_sigint)
    if sys.stderr is not None and not isinstance(sys.stderr, _Messages):
        sys.stderr = _Messages(sys.stderr)  # type: ignore[assignment]
    if sys.stdout is None:  # started with stdout closed (`salescli deal list >&-`): nowhere to write
        if sys.stderr is not None:
            print("Error: standard output is closed; nothing was run", file=sys.stderr)
        sys.exit(5)
    sys.stdout = _whole_writes(sys.stdout)
    if sys.stdin is None:  # started with stdin closed (`<&-`, some daemons): reading it gives nothing
        sys.stdin = open(os.devnull)
    try:
        args = hoist_global_options(sys.argv[1:])
    except UsageError as exc:
        print(f"Error: {printable(str(exc))}", file=sys.stderr)
        sys.exit(2)
    AppContext.current = None
    try:
        app(args=args, prog_name="salescli")
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(0)
