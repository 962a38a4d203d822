"""A trace drawn as a self-contained HTML timeline: inline SVG and a few lines of script, no downloads.

Calls are grouped in lanes, one per thread (and asyncio task) they started in.
In a lane each call is a row, followed by a row per wrapper that ran around its
implementations (outlined: a wrapper spans the call), a row per implementation
(coloured by outcome; over its budget it is outlined in red and says so), and
the calls made inside it, indented. Names too long for the label column end in
an ellipsis (the whole name is in the tooltip). Ticks are chosen for the scale
(ns, us, ms or s), and the zoom control (or ``#zoom=4`` in the address) widens
the time axis, which scrolls beside the fixed labels. Without scripts the page
shows the same timeline at zoom 1.
"""

from __future__ import annotations

import math
from html import escape
from typing import Any

COLORS = {
    "call": "#3b6ea5",
    "returned": "#2e8b83",
    "allowed": "#5aa55a",
    "patched": "#d49a2a",
    "vetoed": "#c0392b",
    "raised": "#8e44ad",
}
"""Bar colours: a call's, and an implementation's by its outcome (a vetoed or raising call takes the outcome's)."""
WRAPPER = "#7f8c8d"
OVER_BUDGET = "#e74c3c"
ROW = 24
LABEL = 320
AXIS = 600  # the time axis' width at zoom 1
CHAR = 7.0  # px per character of the 12 px labels, for the ellipsis
TOP = 28
TAIL = 320  # room right of the axis for the last bars' notes


def _rows(calls: list[dict[str, Any]], depth: int = 0) -> list[tuple[int, str, dict[str, Any]]]:
    rows: list[tuple[int, str, dict[str, Any]]] = []
    for call in calls:
        rows.append((depth, "call", call))
        rows.extend((depth + 1, "wrapper", {**call, "plugin": name}) for name in call.get("wrappers", ()))
        rows.extend((depth + 1, "impl", impl) for impl in call["implementations"])
        rows.extend(_rows(call["calls"], depth + 1))
    return rows


def _lanes(calls: list[dict[str, Any]]) -> list[tuple[str, str, list[tuple[int, str, dict[str, Any]]]]]:
    """``(label, tooltip, rows)`` per lane, in the order lanes first appear."""
    grouped: dict[tuple[Any, Any], list[dict[str, Any]]] = {}
    for call in calls:
        grouped.setdefault((call.get("thread"), call.get("task")), []).append(call)
    threads: dict[Any, int] = {}
    lanes: list[tuple[str, str, list[tuple[int, str, dict[str, Any]]]]] = []
    for (thread, task), lane_calls in grouped.items():
        number = threads.setdefault(thread, len(threads) + 1)
        label = f"thread {number}" + ("" if task is None else f", task {task:#x}")
        tooltip = f"threading.get_ident() {thread}" + ("" if task is None else f", asyncio task id {task:#x}")
        lanes.append((label, tooltip, _rows(lane_calls)))
    return lanes


def _tooltip(kind: str, item: dict[str, Any]) -> str:
    if kind == "wrapper":
        return f"wrapper of plugin {item['plugin']} around {item['hook']}\n{item['duration_ms']} ms (the call's time)"
    if kind == "impl":
        parts = [f"plugin {item['plugin']}", f"{item['duration_ms']} ms", item["outcome"], f"returned {item['result']}"]
        if item.get("over_budget"):
            parts.append(f"over its budget of {item['budget_ms']} ms")
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


def fit(name: str, width: float) -> str:
    """``name``, cut with an ellipsis to about ``width`` pixels of label text."""
    room = max(int(width / CHAR), 4)
    return name if len(name) <= room else name[: room - 1] + "\u2026"


def _color(kind: str, item: dict[str, Any]) -> str:
    if kind == "call":
        return COLORS[item["outcome"]] if item["outcome"] in ("vetoed", "raised") else COLORS["call"]
    return COLORS.get(item["outcome"], COLORS["returned"])


