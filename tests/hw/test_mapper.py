"""The mapper and dataflows.

Oracles: Timeloop's own mapper result on its eyeriss_like example (stats.txt); a brute-force
enumeration written here, independently of `npukit.hw.mapspace`, of every mapping a dataflow
allows on tiny layers; a hand count of the array (network) words; one-line errors.
"""

from __future__ import annotations

from itertools import permutations, product
from math import prod
from pathlib import Path

import numpy as np
import pytest

from npukit.errors import NpukitError
from npukit.hw.arch import Architecture, load_arch
from npukit.hw.batch import MappingBatch, evaluate_batch
from npukit.hw.dataflows import Dataflow, dataflow_names, load_dataflow, roles
from npukit.hw.mapper import search
from npukit.hw.mapping import LevelMapping, Mapping
from npukit.hw.model import evaluate
from npukit.hw.timeloop import INPUT, load_design, read_constraints
from npukit.hw.timeloop_stats import read_stats
from npukit.hw.workload import DIMS, Workload
from npukit.hw.yamlio import read_yaml

DATA = Path(__file__).resolve().parents[1] / "data" / "timeloop"
TINY = Architecture.model_validate({
    "name": "tiny", "energy_table": "survey", "levels": [
        {"name": "DRAM", "kind": "dram"},
        {"name": "GLB", "size_words": 64},
        {"name": "RF", "kind": "regfile", "size_words": 8, "mesh_x": 2, "mesh_y": 2}],
    "compute": {"mesh_x": 2, "mesh_y": 2}})


def test_mapper_beats_timeloop_on_its_eyeriss_like_example() -> None:
    design = DATA / "eyeriss_like"
    workload, arch, _ = load_design(design)
    constraints = read_constraints(read_yaml(design / INPUT), arch, str(design))
    timeloop = read_stats(design / "timeloop-mapper.stats.txt")
    result = search(workload, arch, constraints, "energy", max_evaluations=60_000, seed=0)
    assert result.evaluation.energy_pj <= timeloop["energy_pj"]  # 59.28 µJ found by Timeloop's mapper
    result.mapping.validate(workload, arch)
    assert obeys(result.mapping, constraints, arch)


