"""Measure pruning on the zoo's trained networks: the figures of docs/pruning.md.

    .venv/bin/python scripts/measure_pruning.py [--data-dir ../shared/data/mnist] [--epochs 3 10]

- Magnitude pruning (per layer and global, 50% and 75%) of lenet5-mnist and digits-cnn, without
  and with fine-tuning (npukit.compress.finetune), accuracy on the held-out images (2,000 MNIST,
  360 digits) in npukit's runtime, and the wall-clock time of each fine-tune (1 thread).
- Structured pruning: half the filters of each CONV layer removed by L1 norm, MACs and accuracy.
- Activation sparsity of digits-cnn on its 360 held-out images.
Prints Markdown tables.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

import npukit
from npukit.compress.activations import activation_sparsity, input_sparsity
from npukit.compress.finetune import finetune, prune_and_finetune
from npukit.compress.prune import prune_magnitude
from npukit.compress.structured import prune_filters
from npukit.data import Dataset, digits, mnist
from npukit.data.datasets import DIGITS_TRAIN, MNIST_TRAIN
from npukit.ir import Graph


def accuracy(graph: Graph, data: Dataset) -> float:
    return float(np.mean(npukit.run(graph, {"input": data.images})["output"].argmax(1) == data.labels))


def magnitude_rows(graph: Graph, train: Dataset, held: Dataset, epochs: list[int]) -> None:
    print(f"\n{graph.name} (fp32: {accuracy(graph, held):.2%} on {len(held.labels)} held-out images)\n")
    print("| pruning | no fine-tuning | " + " | ".join(f"fine-tuned {e} epochs (time)" for e in epochs) + " |")
    print("|---|---|" + "---|" * len(epochs))
    for scope in ("layer", "global"):
        for sparsity in (0.5, 0.75):
            cells = [f"{accuracy(prune_magnitude(graph, sparsity, scope), held):.2%}"]
            for e in epochs:
                start = time.perf_counter()
                tuned = prune_and_finetune(graph, sparsity, train, scope=scope, epochs=e)
                cells.append(f"{accuracy(tuned, held):.2%} ({time.perf_counter() - start:.1f} s)")
            print(f"| {sparsity:.0%} {'per layer' if scope == 'layer' else 'global'} | " + " | ".join(cells) + " |")


def structured_rows(graph: Graph, train: Dataset, held: Dataset, epochs: int) -> None:
    batch = graph.tensors["input"].shape[0]
    report = npukit.analyze(graph)
    print(f"\n{graph.name}: half the filters of CONV layers removed by L1 norm (unpruned: "
          f"{report.total('macs') // batch:,} MACs per image, {report.total('weights'):,} weights)\n")
    print(f"| filters removed from | MACs per image | weights | no fine-tuning | fine-tuned {epochs} epochs |")
    print("|---|---|---|---|---|")
    convs = [n.name for n in graph.nodes if n.op_type == "Conv"]
    for layers in [[c] for c in convs] + [convs]:
        shrunk = graph
        for layer in layers:
            shrunk = prune_filters(shrunk, layer, 0.5)
        report = npukit.analyze(shrunk)
        tuned = finetune(shrunk, train, epochs)
        print(f"| {' + '.join(layers)} | {report.total('macs') // batch:,} | {report.total('weights'):,} | "
              f"{accuracy(shrunk, held):.2%} | {accuracy(tuned, held):.2%} |")


def sparsity_rows(graph: Graph, held: Dataset) -> None:
    print(f"\n{graph.name}: fraction of zeros on the {len(held.labels)} held-out images\n")
    print("| tensor | zeros |\n|---|---|")
    for name, f in activation_sparsity(graph, held.images).items():
        print(f"| {name} output | {f:.2%} |")
    for name, f in input_sparsity(graph, held.images).items():
        print(f"| {name} input | {f:.2%} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=str(Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"))
    parser.add_argument("--epochs", type=int, nargs="+", default=[3, 10])
    args = parser.parse_args()
    train, held = mnist(args.data_dir).split(MNIST_TRAIN)
    lenet = npukit.load("lenet5-mnist", batch=len(held.labels))
    magnitude_rows(lenet, train, held, args.epochs)
    d_train, d_held = digits().shuffled(0).split(DIGITS_TRAIN)
    cnn = npukit.load("digits-cnn", batch=len(d_held.labels))
    magnitude_rows(cnn, d_train, d_held, args.epochs)
    structured_rows(lenet, train, held, args.epochs[0])
    structured_rows(cnn, d_train, d_held, args.epochs[0])
    sparsity_rows(cnn, d_held)


if __name__ == "__main__":
    main()