def render_html(trace: dict[str, Any], *, title: str) -> str:
    """The page for ``TraceRecorder.as_dict()`` data."""
    lanes = _lanes(trace["calls"])
    items = [item for _, _, rows in lanes for _, _, item in rows]
    end = max((item["start_ms"] + (item["duration_ms"] or 0) for item in items), default=0.0) or 1.0
    scale = AXIS / end  # px per ms at zoom 1
    height = TOP + sum(ROW * (1 + len(rows)) for _, _, rows in lanes) + 8
    labels: list[str] = []
    bars: list[str] = []
    y = TOP
    for lane, tooltip, rows in lanes:
        labels.append(
            f'<g class="lane"><title>{escape(tooltip)}</title><rect x="0" y="{y}" width="{LABEL}" height="{ROW}" '
            f'fill="#eef2f7"/><text x="6" y="{y + 16}" font-weight="700">{escape(lane)}</text></g>'
        )
        bars.append(f'<rect class="lane-band" x="0" y="{y}" width="100%" height="{ROW}" fill="#eef2f7"/>')
        y += ROW
        for depth, kind, item in rows:
            labels.append(_label(depth, kind, item, y))
            bars.append(_bar(kind, item, y, scale))
            y += ROW
    counted = _counts(trace["calls"])
    axis = round(end * scale + TAIL, 1)
    legend = "".join(
        f'<span><i style="background:{color}"></i>{escape(name)}</span>'
        for name, color in [*COLORS.items(), ("wrapper", WRAPPER)]
    )
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{escape(title)}</h1><p>{counted[0]} hook calls, {counted[1]} implementation runs, "
        f"{len(lanes)} lane{'s' if len(lanes) != 1 else ''}, {end:.3f} ms in all. "
        "Hover a bar or a name for its arguments, result and plugin.</p>"
        f'<div class="controls"><button id="zoom-out" type="button">\u2212</button>'
        f'<button id="zoom-in" type="button">+</button><button id="zoom-fit" type="button">fit</button>'
        f'<span id="zoom-level">zoom 1x</span><span class="legend">{legend}</span></div>'
        f'<div class="timeline"><svg class="labels" xmlns="http://www.w3.org/2000/svg" width="{LABEL}" '
        f'height="{height}" font-size="12">{"".join(labels)}</svg>'
        f'<div class="scroll"><svg id="bars" xmlns="http://www.w3.org/2000/svg" width="{axis}" height="{height}" '
        f'font-size="12" data-end="{end}" data-scale="{scale}">'
        f'<g id="ticks">{_tick_marks(end, scale, height)}</g>{"".join(bars)}</svg></div></div>'
        f"<script>{_SCRIPT}</script></body></html>\n"
    )


def _counts(calls: list[dict[str, Any]]) -> tuple[int, int]:
    count, runs = 0, 0
    for call in calls:
        inner = _counts(call["calls"])
        count += 1 + inner[0]
        runs += len(call["implementations"]) + inner[1]
    return count, runs


def _label(depth: int, kind: str, item: dict[str, Any], y: int) -> str:
    indent = 8 + depth * 14
    if kind == "call":
        name, weight = item["hook"], "600"
    elif kind == "wrapper":
        name, weight = f"\u21bb {item['plugin']} (wrapper)", "400"
    else:
        name, weight = item["plugin"], "400"
    return (
        f'<g class="row {kind}"><title>{escape(_tooltip(kind, item))}</title>'
        f'<text x="{indent}" y="{y + 16}" font-weight="{weight}">{escape(fit(name, LABEL - indent - 6))}</text></g>'
    )


def _bar(kind: str, item: dict[str, Any], y: int, scale: float) -> str:
    start, duration = item["start_ms"], item["duration_ms"] or 0
    x = 4 + start * scale
    width = max(duration * scale, 2)
    note = f"{item['duration_ms']} ms"
    if kind == "wrapper":
        shape = f'fill="none" stroke="{WRAPPER}" stroke-width="1.5" stroke-dasharray="4 2"'
        note += " wrapper"
    else:
        shape = f'fill="{_color(kind, item)}"'
        note += f" {item['outcome']}"
    over = kind == "impl" and item.get("over_budget")
    if over:
        shape += f' stroke="{OVER_BUDGET}" stroke-width="2.5"'
        note += f" \u26a0 over budget ({item['budget_ms']} ms)"
    classes = f"bar {kind}" + ("" if kind == "wrapper" else f" {item['outcome']}") + (" over-budget" if over else "")
    return (
        f"<g><title>{escape(_tooltip(kind, item))}</title>"
        f'<rect class="{classes}" data-s="{start}" data-d="{duration}" x="{x:.1f}" y="{y + 4}" '
        f'width="{width:.1f}" height="{ROW - 8}" rx="3" {shape}/>'
        f'<text class="after" data-s="{start}" data-d="{duration}" x="{x + width + 6:.1f}" y="{y + 16}" '
        f'fill="#444">{escape(note)}</text></g>'
    )


def tick_step(scale: float) -> float:
    """A 1-2-5 step in ms whose ticks stand at least 90 px apart at ``scale`` px per ms."""
    target = 90 / scale
    magnitude: float = 10.0 ** math.floor(math.log10(target))
    for factor in (1, 2, 5):
        if factor * magnitude >= target:
            return factor * magnitude
    return 10 * magnitude


def tick_label(ms: float, end: float) -> str:
    """A tick's label in the unit that suits the axis' extent ``end`` (ms): ns, us, ms or s."""
    for unit, factor, smallest in (("s", 1e-3, 1000), ("ms", 1.0, 1), ("\u00b5s", 1e3, 1e-3)):
        if end >= smallest:
            return f"{round(ms * factor, 6):g} {unit}"
    return f"{round(ms * 1e6, 6):g} ns"


