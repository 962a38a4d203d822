"""hookwise.mypy: mypy names the hook in the errors of typed hook calls, not the protocol that types them."""

from __future__ import annotations

from pathlib import Path

from mypy import api

CODE = """
from hookwise import HookManager, hookspec


class Specs:
    @hookspec
    def compute(self, a: int, b: int) -> int:
        raise NotImplementedError


hooks = HookManager(Specs)
hooks.call.compute(a=1, c=2)
hooks.call.compute(a="x", b=2)


async def later() -> None:
    await hooks.call.compute.acall(a=1, c=2)
"""


def check(tmp_path: Path, *, plugin: bool) -> list[str]:
    (tmp_path / "app.py").write_text(CODE, encoding="utf-8")
    config = tmp_path / "mypy.ini"
    config.write_text("[mypy]\nstrict = True\n" + ("plugins = hookwise.mypy\n" if plugin else ""), encoding="utf-8")
    out, err, _ = api.run(["--config-file", str(config), "--no-incremental", str(tmp_path / "app.py")])
    assert err == ""
    return [line.split(": ", 1)[1] for line in out.splitlines() if line.startswith(str(tmp_path / "app.py"))]


def test_the_plugin_names_the_hook_and_its_spec_class(tmp_path: Path) -> None:
    assert check(tmp_path, plugin=True) == [
        'error: Unexpected keyword argument "c" for "compute" of "Specs"  [call-arg]',
        'error: Argument "a" to "compute" of "Specs" has incompatible type "str"; expected "int"  [arg-type]',
        'error: Unexpected keyword argument "c" for "compute.acall" of "Specs"  [call-arg]',
    ]


def test_without_it_mypy_names_the_protocol(tmp_path: Path) -> None:
    assert (
        check(tmp_path, plugin=False)[0]
        == 'error: Unexpected keyword argument "c" for "__call__" of "HookCall"  [call-arg]'
    )
