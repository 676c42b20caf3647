"""A small builder that writes networks in code, the way papers draw them.

Each method adds one node, infers its output shape at once and returns the output tensor's
name. Weights are constants whose data is made only on demand (seeded He-normal).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

from npukit.errors import NpukitError
from npukit.ir import ArrayData, Fill, Graph, Node, RandomNormal, Tensor, Values, infer_node

Pair = int | tuple[int, int]


def pair(v: Pair) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else v


class GraphBuilder:
    def __init__(self, name: str, input_shape: Sequence[int], input_name: str = "input",
                 weights: Mapping[str, Any] | None = None) -> None:
        """`weights` maps constant names ("conv1.weight") to trained arrays; others are random."""
        self.name = name
        self.weights = weights or {}
        self.inputs = [Tensor(input_name, tuple(input_shape))]
        self.constants: list[Tensor] = []
        self.nodes: list[Node] = []
        self.tensors: dict[str, Tensor] = {input_name: self.inputs[0]}
        self.counters: dict[str, int] = {}
        self.input = input_name

    def shape(self, x: str) -> tuple[int, ...]:
        return self.tensors[x].shape

    def _name(self, prefix: str, name: str | None) -> str:
        if name:
            return name
        self.counters[prefix] = self.counters.get(prefix, 0) + 1
        return f"{prefix}{self.counters[prefix]}"

    def _const(self, name: str, shape: tuple[int, ...], init: Any, dtype: str = "float32") -> str:
        if name in self.weights:
            trained = self.weights[name]
            if tuple(trained.shape) != shape:
                raise NpukitError(f"{self.name}: trained '{name}' has shape {trained.shape}, the layer needs {shape}")
            init = ArrayData(trained.astype(dtype))
        t = Tensor(name, shape, dtype, init)
        self.constants.append(t)
        self.tensors[name] = t
        return name

    def add_node(self, op_type: str, inputs: Sequence[str], name: str, **attrs: Any) -> str:
        node = Node(name, op_type, tuple(inputs), (name,), attrs)
        for out in infer_node(node, self.tensors, {}):
            self.tensors[out.name] = out
        self.nodes.append(node)
        return name

    def conv(
        self,
        x: str,
        filters: int,
        kernel: Pair,
        stride: Pair = 1,
        pad: Pair = 0,
        groups: int = 1,
        bias: bool = True,
        name: str | None = None,
    ) -> str:
        name = self._name("conv", name)
        (r, s), channels = pair(kernel), self.shape(x)[1]
        fan_in = channels // groups * r * s
        w = self._const(
            f"{name}.weight",
            (filters, channels // groups, r, s),
            RandomNormal(math.sqrt(2 / fan_in), salt=f"{self.name}/{name}.weight"),
        )
        inputs = [x, w]
        if bias:
            inputs.append(self._const(f"{name}.bias", (filters,), Fill(0.0)))
        ph, pw = pair(pad)
        return self.add_node(
            "Conv", inputs, name, kernel_shape=[r, s], strides=list(pair(stride)), pads=[ph, pw, ph, pw], group=groups
        )

    def fc(self, x: str, units: int, bias: bool = True, name: str | None = None) -> str:
        """A fully-connected layer as Gemm with weights stored units × inputs (transB=1)."""
        name = self._name("fc", name)
        inputs_n = self.shape(x)[1]
        w = self._const(
            f"{name}.weight",
            (units, inputs_n),
            RandomNormal(math.sqrt(1 / inputs_n), salt=f"{self.name}/{name}.weight"),
        )
        inputs = [x, w]
        if bias:
            inputs.append(self._const(f"{name}.bias", (units,), Fill(0.0)))
        return self.add_node("Gemm", inputs, name, transB=1)

    def bn(self, x: str, name: str | None = None, scale: float = 1.0) -> str:
        """Batch norm with identity statistics; `scale` < 1 at the end of a residual branch keeps
        activations near unit scale through deep residual stacks (random weights, no training)."""
        name = self._name("bn", name)
        c = self.shape(x)[1]
        stats = [("weight", scale), ("bias", 0.0), ("running_mean", 0.0), ("running_var", 1.0)]
        inputs = [x] + [self._const(f"{name}.{k}", (c,), Fill(v)) for k, v in stats]
        return self.add_node("BatchNormalization", inputs, name, epsilon=1e-5)

    def relu(self, x: str, name: str | None = None) -> str:
        return self.add_node("Relu", [x], self._name("relu", name))

    def relu6(self, x: str, name: str | None = None) -> str:
        name = self._name("relu6", name)
        lo = self._const(f"{name}.min", (), Values((0.0,)))
        hi = self._const(f"{name}.max", (), Values((6.0,)))
        return self.add_node("Clip", [x, lo, hi], name)

    def sigmoid(self, x: str, name: str | None = None) -> str:
        return self.add_node("Sigmoid", [x], self._name("sigmoid", name))

    def lrn(
        self, x: str, size: int = 5, alpha: float = 1e-4, beta: float = 0.75, bias: float = 1.0, name: str | None = None
    ) -> str:
        return self.add_node("LRN", [x], self._name("lrn", name), size=size, alpha=alpha, beta=beta, bias=bias)

    def maxpool(
        self, x: str, kernel: int, stride: int, pad: int = 0, ceil: bool = False, name: str | None = None
    ) -> str:
        return self.add_node(
            "MaxPool",
            [x],
            self._name("pool", name),
            kernel_shape=[kernel] * 2,
            strides=[stride] * 2,
            pads=[pad] * 4,
            ceil_mode=int(ceil),
        )

    def avgpool(self, x: str, kernel: int, stride: int, name: str | None = None) -> str:
        return self.add_node(
            "AveragePool", [x], self._name("pool", name), kernel_shape=[kernel] * 2, strides=[stride] * 2
        )

    def global_avgpool(self, x: str, name: str | None = None) -> str:
        return self.add_node("GlobalAveragePool", [x], self._name("gap", name))

    def add(self, a: str, b: str, name: str | None = None) -> str:
        return self.add_node("Add", [a, b], self._name("add", name))

    def concat(self, xs: Sequence[str], name: str | None = None) -> str:
        return self.add_node("Concat", list(xs), self._name("concat", name), axis=1)

    def flatten(self, x: str, name: str | None = None) -> str:
        return self.add_node("Flatten", [x], self._name("flatten", name), axis=1)

    def dropout(self, x: str, ratio: float = 0.5, name: str | None = None) -> str:
        return self.add_node("Dropout", [x], self._name("dropout", name), ratio=ratio)

    def softmax(self, x: str, name: str | None = None) -> str:
        return self.add_node("Softmax", [x], self._name("softmax", name), axis=1)

    def build(self, output: str, **metadata: Any) -> Graph:
        # nodes were added in order with shapes inferred, so the graph is built as it stands
        return Graph(
            self.name,
            tuple(self.nodes),
            MappingProxyType(self.tensors),
            (self.input,),
            (output,),
            MappingProxyType(metadata),
        )
