"""Kernels of ONNX Runtime's com.microsoft QLinearAdd, QLinearMul, QLinearAveragePool, QLinearGlobalAveragePool
and QLinearConcat, bit-exact with ORT's CPU kernels on x86-64 with AVX2 (int8 and uint8, per-tensor scales).

ORT does not requantize these ops as ONNX's QLinearConv does; each has its own float32 arithmetic (MLAS's
vector kernels), reproduced here operation by operation: scale ratios computed once in float32, fused
multiply-adds where MLAS's AVX2 kernel uses them (QLinearAdd; its SSE2 and ARM kernels round differently),
the zero point added before or after rounding as ORT does, integer sums for the global average pool, a
256-entry table for QLinearConcat. Rounding is to nearest, ties to even (x86's cvtps2dq under the default MXCSR).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from npukit.ir.ops.window import window
from npukit.runtime.kernels.pool import average_pool, pooled, reduce_taps
from npukit.runtime.kernels.qlinear_lookup import lookup
from npukit.runtime.kernels.quant import centered, dequantize_linear, per_tensor, saturate_to
from npukit.runtime.kernels.quant import fused_multiply_add as fma

F32 = np.float32


def nearest_int32(v: np.ndarray) -> np.ndarray:
    """float32 → int32 rounded half to even, as x86's cvtps2dq (and C's (int32_t)nearbyintf): a value
    outside int32, or NaN, becomes INT32_MIN (the "integer indefinite"), which then saturates low."""
    r = np.rint(np.asarray(v, np.float64))
    inside = (r >= -(2.0**31)) & (r < 2.0**31)
    return np.where(inside, r, -(2.0**31)).astype(np.int64)


def out_type(zero_point: np.ndarray | None, x: np.ndarray) -> np.dtype:
    """The output type: the output zero point's, else the operand's; int8 or uint8."""
    dtype = np.dtype(zero_point.dtype if zero_point is not None else x.dtype)
    if dtype not in (np.dtype(np.int8), np.dtype(np.uint8)):
        raise ValueError(f"{dtype} is not supported (int8 and uint8 only)")
    return dtype


def input0_is_scalar(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    """Whether ORT's broadcaster walks A as a scalar against spans of B (then MLAS takes B as its first operand).

    Its span is the innermost trailing axis both inputs have whose output size is not 1 (or the outermost
    of those axes); A is a scalar there when its size along it is 1, or when A has rank 0.
    """
    if not a:
        return True
    if not b:
        return a[-1] <= 1
    common = min(len(a), len(b))
    for k in range(1, common + 1):
        size = 0 if min(a[-k], b[-k]) == 0 else max(a[-k], b[-k])
        if size > 1 or k == common:
            return a[-k] <= 1
    raise AssertionError("unreachable")


def qlinear_add(a: np.ndarray, a_scale: np.ndarray, a_zero_point: np.ndarray | None, b: np.ndarray,
                b_scale: np.ndarray, b_zero_point: np.ndarray | None, c_scale: np.ndarray,
                c_zero_point: np.ndarray | None = None) -> np.ndarray:
    """C = saturate(round(fma(a, rA, fma(b, rB, fixed)))), MLAS's AVX2 kernel: rA = sA/sC and rB = sB/sC in
    float32, fixed = zC − fma(rA, zA, rB·zB), with a as the operand ORT's broadcaster walks element by element."""
    dtype = out_type(c_zero_point, a)
    if input0_is_scalar(a.shape, b.shape):
        a, a_scale, a_zero_point, b, b_scale, b_zero_point = b, b_scale, b_zero_point, a, a_scale, a_zero_point
    scale_a, scale_b, scale_c, zero_a, zero_b, zero_c = (
        per_tensor(v, F32) for v in (a_scale, b_scale, c_scale, a_zero_point, b_zero_point, c_zero_point))
    ratio_a, ratio_b = scale_a / scale_c, scale_b / scale_c
    fixed = zero_c - fma(ratio_a, zero_a, ratio_b * zero_b)
    y = fma(a.astype(F32), ratio_a, fma(b.astype(F32), ratio_b, fixed))
    return saturate_to(nearest_int32(y), dtype)


def qlinear_mul(a: np.ndarray, a_scale: np.ndarray, a_zero_point: np.ndarray | None, b: np.ndarray,
                b_scale: np.ndarray, b_zero_point: np.ndarray | None, c_scale: np.ndarray,
                c_zero_point: np.ndarray | None = None) -> np.ndarray:
    """C = saturate(round(float((a − zA)·(b − zB)) · (sA·sB/sC) + zC)): an exact integer product, then one
    float32 multiply and one add (two roundings, no FMA), as MLAS's SSE2 kernel."""
    dtype = out_type(c_zero_point, a)
    ratio = F32(per_tensor(a_scale)) * F32(per_tensor(b_scale)) / F32(per_tensor(c_scale))
    product = centered(a, a_zero_point) * centered(b, b_zero_point)
    y = product.astype(F32) * ratio + F32(per_tensor(c_zero_point))
    return saturate_to(nearest_int32(y), dtype)


