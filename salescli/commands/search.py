"""salescli search TEXT"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from salescli.commands.options import FormatOpt, OutputOpt, app_context

DEFAULT_LIMIT = 20


def columns() -> list[Any]:
    from salescli.render import Column

    return [Column("kind"), Column("id", justify="right"), Column("title"), Column("snippet", wrap=True)]


def search(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help="Words to find (all must match; the last may be a prefix).")],
    kind: Annotated[
        list[str] | None,
        typer.Option("--kind", "-k", help="company, contact, deal, activity (call, email, meeting, note) or task"
                                          " (repeat or comma-separate)."),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=10_000, help="At most N results.")] = DEFAULT_LIMIT,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """Full-text search over companies, contacts, deals, activities and tasks, best matches first.

    Words are matched whole, except the last, which may be the start of a word (acme ren -> Acme renewal).
    A company's name finds its deals too, after the matches ("deal at [Acme]").

    \b
    Example: salescli search "data platform" --kind deal
    """
    from salescli.render import note, pick_format, render_rows
    from salescli.services.search import fts_query, parse_kinds
    from salescli.services.search import search as run_search

    chosen = pick_format(fmt, output)
    kinds = parse_kinds(kind)
    fts_query(text)  # a query with no words is a usage error before the database is opened
    rows, more = run_search(app_context(ctx).repo(), text, kinds, limit)
    render_rows(rows, columns(), fmt=chosen, output=output, table_limit=None, empty=f'nothing matches "{text}"')
    if more:
        note(more)


def register(app: typer.Typer) -> None:
    app.command("search")(search)
