"""Building blocks for the `g6 diagnose` tests: a configuration folder, a DAGSTER_HOME, fresh panels, and a
loopback Kite API that the real `kiteconnect` client talks to."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from g6_pipeline.cli.diagnose_checks import DiagnoseContext
from g6_pipeline.core.clock import IST
from g6_pipeline.live.panels import PANEL_NAMES, write_panels
from g6_pipeline_tests.fakes.config import REPLAY

REPO = Path(__file__).resolve().parents[2]
SESSION_MOMENT = datetime(2026, 11, 25, 11, 0, tzinfo=IST)
"""A Wednesday 11:00 IST: the market is open."""
GOOD_TOKEN = "tok-valid-7f3a9c"
API_KEY = "kitekey123"


def config_folder(root: Path, platform: dict[str, Any] | None = None) -> Path:
    """A configuration folder: the repository's calendar and indices, and the given platform settings."""
    folder = root / "config"
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("holidays.json", "indices_config.json"):
        shutil.copy(REPO / "config" / name, folder / name)
    document = dict(platform or {})
    document["collection"] = {**REPLAY, **document.get("collection", {})}
    (folder / "platform_config.json").write_text(json.dumps(document))
    return folder


def embedded_home(root: Path) -> Path:
    """A DAGSTER_HOME holding the repository's embedded (SQLite) dagster.yaml."""
    home = root / "embedded_home"
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
    return home


def publish_panels(data_dir: Path, at: datetime) -> None:
    """Publish every panel the way the pipeline does, generated at `at`."""
    write_panels(data_dir, {name: {"rows": [1, 2, 3], "panel": name} for name in PANEL_NAMES}, 1, at)


def context(root: Path, platform: dict[str, Any] | None = None, **overrides: Any) -> DiagnoseContext:
    """A context on a fresh configuration folder, a data folder under `root`, and the embedded instance."""
    config = config_folder(root, {"data_dir": str(root / "data"), **(platform or {})})
    environ = {"DAGSTER_HOME": str(embedded_home(root))}
    environ.update(overrides.pop("environ", {}))
    return DiagnoseContext(
        environ=environ, now=overrides.pop("now", SESSION_MOMENT), config_dir=config, **overrides
    )


class _KiteHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path.split("?")[0] != "/user/profile":
            self._answer(
                404, {"status": "error", "message": "route not found", "error_type": "GeneralException"}
            )
        elif self.headers.get("Authorization") == f"token {API_KEY}:{GOOD_TOKEN}":
            self._answer(200, {"status": "success", "data": {"user_id": "AB1234", "user_type": "individual"}})
        else:
            message = "Incorrect `api_key` or `access_token`."
            self._answer(
                403, {"status": "error", "message": message, "data": None, "error_type": "TokenException"}
            )

    def _answer(self, code: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return


@contextmanager
def kite_api() -> Iterator[str]:
    """A loopback Kite API answering `/user/profile` for GOOD_TOKEN; yields its root URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _KiteHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
