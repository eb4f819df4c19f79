"""How fast are G6's implied volatility, Greeks and chain analytics, against the libraries traders know?

Times on one set of random options (market-like: spot 10,000–80,000, strikes within ±25 % in log terms,
t from 1 hour to 1 year, σ 5–100 %, every price at least one tick of 0.05 in time value):
  - g6 `implied_vol` on all of them, vs vollib (pure-Python Let's Be Rational, on a subsample, scaled),
    py_vollib_vectorized (numba Let's Be Rational) and QuantLib (subsample);
  - g6 `greeks` vs vollib's analytical Greeks (subsample) and py_vollib_vectorized's `get_all_greeks`;
  - one minute of chain analytics as the collection cycle runs it: `enrich_many` for 4 indices × 4 expiries
    × 41 strikes × 2 sides (and `enrich` per index, the cycle's fallback when the joint pass fails).
It also reports the accuracy reached (repricing error, distance to vollib's IV). Run on one core:

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 NUMBA_NUM_THREADS=1 \\
        taskset -c 0 .venv/bin/python benchmarks/bench_iv.py
"""

from __future__ import annotations

import argparse
import importlib
import math
import os
import statistics
import time
import types
import warnings
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from g6_pipeline.analytics import (  # noqa: E402
    black76_price,
    bs_price,
    enrich,
    enrich_many,
    greeks,
    implied_vol,
    implied_vol_with_status,
)
from g6_pipeline.core.clock import IST  # noqa: E402
from g6_pipeline.core.snapshot import LEG_COLUMNS, ChainSnapshot, SessionReference  # noqa: E402

Options = dict[str, np.ndarray]


def market_options(n: int, seed: int) -> Options:
    """n valid option quotes in the market-like domain described in the module docstring."""
    rng = np.random.default_rng(seed)
    parts: list[Options] = []
    have = 0
    while have < n:
        m = 2 * n
        spot = rng.uniform(10_000, 80_000, m)
        strike = np.round(spot * np.exp(rng.uniform(-0.25, 0.25, m)), 0)
        t = np.exp(rng.uniform(math.log(1 / (365 * 24)), 0.0, m))
        vol = np.exp(rng.uniform(math.log(0.05), 0.0, m))
        rate = rng.uniform(0.05, 0.08, m)
        q = rng.uniform(0.0, 0.02, m)
        call = rng.random(m) < 0.5
        price = bs_price(spot, strike, t, rate, vol, call, q)
        a, c = spot * np.exp(-q * t), strike * np.exp(-rate * t)
        intrinsic = np.maximum(np.where(call, a - c, c - a), 0.0)
        keep = (price - intrinsic >= 0.05) & (price < np.where(call, a, c))
        parts.append({k: v[keep] for k, v in dict(price=price, spot=spot, strike=strike, t=t, rate=rate, q=q,
                                                   call=call, vol=vol).items()})
        have += int(keep.sum())
    return {k: np.concatenate([p[k] for p in parts])[:n] for k in parts[0]}


def load_py_vollib_vectorized() -> tuple[Any, str]:
    """py_vollib_vectorized if it can solve one option, else (None, why).

    Version 0.1.1 calls into py_lets_be_rational, cody_special and piecewise_rational from numba code,
    but their current releases no longer compile those helpers with numba, so its first call fails to
    type. When that happens the helpers are compiled here (numba.njit, no change to their code) and the
    import retried; the note says so in the output.
    """
    os.environ["PY_LETS_BE_RATIONAL_ENABLE_NUMBA"] = "1"
    try:
        import numba
    except ImportError:
        return None, "numba not installed"
    note = ""
    try:
        jitted: dict[Any, Any] = {}
        for module_name in ("cody_special.erf_cody", "cody_special.normaldistribution", "piecewise_rational.rationalcubic"):
            module = importlib.import_module(module_name)
            for name, obj in list(vars(module).items()):
                if isinstance(obj, types.FunctionType):
                    if obj.__module__ == module.__name__ and obj not in jitted:
                        jitted[obj] = numba.njit(obj)
                    if obj in jitted:
                        setattr(module, name, jitted[obj])
        for module_name in ("cody_special", "py_lets_be_rational.lets_be_rational"):
            module = importlib.import_module(module_name)
            for name, obj in list(vars(module).items()):
                if isinstance(obj, types.FunctionType) and obj in jitted:
                    setattr(module, name, jitted[obj])
        note = "(its pure-Python helpers compiled with numba.njit by this script)"
    except ImportError:
        pass
    try:
        import py_vollib_vectorized as pvv

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pvv.vectorized_implied_volatility(np.array([5.0]), np.array([100.0]), np.array([100.0]), np.array([0.5]),
                                              np.array([0.05]), np.array(["c"]), q=np.array([0.0]),
                                              model="black_scholes_merton", return_as="numpy")
    except Exception as exc:
        return None, f"unusable here: {type(exc).__name__}"
    return pvv, note


