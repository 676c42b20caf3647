"""Requantization written as ONNX nodes: integer sums back to the output's integer type.

Two modes, both exact in npukit's runtime and in ONNX Runtime (graph optimizations off):

- "float" (ONNX Runtime's own requantization): y = round(float32(acc) · M) + zero point, with
  M = float32(input scale · weight scale) / output scale in float32, written as
  DequantizeLinear(acc, M) → [rounding] → QuantizeLinear(·, 1, zero point). DequantizeLinear makes
  exactly one float32 product; QuantizeLinear rounds half to even and saturates. Other roundings
  (half away from zero, half up) are Abs/Sign/Floor nodes before it.
- "fixedpoint" (the TFLite int8 spec): M = multiplier · 2^(shift − 31); the accumulator is
  multiplied in int64 and divided with the spec's two roundings (Mul, Where, Div, ... on int64).
  Adds follow TFLite's scheme: inputs shifted left by 20 bits (15 for int16), each rescaled, summed,
  rescaled.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from npukit.compress.emit import Emitter
from npukit.compress.qparams import QParams
from npukit.runtime.fixedpoint import quantize_multiplier

ADD_LEFT_SHIFT = {8: 20, 16: 15}  # TFLite's headroom for rescaled addends, by container bits (int64 never overflows)
INT64 = 7  # ONNX element type


@dataclass(frozen=True)
class Term:
    """An integer tensor to rescale: real = (tensor − zero_point) · in_scale · extra_scale.

    `extra_scale` is the weights' per-channel scale for an accumulator, 1/count for a pooled sum."""

    name: str
    in_scale: np.ndarray
    extra_scale: np.ndarray | float = 1.0
    zero_point: int = 0
    dtype: str = "int32"  # of the tensor (a zero point is written in it)
    rank: int = 4  # of the tensor; per-channel values run along axis 1


def float_multiplier(t: Term, out: QParams) -> np.ndarray:
    """M in float32, multiplied then divided in ONNX Runtime's order (QLinearConv's output scale)."""
    scale = np.float32(t.in_scale) * np.asarray(t.extra_scale, np.float32)
    return (scale / np.float32(out.scale)).astype(np.float32)


def real_multiplier(t: Term, out: QParams) -> np.ndarray:
    """M in float64 from the float32 scales (TFLite's double arithmetic)."""
    return np.float64(t.in_scale) * np.asarray(t.extra_scale, np.float64) / np.float64(out.scale)


def channel_shape(values: np.ndarray, rank: int) -> tuple[int, ...]:
    """A per-channel constant's shape to broadcast along axis 1 of a rank-`rank` tensor."""
    return () if values.size == 1 else (values.size, *(1,) * (rank - 2))


def requantize(e: Emitter, terms: list[Term], out: QParams, bounds: tuple[int, int], name: str) -> str:
    """Emit the nodes that take Σ terms to `out`'s integer type, clamped to `bounds`; returns the tensor."""
    if e.config.requant == "float":
        return requantize_float(e, terms, out, bounds, name)
    return requantize_fixed(e, terms, out, bounds, name)


def requantize_float(e: Emitter, terms: list[Term], out: QParams, bounds: tuple[int, int], name: str) -> str:
    scaled = []
    for i, t in enumerate(terms):
        m = float_multiplier(t, out)
        inputs = [t.name, e.const(f"{name}.m{i}", m.reshape(-1) if m.size > 1 else m.reshape(()))]
        if t.zero_point:
            inputs.append(e.const(f"{name}.zp{i}", np.asarray(t.zero_point, t.dtype)))
        scaled.append(e.node("DequantizeLinear", inputs, f"{name}.scaled{i}", axis=1))
    y = scaled[0]
    for i, other in enumerate(scaled[1:], 1):
        y = e.node("Add", [y, other], f"{name}.sum{i}")
    y = round_float(e, y, name)
    one = e.const(f"{name}.one", np.asarray(1.0, np.float32))
    narrower = bounds != container_range(out.qtype.container)
    zero = e.const(f"{name}.zp", out.zero_point)
    q = e.node("QuantizeLinear", [y, one, zero], f"{name}.requant" if narrower else name)
    return clip(e, q, bounds, out.qtype.container, name) if narrower else q


def container_range(dtype: str) -> tuple[int, int]:
    info = np.iinfo(dtype)
    return int(info.min), int(info.max)


def round_float(e: Emitter, y: str, name: str) -> str:
    """Round-half-to-even is QuantizeLinear's own; the other rules become integers here first."""
    if e.config.rounding == "half_even":
        return y
    half = e.const(f"{name}.half", np.asarray(0.5, np.float32))
    if e.config.rounding == "half_up":
        return e.node("Floor", [e.node("Add", [y, half], f"{name}.plus_half")], f"{name}.rounded")
    magnitude = e.node("Floor", [e.node("Add", [e.node("Abs", [y], f"{name}.abs"), half], f"{name}.plus_half")],
                       f"{name}.floor")
    return e.node("Mul", [e.node("Sign", [y], f"{name}.sign"), magnitude], f"{name}.rounded")


