"""examples/lifecycle: Hatchling's build-hook examples do exactly what Hatchling documents."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from hookwise import LifecycleHookError, LifecycleRunner
from hookwise.lifecycle import Field

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "lifecycle"


def run(tmp_path: Path, name: str, target: str = "wheel", environ: dict[str, str] | None = None, **options: Any) -> Any:
    root = tmp_path / name
    shutil.copytree(EXAMPLES / name, root)
    fields = options.pop("fields", None)
    return LifecycleRunner("hookwise", root, environ=environ or {}, fields=fields).run(target, **options), root


def stages(result: Any) -> list[str]:
    return [f"{hook}.{stage}()" for hook, stage, _ in result.calls]


def test_generate_then_compile(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Hook A generates code and tells Hook B through build_data; Hook B compiles it and adds an artifact."""
    result, root = run(tmp_path, "generate_compile")
    data = result.data["standard"]
    assert stages(result)[:2] == ["generate.initialize()", "compile.initialize()"]
    assert data["generated_files"] == [str(root / "generated" / "codegen.py")]
    assert data["artifacts"] == ["generated/**/*.pyc"]
    assert 'return "standard"' in (root / "generated" / "codegen.py").read_text(encoding="utf-8")
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "✓ Code generation complete",
        f"✓ Compiled {root / 'generated' / 'codegen.py'} → {root / 'generated' / 'codegen.py'}.compiled",
    ]


def test_multi_stage_build(tmp_path: Path) -> None:
    """prebuild shares directories and status; build and postbuild check the earlier stages ran."""
    result, root = run(tmp_path, "multistage")
    data = result.data["standard"]
    assert stages(result)[:3] == ["prebuild.initialize()", "build.initialize()", "postbuild.initialize()"]
    assert data["build_status"] == {"prebuild": True, "build": True}
    assert data["build_dirs"] == {name: str(root / name) for name in ("generated", "built", "artifacts")}
    assert data["artifacts"] == ["generated/**/*", "artifacts/**/*"]
    assert all((root / name).is_dir() for name in ("generated", "built", "artifacts"))


def test_a_stage_that_runs_without_its_prerequisite_fails(tmp_path: Path) -> None:
    root = tmp_path / "multistage"
    shutil.copytree(EXAMPLES / "multistage", root)
    environ = {"HOOKWISE_HOOK_ENABLE_PREBUILD": "false"}
    with pytest.raises(
        LifecycleHookError,
        match=r"^hook 'build' raised in initialize \(version standard\): RuntimeError: Prebuild hook must run first",
    ):
        LifecycleRunner("hookwise", root, environ=environ).run("wheel")


def test_build_data(tmp_path: Path) -> None:
    """The reserved fields, a host-declared field, and state carried from initialize to finalize."""
    declared = {"wheel": {"pure_python": Field(bool, True)}}
    result, root = run(tmp_path, "build_data", versions=["standard", "editable"], fields=declared)
    for version in ("standard", "editable"):
        data = result.data[version]
        assert data["artifacts"] == ["*.so"]
        assert data["force_include"] == {"src/lib.so": "lib.so"}
        assert data["build_hooks"] == ("native", "report")
        assert data["pure_python"] is False
        assert data["my_state"] == {"version": version, "initialized": True}
        assert data["report"] == {"hooks": ["native", "report"], "native_ran_first": True, "artifacts_seen": ["*.so"]}
        assert data["finalized_artifact"] == str(root / "dist" / f"wheel-{version}")
    sdist, _ = run(tmp_path / "sdist", "build_data", target="sdist")
    assert "pure_python" not in sdist.data["standard"]  # declared for wheels only


def test_order_init_then_final_in_the_same_order(tmp_path: Path) -> None:
    result, _ = run(tmp_path, "order")
    assert stages(result) == [
        "hook3.initialize()",
        "hook1.initialize()",
        "hook2.initialize()",
        "hook3.finalize()",
        "hook1.finalize()",
        "hook2.finalize()",
    ]


def test_environment_enabling(tmp_path: Path) -> None:
    """Default execution: hook-b only. With HOOKWISE_HOOK_ENABLE_HOOK_A=true: hook-a then hook-b."""
    default, _ = run(tmp_path / "a", "switches")
    assert default.data["standard"]["initialized"] == ["hook-b"]
    enabled, _ = run(tmp_path / "b", "switches", environ={"HOOKWISE_HOOK_ENABLE_HOOK_A": "true"})
    assert enabled.data["standard"]["initialized"] == ["hook-a", "hook-b"]


def test_hooks_only_and_no_hooks(tmp_path: Path) -> None:
    hooks_only, _ = run(tmp_path / "a", "order", environ={"HOOKWISE_HOOKS_ONLY": "true"})
    assert stages(hooks_only) == ["hook3.initialize()", "hook1.initialize()", "hook2.initialize()"]
    no_hooks, _ = run(tmp_path / "b", "order", environ={"HOOKWISE_NO_HOOKS": "true"})
    assert no_hooks.calls == []
