"""ONNX backend node test cases npukit does not run, each with its reason.

pytest -rs prints the reason of every skipped case; tests/conftest.py prints the totals.
"""

from __future__ import annotations

import re

import onnx

from npukit.runtime import KERNELS

# (regular expression on the test case name, reason)
SKIPS: list[tuple[str, str]] = [
    (r"^test_batchnorm_.*training_mode$", "BatchNormalization in training mode: npukit's runtime is inference-only"),
    (r"^test_identity_(opt|sequence)$", "optional and sequence values: npukit's IR holds tensors only"),
    (r"^test_maxpool_with_argmax_", "MaxPool's optional Indices output is not implemented"),
    (r"quantizelinear_.*(e4m3fn|e5m2|float4e2m1)", "float8 and float4 types: integer kernels only"),
    (r"quantizelinear_blocked", "blocked quantization (block_size, opset 21) is not supported"),
    (r"^test_quantizelinear_u?int[24]$", "quantizing to ONNX's packed 2- and 4-bit types is not supported"),
    (r"^test_cast_.*(FLOAT8|FLOAT4|BFLOAT16|_U?INT[24](_|$))",
     "Cast to or from float8, float4, bfloat16 or packed 2- and 4-bit types"),
    (r"^test_gather_elements_", "GatherElements (another op than Gather) is not implemented"),
]
EXPANDED = "function-expanded form built from ops outside npukit's op set (ReduceMax, Exp, Where, ...)"
MIN_OPSET = 7


def skip_reason(model: onnx.ModelProto) -> str | None:
    """Why npukit does not run this case, or None when it must pass."""
    name = model.graph.name
    for pattern, reason in SKIPS:
        if re.search(pattern, name):
            return reason
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), MIN_OPSET)
    if opset < MIN_OPSET:  # PyTorch-converted cases carry no test name, only their old opset
        return f"a model at opset {opset}: npukit reads opset {MIN_OPSET} and newer"
    outside = {n.op_type for n in model.graph.node} - set(KERNELS) - {"Constant"}
    if re.search(r"_expanded(_ver\d+)?$", name) and outside:
        return EXPANDED
    return None
