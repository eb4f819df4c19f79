"""Implied volatility: vectorised, exact to the last digits, and NaN (with a reason) where none exists.

Each option is reduced to an out-of-the-money call on the normalised price scale (see `black.py`):

    A = D·F (discounted forward), C = D·K (discounted strike), θ = ±1,
    time value  v = price − max(θ(A − C), 0),     β = v / √(A·C),     x = −|ln(A/C)|,

and the normalised volatility s = σ√t solving b(x, s) = β is found with Jäckel's "Let's Be Rational"
scheme: a rational initial guess (`rational_guess.py`) and two third-order Householder steps on a
transformed objective. A row whose second step was not negligible (extreme moneyness, subnormal prices)
continues with a bracketed iteration, so every valid row returns the σ that reproduces its price.

A price has no implied volatility when it is at or below the discounted intrinsic value A − C (call) /
C − A (put), or at or above the no-arbitrage bound A (call) / C (put); such rows are NaN with a status
code, as are non-finite or non-positive inputs and t ≤ 0. Nothing is clamped and nothing raises.
Rows are processed in chunks so that every temporary stays in the CPU cache.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np
import numpy.typing as npt

from g6_pipeline.analytics.black import (
    ArrayLike,
    FloatArray,
    as_floats,
    normalised_black_and_vega,
    run_chunked,
)
from g6_pipeline.analytics.rational_guess import LOWER, UPPER, initial_guess


class IVStatus(IntEnum):
    """Why an implied volatility is what it is; the code indexes its name in `core.schema.IV_STATUSES`."""

    OK = 0
    BELOW_INTRINSIC = 1
    ABOVE_BOUND = 2
    BAD_INPUT = 3
    EXPIRED = 4
    STALE = 5
    """Not solved: the leg's quote had not advanced (set by enrichment, never by the solvers)."""



StatusArray = npt.NDArray[np.int8]
BoolArray = npt.NDArray[np.bool_]

_EPS = float(np.finfo(np.float64).eps)
_ACCEPT = 1e-5
"""Relative size of the second Householder step below which a row is converged: the third-order step
after it would be of order (1e-5)⁴, far beyond machine precision."""
_MAX_EXTRA_ITERATIONS = 100


def _householder_step(
    beta: FloatArray, x: FloatArray, s: FloatArray, objective: npt.NDArray[np.int8], ln_beta: FloatArray,
    ln_gap_beta: FloatArray, b_max: FloatArray, accurate: bool = True,
) -> tuple[FloatArray, FloatArray]:
    """One third-order Householder step on g(s) = φ(b(s)) − φ(β); returns (step, b(s)).

    Only the last step needs b to full accuracy: any error of an earlier step is removed by the next one.

    φ is 1/ln b (LOWER), b (MIDDLE) or −ln(b_max − b) (UPPER). Write φ″/φ′ = c2·w and φ‴/φ′ = c3·w²:
    MIDDLE w = 0; LOWER w = 1/b, c2 = −(1 + 2/ln b), c3 = 2 + 6/ln b·(1 + 1/ln b); UPPER w = 1/(b_max − b),
    c2 = 1, c3 = 2. Then g″/g′ = b″/b′ + c2·w·b′ and g‴/g′ = b‴/b′ + c3·(w·b′)² + 3·c2·w·b′·b″/b′, where
    b″/b′ = x²/s³ − s/4 and b‴/b′ = (b″/b′)² − 3x²/s⁴ − 1/4.
    """
    b, bp = normalised_black_and_vega(x, s, accurate)
    x_over_s2 = x / (s * s)
    b_halley = x * x_over_s2
    b_halley /= s
    b_halley -= 0.25 * s
    b_hh3 = b_halley * b_halley
    x_over_s2 *= x_over_s2
    x_over_s2 *= 3.0
    b_hh3 -= x_over_s2
    b_hh3 -= 0.25
    numerator = beta - b  # −g/φ′(b), i.e. the Newton step times b′
    halley, hh3 = b_halley, b_hh3
    lower = objective == LOWER
    if lower.any():
        ln_b = np.log(b)
        inv_ln_b = 1.0 / ln_b
        wb = bp / b
        c2wb = (-1.0 - 2.0 * inv_ln_b) * wb
        c3 = 2.0 + 6.0 * inv_ln_b * (1.0 + inv_ln_b)
        numerator = np.where(lower, (ln_beta - ln_b) * b * ln_b / ln_beta, numerator)
        halley = np.where(lower, b_halley + c2wb, halley)
        hh3 = np.where(lower, b_hh3 + c3 * wb * wb + 3.0 * c2wb * b_halley, hh3)
    upper = objective == UPPER
    if upper.any():
        gap = b_max - b
        wb = bp / gap
        numerator = np.where(upper, (np.log(gap) - ln_gap_beta) * gap, numerator)
        halley = np.where(upper, b_halley + wb, halley)
        hh3 = np.where(upper, b_hh3 + 2.0 * wb * wb + 3.0 * wb * b_halley, hh3)
    newton = numerator / bp
    # step = newton·(1 + halley·newton/2) / (1 + newton·(halley + hh3·newton/6))
    denominator = hh3 * newton
    denominator *= 1.0 / 6.0
    denominator += halley
    denominator *= newton
    denominator += 1.0
    step = halley * newton
    step *= 0.5
    step += 1.0
    step *= newton
    step /= denominator
    return np.maximum(step, -0.5 * s, out=step), b


