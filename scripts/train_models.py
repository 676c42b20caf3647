"""Train the zoo's small networks reproducibly and save their weights in the package.

    .venv/bin/python scripts/train_models.py [lenet5-mnist|digits-cnn ...] [--data-dir ../shared/data/mnist]
                                             [--out-dir DIR]

- lenet5-mnist: MNIST's training set is not available here, so LeNet-5 trains on the first 8,000
  images of the 10,000-image test set and is evaluated on the last 2,000 (held out).
- digits-cnn: a small CNN on scikit-learn's 8×8 digits, shuffled with seed 0, trained on the
  first 1,437 images (80%) and evaluated on the other 360.

Seeded, single-threaded, deterministic algorithms: the same command gives the same weights.
Writes src/npukit/zoo/trained/<name>.npz (parameter names as in npukit's zoo graphs).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from npukit import zoo
from npukit.compress.torch_train import GraphModule, accuracy, train
from npukit.data import Dataset, digits, mnist
from npukit.data.datasets import DIGITS_TRAIN

OUT_DIR = Path(__file__).resolve().parents[1] / "src" / "npukit" / "zoo" / "trained"


def train_and_report(model: GraphModule, train_set: Dataset, test_set: Dataset, epochs: int, shift: int) -> float:
    """Adam with a cosine schedule, batches of 64 (npukit's training loop); returns the final test accuracy."""
    def report(epoch: int) -> None:
        print(f"epoch {epoch + 1:2d}: test accuracy {accuracy(model, test_set):.4f}")

    train(model, train_set, epochs, lr=2e-3, shift=shift, seed=0, after_epoch=report)
    return accuracy(model, test_set)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", default=["lenet5-mnist", "digits-cnn"])
    parser.add_argument("--data-dir", default=str(Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"))
    parser.add_argument("--out-dir", default=str(OUT_DIR), help="where to write <name>.npz (default: the package)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    for name in args.models:
        torch.manual_seed(0)
        # the zoo's graph is the one definition of the network; PyTorch's default initialization
        model = GraphModule(zoo.get("lenet5" if name == "lenet5-mnist" else name), copy_weights=False)
        if name == "lenet5-mnist":
            (train_set, test_set), epochs, shift = mnist(args.data_dir).split(8000), 40, 2
        else:
            (train_set, test_set), epochs, shift = digits().shuffled(0).split(DIGITS_TRAIN), 60, 1
        final = train_and_report(model, train_set, test_set, epochs, shift)
        out = Path(args.out_dir) / f"{name}.npz"
        np.savez(out, **model.weights())
        print(f"wrote {out}: test accuracy {final:.4f} ({train_set.note})")


if __name__ == "__main__":
    main()
