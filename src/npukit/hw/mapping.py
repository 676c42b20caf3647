"""Mappings: per storage level, temporal loops (outermost first), spatial X/Y loops, keep/bypass.

A level's loops iterate over the tiles its children hold: its temporal loops run in time, its
spatial loops spread tiles over the fan-out to the next level inward (or the MACs). Printed
level by level as a loop nest, the way Timeloop prints map.txt.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from math import prod
from pathlib import Path
from typing import Any

from npukit.errors import NpukitError
from npukit.hw.arch import Architecture
from npukit.hw.workload import DIMS, TENSORS, Workload
from npukit.hw.yamlio import read_yaml, write_yaml_atomic

Loops = tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class LevelMapping:
    """Loops of one level: `temporal` outermost first; `spatial_x`/`spatial_y` over the fan-out."""

    level: str
    temporal: Loops = ()
    spatial_x: Loops = ()
    spatial_y: Loops = ()
    keep: frozenset[str] | None = None  # None: what the architecture says the level keeps

    def factor(self, dim: str) -> int:
        return prod(f for d, f in self.temporal + self.spatial_x + self.spatial_y if d == dim)

    def spatial_factor(self, axis: str) -> int:
        return prod(f for _, f in (self.spatial_x if axis == "X" else self.spatial_y))

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"level": self.level}
        for key in ("temporal", "spatial_x", "spatial_y"):
            loops = [(d, f) for d, f in getattr(self, key) if f > 1]
            if loops:
                out[key] = dict(loops)
        if self.keep is not None:
            out["keep"] = [t for t in TENSORS if t in self.keep]
        return out


@dataclass(frozen=True)
class Mapping:
    """One `LevelMapping` per storage level, outermost first (same order as the architecture)."""

    levels: tuple[LevelMapping, ...]
    source: str = field(default="mapping", compare=False)

    def keeps(self, arch: Architecture, index: int) -> frozenset[str]:
        keep = self.levels[index].keep
        return frozenset(arch.levels[index].keeps) if keep is None else keep

    def loops(self) -> list[tuple[int, str, int, str]]:
        """Every loop with a factor above 1, outermost first: (level index, dim, factor, T/X/Y)."""
        out = []
        for i, lm in enumerate(self.levels):
            out += [(i, d, f, "T") for d, f in lm.temporal if f > 1]
            out += [(i, d, f, "X") for d, f in lm.spatial_x if f > 1]
            out += [(i, d, f, "Y") for d, f in lm.spatial_y if f > 1]
        return out

    def as_dict(self) -> dict[str, Any]:
        return {"mapping": [lm.as_dict() for lm in self.levels]}

    def save(self, path: str | Path) -> None:
        write_yaml_atomic(path, self.as_dict())

    def validate(self, workload: Workload, arch: Architecture) -> Mapping:
        """Check factors, fan-outs and capacities; return self or raise one line naming the problem."""
        src = self.source
        if [lm.level for lm in self.levels] != list(arch.names):
            raise NpukitError(f"{src}: mapping levels {[lm.level for lm in self.levels]} "
                              f"do not match architecture {arch.name} levels {list(arch.names)}")
        for d in DIMS:
            got = prod(lm.factor(d) for lm in self.levels)
            if got != workload.bounds[d]:
                raise NpukitError(f"{src}: factors of {d} multiply to {got}, "
                                  f"but the layer has {d}={workload.bounds[d]}")
        for i, lm in enumerate(self.levels):
            fx, fy = arch.fanout(i)
            for axis, have in (("X", fx), ("Y", fy)):
                used = lm.spatial_factor(axis)
                if used > have:
                    raise NpukitError(f"{src}: level {lm.level}: spatial {axis} factors use {used} instances, "
                                      f"but its fan-out along {axis} is {have}")
        missing = set(TENSORS) - self.keeps(arch, 0)
        if missing:
            raise NpukitError(f"{src}: the outermost level {arch.levels[0].name} must keep every tensor; "
                              f"it bypasses {', '.join(sorted(missing))}")
        for i, lm in enumerate(self.levels):
            illegal = self.keeps(arch, i) - set(arch.levels[i].keeps)
            if illegal:
                raise NpukitError(f"{src}: level {lm.level} cannot keep {', '.join(sorted(illegal))} "
                                  f"(the architecture lets it keep {', '.join(arch.levels[i].keeps) or 'nothing'})")
            capacity = arch.levels[i].size_words
            if capacity is None:
                continue
            extents = self.extents(i)
            need = {t: workload.tile_size(t, extents) for t in TENSORS if t in self.keeps(arch, i)}
            bits = sum(n * workload.stored_bits(t, arch.levels[i].word_bits) for t, n in need.items())
            if bits > capacity * arch.levels[i].word_bits:
                parts = ", ".join(f"{t} {n:,}" for t, n in need.items())
                words = -(-bits // arch.levels[i].word_bits)
                raise NpukitError(f"{src}: level {lm.level}: tiles need {words:,} words ({parts}), "
                                  f"but it holds {capacity:,}")
        return self

    def extents(self, index: int) -> dict[str, int]:
        """Per dimension, the extent of the tile held at level `index` (its loops and all inner ones)."""
        return {d: prod(lm.factor(d) for lm in self.levels[index:]) for d in DIMS}


def _loops(value: Any, where: str) -> Loops:
    if value is None:
        return ()
    if isinstance(value, str):  # "M8 C3" or "M=8,C=3"
        parts = value.replace(",", " ").split()
        try:
            value = {p.split("=")[0] if "=" in p else p[0]: int(p.split("=")[1] if "=" in p else p[1:])
                     for p in parts}
        except (ValueError, IndexError):
            raise NpukitError(f"{where}: cannot read loops {value!r}; write e.g. {{M: 8, C: 3}}") from None
    if not isinstance(value, dict):
        raise NpukitError(f"{where}: loops must be a mapping of dimension to factor, e.g. {{M: 8, C: 3}}")
    out = []
    for d, f in value.items():
        if d not in DIMS:
            raise NpukitError(f"{where}: unknown dimension {d!r}; dimensions are {', '.join(DIMS)}")
        if not isinstance(f, int) or isinstance(f, bool) or f < 1:
            raise NpukitError(f"{where}.{d}: factor must be a positive integer, not {f!r}")
        out.append((d, f))
    return tuple(out)


def mapping_from_dict(data: Any, arch: Architecture, source: str = "mapping") -> Mapping:
    """Build a mapping from `{"mapping": [{level, temporal, spatial_x, spatial_y, keep}, ...]}`."""
    entries = data.get("mapping") if isinstance(data, dict) else data
    if not isinstance(entries, list):
        raise NpukitError(f"{source}: expected a list of levels under 'mapping'")
    by_level: dict[str, LevelMapping] = {}
    for k, entry in enumerate(entries):
        where = f"{source}: mapping[{k}]"
        if not isinstance(entry, dict) or "level" not in entry:
            raise NpukitError(f"{where}: each entry needs a 'level'")
        extra = set(entry) - {"level", "temporal", "spatial_x", "spatial_y", "keep"}
        if extra:
            raise NpukitError(f"{where}: unknown field {sorted(extra)[0]!r}")
        name = entry["level"]
        if name not in arch.names:
            raise NpukitError(f"{where}: architecture {arch.name} has no level {name!r}")
        keep = entry.get("keep")
        if keep is not None:
            bad = [t for t in keep if t not in TENSORS]
            if bad:
                raise NpukitError(f"{where}.keep: unknown tensor {bad[0]!r}; tensors are {', '.join(TENSORS)}")
            keep = frozenset(keep)
        by_level[name] = LevelMapping(name, *(_loops(entry.get(k2), f"{where}.{k2}")
                                              for k2 in ("temporal", "spatial_x", "spatial_y")), keep)
    levels = tuple(by_level.get(n, LevelMapping(n)) for n in arch.names)
    return Mapping(levels, source)


def load_mapping(path: str | Path, arch: Architecture) -> Mapping:
    return mapping_from_dict(read_yaml(path), arch, str(path))


def save_layer_mapping(path: str | Path, workload: Workload, mapping: Mapping, arch: Architecture,
                       dataflow: str | None = None, systolic: str | None = None) -> None:
    """Write the layer (with its densities and bit widths) and its mapping as one YAML file, with the
    architecture's name and word width, the dataflow searched and, for a systolic dataflow, its
    stationary operand (`load_layer_mapping` reads it back)."""
    layer: dict[str, Any] = {"name": workload.name, "bounds": {d: v for d, v in workload.bounds.items() if v > 1},
                             "stride": list(workload.stride), "dilation": list(workload.dilation)}
    layer.update({k: dict(v) for k, v in (("densities", workload.densities), ("bits", workload.bits)) if v})
    if workload.psum_bits is not None:
        layer["psum_bits"] = workload.psum_bits
    head = {"layer": layer, "architecture": arch.name, "word_bits": arch.compute.word_bits}
    flow = {k: v for k, v in (("dataflow", dataflow), ("systolic", systolic)) if v}
    write_yaml_atomic(path, {**head, **flow, **mapping.as_dict()})


def load_layer_mapping(path: str | Path, arch: Architecture) -> tuple[Workload, Mapping, Architecture, str | None]:
    """The (workload, mapping, architecture, systolic stationary operand or None) of a file written by
    `save_layer_mapping` (or `npukit map --save-mappings`): `arch` at the file's word width if it gives one."""
    data = read_yaml(path)
    layer = data.get("layer") if isinstance(data, dict) else None
    if not isinstance(layer, dict) or not isinstance(layer.get("bounds"), dict):
        raise NpukitError(f"{path}: expected 'layer' with 'bounds' (e.g. {{M: 64, C: 3, E: 112}}) beside 'mapping'")
    word_bits = data.get("word_bits", arch.compute.word_bits)
    if not isinstance(word_bits, int) or not 1 <= word_bits <= 64:
        raise NpukitError(f"{path}: word_bits must be an integer from 1 to 64, not {word_bits!r}")
    if word_bits != arch.compute.word_bits:
        arch = arch.with_word_bits(word_bits)
    try:
        workload = Workload(layer["bounds"], tuple(layer.get("stride", (1, 1))), tuple(layer.get("dilation", (1, 1))),
                            str(layer.get("name", "layer")), tuple(dict(layer.get("densities", {})).items()),
                            tuple(dict(layer.get("bits", {})).items()), layer.get("psum_bits"))
    except (TypeError, ValueError) as e:
        raise NpukitError(f"{path}: layer: {e}") from None
    except NpukitError as e:
        raise NpukitError(f"{path}: {e}") from None
    systolic = data.get("systolic")
    if systolic not in (None, "os", "ws", "is"):
        raise NpukitError(f"{path}: systolic must be os, ws or is, not {systolic!r}")
    return workload, mapping_from_dict(data, arch, str(path)), arch, systolic