def _bracketed(beta: FloatArray, x: FloatArray, s: FloatArray, objective: npt.NDArray[np.int8]) -> FloatArray:
    """Continue the iteration inside a bracket [lo, hi] of the root, bisecting whenever a step leaves it."""
    b_max = np.exp(0.5 * x)
    ln_beta = np.log(beta)
    ln_gap_beta = np.log(b_max - beta)
    lo = np.zeros_like(s)
    hi = np.full_like(s, np.inf)
    s = np.where(np.isfinite(s) & (s > 0), s, 1.0)
    active = np.ones(s.shape, dtype=bool)
    for _ in range(_MAX_EXTRA_ITERATIONS):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        si = s[idx]
        step, b = _householder_step(beta[idx], x[idx], si, objective[idx], ln_beta[idx], ln_gap_beta[idx], b_max[idx])
        above = b > beta[idx]
        li = np.where(above, lo[idx], np.maximum(lo[idx], si))
        hh = np.where(above, np.minimum(hi[idx], si), hi[idx])
        lo[idx] = li
        hi[idx] = hh
        proposal = si + step
        inside = np.isfinite(proposal) & (proposal > li) & (proposal < hh)
        bisect = np.where(
            np.isinf(hh),
            2.0 * si,
            np.where(li <= 0, 0.5 * hh, np.where(hh > 4.0 * li, np.sqrt(li * hh), 0.5 * (li + hh))),
        )
        s[idx] = np.where(inside, proposal, bisect)
        done = (inside & (np.abs(step) <= 4.0 * _EPS * si)) | (np.isfinite(hh) & (hh - li <= 4.0 * _EPS * hh))
        active[idx] = ~done
    return s


def normalised_implied_vol(beta: FloatArray, x: FloatArray) -> FloatArray:
    """s = σ√t with b(x, s) = β, for same-shape 1-d arrays x ≤ 0 and 0 < β < e^{x/2} (not checked)."""
    with np.errstate(all="ignore"):
        guess = initial_guess(beta, x)
        s, objective, b_max = guess.s, guess.objective, guess.b_max
        ln_beta = np.log(beta)
        ln_gap_beta = np.log(b_max - beta) if (objective == UPPER).any() else b_max
        step, _ = _householder_step(beta, x, s, objective, ln_beta, ln_gap_beta, b_max, accurate=False)
        s = s + step
        step, _ = _householder_step(beta, x, s, objective, ln_beta, ln_gap_beta, b_max)
        s += step
        unsettled = ~(np.abs(step) <= _ACCEPT * s)
        if unsettled.any():
            s[unsettled] = _bracketed(beta[unsettled], x[unsettled], s[unsettled], objective[unsettled])
        return s


