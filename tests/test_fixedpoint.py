"""TFLite's fixed-point requantization against its reference rules written as exact rational
arithmetic (fractions.Fraction), including negative values and exact ties: the high multiply
rounds to nearest with ties toward +∞ (gemmlowp's nudge of 1 − 2^30 for negative products), the
power-of-two divide rounds to nearest with ties away from zero."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from npukit.runtime.fixedpoint import (
    INT32_MAX,
    INT32_MIN,
    multiply_by_quantized_multiplier,
    quantize_multiplier,
    rounding_divide_by_pot,
    saturating_rounding_doubling_high_mul,
)


def round_half_away(q: Fraction) -> int:
    n = abs(q)
    whole = int(n)
    if n - whole >= Fraction(1, 2):
        whole += 1
    return whole if q >= 0 else -whole


def round_half_up(q: Fraction) -> int:
    """Nearest integer, ties toward +∞."""
    return math.floor(q + Fraction(1, 2))


def spec_requantize(x: int, multiplier: int, shift: int) -> int:
    """The spec's two roundings: high multiply (saturating), then divide by a power of two."""
    left, right = max(shift, 0), max(-shift, 0)
    a = x * 2**left
    high = round_half_up(Fraction(a * multiplier, 2**31))  # a multiplier is positive: no saturation
    return round_half_away(Fraction(high, 2**right))


@pytest.mark.parametrize(
    ("real", "expected"),
    [
        (0.5, (1 << 30, 0)),
        (1.0, (1 << 30, 1)),
        (0.25, (1 << 30, -1)),
        (0.75, (3 << 29, 0)),
        (2.0, (1 << 30, 2)),
        (0.0, (0, 0)),
        (2.0**-40, (0, 0)),
    ],
)
def test_quantize_multiplier_known_values(real: float, expected: tuple[int, int]) -> None:
    assert quantize_multiplier(real) == expected


@pytest.mark.parametrize("real", [1e-6, 0.0037, 0.1, 0.3333333, 0.999999999, 1.7, 123.4])
def test_quantize_multiplier_represents_the_real_value(real: float) -> None:
    multiplier, shift = quantize_multiplier(real)
    assert 2**30 <= multiplier < 2**31
    assert abs(Fraction(multiplier) * Fraction(2) ** (shift - 31) - Fraction(real)) <= Fraction(2) ** (shift - 32)


def test_rounding_divide_by_pot_ties_go_away_from_zero() -> None:
    x = np.array([5, -5, 6, -6, 7, -7, 4, -4, 0, -1, 1, 3, -3])
    assert rounding_divide_by_pot(x, 1).tolist() == [3, -3, 3, -3, 4, -4, 2, -2, 0, -1, 1, 2, -2]
    assert rounding_divide_by_pot(np.array([12, -12, 10, -10, 11, -11]), 3).tolist() == [2, -2, 1, -1, 1, -1]


def test_high_mul_saturates_and_rounds() -> None:
    assert saturating_rounding_doubling_high_mul(np.array([INT32_MIN]), INT32_MIN).tolist() == [INT32_MAX]
    half = 1 << 30  # 0.5 in Q31: a·0.5, ties toward +∞
    assert saturating_rounding_doubling_high_mul(np.array([3, -3, 1, -1, 4, -4]), half).tolist() == [2, -1, 1, 0, 2, -2]


def test_requantization_equals_the_exact_two_step_rounding() -> None:
    rng = np.random.default_rng(0)
    xs = np.concatenate([rng.integers(-(2**24), 2**24, 2000), [0, 1, -1, 2**20, -(2**20), INT32_MAX, INT32_MIN]])
    for real in [0.00392156, 0.0123, 0.5, 0.75, 0.999, 1.5, 3.25]:
        multiplier, shift = quantize_multiplier(real)
        domain = xs[np.abs(xs * 2 ** max(shift, 0)) <= INT32_MAX]  # x·2^shift must fit int32, as in TFLite
        ours = multiply_by_quantized_multiplier(domain, multiplier, shift)
        expected = [spec_requantize(int(x), multiplier, shift) for x in domain]
        assert ours.tolist() == expected, real


def test_exact_ties() -> None:
    multiplier, shift = quantize_multiplier(0.5)  # no shift: the high multiply's ties (toward +∞)
    odd = np.array([1, 3, 5, -1, -3, -5, 101, -101])
    assert multiply_by_quantized_multiplier(odd, multiplier, shift).tolist() == [1, 2, 3, 0, -1, -2, 51, -50]
    multiplier, shift = quantize_multiplier(0.125)  # x/8: the divide's ties (away from zero) at x ≡ 4 (mod 8)
    assert multiply_by_quantized_multiplier(np.array([4, -4, 12, -12, 20]), multiplier, shift).tolist() == [
        1,
        -1,
        2,
        -2,
        3,
    ]
