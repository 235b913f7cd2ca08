"""Options and helpers shared by every command (declared once, stacked everywhere)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, TypeVar

import typer

from salescli.context import AppContext
from salescli.errors import ConfirmationRequired, InvalidValue, RuleError, printable

T = TypeVar("T")

FormatOpt = Annotated[
    str | None,
    typer.Option("--format", "-f",
                 help="table, json, jsonl, csv, markdown or html (default: from -o's extension, else table)."),
]
ReportFormatOpt = Annotated[
    str | None,
    typer.Option("--format", "-f",
                 help="table, json, csv, markdown or html (default: from -o's extension, else table)."),
]


def output_folder(value: str | None) -> str | None:
    """-o FILE whose folder is missing: refused when the command line is read, before any work is done (and -o
    "": a script's unset variable, not a wish for stdout, which is `-o -` or no -o)."""
    if value == "":
        from salescli.errors import UsageError

        raise UsageError('-o/--output is empty; give a file name, or "-" for stdout')
    if value:
        from salescli.render import check_output_folder

        check_output_folder(value)
    return value


OutputOpt = Annotated[
    str | None,
    typer.Option("--output", "-o", callback=output_folder, help="Write to FILE (its extension picks the format)."),
]
LimitOpt = Annotated[
    int | None, typer.Option("--limit", "-n", min=1, max=1_000_000_000, help="Show at most N rows.")
]
AllOpt = Annotated[bool, typer.Option("--all", help="Show every row in a table (default: the first 100).")]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]
TagOpt = Annotated[list[str] | None, typer.Option("--tag", "-t", help="A tag (repeat, or separate with commas).")]


def app_context(ctx: typer.Context) -> AppContext:
    obj = ctx.find_root().obj
    assert isinstance(obj, AppContext)
    return obj


def parsed(parse: Callable[..., T], value: str, option: str, *args: Any, **kwargs: Any) -> T:
    """Parse a typed value, naming the option when it is of the wrong form (exit 2)."""
    try:
        return parse(value, *args, **kwargs)
    except InvalidValue as exc:
        raise exc.with_field(option) from None


def typed_date(app: AppContext, text: str, option: str, *, past: bool = False) -> date:
    """A date typed for OPTION, read with the database's day-first setting and fiscal year (`eoq`)."""
    from salescli.values import parse_date

    return parsed(parse_date, text, option, app.today, app.day_first(), past=past,
                  fiscal_start=int(app.settings().get("fiscal_year_start_month", 1)))


def sort_key(value: str, allowed: dict[str, str] | list[str]) -> str:
    """A --sort value from its allow-list; anything else is a usage error (no SQL passes through)."""
    key = value.strip().lower()
    if key not in allowed:
        raise InvalidValue("--sort", value, f"is not one of {', '.join(allowed)}")
    return key


def sort_order(value: str, allowed: dict[str, str] | list[str]) -> tuple[str, bool]:
    """A --sort value that a leading "-" turns around (-amount): (the key from its allow-list, reversed)."""
    text = value.strip()
    reverse = text.startswith("-")
    try:
        return sort_key(text[1:] if reverse else text, allowed), reverse
    except InvalidValue:
        from salescli.values import closest

        error = InvalidValue("--sort", value, f"is not one of {', '.join(allowed)} (-FIELD: reversed)")
        near = closest(text.lstrip("-"), list(allowed), 0.75)
        error.hint = f"did you mean --sort {'-' if reverse else ''}{near}?" if near else None
        raise error from None


def table_rows(limit: int | None, show_all: bool) -> tuple[int | None, int | None]:
    """(SQL limit, table limit): --limit caps the query; a table shows 100 unless --all."""
    if limit is not None:
        return limit, limit
    return None, None if show_all else 100


ExtraOpt = Annotated[list[str] | None, typer.Option(
    "--extra", metavar="KEY=VALUE", help="Set a value an import kept (its extra.KEY column); KEY= removes it."
                                         " Repeatable.")]


def extra_from(items: list[str] | None) -> dict[str, str | None] | None:
    """--extra KEY=VALUE options: key -> value (None: remove the key); None when none given."""
    from salescli.errors import UsageError
    from salescli.values import one_line

    if not items:
        return None
    out: dict[str, str | None] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = one_line(key).strip()
        if not sep or not key:
            raise UsageError(f'--extra "{item}": write KEY=VALUE (KEY= removes the value)')
        out[key] = value.strip() or None
    return out


def tags_from(values: list[str] | None) -> list[str]:
    from salescli.values import parse_tags

    out: list[str] = []
    for value in values or []:
        for tag in parse_tags(value):
            if tag not in out:
                out.append(tag)
    return out


