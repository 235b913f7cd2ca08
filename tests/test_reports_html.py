"""The weekly report as one self-contained HTML page for e-mail: parsed, its SVG charts and figures found."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from tests.test_reports import Run, hist, history_db  # noqa: F401  (fixtures)


class Page(HTMLParser):
    """Collects tags, the text of each <svg>, table cells and the figure pairs."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, Any]]] = []
        self.svgs: list[list[str]] = []
        self.rects: list[dict[str, Any]] = []
        self.cells: list[str] = []
        self.stack: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self.stack.append(tag)
        if tag == "svg":
            self.svgs.append([])
        if tag == "rect":
            self.rects.append(dict(attrs))

    def handle_endtag(self, tag: str) -> None:
        while self.stack and self.stack.pop() != tag:
            pass

    def handle_data(self, data: str) -> None:
        if not data.strip():
            return
        self.text.append(data.strip())
        if "svg" in self.stack and self.stack[-1] == "text":
            self.svgs[-1].append(data.strip())
        if self.stack and self.stack[-1] in ("td", "th"):
            self.cells.append(data.strip())


def test_weekly_html_is_self_contained_with_svg_charts(hist: Run, tmp_path: Path) -> None:  # noqa: F811
    out = tmp_path / "week.html"
    hist("report", "weekly", "-o", str(out))
    html = out.read_text(encoding="utf-8")
    page = Page()
    page.feed(html)
    names = [t for t, _ in page.tags]
    assert names[:2] == ["html", "head"] and "style" in names
    assert not {"script", "link", "img", "iframe", "object"} & set(names)
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "") and "https://" not in html
    assert not any(k.startswith("on") for _, attrs in page.tags for k in attrs)  # no event handlers
    assert len(page.svgs) == 3
    stages, forecast, activity = page.svgs
    assert stages[0] == "Pipeline by stage (USD)"
    assert stages[1:] == ["Prospecting", "4,000", "Qualification", "9,000", "Needs Analysis", "0", "Proposal", "0",
                          "Negotiation", "53,000"]
    assert forecast[1:] == ["closed won", "20,000", "commit", "53,000", "best case", "0", "pipeline", "9,000",
                            "target", "100,000"]
    assert activity[1:] == ["bob", "1"]
    widths = [float(r["width"]) for r in page.rects]
    assert len(widths) == 5 + 5 + 1
    assert widths[4] == max(widths[:5]) and widths[2] == 0  # Negotiation the longest bar, Needs Analysis none
    cells = page.cells
    for label, value in (("won amount", "8,000"), ("close dates pushed", "1"), ("at risk", "4"),
                         ("overdue tasks", "2")):
        assert cells[cells.index(label) + 1] == value
    assert "close → 2026-12-15" in cells
    assert cells[cells.index("attainment") + 1] == "20%"
    assert cells[cells.index("pipeline coverage") + 1] == "0.78x"
    assert "What changed in 2026-W47" in page.text and "Overdue tasks" in page.text
