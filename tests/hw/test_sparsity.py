"""Zeros in the hardware model: gated and skipped MACs, run-length-coded DRAM traffic.

Oracle: hand counts on a small layer (8 MACs, 4 input words read once from DRAM).
"""

from __future__ import annotations

import pytest

from npukit.errors import NpukitError
from npukit.hw.arch import Architecture
from npukit.hw.mapping import LevelMapping, Mapping
from npukit.hw.model import evaluate
from npukit.hw.sparsity import rlc_ratio
from npukit.hw.workload import Workload


def arch(zeros: str, compression: str = "none") -> Architecture:
    return Architecture.model_validate({"name": "one-mac", "energy_table": "survey", "levels": [
        {"name": "DRAM", "kind": "dram", "compression": compression}, {"name": "Buf", "size_words": 64}],
        "compute": {"zeros": zeros}})


MAPPING = Mapping((LevelMapping("DRAM"), LevelMapping("Buf", temporal=(("M", 2), ("C", 2), ("E", 2)))))


def layer(input_density: float = 1.0) -> Workload:
    return Workload({"M": 2, "C": 2, "E": 2}, densities=(("Inputs", input_density),))


def test_gating_and_skipping_by_hand() -> None:
    # 8 MACs at 1 pJ (the survey's 16-bit MAC). Half the inputs are zero: half the MACs have a zero operand.
    dense, gated, skipped = (evaluate(layer(0.5), arch(z), MAPPING) for z in ("none", "gating", "skipping"))
    assert (dense.mac_energy_pj, gated.mac_energy_pj, skipped.mac_energy_pj) == (8.0, 4.0, 4.0)
    assert (dense.cycles, gated.cycles, skipped.cycles) == (8, 8, 4)
    assert dense.energy_pj - gated.energy_pj == 4.0  # only the MACs change; operand traffic is counted dense
    assert skipped.utilization == 1.0 and gated.utilization == 1.0


def test_run_length_coding_by_hand() -> None:
    # Inputs: C×E = 4 words read once from DRAM at 200 pJ. Density 1/2 in 16-bit words: per value
    # 1/2 + 1/2 · 1/32 = 33/64 pairs of 64/3 bits = 11 bits, so 11/16 of the plain energy.
    assert rlc_ratio(0.5, 16) == pytest.approx(11 / 16)
    assert rlc_ratio(1.0, 16) == 1.0  # dense data is sent plain
    plain, coded = (evaluate(layer(0.5), arch("none", c), MAPPING) for c in ("none", "rlc"))
    assert plain.levels["DRAM"]["Inputs"].energy_pj == 4 * 200
    assert coded.levels["DRAM"]["Inputs"].energy_pj == pytest.approx(4 * 200 * 11 / 16)
    assert coded.levels["DRAM"]["Weights"].energy_pj == plain.levels["DRAM"]["Weights"].energy_pj


def test_bad_density_is_one_line() -> None:
    with pytest.raises(NpukitError, match=r"density of Inputs must be in \(0, 1\]"):
        Workload({"M": 2}, densities=(("Inputs", 0.0),))


def test_narrow_weights_by_hand() -> None:
    # 4-bit weights in 16-bit words: the 4 weights (M×C) read once from DRAM take 16 bits = one word
    # access instead of four (200 pJ, not 800). The buffer holds 4 weights, 4 inputs (C×E) and 4
    # outputs (M×E): 1 + 4 + 4 = 9 words with narrow weights, 12 with 16-bit ones.
    narrow = Workload({"M": 2, "C": 2, "E": 2}, bits=(("Weights", 4),))
    ev = evaluate(narrow, arch("none"), MAPPING)
    assert ev.levels["DRAM"]["Weights"].energy_pj == 200
    assert evaluate(layer(), arch("none"), MAPPING).levels["DRAM"]["Weights"].energy_pj == 4 * 200
    tight = Architecture.model_validate({"name": "tight", "energy_table": "survey", "levels": [
        {"name": "DRAM", "kind": "dram"}, {"name": "Buf", "size_words": 9}], "compute": {}})
    assert evaluate(narrow, tight, MAPPING).levels["Buf"]["Weights"].capacity == 4  # fits: 9 words
    with pytest.raises(NpukitError, match="level Buf: tiles need 12 words"):
        evaluate(layer(), tight, MAPPING)


def test_partial_sums_at_accumulator_width_by_hand() -> None:
    # DRAM loops C (outer) and M: the Buf's 2 outputs [m, e0..1] leave as partial sums after the
    # first C and come back: DRAM reads 4, updates 8 (4 spilled psums, then the 4 finished
    # outputs). With 32-bit psums beside 16-bit words and outputs: reads 4 × 2 words, updates
    # 4 × 2 + 4 × 1 → 20 word accesses at 200 pJ (12 at 16 bits); every Outputs access at the Buf
    # is two words, and the Buf holds 1 weight + 2 inputs + 2 outputs = 5 words (7 with psums).
    mapping = Mapping((LevelMapping("DRAM", temporal=(("C", 2), ("M", 2))), LevelMapping("Buf", temporal=(("E", 2),))))
    plain = evaluate(layer(), arch("none"), mapping)
    wide = evaluate(Workload({"M": 2, "C": 2, "E": 2}, psum_bits=32), arch("none"), mapping)
    out = wide.levels["DRAM"]["Outputs"]
    assert (out.reads, out.updates, out.partition) == (4, 8, 4)
    assert plain.levels["DRAM"]["Outputs"].energy_pj == 12 * 200
    assert out.energy_pj == 20 * 200
    assert wide.levels["Buf"]["Outputs"].energy_pj == 2 * plain.levels["Buf"]["Outputs"].energy_pj
    assert wide.levels["DRAM"]["Weights"].energy_pj == plain.levels["DRAM"]["Weights"].energy_pj
    tight = Architecture.model_validate({"name": "tight", "energy_table": "survey", "levels": [
        {"name": "DRAM", "kind": "dram"}, {"name": "Buf", "size_words": 6}], "compute": {}})
    assert evaluate(layer(), tight, mapping).levels["Buf"]["Outputs"].capacity == 2
    with pytest.raises(NpukitError, match="level Buf: tiles need 7 words"):
        evaluate(Workload({"M": 2, "C": 2, "E": 2}, psum_bits=32), tight, mapping)
