"""Kernels of ONNX Runtime's com.microsoft quantized ops, bit-exact with ORT's CPU kernels.

QLinearSigmoid and QLinearLeakyRelu map codes through ORT's 256-entry table: every code dequantized
(float32 (code − zero point) · scale), the float function applied in float32, then quantized
(x / scale rounded half to even, plus the zero point, saturated). ORT's sigmoid is not 1/(1 + e^−x)
but MLAS's rational approximation; on x86-64 with AVX2 its FMA3 kernel rounds each multiply-add once,
and that is the arithmetic reproduced here (ORT builds without FMA round the multiply and the add
separately, so their tables can differ by a code in sigmoid's tails). QGemm accumulates exactly, adds
C to the accumulator and scales by alpha·a_scale·b_scale / y_scale, in float32 in ORT's order.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from npukit.runtime.kernels.quant import (
    centered,
    dequantize_linear,
    fused_multiply_add,
    integer_matmul,
    per_axis,
    per_tensor,
    quantize_linear,
    requantize,
    to_int32,
)

# MLAS's logistic: x clamped to ±18, then 0.5 + x·P(x²)/Q(x²) (Eigen's coefficients), floored at 0 (the
# FMA3 kernel has no ceiling at 1)
LOGISTIC_BOUND = np.float32(18.0)
LOGISTIC_P = np.array([4.37031012579801e-11, 1.15627324459942e-07, 6.08574864600143e-05, 8.51377133304701e-03,
                       2.48287947061529e-01], np.float32)  # alpha_9, alpha_7, ..., alpha_1
LOGISTIC_Q = np.array([6.10247389755681e-13, 5.76102136993427e-09, 6.29106785017040e-06, 1.70198817374094e-03,
                       1.16817656904453e-01, 9.93151921023180e-01], np.float32)  # beta_10, beta_8, ..., beta_0


def horner(x2: np.ndarray, coefficients: np.ndarray) -> np.ndarray:
    """The polynomial in x² with `coefficients` (highest first), one fused multiply-add per step."""
    acc = fused_multiply_add(x2, coefficients[0], coefficients[1])
    for c in coefficients[2:]:
        acc = fused_multiply_add(x2, acc, c)
    return acc


def mlas_logistic(x: np.ndarray) -> np.ndarray:
    """ORT's float32 sigmoid (MLAS's FMA3 kernel), step by step."""
    x = np.minimum(np.maximum(x.astype(np.float32), -LOGISTIC_BOUND), LOGISTIC_BOUND)
    x2 = x * x
    p = x * horner(x2, LOGISTIC_P)
    q = horner(x2, LOGISTIC_Q)
    return np.maximum(p / q + np.float32(0.5), np.float32(0.0))


def leaky(alpha: float) -> Callable[[np.ndarray], np.ndarray]:
    """ORT's float32 LeakyRelu: v if v >= 0 else alpha·v."""
    slope = np.float32(alpha)
    return lambda v: np.where(v >= 0, v, slope * v)


def lookup(x: np.ndarray, x_scale: np.ndarray, x_zero_point: np.ndarray | None, y_scale: np.ndarray,
           y_zero_point: np.ndarray | None, function: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Each code of x mapped through the table quantize(function(dequantize(code))), in x's type."""
    if x.dtype not in (np.int8, np.uint8):
        raise ValueError(f"X must be int8 or uint8, got {x.dtype}")
    info = np.iinfo(x.dtype)
    codes = np.arange(info.min, info.max + 1).astype(x.dtype)
    x_zero = per_tensor(x_zero_point, x.dtype, "X_zero_point")
    real = dequantize_linear(codes, per_tensor(x_scale, np.float32, "X_scale"), x_zero)
    table = quantize_linear(function(real), per_tensor(y_scale, np.float32, "Y_scale"),
                            per_tensor(y_zero_point, x.dtype, "Y_zero_point"))
    return table[x.astype(np.int64) - info.min]


def qlinear_sigmoid(x: np.ndarray, x_scale: np.ndarray, x_zero_point: np.ndarray | None, y_scale: np.ndarray,
                    y_zero_point: np.ndarray | None = None) -> np.ndarray:
    return lookup(x, x_scale, x_zero_point, y_scale, y_zero_point, mlas_logistic)


def qlinear_leaky_relu(x: np.ndarray, x_scale: np.ndarray, x_zero_point: np.ndarray | None, y_scale: np.ndarray,
                       y_zero_point: np.ndarray | None = None, *, alpha: float = 0.01) -> np.ndarray:
    return lookup(x, x_scale, x_zero_point, y_scale, y_zero_point, leaky(alpha))


def qgemm(a: np.ndarray, a_scale: np.ndarray, a_zero_point: np.ndarray, b: np.ndarray, b_scale: np.ndarray,
          b_zero_point: np.ndarray, c: np.ndarray | None = None, y_scale: np.ndarray | None = None,
          y_zero_point: np.ndarray | None = None, *, alpha: float = 1.0, transA: int = 0,
          transB: int = 0) -> np.ndarray:
    """(A − a_zp)'·(B − b_zp)' + C exactly in int32, times alpha·a_scale·b_scale (per column) / y_scale.

    With y_zero_point: rounded half to even, plus the zero point, saturated to its type; without: float32.
    """
    a, b = (a.T if transA else a), (b.T if transB else b)
    acc = integer_matmul(centered(a, per_tensor(a_zero_point, a.dtype, "a_zero_point")), centered(b, b_zero_point, -1))
    acc = to_int32(acc if c is None else acc + c.astype(np.int64))
    # ORT's order: ((alpha · a_scale) · b_scale) / y_scale, each step in float32
    scale = np.float32(alpha) * per_tensor(a_scale, np.float32, "a_scale") * np.asarray(b_scale, np.float32)
    if y_scale is not None:
        scale = scale / per_tensor(y_scale, np.float32, "y_scale")
    if y_zero_point is None:
        return acc.astype(np.float32) * per_axis(scale, 2, 1)
    return requantize(acc, scale, per_tensor(y_zero_point, y_zero_point.dtype, "y_zero_point"), axis=1)


KERNELS: dict[str, Callable[..., object]] = {
    "com.microsoft.QLinearSigmoid": qlinear_sigmoid,
    "com.microsoft.QLinearLeakyRelu": qlinear_leaky_relu,
    "com.microsoft.QGemm": qgemm,
}
