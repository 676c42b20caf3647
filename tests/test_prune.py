"""Pruning: exact zero counts, the global threshold, the N:M pattern, checked with NumPy directly."""

from __future__ import annotations

import numpy as np
import pytest

import npukit
from npukit.compress.prune import prune_magnitude, prune_n_m, sparsity_report, weight_inputs
from npukit.errors import NpukitError


@pytest.fixture(scope="module")
def resnet18() -> npukit.ir.Graph:
    return npukit.load("resnet18")


def weights_of(graph: npukit.ir.Graph) -> dict[str, np.ndarray]:
    return {name: graph.tensors[name].value() for name in weight_inputs(graph)}


def test_per_layer_magnitude_pruning(resnet18: npukit.ir.Graph) -> None:
    before = weights_of(resnet18)
    after = weights_of(prune_magnitude(resnet18, 0.6))
    for name, w in before.items():
        k = round(0.6 * w.size)
        assert np.count_nonzero(after[name] == 0) == k
        kept = np.abs(w[after[name] != 0])
        assert kept.min() >= np.sort(np.abs(w).ravel())[k - 1]  # nothing kept is smaller than what went
        assert np.array_equal(after[name][after[name] != 0], w[after[name] != 0])  # survivors unchanged


def test_global_magnitude_pruning_uses_one_threshold(resnet18: npukit.ir.Graph) -> None:
    before = weights_of(resnet18)
    after = weights_of(prune_magnitude(resnet18, 0.5, scope="global"))
    magnitudes = np.sort(np.concatenate([np.abs(w).ravel() for w in before.values()]))
    threshold = magnitudes[round(0.5 * magnitudes.size) - 1]
    for name, w in before.items():
        assert np.array_equal(after[name] == 0, np.abs(w) <= threshold)
    total_zeros = sum(r.zeros for r in sparsity_report(prune_magnitude(resnet18, 0.5, scope="global")))
    assert total_zeros == np.count_nonzero(magnitudes <= threshold)


def test_two_of_four() -> None:
    pruned = prune_n_m(npukit.load("resnet50"), 2, 4)
    for name, node in weight_inputs(pruned).items():
        rows = pruned.tensors[name].value().reshape(pruned.tensors[name].shape[0], -1)
        if node.name == "conv1":  # 3×7×7 = 147 weights per filter: left dense, and reported so
            assert np.count_nonzero(rows) == rows.size
            continue
        groups = rows.reshape(rows.shape[0], -1, 4)
        assert (np.count_nonzero(groups, axis=-1) == 2).all(), node.name
    report = {r.layer: r.density for r in sparsity_report(pruned)}
    assert report["conv1"] == 1.0 and report["layer1.0.conv2"] == 0.5


def test_bad_arguments_are_one_line_errors() -> None:
    graph = npukit.load("lenet5")
    with pytest.raises(NpukitError, match=r"sparsity must be in \[0, 1\), not 1.5"):
        prune_magnitude(graph, 1.5)
    with pytest.raises(NpukitError, match="scope must be 'layer' or 'global'"):
        prune_magnitude(graph, 0.5, scope="row")
    with pytest.raises(NpukitError, match="node 'conv1': 25 weights per filter is not a multiple of M=4"):
        prune_n_m(graph, strict=True)
