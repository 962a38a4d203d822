"""The HTML timeline, opened in a real headless Chromium: lanes, wrappers, budgets, colours, ticks, zoom.

Chromium is Debian's ``chromium`` package, which ``.ci/run`` installs when it is
missing; without it these tests fail (they never skip).
"""

from __future__ import annotations

import contextlib
import re
import shutil
import struct
import subprocess
import threading
import time
import warnings
from html import unescape
from pathlib import Path

import pytest

from hookwise import HookManager, Patch, TraceRecorder, Veto, hookimpl, hookspec
from hookwise._timeline import COLORS, fit, tick_label, tick_step

LONG = "APluginWhoseNameIsFarTooLongForTheLabelColumnOfTheTimelineToShowWhole"


class Specs:
    @hookspec(kind="intercept", budget=0.002)
    def before_save(self, title: str) -> None:
        raise NotImplementedError

    @hookspec(policy="isolate")
    def labels(self, title: str) -> str:
        raise NotImplementedError


class Tidy:
    @hookimpl
    def before_save(self, title: str) -> Patch:
        return Patch({"title": title.strip()})


class Slow:
    @hookimpl
    def before_save(self, title: str) -> None:
        time.sleep(0.004)


class Guard:
    @hookimpl
    def before_save(self, title: str) -> Veto:
        return Veto("no saving on weekends")


class Timing:
    @hookimpl(wrapper=True)
    def labels(self, title: str):  # type: ignore[no-untyped-def]
        return (yield)


class Labeller:
    @hookimpl
    def labels(self, title: str) -> str:
        return "work"


class Broken:
    @hookimpl
    def labels(self, title: str) -> str:
        raise KeyError(title)


def trace_page(tmp_path: Path) -> Path:
    hooks = HookManager(Specs)
    named = type(LONG, (Labeller,), {})
    for plugin in (Tidy(), Slow(), Guard(), Timing(), Labeller(), Broken(), named()):
        hooks.register(plugin)
    recorder = TraceRecorder()
    hooks.add_monitor(recorder)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        hooks.call.before_save(title=" draft ")

    def label() -> None:
        with contextlib.suppress(ExceptionGroup):
            hooks.call.labels(title="t")

    label()
    other = threading.Thread(target=label)
    other.start()
    other.join()
    page = tmp_path / "trace.html"
    page.write_text(recorder.to_html(title="a <trace>"), encoding="utf-8")
    return page


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    assert found, "these tests need a Chromium: `apt-get install chromium` (.ci/run installs it)"
    return found


def browse(page: Path, *options: str, hash_: str = "") -> str:
    command = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", *options]
    done = subprocess.run(
        [*command, page.as_uri() + hash_], capture_output=True, text=True, timeout=120, check=True, cwd=page.parent
    )
    return done.stdout


def bars(dom: str) -> dict[str, list[float]]:
    """The widths of the bars in the DOM Chromium left, by their classes."""
    found: dict[str, list[float]] = {}
    for tag in re.findall(r"<rect class=\"bar [^>]*>", dom):
        classes = re.search(r'class="([^"]*)"', tag)
        width = re.search(r'width="([0-9.]+)"', tag)
        assert classes
        assert width
        found.setdefault(classes.group(1), []).append(float(width.group(1)))
    return found


