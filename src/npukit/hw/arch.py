"""Architecture specs: storage levels from DRAM inward, then the MAC array; validated on load.

Every YAML key is a declared field with a type, a default and a docstring; an unknown or
wrong field fails at load time with one line naming the file and the field.
"""

from __future__ import annotations

from functools import cached_property
from itertools import pairwise
from math import prod
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PositiveFloat, PositiveInt, model_validator

from npukit.errors import NpukitError
from npukit.hw import tables
from npukit.hw.workload import TENSORS
from npukit.hw.yamlio import read_yaml, shipped_names, spec_path, validate

Tensor = Literal["Weights", "Inputs", "Outputs"]
PRESETS_DIR = Path(__file__).parent / "presets"


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StorageLevel(Spec):
    """One storage level; `mesh_x` × `mesh_y` instances of it."""

    name: str = Field(min_length=1, description="Unique level name, e.g. DRAM, GlobalBuffer, RF")
    kind: Literal["dram", "sram", "regfile", "network"] = Field(
        "sram", description="What it is built from: picks the energy and area table entry")
    size_words: PositiveInt | None = Field(None, description="Capacity per instance in words; none = unbounded")
    word_bits: PositiveInt = Field(16, description="Bits per word")
    block_size: PositiveInt = Field(1, description="Words per access (one access moves a block)")
    cluster_size: PositiveInt = Field(1, description="Instances sharing one wide access (energy is per cluster)")
    mesh_x: PositiveInt = Field(1, description="Instances along X")
    mesh_y: PositiveInt = Field(1, description="Instances along Y")
    read_bandwidth: PositiveFloat | None = Field(None, description="Words per cycle per instance; none = unlimited")
    write_bandwidth: PositiveFloat | None = Field(None, description="Words per cycle per instance; none = unlimited")
    shared_bandwidth: PositiveFloat | None = Field(None, description="Reads + writes per cycle per instance")
    read_pj: float | None = Field(None, ge=0, description="Energy of one block read; none = from the table")
    write_pj: float | None = Field(None, ge=0, description="Energy of one block fill; none = from the table")
    update_pj: float | None = Field(None, ge=0, description="Energy of one block update; none = write_pj")
    leak_pj_per_cycle: float = Field(0.0, ge=0, description="Leakage per instance per cycle")
    network_pj: float | None = Field(None, ge=0, description="Energy to move one word over the fan-out below this "
                                     "level, per child reached (and per word sent up); none = from the table")
    area_um2: float | None = Field(None, ge=0, description="Area per instance; none = from the table")
    keeps: tuple[Tensor, ...] = Field(TENSORS, description="Tensors this level may hold (others bypass it)")
    compression: Literal["none", "rlc"] = Field("none", description="rlc: activations stored run-length coded "
                                                "(Eyeriss), so zeros cost less traffic (npukit.hw.sparsity)")

    @property
    def instances(self) -> int:
        return self.mesh_x * self.mesh_y


class ComputeSpec(Spec):
    """The MAC array: `mesh_x` × `mesh_y` MAC units."""

    name: str = Field("MAC", min_length=1)
    mesh_x: PositiveInt = 1
    mesh_y: PositiveInt = 1
    word_bits: PositiveInt = Field(16, description="Operand bits")
    energy_pj: float | None = Field(None, ge=0, description="Energy per MAC; none = from the table")
    area_um2: float | None = Field(None, ge=0, description="Area per MAC unit; none = from the table")
    zeros: Literal["none", "gating", "skipping"] = Field(
        "none", description="MACs with a zero operand: run anyway, gated (no energy) or skipped (no energy, no cycle)")
    systolic: bool = Field(False, description="A systolic array (mesh_y rows × mesh_x columns): under a "
                           "systolic dataflow, cycles include each fold's fill and drain, as SCALE-Sim counts")
    operands_through_rf: bool = Field(
        False, description="Every MAC reads its weight and its input from the innermost storage level (the "
        "PE's RF), one read each, even when that level keeps no tile of them: the accounting of the ISCA 2016 "
        "Eyeriss framework (its abcd·EC(RF) term). Off (Timeloop's): an operand that bypasses a level costs "
        "nothing there")

    @property
    def instances(self) -> int:
        return self.mesh_x * self.mesh_y


