"""Black-Scholes-Merton and Black-76 prices, through the normalised Black function.

Every price here is written as

    price = D · ( max(θ(F − K), 0) + √(F·K) · b(x, s) ),    x = −|ln(F/K)|,  s = σ√t,

with D the discount factor, F the forward, θ = +1 for a call and −1 for a put, and b the normalised
price of the out-of-the-money call (put-call parity turns any option into intrinsic plus an OTM call on
x ≤ 0). Working on the OTM side keeps the time value, which carries all the information about σ, free
of the cancellation that ruins F·Φ(d1) − K·Φ(d2) in the wings.

b is evaluated as in Jäckel's "Let's Be Rational": with h = x/s and t = s/2,

    b = ½ · exp(−(h² + t²)/2) · [erfcx(−(h+t)/√2) − erfcx(−(h−t)/√2)]

(a single exponential, the bracket a difference of two smooth rational functions); for small t, where
that difference cancels, by Jäckel's expansion of the bracket in powers of t; and, where b is close to
its supremum e^{x/2} (h + t > 0.85), as Φ(h+t)·e^{x/2} − Φ(h−t)·e^{−x/2}. Checked against 40-digit
arithmetic, b is within 3e-14 relative wherever b > 1e-20 and within 3e-13 down to 1e-300 (Jäckel's
own implementation: ~1e-13). All public functions are pure numpy over broadcast arrays and never raise
for bad rows: they return NaN instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.special import erfcx, ndtr

FloatArray = npt.NDArray[np.float64]
ArrayLike = npt.ArrayLike

ONE_OVER_SQRT_TWO = 0.7071067811865475244008443621048490392848359376887
ONE_OVER_SQRT_TWO_PI = 0.3989422804014326779399460599343818684758586311649
SQRT_TWO_PI = 2.506628274631000502415765284811045253006986740610

_UPPER_REGION = 0.85
"""h + t above which b is evaluated from Φ directly (b is then at least ~80 % of e^{x/2})."""
_FAST_CDF_FLOOR = -25.0
"""h + t above which the fast evaluation uses the Φ form (two ndtr are cheaper than two erfcx)."""
_SMALL_T = 0.05
"""t = s/2 below which the accurate evaluation uses the twelfth-order expansion in t; above it the erfcx
difference is within 3e-14 of the exact value (the expansion itself holds up to t = 0.21)."""
_SQRT_PI_OVER_TWO = 1.253314137315500251207882642405522626503493370305

# Y(h+t) − Y(h−t) = 2t·Σ_k t^{2k}·(P_k(h²) + a·Q_k(h²)), Y = Φ/φ, a = 1 + h·Y(h) (Jäckel's small-t expansion,
# regrouped by powers of h²; coefficients low order first, already divided by (2k+1)!).
_SMALL_T_P: tuple[tuple[float, ...], ...] = tuple(
    tuple(c / d for c in coeffs)
    for coeffs, d in (
        ((-1.0,), 6.0),
        ((-7.0, -1.0), 120.0),
        ((-57.0, -18.0, -1.0), 5040.0),
        ((-561.0, -285.0, -33.0, -1.0), 362880.0),
        ((-6555.0, -4680.0, -840.0, -52.0, -1.0), 39916800.0),
        ((-89055.0, -82845.0, -20370.0, -1926.0, -75.0, -1.0), 6227020800.0),
    )
)
_SMALL_T_Q: tuple[tuple[float, ...], ...] = tuple(
    tuple(c / d for c in coeffs)
    for coeffs, d in (
        ((3.0, 1.0), 6.0),
        ((15.0, 10.0, 1.0), 120.0),
        ((105.0, 105.0, 21.0, 1.0), 5040.0),
        ((945.0, 1260.0, 378.0, 36.0, 1.0), 362880.0),
        ((10395.0, 17325.0, 6930.0, 990.0, 55.0, 1.0), 39916800.0),
        ((135135.0, 270270.0, 135135.0, 25740.0, 2145.0, 78.0, 1.0), 6227020800.0),
    )
)


def _horner(coeffs: tuple[float, ...], z: FloatArray) -> FloatArray:
    """Σ coeffs[j]·z^j."""
    acc = np.full_like(z, coeffs[-1])
    for c in coeffs[-2::-1]:
        acc *= z
        acc += c
    return acc


def _small_t_form(x: FloatArray, h: FloatArray, t: FloatArray, g: FloatArray) -> FloatArray:
    """b from the expansion of Y(h+t) − Y(h−t) in t (Jäckel); accurate to a few ulp for h ≤ 0, t < 0.21.

    Free of the cancellation that limits the erfcx difference to ~ε/t when t is small.
    `g` is exp(−(h² + t²)/2), shared with the vega.
    """
    a = erfcx(-ONE_OVER_SQRT_TWO * h)
    a *= _SQRT_PI_OVER_TWO * h
    a += 1.0
    w = t * t
    h2 = h * h
    series = _horner(_SMALL_T_P[-1], h2) + a * _horner(_SMALL_T_Q[-1], h2)
    for p_k, q_k in zip(_SMALL_T_P[-2::-1], _SMALL_T_Q[-2::-1], strict=True):
        series *= w
        series += _horner(p_k, h2)
        series += a * _horner(q_k, h2)
    series *= w
    series += a
    series *= (2.0 * ONE_OVER_SQRT_TWO_PI) * t
    series *= g
    return series


def _erfcx_form(x: FloatArray, h: FloatArray, t: FloatArray, g: FloatArray) -> FloatArray:
    """b from scaled complementary error functions; accurate for h + t ≤ 0.85 once t is not small."""
    a = h + t
    a *= -ONE_OVER_SQRT_TWO
    c = h - t
    c *= -ONE_OVER_SQRT_TWO
    erfcx(a, out=a)
    erfcx(c, out=c)
    a -= c
    a *= g
    a *= 0.5
    return a


def _cdf_form(x: FloatArray, h: FloatArray, t: FloatArray, g: FloatArray) -> FloatArray:
    """b from the normal distribution function; used where b is close to e^{x/2}."""
    e = np.exp(0.5 * x)
    return ndtr(h + t) * e - ndtr(h - t) / e


def normalised_black_and_vega(x: FloatArray, s: FloatArray, accurate: bool = True) -> tuple[FloatArray, FloatArray]:
    """(b(x, s), ∂b/∂s) for same-shape 1-d arrays with x ≤ 0 and 0 < s < ∞ (no limits; errors not silenced).

    ∂b/∂s = exp(−(h² + t²)/2)/√(2π) with h = x/s, t = s/2; the same exponential scales the erfcx and
    small-t forms of b, so it is computed once. `accurate=False` trades the last digits for speed (for
    iterates that a later step corrects): Φ form wherever Φ(h − t) cannot underflow, relative error up
    to ~1e-16·h²·|h|/s instead of ~1e-15.
    """
    h = x / s
    t = 0.5 * s
    g = h * h
    g += t * t
    g *= -0.5
    np.exp(g, out=g)
    vega = g * ONE_OVER_SQRT_TWO_PI
    if accurate:
        direct = h + t > _UPPER_REGION  # Φ form
        series = t < _SMALL_T  # small-t expansion (never Φ form: h ≤ 0 there)
    else:
        direct = h + t > _FAST_CDF_FLOOR
        series = np.zeros_like(direct)
    if not direct.any():
        if series.all():
            return np.maximum(_small_t_form(x, h, t, g), 0.0), vega
        if not series.any():
            return np.maximum(_erfcx_form(x, h, t, g), 0.0), vega
    elif direct.all():
        return np.maximum(_cdf_form(x, h, t, g), 0.0), vega
    b = np.empty_like(h)
    scaled = ~(direct | series)
    for form, sel in ((_erfcx_form, scaled), (_cdf_form, direct), (_small_t_form, series)):
        rows = np.flatnonzero(sel)
        if rows.size:
            b[rows] = form(x.take(rows), h.take(rows), t.take(rows), g.take(rows))
    return np.maximum(b, 0.0, out=b), vega


def normalised_black_unchecked(x: FloatArray, s: FloatArray, accurate: bool = True) -> FloatArray:
    """b(x, s) alone; see `normalised_black_and_vega`."""
    return normalised_black_and_vega(x, s, accurate)[0]


def normalised_black(x: FloatArray, s: FloatArray) -> FloatArray:
    """Normalised price b(x, s) of an out-of-the-money call, for x ≤ 0 and s ≥ 0 (same-shape 1-d arrays).

    b(x, s) = Φ(x/s + s/2)·e^{x/2} − Φ(x/s − s/2)·e^{−x/2}; b(x, 0) = 0 for x < 0 and b(x, ∞) = e^{x/2}.
    Relative accuracy is a few 1e-16 for typical arguments and better than 5e-13 wherever b > 1e-300.
    """
    with np.errstate(all="ignore"):
        b = normalised_black_unchecked(x, s)
        # s = 0 (h = −inf, or NaN at x = 0) and s = ∞ are limits, not numbers the formulas produce
        b[s == 0.0] = 0.0
        return np.where(np.isinf(s), np.exp(0.5 * x), b)


def normalised_vega(x: FloatArray, s: FloatArray) -> FloatArray:
    """∂b/∂s = exp(−(x²/s² + s²/4)/2) / √(2π), for x ≤ 0 and s > 0."""
    with np.errstate(all="ignore"):
        h = x / s
        q = h * h
        q += 0.25 * s * s
        q *= -0.5
        np.exp(q, out=q)
        q *= ONE_OVER_SQRT_TWO_PI
        return q


CHUNK_ROWS = 32768
"""Rows per pass of `run_chunked`: large enough to amortise the ~300 µs of Python per pass, small enough
for every temporary of a pass to stay in the CPU caches."""


def as_floats(*values: ArrayLike) -> list[FloatArray]:
    """Each value as a float64 array (the value itself when it already is one)."""
    return [np.asarray(v, dtype=np.float64) for v in values]


def run_chunked(
    kernel: Callable[..., None], args: Sequence[npt.NDArray[Any]], out_dtypes: Sequence[npt.DTypeLike]
) -> tuple[npt.NDArray[Any], ...]:
    """Broadcast `args`, run `kernel(*rows, out=outputs)` over chunks of `CHUNK_ROWS` rows, reassemble.

    An argument of one element stays a scalar (numpy broadcasts it for free), every other one becomes a
    flat column, so the kernel sees 1-d rows of equal length and writes its results into the `out` slices
    (one per dtype of `out_dtypes`). The outputs come back in the broadcast shape. Floating-point warnings
    are off: the kernels flag bad rows themselves.
    """
    shape = np.broadcast_shapes(*(a.shape for a in args))
    size = int(np.prod(shape))
    columns = [a.reshape(()) if a.size == 1 else np.broadcast_to(a, shape).ravel() for a in args]
    out = tuple(np.empty(size, dtype=dtype) for dtype in out_dtypes)
    with np.errstate(all="ignore"):
        for start in range(0, size, CHUNK_ROWS):
            stop = min(start + CHUNK_ROWS, size)
            n = stop - start
            rows = [col[start:stop] if col.ndim else np.broadcast_to(col, (n,)) for col in columns]
            kernel(*rows, out=tuple(o[start:stop] for o in out))
    return tuple(o.reshape(shape) for o in out)


def black76_price(
    forward: ArrayLike,
    strike: ArrayLike,
    t: ArrayLike,
    rate: ArrayLike,
    vol: ArrayLike,
    is_call: ArrayLike,
) -> FloatArray:
    """Black-76 price of a European option on a forward: D·(θF·Φ(θd1) − θK·Φ(θd2)), D = e^{−rt}.

    All arguments broadcast; `t` in years, `vol` a fraction, `is_call` boolean. σ = 0 or t = 0 give the
    (discounted) intrinsic value; non-finite, negative or non-positive-price inputs give NaN.
    """
    f, k, tt, r, v, c = np.broadcast_arrays(*as_floats(forward, strike, t, rate, vol), np.asarray(is_call, dtype=bool))
    with np.errstate(all="ignore"):
        discount = np.exp(-r * tt)
        return _price_from_forward(f, k, tt, discount, v, c)


def bs_price(
    spot: ArrayLike,
    strike: ArrayLike,
    t: ArrayLike,
    rate: ArrayLike,
    vol: ArrayLike,
    is_call: ArrayLike,
    dividend_yield: ArrayLike = 0.0,
) -> FloatArray:
    """Black-Scholes-Merton price; equal to Black-76 on the forward F = S·e^{(r−q)t} with D = e^{−rt}.

    All arguments broadcast; `t` in years, `rate` and `dividend_yield` continuously compounded, `vol` a
    fraction, `is_call` boolean. σ = 0 or t = 0 give the discounted intrinsic value of the forward (t = 0:
    max(θ(S − K), 0)); non-finite or out-of-domain inputs give NaN. Never raises for bad rows.
    """
    s0, k, tt, r, v, c, q = np.broadcast_arrays(
        *as_floats(spot, strike, t, rate, vol), np.asarray(is_call, dtype=bool), *as_floats(dividend_yield)
    )
    with np.errstate(all="ignore"):
        forward = s0 * np.exp((r - q) * tt)
        discount = np.exp(-r * tt)
        return _price_from_forward(forward, k, tt, discount, v, c)


def _price_from_forward(
    f: FloatArray, k: FloatArray, t: FloatArray, discount: FloatArray, vol: FloatArray, is_call: npt.NDArray[np.bool_]
) -> FloatArray:
    theta = np.where(is_call, 1.0, -1.0)
    intrinsic = np.maximum(theta * (f - k), 0.0)
    x = -np.abs(np.log(f / k))
    s = vol * np.sqrt(t)
    shape = np.shape(x)
    b = normalised_black(np.ravel(x), np.ravel(s)).reshape(shape)
    price = discount * (intrinsic + np.sqrt(f) * np.sqrt(k) * b)
    bad = ~(np.isfinite(f) & np.isfinite(k) & np.isfinite(t) & np.isfinite(discount) & np.isfinite(vol))
    bad |= (f <= 0.0) | (k <= 0.0) | (t < 0.0) | (vol < 0.0)
    return np.where(bad, np.nan, price)
