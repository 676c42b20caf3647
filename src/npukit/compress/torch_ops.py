"""The ops of an npukit Graph as PyTorch functions (2-D, NCHW), for training a graph's weights.

Keyword arguments mirror the ONNX attributes and their defaults, as in the runtime's kernels.
Imports torch at the top: only `torch_train` imports this module, and only `finetune`'s functions
import that one (PyTorch is an optional extra). CONV and FC layers are not here: they are
trainable modules of their own (`torch_train.GraphModule`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch.nn import functional as F

from npukit.errors import NpukitError

Pads = Sequence[int] | None


def symmetric(pads: Pads, what: str) -> tuple[int, int]:
    """ONNX pads (top, left, bottom, right) as PyTorch's (height, width) padding."""
    top, left, bottom, right = pads or (0, 0, 0, 0)
    if (top, left) != (bottom, right):
        raise NpukitError(f"{what}: asymmetric pads {list(pads or ())} have no PyTorch equivalent here")
    return top, left


def no_auto_pad(auto_pad: str) -> None:
    if auto_pad != "NOTSET":
        raise NpukitError(f"auto_pad={auto_pad} is not supported (npukit's importers make pads explicit)")


def max_pool(x: torch.Tensor, *, kernel_shape: Sequence[int], strides: Pads = None, pads: Pads = None,
             ceil_mode: int = 0, dilations: Pads = None, auto_pad: str = "NOTSET", storage_order: int = 0
             ) -> torch.Tensor:
    no_auto_pad(auto_pad)
    return F.max_pool2d(x, list(kernel_shape), list(strides or (1, 1)), symmetric(pads, "MaxPool"),
                        list(dilations or (1, 1)), bool(ceil_mode))


def average_pool(x: torch.Tensor, *, kernel_shape: Sequence[int], strides: Pads = None, pads: Pads = None,
                 ceil_mode: int = 0, count_include_pad: int = 0, dilations: Pads = None, auto_pad: str = "NOTSET"
                 ) -> torch.Tensor:
    no_auto_pad(auto_pad)
    if dilations and any(d != 1 for d in dilations):
        raise NpukitError("AveragePool: dilations have no PyTorch equivalent")
    return F.avg_pool2d(x, list(kernel_shape), list(strides or (1, 1)), symmetric(pads, "AveragePool"),
                        bool(ceil_mode), bool(count_include_pad))


def batch_norm(x: torch.Tensor, scale: torch.Tensor, bias: torch.Tensor, mean: torch.Tensor, var: torch.Tensor, *,
               epsilon: float = 1e-5, momentum: float = 0.9, training_mode: int = 0) -> torch.Tensor:
    # running statistics, as at inference: fine-tuning leaves batch norm as it is
    return F.batch_norm(x, mean, var, scale, bias, training=False, eps=epsilon)


def flatten(x: torch.Tensor, *, axis: int = 1) -> torch.Tensor:
    return x.reshape(math.prod(x.shape[:axis]), -1)


def reshape(x: torch.Tensor, shape: torch.Tensor, *, allowzero: int = 0) -> torch.Tensor:
    dims = [int(d) for d in shape.tolist()]
    return x.reshape([x.shape[i] if d == 0 and not allowzero else d for i, d in enumerate(dims)])


def clip(x: torch.Tensor, low: torch.Tensor | None = None, high: torch.Tensor | None = None, *,
         min: float | None = None, max: float | None = None) -> torch.Tensor:
    """Bounds are inputs from opset 11 on, attributes `min` and `max` before."""
    return torch.clamp(x, low if low is not None else min, high if high is not None else max)


def identity(x: torch.Tensor, *_: Any, **__: Any) -> torch.Tensor:
    return x  # Dropout at inference, Identity


OPS: dict[str, Callable[..., torch.Tensor]] = {
    "Relu": lambda x: F.relu(x),
    "Sigmoid": lambda x: torch.sigmoid(x),
    "Tanh": lambda x: torch.tanh(x),
    "Clip": clip,
    "MaxPool": max_pool,
    "AveragePool": average_pool,
    "GlobalAveragePool": lambda x: x.mean((2, 3), keepdim=True),
    "GlobalMaxPool": lambda x: x.amax((2, 3), keepdim=True),
    "BatchNormalization": batch_norm,
    "Add": lambda a, b: a + b,
    "Mul": lambda a, b: a * b,
    "Concat": lambda *xs, axis: torch.cat(xs, axis),
    "Flatten": flatten,
    "Reshape": reshape,
    "Softmax": lambda x, axis=-1: torch.softmax(x, axis),
    "Dropout": identity,
    "Identity": identity,
}