def best_of(repeat: int, fn: Callable[[], object]) -> float:
    """Fastest wall time of `repeat` runs, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def rate_line(name: str, count: int, seconds: float, base: float | None = None) -> float:
    per_second = count / seconds
    ratio = f"   ×{base / per_second:,.1f} slower than g6" if base else ""
    print(f"  {name:<44} {per_second / 1e6:9.3f} M/s  ({count:,} in {seconds:.3f} s){ratio}")
    return per_second


def bench_iv(o: Options, repeat: int, sample: int) -> None:
    n = len(o["price"])
    print(f"Implied volatility, {n:,} options")
    args = (o["price"], o["spot"], o["strike"], o["t"], o["rate"], o["call"], o["q"])
    ours = rate_line("g6 implied_vol (numpy)", n, best_of(repeat, lambda: implied_vol(*args)))
    vol, status = implied_vol_with_status(*args)
    repriced = bs_price(o["spot"], o["strike"], o["t"], o["rate"], vol, o["call"], o["q"])
    err = np.abs(repriced - o["price"]) / o["price"]
    print(f"    all solved: {bool((status == 0).all())}; repricing error max {err.max():.1e}, "
          f"median {np.median(err):.1e}; max |σ/σ_true − 1| {np.max(np.abs(vol / o['vol'] - 1)):.1e}")

    from vollib.black_scholes_merton.implied_volatility import implied_volatility as vollib_iv

    idx = np.arange(min(sample, n))
    flags = np.where(o["call"], "c", "p")
    rows = [(float(o["price"][i]), float(o["spot"][i]), float(o["strike"][i]), float(o["t"][i]),
             float(o["rate"][i]), float(o["q"][i]), str(flags[i])) for i in idx]
    start = time.perf_counter()
    ref = np.array([vollib_iv(*row) for row in rows])
    rate_line(f"vollib (pure Python LBR, {len(idx):,} sample)", len(idx), time.perf_counter() - start, ours)
    print(f"    max |σ_g6 − σ_vollib| / σ on the sample: {np.max(np.abs(vol[idx] / ref - 1)):.1e}")

    try:
        import QuantLib as ql  # noqa: N813

        calls = [ql.Option.Call if c else ql.Option.Put for c in o["call"][idx]]
        forward = o["spot"] * np.exp((o["rate"] - o["q"]) * o["t"])
        discount = np.exp(-o["rate"] * o["t"])
        root_t = np.sqrt(o["t"])
        ql_args = [(calls[i], float(o["strike"][i]), float(forward[i]), float(o["price"][i]), float(discount[i]),
                    0.0, 0.2, 1e-12, 200) for i in idx]

        def ql_run() -> list[float]:
            return [ql.blackFormulaImpliedStdDev(*a) / root_t[j] for j, a in enumerate(ql_args)]

        rate_line(f"QuantLib blackFormulaImpliedStdDev ({len(idx):,})", len(idx), best_of(1, ql_run), ours)
    except ImportError:
        print("  QuantLib not installed")

    bench_pvv_iv(o, repeat, ours)


def bench_pvv_iv(o: Options, repeat: int, ours: float) -> None:
    """py_vollib_vectorized's implied volatility on the same options, when it runs here."""
    pvv, note = load_py_vollib_vectorized()
    if pvv is None:
        print(f"  py_vollib_vectorized {note}")
        return
    n = len(o["price"])
    flag = np.where(o["call"], "c", "p")

    def pvv_run() -> np.ndarray:
        return pvv.vectorized_implied_volatility(o["price"], o["spot"], o["strike"], o["t"], o["rate"], flag,
                                                 q=o["q"], model="black_scholes_merton", return_as="numpy")

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pvv_run()  # compile
        seconds = best_of(repeat, pvv_run)
    rate_line("py_vollib_vectorized (numba LBR)", n, seconds, ours)
    if note:
        print(f"    {note.strip()}")
    t_zero = o["t"][:1000].copy()
    t_zero[0] = 0.0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pvv.vectorized_implied_volatility(o["price"][:1000], o["spot"][:1000], o["strike"][:1000], t_zero,
                                              o["rate"][:1000], flag[:1000], q=o["q"][:1000],
                                              model="black_scholes_merton", return_as="numpy")
        behaviour = "returns"
    except Exception as exc:  # its behaviour on a single t = 0 row, for the record
        behaviour = f"raises {type(exc).__name__} for the whole batch"
    print(f"    py_vollib_vectorized with one t = 0 row among 1,000: {behaviour}")


def bench_greeks(o: Options, repeat: int, sample: int) -> None:
    n = len(o["price"])
    print(f"Greeks (delta, gamma, vega, theta, rho), {n:,} options")
    args = (o["spot"], o["strike"], o["t"], o["rate"], o["vol"], o["call"], o["q"])
    ours = rate_line("g6 greeks (numpy)", n, best_of(repeat, lambda: greeks(*args)))

    from vollib.black_scholes_merton.greeks import analytical

    idx = np.arange(min(sample, n))
    flags = np.where(o["call"], "c", "p")
    rows = [(str(flags[i]), float(o["spot"][i]), float(o["strike"][i]), float(o["t"][i]), float(o["rate"][i]),
             float(o["vol"][i]), float(o["q"][i])) for i in idx]
    fns = (analytical.delta, analytical.gamma, analytical.vega, analytical.theta, analytical.rho)
    start = time.perf_counter()
    for row in rows:
        for fn in fns:
            fn(*row)
    rate_line(f"vollib analytical ({len(idx):,} sample)", len(idx), time.perf_counter() - start, ours)
    pvv, _ = load_py_vollib_vectorized()
    if pvv is not None:

        def pvv_run() -> object:
            return pvv.get_all_greeks(flags, o["spot"], o["strike"], o["t"], o["rate"], o["vol"], o["q"],
                                      model="black_scholes_merton", return_as="dict")

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pvv_run()
            rate_line("py_vollib_vectorized get_all_greeks", n, best_of(repeat, pvv_run), ours)