def _tick_marks(end: float, scale: float, height: int) -> str:
    step = tick_step(scale)
    marks: list[str] = []
    for index in range(int(end / step) + 2):
        ms = index * step
        x = 4 + ms * scale
        marks.append(
            f'<line x1="{x:.1f}" y1="{TOP - 6}" x2="{x:.1f}" y2="{height}" stroke="#e3e3e3"/>'
            f'<text x="{max(x, 16):.1f}" y="{TOP - 10}" fill="#777" text-anchor="middle">{tick_label(ms, end)}</text>'
        )
    return "".join(marks)


_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:24px;color:#222}h1{font-size:20px;margin:0 0 4px}"
    "p{color:#555;margin:0 0 10px}.controls{display:flex;gap:6px;align-items:center;margin:0 0 8px;flex-wrap:wrap}"
    "button{font-size:14px;min-width:32px}#zoom-level{margin:0 12px 0 4px;color:#555}"
    ".legend span{margin-right:10px;color:#444;font-size:12px}"
    ".legend i{display:inline-block;width:12px;height:12px;border-radius:2px;margin-right:4px;vertical-align:-1px}"
    ".timeline{display:flex;align-items:flex-start}.labels{flex:none}.scroll{overflow-x:auto;flex:1}"
    "svg{font-family:system-ui,sans-serif}"
)

_SCRIPT = """
(function () {
  var svg = document.getElementById("bars");
  var end = Number(svg.dataset.end), base = Number(svg.dataset.scale), zoom = 1;
  var TOP = %(top)d, NS = "http://www.w3.org/2000/svg";
  function step(scale) {
    var target = 90 / scale, magnitude = Math.pow(10, Math.floor(Math.log10(target)));
    var factors = [1, 2, 5, 10];
    for (var i = 0; i < factors.length; i++) if (factors[i] * magnitude >= target) return factors[i] * magnitude;
    return 10 * magnitude;
  }
  function label(ms, extent) {
    var units = [["s", 1e-3, 1000], ["ms", 1, 1], ["\\u00b5s", 1e3, 1e-3], ["ns", 1e6, 0]];
    for (var i = 0; i < units.length; i++)
      if (extent >= units[i][2]) return Number((ms * units[i][1]).toFixed(6)) + " " + units[i][0];
  }
  function draw() {
    var scale = base * zoom, height = Number(svg.getAttribute("height"));
    svg.setAttribute("width", (end * scale + %(tail)d).toFixed(1));
    svg.querySelectorAll("rect.bar").forEach(function (bar) {
      var x = 4 + Number(bar.dataset.s) * scale, w = Math.max(Number(bar.dataset.d) * scale, 2);
      bar.setAttribute("x", x.toFixed(1));
      bar.setAttribute("width", w.toFixed(1));
    });
    svg.querySelectorAll("text.after").forEach(function (text) {
      var x = 4 + (Number(text.dataset.s) + Number(text.dataset.d)) * scale;
      text.setAttribute("x", (x + Math.max(0, 2 - Number(text.dataset.d) * scale) + 6).toFixed(1));
    });
    var ticks = document.getElementById("ticks"), s = step(scale);
    while (ticks.firstChild) ticks.removeChild(ticks.firstChild);
    for (var i = 0; i * s <= end + s; i++) {
      var x = (4 + i * s * scale).toFixed(1), line = document.createElementNS(NS, "line"),
        text = document.createElementNS(NS, "text");
      line.setAttribute("x1", x); line.setAttribute("x2", x); line.setAttribute("y1", TOP - 6);
      line.setAttribute("y2", height); line.setAttribute("stroke", "#e3e3e3");
      text.setAttribute("x", Math.max(Number(x), 16)); text.setAttribute("y", TOP - 10);
      text.setAttribute("fill", "#777");
      text.setAttribute("text-anchor", "middle"); text.textContent = label(i * s, end / zoom);
      ticks.appendChild(line); ticks.appendChild(text);
    }
    document.getElementById("zoom-level").textContent = "zoom " + Number(zoom.toFixed(3)) + "x";
  }
  function set(value) { zoom = Math.min(Math.max(value, 1), 1e6); draw(); }
  document.getElementById("zoom-in").onclick = function () { set(zoom * 2); };
  document.getElementById("zoom-out").onclick = function () { set(zoom / 2); };
  document.getElementById("zoom-fit").onclick = function () { set(1); };
  var asked = /zoom=([0-9.]+)/.exec(location.hash);
  set(asked ? Number(asked[1]) : 1);
})();
""" % {"top": TOP, "tail": TAIL}  # noqa: UP031 - the script is full of braces