def clip(e: Emitter, x: str, bounds: tuple[int, int], dtype: str, name: str) -> str:
    lo, hi = (e.const(f"{name}.{k}", np.asarray(v, dtype)) for k, v in zip(("lo", "hi"), bounds, strict=True))
    return e.node("Clip", [x, lo, hi], name)


def requantize_fixed(e: Emitter, terms: list[Term], out: QParams, bounds: tuple[int, int], name: str) -> str:
    if len(terms) == 1:
        acc = multiply_by_quantized_multiplier(e, centered(e, terms[0], 0, f"{name}.x"), real_multiplier(terms[0], out),
                                               terms[0].rank, f"{name}.mbqm")
    else:  # TFLite's Add: headroom of 20 bits, each input to twice the largest input scale, then the output
        twice_max = 2 * max(float(t.in_scale) for t in terms)
        left_shift = ADD_LEFT_SHIFT[8 if out.qtype.bits <= 8 else 16]
        parts = [multiply_by_quantized_multiplier(e, centered(e, t, left_shift, f"{name}.x{i}"),
                                                  np.float64(t.in_scale) / twice_max, t.rank, f"{name}.in{i}")
                 for i, t in enumerate(terms)]
        acc = parts[0]
        for i, other in enumerate(parts[1:], 1):
            acc = e.node("Add", [acc, other], f"{name}.sum{i}")
        real = np.float64(twice_max) / (2.0**left_shift * np.float64(out.scale))
        acc = multiply_by_quantized_multiplier(e, acc, real, 2, f"{name}.out")
    shifted = e.node("Add", [acc, e.const(f"{name}.zp", np.asarray(int(out.zero_point), np.int64))], f"{name}.plus_zp")
    clamped = clip(e, shifted, bounds, "int64", f"{name}.clamp")
    return e.node("Cast", [clamped], name, to=e.onnx_type(out.qtype.container))


def centered(e: Emitter, t: Term, left_shift: int, name: str) -> str:
    """(tensor − zero point) · 2^left_shift in int64."""
    x = e.node("Cast", [t.name], f"{name}.int64", to=INT64)
    if t.zero_point:
        x = e.node("Sub", [x, e.const(f"{name}.zp", np.asarray(t.zero_point, np.int64))], f"{name}.centered")
    if left_shift:
        x = e.node("Mul", [x, e.const(f"{name}.shift", np.asarray(1 << left_shift, np.int64))], f"{name}.shifted")
    return x


def multiply_by_quantized_multiplier(e: Emitter, x: str, real: np.ndarray, rank: int, name: str) -> str:
    """TFLite's MultiplyByQuantizedMultiplier on int64 nodes (per channel along axis 1 when `real` is a vector):
    x · multiplier · 2^left, rounded to nearest (ties toward +∞) at 2^31, then divided by 2^right rounding
    half away from zero. The left shift is folded into the multiplier (exact while x · 2^left fits int32,
    which the spec requires)."""
    real = np.asarray(real, np.float64)
    pairs = [quantize_multiplier(float(r)) for r in real.reshape(-1)]
    shape = channel_shape(real, rank)
    multiplier = np.array([m << max(s, 0) for m, s in pairs], np.int64).reshape(shape)
    right = np.array([max(-s, 0) for _, s in pairs], np.int64).reshape(shape)
    product = e.node("Mul", [x, e.const(f"{name}.multiplier", multiplier)], f"{name}.product")
    non_negative = e.node("GreaterOrEqual", [product, e.const(f"{name}.zero", np.asarray(0, np.int64))],
                          f"{name}.non_negative")
    nudge = e.node("Where", [non_negative, e.const(f"{name}.up", np.asarray(1 << 30, np.int64)),
                             e.const(f"{name}.down", np.asarray(1 - (1 << 30), np.int64))], f"{name}.nudge")
    nudged = e.node("Add", [product, nudge], f"{name}.nudged")
    high = e.node("Div", [nudged, e.const(f"{name}.q31", np.asarray(1 << 31, np.int64))], f"{name}.high")
    if not right.any():
        return high
    half = np.where(right > 0, np.left_shift(1, np.maximum(right - 1, 0)), 0).astype(np.int64)
    magnitude = e.node("Add", [e.node("Abs", [high], f"{name}.abs"), e.const(f"{name}.half", half)],
                       f"{name}.plus_half")
    divided = e.node("Div", [magnitude, e.const(f"{name}.pot", np.left_shift(np.int64(1), right))], f"{name}.divided")
    return e.node("Mul", [divided, e.node("Sign", [high], f"{name}.sign")], f"{name}.rounded")
