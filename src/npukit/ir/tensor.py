"""Tensors of the IR: a name, a shape, a dtype and, for constants, a recipe for the data.

Constant data is made only when something asks for its values (`Tensor.value()`), so that
counting the weights of VGG-16 never allocates 138M floats.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import numpy as np

Shape = tuple[int, ...]


class Initializer(Protocol):
    def materialize(self, shape: Shape, dtype: str) -> np.ndarray: ...


@dataclass(frozen=True, eq=False)
class ArrayData:
    """Data already in memory (an ONNX initializer, a trained weight)."""

    array: np.ndarray

    def materialize(self, shape: Shape, dtype: str) -> np.ndarray:
        return self.array


@dataclass(frozen=True)
class Values:
    """A short list of literal values, such as the target shape of a Reshape."""

    values: tuple[float | int, ...]

    def materialize(self, shape: Shape, dtype: str) -> np.ndarray:
        import numpy as np

        return np.asarray(self.values, dtype=dtype).reshape(shape)


@dataclass(frozen=True)
class RandomNormal:
    """Seeded normal data, N(mean, std²); the seed is derived from the tensor name."""

    std: float = 1.0
    mean: float = 0.0
    salt: str = ""

    def materialize(self, shape: Shape, dtype: str) -> np.ndarray:
        import numpy as np

        rng = np.random.default_rng(zlib.crc32(self.salt.encode()))
        data = rng.standard_normal(shape, dtype=np.float32)
        data *= np.float32(self.std)
        data += np.float32(self.mean)
        return data.astype(dtype, copy=False)


@dataclass(frozen=True)
class Fill:
    """Every element the same value (batch-norm scale 1, shift 0, ...)."""

    value: float

    def materialize(self, shape: Shape, dtype: str) -> np.ndarray:
        import numpy as np

        return np.full(shape, self.value, dtype=dtype)


@dataclass(frozen=True, eq=False)
class Tensor:
    """A named tensor: `shape` and `dtype` always known; `init` set only for constants."""

    name: str
    shape: Shape
    dtype: str = "float32"
    init: Initializer | None = None

    @property
    def is_constant(self) -> bool:
        return self.init is not None

    @property
    def size(self) -> int:
        """Number of elements."""
        return math.prod(self.shape)

    def value(self) -> np.ndarray:
        """The constant's data, made now if it was not yet (raises for non-constants)."""
        if self.init is None:
            raise ValueError(f"tensor '{self.name}' is not a constant")
        return self.init.materialize(self.shape, self.dtype)
