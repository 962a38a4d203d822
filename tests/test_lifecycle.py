"""Lifecycle hooks (Hatchling's build hooks): order, stages, shared data, configuration, switches, hook files."""

from __future__ import annotations

import os
import shutil
import textwrap
from pathlib import Path
from typing import Any

import pytest

from hookwise import (
    BuildDataError,
    LifecycleConfigError,
    LifecycleHook,
    LifecycleHookError,
    LifecycleRunner,
    TraceRecorder,
)
from hookwise.lifecycle import Field
from tests.conftest import MakeDistribution

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "lifecycle"

RECORDER = """
from hookwise import LifecycleHook

class Recorder(LifecycleHook):
    def clean(self, versions):
        self.record("clean", versions)

    def initialize(self, version, build_data):
        build_data.setdefault("trail", []).append(f"{self.name}.initialize")
        self.record("initialize", version)

    def finalize(self, version, build_data, artifact_path):
        build_data.setdefault("trail", []).append(f"{self.name}.finalize({artifact_path})")

    def record(self, stage, what):
        seen = self.__dict__.setdefault("seen", [])
        seen.append((stage, what))
        self.config_seen = dict(self.config)
"""


def project(tmp_path: Path, pyproject: str, hooks: dict[str, str] | None = None) -> Path:
    """A real project: pyproject.toml and hook files."""
    root = tmp_path / "project"
    root.mkdir(exist_ok=True)
    (root / "pyproject.toml").write_text(textwrap.dedent(pyproject), encoding="utf-8")
    for path, source in (hooks or {"hooks/recorder.py": RECORDER}).items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(textwrap.dedent(source), encoding="utf-8")
    return root


def runner(root: Path, **options: Any) -> LifecycleRunner:
    options.setdefault("environ", {})
    return LifecycleRunner("hookwise", root, **options)


def calls(result: Any) -> list[str]:
    return [f"{stage} {hook}" for hook, stage, _ in result.calls]


TWO_HOOKS = """
[tool.hookwise.hooks.first]
path = "hooks/recorder.py"

[tool.hookwise.hooks.second]
path = "hooks/recorder.py"
"""

# -- order -------------------------------------------------------------------


@pytest.fixture
def order_project(tmp_path: Path) -> Path:
    root = tmp_path / "order"
    shutil.copytree(EXAMPLES / "order", root)
    return root


def test_global_hooks_run_first_then_the_targets_in_definition_order(order_project: Path) -> None:
    result = runner(order_project).run("wheel")
    assert calls(result) == [
        "initialize hook3",
        "initialize hook1",
        "initialize hook2",
        "finalize hook3",
        "finalize hook1",
        "finalize hook2",
    ]
    assert result.data["standard"]["build_hooks"] == ("hook3", "hook1", "hook2")


def test_another_target_gets_its_own_hooks_after_the_global_ones(order_project: Path) -> None:
    assert calls(runner(order_project).run("sdist"))[:3] == [
        "initialize hook3",
        "initialize hook1",
        "initialize sdist-hook",
    ]


def test_a_target_without_a_table_runs_the_global_hooks(order_project: Path) -> None:
    assert runner(order_project).run("docs").data["standard"]["build_hooks"] == ("hook3", "hook1")


def test_a_hook_configured_globally_and_for_a_target_runs_once_with_the_tables_merged(tmp_path: Path) -> None:
    root = project(
        tmp_path,
        """
        [tool.hookwise.hooks.shared]
        path = "hooks/recorder.py"
        level = "global"
        keep = "global value"

        [tool.hookwise.hooks.other]
        path = "hooks/recorder.py"

        [tool.hookwise.targets.wheel.hooks.shared]
        level = "wheel"
        """,
    )
    wheel_runner = runner(root)
    result = wheel_runner.run("wheel")
    assert result.data["standard"]["build_hooks"] == ("shared", "other")
    shared = wheel_runner.hooks("wheel")["shared"]
    assert dict(shared.config) == {"path": "hooks/recorder.py", "level": "wheel", "keep": "global value"}


