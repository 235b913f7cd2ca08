"""Terminal bar charts (report --chart): plain text, eighth-block resolution, no colour needed.

    Pipeline by stage (USD)
    Prospecting    ████████▌                    42,000
    Qualification  ███████████████████████▏    118,500
"""

from __future__ import annotations

from decimal import Decimal

_EIGHTHS = " ▏▎▍▌▋▊▉█"


def _value_text(value: float, kind: str) -> str:
    if kind == "rate":
        return f"{value * 100:.0f}%"
    if kind == "days":
        return f"{value:.1f}"
    return f"{Decimal(str(value)):,.0f}"


def bar(value: float, maximum: float, width: int, ascii_only: bool = False) -> str:
    """A bar of `width` cells at most, proportional to value / maximum."""
    if maximum <= 0 or value <= 0:
        return ""
    eighths = round(value / maximum * width * 8)
    if ascii_only:
        return "#" * max(round(eighths / 8), 1)
    full, part = divmod(max(eighths, 1), 8)
    return "█" * full + (_EIGHTHS[part] if part else "")


def bar_chart(title: str, bars: list[tuple[str, float]], *, kind: str = "money", width: int = 80,
              ascii_only: bool = False) -> str:
    """A titled horizontal bar chart that fits in `width` columns."""
    lines = [title]
    if not bars:
        return title + "\n(nothing to chart)"
    from salescli.render import cells_of, fit_cells, pad_cells

    label_width = min(max(cells_of(label) for label, _ in bars), 24)
    texts = [_value_text(v, kind) for _, v in bars]
    value_width = max(len(t) for t in texts)
    bar_width = max(width - label_width - value_width - 4, 10)
    maximum = max((v for _, v in bars), default=0)
    for (label, value), text in zip(bars, texts, strict=True):
        name = pad_cells(fit_cells(label, label_width), label_width)
        lines.append(f"{name}  {bar(value, maximum, bar_width, ascii_only):<{bar_width}} "
                     f"{text:>{value_width}}")
    return "\n".join(line.rstrip() for line in lines)
