"""The ONNX backend node tests (cases built by the onnx package) for every op npukit runs.

Each case's model goes through npukit's ONNX import and NumPy runtime; outputs are compared by
onnx's own runner. Cases npukit does not support are listed with a reason in node_skips.py and
raise unittest.SkipTest, so that they are counted as skipped, never silently passed.
"""

from __future__ import annotations

import unittest
from collections.abc import Sequence
from typing import Any

import numpy as np
import onnx
import onnx.backend.base
import onnx.backend.test
from node_skips import skip_reason

from npukit.frontends.onnx import load
from npukit.runtime import run

OPS = [
    "conv", "convtranspose", "gemm", "matmul", "maxpool", "averagepool", "globalaveragepool", "globalmaxpool",
    "batchnorm", "lrn", "relu", "leakyrelu", "sigmoid", "tanh", "clip", "softmax", "logsoftmax", "add", "mul",
    "concat", "flatten", "reshape", "transpose", "pad", "constant_pad", "edge_pad", "reflect_pad", "dropout",
    "identity", "basic_conv", "basic_convtranspose",
    "quantizelinear", "dequantizelinear", "qlinearconv", "qlinearmatmul", "convinteger", "matmulinteger",
    "sub", "div", "abs", "sign", "floor", "where", "greater_equal", "gather", "cast",
]


class NpukitRep(onnx.backend.base.BackendRep):
    def __init__(self, model: onnx.ModelProto) -> None:
        self.graph = load(model)

    def run(self, inputs: Any, **kwargs: Any) -> tuple[np.ndarray, ...]:
        feeds = dict(zip(self.graph.inputs, inputs, strict=True))
        results = run(self.graph, feeds)
        return tuple(results[name] for name in self.graph.outputs)


class NpukitBackend(onnx.backend.base.Backend):
    @classmethod
    def prepare(cls, model: onnx.ModelProto, device: str = "CPU", **kwargs: Any) -> NpukitRep:
        reason = skip_reason(model)
        if reason:
            raise unittest.SkipTest(reason)
        return NpukitRep(model)

    @classmethod
    def supports_device(cls, device: str) -> bool:
        return device == "CPU"


def include_patterns(ops: Sequence[str]) -> list[str]:
    return [rf"^test_{op}(_.*)?_cpu$" for op in ops]


backend_test = onnx.backend.test.BackendTest(NpukitBackend, __name__)
for pattern in include_patterns(OPS):
    backend_test.include(pattern)
globals().update(backend_test.enable_report().test_cases)
