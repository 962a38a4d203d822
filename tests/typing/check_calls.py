"""Typed hook calls: checked by mypy and pyright, never run."""

from typing import assert_type

from hookwise import AllowedResult, DispatchResult, HookManager, VetoedResult, hookspec


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
assert_type(m.call.before(task_id="t", tags=[]), AllowedResult | VetoedResult)
assert_type(m.call.after(task_id="t"), None)
assert_type(m.dispatch("before", {"task_id": "t", "tags": []}), AllowedResult | VetoedResult)

# A dispatch result narrows: the reason of a veto is a str.
result = m.call.before(task_id="t", tags=[])
if not result:
    assert_type(result, VetoedResult)
    assert_type(result.reason, str)
else:
    assert_type(result.reason, None)
if result.vetoed is True:
    assert_type(result.reason, str)
if result.vetoed:  # mypy narrows on the attribute itself; pyright 1.1.4xx does not (the two forms above it does)
    assert_type(result.reason, str)  # pyright: ignore[reportAssertTypeFailure]
annotated: DispatchResult = result  # both are DispatchResults
result.reason.upper()  # type: ignore[union-attr]  # pyright: ignore[reportOptionalMemberAccess]
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
    assert_type(await m.call.before.acall(task_id="t", tags=[]), AllowedResult | VetoedResult)
    assert_type(await m.call.after.acall(task_id="t"), None)
    await m.call.compute.acall(a=1, c=2)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    await m.call.compute.acall(a="x", b=2)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    (await m.call.pick.acall(a=1)).upper()  # type: ignore[union-attr]  # pyright: ignore[reportOptionalMemberAccess]
    m.call.compute.acall(a=1, b=2).append(3)  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType]