def format_loop_nest(mapping: Mapping, workload: Workload, arch: Architecture) -> str:
    """The mapping as an indented loop nest, level by level, with the tile each level holds."""
    lines, depth = [], 0
    for i, lm in enumerate(mapping.levels):
        extents = mapping.extents(i)
        kept = [t for t in TENSORS if t in mapping.keeps(arch, i)]
        tiles = " ".join(f"{t}:{workload.tile_size(t, extents):,}" for t in kept)
        head = f"{lm.level} [ {tiles} ]" if kept else f"{lm.level} [ ]"
        lines += [head, "-" * len(head)]
        for kind, loops in (("", lm.temporal), (" (Spatial-X)", lm.spatial_x), (" (Spatial-Y)", lm.spatial_y)):
            for d, f in loops:
                if f > 1:
                    lines.append(f"{'  ' * depth}| for {d} in [0:{f}){kind}")
                    depth += 1
        lines.append("")
    lines.append(f"{'  ' * depth}  << Compute >>")
    return "\n".join(lines)


def mapping_line(mapping: Mapping) -> str:
    """The mapping on one line, outermost first: `DRAM[F8] GLB[E14 M2] X[F14] Y[S3 C3] RF[R3]`;
    spatial loops are marked x or y, levels without loops are left out."""
    parts = []
    for lm in mapping.levels:
        loops = [f"{d}{f}" for d, f in lm.temporal if f > 1]
        loops += [f"{d}{f}{axis}" for axis, spatial in (("x", lm.spatial_x), ("y", lm.spatial_y))
                  for d, f in spatial if f > 1]
        if loops:
            parts.append(f"{lm.level}[{' '.join(loops)}]")
    return " ".join(parts) or "(one step)"
