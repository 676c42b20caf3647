"""NumPy kernels, one plain function per ONNX op, found by walking the modules listed here.

A kernel takes the node's inputs positionally (None for an absent optional input) and its ONNX
attributes as keyword arguments, and returns one array or a tuple of arrays.
"""

from __future__ import annotations

from collections.abc import Callable

from npukit.runtime.kernels import conv, elementwise, gemm, norm, pool, qlinear_binary, qlinear_lookup, quant, shape

KERNELS: dict[str, Callable[..., object]] = {
    op: fn for module in (conv, gemm, pool, norm, elementwise, shape, quant, qlinear_binary, qlinear_lookup)
    for op, fn in module.KERNELS.items()
}
