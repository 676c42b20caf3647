"""Systolic compute cycles (npukit.hw.systolic) against SCALE-Sim.

Oracle: SCALE-Sim 3.0.0's own COMPUTE_REPORT.csv ("Total Cycles") for every layer, recorded in
tests/data/scalesim/cycles.csv with the commands in the README.md beside it; SCALE-Sim is not
needed to run these tests. The hand-worked example derives its numbers in the comments from the
timing of a systolic array, not from either implementation.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import pytest

import npukit
from npukit.errors import NpukitError
from npukit.hw.systolic import from_topology_row, systolic_cycles, topology_row
from npukit.hw.workload import Workload

DATA = Path(__file__).parents[1] / "data" / "scalesim"
TOPOLOGY = ("ifmap_h", "ifmap_w", "filter_h", "filter_w", "channels", "filters", "stride")


def recorded() -> list[dict[str, str]]:
    with open(DATA / "cycles.csv", newline="") as f:
        return list(csv.DictReader(f))


ROWS = recorded()


def row_id(r: dict[str, str]) -> str:
    return f"{r['case']}-{r['layer']}-{r['dataflow']}-{r['rows']}x{r['cols']}"


@pytest.mark.parametrize("r", ROWS, ids=row_id)
def test_cycles_equal_scalesim(r: dict[str, str]) -> None:
    workload = from_topology_row(tuple(int(r[k]) for k in TOPOLOGY), r["layer"])
    assert int(r["stall_cycles"]) == 0  # so "Total Cycles" is compute alone
    assert systolic_cycles(workload, int(r["rows"]), int(r["cols"]), r["dataflow"]) == int(r["total_cycles"])


def zoo_workloads(model: str, kinds: tuple[str, ...] = ("CONV", "FC")) -> dict[str, Workload]:
    return {layer.name: Workload.from_loopnest(layer.loopnest, layer.name)
            for layer in npukit.analyze(model).layers if layer.loopnest is not None and layer.loopnest.kind in kinds}


@pytest.mark.parametrize(("model", "kinds"), [("alexnet", ("CONV",)), ("resnet50", ("CONV", "FC"))])
def test_recorded_layers_are_the_zoo_layers_groups_summed(model: str, kinds: tuple[str, ...]) -> None:
    zoo = zoo_workloads(model, kinds)
    groups: dict[tuple[str, str], list[dict[str, str]]] = defaultdict(list)
    for r in ROWS:
        if r["case"] == model:
            groups[r["layer"].split(".g")[0], r["dataflow"]].append(r)
    for (name, dataflow), rows in groups.items():
        workload = zoo[name]
        assert len(rows) == workload.bounds["G"]  # SCALE-Sim ran each group as a layer of its own
        one_group = {**workload.bounds, "G": 1}
        for r in rows:
            given = tuple(int(r[k]) for k in TOPOLOGY)
            assert given == topology_row(workload) and from_topology_row(given).bounds == one_group
        assert {(r["rows"], r["cols"]) for r in rows} == {("32", "32")}
        assert systolic_cycles(workload, 32, 32, dataflow) == sum(int(r["total_cycles"]) for r in rows)
    shapes = {(tuple(w.bounds.items()), w.stride) for w in zoo.values()}
    covered = {(tuple(zoo[name].bounds.items()), zoo[name].stride) for name, _ in groups}
    assert covered == shapes  # AlexNet's five CONV layers; every distinct ResNet-50 CONV shape and its FC
    assert {df for _, df in groups} == {"os", "ws", "is"}


def test_hand_worked_example_on_a_2x2_array() -> None:
    # Layer: E=F=2 (4 output pixels), M=3 filters, C=1, R=S=2 (window 4); array 2 rows × 2 cols.
    # OS: rows ← 4 pixels (2 folds), cols ← 3 filters (2 folds, the second half empty): 4 folds.
    #   Operands enter skewed one cycle per row and per column, so PE (r, c) does MAC k at cycle
    #   k + r + c, k = 0..3 (the window): the last, PE (1, 1), ends at 3 + 1 + 1 = 5: 6 cycles a fold.
    #   4 folds × 6 = 24 cycles, numbered 0..23; SCALE-Sim reports the last number: 23.
    # WS: rows ← window 4 (2 folds), cols ← 3 filters (2 folds): 4 folds. Cycles 0-1 shift the two
    #   weight rows in; pixel k then meets PE (r, c) at 2 + k + r + c and its sum leaves the bottom
    #   row (r = 1) at 3 + k + c; the last, k = 3, c = 1, at 7: 8 cycles a fold. 4 × 8 − 1 = 31.
    # IS: rows ← window 4 (2 folds), cols ← 4 pixels (2 folds): 4 folds; as WS with the 3 filters
    #   streamed: the last sum leaves at 3 + 2 + 1 = 6: 7 cycles a fold. 4 × 7 − 1 = 27.
    layer = Workload({"M": 3, "C": 1, "R": 2, "S": 2, "E": 2, "F": 2}, name="hand")
    assert [systolic_cycles(layer, 2, 2, df) for df in ("os", "ws", "is")] == [23, 31, 27]
    # Two groups of it are two such layers back to back.
    assert systolic_cycles(Workload({**layer.bounds, "G": 2}), 2, 2, "os") == 2 * 23


def test_padded_input_overcounts_when_the_stride_does_not_divide() -> None:
    # SCALE-Sim's output size is ceil((H − R + U) / U): ResNet-50's conv1 on its 230-wide padded
    # input gives 113, not 112; topology_row gives the 229 input rows the layer reads instead.
    padded = from_topology_row((230, 230, 7, 7, 3, 64, 2))
    assert (padded.bounds["E"], padded.bounds["F"]) == (113, 113)
    conv1 = zoo_workloads("resnet50")["conv1"]
    assert topology_row(conv1) == (229, 229, 7, 7, 3, 64, 2)


def test_unknown_dataflow_is_one_line() -> None:
    with pytest.raises(NpukitError, match="unknown dataflow 'rs'; dataflows are os, ws, is") as error:
        systolic_cycles(Workload({"M": 4}), 32, 32, "rs")
    assert "\n" not in str(error.value)