def confirm(question: str, yes: bool) -> None:
    """Ask on a terminal; without one, refuse unless --yes. EOF or no answer is a no."""
    if yes:
        return
    if not sys.stdin.isatty():
        # "Delete deal 7 X?" -> "refusing to delete deal 7 X without --yes" (a name may hold a "?" too)
        asked = question[:-1] if question.endswith("?") else question.split("? ", 1)[0]
        raise ConfirmationRequired(f"refusing to {asked[:1].lower()}{asked[1:]} without --yes (no terminal to ask)")
    # Not typer.confirm: it turns Ctrl-C into "no" (exit 1); an interrupt must stay an interrupt (130).
    try:
        sys.stderr.write(f"{printable(question)} [y/N]: ")
        sys.stderr.flush()
        answer = sys.stdin.readline()
    except BaseException:
        sys.stderr.write("\n")  # end the prompt's line before the error message
        raise
    if not answer.endswith("\n"):
        sys.stderr.write("\n")  # EOF (Ctrl-D)
    if answer.strip().lower() not in ("y", "yes"):
        raise RuleError("cancelled; nothing changed")


def say(message: str) -> None:
    """A message for the person on stderr (control characters of stored names shown, not obeyed); none with -q."""
    from salescli import render

    if not render.QUIET:
        typer.echo(printable(message), err=True)


def warn(message: str) -> None:
    """A message that something went wrong though the command succeeded (rows rejected): shown with -q too."""
    typer.echo(printable(message), err=True)


def changed_fields(row: dict[str, Any], changed: dict[str, Any], names: dict[str, str], valued: set[str],
                   shown: Callable[[str, Any], str | None] | None = None) -> list[str]:
    """What an edit changed, as the options name them (names: column -> option), with the value it now has
    where that is short (valued columns: a date typed as "next friday" shows the day it was read as, a link
    the name of what it now links to): "due 2026-12-04", "owner sam", "company Acme Robotics", "subject".
    shown(column, value): the text of a value when it needs more than the value (money); flags that only
    say a value was set by hand (probability_set) are not named."""
    out: dict[str, None] = {}
    for key in changed:
        if key.endswith("_set"):
            continue
        name = names.get(key, key.replace("_", "-"))  # (next_step_date: --next-step-date)
        if key not in valued:  # (a long text: named, or said cleared)
            out[f"{name} cleared" if row.get(key) in (None, "", [], "[]") else name] = None
            continue
        value = row.get(key.removesuffix("_id") if key.endswith("_id") else key)  # a link: what it links to
        if value is None or value == "":
            out[f"{name} cleared"] = None
            continue
        text = shown(key, value) if shown is not None else None
        if text is None:
            text = str(value)
            if len(text) == 19 and text[10] == "T":  # a stored timestamp: its day (and time, when it has one)
                text = text[:10] if text.endswith("T00:00:00") else f"{text[:10]} {text[11:16]}"
        out[f"{name} {text}"] = None
    return list(out)


def linked_counts(counts: dict[str, int]) -> str:
    """'1 contact, 2 deals' of contacts, deals and activities (those with none left out)."""
    singular = {"contacts": "contact", "deals": "deal", "activities": "activity"}
    return ", ".join(f"{n} {singular[k] if n == 1 else k}" for k, n in counts.items() if n)


def merge_duplicate(app: AppContext, entity: str, keep: str, duplicate: str, yes: bool) -> Any:
    """`company|contact merge`: ask, merge, say what moved; returns the kept record."""
    from salescli.services.crm import merge_records
    from salescli.services.refs import resolve_company, resolve_contact

    repo = app.repo()
    resolve = resolve_company if entity == "company" else resolve_contact
    kept, other = resolve(repo, keep), resolve(repo, duplicate)
    if kept["id"] != other["id"]:
        confirm(f"Merge {entity} {other['id']} {other['name']} into {entity} {kept['id']} {kept['name']} and"
                f" delete {other['id']}?", yes)
    result = merge_records(repo, entity, keep, duplicate)
    flush_notices(app)
    moved = linked_counts(result["moved"])
    parts = [f"moved {moved}" if moved else "nothing linked to move"]
    if result["filled"]:
        parts.append("filled " + ", ".join(f.removesuffix("_id") for f in result["filled"]))
    if result["in_notes"]:
        parts.append("notes keep " + "; ".join(result["in_notes"]))
    say(f"merged {entity} {result['merged']} {result['merged_name']} into {result['kept']} {result['kept_name']}: "
        + "; ".join(parts))
    return repo.company(kept["id"]) if entity == "company" else repo.contact(kept["id"])


def flush_notices(app: AppContext) -> None:
    repo = app._repo
    if repo is not None:
        for message in repo.notices:
            say(message)
        repo.notices.clear()
