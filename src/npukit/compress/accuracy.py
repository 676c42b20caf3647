"""Accuracy of a network under compression: each (precision, sparsity) on held-out data.

Data splits (stated wherever an accuracy is printed): MNIST — pruning fine-tunes and calibration
use the first 8,000 images of the test set, accuracy is on the last 2,000 (held out); digits —
scikit-learn's 1,797 shuffled with seed 0, the first 1,437 for fine-tuning and calibration, the
other 360 held out. Per configuration: magnitude pruning per layer (fine-tuned on the training
split with the mask fixed, when `finetune`), then post-training quantization calibrated on 500
training images (none for fp32).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from npukit.data.datasets import DIGITS_TRAIN, MNIST_SPLIT, MNIST_TRAIN, Dataset, digits, mnist
from npukit.errors import NpukitError
from npukit.ir import Graph
from npukit.runtime import run

PRECISIONS = {"fp32": None, "int16": (8, 16), "int8": (8, 8), "int4": (4, 8)}  # (weight bits, activation bits)
CALIBRATION_IMAGES = 500
BATCH = 100


@dataclass(frozen=True)
class AccuracyResult:
    precision: str
    sparsity: float
    accuracy: float  # a fraction of the held-out images
    images: int

    def as_dict(self) -> dict[str, Any]:
        return {"precision": self.precision, "sparsity": self.sparsity, "accuracy": self.accuracy,
                "images": self.images}


def dataset_split(name: str, data_dir: str | None = None) -> tuple[Dataset, Dataset, str]:
    """(training part, held-out part, the note that says so) of `name`: mnist or digits."""
    if name == "mnist":
        train, held_out = mnist(data_dir).split(MNIST_TRAIN)
        return train, held_out, MNIST_SPLIT
    if name == "digits":
        train, held_out = digits().shuffled(0).split(DIGITS_TRAIN)
        return train, held_out, "digits: shuffled with seed 0; trained on 1,437, accuracy on the other 360 (held out)"
    raise NpukitError(f"unknown dataset {name!r}; datasets: mnist, digits")


def accuracy(graph: Graph, data: Dataset) -> float:
    """Fraction of `data` whose argmax of the graph's first output is the label (batches of the graph's N)."""
    name, n, count = graph.inputs[0], graph.tensors[graph.inputs[0]].shape[0], len(data.labels)
    images = np.concatenate([data.images, np.zeros((-count % n, *data.images.shape[1:]), data.images.dtype)])
    out = graph.outputs[0]
    logits = np.concatenate([run(graph, {name: images[i:i + n]})[out] for i in range(0, len(images), n)])
    return float(np.mean(logits[:count].argmax(axis=1) == data.labels))  # the padding's outputs are dropped


def pruned(graph: Graph, sparsity: float, train: Dataset, finetune: bool, seed: int) -> Graph:
    """`graph` pruned to `sparsity` by magnitude per layer, fine-tuned on `train` if asked."""
    if not sparsity:
        return graph
    if finetune:
        from npukit.compress.finetune import prune_and_finetune

        return prune_and_finetune(graph, sparsity, train, seed=seed)
    from npukit.compress.prune import prune_magnitude

    return prune_magnitude(graph, sparsity)


def check_precisions(precisions: list[str]) -> None:
    unknown = [p for p in precisions if p not in PRECISIONS]
    if unknown:
        raise NpukitError(f"unknown precision {unknown[0]!r}; precisions: {', '.join(PRECISIONS)}")


def at_precision(graph: Graph, precision: str, train: Dataset) -> Graph:
    """`graph` quantized to `precision` (calibrated on training images), or as it is for fp32."""
    check_precisions([precision])
    bits = PRECISIONS[precision]
    if bits is None:
        return graph
    from npukit.compress.ptq import quantize

    return quantize(graph, train.images[:CALIBRATION_IMAGES], weight_bits=bits[0], activation_bits=bits[1])


def evaluate_configurations(graph: Graph, dataset: str, precisions: list[str], sparsities: list[float],
                            data_dir: str | None = None, finetune: bool = True, seed: int = 0
                            ) -> tuple[list[AccuracyResult], str]:
    """Accuracy on the held-out split for every (precision, sparsity); also the split's note."""
    check_precisions(precisions)
    train, held_out, note = dataset_split(dataset, data_dir)
    results = []
    for s in sparsities:
        base = pruned(graph, s, train, finetune, seed)
        for p in precisions:
            results.append(AccuracyResult(p, s, accuracy(at_precision(base, p, train), held_out), len(held_out.labels)))
    return results, note
