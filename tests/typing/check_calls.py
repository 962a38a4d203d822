"""Typed hook calls: checked by mypy and pyright, never run."""

from typing import assert_type

from hookwise import DispatchResult, HookManager, hookspec


class Specs:
    @hookspec
    def compute(self, a: int, b: int) -> int:
        raise NotImplementedError

    @hookspec(kind="first")
    def pick(self, a: int) -> str | None: ...
    @hookspec(kind="intercept")
    def before(self, task_id: str, tags: list[str]) -> None: ...
    @hookspec(kind="observe")
    def after(self, task_id: str) -> None: ...


m = HookManager(Specs)
assert_type(m.call.compute(a=1, b=2), list[int])
assert_type(m.call.pick(a=1), str | None)
assert_type(m.call.before(task_id="t", tags=[]), DispatchResult)
assert_type(m.call.after(task_id="t"), None)
m.call.compute(a=1, c=2)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
m.call.compute(a="x", b=2)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
m.call.pick(a=1).upper()  # type: ignore[union-attr]  # pyright: ignore[reportOptionalMemberAccess]


class Optional:
    @hookspec
    def maybe(self, a: int) -> dict[str, int] | None: ...

    @hookspec
    def nothing(self) -> None: ...


o = HookManager(Optional)
assert_type(o.call.maybe(a=1), list[dict[str, int]])  # None results are dropped from collect results
for item in o.call.maybe(a=1):
    item.update({})


async def awaited() -> None:
    """Awaited calls are typed like sync ones."""
    assert_type(await m.call.compute.acall(a=1, b=2), list[int])
    assert_type(await m.call.pick.acall(a=1), str | None)
    assert_type(await m.call.before.acall(task_id="t", tags=[]), DispatchResult)
    assert_type(await m.call.after.acall(task_id="t"), None)
    await m.call.compute.acall(a=1, c=2)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    await m.call.compute.acall(a="x", b=2)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    (await m.call.pick.acall(a=1)).upper()  # type: ignore[union-attr]  # pyright: ignore[reportOptionalMemberAccess]
    m.call.compute.acall(a=1, b=2).append(3)  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType]
