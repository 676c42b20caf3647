"""Gemm (the FC layer) and MatMul on BLAS."""

from __future__ import annotations

import numpy as np


def gemm(a: np.ndarray, b: np.ndarray, c: np.ndarray | None = None, *, alpha: float = 1.0, beta: float = 1.0,
         transA: int = 0, transB: int = 0) -> np.ndarray:
    y = (a.T if transA else a) @ (b.T if transB else b)
    if alpha != 1.0:
        y = y * np.asarray(alpha, dtype=y.dtype)
    if c is not None:
        y = y + (c if beta == 1.0 else c * np.asarray(beta, dtype=c.dtype))
    return y


def matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.matmul(a, b)


KERNELS = {"Gemm": gemm, "MatMul": matmul}