class Architecture(Spec):
    """An accelerator: storage `levels` from the outermost (DRAM) inward, then `compute`."""

    name: str = Field(min_length=1)
    description: str = ""
    clock_hz: PositiveFloat = Field(1e9, description="Clock frequency")
    energy_table: Literal["survey", "horowitz45"] = Field(
        "horowitz45", description="Table for energies a level or the MACs do not give")
    survey_mac_pj: PositiveFloat = Field(1.0, description="pJ of one MAC when energy_table is survey")
    levels: tuple[StorageLevel, ...] = Field(min_length=1)
    compute: ComputeSpec

    @model_validator(mode="after")
    def _check_topology(self) -> Architecture:
        names = [lv.name for lv in self.levels]
        dup = next((n for n in names if names.count(n) > 1), None)
        if dup:
            raise ValueError(f"level name {dup!r} is used twice")
        top = self.levels[0]
        if set(top.keeps) != set(TENSORS):  # the backing store: every tensor starts and ends there
            raise ValueError(f"levels[{top.name}].keeps: the outermost level must keep every tensor "
                             f"({', '.join(TENSORS)}); it keeps {', '.join(top.keeps) or 'nothing'}")
        meshes = [(f"levels[{lv.name}]", lv.mesh_x, lv.mesh_y) for lv in self.levels]
        meshes.append(("compute", self.compute.mesh_x, self.compute.mesh_y))
        for (outer, ox, oy), (inner, ix, iy) in pairwise(meshes):
            if ix % ox or iy % oy:  # the fan-out is the ratio of the meshes: it must be whole
                raise ValueError(f"{inner}.mesh_x×mesh_y: {ix}×{iy} is not a multiple of the mesh of {outer} "
                                 f"({ox}×{oy})")
        return self

    def level(self, name: str) -> StorageLevel:
        for lv in self.levels:
            if lv.name == name:
                return lv
        raise NpukitError(f"architecture {self.name} has no level {name!r}; levels: {', '.join(self.names)}")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(lv.name for lv in self.levels)

    def fanout(self, index: int) -> tuple[int, int]:
        """(X, Y) fan-out from level `index` to the next level inward (or to the MACs)."""
        inner = self.levels[index + 1] if index + 1 < len(self.levels) else self.compute
        outer = self.levels[index]
        return inner.mesh_x // outer.mesh_x, inner.mesh_y // outer.mesh_y

    @cached_property
    def energies_pj(self) -> tuple[tuple[float, float, float], ...]:
        """Per level: energy of one block (read, fill, update), from the spec or the table."""
        out = []
        for lv in self.levels:
            word = tables.access_pj(lv.kind, lv.size_words, lv.word_bits, self.energy_table, self.survey_mac_pj)
            read = lv.read_pj if lv.read_pj is not None else word * lv.block_size
            write = lv.write_pj if lv.write_pj is not None else read
            update = lv.update_pj if lv.update_pj is not None else write
            out.append((read, write, update))
        return tuple(out)

    @cached_property
    def network_pj(self) -> tuple[float, ...]:
        """Per level: energy per word per child over its fan-out (0 where it does not fan out)."""
        return tuple(0.0 if self.fanout(i) == (1, 1) else lv.network_pj if lv.network_pj is not None
                     else tables.network_pj(lv.word_bits, self.energy_table, self.survey_mac_pj)
                     for i, lv in enumerate(self.levels))

    @cached_property
    def mac_pj(self) -> float:
        c = self.compute
        return c.energy_pj if c.energy_pj is not None else tables.mac_pj(c.word_bits, self.energy_table,
                                                                         self.survey_mac_pj)

    @cached_property
    def area_um2(self) -> dict[str, float]:
        """Area of every instance of each level and of the MAC array."""
        out = {}
        for lv in self.levels:
            each = lv.area_um2 if lv.area_um2 is not None else tables.storage_area_um2(
                lv.kind, lv.size_words, lv.word_bits)
            out[lv.name] = each * lv.instances
        c = self.compute
        out[c.name] = (c.area_um2 if c.area_um2 is not None else tables.mac_area_um2(c.word_bits)) * c.instances
        return out

    @property
    def peak_macs_per_cycle(self) -> int:
        return self.compute.instances

    def describe(self) -> str:
        sizes = [f"{lv.name}" + (f" {lv.size_words * lv.word_bits // 8:,} B" if lv.size_words else "")
                 + (f" ×{lv.instances}" if lv.instances > 1 else "") for lv in self.levels]
        return f"{self.name}: {' → '.join(sizes)} → {self.compute.instances} MACs @ {self.clock_hz / 1e6:g} MHz"

    def with_word_bits(self, bits: int) -> Architecture:
        """The same chip with `bits`-bit words everywhere: sizes keep their bytes (so hold more or
        fewer words), energies given in the spec scale linearly with the bits moved, table energies
        follow the table's scaling (tables.py)."""
        data = self.model_dump()
        for lv in data["levels"]:
            scale = bits / lv["word_bits"]
            if lv["size_words"]:
                lv["size_words"] = max(1, lv["size_words"] * lv["word_bits"] // bits)
            lv.update({k: lv[k] * scale for k in ("read_pj", "write_pj", "update_pj") if lv[k] is not None})
            lv["word_bits"] = bits
        c = data["compute"]
        if c["energy_pj"] is not None:
            c["energy_pj"] *= (bits / c["word_bits"]) ** 2
        c["word_bits"] = bits
        return Architecture.model_validate(data)

    def storage_bytes(self) -> int:
        return sum(prod((lv.size_words or 0, lv.word_bits, lv.instances)) // 8 for lv in self.levels
                   if lv.kind != "dram")


def preset_names() -> list[str]:
    return shipped_names(PRESETS_DIR)


def load_arch(name_or_path: str | Path) -> Architecture:
    """An architecture from a preset name (`npukit arch list`) or a YAML file."""
    path = spec_path(name_or_path, PRESETS_DIR, "architecture")
    data = read_yaml(path)
    if isinstance(data, dict) and "architecture" in data and len(data) == 1:
        data = data["architecture"]
    if not isinstance(data, dict):
        raise NpukitError(f"{path}: expected a mapping with name, levels and compute")
    return validate(Architecture, data, str(path))