def qlinear_global_average_pool(x: np.ndarray, x_scale: np.ndarray, x_zero_point: np.ndarray | None,
                                y_scale: np.ndarray, y_zero_point: np.ndarray | None, *,
                                channels_last: int = 0) -> np.ndarray:
    """y = saturate(round(float(Σx − zX·n) · s) + zY) with s = sX / (sY · float(n)) in float32, n pixels per
    channel: MLAS's integer sum and requantization. ORT's range checks (n < 2^24, 2^-32 ≤ s < 256) apply."""
    dtype = out_type(y_zero_point, x)
    axes = tuple(range(1, x.ndim - 1)) if channels_last else tuple(range(2, x.ndim))
    if len(axes) < 1:
        raise ValueError(f"input {x.shape} must have a spatial axis")
    size = math.prod(x.shape[i] for i in axes)
    scale = F32(per_tensor(x_scale)) / (F32(per_tensor(y_scale)) * F32(size))
    if size >= 2**24 or not 2.0**-32 <= scale < 256.0:
        raise ValueError(f"scale {scale} or image size {size} out of ONNX Runtime's computation range")
    acc = x.sum(axis=axes, dtype=np.int64, keepdims=True) - int(per_tensor(x_zero_point)) * size
    return saturate_to(nearest_int32(acc.astype(F32) * scale) + int(per_tensor(y_zero_point)), dtype)


def qlinear_average_pool(x: np.ndarray, x_scale: np.ndarray, x_zero_point: np.ndarray | None,
                         y_scale: np.ndarray, y_zero_point: np.ndarray | None = None, *, auto_pad: str = "NOTSET",
                         ceil_mode: int = 0, channels_last: int = 0, count_include_pad: int = 0,
                         kernel_shape: Sequence[int], pads: Sequence[int] | None = None,
                         strides: Sequence[int] | None = None) -> np.ndarray:
    """ORT's float path: dequantize (sX·float(x − zX)), sum each window in float32 tap by tap, divide by the
    count, then y = saturate(nearbyint(mean / sY + zY)). A window covering the whole unpadded input is ORT's
    global average pool instead."""
    dtype = out_type(y_zero_point, x)
    nchw = np.moveaxis(x, -1, 1) if channels_last else x
    attrs = {"auto_pad": auto_pad, "ceil_mode": ceil_mode, "kernel_shape": tuple(kernel_shape), "pads": pads,
             "strides": strides}
    _, resolved = window("QLinearAveragePool", attrs, nchw.shape[2:], attrs["kernel_shape"])
    if attrs["kernel_shape"] == nchw.shape[2:] and not any(resolved):
        return qlinear_global_average_pool(x, x_scale, x_zero_point, y_scale, y_zero_point, channels_last=channels_last)
    real = dequantize_linear(nchw, per_tensor(x_scale, F32), per_tensor(x_zero_point))
    mean = window_mean(real, count_include_pad, **attrs)
    y = mean / F32(per_tensor(y_scale)) + F32(per_tensor(y_zero_point))  # the zero point is added before rounding
    y = saturate_to(nearest_int32(y), dtype)
    return np.moveaxis(y, 1, -1) if channels_last else y


def window_mean(x: np.ndarray, count_include_pad: int, *, auto_pad: str, ceil_mode: int, kernel_shape: tuple[int, ...],
                pads: Sequence[int] | None, strides: Sequence[int] | None) -> np.ndarray:
    """Float32 window sums in tap order divided by the count: with count_include_pad ORT divides by the whole
    kernel, even where ceil_mode runs a window past the padding; without, by the input elements in the window
    (as npukit's AveragePool)."""
    if not count_include_pad:
        return average_pool(x, auto_pad=auto_pad, ceil_mode=ceil_mode, kernel_shape=kernel_shape, pads=pads,
                            strides=strides)
    view, _, _ = pooled(x, kernel_shape, strides, pads, auto_pad, ceil_mode, None, 0.0)
    return reduce_taps(view, len(kernel_shape), np.add) / F32(math.prod(kernel_shape))


def qlinear_concat(y_scale: np.ndarray, y_zero_point: np.ndarray, *inputs: np.ndarray | None,
                   axis: int) -> np.ndarray:
    """Each (X, X_scale, X_zero_point) re-expressed at the output's scale and zero point, then concatenated."""
    if len(inputs) < 3 or len(inputs) % 3:
        raise ValueError("needs (X, X_scale, X_zero_point) triples after Y_scale and Y_zero_point")
    parts = [requantized(x, s, z, y_scale, y_zero_point) for x, s, z in zip(*[iter(inputs)] * 3, strict=True)]
    return np.concatenate(parts, axis=axis)


def requantized(x: np.ndarray | None, x_scale: np.ndarray | None, x_zero_point: np.ndarray | None,
                y_scale: np.ndarray, y_zero_point: np.ndarray) -> np.ndarray:
    """x through ORT's 256-entry table, QuantizeLinear(DequantizeLinear(value)) for every value of the type
    (MLAS: y = saturate(round(sX·float(v − zX) / sY) + zY)); with the output's own scale and zero point, a copy."""
    if x is None or x_scale is None:
        raise ValueError("an input tensor or its scale is missing")
    dtype = out_type(y_zero_point, x)
    if x.dtype != dtype:
        raise ValueError(f"input type {x.dtype} differs from the output's {dtype}")
    same = F32(per_tensor(x_scale)) == F32(per_tensor(y_scale)) and per_tensor(x_zero_point) == per_tensor(y_zero_point)
    if same:
        return x
    return lookup(x, x_scale, x_zero_point, y_scale, y_zero_point, lambda v: v)


KERNELS = {
    "com.microsoft.QLinearAdd": qlinear_add, "com.microsoft.QLinearMul": qlinear_mul,
    "com.microsoft.QLinearAveragePool": qlinear_average_pool,
    "com.microsoft.QLinearGlobalAveragePool": qlinear_global_average_pool,
    "com.microsoft.QLinearConcat": qlinear_concat,
}
