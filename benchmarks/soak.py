"""Soak: G6 through a bad day. The real daemon (`dagster dev` as `make run` starts it, sensor-launched minute
runs) collects every enabled index of the repository's configuration from the loopback Kite server (the
real `kiteconnect` client over HTTP) for `--minutes N` while the server and the data directory misbehave on
a script; then the day is sealed and what was stored is checked.

The clock: `dagster dev` and everything it starts run under libfaketime (`scripts/install-faketime.sh`) with
a whole-second offset that puts "now" 35 s before the open of the latest trading day (per the shipped
calendar) whose open has passed, so the window starts at 09:15 IST whatever the hour: the market-hours gate
stays on and the soak works at any time. The soak's holiday file makes that day a special session of the
window plus `CLOSE_SLACK` minutes (room for a slow start), so the window's minutes are all but the last few
session minutes of that day (no earlier minute for the repair to refill) and the session ends soon after
the window: the daemon collects to the close, and the day is sealed after it, as the daemon's automation
does, so that its blocking checks (`completeness` among them) judge a whole session. The loopback server's
clock has the same offset and the token is issued at the shifted time.

The fault schedule, as minute offsets into the window (written for N = 30, scaled for N >= 20; below 20 the
compressed one in brackets):

- minute 4 [1]: a burst of 429s: the next 5 /quote requests answered 429;
- minutes 8-12 [2-3]: an outage: every /quote answered 502 with an HTML page;
- minute 17 [4]: the access token expires: the server refuses it with 403 TokenException;
- minute 18 [5]: a new token is stored as `g6 token login --request-token ...` does, 20 s before the minute
  (the server issues and accepts the new one);
- minute 22 [5]: the options minute slice of the window's first stored minute is truncated; the seal at
  the end moves it aside to the quarantine folder, names it and repairs the minute.

The gaps are refilled from Kite's historical candles by the daemon itself: `gap_repair_sensor` launches a
repair run once minutes are collected again after the outage, and the seal repairs what is left (the
quarantined minute among them). Nothing is repaired by hand; the report counts repaired minutes from the
stored rows (source `kite_historical`) and lists the repair runs. Once the session's minute runs are over
the daemon is stopped and, with the clock moved past the close, the day is sealed by `dagster asset
materialize` of its `option_chain_daily` and `overview_daily` partitions, as `make materialize` runs it;
the seal's verdict is "sealed" only when the run succeeded (a failed blocking check fails it, and the
report names the check and why).

Report (printed, and `--json PATH`): per index the window's session minutes expected, collected live,
repaired, missing with the reason (run records, the sensor's skipped ticks), duplicate rows in Parquet and
duplicate minute lines in the classic CSV, stale live rows; the corrupted file and the seal's verdict; peak
RSS per process kind (/proc VmHWM, polled every 0.5 s); the alerts G6 put in its live status file. Exit 1
when there are duplicates or stale rows, 2 when the soak itself could not run. SIGINT or SIGTERM stops it
cleanly: `dagster dev` (its whole process group) and the Kite server are stopped and the temporary directory
removed; it exits 130 or 143 with a last line saying so.

    PYTHONPATH=. .venv/bin/python benchmarks/soak.py --minutes 30 [--json PATH] [--strikes K] [--keep DIR]
"""

from __future__ import annotations

import argparse
import glob
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.daemon import BIN, REPO, free_port, prepare, start_dagster_dev, stop_group, wait_for_ui
from benchmarks.proctree import TreeSampler
from benchmarks.soak_faults import RENEW_LEAD, RENEWED_TOKEN, Event, Schedule, corrupt_slice, schedule_for
from benchmarks.soak_gather import gather, settle, watch_status
from benchmarks.soak_report import render
from g6_pipeline.core.calendar import MarketCalendar
from g6_pipeline.core.clock import IST
from g6_pipeline.providers.kite_token import TokenStore
from g6_pipeline.providers.synthetic import SyntheticMarket
from g6_pipeline.settings import load_settings
from g6_pipeline.storage.location import DataLocation
from g6_pipeline.util.stopping import Stopped, deferred, stop_signals
from g6_pipeline_tests.fakes.kite_server import (
    ACCESS_TOKEN,
    API_KEY,
    API_SECRET,
    REQUEST_TOKEN,
    KiteServerHandle,
    start_kite_server,
)