# -- stages ---------------------------------------------------------------------------------


def test_each_version_gets_fresh_data_the_operations_artifact_and_the_same_hook_instances(tmp_path: Path) -> None:
    root = project(tmp_path, TWO_HOOKS)
    seen: list[tuple[str, list[str]]] = []

    def build(version: str, data: dict[str, Any]) -> str:
        seen.append((version, list(data["trail"])))
        return f"dist/{version}.whl"

    result = runner(root).run("wheel", build, versions=["1", "2"])
    assert seen == [("1", ["first.initialize", "second.initialize"]), ("2", ["first.initialize", "second.initialize"])]
    assert result.data["2"]["trail"] == [
        "first.initialize",
        "second.initialize",
        "first.finalize(dist/2.whl)",
        "second.finalize(dist/2.whl)",
    ]
    assert result.artifacts == {"1": "dist/1.whl", "2": "dist/2.whl"}


def test_hook_instances_keep_their_state_across_the_versions_of_a_run(tmp_path: Path) -> None:
    counting = """
    from hookwise import LifecycleHook

    class Counting(LifecycleHook):
        def initialize(self, version, data):
            self.count = getattr(self, "count", 0) + 1
            data["count"] = self.count
    """
    root = project(
        tmp_path, '[tool.hookwise.hooks.counting]\npath = "hooks/counting.py"\n', {"hooks/counting.py": counting}
    )
    result = runner(root).run("wheel", versions=["a", "b", "c"])
    assert [result.data[v]["count"] for v in "abc"] == [1, 2, 3]


def test_clean_runs_first_with_every_version(tmp_path: Path) -> None:
    result = runner(project(tmp_path, TWO_HOOKS)).run("wheel", versions=["1", "2"], clean=True)
    assert result.calls[:2] == [("first", "clean", "1,2"), ("second", "clean", "1,2")]
    assert calls(result)[2] == "initialize first"


def test_clean_only_stops_after_cleaning(tmp_path: Path) -> None:
    result = runner(project(tmp_path, TWO_HOOKS)).run("wheel", clean_only=True)
    assert calls(result) == ["clean first", "clean second"]
    assert result.data == {}


def test_clean_after_cleans_each_version_after_its_finalize(tmp_path: Path) -> None:
    result = runner(project(tmp_path, TWO_HOOKS)).run("wheel", versions=["1", "2"], clean_after=True)
    assert [c for c in result.calls if c[1] == "clean"] == [
        ("first", "clean", "1"),
        ("second", "clean", "1"),
        ("first", "clean", "2"),
        ("second", "clean", "2"),
    ]
    assert result.calls.index(("first", "clean", "1")) > result.calls.index(("second", "finalize", "1"))


def test_hooks_only_runs_initialize_without_the_operation_or_finalize(tmp_path: Path) -> None:
    def build(version: str, data: dict[str, Any]) -> str:
        raise AssertionError("the operation must not run in hooks-only mode")

    result = runner(project(tmp_path, TWO_HOOKS)).run("wheel", build, hooks_only=True)
    assert calls(result) == ["initialize first", "initialize second"]
    assert result.artifacts == {}


def test_no_hooks_runs_the_operation_and_no_hook(tmp_path: Path) -> None:
    built: list[str] = []

    def build(version: str, data: dict[str, Any]) -> str:
        built.append(version)
        return "x"

    result = runner(project(tmp_path, TWO_HOOKS)).run("wheel", build, no_hooks=True)
    assert (result.calls, built, result.data["standard"]["build_hooks"]) == ([], ["standard"], ())


