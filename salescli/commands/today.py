"""salescli today"""

from __future__ import annotations

from typing import Annotated

import typer

from salescli.commands.options import OutputOpt, app_context

TABLE_ROWS = 10


def today(
    ctx: typer.Context,
    owner: Annotated[str | None, typer.Option("--owner", help="This person's agenda instead of yours.")] = None,
    everyone: Annotated[bool, typer.Option("--all", help="Everyone's agenda (with an owner column).")] = False,
    limit: Annotated[
        int | None,
        typer.Option("--limit", "-n", min=1, help=f"Rows per section (default: {TABLE_ROWS} on screen, all in JSON)."),
    ] = None,
    fmt: Annotated[str | None, typer.Option(
        "--format", "-f", help="table, json (the day as as_of, the six sections), or jsonl, csv, markdown (one"
                               " row per item, led by its section; default: from -o's extension).")] = None,
    output: OutputOpt = None,
) -> None:
    """Your day: overdue tasks, tasks due today, next steps due today, deals closing within 7 days,
    stale deals, open deals without a next step.

    Dates follow the global --today (salescli --today 2026-11-26 today).

    \b
    Example: salescli today --owner sam -f json
    """
    from salescli.errors import UsageError
    from salescli.render import Column, note, pick_format, render_rows, render_text, screen_width
    from salescli.services.agenda import (
        FLAT_KEYS,
        agenda_json,
        agenda_rows,
        agenda_text,
        build_agenda,
        empty_agenda_hint,
    )

    chosen = pick_format(fmt, output, allowed=("table", "json", "jsonl", "csv", "markdown"))
    if everyone and owner:  # ("": a script's unset variable, as if not given)
        raise UsageError("--all and --owner exclude each other (--all is everyone's agenda)")
    app = app_context(ctx)
    who = None if everyone else (owner or app.user)
    if owner:  # a named owner must exist (a typo in a cron job is exit 3, as in every filter)
        from salescli.services.refs import known_user

        who = known_user(app.repo(), owner)
    rows = limit if limit is not None else (TABLE_ROWS if chosen == "table" else None)
    agenda = build_agenda(app.repo(), app.today, who, rows)
    if chosen == "json":
        render_text(agenda_json(agenda), output)
    elif chosen != "table":
        render_rows(agenda_rows(agenda), [Column(k) for k in FLAT_KEYS], fmt=chosen, output=output,
                    empty="nothing on the agenda")
    else:
        width = 80 if output else min(80, max(40, screen_width()))
        render_text(agenda_text(agenda, "everyone" if who is None else str(agenda.owner), width), output)
        hint = empty_agenda_hint(app.repo(), agenda)
        if hint:
            note(hint)


def register(app: typer.Typer) -> None:
    app.command("today")(today)
