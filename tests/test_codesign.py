"""`npukit prune` and `npukit codesign`, and zero gating driven by measured ReLU sparsity.

Oracles: the ONNX file's own initializers (read with onnx) for the pruned zeros; the hand
formula Σ MACs · (1 − dW·dI) · MAC energy for what zero gating saves, with the densities measured
on real digits (the measurement is itself checked against ONNX Runtime in
tests/test_activation_sparsity.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

import npukit
from npukit.cli.main import main
from npukit.compress.accuracy import dataset_split
from npukit.hw.arch import Architecture
from npukit.hw.codesign import densities


def test_prune_writes_the_zeros_it_reports(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "lenet5-50.onnx"
    assert main(["prune", "lenet5", "-o", str(path), "--sparsity", "0.5", "--json"]) == 0
    layers = {r["layer"]: r for r in json.loads(capsys.readouterr().out)["layers"]}
    model = onnx.load(str(path))
    weights = {n.name: n.input[1] for n in model.graph.node if n.op_type in ("Conv", "Gemm")}
    arrays = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    for layer, tensor in weights.items():
        w = arrays[tensor]
        assert int(np.count_nonzero(w == 0)) == layers[layer]["zeros"] == round(0.5 * w.size)


def test_gating_saves_what_the_measured_densities_say() -> None:
    _, held_out, _ = dataset_split("digits")
    graph = npukit.load("digits-cnn", batch=1)
    dense = densities(graph, held_out.images[:100])
    assert 0.05 < 1 - dense["conv2"]["Inputs"] < 0.5  # ReLU and max-pooling zeros reach conv2
    spec = npukit.arch("eyeriss").model_dump()
    spec["levels"][0]["compression"] = "none"  # gating only: the MACs are all that may change
    arch = Architecture.model_validate(spec)
    report = npukit.analyze(graph, bits=16)
    from npukit.hw.network import map_network

    plain = map_network(report, arch, None, "energy", 2_000, 0, 1)
    gated = map_network(report, arch, None, "energy", 2_000, 0, 1, densities=dense)
    macs = {x.name: x.macs for x in report.layers if x.macs}
    saved = sum(m * (1 - dense[n].get("Weights", 1.0) * dense[n].get("Inputs", 1.0)) * arch.mac_pj
                for n, m in macs.items())
    by_name = {x.name: x for x in gated.layers}
    assert saved > 0
    assert sum(x.energy_by_level_pj["MAC"] for x in plain.layers if x.macs) - \
        sum(by_name[n].energy_by_level_pj["MAC"] for n in macs) == pytest.approx(saved)


def test_codesign_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    plot = tmp_path / "pareto.png"
    assert main(["codesign", "digits-cnn", "--dataset", "digits", "--precision", "fp32,int8", "--prune", "0,0.5",
                 "--no-finetune", "--evaluations", "500", "--plot", str(plot), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    points = {(p["precision"], p["sparsity"]): p for p in data["points"]}
    assert set(points) == {("fp32", 0.0), ("int8", 0.0), ("fp32", 0.5), ("int8", 0.5)}
    assert points[("int8", 0.0)]["energy_per_inference_pj"] < points[("fp32", 0.0)]["energy_per_inference_pj"]
    assert points[("int8", 0.0)]["dram_bytes"] * 2 == pytest.approx(points[("fp32", 0.0)]["dram_bytes"], rel=0.01)
    assert plot.stat().st_size > 10_000