def minute_of_chains(seed: int) -> tuple[list[ChainSnapshot], dict[str, SessionReference]]:
    """4 indices × 4 expiries × 41 strikes × 2 sides, priced on a smile, with previous-close data."""
    rng = np.random.default_rng(seed)
    now = datetime(2026, 3, 3, 11, 0, tzinfo=IST)
    expiries = {"this_week": date(2026, 3, 10), "next_week": date(2026, 3, 17), "this_month": date(2026, 3, 31),
                "next_month": date(2026, 4, 28)}
    snapshots, references = [], {}
    for index, spot, step in (("NIFTY", 24_000.0, 50.0), ("BANKNIFTY", 52_000.0, 100.0),
                              ("FINNIFTY", 23_500.0, 50.0), ("SENSEX", 79_000.0, 100.0)):
        frames = []
        for tag, expiry in expiries.items():
            t = ((datetime.combine(expiry, datetime.min.time(), IST) - now).total_seconds() + 15.5 * 3600) / (365 * 86400)
            forward = spot * math.exp(0.055 * t)
            atm = round(forward / step) * step
            strikes = atm + step * np.arange(-20, 21)
            k = np.repeat(strikes, 2)
            call = np.tile([True, False], 41)
            vol = 0.13 + 0.8 * np.log(k / forward) ** 2
            price = np.maximum(np.round(black76_price(forward, k, t, 0.065, vol, call) / 0.05) * 0.05, 0.05)
            symbol = [f"{index}{expiry:%y%m%d}{int(s)}{'CE' if c else 'PE'}" for s, c in zip(k, call, strict=True)]
            frames.append(pd.DataFrame({
                "instrument_token": rng.integers(1, 10**9, 82), "tradingsymbol": symbol, "expiry": [expiry] * 82,
                "expiry_tag": tag, "strike": k, "side": np.where(call, "CE", "PE"), "lot_size": 65,
                "last_price": price, "bid": price - 0.05, "ask": price + 0.05, "bid_qty": 650.0, "ask_qty": 975.0,
                "volume": rng.integers(0, 10**6, 82).astype(float), "oi": rng.integers(0, 10**7, 82).astype(float),
                "average_price": price * 1.01, "prev_close": price * rng.uniform(0.8, 1.2, 82),
            }))
        legs = pd.concat(frames, ignore_index=True)[list(LEG_COLUMNS)]
        snapshots.append(ChainSnapshot(index=index, timestamp=now, fetched_at=now, spot=spot, legs=legs,
                                       expiries=expiries, spot_prev_close=spot * 0.995, spot_high=spot * 1.004,
                                       spot_low=spot * 0.997))
        previous = legs[["tradingsymbol", "last_price", "oi"]].assign(oi=legs["oi"] * 0.9)
        references[index] = SessionReference(prev_close_legs=previous, prev_close_straddle=dict.fromkeys(expiries, 300.0),
                                             day_open_straddle=dict.fromkeys(expiries, 310.0), day_open_spot=spot)
    return snapshots, references


def bench_chain(repeat: int, seed: int) -> None:
    snapshots, references = minute_of_chains(seed)
    legs = sum(len(s.legs) for s in snapshots)
    print(f"Chain analytics for one minute: {len(snapshots)} indices, {legs:,} legs")

    def together() -> None:
        enrich_many(snapshots, 0.065, references)

    def one_by_one() -> None:
        for s in snapshots:
            enrich(s, 0.065, references[s.index])

    for name, minute in (("enrich_many", together), ("enrich × 4", one_by_one)):
        minute()
        times = []
        for _ in range(max(repeat, 1) * 10):
            start = time.perf_counter()
            minute()
            times.append(time.perf_counter() - start)
        print(f"  {name:<30} median {statistics.median(times) * 1e3:6.2f} ms, best {min(times) * 1e3:6.2f} ms "
              f"over {len(times)} runs (goal < 10 ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="options in the random set")
    parser.add_argument("--sample", type=int, default=20_000, help="subsample for the pure-Python references")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per vectorised measurement (best kept)")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    print(f"numpy {np.__version__}, one process; affinity {sorted(os.sched_getaffinity(0))}")
    options = market_options(args.n, args.seed)
    bench_iv(options, args.repeat, args.sample)
    bench_greeks(options, args.repeat, args.sample)
    bench_chain(args.repeat, args.seed)


if __name__ == "__main__":
    main()
