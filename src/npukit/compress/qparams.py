"""Quantization types and parameters: integer ranges, per-tensor and per-channel scales and zero points.

real ≈ (q − zero_point) · scale. Weights are symmetric (zero point 0) over the narrow range
[−(2^(b−1) − 1), 2^(b−1) − 1], as the TFLite int8 spec has it; activations are asymmetric (any
zero point) or symmetric, signed or unsigned. A type narrower than 8 bits lives in an 8-bit
container (ONNX's integer kernels take 8-bit operands) and is held to its own range by saturation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from npukit.errors import NpukitError

WEIGHT_BITS = (2, 3, 4, 5, 6, 7, 8)  # int16 × int16 products would overflow ONNX's int32 accumulators
ACTIVATION_BITS = (2, 3, 4, 5, 6, 7, 8, 16)
OBSERVERS = ("minmax", "percentile", "mse")
REQUANT_MODES = ("float", "fixedpoint")
ROUNDINGS = ("half_even", "half_away", "half_up")


@dataclass(frozen=True)
class QuantType:
    """An integer type of `bits` bits; `narrow` drops the most negative value (symmetric weights)."""

    bits: int
    signed: bool = True
    narrow: bool = False

    @property
    def qmin(self) -> int:
        return -(2 ** (self.bits - 1)) + int(self.narrow) if self.signed else 0

    @property
    def qmax(self) -> int:
        return 2 ** (self.bits - 1) - 1 if self.signed else 2**self.bits - 1

    @property
    def container(self) -> str:
        """The NumPy dtype that stores the values: int8/uint8 up to 8 bits, else int16/uint16."""
        return ("int" if self.signed else "uint") + ("8" if self.bits <= 8 else "16")

    @property
    def fills_container(self) -> bool:
        info = np.iinfo(self.container)
        return (self.qmin, self.qmax) == (int(info.min), int(info.max))

    def describe(self) -> str:
        return f"{'' if self.signed else 'u'}int{self.bits}"


@dataclass(frozen=True)
class QParams:
    """Scale (float32, a scalar or one per channel) and zero point (the type's container) of a tensor."""

    scale: np.ndarray
    zero_point: np.ndarray
    qtype: QuantType

    def bounds(self, lo: float | None, hi: float | None) -> tuple[int, int]:
        """The integer range of the real range [lo, hi] (None: unbounded), within the type's range.

        As TFLite's fused activations: zero point + round(bound / scale), ties away from zero."""
        zero, scale = int(self.zero_point), float(self.scale)
        qlo = self.qtype.qmin if lo is None else max(self.qtype.qmin, zero + round_half_away(lo / scale))
        qhi = self.qtype.qmax if hi is None else min(self.qtype.qmax, zero + round_half_away(hi / scale))
        return qlo, qhi


@dataclass(frozen=True)
class QuantConfig:
    """What `quantize` does; validated here, once, with messages that name the option."""

    weight_bits: int = 8
    activation_bits: int = 8
    activation_signed: bool = True
    symmetric_activations: bool = False
    observer: str = "minmax"
    percentile: float = 99.99
    requant: str = "float"
    rounding: str = "half_even"

    def __post_init__(self) -> None:
        for name, value, valid in [
            ("weight_bits", self.weight_bits, WEIGHT_BITS), ("activation_bits", self.activation_bits, ACTIVATION_BITS),
            ("observer", self.observer, OBSERVERS), ("requant", self.requant, REQUANT_MODES),
            ("rounding", self.rounding, ROUNDINGS),
        ]:
            if value not in valid:
                raise NpukitError(f"quantization: {name} must be one of {', '.join(map(str, valid))}, not {value!r}")
        if not 50.0 < self.percentile <= 100.0:
            raise NpukitError(f"quantization: percentile must be in (50, 100], not {self.percentile}")
        if self.requant == "fixedpoint" and self.rounding != "half_even":
            raise NpukitError("quantization: the rounding option applies to requant='float'; fixedpoint rounds "
                              "as the TFLite spec does")
        if self.symmetric_activations and not self.activation_signed:
            raise NpukitError("quantization: symmetric activations are signed (zero point 0)")

    @property
    def weights(self) -> QuantType:
        return QuantType(self.weight_bits, signed=True, narrow=True)

    @property
    def activations(self) -> QuantType:
        return QuantType(self.activation_bits, signed=self.activation_signed, narrow=self.symmetric_activations)


def round_half_away(v: float) -> int:
    return int(np.sign(v) * np.floor(abs(v) + 0.5))


def activation_params(lo: float, hi: float, qtype: QuantType, symmetric: bool) -> QParams:
    """Per-tensor parameters that cover [lo, hi] widened to hold 0 (so that 0 is exact)."""
    lo, hi = min(float(lo), 0.0), max(float(hi), 0.0)
    scale = np.float32(max(-lo, hi) / qtype.qmax if symmetric else (hi - lo) / (qtype.qmax - qtype.qmin))
    if not np.isfinite(scale) or scale <= 0:
        scale = np.float32(1.0)  # a tensor that is all zeros: any scale represents it
    zero = 0 if symmetric else int(np.clip(qtype.qmin - round_half_away(lo / float(scale)), qtype.qmin, qtype.qmax))
    return QParams(np.asarray(scale, np.float32), np.asarray(zero, qtype.container), qtype)


def weight_params(w: np.ndarray, axis: int, qtype: QuantType) -> tuple[np.ndarray, QParams]:
    """Symmetric per-channel quantization of `w` along `axis`: (integer weights, parameters)."""
    others = tuple(i for i in range(w.ndim) if i != axis % w.ndim)
    peak = np.abs(w.astype(np.float64)).max(axis=others) if w.size else np.zeros(w.shape[axis])
    scale = (peak / qtype.qmax).astype(np.float32)
    scale[scale <= 0] = 1.0  # an all-zero channel
    shape = [1] * w.ndim
    shape[axis % w.ndim] = -1
    q = np.clip(np.rint(w / scale.reshape(shape).astype(np.float64)), qtype.qmin, qtype.qmax)
    zero = np.zeros(scale.shape, qtype.container)
    return q.astype(qtype.container), QParams(scale, zero, qtype)


def bias_values(b: np.ndarray, input_scale: np.ndarray, weight_scale: np.ndarray) -> np.ndarray:
    """int32 bias with scale input_scale · weight_scale (per channel), rounded half to even, saturated."""
    scale = input_scale.astype(np.float64) * weight_scale.astype(np.float64)
    info = np.iinfo(np.int32)
    return np.clip(np.rint(b.astype(np.float64) / scale), info.min, info.max).astype(np.int32)