def test_hooks_only_and_no_hooks_together_is_an_error_naming_both_sources(tmp_path: Path) -> None:
    root = project(tmp_path, TWO_HOOKS)
    with pytest.raises(
        LifecycleConfigError, match=r"^hooks-only \(hooks_only\) and no-hooks \(HOOKWISE_NO_HOOKS\) are both on"
    ):
        runner(root, environ={"HOOKWISE_NO_HOOKS": "1"}).run("wheel", hooks_only=True)
    with pytest.raises(
        LifecycleConfigError, match=r"hooks-only \(HOOKWISE_HOOKS_ONLY\) and no-hooks \(HOOKWISE_NO_HOOKS\)"
    ):
        runner(root, environ={"HOOKWISE_NO_HOOKS": "1", "HOOKWISE_HOOKS_ONLY": "yes"}).run("wheel")


def test_modes_come_from_the_environment(tmp_path: Path) -> None:
    root = project(tmp_path, TWO_HOOKS)
    assert calls(runner(root, environ={"HOOKWISE_HOOKS_ONLY": "On"}).run("wheel")) == [
        "initialize first",
        "initialize second",
    ]
    assert runner(root, environ={"HOOKWISE_NO_HOOKS": "TRUE"}).run("wheel").calls == []


def test_a_hook_that_raises_stops_the_run_with_an_error_naming_it(tmp_path: Path) -> None:
    failing = """
    from hookwise import LifecycleHook

    class Failing(LifecycleHook):
        def initialize(self, version, data):
            raise RuntimeError("Prebuild hook must run first")
    """
    root = project(tmp_path, '[tool.hookwise.hooks.build]\npath = "hooks/failing.py"\n', {"hooks/failing.py": failing})
    with pytest.raises(LifecycleHookError) as info:
        runner(root).run("wheel")
    assert str(info.value) == (
        "hook 'build' raised in initialize (version standard): RuntimeError: Prebuild hook must run first"
    )
    assert (info.value.hook, info.value.stage, info.value.version) == ("build", "initialize", "standard")
    assert isinstance(info.value.__cause__, RuntimeError)  # the hook's own exception, whole


def test_runs_can_be_traced_on_the_engine(tmp_path: Path) -> None:
    recorder = TraceRecorder()
    runner(project(tmp_path, TWO_HOOKS), monitors=[recorder]).run("wheel")
    assert [call.hook for call in recorder.calls] == ["initialize", "finalize"]
    assert [impl.plugin for impl in recorder.calls[0].impls] == ["first", "second"]


# -- shared data ---------------------------------------------------------------------------

MUTATE = """
from hookwise import LifecycleHook

class Mutate(LifecycleHook):
    def initialize(self, version, data):
        exec(self.config["code"], {"data": data})
"""


def run_mutation(tmp_path: Path, code: str, **options: Any) -> Any:
    root = project(
        tmp_path,
        f"""
        [tool.hookwise.hooks.first]
        path = "hooks/mutate.py"
        code = "data['artifacts'].append('first/*')"

        [tool.hookwise.hooks.bad]
        path = "hooks/mutate.py"
        code = {code!r}
        """,
        {"hooks/mutate.py": MUTATE},
    )
    return runner(root, **options).run("wheel")


def test_the_reserved_fields_are_always_present() -> None:
    rules_data = LifecycleRunner("hookwise", "/nonexistent", environ={}).run("wheel").data["standard"]
    assert rules_data == {"artifacts": [], "force_include": {}, "build_hooks": ()}


