"""The initial guess of the implied-volatility solver: Jäckel's transformed rational cubic interpolation.

Reference: P. Jäckel, "Let's Be Rational", Wilmott (2015), sections 3–5. On the normalised price b(s) of an
OTM call (x ≤ 0) three nodes are placed: the inflection point s_c = √(2|x|) and the points s_l < s_c < s_u
where the tangent at s_c meets 0 and e^{x/2}. Between the nodes s(β) is interpolated by a shape-preserving
rational cubic (Delbourgo–Gregory); below s_l and above s_u the interpolation runs on transformed prices
(f_lower, f_upper) whose inverse is explicit. The result is within a few per cent of the root everywhere,
so that two third-order Householder steps (`iv.py`) reach machine precision.

Everything is vectorised: each element picks its segment with masks, never with Python branches.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.special import ndtr, ndtri

from g6_pipeline.analytics.black import (
    ONE_OVER_SQRT_TWO_PI,
    SQRT_TWO_PI,
    FloatArray,
    normalised_black_and_vega,
)

BoolArray = npt.NDArray[np.bool_]

_EPS = float(np.finfo(np.float64).eps)
_DBL_MAX = float(np.finfo(np.float64).max)
_SQRT_DBL_MAX = float(np.sqrt(_DBL_MAX))
_R_MIN = -(1.0 - np.sqrt(_EPS))
_R_MAX = 2.0 / (_EPS * _EPS)
_SQRT_THREE = 1.732050807568877293527446341505872366942805253810
_TWO_PI_OVER_SQRT_27 = 1.209199576156145233729385505094770488189377498728
_PI_OVER_SIX = 0.523598775598298873077107230546583814032861566563
_TWO_PI = 6.283185307179586476925286766559005768394338798750
_SQRT_PI_OVER_TWO = 1.253314137315500251207882642405522626503493370305

# Objective used by the Householder iteration, per element.
LOWER = 0
"""g(s) = 1/ln b(s) − 1/ln β: the lowest segment, where b is exponentially small."""
MIDDLE = 1
"""g(s) = b(s) − β."""
UPPER = 2
"""g(s) = ln(b_max − β) − ln(b_max − b(s)): the highest segment, where b approaches e^{x/2}."""


@dataclass(frozen=True)
class Guess:
    """Initial normalised volatility s = σ√t and the objective each element is refined with."""

    s: FloatArray
    objective: npt.NDArray[np.int8]
    b_max: FloatArray
    """e^{x/2}, the supremum of b, which the iteration needs too."""


def _minimum_control(d_l: FloatArray, d_r: FloatArray, slope: FloatArray, prefer_shape: bool) -> FloatArray:
    """Smallest control parameter keeping the interpolant monotone and convex/concave (D–G (3.8), (3.18)).

    All three segments of the guess interpolate monotone data (d_l, d_r and the slope share a sign), so
    the monotonicity floor (3.8) always applies. `prefer_shape` forces linear interpolation (r = ∞)
    where convexity cannot be kept.
    """
    spread = d_r - d_l
    to_left = slope - d_l
    to_right = d_r - slope
    curved = to_left * to_right >= 0  # convex (d_l ≤ slope ≤ d_r) or concave
    r2 = np.abs(spread) / np.minimum(np.abs(to_left), np.abs(to_right))
    r2 = np.where(curved, r2, np.inf if prefer_shape else -np.inf)
    # fmax: 0/0 in a degenerate interval is NaN and must not win
    return np.fmax(np.fmax((d_r + d_l) / slope, r2), _R_MIN)


def _control(
    h: FloatArray, slope: FloatArray, d_l: FloatArray, d_r: FloatArray, second: FloatArray | float,
    right_side: bool, prefer_shape: bool,
) -> FloatArray:
    """Control parameter fitting a second derivative at the right (or left) end, floored for shape."""
    spread = d_r - d_l
    numerator = spread if isinstance(second, float) and second == 0.0 else 0.5 * h * second + spread
    denominator = (d_r - slope) if right_side else (slope - d_l)
    return np.fmax(numerator / denominator, _minimum_control(d_l, d_r, slope, prefer_shape))


def _rational_cubic(
    t: FloatArray, h: FloatArray, y_l: FloatArray, y_r: FloatArray, d_l: FloatArray, d_r: FloatArray,
    r: FloatArray,
) -> FloatArray:
    """Delbourgo–Gregory rational cubic at t = (x − x_l)/h through y_l, y_r with end slopes d_l, d_r.

    The form is symmetric: swapping the ends (h → −h, t → 1 − t) gives the same curve. r ≥ 2/ε² is linear.
    """
    omt = 1.0 - t
    t_omt = t * omt
    cubic = (y_r * t + (r * y_r - h * d_r) * omt) * (t * t)
    cubic += ((r * y_l + h * d_l) * t + y_l * omt) * (omt * omt)
    cubic /= 1.0 + (r - 3.0) * t_omt
    return np.where(r >= _R_MAX, y_r * t + y_l * omt, cubic)


def _lower_segment(beta: FloatArray, x: FloatArray, s_l: FloatArray, b_l: FloatArray) -> FloatArray:
    """Guess for β < b(s_l), interpolating f = (2π/√27)|x|·Φ(−|x|/(√3 s))³, which is close to linear in β.

    The rational cubic runs from f(0) = 0 with f'(0) = 1 to f(b_l), matching f' and f'' there (the
    general `_control`/`_rational_cubic` with x_l = y_l = 0 and d_l = 1 written out).
    """
    ax = -x
    z = ax / (_SQRT_THREE * s_l)
    y = z * z
    s2 = s_l * s_l
    cdf = ndtr(-z)
    cdf2 = cdf * cdf
    grow = np.exp(y + 0.125 * s2)
    fp = _TWO_PI * y * cdf2 * grow
    cdf_over_pdf = SQRT_TWO_PI * cdf * np.exp(0.5 * y)
    fpp = (8.0 * _SQRT_THREE * s_l * ax + (3.0 * s2 * (s2 - 8.0) - 8.0 * x * x) * cdf_over_pdf) * (grow * grow)
    fpp *= _PI_OVER_SIX * y / (s2 * s_l) * cdf
    f_l = _TWO_PI_OVER_SQRT_27 * ax * (cdf2 * cdf)
    slope = f_l / b_l
    r = np.fmax((0.5 * b_l * fpp + (fp - 1.0)) / (fp - slope), _minimum_control(np.ones_like(fp), fp, slope, True))
    u = beta / b_l
    omt = 1.0 - u
    f = (f_l * u + (r * f_l - b_l * fp) * omt) * (u * u) + b_l * u * (omt * omt)
    f /= 1.0 + (r - 3.0) * u * omt
    f = np.where(r >= _R_MAX, f_l * u, f)
    # Round-off can spoil the cubic for extreme |x|; fall back to the quadratic with f(0) = 0, f'(0) = 1.
    f = np.where(f > 0, f, (f_l * u + b_l * omt) * u)
    root = np.cbrt(f / (_TWO_PI_OVER_SQRT_27 * ax))
    return np.abs(x / (_SQRT_THREE * ndtri(root)))


def _upper_segment(beta: FloatArray, x: FloatArray, s_u: FloatArray, b_u: FloatArray, b_max: FloatArray) -> FloatArray:
    """Guess for β > b(s_u), interpolating f = Φ(−s/2), which vanishes linearly as β → e^{x/2}.

    The interpolation runs from f(b_u) (matching f' and f'') to f(b_max) = 0 with f'(b_max) = −1/2.
    """
    f_u = ndtr(-0.5 * s_u)
    w = (x / s_u) ** 2
    fp = -0.5 * np.exp(0.5 * w)
    fpp = _SQRT_PI_OVER_TWO * np.exp(w + 0.125 * s_u * s_u) * w / s_u
    span = b_max - b_u
    half = np.full_like(beta, -0.5)
    r = _control(span, -f_u / span, fp, half, fpp, right_side=False, prefer_shape=True)
    u = (beta - b_u) / span
    f = _rational_cubic(u, span, f_u, np.zeros_like(beta), fp, half, r)
    f = np.where(np.abs(fpp) < _SQRT_DBL_MAX, f, -1.0)
    # Quadratic with f(b_u), f(b_max) = 0 and f'(b_max) = −1/2 where the cubic is unusable.
    f = np.where(f > 0, f, (f_u * (1.0 - u) + 0.5 * span * u) * (1.0 - u))
    return -2.0 * ndtri(f)


def initial_guess(beta: FloatArray, x: FloatArray) -> Guess:
    """Initial s = σ√t for normalised OTM call prices 0 < β < e^{x/2}, x ≤ 0 (same-shape 1-d arrays)."""
    with np.errstate(all="ignore"):
        b_max = np.exp(0.5 * x)
        s_c = np.sqrt(-2.0 * x)
        # b(x, s_c) in closed form: h + t = 0 at the inflection point.
        b_c = 0.5 * b_max - ndtr(-s_c) / b_max
        v_c = ONE_OVER_SQRT_TWO_PI * b_max
        below = beta < b_c
        s_1 = np.where(below, s_c - b_c / v_c, s_c + (b_max - b_c) / v_c)
        b_1, v_1 = normalised_black_and_vega(x, s_1, accurate=False)
        lowest = below & (beta < b_1)
        highest = ~below & (beta > b_1)

        # Middle segments: s(β) between (b_1, s_1) and (b_c, s_c), slopes 1/b'(s), zero curvature at s_c.
        # With the s_c end always on the right (h < 0 above s_c), one formula serves both sides.
        h = b_c - b_1
        d_l = 1.0 / v_1
        d_r = 1.0 / v_c
        slope = (s_c - s_1) / h
        r = _control(h, slope, d_l, d_r, 0.0, right_side=True, prefer_shape=False)
        s = _rational_cubic((beta - b_1) / h, h, s_1, s_c, d_l, d_r, r)

        objective = np.full(beta.shape, MIDDLE, dtype=np.int8)
        if lowest.any():
            rows = np.flatnonzero(lowest)
            s[rows] = _lower_segment(beta.take(rows), x.take(rows), s_1.take(rows), b_1.take(rows))
            objective[rows] = LOWER
        if highest.any():
            s[highest] = _upper_segment(beta[highest], x[highest], s_1[highest], b_1[highest], b_max[highest])
            objective[highest & (beta > 0.5 * b_max)] = UPPER
        return Guess(s=s, objective=objective, b_max=b_max)
