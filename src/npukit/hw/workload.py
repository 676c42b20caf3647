"""The layer as the hardware model sees it: loop bounds and how each tensor is indexed.

Dimensions are the survey's, per group: N batch, G groups, M filters per group, C input
channels per group, E×F output fmap, R×S filter (Timeloop calls them N, -, K, C, P, Q, R, S).
Each tensor is a box in its own data space; a data dimension is a sum of loop indices times a
coefficient (the input row is U·e + dilation·r), so a tile of any loop nest is an
axis-aligned box whose extent is `1 + Σ coefficient · (extent − 1)`. Padding is part of the
input data space, as Timeloop counts it (the padded input is what the array reads).
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod

from npukit.errors import NpukitError
from npukit.ir.loopnest import LoopNest

DIMS = ("N", "G", "M", "C", "E", "F", "R", "S")
TENSORS = ("Weights", "Inputs", "Outputs")
READ_WRITE = frozenset({"Outputs"})


@dataclass(frozen=True)
class Workload:
    """Loop bounds (`bounds[dim]`), strides and dilations of one CONV/FC/matmul layer."""

    bounds: dict[str, int]
    stride: tuple[int, int] = (1, 1)  # (vertical: E, R → input rows; horizontal: F, S → input columns)
    dilation: tuple[int, int] = (1, 1)
    name: str = "layer"
    densities: tuple[tuple[str, float], ...] = ()  # (tensor, fraction nonzero); absent = 1 (dense)
    bits: tuple[tuple[str, int], ...] = ()  # (tensor, bits per value); absent = each level's word bits
    psum_bits: int | None = None  # bits of a partial sum (an int8 NPU accumulates in int32); None = as Outputs

    def __post_init__(self) -> None:
        for tensor, d in self.densities:
            if tensor not in TENSORS or not 0.0 < d <= 1.0:
                raise NpukitError(f"workload {self.name}: density of {tensor} must be in (0, 1] for one of "
                                  f"{', '.join(TENSORS)}, not {d}")
        for tensor, b in self.bits:
            if tensor not in TENSORS or not 1 <= b <= 64:
                raise NpukitError(f"workload {self.name}: bits of {tensor} must be 1 to 64 for one of "
                                  f"{', '.join(TENSORS)}, not {b}")
        if self.psum_bits is not None and not 1 <= self.psum_bits <= 64:
            raise NpukitError(f"workload {self.name}: psum_bits must be 1 to 64, not {self.psum_bits}")
        unknown = set(self.bounds) - set(DIMS)
        if unknown:
            raise NpukitError(f"workload {self.name}: unknown dimension(s) {sorted(unknown)}; dimensions are {DIMS}")
        full = {d: int(self.bounds.get(d, 1)) for d in DIMS}
        bad = [d for d, v in full.items() if v < 1]
        if bad:
            raise NpukitError(f"workload {self.name}: dimension {bad[0]}={full[bad[0]]} must be at least 1")
        object.__setattr__(self, "bounds", full)
        if min(self.stride + self.dilation) < 1:
            raise NpukitError(f"workload {self.name}: strides and dilations must be at least 1")

    @classmethod
    def from_loopnest(cls, nest: LoopNest, name: str = "layer") -> Workload:
        g = nest.G
        bounds = {"N": nest.N, "G": g, "M": nest.M // g, "C": nest.C // g, "E": nest.E, "F": nest.F,
                  "R": nest.R, "S": nest.S}
        return cls(bounds, tuple(nest.stride), tuple(nest.dilation), name)  # type: ignore[arg-type]

    @property
    def macs(self) -> int:
        return prod(self.bounds.values())

    def projection(self, tensor: str) -> tuple[tuple[tuple[str, int], ...], ...]:
        """Data dimensions of `tensor`, each a tuple of (loop dimension, coefficient)."""
        (uh, uw), (dh, dw) = self.stride, self.dilation
        if tensor == "Weights":
            return (("G", 1),), (("M", 1),), (("C", 1),), (("R", 1),), (("S", 1),)
        if tensor == "Inputs":
            return (("N", 1),), (("G", 1),), (("C", 1),), (("E", uh), ("R", dh)), (("F", uw), ("S", dw))
        if tensor == "Outputs":
            return (("N", 1),), (("G", 1),), (("M", 1),), (("E", 1),), (("F", 1),)
        raise NpukitError(f"unknown tensor {tensor!r}; tensors are {', '.join(TENSORS)}")

    def tile_size(self, tensor: str, extents: dict[str, int]) -> int:
        """Elements in the box a loop nest with these per-dimension `extents` touches."""
        return prod(1 + sum(c * (extents[d] - 1) for d, c in terms) for terms in self.projection(tensor))

    def tensor_size(self, tensor: str) -> int:
        return self.tile_size(tensor, self.bounds)

    def relevant(self, tensor: str) -> frozenset[str]:
        """The loop dimensions that index `tensor` (the others reuse it)."""
        return frozenset(d for terms in self.projection(tensor) for d, _ in terms)

    def density(self, tensor: str) -> float:
        """Fraction of nonzero values of `tensor` (1.0 unless given)."""
        return dict(self.densities).get(tensor, 1.0)

    def value_bits(self, tensor: str, word_bits: int) -> int:
        """Bits of one value of `tensor` (a level's `word_bits` unless the workload says otherwise)."""
        return dict(self.bits).get(tensor, word_bits)

    def stored_bits(self, tensor: str, word_bits: int) -> int:
        """Bits of one value of `tensor` as it moves and is stored: Outputs are partial sums, at
        `psum_bits` when given, until their final write to the outermost level (`value_bits`)."""
        if tensor in READ_WRITE and self.psum_bits is not None:
            return self.psum_bits
        return self.value_bits(tensor, word_bits)

    def outermost_bits(self, tensor: str, word_bits: int, accesses: int, final: int) -> int:
        """Bits of `accesses` words of `tensor` at the outermost level, `final` of them the finished
        outputs (at the output width; spilled partial sums at `stored_bits`)."""
        if tensor not in READ_WRITE:
            return accesses * self.value_bits(tensor, word_bits)
        return final * self.value_bits(tensor, word_bits) + (accesses - final) * self.stored_bits(tensor, word_bits)

    def describe(self) -> str:
        b = self.bounds
        text = " ".join(f"{d}={b[d]}" for d in DIMS if b[d] > 1 or d in "MC")
        if self.stride != (1, 1):
            text += f" U={self.stride[0]}" + (f"×{self.stride[1]}" if self.stride[1] != self.stride[0] else "")
        if self.dilation != (1, 1):
            text += f" dilation={self.dilation[0]}×{self.dilation[1]}"
        return text
