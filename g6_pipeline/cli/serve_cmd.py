"""`g6 serve`: the live browser dashboard."""

from __future__ import annotations

import argparse
import sys
import threading
from typing import Any

from g6_pipeline.core.calendar import MarketCalendar
from g6_pipeline.core.schema import SIMULATED_SOURCES
from g6_pipeline.live.numbers import NumberFormat
from g6_pipeline.live.server import InsecureBindError, LiveServer, effective_token
from g6_pipeline.settings import load_settings
from g6_pipeline.util.stopping import deferred

MAX_PORT = 65535


def register(commands: Any) -> None:
    """Add `g6 serve` to the parser."""
    parser = commands.add_parser(
        "serve",
        help="serve the live dashboard (page, Server-Sent Events, health) over HTTP",
        description="Serve the live dashboard of the data folder: GET / (page), GET /events (Server-Sent "
        "Events), GET /health. Host and port default to live.host and live.port of the configuration. A host "
        "reachable from other machines needs live.auth_token (or G6_LIVE_AUTH_TOKEN); an empty token is no "
        "token. Stops cleanly on SIGINT (Ctrl-C, exit 130) and SIGTERM (exit 143).",
    )
    parser.add_argument("--host", default=None, help="address to bind (default: live.host, 127.0.0.1)")
    parser.add_argument("--port", type=int, default=None, help="port to bind (default: live.port, 9320)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Serve until SIGINT or SIGTERM (`util.stopping`: the command exits 130 or 143, saying it was stopped)."""
    loaded = load_settings()
    settings = loaded.settings
    live = settings.live
    host = args.host or live.host
    port = live.port if args.port is None else args.port
    if not 0 <= port <= MAX_PORT:
        print(f"g6 serve: --port {port} is not a TCP port (0 to {MAX_PORT}; 0 picks a free one)", file=sys.stderr)
        return 2
    token = effective_token(live.auth_token.get_secret_value() if live.auth_token is not None else None)
    try:
        server = LiveServer(settings.data_dir, host=host, port=port, auth_token=token, max_clients=live.max_clients,
                            stale_after_seconds=settings.alerts.stale_after_seconds,
                            allowed_hosts=live.allowed_hosts, numbers=NumberFormat.from_settings(settings),
                            simulated=settings.provider in SIMULATED_SOURCES,
                            calendar=MarketCalendar.load(loaded.config_dir))
    except InsecureBindError:
        print(f"g6 serve: refusing to serve on {host}: it is reachable from other machines and no auth token is "
              "set (live.auth_token or G6_LIVE_AUTH_TOKEN)", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"g6 serve: cannot bind {host}:{port}: {exc.strerror}", file=sys.stderr)
        return 1
    try:
        server.start()
        auth = "token required" if token else "no auth"
        print(f"g6 serve: dashboard on {server.url}/ ({auth}), data from {settings.data_dir}", file=sys.stderr,
              flush=True)
        threading.Event().wait()
    finally:
        with deferred():  # a second signal does not cut the shutdown short
            server.stop()
    return 0
