"""The terminal summary: plain, one-shot and Rich modes, and files that are missing or half-written."""

from __future__ import annotations

import io
import json
import os
import signal
import sys
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pexpect
import pytest

from g6_pipeline.core.clock import IST
from g6_pipeline.core.report import IndexOutcome
from g6_pipeline.live import publish
from g6_pipeline.live.numbers import NumberFormat
from g6_pipeline.live.summary import SummaryStyle, run_summary
from g6_pipeline.live.view_state import Selection, load_state
from g6_pipeline_tests.live.builders import BASE_MINUTE, SPOTS, make_report, make_settings, ok_outcome

REPO = Path(__file__).resolve().parents[2]
GENERATED = BASE_MINUTE + timedelta(seconds=7)


def _once(data_dir: Path, now: datetime, stale_after: float = 180.0) -> tuple[int, str]:
    out = io.StringIO()
    code = run_summary(data_dir, stale_after, once=True, rich=False, out=out, clock=lambda: now)
    return code, out.getvalue()


def _row(text: str, index: str) -> list[str]:
    return next(line.split() for line in text.splitlines() if line.startswith(index + " "))


def test_once_plain_shows_every_index_row(tmp_path: Path) -> None:
    outcomes = {name: ok_outcome(name, BASE_MINUTE) for name in SPOTS}
    outcomes["FINNIFTY"] = IndexOutcome("FINNIFTY", "failed", error="quote timed out", legs_expected=42)
    publish(make_report(outcomes=outcomes), make_settings(str(tmp_path)), str(tmp_path), now=GENERATED)

    code, text = _once(tmp_path, GENERATED + timedelta(seconds=20))
    assert code == 0
    assert "live, updated 10:15:07" in text
    # the day change needs the previous close, which these chains do not carry
    assert _row(text, "NIFTY")[:6] == ["NIFTY", "ok", f"{SPOTS['NIFTY']:,.2f}", "-", "23s", "42/42"]
    assert _row(text, "SENSEX")[:3] == ["SENSEX", "ok", f"{SPOTS['SENSEX']:,.2f}"]
    finnifty = _row(text, "FINNIFTY")
    assert finnifty[:3] == ["FINNIFTY", "failed", "-"]  # no price shown for a failed index
    assert "quote timed out" in text
    assert "FINNIFTY: no good data yet" in text  # the stale alert
    assert "parquet: ok, 168 rows" in text
    assert "\x1b[" not in text  # plain means no escape sequences


def test_upstream_control_characters_reach_neither_the_status_file_nor_the_summary(tmp_path: Path) -> None:
    outcomes = {name: ok_outcome(name, BASE_MINUTE) for name in SPOTS}
    forged = "quote timed out\x1b[2J\r\nINFO all indices collected"
    outcomes["FINNIFTY"] = IndexOutcome("FINNIFTY", "failed", error=forged, legs_expected=42)
    publish(make_report(outcomes=outcomes), make_settings(str(tmp_path)), str(tmp_path), now=GENERATED)

    raw = (tmp_path / "runtime_status.json").read_text(encoding="utf-8")
    error = json.loads(raw)["indices"]["FINNIFTY"]["error"]
    assert error.startswith("quote timed out") and "INFO all indices collected" in error
    assert not {"\x1b", "\r", "\n"} & set(error)
    assert "\\u001b" not in raw and "\\r" not in raw

    _, text = _once(tmp_path, GENERATED + timedelta(seconds=20))
    assert "\x1b" not in text and "\r" not in text
    assert not any(line.startswith("INFO") for line in text.splitlines()), "the error forged a line of its own"
    assert "quote timed out" in text


@pytest.mark.parametrize(("grouping", "ltp", "max_pain"), [("indian", "1,23,456.78", "1,23,600"),
                                                          ("western", "123,456.78", "123,600")])
def test_numbers_are_grouped_in_the_configured_style(tmp_path: Path, grouping: str, ltp: str, max_pain: str) -> None:
    outcomes = {name: ok_outcome(name, BASE_MINUTE) for name in SPOTS}
    outcomes["SENSEX"] = ok_outcome("SENSEX", BASE_MINUTE, spot=123456.78)  # ATM 1,23,500, max pain 100 above
    publish(make_report(outcomes=outcomes), make_settings(str(tmp_path)), str(tmp_path), now=GENERATED)
    out = io.StringIO()
    style = SummaryStyle(NumberFormat(grouping))  # type: ignore[arg-type]
    run_summary(tmp_path, 180.0, once=True, rich=False, out=out, clock=lambda: GENERATED, style=style)
    sensex = _row(out.getvalue(), "SENSEX")
    assert sensex[2] == ltp and sensex[-1] == max_pain


