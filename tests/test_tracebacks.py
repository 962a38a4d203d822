"""pytest shows a failing implementation's traceback without hookwise's frames, on every call shape.

pytest hides frames that set ``__tracebackhide__`` (locals or module globals);
pluggy's are hidden by its directory. hookwise's call path (native, compat,
compiled, interpreted, awaited, concurrent, with wrappers, monitors and
provenance) hides every one of its frames, so a user sees their test and the
plugin's line, as on pluggy.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

USER_TESTS = textwrap.dedent(
    """
    import asyncio

    import pytest

    from hookwise import HookManager, hookimpl, hookspec
    from hookwise.compat import pluggy


    class Specs:
        @hookspec
        def work(self, value: int) -> int:
            raise NotImplementedError

        @hookspec(concurrent=True)
        async def fan(self, value: int) -> int:
            raise NotImplementedError


    class Failing:
        @hookimpl
        def work(self, value: int) -> int:
            raise ValueError("plugin failed")  # THE PLUGIN'S LINE

        @hookimpl
        async def fan(self, value: int) -> int:
            raise ValueError("plugin failed")  # THE PLUGIN'S LINE


    class Around:
        @hookimpl(wrapper=True)
        def work(self, value: int):
            return (yield)


    def manager(*, wrapped: bool, monitored: bool, calls: int) -> HookManager[Specs]:
        hooks = HookManager(Specs)
        hooks.register(Failing())
        if wrapped:
            hooks.register(Around())
        if monitored:
            hooks.add_monitor([].append)
        for _ in range(calls):  # 0: interpreted; 20: compiled
            with pytest.raises(ValueError):
                hooks.call.work(value=1)
        return hooks


    @pytest.mark.parametrize("calls", [0, 20])
    @pytest.mark.parametrize("wrapped", [False, True])
    @pytest.mark.parametrize("monitored", [False, True])
    def test_native(calls, wrapped, monitored):
        manager(wrapped=wrapped, monitored=monitored, calls=calls).call.work(value=1)


    def test_native_provenance():
        manager(wrapped=True, monitored=True, calls=20).hook("work").call_with_provenance(value=1)


    def test_native_awaited():
        asyncio.run(manager(wrapped=True, monitored=True, calls=0).call.work.acall(value=1))


    def test_native_concurrent():
        asyncio.run(manager(wrapped=False, monitored=True, calls=0).call.fan.acall(value=1))


    hookspec_p = pluggy.HookspecMarker("host")
    hookimpl_p = pluggy.HookimplMarker("host")


    class PluggySpecs:
        @hookspec_p
        def work(self, value): ...


    class PluggyFailing:
        @hookimpl_p
        def work(self, value):
            raise ValueError("plugin failed")  # THE PLUGIN'S LINE


    class PluggyNew:
        @hookimpl_p(wrapper=True)
        def work(self, value):
            return (yield)


    class PluggyOld:
        @hookimpl_p(hookwrapper=True)
        def work(self, value):
            yield


    def extra(value):
        return None


    @pytest.mark.parametrize("calls", [0, 20])
    @pytest.mark.parametrize("monitored", [False, True])
    @pytest.mark.parametrize("shape", ["call", "call_extra"])
    def test_compat(calls, monitored, shape):
        pm = pluggy.PluginManager("host")
        pm.add_hookspecs(PluggySpecs)
        pm.register(PluggyFailing())
        pm.register(PluggyNew())
        pm.register(PluggyOld())
        if monitored:
            pm.add_hookcall_monitoring(lambda *a: None, lambda *a: None)
        call = pm.hook.work if shape == "call" else lambda **kwargs: pm.hook.work.call_extra([extra], kwargs)
        for _ in range(calls):
            with pytest.raises(ValueError):
                call(value=1)
        call(value=1)
    """
)


def test_pytest_shows_no_hookwise_frame_on_any_call_shape(tmp_path: Path) -> None:
    (tmp_path / "test_user.py").write_text(USER_TESTS)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--tb=long", "-q", "test_user.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    output = done.stdout
    assert "19 failed" in output, output[-3000:]
    sections = re.split(r"\n_{5,} (test_\S+) _{5,}\n", output)[1:]
    assert len(sections) == 38, output[-3000:]  # 19 (name, body) pairs
    for name, body in zip(sections[::2], sections[1::2], strict=True):
        locations = re.findall(r"^(\S+?):\d+: ", body, flags=re.MULTILINE)
        assert "# THE PLUGIN'S LINE" in body, (name, body)
        machinery = [place for place in locations if "hookwise" in place or "<hookwise" in place]
        assert machinery == [], f"{name} shows hookwise's frames {machinery}:\n{body}"
        others = {place for place in locations if place != "test_user.py" and "/asyncio/" not in place}
        assert others == set(), (name, others)  # the test's frames, the plugin's, and asyncio.run's
