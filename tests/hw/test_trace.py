"""The trace simulator: hand-worked counts, then the analytical model checked against it.

Oracles: the numbers in the hand-worked examples are derived in the comments from the rules of
docs/hw-model.md, step by step, not taken from either implementation. The property tests then
compare the analytical model (convention="exact") with the trace on random small problems.
"""

from __future__ import annotations

from itertools import pairwise
from math import prod

import pytest
from hypothesis import HealthCheck, given, settings
from strategies import problems

from npukit.errors import NpukitError
from npukit.hw.arch import Architecture, ComputeSpec, StorageLevel
from npukit.hw.mapping import LevelMapping, Mapping
from npukit.hw.model import evaluate
from npukit.hw.trace import TraceResult, simulate
from npukit.hw.workload import TENSORS, Workload

PROPERTY = settings(deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


def arch2(buffer_keeps: tuple[str, ...] = TENSORS, fanout: tuple[int, int] = (1, 1), buffers: int = 1) -> Architecture:
    """DRAM → `buffers` × Buf (a row along X) → MACs, `fanout` MACs per Buf."""
    levels = (StorageLevel(name="DRAM", kind="dram"),
              StorageLevel(name="Buf", mesh_x=buffers, keeps=buffer_keeps))
    return Architecture(name="two-level", levels=levels,
                        compute=ComputeSpec(mesh_x=buffers * fanout[0], mesh_y=fanout[1]))


def mapping2(dram: LevelMapping, buf: LevelMapping) -> Mapping:
    return Mapping((dram, buf))


def counts(result: TraceResult, level: str, tensor: str) -> tuple[int, int, int, int]:
    c = result.levels[level][tensor]
    return c["reads"], c["fills"], c["updates"], c["instances"]


# ---------------------------------------------------------------- hand-worked examples


def test_sliding_window_fills_only_the_new_row():
    # 1-D convolution E=4, R=3, stride 1: 6 input rows. DRAM loops e in [0:4); Buf holds R=3.
    # Buf tiles: Inputs rows [e, e+2] (3 words), Weights r=0..2 (3), Outputs row e (1).
    # Inputs: the first tile 3, then each step slides by +1 with the same stride: 1 new row each
    #   → fills 3 + 1 + 1 + 1 = 6; DRAM reads the same 6.
    # Weights: the tile stands still (t = 0 while T is none, then t = 0 = T) → fills 3.
    # Outputs: each step a new output: 4 arrivals, all first arrivals (zero) → fills 0.
    # MAC: 12 cycles, 1 MAC: Buf serves 12 of each; Outputs reads 12 − 4 first reads = 8.
    # DRAM Outputs: 4 requests from Buf, all first → reads 0, updates 4.
    w = Workload({"E": 4, "R": 3})
    r = simulate(w, arch2(), mapping2(LevelMapping("DRAM", temporal=(("E", 4),)),
                                      LevelMapping("Buf", temporal=(("R", 3),))))
    assert (r.computes, r.compute_cycles) == (12, 12)
    assert counts(r, "Buf", "Inputs") == (12, 6, 0, 1)
    assert counts(r, "Buf", "Weights") == (12, 3, 0, 1)
    assert counts(r, "Buf", "Outputs") == (8, 0, 12, 1)
    assert counts(r, "DRAM", "Inputs") == (6, 0, 0, 1)
    assert counts(r, "DRAM", "Weights") == (3, 0, 0, 1)
    assert counts(r, "DRAM", "Outputs") == (0, 0, 4, 1)


@pytest.mark.parametrize(("dram_loops", "input_fills"), [
    # M outer, E inner: Inputs rows [e, e+2] at e = 0, 1, 0, 1 → moves +1, −1, +1.
    # 3 (first); +1 with T none: 1 new row, T = +1; −1 ≠ T: refill all 3 although 2 were held,
    # T none; +1 with T none: 1. Total 8 (it would be 6 if reuse survived the stride change).
    ((("M", 2), ("E", 2)), 8),
    # E outer, M inner: e = 0, 0, 1, 1 → moves 0, +1, 0. 3; 0 with T none: nothing, T = 0;
    # +1 ≠ 0: refill 3, T none; 0: nothing. Total 6 (sliding would have cost 3 + 1 = 4).
    ((("E", 2), ("M", 2)), 6),
])
def test_a_stride_change_resets_reuse(dram_loops, input_fills):
    w = Workload({"M": 2, "E": 2, "R": 3})
    r = simulate(w, arch2(), mapping2(LevelMapping("DRAM", temporal=dram_loops),
                                      LevelMapping("Buf", temporal=(("R", 3),))))
    assert counts(r, "Buf", "Inputs") == (12, input_fills, 0, 1)  # 12 MACs, one operand each
    assert counts(r, "DRAM", "Inputs")[0] == input_fills


def test_weight_stationary_multicasts_inputs():
    # M=4 filters spread over 4 Buf instances (spatial X at DRAM); E=3 in time at DRAM; C=2 at Buf.
    # Per Buf: Weights [m, c0..1] (2 words) stand still → fills 2; 4 distinct sets → DRAM reads 8.
    # Inputs [c0..1, e] (2 words) move by one column per step, none held → fills 2 + 2 + 2 = 6 per
    #   Buf, 24 in all; the 4 Bufs ask for the same words each step → DRAM reads 6 = 24 / 4.
    # Outputs [m, e] (1 word): 3 arrivals, all first → fills 0; 6 cycles × 1 MAC per Buf:
    #   reads 6 − 3 = 3, updates 6 per Buf; DRAM: 4 distinct requests × 3 steps = 12, all first.
    w = Workload({"M": 4, "C": 2, "E": 3})
    r = simulate(w, arch2(buffers=4), mapping2(LevelMapping("DRAM", temporal=(("E", 3),), spatial_x=(("M", 4),)),
                                               LevelMapping("Buf", temporal=(("C", 2),))))
    assert (r.computes, r.compute_cycles) == (24, 6)
    assert counts(r, "Buf", "Weights") == (24, 8, 0, 4)
    assert counts(r, "Buf", "Inputs") == (24, 24, 0, 4)
    assert counts(r, "DRAM", "Weights") == (8, 0, 0, 1)
    assert counts(r, "DRAM", "Inputs") == (6, 0, 0, 1)
    assert counts(r, "Buf", "Outputs") == (12, 0, 24, 4)
    assert counts(r, "DRAM", "Outputs") == (0, 0, 12, 1)


def test_operands_through_rf_cost_one_read_per_use():
    # The ISCA 2016 accounting: the Buf (the innermost level, "RF") keeps only Weights, yet each of
    # the 24 MACs reads its input there too, once: Inputs reads 24 (4 Bufs × 6 cycles), no fills;
    # the DRAM's Inputs reads are unchanged (6, as in the test above: the MACs' requests still go
    # up to the DRAM, multicast over the 4 Bufs). Outputs bypass and are not charged at the Buf.
    w = Workload({"M": 4, "C": 2, "E": 3})
    arch = arch2(buffer_keeps=("Weights",), buffers=4)
    arch = arch.model_copy(update={"compute": arch.compute.model_copy(update={"operands_through_rf": True})})
    mapping = mapping2(LevelMapping("DRAM", temporal=(("E", 3),), spatial_x=(("M", 4),)),
                       LevelMapping("Buf", temporal=(("C", 2),)))
    r = simulate(w, arch, mapping)
    assert counts(r, "Buf", "Inputs") == (24, 0, 0, 4)
    assert counts(r, "DRAM", "Inputs") == (6, 0, 0, 1)
    assert "Outputs" not in r.levels["Buf"]
    plain = evaluate(w, arch2(buffer_keeps=("Weights",), buffers=4), mapping)
    charged = evaluate(w, arch, mapping)
    read_pj = arch.energies_pj[1][0]  # (read, fill, update) pJ per word at the Buf
    assert charged.energy_pj - plain.energy_pj == pytest.approx(24 * read_pj)
    assert_model_agrees(w, arch, mapping)


def test_outputs_reduce_spatially_and_skip_first_reads():
    # C=8: 4 MACs under one Buf along X share an output (spatial reduction), C2 in time at Buf.
    # Loops: DRAM m in [0:2); Buf e in [0:2), c in [0:2), 4 MACs over c: 8 cycles, 32 MACs.
    # Buf keeps only Outputs: its tile [m, e0..1] (2 words) moves once: 2 + 2 arrivals, 4 distinct,
    #   all first → fills 0. Each cycle the 4 MACs ask for the same output: 8 requests,
    #   the first of each of the 4 outputs is skipped → reads 4, updates 8.
    # DRAM Outputs: 4 requests, all first → reads 0, updates 4.
    # Weights and Inputs bypass Buf: 4 distinct words per cycle straight from DRAM → 32 each.
    w = Workload({"M": 2, "C": 8, "E": 2})
    r = simulate(w, arch2(("Outputs",), fanout=(4, 1)),
                 mapping2(LevelMapping("DRAM", temporal=(("M", 2),)),
                          LevelMapping("Buf", temporal=(("E", 2), ("C", 2)), spatial_x=(("C", 4),))))
    assert (r.computes, r.compute_cycles) == (32, 8)
    assert counts(r, "Buf", "Outputs") == (4, 0, 8, 1)
    assert counts(r, "DRAM", "Outputs") == (0, 0, 4, 1)
    assert counts(r, "DRAM", "Weights") == (32, 0, 0, 1)
    assert counts(r, "DRAM", "Inputs") == (32, 0, 0, 1)
    assert set(r.levels["Buf"]) == {"Outputs"}


def test_partial_sums_that_come_back_cost_a_fill_and_a_read():
    # E=2, C=2; DRAM loops c, then e inside: Buf (Outputs only) holds output e = 0, 1, 0, 1.
    # Arrivals 4 (every move changes the word); 2 distinct outputs → fills 4 − 2 = 2 (the second
    # visit brings back a real partial sum). 4 cycles: Buf reads 4 − 2 = 2, updates 4.
    # DRAM serves the 4 arrivals: the first of each output is zero → reads 2, updates 4.
    w = Workload({"C": 2, "E": 2})
    r = simulate(w, arch2(("Outputs",)), mapping2(LevelMapping("DRAM", temporal=(("C", 2), ("E", 2))),
                                                  LevelMapping("Buf")))
    assert counts(r, "Buf", "Outputs") == (2, 2, 4, 1)
    assert counts(r, "DRAM", "Outputs") == (2, 0, 4, 1)


REPEATED = (Workload({"C": 2, "F": 4}), arch2(("Weights",)),
            mapping2(LevelMapping("DRAM", temporal=(("F", 2), ("C", 2), ("F", 2))), LevelMapping("Buf")))


def test_two_loops_of_one_dimension_in_a_level():
    # DRAM loops f1 in [0:2), c in [0:2), f0 in [0:2) (F split in two loops): the Buf weight is
    # c = 0, 0, 1, 1, 0, 0, 1, 1 → moves 0, +1, 0, −1, 0, +1, 0: T = 0 after each standing step,
    # so every change refills and every stand is free: 1 + 1 + 1 + 1 = 4 fills, 4 DRAM reads.
    # (The closed form of the doc, taking the loops as they are, gives 1 + 2·1 + 1·1 = 4 too.)
    r = simulate(*REPEATED)
    assert counts(r, "Buf", "Weights") == (8, 4, 0, 1)
    assert counts(r, "DRAM", "Weights") == (4, 0, 0, 1)


def test_model_refuses_two_loops_of_one_dimension():
    # Timeloop's mapping format has one loop per dimension per level; the model says so instead of
    # silently merging F2·C2·F2 into F4·C2 (which would count 8 fills, not 4).
    with pytest.raises(NpukitError, match="level DRAM: a dimension appears in two temporal loops") as err:
        evaluate(*REPEATED)
    assert "\n" not in str(err.value)


def test_one_line_errors():
    w = Workload({"M": 4, "C": 4})
    good = mapping2(LevelMapping("DRAM", temporal=(("M", 4),)), LevelMapping("Buf", temporal=(("C", 4),)))
    with pytest.raises(NpukitError, match="above max_macs") as err:
        simulate(w, arch2(), good, max_macs=15)
    assert "\n" not in str(err.value)
    with pytest.raises(NpukitError, match="factors of C multiply to 2"):
        simulate(w, arch2(), mapping2(LevelMapping("DRAM", temporal=(("M", 4),)),
                                      LevelMapping("Buf", temporal=(("C", 2),))))
    small = Architecture(name="small", levels=(StorageLevel(name="DRAM", kind="dram"),
                                               StorageLevel(name="Buf", size_words=2)), compute=ComputeSpec())
    assert simulate(w, small, good).computes == 16  # capacities are ignored unless asked for
    with pytest.raises(NpukitError, match="tiles need"):
        simulate(w, small, good, check_capacity=True)


# ---------------------------------------------------------------- against the analytical model


def assert_model_agrees(workload: Workload, arch: Architecture, mapping: Mapping) -> None:
    trace = simulate(workload, arch, mapping)
    ev = evaluate(workload, arch, mapping, convention="exact")
    assert (trace.computes, trace.compute_cycles) == (ev.computes, ev.compute_cycles)
    for level, per in trace.levels.items():
        assert set(per) == set(ev.levels[level]), level
        for tensor, got in per.items():
            s = ev.levels[level][tensor]
            model = {"reads": s.reads * s.instances, "fills": s.fills * s.instances,
                     "updates": s.updates * s.instances, "instances": s.instances}
            assert got == model, f"{level} {tensor}: trace {got} vs model {model}"


@settings(PROPERTY, max_examples=1500)
@given(problems())
def test_model_equals_trace(problem):
    assert_model_agrees(*problem)


@settings(PROPERTY, max_examples=300)
@given(problems())
def test_model_equals_trace_with_operands_through_rf(problem):
    workload, arch, mapping = problem
    compute = arch.compute.model_copy(update={"operands_through_rf": True})
    assert_model_agrees(workload, arch.model_copy(update={"compute": compute}), mapping)


@settings(PROPERTY, max_examples=150)
@given(problems())
def test_trace_invariants(problem):
    # Independent of the model: MACs and cycles are products of the factors; between two keeping
    # levels, multicast can only merge fills (reads ≤ fills below) and merges at most the children
    # of one parent instance (reads ≥ fills below ÷ children per parent).
    workload, arch, mapping = problem
    r = simulate(workload, arch, mapping)
    assert r.computes == workload.macs
    assert r.compute_cycles * prod(f for _, _, f, kind in mapping.loops() if kind != "T") == workload.macs
    for tensor in ("Weights", "Inputs"):
        keepers = [lv.name for i, lv in enumerate(arch.levels) if tensor in mapping.keeps(arch, i)]
        for outer, inner in pairwise(keepers):
            reads, below = r.levels[outer][tensor], r.levels[inner][tensor]
            children = below["instances"] // reads["instances"]
            assert below["fills"] / children <= reads["reads"] <= below["fills"]
    for name, per in r.levels.items():
        assert set(per) <= set(TENSORS) and all(c["instances"] >= 1 for c in per.values()), name
