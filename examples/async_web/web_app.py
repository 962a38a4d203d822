"""An async web application whose requests pass through hooks (hookwise's async model).

- ``before_request`` (intercept): plugins may veto a request (403) or patch it.
- ``response_headers`` (collect): plugins add headers.
- ``after_request`` (observe, concurrent): notifiers run together, after the response.

The server is a real HTTP/1.0 server on asyncio streams, bound to localhost.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from hookwise import HookManager, Patch, Veto, hookimpl, hookspec


class WebHooks:
    @hookspec(kind="intercept")
    def before_request(self, method: str, path: str, headers: dict[str, str]) -> None:
        """Before a request is handled: veto it, or patch its path or headers."""

    @hookspec
    def response_headers(self, path: str, status: int) -> dict[str, str]:
        raise NotImplementedError

    @hookspec(kind="observe", concurrent=True, policy="isolate")
    def after_request(self, method: str, path: str, status: int, user: str | None) -> None:
        """After the response was sent: notifiers run together; one failing does not stop the others."""


@dataclass
class Response:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict[str, str])


class WebApp:
    """Routes requests to handlers, through the hooks."""

    def __init__(self, hooks: HookManager[WebHooks]) -> None:
        self.hooks = hooks
        self.routes = {"/hello": self.hello, "/tasks": self.tasks}
        self.in_flight: set[asyncio.Task[None]] = set()

    async def idle(self) -> None:
        """Wait until every connection, after-request hooks included, is done."""
        while self.in_flight:
            await asyncio.gather(*self.in_flight)

    async def hello(self, headers: dict[str, str]) -> Response:
        return Response(200, {"hello": headers.get("x-user", "stranger")})

    async def tasks(self, headers: dict[str, str]) -> Response:
        await asyncio.sleep(0)
        return Response(200, {"tasks": ["write report", "plan sprint"]})

    async def handle(self, method: str, path: str, headers: dict[str, str]) -> Response:
        decision = await self.hooks.call.before_request.acall(method=method, path=path, headers=headers)
        if decision.vetoed:
            response = Response(403, {"error": decision.reason, "vetoed_by": decision.vetoed_by})
        else:
            args = decision.arguments
            route = self.routes.get(args["path"])
            response = await route(args["headers"]) if route else Response(404, {"error": f"no route {args['path']}"})
        for extra in await self.hooks.call.response_headers.acall(path=path, status=response.status):
            response.headers.update(extra)
        return response


async def serve(app: WebApp, host: str = "127.0.0.1", port: int = 0) -> asyncio.Server:
    """Serve the app over HTTP/1.0 on asyncio streams."""

    async def on_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        app.in_flight.add(task)
        task.add_done_callback(app.in_flight.discard)
        request_line = (await reader.readline()).decode().strip()
        method, path, _ = request_line.split(" ", 2)
        headers: dict[str, str] = {}
        while (line := (await reader.readline()).decode().strip()) != "":
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        response = await app.handle(method, path, headers)
        body = json.dumps(response.body).encode()
        head = [f"HTTP/1.0 {response.status} {'OK' if response.status == 200 else 'Error'}"]
        head += [f"{k}: {v}" for k, v in {**response.headers, "content-length": str(len(body))}.items()]
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        await writer.drain()
        writer.close()
        await app.hooks.call.after_request.acall(
            method=method, path=path, status=response.status, user=headers.get("x-user")
        )

    return await asyncio.start_server(on_connection, host, port)


async def fetch(
    port: int, path: str, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], dict[str, Any]]:
    """A tiny HTTP/1.0 client: status, headers and JSON body."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    lines = [f"GET {path} HTTP/1.0", *(f"{k}: {v}" for k, v in (headers or {}).items())]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    await writer.drain()
    raw = await reader.read()
    writer.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode().split("\r\n")
    response_headers = {k.lower(): v.strip() for k, _, v in (h.partition(":") for h in header_lines)}
    return int(status_line.split()[1]), response_headers, json.loads(body)


# -- plugins --------------------------------------------------------------------


class Auth:
    """Vetoes requests without a user, except for /hello."""

    @hookimpl(priority=10)
    async def before_request(self, path: str, headers: dict[str, str]) -> Veto | None:
        await asyncio.sleep(0)  # e.g. look the token up
        if path != "/hello" and "x-user" not in headers:
            return Veto("sign in first")
        return None


class Normalize:
    """Patches paths to lower case without a trailing slash."""

    @hookimpl(priority=5)
    def before_request(self, path: str) -> Patch | None:
        normal = path.lower().rstrip("/") or "/"
        return Patch({"path": normal}) if normal != path else None


class ServerHeader:
    @hookimpl
    def response_headers(self) -> dict[str, str]:
        return {"server": "hookwise-example"}


class Notifier:
    """Sends a notification after each request; ``events`` records start and end, to show they overlap."""

    def __init__(self, name: str, delay: float, events: list[str]) -> None:
        self.name = name
        self.delay = delay
        self.events = events

    @hookimpl(specname="after_request")
    async def notify(self, path: str, status: int) -> None:
        self.events.append(f"{self.name} start {path} {status}")
        await asyncio.sleep(self.delay)
        self.events.append(f"{self.name} done {path} {status}")


def build(events: list[str], delay: float = 0.05) -> HookManager[WebHooks]:
    hooks = HookManager(WebHooks)
    hooks.register(Auth())
    hooks.register(Normalize())
    hooks.register(ServerHeader())
    hooks.register(Notifier("email", delay, events), name="email")
    hooks.register(Notifier("chat", delay, events), name="chat")
    return hooks
