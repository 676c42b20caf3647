"""What ONNX import and export share: lazy initializer data, dtypes, attribute values, opset range."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import onnx
from onnx import helper, numpy_helper

from npukit.errors import NpukitError
from npukit.ir import Tensor

MIN_OPSET = 7  # the first opset with numpy-style broadcasting, and the oldest npukit reads
MAX_OPSET = onnx.defs.onnx_opset_version()
DEFAULT_DOMAINS = ("", "ai.onnx")


@dataclass(frozen=True, eq=False)
class OnnxData:
    """An ONNX initializer: converted to NumPy on first use only, then kept.

    Counting the weights of an imported model reads only `dims`, never the data.
    """

    proto: onnx.TensorProto
    cache: list[np.ndarray] = field(default_factory=list, repr=False)

    def materialize(self, shape: tuple[int, ...], dtype: str) -> np.ndarray:
        if not self.cache:
            self.cache.append(numpy_helper.to_array(self.proto).reshape(shape))
        return self.cache[0]


def np_dtype(elem_type: int, what: str) -> str:
    """The NumPy dtype name ('float32', 'int64', ...) of an ONNX element type."""
    try:
        return np.dtype(helper.tensor_dtype_to_np_dtype(elem_type)).name
    except (KeyError, TypeError, ValueError):
        raise NpukitError(f"{what}: element type {elem_type} is not a tensor type npukit reads") from None


def elem_type(dtype: str) -> int:
    """The ONNX element type of a NumPy dtype name."""
    return helper.np_dtype_to_tensor_dtype(np.dtype(dtype))


def constant_tensor(proto: onnx.TensorProto, name: str | None = None) -> Tensor:
    """An initializer (or a Constant node's value) as a constant IR tensor with lazy data."""
    name = name or proto.name
    if proto.data_location == onnx.TensorProto.EXTERNAL:
        raise NpukitError(f"initializer '{name}': its external data was not loaded")
    return Tensor(name, tuple(proto.dims), np_dtype(proto.data_type, f"initializer '{name}'"), OnnxData(proto))


def attribute_value(attr: onnx.AttributeProto) -> Any:
    """An ONNX attribute as a Python value: int, float, str, a list of them, or a proto."""
    value = helper.get_attribute_value(attr)
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, list):
        return [v.decode() if isinstance(v, bytes) else v for v in value]
    return value


def schema(op_type: str, opset: int) -> onnx.defs.OpSchema | None:
    """The default-domain schema of `op_type` as of `opset`, or None if there is none."""
    try:
        return onnx.defs.get_schema(op_type, opset, "")
    except onnx.defs.SchemaError:
        return None


def schema_default(attr: onnx.defs.OpSchema.Attribute) -> Any:
    """The attribute's default in the schema, None if it has none."""
    proto = attr.default_value
    if not proto.name and proto.type == onnx.AttributeProto.UNDEFINED:
        return None
    return attribute_value(proto)


def same_value(a: Any, b: Any) -> bool:
    """Equal, with floats compared at float32 precision (schemas store defaults as float32)."""
    if isinstance(a, float) or isinstance(b, float):
        return isinstance(a, int | float) and isinstance(b, int | float) and math.isclose(a, b, rel_tol=1e-6)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)
