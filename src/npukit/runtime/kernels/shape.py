"""Data rearrangement: Concat, Flatten, Reshape, Transpose, Pad, Gather."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


def concat(*xs: np.ndarray, axis: int) -> np.ndarray:
    return np.concatenate(xs, axis=axis)


def flatten(x: np.ndarray, *, axis: int = 1) -> np.ndarray:
    axis = axis + x.ndim if axis < 0 else axis
    return x.reshape(math.prod(x.shape[:axis]), -1)


def reshape(x: np.ndarray, shape: np.ndarray, *, allowzero: int = 0) -> np.ndarray:
    dims = [int(d) for d in shape]
    if not allowzero:
        dims = [x.shape[i] if d == 0 else d for i, d in enumerate(dims)]
    return x.reshape(dims)


def transpose(x: np.ndarray, *, perm: Sequence[int] | None = None) -> np.ndarray:
    return np.transpose(x, perm)


def pad(x: np.ndarray, pads: np.ndarray | None = None, constant_value: np.ndarray | None = None,
        axes: np.ndarray | None = None, *, mode: str = "constant", value: float = 0.0) -> np.ndarray:
    """Pads as an input (opset 11+) or attribute (opset 2, bound to the same name); modes constant,
    reflect, edge and wrap; negative pads crop."""
    assert pads is not None, "Pad needs pads"
    axes_list = [int(a) % x.ndim for a in axes] if axes is not None else list(range(x.ndim))
    begins, ends = [int(p) for p in pads[: len(axes_list)]], [int(p) for p in pads[len(axes_list) :]]
    widths = [(0, 0)] * x.ndim
    for axis, b, e in zip(axes_list, begins, ends, strict=True):
        widths[axis] = (b, e)
    if any(b < 0 or e < 0 for b, e in widths):  # negative pads crop
        x = x[tuple(slice(-min(b, 0), x.shape[i] - (-min(e, 0))) for i, (b, e) in enumerate(widths))]
        widths = [(max(b, 0), max(e, 0)) for b, e in widths]
    if mode == "constant":
        fill = constant_value if constant_value is not None else value
        return np.pad(x, widths, mode="constant", constant_values=np.asarray(fill).item() if np.size(fill) else 0)
    return np.pad(x, widths, mode={"reflect": "reflect", "edge": "edge", "wrap": "wrap"}[mode])


def gather(data: np.ndarray, indices: np.ndarray, *, axis: int = 0) -> np.ndarray:
    return np.take(data, indices.astype(np.int64), axis=axis)


KERNELS = {"Concat": concat, "Flatten": flatten, "Reshape": reshape, "Transpose": transpose, "Pad": pad,
           "Gather": gather}