def _solve_discounted(
    price: FloatArray, a: FloatArray, c: FloatArray, t: FloatArray, is_call: BoolArray
) -> tuple[FloatArray, StatusArray]:
    """Classify and solve one chunk given discounted forward A and discounted strike C (1-d arrays).

    Every input reaches A, C, price or t, so one finiteness test of their sum catches any NaN or ±inf
    (a sum beyond 1e308 is flagged too, which no real quote is).
    """
    good = np.isfinite(price + a + c + t) & (price > 0) & (a > 0) & (c > 0)
    live = good & (t > 0)
    value = price - np.maximum(np.where(is_call, a - c, c - a), 0.0)
    beta = value / (np.sqrt(a) * np.sqrt(c))
    x = -np.abs(np.log(a / c))
    positive = beta > 0
    ok = live & positive & (value < np.minimum(a, c)) & (beta < np.exp(0.5 * x))
    if ok.all():
        return normalised_implied_vol(beta, x) / np.sqrt(t), np.zeros(price.shape, dtype=np.int8)
    status = np.full(price.shape, IVStatus.BAD_INPUT, dtype=np.int8)
    status[good & ~live] = IVStatus.EXPIRED
    status[live & ~positive] = IVStatus.BELOW_INTRINSIC
    status[live & positive & ~ok] = IVStatus.ABOVE_BOUND
    status[ok] = IVStatus.OK
    vol = np.full(price.shape, np.nan)
    if ok.any():
        rows = np.flatnonzero(ok)
        vol[rows] = normalised_implied_vol(beta.take(rows), x.take(rows)) / np.sqrt(t.take(rows))
    return vol, status


def _bsm_chunk(
    price: FloatArray, spot: FloatArray, strike: FloatArray, t: FloatArray, rate: FloatArray, q: FloatArray,
    is_call: BoolArray, out: tuple[FloatArray, StatusArray],
) -> None:
    out[0][...], out[1][...] = _solve_discounted(price, spot * np.exp(-q * t), strike * np.exp(-rate * t), t, is_call)


def _black76_chunk(
    price: FloatArray, forward: FloatArray, strike: FloatArray, t: FloatArray, rate: FloatArray, is_call: BoolArray,
    out: tuple[FloatArray, StatusArray],
) -> None:
    discount = np.exp(-rate * t)
    out[0][...], out[1][...] = _solve_discounted(price, forward * discount, strike * discount, t, is_call)


def implied_vol_with_status(
    price: ArrayLike,
    spot: ArrayLike,
    strike: ArrayLike,
    t: ArrayLike,
    rate: ArrayLike,
    is_call: ArrayLike,
    dividend_yield: ArrayLike = 0.0,
) -> tuple[FloatArray, StatusArray]:
    """Black-Scholes-Merton implied volatility and an `IVStatus` code per row.

    Arguments broadcast against each other; `t` in years (ACT/365), `rate` and `dividend_yield`
    continuously compounded, `is_call` boolean. Returns (σ as a fraction, int8 status) of the broadcast
    shape; σ is NaN exactly where the status is not `IVStatus.OK`.
    """
    args = [*as_floats(price, spot, strike, t, rate, dividend_yield), np.asarray(is_call, dtype=bool)]
    vol, status = run_chunked(_bsm_chunk, args, (np.float64, np.int8))
    return vol, status


def implied_vol(
    price: ArrayLike,
    spot: ArrayLike,
    strike: ArrayLike,
    t: ArrayLike,
    rate: ArrayLike,
    is_call: ArrayLike,
    dividend_yield: ArrayLike = 0.0,
) -> FloatArray:
    """Black-Scholes-Merton implied volatility (a fraction), NaN wherever no volatility reproduces the price.

    Equivalent to Black-76 on F = S·e^{(r−q)t} discounted at e^{−rt}. All arguments broadcast; `t` in
    years, `is_call` boolean. NaN for: price at or below the discounted intrinsic value, at or above the
    upper bound (S·e^{−qt} for a call, K·e^{−rt} for a put), non-positive or non-finite inputs, t ≤ 0.
    Elsewhere the result reproduces the price to ~1e-12 relative wherever vega is not negligible.
    """
    return implied_vol_with_status(price, spot, strike, t, rate, is_call, dividend_yield)[0]


def implied_vol_black76_with_status(
    price: ArrayLike,
    forward: ArrayLike,
    strike: ArrayLike,
    t: ArrayLike,
    rate: ArrayLike,
    is_call: ArrayLike,
) -> tuple[FloatArray, StatusArray]:
    """Black-76 implied volatility on a forward (discount e^{−rt}) and an `IVStatus` code per row."""
    args = [*as_floats(price, forward, strike, t, rate), np.asarray(is_call, dtype=bool)]
    vol, status = run_chunked(_black76_chunk, args, (np.float64, np.int8))
    return vol, status


def implied_vol_black76(
    price: ArrayLike,
    forward: ArrayLike,
    strike: ArrayLike,
    t: ArrayLike,
    rate: ArrayLike,
    is_call: ArrayLike,
) -> FloatArray:
    """Black-76 implied volatility on a forward, discounted at e^{−rt}; NaN where none exists."""
    return implied_vol_black76_with_status(price, forward, strike, t, rate, is_call)[0]