def divisor_splits(n: int, parts: int) -> list[tuple[int, ...]]:
    """Every ordered way to write n as a product of `parts` factors."""
    if parts == 1:
        return [(n,)]
    return [(d, *rest) for d in range(1, n + 1) if n % d == 0 for rest in divisor_splits(n // d, parts - 1)]


def brute_force(workload: Workload, arch: Architecture, flow: Dataflow) -> list[Mapping]:
    """Every mapping that obeys `flow`, enumerated directly: factor splits over all slots, then
    every order of each level's loops; filtered by `obeys` (written independently of mapspace)."""
    n = len(arch.levels)
    slots = [(i, kind) for i in range(n) for kind in "TXY"]
    dims = [d for d in DIMS if workload.bounds[d] > 1]
    keeps = [frozenset(arch.levels[i].keeps) & kept(flow, arch, i) for i in range(n)]
    out = []
    for split in product(*(divisor_splits(workload.bounds[d], len(slots)) for d in dims)):
        at = {(i, kind): [(d, s[k]) for d, s in zip(dims, split, strict=True) if s[k] > 1]
              for k, (i, kind) in enumerate(slots)}
        for orders in product(*(permutations(at[(i, "T")]) for i in range(n))):
            levels = tuple(LevelMapping(arch.levels[i].name, tuple(orders[i]), tuple(at[(i, "X")]),
                                        tuple(at[(i, "Y")]), keeps[i]) for i in range(n))
            m = Mapping(levels)
            if obeys(m, flow, arch):
                out.append(m)
    return out


def kept(flow: Dataflow, arch: Architecture, i: int) -> frozenset[str]:
    keep = frozenset(("Weights", "Inputs", "Outputs"))
    for c in flow.constraints:
        if c.type == "bypass" and i in targets(c.target, arch) and i > 0:
            keep &= frozenset(c.keep or ())
    return keep


def targets(target: str, arch: Architecture) -> list[int]:
    return roles(arch).get(target, [arch.names.index(target)] if target in arch.names else [])


def obeys(m: Mapping, flow: Dataflow, arch: Architecture) -> bool:
    """Does mapping `m` respect every constraint of `flow` (and the fan-outs)?"""
    for i, lm in enumerate(m.levels):
        fx, fy = arch.fanout(i)
        if lm.spatial_factor("X") > fx or lm.spatial_factor("Y") > fy:
            return False
    for c in flow.constraints:
        levels = targets(c.target, arch)
        for i in levels:
            lm = m.levels[i]
            if c.type == "spatial":
                if any(f > 1 and d not in (c.x or DIMS) for d, f in lm.spatial_x) or \
                        any(f > 1 and d not in (c.y or DIMS) for d, f in lm.spatial_y):
                    return False
            elif c.type == "temporal":
                allowed = set(c.dims if c.dims is not None else DIMS) | set(c.factors)
                if any(f > 1 and d not in allowed for d, f in lm.temporal):
                    return False
                moving = dict(lm.temporal)
                pinned = [d for d in c.permutation if moving.get(d, 1) > 1]  # innermost first
                if [d for d, f in reversed(lm.temporal) if f > 1][:len(pinned)] != pinned:
                    return False
        for d in c.whole:
            inside = prod(m.levels[i].factor(d) for i in levels)
            if inside != prod(lm.factor(d) for lm in m.levels):
                return False
    return True


SMALL = [Workload({"M": 4, "C": 2, "E": 2, "R": 2}, name="small-a"),
         Workload({"M": 2, "C": 3, "F": 2, "S": 2}, (1, 2), name="small-b")]


@pytest.mark.parametrize("flow_name", ["weight-stationary", "row-stationary", "output-stationary"])
@pytest.mark.parametrize("workload", SMALL, ids=lambda w: w.name)
def test_no_better_mapping_exists_in_the_exhaustive_space(flow_name: str, workload: Workload) -> None:
    flow = load_dataflow(flow_name)
    every = brute_force(workload, TINY, flow)
    ev = evaluate_batch(workload, TINY, MappingBatch.from_mappings(every, TINY))
    best = float(np.min(np.where(ev.valid, ev.total_energy_pj, np.inf)))
    assert np.isfinite(best)
    for limit in (10**6, 0):  # exhaustive, then the evolutionary search on the same space
        found = search(workload, TINY, flow, "energy", max_evaluations=40_000, exhaustive_limit=limit)
        assert found.exhaustive == (limit > 0)
        assert found.evaluation.energy_pj == pytest.approx(best, rel=1e-9)
        assert obeys(found.mapping, flow, TINY)


def test_searches_are_deterministic() -> None:
    w = Workload({"M": 16, "C": 8, "E": 7, "F": 7, "R": 3, "S": 3})
    arch, flow = load_arch("eyeriss"), load_dataflow("row-stationary")
    a, b = (search(w, arch, flow, "edp", max_evaluations=8_000, seed=5) for _ in range(2))
    assert a.mapping == b.mapping and a.evaluated == b.evaluated


@pytest.mark.parametrize("name", dataflow_names())
def test_every_dataflow_maps_a_conv_layer_within_its_constraints(name: str) -> None:
    w = Workload({"N": 2, "M": 16, "C": 8, "E": 6, "F": 6, "R": 3, "S": 3})
    arch, flow = load_arch("eyeriss-256"), load_dataflow(name)
    found = search(w, arch, flow, "energy", max_evaluations=4_000)
    found.mapping.validate(w, arch)
    assert obeys(found.mapping, flow, arch)
    rf = found.mapping.keeps(arch, 2)
    assert rf == kept(flow, arch, 2)


def test_array_words_by_hand() -> None:
    # DRAM → Buf → 2 MACs (no RF): M=2 spread over X, E=4 in time. Each of the 8 MACs takes a weight and
    # an input over the fan-out and sends its output back: 3 × 8 = 24 words at the survey's 2 per word.
    arch = Architecture.model_validate({"name": "two", "energy_table": "survey", "levels": [
        {"name": "DRAM", "kind": "dram"}, {"name": "Buf", "size_words": 64}], "compute": {"mesh_x": 2}})
    m = Mapping((LevelMapping("DRAM"), LevelMapping("Buf", temporal=(("E", 4),), spatial_x=(("M", 2),))))
    ev = evaluate(Workload({"M": 2, "E": 4}), arch, m)
    assert ev.summaries["Buf"].network_pj == 24 * 2.0
    assert ev.summaries["DRAM"].network_pj == 0.0


def test_unknown_dataflow_and_objective() -> None:
    with pytest.raises(NpukitError, match="unknown dataflow 'diagonal-stationary'; dataflows: "):
        load_dataflow("diagonal-stationary")
    with pytest.raises(NpukitError, match="unknown objective 'speed'"):
        search(SMALL[0], TINY, None, "speed")  # type: ignore[arg-type]


def test_dataflow_the_architecture_cannot_support() -> None:
    with pytest.raises(NpukitError) as err:
        search(SMALL[0], load_arch("tpu-v1"), load_dataflow("output-stationary"))
    assert "output-stationary cannot run on tpu-v1: it keeps Outputs in pe (WeightReg)" in str(err.value)
    assert "\n" not in str(err.value)


def test_layer_no_mapping_fits() -> None:
    arch = Architecture.model_validate({"name": "cramped", "levels": [
        {"name": "DRAM", "kind": "dram"}, {"name": "Buf", "size_words": 2}], "compute": {}})
    with pytest.raises(NpukitError, match=r"layer conv7 \(M=4 C=2\): no mapping fits cramped"):
        search(Workload({"M": 4, "C": 2}, name="conv7"), arch, None, max_evaluations=2_000)


def test_dataflow_yaml_errors_name_the_field(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text("name: mine\nconstraints:\n  - {target: pe, type: spatial, keep: [Weights]}\n")
    with pytest.raises(NpukitError, match=r"mine.yaml: constraints\[0\].*a spatial constraint takes x, y, not keep"):
        load_dataflow(path)
    path.write_text("name: mine\nconstraints:\n  - {target: pe, type: temporal, dims: [Q]}\n")
    with pytest.raises(NpukitError, match=r"mine.yaml: constraints\[0\].dims"):
        load_dataflow(path)
    with pytest.raises(NpukitError, match="target 'PEs' is neither a role"):
        search(SMALL[0], TINY, Dataflow.model_validate({"name": "x", "constraints": [
            {"target": "PEs", "type": "bypass", "keep": []}]}))
