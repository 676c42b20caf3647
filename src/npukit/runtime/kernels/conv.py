"""Conv and ConvTranspose as GEMMs on BLAS: im2col (a strided view, then one copy) and col2im."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from npukit.ir.ops.window import window


def conv(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, *, auto_pad: str = "NOTSET",
         dilations: Sequence[int] | None = None, group: int = 1, kernel_shape: Sequence[int] | None = None,
         pads: Sequence[int] | None = None, strides: Sequence[int] | None = None) -> np.ndarray:
    k = x.ndim - 2
    kernel = tuple(w.shape[2:])
    strides, dilations = tuple(strides or (1,) * k), tuple(dilations or (1,) * k)
    attrs = {"auto_pad": auto_pad, "strides": strides, "dilations": dilations, "pads": pads}
    out, resolved = window("Conv kernel", attrs, x.shape[2:], kernel)
    n, c, m = x.shape[0], x.shape[1], w.shape[0]
    xp = pad_spatial(x, resolved)
    if group == c == m and w.shape[1] == 1:  # depthwise: one multiply-add per tap over whole maps
        y = depthwise(xp, w, strides, dilations, out)
    else:
        cols = im2col(xp, kernel, strides, dilations, out).reshape(n, group, -1, math.prod(out))  # N, G, C/G·K, P
        y = np.matmul(w.reshape(group, m // group, -1), cols).reshape(n, m, *out)  # N, G, M/G, P
    return y + b.reshape(1, m, *(1,) * k) if b is not None else y


def depthwise(xp: np.ndarray, w: np.ndarray, strides: tuple[int, ...], dilations: tuple[int, ...],
              out: tuple[int, ...]) -> np.ndarray:
    """Σ over taps of w[c, tap] · (the input shifted to that tap): no patch matrix is built."""
    view = windows(xp, tuple(w.shape[2:]), strides, dilations, out)  # N, C, *out, *kernel
    k = len(out)
    y = np.zeros(view.shape[: 2 + k], dtype=np.result_type(xp, w))
    for tap in np.ndindex(*w.shape[2:]):
        y += view[(..., *tap)] * w[(slice(None), 0, *tap)].reshape(1, -1, *(1,) * k)
    return y


def pad_spatial(x: np.ndarray, pads: Sequence[int], value: float = 0.0) -> np.ndarray:
    k = x.ndim - 2
    if not any(pads):
        return x
    widths = [(0, 0), (0, 0)] + [(pads[i], pads[i + k]) for i in range(k)]
    return np.pad(x, widths, constant_values=value)


def windows(xp: np.ndarray, kernel: tuple[int, ...], strides: tuple[int, ...], dilations: tuple[int, ...],
            out: tuple[int, ...]) -> np.ndarray:
    """A view (N, C, *out, *kernel) of every window of the padded input; nothing is copied."""
    k = len(kernel)
    spans = tuple((kernel[i] - 1) * dilations[i] + 1 for i in range(k))
    view = sliding_window_view(xp, spans, axis=tuple(range(2, 2 + k)))
    index = (slice(None), slice(None))
    index += tuple(slice(None, (out[i] - 1) * strides[i] + 1, strides[i]) for i in range(k))
    index += tuple(slice(None, None, d) for d in dilations)
    return view[index]


def im2col(xp: np.ndarray, kernel: tuple[int, ...], strides: tuple[int, ...], dilations: tuple[int, ...],
           out: tuple[int, ...]) -> np.ndarray:
    """The patch matrix (N, C·K, P): rows are (channel, tap), columns output pixels."""
    k = len(kernel)
    if all(v == 1 for v in (*kernel, *strides)):
        return xp.reshape(xp.shape[0], xp.shape[1], -1)  # 1×1, stride 1: the input is the matrix
    view = windows(xp, kernel, strides, dilations, out)
    order = (0, 1, *range(2 + k, 2 + 2 * k), *range(2, 2 + k))  # N, C, *kernel, *out
    return np.ascontiguousarray(view.transpose(order)).reshape(xp.shape[0], -1, math.prod(out))


def conv_transpose(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, *, auto_pad: str = "NOTSET",
                   dilations: Sequence[int] | None = None, group: int = 1,
                   kernel_shape: Sequence[int] | None = None, output_padding: Sequence[int] | None = None,
                   output_shape: Sequence[int] | None = None, pads: Sequence[int] | None = None,
                   strides: Sequence[int] | None = None) -> np.ndarray:
    """Each input pixel scatters its filter (col2im); the full output is then cropped."""
    k, (n, c), kernel = x.ndim - 2, x.shape[:2], tuple(w.shape[2:])
    strides, dilations = tuple(strides or (1,) * k), tuple(dilations or (1,) * k)
    extra = tuple(output_padding or (0,) * k)
    m = w.shape[1] * group
    wg = w.reshape(group, c // group, -1).transpose(0, 2, 1)  # G, M/G·K, C/G
    cols = np.matmul(wg, x.reshape(n, group, c // group, -1))  # N, G, M/G·K, P
    cols = cols.reshape(n, m, *kernel, *x.shape[2:])
    full = [strides[i] * (x.shape[2 + i] - 1) + extra[i] + (kernel[i] - 1) * dilations[i] + 1 for i in range(k)]
    begin, size = crop(x.shape[2:], full, strides, auto_pad, output_shape, pads, k)
    y = np.zeros((n, m, *(max(f, b + s) for f, b, s in zip(full, begin, size, strict=True))), dtype=x.dtype)
    for tap in np.ndindex(*kernel):
        dst = tuple(slice(tap[i] * dilations[i], tap[i] * dilations[i] + strides[i] * (x.shape[2 + i] - 1) + 1,
                          strides[i]) for i in range(k))
        y[(slice(None), slice(None), *dst)] += cols[(slice(None), slice(None), *tap)]
    y = y[(slice(None), slice(None), *(slice(begin[i], begin[i] + size[i]) for i in range(k)))]
    return y + b.reshape(1, m, *(1,) * k) if b is not None else y


def crop(spatial: Sequence[int], full: list[int], strides: tuple[int, ...], auto_pad: str,
         output_shape: Sequence[int] | None, pads: Sequence[int] | None, k: int) -> tuple[list[int], list[int]]:
    """Where the output starts in the full scatter, and its size (the ONNX spec's rules).

    An output_shape larger than the full scatter extends it with zeros at the end."""
    if output_shape is None and auto_pad not in ("SAME_UPPER", "SAME_LOWER"):
        p = list(pads or (0,) * (2 * k)) if auto_pad == "NOTSET" else [0] * (2 * k)
        return p[:k], [full[i] - p[i] - p[i + k] for i in range(k)]
    size = list(output_shape) if output_shape is not None else [spatial[i] * strides[i] for i in range(k)]
    if output_shape is None:
        size = [min(s, f) for s, f in zip(size, full, strict=True)]  # SAME never pads negatively
    total = [max(0, f - s) for f, s in zip(full, size, strict=True)]
    begin = [t // 2 if auto_pad == "SAME_UPPER" else t - t // 2 for t in total]
    return begin, size


KERNELS = {"Conv": conv, "ConvTranspose": conv_transpose}
