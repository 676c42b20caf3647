"""Activations, (Log)Softmax, broadcasting arithmetic and comparison, Cast, Where, Dropout (inference), Identity."""

from __future__ import annotations

import numpy as np

from npukit.ir.ops.elementwise import ONNX_DTYPES


def relu(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, x.dtype.type(0))


def leaky_relu(x: np.ndarray, *, alpha: float = 0.01) -> np.ndarray:
    return np.where(x >= 0, x, x * np.asarray(alpha, dtype=x.dtype))


def sigmoid(x: np.ndarray) -> np.ndarray:
    # split by sign so that exp never overflows
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype)


def tanh(x: np.ndarray) -> np.ndarray:
    return np.tanh(x)


def clip(x: np.ndarray, lo: np.ndarray | None = None, hi: np.ndarray | None = None, *,
         min: float | None = None, max: float | None = None) -> np.ndarray:
    """Bounds as inputs (opset 11+) or as attributes (opset 6)."""
    lo = lo if lo is not None else min
    hi = hi if hi is not None else max
    y = x if lo is None else np.maximum(x, np.asarray(lo, dtype=x.dtype))
    return y if hi is None else np.minimum(y, np.asarray(hi, dtype=x.dtype))


def softmax(x: np.ndarray, *, axis: int = -1) -> np.ndarray:
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax(x: np.ndarray, *, axis: int = -1) -> np.ndarray:
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def add(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a + b


def mul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a * b


def sub(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a - b


def div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Integers: the quotient truncated toward zero (C's, ONNX Runtime's), in integer arithmetic."""
    if a.dtype.kind in "iu" and b.dtype.kind in "iu":
        quotient = np.abs(a) // np.abs(b)
        return np.where((a < 0) != (b < 0), -quotient, quotient).astype(np.result_type(a, b))
    return a / b


def greater_or_equal(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.greater_equal(a, b)


def where(condition: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.where(condition, x, y)


def cast(x: np.ndarray, *, to: int, saturate: int = 1, round_mode: str = "up") -> np.ndarray:
    if to not in ONNX_DTYPES:
        raise ValueError(f"Cast to ONNX element type {to} is not supported")
    return x.astype(ONNX_DTYPES[to])


def dropout(x: np.ndarray, ratio: np.ndarray | None = None, training_mode: np.ndarray | None = None, *,
            seed: int | None = None, **legacy: float) -> tuple[np.ndarray, np.ndarray]:
    """Inference: the identity, and a mask of all True (an `is_test`/`ratio` attribute is ignored)."""
    if training_mode is not None and bool(training_mode):
        raise ValueError("Dropout in training mode is not supported (inference only)")
    return x, np.ones(x.shape, dtype=bool)


def identity(x: np.ndarray) -> np.ndarray:
    return x


KERNELS = {
    "Relu": relu, "LeakyRelu": leaky_relu, "Sigmoid": sigmoid, "Tanh": tanh, "Clip": clip, "Softmax": softmax,
    "LogSoftmax": log_softmax, "Add": add, "Mul": mul, "Dropout": dropout, "Identity": identity, "Sub": sub,
    "Div": div, "GreaterOrEqual": greater_or_equal, "Where": where, "Cast": cast, "Abs": np.abs, "Sign": np.sign,
    "Floor": np.floor,
}
