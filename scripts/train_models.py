"""Train the zoo's small networks reproducibly and save their weights in the package.

    .venv/bin/python scripts/train_models.py [lenet5-mnist|digits-cnn ...] [--data-dir ../shared/data/mnist]

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
from torch import nn

from npukit.data import Dataset, digits, mnist
from npukit.data.datasets import DIGITS_TRAIN

OUT_DIR = Path(__file__).resolve().parents[1] / "src" / "npukit" / "zoo" / "trained"


class LeNet5(nn.Module):
    """The zoo's LeNet-5: conv 6@5×5 (padded), sigmoid, avg-pool, conv 16@5×5, sigmoid, avg-pool,
    FC 120, sigmoid, FC 84, sigmoid, FC 10. Attribute names match the zoo's node names."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(1, 6, 5, padding=2), nn.Conv2d(6, 16, 5)
        self.fc1, self.fc2, self.output = nn.Linear(400, 120), nn.Linear(120, 84), nn.Linear(84, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = nn.functional.avg_pool2d(torch.sigmoid(self.conv1(x)), 2)
        x = nn.functional.avg_pool2d(torch.sigmoid(self.conv2(x)), 2)
        x = torch.sigmoid(self.fc1(x.flatten(1)))
        return self.output(torch.sigmoid(self.fc2(x)))


class DigitsCNN(nn.Module):
    """The zoo's digits-cnn: conv 16@3×3, ReLU, max-pool, conv 32@3×3, ReLU, max-pool, FC 10."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(1, 16, 3, padding=1), nn.Conv2d(16, 32, 3, padding=1)
        self.output = nn.Linear(32 * 2 * 2, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = nn.functional.max_pool2d(torch.relu(self.conv1(x)), 2)
        x = nn.functional.max_pool2d(torch.relu(self.conv2(x)), 2)
        return self.output(x.flatten(1))


def shifted(images: torch.Tensor, gen: torch.Generator, most: int = 2) -> torch.Tensor:
    """Each image moved by up to `most` pixels in each direction (zero fill): augmentation that
    makes up for training on 8,000 images only."""
    n, _, h, w = images.shape
    padded = nn.functional.pad(images, (most, most, most, most))
    dy, dx = torch.randint(0, 2 * most + 1, (2, n), generator=gen)
    rows = (dy[:, None] + torch.arange(h))[:, :, None]
    cols = (dx[:, None] + torch.arange(w))[:, None, :]
    return padded[torch.arange(n)[:, None, None], 0, rows, cols][:, None]


def train(model: nn.Module, train_set: Dataset, test_set: Dataset, epochs: int, shift: int) -> float:
    """Adam with a cosine schedule, batches of 64; returns the final test accuracy."""
    x, y = torch.from_numpy(train_set.images), torch.from_numpy(train_set.labels)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs)
    gen = torch.Generator().manual_seed(0)
    accuracy = 0.0
    for epoch in range(epochs):
        model.train()
        for idx in torch.randperm(len(x), generator=gen).split(64):
            opt.zero_grad()
            batch = shifted(x[idx], gen, shift) if shift else x[idx]
            nn.functional.cross_entropy(model(batch), y[idx]).backward()
            opt.step()
        sched.step()
        model.eval()
        with torch.no_grad():
            pred = model(torch.from_numpy(test_set.images)).argmax(1).numpy()
        accuracy = float(np.mean(pred == test_set.labels))
        print(f"epoch {epoch + 1:2d}: test accuracy {accuracy:.4f}")
    return accuracy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", default=["lenet5-mnist", "digits-cnn"])
    parser.add_argument("--data-dir", default=str(Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    for name in args.models:
        torch.manual_seed(0)
        if name == "lenet5-mnist":
            model, (train_set, test_set), epochs, shift = LeNet5(), mnist(args.data_dir).split(8000), 40, 2
        else:
            model, (train_set, test_set), epochs, shift = DigitsCNN(), digits().shuffled(0).split(DIGITS_TRAIN), 60, 1
        accuracy = train(model, train_set, test_set, epochs, shift)
        out = OUT_DIR / f"{name}.npz"
        np.savez(out, **{k: v.numpy() for k, v in model.state_dict().items()})
        print(f"wrote {out}: test accuracy {accuracy:.4f} ({train_set.note})")


if __name__ == "__main__":
    main()
