"""PyTorch import: a torch.nn.Module, traced on example inputs, as an npukit Graph (through ONNX).

The module goes through PyTorch's TorchScript ONNX exporter (`dynamo=False`, which needs no
onnxscript) into memory, then through `npukit.frontends.onnx.load`. The exporter's constant
folding is turned off because in eval mode it folds BatchNorm into the preceding Conv, which
would change the parameter count; the little it would have folded (shape arithmetic, Identity
copies of equal initializers) npukit's importer folds itself.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from npukit.errors import NpukitError
from npukit.ir import Graph


def from_torch(module: Any, example_inputs: Any, input_names: Sequence[str] | None = None, opset: int = 17) -> Graph:
    """The module as a Graph at the example inputs' shapes (a tensor or a tuple of tensors).

    The module is exported in eval mode (dropout off, batch norm with its running statistics)
    and left in the mode it was in. `input_names` names the graph inputs (PyTorch's own names
    otherwise). The graph is named after the module's class.
    """
    try:
        import torch
    except ImportError:
        raise NpukitError("PyTorch is not installed: pip install 'npukit[torch]'") from None
    from npukit.frontends.onnx_import import load

    args = tuple(example_inputs) if isinstance(example_inputs, list | tuple) else (example_inputs,)
    name = type(module).__name__
    buffer = io.BytesIO()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notices
            torch.onnx.export(
                module,
                args,
                buffer,
                dynamo=False,
                opset_version=opset,
                input_names=list(input_names) if input_names else None,
                do_constant_folding=False,
                training=torch.onnx.TrainingMode.EVAL,
            )
    except Exception as e:  # tracing and export raise many types
        message = " ".join(str(e).split())[:300]
        raise NpukitError(f"{name}: torch.onnx.export failed: {type(e).__name__}: {message}") from None
    try:
        graph = load(buffer.getvalue())
    except NpukitError as e:
        raise NpukitError(f"{name}: {str(e).removeprefix('<bytes>: ')}") from None
    return replace(graph, name=name)
