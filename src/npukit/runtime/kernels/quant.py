"""Quantized kernels: (De)QuantizeLinear and integer Conv / MatMul with exact integer accumulation.

Accumulation is in int64 (no overflow for any int8/uint8 layer); requantization follows ONNX:
y = saturate(round_half_to_even(acc · x_scale · w_scale / y_scale) + y_zero_point).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from npukit.runtime.kernels.conv import conv


def per_axis(v: np.ndarray, ndim: int, axis: int) -> np.ndarray:
    """A scale or zero point shaped to broadcast along `axis` (a scalar stays a scalar)."""
    v = np.asarray(v)
    if v.ndim == 0 or v.size == 1:
        return v.reshape(())
    shape = [1] * ndim
    shape[axis % ndim] = v.size
    return v.reshape(shape)


def per_tensor(v: np.ndarray | None, dtype: type | np.dtype | None = None, what: str = "scales and zero points"
               ) -> np.ndarray:
    """The one value of a per-tensor scale or zero point (a scalar or 1-element tensor) as a 0-d array,
    of `dtype` if given; an absent one (an optional zero point) is 0."""
    if v is None:
        return np.zeros((), dtype or np.int64)
    v = np.asarray(v)
    if v.size != 1:
        raise ValueError(f"{what} must be per-tensor (one value), got shape {v.shape}")
    return v.reshape(()).astype(dtype) if dtype is not None else v.reshape(())


def saturate_to(y: np.ndarray, dtype: np.dtype) -> np.ndarray:
    info = np.iinfo(dtype)
    return np.clip(y, info.min, info.max).astype(dtype)


def quantize_linear(x: np.ndarray, y_scale: np.ndarray, y_zero_point: np.ndarray | None = None, *, axis: int = 1,
                    saturate: int = 1, block_size: int = 0, output_dtype: int = 0, precision: int = 0) -> np.ndarray:
    if block_size:
        raise ValueError("blocked quantization is not supported")
    dtype = np.dtype(y_zero_point.dtype) if y_zero_point is not None else np.dtype(np.uint8)
    if dtype.kind not in "iu":
        raise ValueError(f"quantizing to {dtype} is not supported (integer types only)")
    scale = per_axis(y_scale, x.ndim, axis).astype(np.float32)
    zero = per_axis(y_zero_point, x.ndim, axis).astype(np.int64) if y_zero_point is not None else 0
    return saturate_to(np.rint(x / scale).astype(np.int64) + zero, dtype)


def dequantize_linear(x: np.ndarray, x_scale: np.ndarray, x_zero_point: np.ndarray | None = None, *,
                      axis: int = 1, block_size: int = 0, output_dtype: int = 0) -> np.ndarray:
    if block_size:
        raise ValueError("blocked quantization is not supported")
    zero = per_axis(x_zero_point, x.ndim, axis).astype(np.int64) if x_zero_point is not None else 0
    scale = per_axis(x_scale, x.ndim, axis)
    # (x − zero point) converted to the scale's type, then one product: ONNX Runtime's order (an int32
    # accumulator above 2^24 is rounded by the conversion, as there)
    return (x.astype(np.int64) - zero).astype(scale.dtype) * scale


def fused_multiply_add(a: np.ndarray, b: np.ndarray | np.float32, c: np.ndarray | np.float32) -> np.ndarray:
    """a·b + c of float32 values, rounded once to float32 as an FMA instruction rounds it.

    The product is exact in float64; the sum is rounded to float64 "to odd" (when inexact, the last bit
    is forced to 1) so that the final rounding to float32 is the only one that counts.
    """
    product = np.asarray(a, np.float64) * np.asarray(b, np.float64)
    addend = np.asarray(c, np.float64)
    total = product + addend
    # the sum's rounding error, exactly (Knuth's TwoSum)
    virtual = total - product
    error = (product - (total - virtual)) + (addend - virtual)
    inexact_even = (error != 0) & ((total.view(np.int64) & 1) == 0)
    odd = np.nextafter(total, np.where(error > 0, np.inf, -np.inf))
    return np.where(inexact_even, odd, total).astype(np.float32)


def centered(v: np.ndarray, zero_point: np.ndarray | None, axis: int = 0) -> np.ndarray:
    v = v.astype(np.int64)
    return v if zero_point is None else v - per_axis(zero_point, v.ndim, axis).astype(np.int64)


def exact(product: Callable[[np.ndarray, np.ndarray], np.ndarray], a: np.ndarray, b: np.ndarray,
          terms: int) -> np.ndarray:
    """`product` of integer arrays, computed in float64 on BLAS and exact: every partial sum is an
    integer below 2^53 (checked from the operands' magnitudes and the number of summed terms)."""
    bound = float(np.abs(a).max(initial=0)) * float(np.abs(b).max(initial=0)) * terms
    if bound >= 2.0**53:
        return product(a, b)  # int64 arithmetic, no BLAS
    return np.rint(product(a.astype(np.float64), b.astype(np.float64))).astype(np.int64)


def to_int32(acc: np.ndarray) -> np.ndarray:
    """int32 accumulators, as ONNX types them; a value past int32 is an error, not a silent wrap."""
    if acc.size and (acc.min() < np.iinfo(np.int32).min or acc.max() > np.iinfo(np.int32).max):
        raise ValueError(f"an accumulator ({acc.min()}..{acc.max()}) overflows int32")
    return acc.astype(np.int32)


def conv_integer(x: np.ndarray, w: np.ndarray, x_zero_point: np.ndarray | None = None,
                 w_zero_point: np.ndarray | None = None, **attrs: Any) -> np.ndarray:
    """Exact int32 accumulators of the convolution of (x − x_zp) with (w − w_zp)."""
    return to_int32(integer_conv(centered(x, x_zero_point), centered(w, w_zero_point), **attrs))


def integer_conv(x: np.ndarray, w: np.ndarray, **attrs: Any) -> np.ndarray:
    """The exact convolution of int64 arrays (int64 result)."""
    return exact(lambda a, b: conv(a, b, **attrs), x, w, math.prod(w.shape[1:]))


def requantize(acc: np.ndarray, real_scale: np.ndarray, y_zero_point: np.ndarray | None, axis: int) -> np.ndarray:
    dtype = np.dtype(y_zero_point.dtype) if y_zero_point is not None else np.dtype(np.uint8)
    scaled = np.rint(acc.astype(np.float32) * per_axis(real_scale, acc.ndim, axis).astype(np.float32))
    zero = np.asarray(y_zero_point, dtype=np.int64) if y_zero_point is not None else 0
    return saturate_to(scaled.astype(np.int64) + zero, dtype)


def qlinear_conv(x: np.ndarray, x_scale: np.ndarray, x_zero_point: np.ndarray, w: np.ndarray, w_scale: np.ndarray,
                 w_zero_point: np.ndarray, y_scale: np.ndarray, y_zero_point: np.ndarray,
                 b: np.ndarray | None = None, *, auto_pad: str = "NOTSET", dilations: Sequence[int] | None = None,
                 group: int = 1, kernel_shape: Sequence[int] | None = None, pads: Sequence[int] | None = None,
                 strides: Sequence[int] | None = None) -> np.ndarray:
    acc = integer_conv(centered(x, x_zero_point), centered(w, w_zero_point), auto_pad=auto_pad, dilations=dilations,
                       group=group, kernel_shape=kernel_shape, pads=pads, strides=strides)
    if b is not None:
        acc = acc + b.astype(np.int64).reshape(1, -1, *(1,) * (x.ndim - 2))
    real = np.asarray(x_scale, np.float32) * np.asarray(w_scale, np.float32) / np.asarray(y_scale, np.float32)
    return requantize(acc, real, y_zero_point, axis=1)


def matmul_integer(a: np.ndarray, b: np.ndarray, a_zero_point: np.ndarray | None = None,
                   b_zero_point: np.ndarray | None = None) -> np.ndarray:
    a_axis, b_axis = a.ndim - 2 if a.ndim > 1 else 0, -1  # a's zero point per row, b's per column
    return to_int32(integer_matmul(centered(a, a_zero_point, a_axis), centered(b, b_zero_point, b_axis)))


def integer_matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return exact(np.matmul, a, b, a.shape[-1])


def qlinear_matmul(a: np.ndarray, a_scale: np.ndarray, a_zero_point: np.ndarray, b: np.ndarray,
                   b_scale: np.ndarray, b_zero_point: np.ndarray, y_scale: np.ndarray,
                   y_zero_point: np.ndarray) -> np.ndarray:
    acc = integer_matmul(centered(a, a_zero_point, a.ndim - 2 if a.ndim > 1 else 0), centered(b, b_zero_point, -1))
    real = np.asarray(a_scale, np.float32) * np.asarray(b_scale, np.float32) / np.asarray(y_scale, np.float32)
    return requantize(acc, real, y_zero_point, axis=-1)


KERNELS = {
    "QuantizeLinear": quantize_linear, "DequantizeLinear": dequantize_linear, "ConvInteger": conv_integer,
    "QLinearConv": qlinear_conv, "MatMulInteger": matmul_integer, "QLinearMatMul": qlinear_matmul,
}
