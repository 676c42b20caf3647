"""The survey's loop nest: the one vocabulary for CONV, FC, depthwise and matmul layers.

    O[n][m][e][f] = B[m] + Σ_c Σ_r Σ_s I[n][c][U·e + r][U·f + s] · W[m][c][r][s]

N batch, M filters, C input channels, H×W input fmap, R×S filter, E×F output fmap, U stride,
plus padding, dilation and G groups (depthwise: G = C = M). Each filter sees C/G channels.
An FC layer is the case H=R, W=S, E=F=1 (here flattened: H=W=R=S=1).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

KINDS = ("CONV", "FC", "MATMUL")


@dataclass(frozen=True)
class LoopNest:
    N: int
    M: int
    C: int
    H: int
    W: int
    R: int
    S: int
    E: int
    F: int
    stride: tuple[int, int] = (1, 1)
    dilation: tuple[int, int] = (1, 1)
    pads: tuple[int, int, int, int] = (0, 0, 0, 0)  # top, left, bottom, right
    G: int = 1
    kind: str = "CONV"  # CONV, FC (constant weights) or MATMUL (two activations)

    def __post_init__(self) -> None:
        dims = (self.N, self.M, self.C, self.H, self.W, self.R, self.S, self.E, self.F, self.G)
        if min(dims) < 1:
            raise ValueError(f"loop nest dimensions must be positive: {self.describe()}")
        if self.C % self.G or self.M % self.G:
            raise ValueError(f"C={self.C} and M={self.M} must be multiples of G={self.G}")
        if self.kind not in KINDS:
            raise ValueError(f"loop nest kind must be one of {KINDS}, not {self.kind!r}")

    @property
    def U(self) -> int:
        """The survey's stride (vertical; `stride[1]` is the horizontal one)."""
        return self.stride[0]

    @property
    def C_per_group(self) -> int:
        return self.C // self.G

    @property
    def macs(self) -> int:
        """Multiply-accumulates, biases not counted (as the survey counts)."""
        return self.N * self.M * self.E * self.F * self.C_per_group * self.R * self.S

    @property
    def weights(self) -> int:
        """Filter coefficients: M filters of C/G × R × S."""
        return self.M * self.C_per_group * self.R * self.S

    @property
    def input_elements(self) -> int:
        return self.N * self.C * self.H * self.W

    @property
    def output_elements(self) -> int:
        return self.N * self.M * self.E * self.F

    def as_dict(self) -> dict[str, object]:
        d = asdict(self)
        d["stride"], d["dilation"], d["pads"] = list(self.stride), list(self.dilation), list(self.pads)
        return d

    def describe(self) -> str:
        """One short line, e.g. `M=64 C=3 H×W=224×224 R×S=7×7 E×F=112×112 U=2`."""
        parts = [f"M={self.M}", f"C={self.C}"]
        if (self.H, self.W, self.R, self.S, self.E, self.F) != (1,) * 6:
            parts += [f"H×W={self.H}×{self.W}", f"R×S={self.R}×{self.S}", f"E×F={self.E}×{self.F}"]
        if self.stride != (1, 1):
            parts.append(f"U={self.U}" if self.stride[0] == self.stride[1] else f"U={self.stride}")
        if self.G > 1:
            parts.append(f"G={self.G}")
        if self.N > 1:
            parts.insert(0, f"N={self.N}")
        return " ".join(parts)
