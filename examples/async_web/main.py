"""Serve the async web app on localhost and send it a few requests.

python examples/async_web/main.py
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from web_app import WebApp, build, fetch, serve


async def run() -> int:
    events: list[str] = []
    hooks = build(events, delay=0.05)
    print(hooks.explain("before_request"))
    app = WebApp(hooks)
    server = await serve(app)
    port = server.sockets[0].getsockname()[1]
    requests: list[tuple[str, dict[str, str]]] = [("/Hello/", {}), ("/tasks", {}), ("/tasks", {"X-User": "ann"})]
    for path, headers in requests:
        status, response_headers, body = await fetch(port, path, headers)
        print(f"GET {path} {headers or ''} -> {status} {body} (server: {response_headers.get('server')})")
    await app.idle()
    server.close()
    await server.wait_closed()
    print("\nnotifications (email and chat run together after each response):")
    for event in events:
        print(f"  {event}")
    return 0


def main() -> int:
    return asyncio.run(run())


if __name__ == "__main__":
    raise SystemExit(main())
