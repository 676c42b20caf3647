"""Mappings (validation, YAML, printing) and the batch path of the analytical model.

Oracles: Timeloop's map.txt for the loop-nest printout; the single-mapping path for the
chunked, compacted batch path; hand-worked counts for a one-dimensional example.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from npukit.errors import NpukitError
from npukit.hw.arch import Architecture
from npukit.hw.batch import MappingBatch, evaluate_batch
from npukit.hw.mapping import format_loop_nest, load_mapping, mapping_from_dict
from npukit.hw.mapspace import random_mappings
from npukit.hw.model import evaluate
from npukit.hw.timeloop import DIM_NAMES, load_design
from npukit.hw.workload import Workload

DATA = Path(__file__).resolve().parents[1] / "data" / "timeloop"
ARCH = Architecture.model_validate({
    "name": "four-level", "levels": [
        {"name": "DRAM", "kind": "dram"},
        {"name": "GLB", "size_words": 4096, "block_size": 4},
        {"name": "RF", "size_words": 256, "mesh_x": 4, "mesh_y": 2, "kind": "regfile"},
        {"name": "Reg", "size_words": 1, "mesh_x": 4, "mesh_y": 2, "kind": "regfile", "keeps": ["Weights"]}],
    "compute": {"mesh_x": 4, "mesh_y": 2}})
LAYER = Workload({"N": 2, "M": 8, "C": 6, "R": 3, "S": 3, "E": 6, "F": 6}, (2, 1), (1, 2))


def test_loop_nest_printout_has_timeloop_map_txt_loops() -> None:
    for design in ("simple_weight_stationary", "eyeriss_like"):
        workload, arch, mapping = load_design(DATA / design)
        text = (DATA / design / "timeloop-mapper.map.txt").read_text()
        theirs = [(DIM_NAMES[d], int(n)) for d, n in re.findall(r"for (\w) in \[0:(\d+)\)", text)]
        ours = [(d, int(n)) for d, n in re.findall(r"for (\w) in \[0:(\d+)\)", format_loop_nest(mapping, workload,
                                                                                                arch))]
        assert ours == theirs


def test_batch_equals_single_evaluation_on_random_mappings() -> None:
    batch = random_mappings(LAYER, ARCH, 6000, seed=3)  # more than one chunk; a mix of loop counts
    ev = evaluate_batch(LAYER, ARCH, batch, "exact")
    valid = np.flatnonzero(ev.valid)
    assert len(valid) > 50
    for b in valid[:: max(1, len(valid) // 60)]:
        one = evaluate(LAYER, ARCH, batch.mapping(int(b), ARCH), convention="exact")
        for i, level in enumerate(ARCH.names):
            for j, tensor in enumerate(("Weights", "Inputs", "Outputs")):
                st = one.levels[level].get(tensor)
                got = (ev.reads[b, i, j], ev.fills[b, i, j], ev.updates[b, i, j])
                assert got == ((st.reads, st.fills, st.updates) if st else (0, 0, 0)), (b, level, tensor)
        assert one.cycles == ev.cycles[b]
        assert one.energy_pj == pytest.approx(ev.total_energy_pj[b])


def test_invalid_batch_mappings_are_flagged_not_dropped() -> None:
    batch = random_mappings(LAYER, ARCH, 500, seed=4)
    ev = evaluate_batch(LAYER, ARCH, batch)
    assert ev.cycles.shape == (500,) and 0 < ev.valid.sum() < 500
    for b in np.flatnonzero(~ev.valid)[:20]:
        with pytest.raises(NpukitError):
            batch.mapping(int(b), ARCH).validate(LAYER, ARCH)


def one_dimensional() -> tuple[Workload, Architecture, dict]:
    """A 1-D convolution: E=8 outputs, R=3 taps, on DRAM → a 16-word buffer → one MAC."""
    arch = Architecture.model_validate({"name": "1d", "levels": [
        {"name": "DRAM", "kind": "dram"}, {"name": "Buf", "size_words": 16}], "compute": {}})
    return Workload({"E": 8, "R": 3}), arch, {"mapping": [
        {"level": "DRAM", "temporal": {"E": 2}}, {"level": "Buf", "temporal": {"E": 4, "R": 3}}]}


def test_hand_worked_sliding_window() -> None:
    workload, arch, spec = one_dimensional()
    ev = evaluate(workload, arch, mapping_from_dict(spec, arch))
    buf = ev.levels["Buf"]
    # Input tile: 4 outputs × 3 taps → 6 inputs; the second tile (outputs 4..7 → inputs 4..9)
    # overlaps the first in inputs 4, 5, so 6 + 4 = 10 fills; the MAC reads 8 × 3 = 24 inputs.
    assert (buf["Inputs"].capacity, buf["Inputs"].fills, buf["Inputs"].reads) == (6, 10, 24)
    # Weights: 3 filled once, read 24 times; Outputs: 8 partial sums, each updated 3 times,
    # read back 2 times (the first read of a partial sum is skipped), never filled (fresh zeros).
    assert (buf["Weights"].fills, buf["Weights"].reads) == (3, 24)
    assert (buf["Outputs"].fills, buf["Outputs"].updates, buf["Outputs"].reads) == (0, 24, 16)
    assert ev.levels["DRAM"]["Outputs"].updates == 8 and ev.levels["DRAM"]["Inputs"].reads == 10
    assert ev.cycles == 24 and ev.computes == 24


@pytest.mark.parametrize(("change", "message"), [
    ({"temporal": {"E": 3}}, "factors of E multiply to 12, but the layer has E=8"),
    ({"temporal": {"E": 2, "Q": 2}}, "unknown dimension 'Q'"),
    ({"temporal": {"E": -2}}, "factor must be a positive integer"),
    ({"keep": ["Weights", "Psums"]}, "unknown tensor 'Psums'"),
    ({"level": "L2"}, "architecture 1d has no level 'L2'"),
    ({"spatial_x": {"E": 2}, "temporal": {}}, "level DRAM: spatial X factors use 2 instances, but its fan-out"),
    ({"keep": ["Weights"]}, "the outermost level DRAM must keep every tensor"),
    ({"bogus": 1}, "unknown field 'bogus'"),
])
def test_mapping_errors_name_the_field_and_limit(change: dict, message: str) -> None:
    workload, arch, spec = one_dimensional()
    spec["mapping"][0].update(change)
    with pytest.raises(NpukitError, match=re.escape(message)):
        mapping_from_dict(spec, arch, "m.yaml").validate(workload, arch)


def test_buffer_overflow_names_the_level_and_sizes() -> None:
    workload, arch, spec = one_dimensional()
    spec["mapping"] = [{"level": "DRAM"}, {"level": "Buf", "temporal": {"E": 8, "R": 3}}]
    with pytest.raises(NpukitError, match=r"level Buf: tiles need 21 words \(Weights 3, Inputs 10, Outputs 8\), "
                                          r"but it holds 16"):
        mapping_from_dict(spec, arch, "m.yaml").validate(workload, arch)


def test_yaml_round_trip(tmp_path: Path) -> None:
    workload, arch, mapping = load_design(DATA / "eyeriss_like")
    path = tmp_path / "map.yaml"
    mapping.save(path)
    again = load_mapping(path, arch)
    assert MappingBatch.from_mappings([again], arch).temporal.tolist() == \
        MappingBatch.from_mappings([mapping], arch).temporal.tolist()
    assert evaluate(workload, arch, again).as_dict() == evaluate(workload, arch, mapping).as_dict()