def test_the_page_in_chromium_has_a_lane_per_thread_with_wrappers_budgets_and_outcomes(tmp_path: Path) -> None:
    dom = browse(trace_page(tmp_path), "--dump-dom")
    lanes = re.findall(r'<g class="lane"><title>([^<]*)</title>.*?font-weight="700">([^<]*)</text>', dom)
    assert [label for _, label in lanes] == ["thread 1", "thread 2"]
    assert all(tooltip.startswith("threading.get_ident() ") for tooltip, _ in lanes)
    found = bars(dom)
    assert len(found["bar wrapper"]) == 2  # Timing, around each call of labels
    assert len(found["bar call raised"]) == 2  # Broken raised in each (isolate: a group)
    assert len(found["bar impl patched"]) == 1
    assert len(found["bar impl vetoed"]) == 1
    assert len(found["bar impl raised"]) == 2
    assert len(found["bar impl returned over-budget"]) == 1  # Slow: 4 ms of a 2 ms budget
    assert "over budget (2.0 ms)" in dom
    assert len(found["bar call vetoed"]) == 1
    # a long name is cut to the label column, and whole in the row's tooltip
    assert f"<title>plugin {LONG}" in dom
    shown = re.search(r">(APluginWhoseName[^<]*)</text>", dom)
    assert shown
    assert shown.group(1).endswith("\u2026")
    assert len(shown.group(1)) < len(LONG)
    # the script ran: the zoom level is drawn, and ticks stand in the unit of the axis
    assert 'id="zoom-level">zoom 1x<' in dom
    ticks = re.findall(r'<text x="[0-9.]+" y="18" fill="#777" text-anchor="middle">([^<]+)</text>', dom)
    assert len(ticks) >= 4
    assert len({tick.split()[1] for tick in ticks}) == 1
    assert unescape("&lt;trace&gt;") in unescape(dom)


def test_zoom_widens_the_time_axis_and_chooses_finer_ticks(tmp_path: Path) -> None:
    page = trace_page(tmp_path)
    plain, zoomed = browse(page, "--dump-dom"), browse(page, "--dump-dom", hash_="#zoom=8")
    assert 'id="zoom-level">zoom 8x<' in zoomed
    before, after = bars(plain)["bar impl returned over-budget"][0], bars(zoomed)["bar impl returned over-budget"][0]
    assert after == pytest.approx(before * 8, rel=0.01)
    widths = [re.search(r'<svg id="bars"[^>]* width="([0-9.]+)"', dom) for dom in (plain, zoomed)]
    assert widths[0]
    assert widths[1]
    assert float(widths[1].group(1)) > 4 * float(widths[0].group(1))

    def spacing(dom: str) -> float:
        xs = [float(x) for x in re.findall(r'<line x1="([0-9.]+)"', dom)]  # only ticks are lines
        return xs[2] - xs[1]

    assert 90 <= spacing(plain) < 250
    assert 90 <= spacing(zoomed) < 250  # finer steps keep ticks readable


def test_the_screenshot_is_a_drawn_timeline(tmp_path: Path) -> None:
    page = trace_page(tmp_path)
    blank = tmp_path / "blank.html"
    blank.write_text("<!doctype html><title>blank</title>", encoding="utf-8")
    sizes = []
    for html in (page, blank):
        shot = tmp_path / f"{html.stem}.png"
        browse(html, f"--screenshot={shot}", "--window-size=1200,700")
        data = shot.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        assert struct.unpack(">II", data[16:24]) == (1200, 700)
        sizes.append(len(data))
    assert sizes[0] > 5 * sizes[1]  # bars, labels and ticks, not a white page


def test_ticks_step_in_ones_twos_and_fives_in_a_readable_unit() -> None:
    assert tick_step(76.0) == 2.0  # 90 px at 76 px/ms: 1.18 ms -> 2 ms
    assert tick_step(76_000.0) == pytest.approx(0.002)
    assert tick_step(0.0127) == 10_000.0
    assert tick_step(9.0) == 10.0
    assert [tick_label(ms, 4.0) for ms in (0, 0.5, 1.5)] == ["0 ms", "0.5 ms", "1.5 ms"]
    assert tick_label(0.002, 0.01) == "2 \u00b5s"
    assert tick_label(0.0000005, 0.000001) == "0.5 ns"
    assert tick_label(2500.0, 60_000.0) == "2.5 s"


def test_outcomes_have_distinct_colours_and_names_fit() -> None:
    assert len(set(COLORS.values())) == len(COLORS)
    assert fit("short", 100) == "short"
    assert fit("x" * 100, 70) == "x" * 9 + "\u2026"
