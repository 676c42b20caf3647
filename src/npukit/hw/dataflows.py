"""Dataflows as constraints on the mapping space, declared in YAML (Timeloop's constraint vocabulary).

A dataflow is a list of constraints, each on a *target*: a level name, or a role that any
architecture has:

- ``dram``: the outermost level;
- ``pe``: the storage inside each PE (levels with one instance per MAC);
- ``buffer``: the levels between, e.g. the global buffer;
- ``array``: every fan-out (for spatial constraints).

Constraint types (one per entry, as in Timeloop's ``architecture_constraints``):

- ``spatial``: ``x`` and ``y`` list the dimensions that may be spread across the X and Y axes of
  the target's fan-outs (any other dimension gets spatial factor 1);
- ``temporal``: ``dims`` lists the dimensions that may have temporal loops at the target (others
  get factor 1); ``factors`` fixes factors (0 = whatever is left of the dimension, Timeloop's
  convention); ``permutation`` lists loops innermost first (they sit inside all other loops of
  the level); ``whole`` lists dimensions whose every loop lies in the target's levels;
- ``bypass``: ``keep`` lists the tensors the target's levels hold (of those each level may hold).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, NonNegativeInt, model_validator

from npukit.errors import NpukitError
from npukit.hw.arch import Architecture
from npukit.hw.workload import DIMS
from npukit.hw.yamlio import read_yaml, shipped_names, spec_path, validate

Dim = Literal["N", "G", "M", "C", "E", "F", "R", "S"]
Tensor = Literal["Weights", "Inputs", "Outputs"]
ROLES = ("dram", "buffer", "pe", "array")
DATAFLOWS_DIR = Path(__file__).parent / "dataflows"


class Constraint(BaseModel):
    """One constraint on the mappings of `target` (a level name or a role: dram, buffer, pe, array)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    target: str = Field(min_length=1, description="Level name or role: dram, buffer, pe, array")
    type: Literal["spatial", "temporal", "bypass"]
    x: tuple[Dim, ...] | None = Field(None, description="spatial: dimensions allowed along X")
    y: tuple[Dim, ...] | None = Field(None, description="spatial: dimensions allowed along Y")
    dims: tuple[Dim, ...] | None = Field(None, description="temporal: dimensions allowed to loop here")
    factors: dict[Dim, NonNegativeInt] = Field({}, description="temporal: fixed factors (0 = all that is left)")
    permutation: tuple[Dim, ...] = Field((), description="temporal: these loops innermost, innermost first")
    whole: tuple[Dim, ...] = Field((), description="temporal: every loop of these dimensions lies here")
    keep: tuple[Tensor, ...] | None = Field(None, description="bypass: tensors kept here")

    @model_validator(mode="after")
    def _fields_fit_type(self) -> Constraint:
        allowed = {"spatial": {"x", "y"}, "temporal": {"dims", "factors", "permutation", "whole"},
                   "bypass": {"keep"}}[self.type]
        used = {k for k in ("x", "y", "dims", "factors", "permutation", "whole", "keep")
                if getattr(self, k) not in (None, {}, ())}
        wrong = sorted(used - allowed)
        if wrong:
            raise ValueError(f"a {self.type} constraint takes {', '.join(sorted(allowed))}, not {', '.join(wrong)}")
        if self.type == "bypass" and self.keep is None:
            raise ValueError("a bypass constraint needs keep: [tensors kept at the target]")
        return self


class Dataflow(BaseModel):
    """A named set of constraints on mappings (see the module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    description: str = ""
    systolic: Literal["os", "ws", "is"] | None = Field(
        None, description="On a systolic array: the operand that stays (SCALE-Sim's os, ws, is), for its timing")
    constraints: tuple[Constraint, ...] = ()


@dataclass
class LevelRules:
    """What a dataflow allows at one level, after its targets are resolved on an architecture."""

    temporal: set[str] = field(default_factory=lambda: set(DIMS))
    spatial_x: set[str] = field(default_factory=lambda: set(DIMS))
    spatial_y: set[str] = field(default_factory=lambda: set(DIMS))
    factors: dict[str, int] = field(default_factory=dict)
    permutation: tuple[str, ...] = ()
    keep: frozenset[str] | None = None


@dataclass(frozen=True)
class Rules:
    """Per level `LevelRules`; `whole`: (dimension, level indices) its loops are confined to."""

    levels: tuple[LevelRules, ...]
    whole: tuple[tuple[str, frozenset[int]], ...] = ()


def roles(arch: Architecture) -> dict[str, list[int]]:
    """Level indices of each role on `arch` (see the module docstring)."""
    n_macs = arch.compute.instances
    pe = [i for i, lv in enumerate(arch.levels) if i > 0 and lv.instances == n_macs]
    fanned = [i for i in range(len(arch.levels)) if arch.fanout(i) != (1, 1)]
    return {"dram": [0], "pe": pe, "buffer": [i for i in range(1, len(arch.levels)) if i not in pe],
            "array": fanned}


def resolve(dataflow: Dataflow, arch: Architecture) -> Rules:
    """The dataflow's constraints as per-level rules on `arch`; one-line error for a bad target."""
    levels = tuple(LevelRules() for _ in arch.levels)
    role = roles(arch)
    whole: list[tuple[str, frozenset[int]]] = []
    for c in dataflow.constraints:
        if c.target in role:
            targets = role[c.target]
        elif c.target in arch.names:
            targets = [arch.names.index(c.target)]
        else:
            raise NpukitError(f"dataflow {dataflow.name}: target {c.target!r} is neither a role "
                              f"({', '.join(ROLES)}) nor a level of {arch.name} ({', '.join(arch.names)})")
        for i in targets:
            apply(levels[i], c)
        unheld = [t for t in c.keep or () if targets and not any(t in arch.levels[i].keeps for i in targets)]
        if unheld:
            raise NpukitError(f"dataflow {dataflow.name} cannot run on {arch.name}: it keeps {', '.join(unheld)} "
                              f"in {c.target} ({', '.join(arch.names[i] for i in targets)}), "
                              "which cannot hold them")
        whole += [(d, frozenset(targets)) for d in c.whole]
    return Rules(levels, tuple(whole))


def apply(rules: LevelRules, c: Constraint) -> None:
    if c.type == "spatial":
        rules.spatial_x &= set(c.x if c.x is not None else DIMS)
        rules.spatial_y &= set(c.y if c.y is not None else DIMS)
    elif c.type == "temporal":
        if c.dims is not None:
            rules.temporal &= set(c.dims) | set(c.factors)
        rules.factors.update(c.factors)
        rules.permutation = c.permutation or rules.permutation
    else:
        rules.keep = frozenset(c.keep or ()) if rules.keep is None else rules.keep & frozenset(c.keep or ())


def unconstrained(arch: Architecture) -> Rules:
    return Rules(tuple(LevelRules() for _ in arch.levels))


def dataflow_names() -> list[str]:
    return shipped_names(DATAFLOWS_DIR)


def load_dataflow(name_or_path: str | Path) -> Dataflow:
    """A dataflow from a shipped name (`npukit dataflows`) or a YAML file."""
    path = spec_path(name_or_path, DATAFLOWS_DIR, "dataflow")
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise NpukitError(f"{path}: expected a mapping with name and constraints")
    return validate(Dataflow, data, str(path))