@pytest.mark.parametrize(
    ("code", "field", "problem"),
    [
        (
            "data['artifacts'].remove('first/*')",
            "artifacts",
            "lost entries other hooks added: expected it to start with ['first/*'], found []; artifacts are append-only",
        ),
        (
            "data['artifacts'] = ['mine']",
            "artifacts",
            "lost entries other hooks added: expected it to start with ['first/*'], found ['mine']; artifacts are append-only",
        ),
        ("data['artifacts'].append(5)", "artifacts", "entry 1 is 5 (int); expected a str pattern"),
        ("data['artifacts'] = 'x'", "artifacts", "must be a list of str patterns; found 'x'"),
        (
            "data['build_hooks'] = ('bad',)",
            "build_hooks",
            "was replaced: expected the run's hook order ('first', 'bad'), found ('bad',); it cannot be changed",
        ),
        ("del data['force_include']", "force_include", "was removed; expected it to stay (it is always present)"),
        ("data['force_include']['a'] = 1", "force_include", "must map str paths to str paths; found {'a': 1}"),
        (
            "data['my-data'] = 1",
            "my-data",
            "was added, but build data field names use underscores: 'my_data'",
        ),
    ],
)
def test_a_bad_mutation_names_hook_stage_field_and_expectation(
    tmp_path: Path, code: str, field: str, problem: str
) -> None:
    with pytest.raises(BuildDataError) as info:
        run_mutation(tmp_path, code)
    assert str(info.value).splitlines()[0] == f"hook 'bad' in initialize: build data field {field!r} {problem}"
    assert (info.value.hook, info.value.stage, info.value.field) == ("bad", "initialize", field)


def test_replacing_artifacts_with_a_longer_list_keeps_them_and_is_allowed(tmp_path: Path) -> None:
    result = run_mutation(tmp_path, "data['artifacts'] = data['artifacts'] + ['more/*']")
    assert result.data["standard"]["artifacts"] == ["first/*", "more/*"]


def test_hooks_may_add_underscored_fields_to_talk_to_each_other(tmp_path: Path) -> None:
    assert run_mutation(tmp_path, "data['generated_files'] = ['a.py']").data["standard"]["generated_files"] == ["a.py"]


def test_hosts_declare_fields_per_target_with_types_and_defaults(tmp_path: Path) -> None:
    fields = {"*": {"shared": Field(list, [])}, "wheel": {"pure_python": Field(bool, True, "pure?")}}
    result = run_mutation(tmp_path, "data['shared'].append(1)", fields=fields)
    assert (result.data["standard"]["pure_python"], result.data["standard"]["shared"]) == (True, [1])
    again = run_mutation(tmp_path, "data['shared'].append(1)", fields=fields)
    assert again.data["standard"]["shared"] == [1]  # defaults are copied for every run and version
    with pytest.raises(BuildDataError, match="build data field 'pure_python' must be a bool; found 'yes' \\(str\\)"):
        run_mutation(tmp_path, "data['pure_python'] = 'yes'", fields=fields)
    with pytest.raises(BuildDataError, match="build data field 'shared' was removed; expected a list"):
        run_mutation(tmp_path, "del data['shared']", fields=fields)


def test_finalize_is_checked_too(tmp_path: Path) -> None:
    finalizer = """
    from hookwise import LifecycleHook

    class Late(LifecycleHook):
        def finalize(self, version, data, artifact_path):
            data["artifacts"].clear()
    """
    root = project(
        tmp_path,
        '[tool.hookwise.hooks.late]\npath = "hooks/late.py"\n',
        {"hooks/late.py": finalizer},
    )
    with pytest.raises(BuildDataError, match="^hook 'late' in finalize: build data field 'artifacts'"):
        runner(root).run("wheel", lambda version, data: data["artifacts"].append("built/*") or "x")


# -- configuration and switches --------------------------------------------------------------------


def test_enable_by_default_must_be_a_boolean(tmp_path: Path) -> None:
    root = project(tmp_path, '[tool.hookwise.hooks.first]\npath = "hooks/recorder.py"\nenable-by-default = "false"\n')
    with pytest.raises(LifecycleConfigError) as info:
        runner(root).run("wheel")
    assert str(info.value) == (
        f"{root / 'pyproject.toml'}: hook 'first': enable-by-default must be true or false (a TOML boolean), "
        "not 'false'; write enable-by-default = false"
    )
    assert info.value.hook == "first"


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("path = 3", "path must be a string, not 3"),
        (
            'path = "hooks/recorder.py"\ndependencies = "cython"',
            "dependencies must be a list of requirement strings, not 'cython'",
        ),
        (
            'path = "hooks/recorder.py"\ndependencies = ["cython >= 3", "not a requirement!"]',
            "dependencies: 'not a requirement!' is not a requirement string (PEP 508)",
        ),
    ],
)
def test_bad_hook_tables_are_errors(tmp_path: Path, table: str, message: str) -> None:
    root = project(tmp_path, f"[tool.hookwise.hooks.first]\n{table}\n")
    with pytest.raises(LifecycleConfigError, match=re_escape(message)):
        runner(root).run("wheel")