def test_the_header_says_simulated_for_a_simulated_market(tmp_path: Path) -> None:
    now = GENERATED + timedelta(seconds=20)
    publish(make_report(), make_settings(str(tmp_path)), str(tmp_path), now=GENERATED)  # collected by the synthetic provider
    assert "SIMULATED market data" in _once(tmp_path, now)[1].splitlines()[0]

    publish(replace(make_report(), provider="kite"), make_settings(str(tmp_path)), str(tmp_path), now=GENERATED)
    assert "SIMULATED" not in _once(tmp_path, now)[1]
    out = io.StringIO()  # a simulated provider configured, and nothing collected yet
    run_summary(tmp_path / "empty", 180.0, once=True, rich=False, out=out, clock=lambda: now,
                style=SummaryStyle(simulated=True))  # fmt: skip
    assert "SIMULATED market data" in out.getvalue() and "no data yet" in out.getvalue()


def test_once_reports_stale_data_with_its_time_and_fails(tmp_path: Path) -> None:
    publish(make_report(), make_settings(str(tmp_path)), str(tmp_path), now=GENERATED)
    code, text = _once(tmp_path, GENERATED + timedelta(minutes=30))
    assert code == 1
    assert "stale since 10:15" in text
    assert _row(text, "NIFTY")[1] == "ok"


def test_no_data_yet_when_nothing_was_written(tmp_path: Path) -> None:
    code, text = _once(tmp_path, GENERATED)
    assert code == 1
    assert "no data yet" in text


