"""The quantized graph under construction: its nodes, its constants, and each float tensor's integer twin."""

from __future__ import annotations

from typing import Any

import numpy as np

from npukit.compress.qparams import QParams, QuantConfig, activation_params
from npukit.errors import NpukitError
from npukit.ir import ArrayData, Graph, Node, Tensor
from npukit.ir.ops.elementwise import ONNX_DTYPES

ONNX_TYPES = {dtype: code for code, dtype in ONNX_DTYPES.items()}


class Emitter:
    """Collects nodes and constants; `quantized` maps a float tensor to (its integer tensor, its parameters)."""

    def __init__(self, graph: Graph, config: QuantConfig, ranges: dict[str, tuple[float, float]]) -> None:
        self.graph, self.config, self.ranges = graph, config, ranges
        self.nodes: list[Node] = []
        self.constants: dict[str, Tensor] = {}
        self.quantized: dict[str, tuple[str, QParams]] = {}

    def const(self, name: str, array: np.ndarray) -> str:
        if name in self.constants or name in self.graph.tensors:
            raise NpukitError(f"{self.graph.name}: quantization made two tensors named '{name}'")
        array = np.asarray(array)
        self.constants[name] = Tensor(name, array.shape, array.dtype.name, ArrayData(array))
        return name

    def keep(self, name: str) -> str:
        """A constant of the float graph (a Reshape's target shape), carried over as it is."""
        tensor = self.graph.tensor(name)
        if not tensor.is_constant:
            raise NpukitError(f"{self.graph.name}: '{name}' must be a constant to be carried into the integer graph")
        self.constants[name] = tensor
        return name

    def node(self, op_type: str, inputs: list[str], output: str, **attrs: Any) -> str:
        """Add a node named after its one output; returns the output's name."""
        self.nodes.append(Node(output, op_type, tuple(inputs), (output,), attrs))
        return output

    def params(self, name: str) -> QParams:
        """Activation parameters from the calibrated range of float tensor `name`."""
        lo, hi = self.ranges[name]
        return activation_params(lo, hi, self.config.activations, self.config.symmetric_activations)

    def bind(self, name: str, tensor: str, params: QParams) -> None:
        self.quantized[name] = (tensor, params)

    def q(self, name: str, node: Node) -> tuple[str, QParams]:
        """The integer tensor that stands for float tensor `name`, read by `node`."""
        if name not in self.quantized:
            raise NpukitError(f"node '{node.name}' ({node.op_type}): input '{name}' is not a quantized activation "
                              "(a constant or non-float operand cannot be quantized here)")
        return self.quantized[name]

    @staticmethod
    def onnx_type(dtype: str) -> int:
        return ONNX_TYPES[dtype]
