"""A trace drawn as a self-contained HTML timeline (inline SVG, no scripts, no downloads)."""

from __future__ import annotations

from html import escape
from typing import Any

COLORS = {
    "call": "#3b6ea5",
    "returned": "#5b9f5b",
    "allowed": "#5b9f5b",
    "patched": "#d49a2a",
    "vetoed": "#c0392b",
    "raised": "#7b1f1f",
}
ROW = 26
LABEL = 330
WIDTH = 1100


def _rows(calls: list[dict[str, Any]], depth: int = 0) -> list[tuple[int, str, dict[str, Any]]]:
    rows: list[tuple[int, str, dict[str, Any]]] = []
    for call in calls:
        rows.append((depth, "call", call))
        rows.extend((depth + 1, "impl", impl) for impl in call["implementations"])
        rows.extend(_rows(call["calls"], depth + 1))
    return rows


def _tooltip(kind: str, item: dict[str, Any]) -> str:
    if kind == "impl":
        parts = [f"plugin {item['plugin']}", f"{item['duration_ms']} ms", item["outcome"], f"returned {item['result']}"]
        if item.get("error"):
            parts.append(item["error"])
        return "\n".join(parts)
    parts = [f"hook {item['hook']}", f"{item['duration_ms']} ms", item["outcome"]]
    parts += [f"{name} = {value}" for name, value in item["arguments"].items()]
    if item.get("vetoed_by"):
        parts.append(f"vetoed by {item['vetoed_by']}: {item['reason']}")
    if item.get("patched"):
        parts.append(f"patched {item['patched']}")
    if item.get("error"):
        parts.append(item["error"])
    return "\n".join(parts)


def render_html(trace: dict[str, Any], *, title: str) -> str:
    """The page for ``TraceRecorder.as_dict()`` data."""
    rows = _rows(trace["calls"])
    end = max((item["start_ms"] + (item["duration_ms"] or 0) for _, _, item in rows), default=0.0) or 1.0
    scale = (WIDTH - LABEL - 180) / end
    height = ROW * len(rows) + 60
    header = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        'font-family="system-ui, sans-serif" font-size="12">'
    )
    svg: list[str] = [header]
    for ms in _ticks(end):
        x = LABEL + ms * scale
        svg.append(f'<line x1="{x:.1f}" y1="20" x2="{x:.1f}" y2="{height - 30}" stroke="#e3e3e3"/>')
        svg.append(f'<text x="{x:.1f}" y="14" fill="#777" text-anchor="middle">{ms:g} ms</text>')
    for index, (depth, kind, item) in enumerate(rows):
        y = 24 + index * ROW
        name = item["hook"] if kind == "call" else item["plugin"]
        color = COLORS["call"] if kind == "call" else COLORS.get(item["outcome"], COLORS["returned"])
        if kind == "call" and item["outcome"] in ("vetoed", "raised"):
            color = COLORS[item["outcome"]]
        x = LABEL + item["start_ms"] * scale
        width = max((item["duration_ms"] or 0) * scale, 2)
        weight = "600" if kind == "call" else "400"
        svg.append(f"<g><title>{escape(_tooltip(kind, item))}</title>")
        svg.append(
            f'<text x="{8 + depth * 14}" y="{y + 16}" font-weight="{weight}">{escape(name)}</text>'
            f'<rect x="{x:.1f}" y="{y + 4}" width="{width:.1f}" height="{ROW - 8}" rx="3" fill="{color}"/>'
            f'<text x="{x + width + 6:.1f}" y="{y + 16}" fill="#444">'
            f"{item['duration_ms']} ms {escape(item['outcome'])}</text>"
        )
        svg.append("</g>")
    legend_y = height - 14
    for offset, (label, color) in enumerate(COLORS.items()):
        x = LABEL + offset * 100
        svg.append(f'<rect x="{x}" y="{legend_y - 10}" width="12" height="12" rx="2" fill="{color}"/>')
        svg.append(f'<text x="{x + 16}" y="{legend_y}" fill="#444">{escape(label)}</text>')
    svg.append("</svg>")
    calls = len(rows) - sum(1 for _, kind, _ in rows if kind == "impl")
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title>"
        "<style>body{font-family:system-ui,sans-serif;margin:24px;color:#222}"
        "h1{font-size:20px;margin:0 0 4px}p{color:#555;margin:0 0 16px}</style></head><body>"
        f"<h1>{escape(title)}</h1><p>{calls} hook calls, {len(rows) - calls} implementation runs, "
        f"{end:.2f} ms in all. Hover a bar for its arguments, result and plugin.</p>"
        + "".join(svg)
        + "</body></html>\n"
    )


def _ticks(end: float) -> list[float]:
    step = 10 ** len(str(int(end / 5))) / 10 if end >= 5 else 1.0
    while end / step > 10:
        step *= 2
    while end / step < 4 and step > 0.001:
        step /= 2
    count = int(end / step) + 1
    return [round(i * step, 6) for i in range(count)]
