"""Post-training quantization: a float Graph to an integer Graph in ONNX's quantized vocabulary.

    q = quantize(graph, calibration_inputs)          # int8 weights per channel, int8 activations

Steps: fold batch norms (and constants, identities); calibrate activation ranges on sample inputs;
fuse each ReLU/Clip into its producer's output range; quantize weights symmetrically per output
channel and biases to int32 (scale = input scale · weight scale); write every layer with integer
ops (see lower.py) and requantization (see requant.py). Between the first QuantizeLinear and the
last DequantizeLinear every tensor is an integer, and npukit's runtime and ONNX Runtime (graph
optimizations off) compute the same integers.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from npukit.compress.calibrate import Feeds, batches, calibrate
from npukit.compress.emit import Emitter
from npukit.compress.graph_edit import consumers
from npukit.compress.lower import FUSES_ACTIVATION, LOWERINGS, Activation, activation_range, lower
from npukit.compress.passes import fold_batch_norm, fold_constants, optimize, remove_dead_nodes, remove_identities
from npukit.compress.qparams import QuantConfig
from npukit.errors import NpukitError
from npukit.ir import Graph, Node

METADATA_KEY = "quantization"


def quantize(graph: Graph, calibration_inputs: np.ndarray | Feeds | Sequence[Feeds], weight_bits: int = 8,
             activation_bits: int = 8, observer: str = "minmax", requant: str = "float",
             rounding: str = "half_even", activation_signed: bool = True, symmetric_activations: bool = False,
             percentile: float = 99.99) -> Graph:
    """The integer graph of float `graph`, calibrated on `calibration_inputs`.

    calibration_inputs: feeds (input name → float32 array, the graph's shapes), a list of them, or for
    a one-input graph an array of samples N×... (N a multiple of the graph's batch).
    weight_bits, activation_bits: 4, 8 or 16. observer: minmax, percentile (central `percentile`%)
    or mse. requant: "float" (ONNX Runtime's float32 multiplier) or "fixedpoint" (TFLite's integer
    multiplier and shift). rounding (float requant): half_even, half_away or half_up.
    activation_signed: int8 (True) or uint8 activations; symmetric_activations: zero point 0.
    The result's metadata["quantization"] holds the options and, per float tensor, its integer tensor,
    type, scale and zero point.
    """
    config = QuantConfig(weight_bits, activation_bits, activation_signed, symmetric_activations, observer,
                         percentile, requant, rounding)
    fp = optimize(graph, [remove_identities, fold_constants, fold_batch_norm, remove_dead_nodes])
    check_supported(fp)
    feeds = batches(fp, calibration_inputs)
    ranges = calibrate(fp, feeds, observer, config.activations, symmetric_activations, percentile)
    return integer_graph(fp, config, ranges)


def check_supported(graph: Graph) -> None:
    """Fail before calibrating: the first node without an integer form, named with its op."""
    for node in graph.nodes:
        if node.op_type not in LOWERINGS:
            raise NpukitError(f"node '{node.name}' ({node.op_type}): no integer kernel for this op; "
                              "it cannot be quantized")
    for name in graph.inputs:
        if not graph.tensors[name].dtype.startswith("float"):
            raise NpukitError(f"{graph.name}: input '{name}' is {graph.tensors[name].dtype}, not float")


def fused_activations(graph: Graph) -> dict[str, Activation]:
    """Producer node name → the Relu/Clip that alone reads its output (and is fused into its range)."""
    readers, fused = consumers(graph), {}
    producers = graph.producers()
    for node in graph.nodes:
        if node.op_type not in ("Relu", "Clip"):
            continue
        producer = producers.get(node.inputs[0])
        if producer is None or producer.op_type not in FUSES_ACTIVATION or producer.outputs[0] in graph.outputs:
            continue
        if len(readers[node.inputs[0]]) == 1:
            fused[producer.name] = Activation(node, *activation_range(graph, node))
    return fused


def integer_graph(fp: Graph, config: QuantConfig, ranges: dict[str, tuple[float, float]]) -> Graph:
    e = Emitter(fp, config, ranges)
    for name in fp.inputs:
        p = e.params(name)
        q = e.node("QuantizeLinear", [name, e.const(f"{name}.scale", p.scale), e.const(f"{name}.zp", p.zero_point)],
                   f"{name}.q")
        e.bind(name, q, p)
    fused = fused_activations(fp)
    skipped = {a.node.name for a in fused.values()}
    for node in fp.nodes:
        if node.name not in skipped:
            lower(e, node, fused.get(node.name))
    for name in fp.outputs:
        q, p = e.q(name, Node(name, "output", (name,), ()))
        e.node("DequantizeLinear", [q, e.const(f"{name}.out_scale", p.scale), e.const(f"{name}.out_zp", p.zero_point)],
               name)
    tensors = {f: {"tensor": q, "dtype": p.qtype.describe(), "scale": float(p.scale), "zero_point": int(p.zero_point)}
               for f, (q, p) in e.quantized.items()}
    meta = {**fp.metadata, METADATA_KEY: {**dataclasses.asdict(config), "tensors": tensors}}
    inputs = [fp.tensors[n] for n in fp.inputs]
    return Graph.build(f"{fp.name}-int{config.activation_bits}", inputs, list(e.constants.values()), e.nodes,
                       fp.outputs, meta)


def layer_outputs(graph: Graph) -> Graph:
    """The quantized graph with every integer activation (one per float tensor) also a graph output."""
    tensors = graph.metadata.get(METADATA_KEY, {}).get("tensors")
    if tensors is None:
        raise NpukitError(f"{graph.name}: not a graph made by npukit's quantize")
    extra = [t["tensor"] for t in tensors.values() if t["tensor"] not in graph.outputs]
    constants = [t for t in graph.tensors.values() if t.is_constant]
    return Graph.build(graph.name, [graph.tensors[n] for n in graph.inputs], constants, graph.nodes,
                       [*graph.outputs, *dict.fromkeys(extra)], graph.metadata)