def re_escape(text: str) -> str:
    import re

    return re.escape(text)


def test_a_malformed_pyproject_is_an_error_naming_it(tmp_path: Path) -> None:
    root = tmp_path / "broken"
    root.mkdir()
    (root / "pyproject.toml").write_text("[tool.hookwise\n", encoding="utf-8")
    with pytest.raises(LifecycleConfigError, match="pyproject.toml: not valid TOML"):
        runner(root)


def test_a_hooks_table_that_is_not_a_table_is_an_error(tmp_path: Path) -> None:
    root = project(tmp_path, "[tool.hookwise]\nhooks = 3\n")
    with pytest.raises(LifecycleConfigError, match=r"\[tool.hookwise.hooks\] must be a table, not 3"):
        runner(root)


def test_dependencies_come_from_configuration_and_from_hooks(tmp_path: Path) -> None:
    needy = """
    from hookwise import LifecycleHook

    class Needy(LifecycleHook):
        def dependencies(self):
            return ["numpy>=2; python_version >= '3.11'"] + self.config.get("extra_from_code", [])
    """
    root = project(
        tmp_path,
        '[tool.hookwise.hooks.needy]\npath = "hooks/needy.py"\ndependencies = ["cython[ext] >=3.0, <4", "mypkg @ https://example.com/p.whl"]\n',
        {"hooks/needy.py": needy},
    )
    assert runner(root).dependencies("wheel") == [
        "cython[ext] >=3.0, <4",
        "mypkg @ https://example.com/p.whl",
        "numpy>=2; python_version >= '3.11'",
    ]
    bad = project(
        tmp_path,
        '[tool.hookwise.hooks.needy]\npath = "hooks/needy.py"\nextra_from_code = ["???"]\n',
        {"hooks/needy.py": needy},
    )
    with pytest.raises(
        LifecycleConfigError, match=r"hook 'needy': dependencies\(\): '\?\?\?' is not a requirement string"
    ):
        runner(bad).dependencies("wheel")


SWITCHES = """
[tool.hookwise.hooks.hook-a]
path = "hooks/recorder.py"
enable-by-default = false

[tool.hookwise.hooks."my.hook"]
path = "hooks/recorder.py"

[tool.hookwise.hooks.hook-b]
path = "hooks/recorder.py"
"""


@pytest.mark.parametrize(
    ("environ", "enabled"),
    [
        ({}, ["my.hook", "hook-b"]),
        ({"HOOKWISE_HOOK_ENABLE_HOOK_A": "true"}, ["hook-a", "my.hook", "hook-b"]),
        ({"HOOKWISE_HOOK_ENABLE_HOOK_A": "1", "HOOKWISE_HOOK_ENABLE_MY_HOOK": "off"}, ["hook-a", "hook-b"]),
        ({"HOOKWISE_HOOKS_ENABLE": "yes", "HOOKWISE_HOOK_ENABLE_HOOK_B": "0"}, ["hook-a", "my.hook", "hook-b"]),
        ({"HOOKWISE_NO_HOOKS": "1", "HOOKWISE_HOOKS_ENABLE": "1"}, []),
    ],
)
def test_switch_precedence_no_hooks_then_all_then_each_then_default(
    tmp_path: Path, environ: dict[str, str], enabled: list[str]
) -> None:
    planned = runner(project(tmp_path, SWITCHES), environ=environ).plan("wheel")
    assert [p.name for p in planned if p.enabled] == enabled