LEAD = timedelta(seconds=35)
"""`dagster dev` starts this long before the session opens (on the shifted clock)."""
READY_MARGIN = timedelta(seconds=20)
"""The window starts at the first session minute at least this long after the UI answers."""
CLOSE_SLACK = timedelta(minutes=3)
"""The soak's session closes this long after the window would end had it started at the open: room for a
start as slow as `wait_for_ui` allows."""
FAKETIME_GLOB = "/usr/lib/*/faketime/libfaketimeMT.so.1"
FAKETIME_SITE = Path(__file__).resolve().parent / "faketime_site"


def faketime_env(env: dict[str, str], offset_seconds: int) -> dict[str, str]:
    """`env` changed to run a process (and its children) on the real clock plus `offset_seconds`: libfaketime
    preloaded, and `faketime_site/` leading PYTHONPATH (its sitecustomize works around libfaketime's sleep)."""
    libs = sorted(glob.glob(FAKETIME_GLOB))
    if not libs:
        raise SystemExit("soak: libfaketime not found; run scripts/install-faketime.sh (make system-deps)")
    path = ":".join(p for p in (str(FAKETIME_SITE), env.get("PYTHONPATH", "")) if p)
    return {**env, "LD_PRELOAD": libs[0], "FAKETIME": f"{offset_seconds:+d}", "FAKETIME_DONT_FAKE_MONOTONIC": "1",
            "PYTHONPATH": path}


def choose_offset(calendar: MarketCalendar, minutes: int, now: datetime) -> tuple[int, date]:
    """Whole seconds that put `now` LEAD before the open of the latest trading day whose open has passed
    (and whose session is longer than the window plus ten minutes), and that day."""
    day = now.astimezone(IST).date()
    for _ in range(30):
        session = calendar.session_minutes(day)
        if len(session) >= minutes + 10 and session[0] - LEAD <= now:
            return round((session[0] - LEAD - now).total_seconds()), day
        day -= timedelta(days=1)
    raise SystemExit("soak: no trading day with a long enough session in the last 30 days")


def short_session(config: Path, day: date, open_at: datetime, minutes: int) -> None:
    """Make `day` a special session in `config`'s holiday file: from `open_at` for `minutes` plus
    `CLOSE_SLACK`."""
    close = open_at + timedelta(minutes=minutes) + CLOSE_SLACK
    path = config / "holidays.json"
    document = json.loads(path.read_text())
    document["special_sessions"] = [s for s in document.get("special_sessions", []) if s.get("date") != day.isoformat()]
    document["special_sessions"].append({"date": day.isoformat(), "open": open_at.strftime("%H:%M"),
                                         "close": close.strftime("%H:%M"), "name": "soak session"})
    path.write_text(json.dumps(document, indent=2))


def kite_platform(server: KiteServerHandle, token_file: Path) -> Callable[[dict[str, Any]], None]:
    """The repository's platform configuration with provider kite through the loopback server."""
    def change(document: dict[str, Any]) -> None:
        document["provider"] = "kite"
        document.setdefault("kite", {}).update(api_key=API_KEY, root_url=server.url, token_file=str(token_file))
    return change


def narrow_strikes(config: Path, strikes: int | None) -> None:
    """Collect ATM ± `strikes` of every configured index (None: as the repository configures it)."""
    if strikes is None:
        return
    path = config / "indices_config.json"
    indices = json.loads(path.read_text())
    for entry in indices.values():
        entry.update(strikes_below=strikes, strikes_above=strikes)
    path.write_text(json.dumps(indices, indent=2))


def g6(args: list[str], env: dict[str, str], timeout: float = 900) -> tuple[int, list[str]]:
    """Run the `g6` CLI; (exit code, output lines)."""
    proc = subprocess.run([str(BIN / "g6"), *args], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=timeout)
    return proc.returncode, (proc.stdout + proc.stderr).strip().splitlines()


