"""Batch normalization (inference) and local response normalization."""

from __future__ import annotations

import numpy as np


def batch_normalization(x: np.ndarray, scale: np.ndarray, bias: np.ndarray, mean: np.ndarray, var: np.ndarray, *,
                        epsilon: float = 1e-5, momentum: float = 0.9, training_mode: int = 0,
                        spatial: int = 1) -> np.ndarray:
    shape = (1, -1) + (1,) * (x.ndim - 2)
    factor = scale / np.sqrt(var + np.asarray(epsilon, dtype=var.dtype))
    y = x * factor.reshape(shape)  # folded to one scale and one shift per channel
    y += (bias - mean * factor).reshape(shape)
    return y


def lrn(x: np.ndarray, *, alpha: float = 1e-4, beta: float = 0.75, bias: float = 1.0, size: int) -> np.ndarray:
    """y = x / (bias + alpha/size · Σ x²)^beta over `size` neighbouring channels (ONNX's window)."""
    before, after = (size - 1) // 2, size // 2  # floor and ceil of (size-1)/2 neighbours
    squares = np.pad(x * x, [(0, 0), (before, after)] + [(0, 0)] * (x.ndim - 2))
    csum = np.cumsum(squares, axis=1, dtype=np.float64)
    csum = np.concatenate([np.zeros_like(csum[:, :1]), csum], axis=1)
    window_sum = (csum[:, size:] - csum[:, :-size]).astype(x.dtype)
    return x / (bias + alpha / size * window_sum) ** beta


KERNELS = {"BatchNormalization": batch_normalization, "LRN": lrn}