def test_half_written_files_do_not_crash(tmp_path: Path) -> None:
    publish(make_report(), make_settings(str(tmp_path)), str(tmp_path), now=GENERATED)
    status = tmp_path / "runtime_status.json"
    good = load_state(tmp_path)
    full = status.read_text(encoding="utf-8")
    status.write_text(full[: len(full) // 2], encoding="utf-8")
    (tmp_path / "panels" / "analytics.json").write_text('{"panel": "analytics", "da', encoding="utf-8")

    code, text = _once(tmp_path, GENERATED)
    assert code == 1
    assert "no data yet (runtime_status.json is not valid JSON" in text

    # a refreshing view keeps its last good read and says why
    kept = load_state(tmp_path, previous=good)
    assert kept.status == good.status and kept.problem is not None

    status.write_text(full, encoding="utf-8")
    code, text = _once(tmp_path, GENERATED)
    assert code == 0
    assert "ANALYTICS (near expiry)\n  no data yet" in text  # the broken panel only


def test_plain_refresh_prints_a_block_only_when_the_status_changes(tmp_path: Path) -> None:
    publish(make_report(), make_settings(str(tmp_path)), str(tmp_path), now=GENERATED)
    out = io.StringIO()
    run_summary(tmp_path, 180.0, refresh=0.01, rich=False, out=out, clock=lambda: GENERATED, max_updates=4)
    assert out.getvalue().count("INDEX ") == 1


def _ignore_sigint() -> None:
    """What a shell does to the children of `cmd &` (and so of `nohup make test &`)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.mark.slow
@pytest.mark.parametrize("stop", ["ctrl-c", "SIGTERM"])
def test_rich_summary_in_a_real_terminal(tmp_path: Path, stop: str) -> None:
    settings = make_settings(str(tmp_path))
    now = datetime.now(IST)
    minute = now.replace(second=0, microsecond=0)
    publish(make_report(minute), settings, settings.data_dir, now=now)
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    env = {**os.environ, "G6_CONFIG_DIR": str(config_dir), "G6_DATA_DIR": str(tmp_path),
           "PYTHONPATH": str(REPO), "TERM": "xterm-256color"}
    # started as a background shell starts it (SIGINT ignored): Ctrl-C must still end it
    child = pexpect.spawn(sys.executable, ["-m", "g6_pipeline.cli.main", "summary", "--refresh", "0.3"], env=env,
                          cwd=str(tmp_path), dimensions=(60, 150), encoding="utf-8", timeout=120,
                          codec_errors="replace",  # the terminal's ^C echo may land inside a box-drawing character
                          preexec_fn=_ignore_sigint)
    try:
        child.expect("SIMULATED market data")
        child.expect("Underlyings")
        for name in SPOTS:
            child.expect(name)
        child.expect(f"{SPOTS['NIFTY']:,.2f}")
        outcomes = {name: ok_outcome(name, minute + timedelta(minutes=1)) for name in SPOTS}
        outcomes["NIFTY"] = ok_outcome("NIFTY", minute + timedelta(minutes=1), spot=22512.75)
        publish(make_report(minute + timedelta(minutes=1), outcomes), settings, settings.data_dir, now=datetime.now(IST))
        child.expect("22,512.75")
        child.expect("cycle 2")
        if stop == "ctrl-c":
            child.sendintr()
        else:
            child.kill(signal.SIGTERM)
        child.expect(pexpect.EOF)
        child.wait()
    finally:
        child.close(force=True)
    assert child.exitstatus == 0


def test_many_underlyings_stay_one_screen_problems_first(tmp_path: Path) -> None:
    stocks = ["RELIANCE", "TCS", "INFY", "HDFCBANK", "ICICIBANK", "SBIN", "ITC", "LT", "AXISBANK", "KOTAKBANK",
              "BAJFINANCE", "MARUTI", "TITAN", "WIPRO", "ONGC", "NTPC", "TATASTEEL", "HINDALCO", "CIPLA", "DRREDDY"]
    outcomes = {name: ok_outcome(name, BASE_MINUTE) for name in SPOTS}
    outcomes.update({name: ok_outcome(name, BASE_MINUTE, spot=1000.0 + i) for i, name in enumerate(stocks)})
    outcomes["WIPRO"] = IndexOutcome("WIPRO", "skipped", error="skipped: the minute's quote time ran out")
    outcomes["SBIN"] = IndexOutcome("SBIN", "failed", error="quote timed out", legs_expected=44)
    publish(make_report(outcomes=outcomes), make_settings(str(tmp_path)), str(tmp_path), now=GENERATED)
    state_now = GENERATED + timedelta(seconds=20)

    def page(selection: Selection) -> str:
        out = io.StringIO()
        style = SummaryStyle(selection=selection)
        run_summary(tmp_path, 180.0, once=True, rich=False, out=out, clock=lambda: state_now, style=style)
        return out.getvalue()

    def listed(text: str) -> list[str]:
        return [line.split()[0] for line in text.splitlines()
                if line.split() and line.split()[0] in outcomes and not line.startswith("  ")]

    first = page(Selection(per_page=10))
    assert listed(first)[:2] == ["SBIN", "WIPRO"] and len(listed(first)) == 10  # problems first, then by priority
    assert listed(first)[2:6] == list(SPOTS)
    assert "underlyings 1-10 of 24 (sorted by status, problems first) · page 1 of 3; 24 in all" in first
    last = page(Selection(per_page=10, page=9))  # beyond the end: the last page
    assert len(listed(last)) == 4 and "underlyings 21-24 of 24" in last
    banks = page(Selection(sort="name", match="bank", per_page=10))
    assert listed(banks) == ["AXISBANK", "BANKNIFTY", "HDFCBANK", "ICICIBANK", "KOTAKBANK"]
    assert "of 5 matching 'bank' (sorted by name) · page 1 of 1; 24 in all" in banks
    assert listed(page(Selection(match="skipped"))) == ["WIPRO"]


def test_the_analytics_show_the_iv_rank_with_the_history_it_rests_on_and_the_gamma_exposure(tmp_path: Path) -> None:
    outcomes = {name: ok_outcome(name, BASE_MINUTE) for name in ("NIFTY", "SENSEX")}
    for name, figures in (("NIFTY", {"iv_rank": 45.4, "iv_percentile": 59.6, "iv_history": 212,
                                     "iv_history_source": "collected+bhavcopy", "gex": 2.5e9}),
                          ("SENSEX", {"iv_rank": float("nan"), "iv_percentile": float("nan"), "iv_history": 3,
                                      "iv_history_source": "bhavcopy", "gex": -1.234e8})):
        chain = outcomes[name].chain
        assert chain is not None
        chain.overview.update({f"{k}_this_week": v for k, v in figures.items()})
    publish(make_report(outcomes=outcomes), make_settings(str(tmp_path)), str(tmp_path), now=GENERATED)
    _, text = _once(tmp_path, GENERATED + timedelta(seconds=20))
    nifty = next(line for line in text.splitlines() if line.startswith("  NIFTY "))
    # 45.4 and 59.6 rounded; ₹2.5e9 is 250 crore
    assert nifty.endswith("IVR/IVP 45/60 collected+bhavcopy  GEX ₹+250.0 cr/1%")
    sensex = next(line for line in text.splitlines() if line.startswith("  SENSEX "))
    assert sensex.endswith("IVR/IVP - (3 bhavcopy closes)  GEX ₹-12.3 cr/1%")
