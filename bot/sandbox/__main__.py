"""``python -m bot.sandbox``: the sandbox Bot API in a process of its own.

For tests that kill the bot's process while people are chatting: the chats, the pending updates
and the recorded calls live here and survive. Drive the people through ``/control/...`` and
point the service at it (``CCHC_BOT_MODE=polling``, ``CCHC_TELEGRAM_API_URL``,
``CCHC_TELEGRAM_TOKEN``). With ``--port 0`` a free port is chosen; the first line on standard
output is JSON with ``url`` and ``token``, printed once the server accepts connections.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import sys

import uvicorn

from bot.sandbox.server import Sandbox


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bot.sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0: any free port")
    parser.add_argument("--token", default="123456:SANDBOX")
    parser.add_argument("--username", default="cchc_sandbox_bot")
    parser.add_argument("--log-level", default="warning")
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    sandbox = Sandbox(args.token, args.username)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    host, port = sock.getsockname()[:2]
    config = uvicorn.Config(
        sandbox.app, lifespan="off", log_level=args.log_level, timeout_graceful_shutdown=2
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started and not task.done():  # uvicorn offers no startup event
        await asyncio.sleep(0.01)
    if server.started:
        print(json.dumps({"url": f"http://{host}:{port}", "token": sandbox.token}), flush=True)
    try:
        await task
    finally:
        await sandbox.aclose()
        sock.close()


def main(argv: list[str] | None = None) -> int:
    asyncio.run(serve(parse(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
