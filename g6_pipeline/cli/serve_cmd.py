"""`g6 serve`: the live browser dashboard."""

from __future__ import annotations

import argparse
import ipaddress
import sys
import threading
from typing import Any

from g6_pipeline.live.server import LiveServer
from g6_pipeline.settings import load_settings


def register(commands: Any) -> None:
    """Add `g6 serve` to the parser."""
    parser = commands.add_parser(
        "serve",
        help="serve the live dashboard (page, Server-Sent Events, health) over HTTP",
        description="Serve the live dashboard of the data folder: GET / (page), GET /events (Server-Sent "
        "Events), GET /health. Host and port default to live.host and live.port of the configuration.",
    )
    parser.add_argument("--host", default=None, help="address to bind (default: live.host, 127.0.0.1)")
    parser.add_argument("--port", type=int, default=None, help="port to bind (default: live.port, 9320)")
    parser.set_defaults(handler=run)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted."""
    settings = load_settings().settings
    live = settings.live
    host = args.host or live.host
    port = live.port if args.port is None else args.port
    token = live.auth_token.get_secret_value() if live.auth_token is not None else None
    try:
        server = LiveServer(settings.data_dir, host=host, port=port, auth_token=token,
                            max_clients=live.max_clients, stale_after_seconds=settings.alerts.stale_after_seconds)
    except OSError as exc:
        print(f"g6 serve: cannot bind {host}:{port}: {exc.strerror}", file=sys.stderr)
        return 1
    if not _is_loopback(host) and token is None:
        print(f"g6 serve: warning: {host} is reachable from other machines and live.auth_token is not set",
              file=sys.stderr)
    server.start()
    auth = "token required" if token else "no auth"
    print(f"g6 serve: dashboard on {server.url}/ ({auth}), data from {settings.data_dir}", file=sys.stderr,
          flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0