def test_the_plan_says_why_each_hook_runs_or_not(tmp_path: Path) -> None:
    planned = runner(project(tmp_path, SWITCHES), environ={"HOOKWISE_HOOK_ENABLE_HOOK_A": "True"}).plan("wheel")
    assert [(p.name, p.enabled, p.reason) for p in planned] == [
        ("hook-a", True, "HOOKWISE_HOOK_ENABLE_HOOK_A=True"),
        ("my.hook", True, "enable-by-default = true (default)"),
        ("hook-b", True, "enable-by-default = true (default)"),
    ]


def test_a_switch_that_is_not_a_boolean_is_an_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(LifecycleConfigError) as info:
        runner(project(tmp_path, SWITCHES), environ={"HOOKWISE_HOOK_ENABLE_HOOK_A": "sometimes"}).plan("wheel")
    assert str(info.value) == (
        "environment variable HOOKWISE_HOOK_ENABLE_HOOK_A='sometimes' is not a boolean: use 1/0, true/false, yes/no or on/off"
    )
    assert info.value.source == "HOOKWISE_HOOK_ENABLE_HOOK_A"


def test_the_host_chooses_the_app_name_and_prefix(tmp_path: Path) -> None:
    root = project(tmp_path, '[tool.mybuild.hooks.hook-a]\npath = "hooks/recorder.py"\nenable-by-default = false\n')
    assert [
        p.name
        for p in LifecycleRunner("mybuild", root, environ={"MYBUILD_HOOK_ENABLE_HOOK_A": "1"}).plan("x")
        if p.enabled
    ] == ["hook-a"]
    custom = LifecycleRunner("mybuild", root, env_prefix="MB", environ={"MB_HOOK_ENABLE_HOOK_A": "1"})
    assert [p.name for p in custom.plan("x") if p.enabled] == ["hook-a"]


def test_the_process_environment_is_read_by_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOKWISE_HOOK_ENABLE_HOOK_A", "true")
    planned = LifecycleRunner("hookwise", project(tmp_path, SWITCHES)).plan("wheel")
    assert planned[0].enabled


# -- hook files ---------------------------------------------------------------------------------------


def one_hook(tmp_path: Path, path: str, files: dict[str, str] | None = None) -> Path:
    return project(tmp_path, f'[tool.hookwise.hooks.h]\npath = "{path}"\n', files or {"hooks/recorder.py": RECORDER})


def test_an_absolute_hook_path_is_refused(tmp_path: Path) -> None:
    with pytest.raises(
        LifecycleConfigError,
        match="hook 'h': path '/etc/hook.py' is absolute; hook files are given relative to the project root",
    ):
        runner(one_hook(tmp_path, "/etc/hook.py")).run("wheel")


def test_a_hook_path_leaving_the_root_is_refused(tmp_path: Path) -> None:
    (tmp_path / "outside.py").write_text(RECORDER, encoding="utf-8")
    with pytest.raises(
        LifecycleConfigError,
        match=r"hook 'h': path '../outside.py' leaves the project root .* \(with '..', to .*outside.py\)",
    ):
        runner(one_hook(tmp_path, "../outside.py")).run("wheel")


def test_a_symlink_out_of_the_root_is_refused(tmp_path: Path) -> None:
    (tmp_path / "outside.py").write_text(RECORDER, encoding="utf-8")
    root = one_hook(tmp_path, "hooks/link.py")
    os.symlink(tmp_path / "outside.py", root / "hooks" / "link.py")
    with pytest.raises(
        LifecycleConfigError, match=r"path 'hooks/link.py' leaves the project root .* \(through a symlink"
    ):
        runner(root).run("wheel")


def test_a_missing_hook_file_says_where_it_looked(tmp_path: Path) -> None:
    root = one_hook(tmp_path, "hooks/missing.py")
    with pytest.raises(
        LifecycleConfigError,
        match=f"hook 'h': path 'hooks/missing.py': no such file; looked for {re_escape(str(root / 'hooks' / 'missing.py'))}$",
    ):
        runner(root).run("wheel")


