"""npukit's reference runtime: a small executor over NumPy kernels (float32, any batch size)."""

from npukit.runtime.executor import run
from npukit.runtime.kernels import KERNELS

__all__ = ["KERNELS", "run"]
