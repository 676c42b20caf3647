"""Pooling over windows of a strided view: max, average, and their global forms."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from npukit.ir.ops.window import window
from npukit.runtime.kernels.conv import pad_spatial, windows


def pooled(x: np.ndarray, kernel_shape: Sequence[int], strides: Sequence[int] | None, pads: Sequence[int] | None,
           auto_pad: str, ceil_mode: int, dilations: Sequence[int] | None, fill: float
           ) -> tuple[np.ndarray, tuple[int, ...], tuple[int, ...]]:
    """The window view (N, C, *out, *kernel) over the input padded with `fill`, plus out and pads.

    With ceil_mode the last window may run past the padded input: the input is padded further
    with `fill` so that every window exists.
    """
    k = x.ndim - 2
    kernel = tuple(kernel_shape)
    strides, dilations = tuple(strides or (1,) * k), tuple(dilations or (1,) * k)
    attrs = {"auto_pad": auto_pad, "strides": strides, "dilations": dilations, "pads": pads, "ceil_mode": ceil_mode}
    out, resolved = window("pooling kernel", attrs, x.shape[2:], kernel)
    padded = list(resolved)
    for i in range(k):
        need = (out[i] - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1
        padded[i + k] += max(0, need - (x.shape[2 + i] + resolved[i] + resolved[i + k]))
    return windows(pad_spatial(x, padded, fill), kernel, strides, dilations, out), out, resolved


def reduce_taps(view: np.ndarray, k: int, combine: np.ufunc) -> np.ndarray:
    """Combine the window view's last k (tap) axes one tap at a time: a few large vectorized
    operations instead of one reduction over small, strided trailing axes."""
    result: np.ndarray | None = None
    for tap in np.ndindex(*view.shape[-k:]):
        part = view[(..., *tap)]
        result = part.copy() if result is None else combine(result, part, out=result)
    assert result is not None
    return result


def max_pool(x: np.ndarray, *, auto_pad: str = "NOTSET", ceil_mode: int = 0, dilations: Sequence[int] | None = None,
             kernel_shape: Sequence[int], pads: Sequence[int] | None = None, storage_order: int = 0,
             strides: Sequence[int] | None = None) -> np.ndarray:
    fill = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
    view, _, _ = pooled(x, kernel_shape, strides, pads, auto_pad, ceil_mode, dilations, fill)
    return reduce_taps(view, x.ndim - 2, np.maximum)


def average_pool(x: np.ndarray, *, auto_pad: str = "NOTSET", ceil_mode: int = 0, count_include_pad: int = 0,
                 dilations: Sequence[int] | None = None, kernel_shape: Sequence[int],
                 pads: Sequence[int] | None = None, strides: Sequence[int] | None = None) -> np.ndarray:
    """Average over each window; padding counts toward the divisor only with count_include_pad,
    and never the extra padding that ceil_mode adds past the explicit pads."""
    k = x.ndim - 2
    view, out, resolved = pooled(x, kernel_shape, strides, pads, auto_pad, ceil_mode, dilations, 0.0)
    total = reduce_taps(view, k, np.add)
    inside = np.zeros((1, 1, *x.shape[2:]), dtype=x.dtype) + 1  # marks real input elements
    if count_include_pad:
        inside = pad_spatial(inside, resolved, 1.0)  # explicit padding counts, ceil_mode overhang does not
        resolved = (0,) * (2 * k)
    counts, _, _ = pooled(inside, kernel_shape, strides, resolved, "NOTSET", ceil_mode, dilations, 0.0)
    counts = reduce_taps(counts, k, np.add)[..., *(slice(0, o) for o in out)]
    return (total / counts).astype(x.dtype)


def global_average_pool(x: np.ndarray) -> np.ndarray:
    return x.mean(axis=tuple(range(2, x.ndim)), keepdims=True)


def global_max_pool(x: np.ndarray) -> np.ndarray:
    return x.max(axis=tuple(range(2, x.ndim)), keepdims=True)


KERNELS = {
    "MaxPool": max_pool, "AveragePool": average_pool,
    "GlobalAveragePool": global_average_pool, "GlobalMaxPool": global_max_pool,
}
