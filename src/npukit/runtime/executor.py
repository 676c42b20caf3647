"""The executor: run a Graph node by node with NumPy kernels (float32, any batch size)."""

from __future__ import annotations

import weakref
from collections.abc import Mapping, Sequence

import numpy as np

from npukit.errors import NpukitError
from npukit.ir import Graph, Node
from npukit.runtime.kernels import KERNELS


def run(graph: Graph, inputs: Mapping[str, np.ndarray], outputs: Sequence[str] | None = None) -> dict[str, np.ndarray]:
    """Run `graph` on `inputs` (graph input name → array); return `outputs` (default: the graph's)."""
    wanted = list(outputs or graph.outputs)
    values = check_inputs(graph, inputs)
    last_use = {name: i for i, node in enumerate(graph.nodes) for name in node.inputs}
    for i, node in enumerate(graph.nodes):
        args = [value_of(graph, values, name, node) if name else None for name in node.inputs]
        results = execute(node, args)
        values.update(zip((o for o in node.outputs if o), results, strict=False))
        for name in set(node.inputs):  # free what no later node reads
            if last_use.get(name) == i and name not in wanted:
                values.pop(name, None)
    missing = [name for name in wanted if name not in values and name not in graph.tensors]
    if missing:
        raise NpukitError(f"{graph.name}: no tensor named '{missing[0]}'")
    return {name: values[name] if name in values else graph.tensors[name].value() for name in wanted}


def check_inputs(graph: Graph, inputs: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    values = {}
    for name in graph.inputs:
        if name not in inputs:
            raise NpukitError(f"{graph.name}: input '{name}' is missing (inputs: {', '.join(graph.inputs)})")
        array, expected = np.asarray(inputs[name]), graph.tensors[name]
        if array.shape != expected.shape:
            raise NpukitError(
                f"{graph.name}: input '{name}': expected shape {'×'.join(map(str, expected.shape))}, "
                f"got {'×'.join(map(str, array.shape)) or 'a scalar'}"
            )
        if array.dtype != np.dtype(expected.dtype):
            raise NpukitError(f"{graph.name}: input '{name}': expected {expected.dtype}, got {array.dtype}")
        values[name] = array
    return values


# Constant data made for a graph, kept while the graph lives (as an inference session keeps weights).
CONSTANTS: weakref.WeakKeyDictionary[Graph, dict[str, np.ndarray]] = weakref.WeakKeyDictionary()


def value_of(graph: Graph, values: dict[str, np.ndarray], name: str, node: Node) -> np.ndarray:
    if name in values:
        return values[name]
    constants = CONSTANTS.setdefault(graph, {})
    if name not in constants:
        tensor = graph.tensors.get(name)
        if tensor is None or not tensor.is_constant:
            raise NpukitError(f"node '{node.name}' ({node.op_type}): input '{name}' has no value")
        constants[name] = tensor.value()
    return constants[name]


def execute(node: Node, args: list[np.ndarray | None]) -> tuple[np.ndarray, ...]:
    kernel = KERNELS.get(node.op_type)
    if kernel is None:
        raise NpukitError(f"node '{node.name}' ({node.op_type}): no kernel in npukit's runtime")
    try:
        result = kernel(*args, **node.attrs)
    except (ValueError, TypeError, AssertionError) as e:
        raise NpukitError(f"node '{node.name}' ({node.op_type}): {e}") from None
    return result if isinstance(result, tuple) else (result,)