def fault_events(sched: Schedule, w0: datetime, server: KiteServerHandle, env: dict[str, str],
                 location: DataLocation, indices: list[str]) -> list[Event]:
    """The scripted faults as timed actions (the outage is a server window, registered at once)."""
    def at(k: int) -> datetime:
        return w0 + timedelta(minutes=k)

    server.fail_during("/quote", "502html", at(sched.outage[0]), at(sched.outage[1]))

    def burst() -> str:
        server.fail_next("/quote", "429", times=5)
        return "5 x 429 queued on /quote"

    def expire() -> str:
        server.access_token = RENEWED_TOKEN
        return "server refuses the old token"

    def renew() -> str:
        code, out = g6(["token", "login", "--request-token", REQUEST_TOKEN], {**env, "KITE_API_SECRET": API_SECRET})
        return f"g6 token login exit {code}: {' '.join(out)[-200:]}"

    def corrupt() -> str:
        path = corrupt_slice(location, [at(k) for k in range(sched.burst)], indices)
        return str(path) if path else "no slice to corrupt"

    return [
        Event(at(sched.burst) - timedelta(seconds=1), "429 burst", burst),
        Event(at(sched.token_expiry), "token expiry", expire),
        Event(at(sched.token_renewal) - RENEW_LEAD, "token renewal", renew),
        Event(at(sched.corrupt) + timedelta(seconds=30), "corrupt slice", corrupt),
    ]


REPAIR_JOB = "gap_repair_job"
"""The job `gap_repair_sensor` launches (`g6_pipeline.defs.history.gap_repair`)."""


def automatic_repairs(home: Path) -> dict[str, Any]:
    """The gap repair runs the daemon launched by itself (`gap_repair_sensor`, once minutes are collected again
    after missing ones), with their status; the seal then repairs what is left. Nothing is run by hand."""
    import dagster as dg

    with dg.DagsterInstance.from_config(str(home)) as instance:
        records = instance.get_run_records(filters=dg.RunsFilter(job_name=REPAIR_JOB))
    lines = [f"{r.dagster_run.tags.get('dagster/run_key', r.dagster_run.run_id[:8])}: {r.dagster_run.status.value}"
             for r in reversed(records)]
    failed = sum(1 for r in records if r.dagster_run.status == dg.DagsterRunStatus.FAILURE)
    return {"how": f"{len(records)} {REPAIR_JOB} run(s) launched by the daemon, then the seal", "exit": failed,
            "output": lines}


def blocking_failures(location: DataLocation, day: date, index: str) -> list[str]:
    """The blocking checks the day's seal record says failed, with their descriptions."""
    try:
        record = json.loads(location.read_bytes(location.seal_record_file(index, day)))
    except (OSError, ValueError):
        return []
    return [f"{name}: {check['description']}" for name, check in record.get("checks", {}).items()
            if check.get("blocking") and not check.get("passed")]


def seal(env: dict[str, str], day: date, indices: list[str], location: DataLocation) -> dict[str, str]:
    """Materialize the day's option_chain_daily and overview_daily per index, as `make materialize` would;
    per index "sealed", else why not (a failed blocking check named with its description)."""
    out = {}
    for index in indices:
        proc = subprocess.run(
            [str(BIN / "dagster"), "asset", "materialize", "-m", "g6_pipeline.definitions",
             "--select", "option_chain_daily,overview_daily", "--partition", f"{day.isoformat()}|{index}"],
            cwd=REPO, env=env, capture_output=True, text=True, timeout=600,
        )
        lines = (proc.stdout + proc.stderr).splitlines()
        why = (blocking_failures(location, day, index)
               or [ln.strip() for ln in lines if ".parquet" in ln and ("rror" in ln or "orrupt" in ln)][-1:]
               or lines[-1:])
        out[index] = "sealed" if proc.returncode == 0 else f"failed (exit {proc.returncode}): {' '.join(why)[:400]}"
    return out