def test_get_hook_chooses_the_class(tmp_path: Path) -> None:
    source = """
    from hookwise import LifecycleHook

    class One(LifecycleHook):
        pass

    class Two(LifecycleHook):
        def initialize(self, version, data):
            data["chosen"] = "two"

    def get_hook():
        return Two
    """
    root = one_hook(tmp_path, "hooks/two.py", {"hooks/two.py": source})
    assert runner(root).run("wheel").data["standard"]["chosen"] == "two"


def test_imported_hook_classes_do_not_count(tmp_path: Path) -> None:
    base = "from hookwise import LifecycleHook\n\nclass Base(LifecycleHook):\n    pass\n"
    own = "from base_hook import Base\n\nclass Own(Base):\n    def initialize(self, version, data):\n        data['own'] = True\n"
    root = one_hook(tmp_path, "hooks/own.py", {"hooks/own.py": own, "hooks/base_hook.py": base})
    import sys

    sys.path.insert(0, str(root / "hooks"))
    try:
        assert runner(root).run("wheel").data["standard"]["own"] is True
    finally:
        sys.path.remove(str(root / "hooks"))
        sys.modules.pop("base_hook", None)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("x = 1\n", r"h.py defines no LifecycleHook subclass \(and no get_hook\(\) function\)$"),
        (
            "from hookwise import LifecycleHook\nclass A(LifecycleHook):\n    pass\nclass B(LifecycleHook):\n    pass\n",
            r"defines several LifecycleHook subclasses \(A, B\); keep one, or add get_hook\(\)$",
        ),
        ("raise ImportError('needs cython')\n", r"^hook 'h': importing .*h.py failed: ImportError: needs cython$"),
        ("def get_hook():\n    return 42\n", r"get_hook\(\) in .*h.py returned 42, not a LifecycleHook subclass$"),
    ],
)
def test_hook_files_without_one_hook_class_are_errors(tmp_path: Path, source: str, message: str) -> None:
    root = one_hook(tmp_path, "hooks/h.py", {"hooks/h.py": source})
    with pytest.raises(LifecycleConfigError, match=message):
        runner(root).run("wheel")


def test_a_hook_whose_stage_method_takes_too_much_is_an_error(tmp_path: Path) -> None:
    source = "from hookwise import LifecycleHook\nclass Greedy(LifecycleHook):\n    def initialize(self, version, data, extra):\n        pass\n"
    root = one_hook(tmp_path, "hooks/h.py", {"hooks/h.py": source})
    with pytest.raises(
        LifecycleConfigError,
        match=r"^hook 'h': Greedy.initialize\(version, data, extra\) cannot be called: the runner passes 2 argument\(s\) "
        r"by position \(version, data\); define it as def initialize\(self, version, data\), or with fewer of them$",
    ) as caught:
        runner(root).run("wheel")
    assert caught.value.hook == "h"


def test_a_hook_whose_stage_takes_fewer_arguments_gets_just_those(tmp_path: Path) -> None:
    """An override may leave out trailing arguments; the data is still checked after it."""
    source = (
        "from hookwise import LifecycleHook\n"
        "class Brief(LifecycleHook):\n"
        "    def initialize(self, version):\n"
        "        print('initialize', version)\n"
        "    def finalize(self, version, data):\n"
        "        data['artifacts'].clear()\n"
    )
    root = one_hook(tmp_path, "hooks/h.py", {"hooks/h.py": source})
    with pytest.raises(BuildDataError, match=r"^hook 'h' in finalize: build data field 'artifacts' lost entries"):
        runner(root).run("wheel", lambda version, data: data["artifacts"].append("x") or "out")


def test_an_explicit_no_hooks_false_wins_over_the_environment(tmp_path: Path) -> None:
    root = one_hook(tmp_path, "hooks/h.py", {"hooks/h.py": RECORDER})
    result = runner(root, environ={"HOOKWISE_NO_HOOKS": "1"}).run("wheel", no_hooks=False)
    assert [(hook, stage) for hook, stage, _ in result.calls] == [("h", "initialize"), ("h", "finalize")]
    assert runner(root, environ={"HOOKWISE_NO_HOOKS": "1"}).run("wheel").calls == []


