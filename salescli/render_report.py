"""A report in every format: table (rich, 80 columns), json, csv, markdown, html (salescli/html.py).

json carries everything with exact values (stable keys, documented in docs/reports.md); csv is the
report's main section; table, markdown and html show money in whole units of the base currency and
rates as percentages. Charts: always in html (inline SVG), in a table with --chart (charts.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import chain
from typing import IO, TYPE_CHECKING, Any

from salescli.render import _cell, _md_cell, destination, json_value, render_rows, text_value

if TYPE_CHECKING:
    from salescli.services.reports.common import Figure, Report

REPORT_FORMATS = ("table", "json", "csv", "markdown", "html")


def figure_text(figure: Figure, value: Any) -> str:
    from salescli.services.reports.common import CELLS

    if value is None:
        return "–"
    show = CELLS.get(figure.kind)
    return show(value, None) if show else text_value(value)


def meta_line(report: Report) -> str:
    meta = report.meta
    period = meta["period"]
    if period["label"] == "all":
        span = "all dates"
    elif ".." in period["label"]:
        span = period["label"]
    else:
        span = f"{period['label']} ({period['start']} to {period['end']})"
    parts = [f"period {span}", f"as of {meta['as_of']}"]
    # Deals' own amounts (each with its currency) are not "in" the base currency: it only ranks them.
    money = _money_shown(report)
    if money:
        parts.append(f"{'amounts' if money == 'base' else 'ranked'} in {meta['base_currency']}")
    filters = ", ".join(f"{k} {v}" for k, v in (meta.get("filters") or {}).items() if v)
    if filters:
        parts.append(filters)
    return " · ".join(parts)


def _money_shown(report: Report) -> str | None:
    """'base' when a table shows amounts converted to the base currency, 'own' when it shows only deals'
    own amounts, None when it shows no money."""
    from salescli.services.reports.common import money_cell, priced_cell

    shows = {c.show for s in report.sections for c in s.columns if c.in_table}
    if money_cell in shows or any(f.kind == "money" for f in report.figures):
        return "base"
    return "own" if priced_cell in shows else None


def render_report(report: Report, *, fmt: str, output: str | None = None, chart: bool = False,
                  table_limit: int | None = -1) -> None:
    """Write the report; table_limit -1 keeps each section's own limit, None shows every row. Written to a
    file (-o), it says so on stderr (a cron job's log; a person sees something happened)."""
    _write(report, fmt=fmt, output=output, chart=chart, table_limit=table_limit)
    from salescli.render import note

    if fmt == "csv":  # rows only: what the figures leave out (a currency without a rate) goes to stderr
        for text in report.notes:
            note(f"note: {text}")
    if output and output != "-":
        note(f"wrote {output}")


def _write(report: Report, *, fmt: str, output: str | None, chart: bool, table_limit: int | None) -> None:
    if fmt == "csv":
        if report.csv_section == "*":  # sections of the same columns, one after the other
            rows = chain.from_iterable(s.rows for s in report.sections if s.in_json)
            render_rows(rows, report.sections[0].columns, fmt="csv", output=output)
            return
        section = next((s for s in report.sections if s.key == report.csv_section), report.sections[0])
        render_rows(section.rows, section.columns, fmt="csv", output=output)
        return
    with destination(output) as fh:
        if fmt == "json":
            _json(fh, report)
        elif fmt == "markdown":
            _markdown(fh, report)
        elif fmt == "html":
            from salescli.html import report_page

            fh.write(report_page(report))
        else:
            _table(fh, report, chart=chart, table_limit=table_limit)


# -- json ------------------------------------------------------------------------------------
def _json(fh: IO[str], report: Report) -> None:
    head = {**report.meta, "summary": report.summary}
    fh.write("{\n")
    for key, value in head.items():
        fh.write(f"  {json_value(key)}: {json_value(value)},\n")
    for section in report.sections:
        if not section.in_json:
            continue
        keys = [c.key for c in section.columns]
        fh.write(f"  {json_value(section.key)}: [")
        first = True
        for row in section.rows:
            fh.write(",\n    " if not first else "\n    ")
            fh.write("{" + ", ".join(f"{json_value(k)}: {json_value(row.get(k))}" for k in keys) + "}")
            first = False
        fh.write("\n  ],\n" if not first else "],\n")
    fh.write(f'  "missing_rates": {json_value(report.missing_rates)},\n')
    fh.write(f'  "notes": {json_value(report.notes)}\n')
    fh.write("}\n")


# -- markdown --------------------------------------------------------------------------------
def _markdown(fh: IO[str], report: Report) -> None:
    fh.write(f"# {report.title}\n\n{meta_line(report)}\n\n")
    if report.figures:
        fh.write("| figure | value |\n|---|---:|\n")
        for fig in report.figures:
            fh.write(f"| {_md_cell(fig.label)} | {_md_cell(figure_text(fig, report.summary.get(fig.key)))} |\n")
        fh.write("\n")
    for section in report.sections:
        rows = list(section.rows)
        if not rows and section.hide_empty:
            continue
        fh.write(f"## {_md_cell(section.title)}\n\n")
        cols = [c for c in section.columns if c.in_table]
        if not rows:
            fh.write(f"({section.empty})\n\n")
            continue
        fh.write("| " + " | ".join(_md_cell(c.title) for c in cols) + " |\n")
        fh.write("|" + "|".join("---:" if c.justify == "right" else "---" for c in cols) + "|\n")
        for row in [*rows, *([section.footer] if section.footer else [])]:
            fh.write("| " + " | ".join(_md_cell(_cell(c, row, whole=True)) for c in cols) + " |\n")
        fh.write("\n")
    for note in report.notes:
        fh.write(f"> {_md_cell(note)}\n")


# -- table -----------------------------------------------------------------------------------
def _table(fh: IO[str], report: Report, *, chart: bool, table_limit: int | None) -> None:
    from rich import box
    from rich.markup import escape
    from rich.table import Table

    from salescli.render import _escape, _stdout_console, add_columns, note, printable

    console = _stdout_console(fh)

    def show(renderable: Any, style: str | None = None) -> None:
        if console.is_terminal:
            console.print(renderable, style=style)
            return
        with console.capture() as captured:  # no trailing padding in files, pipes and e-mail
            console.print(renderable, style=style)
        fh.write("".join(line.rstrip() + "\n" for line in captured.get().splitlines()))

    show(f"[bold]{_escape(report.title)}[/bold]")
    show(_escape(meta_line(report)), style="dim")
    if report.figures:
        grid = Table(box=None, show_header=False, pad_edge=False, padding=(0, 1))
        pairs = 2 if (console.width or 80) >= 70 else 1
        for _ in range(pairs):
            grid.add_column(style="bold")
            grid.add_column(justify="right")
        cells: list[str] = []
        for fig in report.figures:
            cells += [_escape(fig.label), _escape(figure_text(fig, report.summary.get(fig.key)))]
        step = 2 * pairs
        for i in range(0, len(cells), step):
            chunk = cells[i:i + step]
            grid.add_row(*(chunk + [""] * (step - len(chunk))))
        show(grid)
    for section in report.sections:
        limit = None if not section.limited else section.table_limit if table_limit == -1 else table_limit
        shown, more = _head(section.rows, limit, section.total)
        cols = [c for c in section.columns if c.in_table]
        if not shown and section.hide_empty:
            continue
        if not shown:
            show(f"\n[bold]{_escape(section.title)}[/bold]: {_escape(section.empty)}")
            continue
        footer = section.footer
        show(f"\n[bold]{_escape(section.title)}[/bold]")
        table = Table(box=box.SIMPLE if footer else box.SIMPLE_HEAD, pad_edge=False, show_footer=bool(footer),
                      show_edge=False, collapse_padding=True)
        body = [[printable(_cell(c, row)) for c in cols] for row in shown]
        keep = add_columns(table, cols, body, fh, console, gap=2,  # (collapsed padding: 2 between columns)
                           footers=[_cell(c, footer) for c in cols] if footer else None)
        for texts in body:
            table.add_row(*(escape(texts[i]) for i in keep))
        show(table)
        if more:
            note(f"{section.title}: {more} more row{'s' if more != 1 else ''} not shown "
                 "(use --limit N or --all, or -f csv/json)")
    if chart and report.charts:
        from salescli.charts import bar_chart

        plain = not (getattr(fh, "encoding", None) or "utf-8").lower().replace("-", "").startswith("utf")
        # a terminal's width (up to 100); else 80, as the tables keep to: `| less` in a terminal, e-mail
        width = min(console.width or 80, 100) if console.is_terminal else 80
        for chart_ in report.charts:
            fh.write("\n" + bar_chart(chart_.title, chart_.bars, kind=chart_.kind, width=width,
                                      ascii_only=plain) + "\n")
    if report.notes:
        fh.write("\n")
        for line in report.notes:
            text = f"note: {line}"
            if not console.is_terminal:  # prose in a file or an e-mail: 80 columns, broken between words
                import textwrap

                text = textwrap.fill(text, 80, subsequent_indent="  ", break_long_words=False,
                                     break_on_hyphens=False)
            show(_escape(text))
    fh.flush()


def _head(rows: Iterable[dict[str, Any]], limit: int | None, total: int | None) -> tuple[list[dict[str, Any]], int]:
    shown: list[dict[str, Any]] = []
    more = 0
    for row in rows:
        if limit is not None and len(shown) >= limit:
            if total is not None:
                break
            more += 1
            continue
        shown.append(row)
    if total is not None and limit is not None:
        more = max(total - len(shown), 0)
    return shown, more
