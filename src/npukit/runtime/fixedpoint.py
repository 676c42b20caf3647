"""Fixed-point requantization as the TFLite int8 spec (and gemmlowp) defines it.

A real multiplier M (0 < M, typically < 1) is stored as a Q31 integer `multiplier` in
[2^30, 2^31) and a power-of-two `shift`: M = multiplier · 2^(shift − 31). Applying it to an
int32 accumulator x is two roundings:

    SaturatingRoundingDoublingHighMul(x · 2^max(shift, 0), multiplier)   x·2^l·m / 2^31, to nearest,
        ties toward +∞ (gemmlowp's nudge is 2^30 for a product ≥ 0 and 1 − 2^30 below)
    RoundingDivideByPOT(·, max(−shift, 0))                              · / 2^r, to nearest, ties
        away from zero

All functions work on NumPy int64 arrays elementwise (int32 values inside), vectorized.
"""

from __future__ import annotations

import math

import numpy as np

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1


def quantize_multiplier(real: float) -> tuple[int, int]:
    """(multiplier, shift) with real = multiplier · 2^(shift − 31), multiplier in [2^30, 2^31)."""
    if real == 0.0:
        return 0, 0
    if not math.isfinite(real) or real < 0:
        raise ValueError(f"a requantization multiplier must be finite and positive, not {real}")
    fraction, shift = math.frexp(real)  # real = fraction · 2^shift, fraction in [0.5, 1)
    multiplier = round(fraction * 2**31)  # Python's round is half to even; ties cannot occur here in practice
    if multiplier == 2**31:
        multiplier //= 2
        shift += 1
    if shift < -31:  # too small to represent: the multiplier flushes to zero (as TFLite does)
        return 0, 0
    return multiplier, shift


def saturating_rounding_doubling_high_mul(a: np.ndarray, b: int) -> np.ndarray:
    """(a · b · 2) / 2^32 to nearest, ties toward +∞; INT32_MIN · INT32_MIN saturates."""
    a = np.asarray(a, dtype=np.int64)
    ab = a * np.int64(b)
    nudge = np.where(ab >= 0, np.int64(1 << 30), np.int64(1 - (1 << 30)))
    total = ab + nudge
    result = np.where(total >= 0, total >> 31, -((-total) >> 31))  # C++ division truncates toward zero
    overflow = (a == INT32_MIN) & (b == INT32_MIN)
    return np.where(overflow, INT32_MAX, result)


def rounding_divide_by_pot(x: np.ndarray, exponent: int) -> np.ndarray:
    """x / 2^exponent rounded half away from zero (gemmlowp's RoundingDivideByPOT)."""
    if not 0 <= exponent <= 31:
        raise ValueError(f"exponent must be in [0, 31], not {exponent}")
    x = np.asarray(x, dtype=np.int64)
    mask = np.int64((1 << exponent) - 1)
    remainder = x & mask
    threshold = (mask >> 1) + (x < 0)
    return (x >> exponent) + (remainder > threshold)


def multiply_by_quantized_multiplier(x: np.ndarray, multiplier: int, shift: int) -> np.ndarray:
    """x · multiplier · 2^(shift − 31), rounded as TFLite's MultiplyByQuantizedMultiplier.

    As there, x · 2^max(shift, 0) must fit in int32 (a multiplier above 1 with a large x overflows)."""
    left, right = max(shift, 0), max(-shift, 0)
    scaled = np.asarray(x, dtype=np.int64) * np.int64(1 << left)
    return rounding_divide_by_pot(saturating_rounding_doubling_high_mul(scaled, multiplier), right)