class InCode(LifecycleHook):
    PLUGIN_NAME = "in-code"

    def initialize(self, version: str, data: dict[str, Any], /) -> None:
        data["in_code"] = self.metadata["project"]


def test_hooks_registered_in_code_need_no_path(tmp_path: Path) -> None:
    root = project(tmp_path, "[tool.hookwise.hooks.in-code]\nsetting = 1\n")
    code_runner = runner(root, metadata={"project": "demo"})
    with pytest.raises(
        LifecycleConfigError, match="hook 'in-code' has no path and no hook class of that name is registered"
    ):
        code_runner.run("wheel")
    assert code_runner.register_hook(InCode) == "in-code"
    assert code_runner.run("wheel").data["standard"]["in_code"] == "demo"


def test_a_class_without_plugin_name_needs_a_name(tmp_path: Path) -> None:
    with pytest.raises(LifecycleConfigError, match="has no PLUGIN_NAME; set one, or pass name="):
        runner(tmp_path).register_hook(LifecycleHook)


def test_hook_classes_from_entry_points(tmp_path: Path, make_distribution: MakeDistribution) -> None:
    source = "from hookwise import LifecycleHook\nclass Stamp(LifecycleHook):\n    PLUGIN_NAME = 'stamp'\n    def initialize(self, version, data):\n        data['stamped'] = version\n"
    make_distribution(
        "stamp-hook", modules={"stamp_hook": source}, entry_points={"hookwise.lifecycle": {"stamp": "stamp_hook:Stamp"}}
    )
    make_distribution(
        "not-a-hook",
        modules={"not_a_hook": "thing = 1\n"},
        entry_points={"broken.lifecycle": {"x": "not_a_hook:thing"}},
    )
    ep_runner = runner(project(tmp_path, "[tool.hookwise.hooks.stamp]\n"))
    assert ep_runner.load_entry_points("hookwise.lifecycle") == ["stamp"]
    assert ep_runner.run("wheel", versions=["1.0"]).data["1.0"]["stamped"] == "1.0"
    with pytest.raises(
        LifecycleConfigError,
        match=r"entry point x = not_a_hook:thing \[broken.lifecycle\] from not-a-hook 1.0 is 1, not a LifecycleHook subclass",
    ):
        ep_runner.load_entry_points("broken.lifecycle")


def test_the_hook_base_class_gives_hooks_their_context(tmp_path: Path) -> None:
    hook = LifecycleHook("/root", {"k": 1}, "wheel", "/root/dist", {"name": "demo"}, name="h")
    assert (hook.root, dict(hook.config), hook.target_name, hook.directory, dict(hook.metadata), hook.name) == (
        "/root",
        {"k": 1},
        "wheel",
        "/root/dist",
        {"name": "demo"},
        "h",
    )
    assert hook.app.name == "hookwise"  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue]
    assert hook.dependencies() == []
    hook.clean(["1"])
    hook.initialize("1", {})
    hook.finalize("1", {}, "x")


def test_a_lifecycle_entry_point_whose_module_is_missing_names_it(
    make_distribution: MakeDistribution, tmp_path: Path
) -> None:
    make_distribution(
        "ghost-hooks", "3.1", modules={}, entry_points={"ghost.lifecycle": {"ghost": "no_such_module:Hook"}}
    )
    with pytest.raises(
        LifecycleConfigError,
        match=r"^cannot load entry point ghost = no_such_module:Hook \[ghost.lifecycle\] from ghost-hooks 3.1: "
        r"ModuleNotFoundError: No module named 'no_such_module'",
    ) as info:
        runner(tmp_path).load_entry_points("ghost.lifecycle")
    assert isinstance(info.value.__cause__, ModuleNotFoundError)
