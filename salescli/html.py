"""Self-contained HTML pages (inline CSS, no scripts, no network) that render in a mail client."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from html import escape
from typing import Any

STYLE = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;color:#1f2933;margin:24px;max-width:960px}
h1{font-size:20px;margin:0 0 12px}h2{font-size:16px;margin:24px 0 8px}
table{border-collapse:collapse;margin:8px 0 16px;font-size:13px}
th,td{border-bottom:1px solid #e4e7eb;padding:4px 10px;text-align:left;vertical-align:top}
th{background:#f5f7fa;font-weight:600}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.muted{color:#7b8794;font-size:12px}
"""


def page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>\n"
        f"<body>\n<h1>{escape(title)}</h1>\n{body}\n</body></html>\n"
    )


def table_html(columns: list[Any], rows: list[dict[str, Any]], cell: Callable[[Any, dict[str, Any]], str]) -> str:
    head = "".join(
        f"<th class=\"{'num' if c.justify == 'right' else ''}\">{escape(c.title)}</th>" for c in columns
    )
    body = "".join(
        "<tr>"
        + "".join(
            f"<td class=\"{'num' if c.justify == 'right' else ''}\">{escape(cell(c, row))}</td>" for c in columns
        )
        + "</tr>\n"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>\n{body}</tbody></table>"


def rows_page(title: str, columns: list[Any], rows: list[dict[str, Any]], cell: Callable[..., str]) -> str:
    return page(title, table_html(columns, rows, cell))


def record_page(
    title: str,
    record: dict[str, Any],
    sections: dict[str, tuple[list[Any], list[dict[str, Any]]]],
    cell: Callable[..., str],
) -> str:
    from salescli.render import text_value

    kv = "".join(
        f"<tr><th>{escape(k.replace('_', ' '))}</th><td>{escape(text_value(v))}</td></tr>\n"
        for k, v in record.items()
    )
    parts = [f"<table><tbody>{kv}</tbody></table>"]
    for name, (cols, rows) in sections.items():
        parts.append(f"<h2>{escape(name.replace('_', ' '))}</h2>")
        parts.append(table_html(cols, rows, cell) if rows else '<p class="muted">(none)</p>')
    return page(title, "\n".join(parts))


# -- reports -------------------------------------------------------------------------------
BAR_COLOURS = ("#3e7cb1", "#5fa8d3", "#62b6cb", "#1b998b", "#8ab17d", "#e9c46a", "#f4a261", "#e76f51")
REPORT_STYLE = (
    ".figures td{border:none;padding:2px 16px 2px 0}.figures td.v{font-weight:600;text-align:right}"
    ".chart{margin:8px 0 16px}tr.total td{font-weight:600;border-top:2px solid #cbd2d9}"
)


def svg_bar_chart(title: str, bars: list[tuple[str, float]], value_text: Callable[[float], str],
                  width: int = 640) -> str:
    """A horizontal bar chart as inline SVG (no script, no external font or image)."""
    row, top, label_w, value_w = 24, 28, 170, 110
    bar_w = width - label_w - value_w - 10
    height = top + row * max(len(bars), 1) + 8
    maximum = max((v for _, v in bars), default=0.0)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" class="chart">',
        f'<text x="0" y="16" font-family="Helvetica,Arial,sans-serif" font-size="14" font-weight="bold" '
        f'fill="#1f2933">{escape(title)}</text>',
    ]
    if not bars:
        parts.append(f'<text x="0" y="{top + 14}" font-family="Helvetica,Arial,sans-serif" font-size="12" '
                     'fill="#7b8794">nothing to chart</text>')
    for i, (label, value) in enumerate(bars):
        y = top + i * row
        w = 0.0 if maximum <= 0 or value <= 0 else max(value / maximum * bar_w, 1.0)
        short = label if len(label) <= 26 else label[:25] + "…"
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end" font-family="Helvetica,Arial,sans-serif" '
            f'font-size="12" fill="#1f2933">{escape(short)}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row - 8}" rx="2" '
            f'fill="{BAR_COLOURS[i % len(BAR_COLOURS)]}"><title>{escape(label)}: {escape(value_text(value))}'
            '</title></rect>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + 15}" font-family="Helvetica,Arial,sans-serif" '
            f'font-size="12" fill="#52606d">{escape(value_text(value))}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def report_page(report: Any) -> str:
    """A report as one self-contained page: figures, inline SVG charts, tables, notes."""
    from salescli.charts import _value_text
    from salescli.render import _cell
    from salescli.render_report import figure_text, meta_line

    out = [f'<p class="muted">{escape(meta_line(report))}</p>']
    if report.figures:
        pairs = [f"<td>{escape(f.label)}</td><td class=\"v\">{escape(figure_text(f, report.summary.get(f.key)))}</td>"
                 for f in report.figures]
        cells = "".join("<tr>" + "".join(pairs[i:i + 3]) + "</tr>\n" for i in range(0, len(pairs), 3))
        out.append(f'<table class="figures"><tbody>\n{cells}</tbody></table>')
    for chart in report.charts:
        out.append(svg_bar_chart(chart.title, chart.bars, partial(_value_text, kind=chart.kind)))
    for section in report.sections:
        rows = list(section.rows)
        if not rows and section.hide_empty:
            continue
        out.append(f"<h2>{escape(section.title)}</h2>")
        if not rows:
            out.append(f'<p class="muted">{escape(section.empty)}</p>')
            continue
        cols = [c for c in section.columns if c.in_table]
        table = table_html(cols, rows, lambda c, r: _cell(c, r, whole=True))
        if section.footer:
            footer = section.footer
            foot = "".join(
                f"<td class=\"{'num' if c.justify == 'right' else ''}\">{escape(_cell(c, footer, whole=True))}</td>"
                for c in cols
            )
            table = table.replace("</tbody></table>", f'<tr class="total">{foot}</tr>\n</tbody></table>')
        out.append(table)
        if section.total is not None and section.total > len(rows):
            out.append(f'<p class="muted">{section.total - len(rows):,} more not shown '
                       "(every row: -f csv or -f json, or --all)</p>")
    for line in report.notes:
        out.append(f'<p class="muted">note: {escape(line)}</p>')
    html = page(report.title, "\n".join(out))
    return html.replace("</style>", REPORT_STYLE + "</style>", 1)
