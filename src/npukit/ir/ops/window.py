"""Sliding-window geometry shared by Conv and pooling: output size and resolved padding.

Follows the ONNX spec for auto_pad (NOTSET, SAME_UPPER, SAME_LOWER, VALID) and ceil_mode.
"""

from __future__ import annotations

import math
from typing import Any

from npukit.errors import NpukitError
from npukit.ir.graph import Node


def window(
    node: Node | str, a: dict[str, Any], spatial: tuple[int, ...], kernel: tuple[int, ...]
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Output spatial sizes and pads (begins then ends, as ONNX orders them).

    `node` names the place in error messages (a Node, or a text such as "Conv kernel").
    """
    where = node if isinstance(node, str) else f"node '{node.name}' ({node.op_type})"
    k = len(spatial)
    strides = tuple(a.get("strides") or (1,) * k)
    dilations = tuple(a.get("dilations") or (1,) * k)
    pads = list(a.get("pads") or (0,) * (2 * k))
    if len(strides) != k or len(dilations) != k or len(pads) != 2 * k or len(kernel) != k:
        raise NpukitError(
            f"{where}: strides, dilations, pads and kernel_shape "
            f"must have {k}, {k}, {2 * k} and {k} entries for a {k}-D input"
        )
    if min(strides) < 1 or min(dilations) < 1 or min(kernel) < 1 or min(pads) < 0:
        raise NpukitError(
            f"{where}: strides, dilations and kernel must be positive, pads non-negative"
        )
    auto_pad = a.get("auto_pad", "NOTSET")
    ceil_mode = bool(a.get("ceil_mode", 0))
    out = []
    for i in range(k):
        span = (kernel[i] - 1) * dilations[i] + 1
        if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
            size = math.ceil(spatial[i] / strides[i])
            total = max(0, (size - 1) * strides[i] + span - spatial[i])
            small, large = total // 2, total - total // 2
            pads[i], pads[i + k] = (small, large) if auto_pad == "SAME_UPPER" else (large, small)
        elif auto_pad == "VALID":
            pads[i] = pads[i + k] = 0
            size = math.ceil((spatial[i] - span + 1) / strides[i])
        elif auto_pad == "NOTSET":
            padded = spatial[i] + pads[i] + pads[i + k] - span
            size = (-(-padded // strides[i]) if ceil_mode else padded // strides[i]) + 1
            if ceil_mode and (size - 1) * strides[i] >= spatial[i] + pads[i]:
                size -= 1  # the last window must start inside the input or its begin padding
        else:
            raise NpukitError(
                f"{where}: auto_pad {auto_pad!r} is not one of "
                "NOTSET, SAME_UPPER, SAME_LOWER, VALID"
            )
        if size < 1:
            raise NpukitError(
                f"{where}: a {kernel[i]}-wide window does not fit "
                f"an input of {spatial[i]} on spatial axis {i} (output size {size})"
            )
        out.append(size)
    return tuple(out), tuple(pads)


def spatial_pair(values: tuple[int, ...]) -> tuple[int, int]:
    """1-D geometry as 2-D with height 1, so that a LoopNest can describe it."""
    return (1, values[0]) if len(values) == 1 else (values[0], values[1])


def pads_quad(pads: tuple[int, ...]) -> tuple[int, int, int, int]:
    """ONNX pads (begins, ends) as the LoopNest's (top, left, bottom, right)."""
    if len(pads) == 2:
        return (0, pads[0], 0, pads[1])
    return (pads[0], pads[1], pads[2], pads[3])