def soak(args: argparse.Namespace, root: Path) -> dict[str, Any]:
    """Run the soak in `root`; the report."""
    started = time.monotonic()
    calendar = MarketCalendar.load(REPO / "config")
    offset, day = choose_offset(calendar, args.minutes, datetime.now(IST))

    def clock() -> datetime:
        return datetime.now(IST) + timedelta(seconds=offset)

    server = start_kite_server(SyntheticMarket(6, calendar), clock=clock)
    token_file = root / "kite_token"
    env = faketime_env(prepare(root, kite_platform(server, token_file)), offset)
    narrow_strikes(root / "config", args.strikes)
    short_session(root / "config", day, calendar.session_minutes(day)[0], args.minutes)
    TokenStore(token_file).save(ACCESS_TOKEN, API_KEY, clock() - timedelta(minutes=1))
    settings = load_settings(root / "config").settings
    indices, location = list(settings.enabled_indices), DataLocation(root / "data")
    code, out = g6(["config", "check"], env)
    if code != 0:
        raise SystemExit("soak: g6 config check failed:\n" + "\n".join(out))
    port = free_port()
    phases: dict[str, float] = {}
    process = start_dagster_dev(env, port, root / "dagster_dev.log")
    sampler = TreeSampler(process.pid).start()
    try:
        if not wait_for_ui(process, port):
            raise SystemExit("soak: dagster dev did not come up:\n" + (root / "dagster_dev.log").read_text()[-3000:])
        session = MarketCalendar.load(root / "config").session_minutes(day)
        phases["startup"] = time.monotonic() - started
        ready = clock() + READY_MARGIN
        w0 = next(m for m in session if m >= ready)
        window = [m for m in session if w0 <= m < w0 + timedelta(minutes=args.minutes)]
        print(f"soak: dagster dev (pid {process.pid}) is up on port {port}; the window opens at {w0:%H:%M} "
              f"(shifted clock)", file=sys.stderr, flush=True)
        sched = schedule_for(args.minutes)
        events = fault_events(sched, w0, server, env, location, indices)
        alerts = watch_status(location, clock, window[-1] + timedelta(minutes=1), events)
        phases["window"] = time.monotonic() - started - phases["startup"]
        settle(root / "dagster_home", [m for m in session if m >= w0], clock)  # the daemon collects to the close
        phases["settle"] = time.monotonic() - started - sum(phases.values())
        repair = automatic_repairs(root / "dagster_home")
        phases["repair"] = time.monotonic() - started - sum(phases.values())
        sampler.stop()
        stop_group(process)  # nothing is collected while the day is sealed
        sealed = seal(env, day, indices, location)  # settled past the close: the session is over
        phases["seal"] = time.monotonic() - started - sum(phases.values())
    finally:
        with deferred():  # a second stop signal does not cut the cleanup short
            sampler.stop()
            stop_group(process)
            server.stop()
    report = gather(root, location, settings, window, events, alerts, sampler)
    report.update(minutes=args.minutes, day=day.isoformat(), offset_seconds=offset, indices=indices,
                  faults=sched.describe(), repair=repair, seal=sealed, wall_seconds=time.monotonic() - started,
                  phases={k: round(v) for k, v in phases.items()})
    return report


def _soak_in(args: argparse.Namespace) -> dict[str, Any]:
    """The soak in `--keep` or in a temporary directory (removed afterwards)."""
    if args.keep:
        args.keep.mkdir(parents=True)
        return soak(args, args.keep)
    with tempfile.TemporaryDirectory(prefix="g6-soak-") as tmp:
        return soak(args, Path(tmp))


def main(argv: list[str] | None = None) -> int:
    """Run the soak, print the table, write `--json`; exit 1 on duplicates or stale rows."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=int, default=30, help="length of the soak window (>= 6, default 30)")
    parser.add_argument("--json", type=Path, help="also write the report here")
    parser.add_argument("--strikes", type=int, help="ATM ± this many strikes per expiry (default: the config's)")
    parser.add_argument("--keep", type=Path, help="work in this (new) directory and keep it")
    args = parser.parse_args(argv)
    schedule_for(args.minutes)  # refuses a window too short for the schedule
    try:
        with stop_signals():
            report = _soak_in(args)
    except Stopped as stop:
        print(f"soak: {stop}: dagster dev, its runs and the Kite server are stopped (exit {stop.exit_code})",
              file=sys.stderr)
        return stop.exit_code
    print(render(report))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, default=str))
    total = report["total"]
    bad = total["duplicate_rows"] + total["stale_rows"] + sum(report["csv_duplicates"].values())
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
