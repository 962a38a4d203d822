"""hookwise.testing's fixtures, typed: checked by mypy and pyright, never run."""

from typing import assert_type

from hookwise import HookManager, hookimpl, hookspec
from hookwise.testing import ManagerFactory, WatchingRecorder


class TodoHooks:
    @hookspec
    def task_labels(self, title: str) -> str:
        raise NotImplementedError


class Labels:
    @hookimpl
    def task_labels(self, title: str) -> str | None:
        return "work" if "[PROJ-" in title else None


def test_labels(hookwise_manager: ManagerFactory, hookwise_recorder: WatchingRecorder) -> None:
    hooks = hookwise_manager(TodoHooks, Labels())
    assert_type(hooks, HookManager[TodoHooks])
    assert_type(hooks.call.task_labels(title="[PROJ-1] x"), list[str])
    hooks.call.task_labels(titel="x")  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    assert_type(hookwise_manager(), HookManager[object])
    assert_type(hookwise_recorder.watch(hooks), WatchingRecorder)
