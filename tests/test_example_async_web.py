"""examples/async_web: an async HTTP app whose requests pass through intercept and concurrent observe hooks."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import pytest

from hookwise import HookCallError, HookErrorGroup, hookimpl

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples" / "async_web"))

from web_app import WebApp, build, fetch, serve


async def exchange(
    requests: list[tuple[str, dict[str, str]]], events: list[str]
) -> list[tuple[int, dict[str, str], Any]]:
    app = WebApp(build(events, delay=0.01))
    server = await serve(app)
    port = server.sockets[0].getsockname()[1]
    try:
        return [await fetch(port, path, headers) for path, headers in requests]
    finally:
        await app.idle()
        server.close()
        await server.wait_closed()


def test_requests_are_vetoed_patched_and_decorated_by_plugins() -> None:
    events: list[str] = []
    replies = asyncio.run(exchange([("/Hello/", {}), ("/tasks", {}), ("/tasks", {"X-User": "ann"})], events))
    (hello_status, hello_headers, hello), (denied_status, _, denied), (ok_status, _, ok) = replies
    assert (hello_status, hello) == (200, {"hello": "stranger"})  # /Hello/ was patched to /hello
    assert hello_headers["server"] == "hookwise-example"
    assert (denied_status, denied) == (403, {"error": "sign in first", "vetoed_by": "Auth"})
    assert (ok_status, ok) == (200, {"tasks": ["write report", "plan sprint"]})


def test_notifiers_run_together_after_each_response() -> None:
    events: list[str] = []
    asyncio.run(exchange([("/hello", {})], events))
    assert events[:2] == ["email start /hello 200", "chat start /hello 200"]
    assert sorted(events[2:]) == ["chat done /hello 200", "email done /hello 200"]


def test_one_failing_notifier_does_not_stop_the_others() -> None:
    events: list[str] = []
    hooks = build(events, delay=0)

    class Pager:
        @hookimpl(specname="after_request", tryfirst=True)
        async def page(self) -> None:
            raise ConnectionError("pager offline")

    hooks.register(Pager())
    with pytest.raises(HookErrorGroup) as info:
        asyncio.run(hooks.call.after_request.acall(method="GET", path="/x", status=200, user=None))
    assert info.value.plugins == ("Pager",)
    assert sorted(events) == ["chat done /x 200", "chat start /x 200", "email done /x 200", "email start /x 200"]


def test_a_sync_call_of_the_async_hooks_is_refused() -> None:
    hooks = build([])
    with pytest.raises(
        HookCallError,
        match=r"Auth.before_request of plugin 'Auth'\); call it with await manager.call.before_request.acall",
    ):
        hooks.call.before_request(method="GET", path="/", headers={})
