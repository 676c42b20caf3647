"""Train LeNet-5 (npukit's zoo layout) on MNIST, reproducibly, and save its weights in the package.

    .venv/bin/python scripts/train_lenet5.py [--data-dir ../shared/data/mnist] [--epochs 30]

MNIST's training set is not available here: the model trains on the first 8,000 images of the
10,000-image test set and is evaluated on the last 2,000 (held out). Seeded, single-threaded,
deterministic algorithms: the same command gives the same weights. Writes
src/npukit/zoo/trained/lenet5-mnist.npz (parameter names as in npukit's zoo graph).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch
from torch import nn

from npukit.data import mnist

OUT = Path(__file__).resolve().parents[1] / "src" / "npukit" / "zoo" / "trained" / "lenet5-mnist.npz"


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


def shifted(images: torch.Tensor, gen: torch.Generator, most: int = 2) -> torch.Tensor:
    """Each image moved by up to `most` pixels in each direction (zero fill): augmentation that
    makes up for training on 8,000 images only."""
    n, _, h, w = images.shape
    padded = nn.functional.pad(images, (most, most, most, most))
    dy, dx = torch.randint(0, 2 * most + 1, (2, n), generator=gen)
    rows = (dy[:, None] + torch.arange(h))[:, :, None]
    cols = (dx[:, None] + torch.arange(w))[:, None, :]
    return padded[torch.arange(n)[:, None, None], 0, rows, cols][:, None]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=str(Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"))
    parser.add_argument("--epochs", type=int, default=40)
    args = parser.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)

    train, held_out = mnist(args.data_dir).split(8000)
    x, y = torch.from_numpy(train.images), torch.from_numpy(train.labels)
    model = LeNet5()
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, args.epochs)
    gen = torch.Generator().manual_seed(0)
    for epoch in range(args.epochs):
        model.train()
        for idx in torch.randperm(len(x), generator=gen).split(64):
            opt.zero_grad()
            nn.functional.cross_entropy(model(shifted(x[idx], gen)), y[idx]).backward()
            opt.step()
        sched.step()
        model.eval()
        with torch.no_grad():
            pred = model(torch.from_numpy(held_out.images)).argmax(1).numpy()
        print(f"epoch {epoch + 1:2d}: held-out accuracy {np.mean(pred == held_out.labels):.4f}")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez(OUT, **{k: v.numpy() for k, v in model.state_dict().items()})
    print(f"wrote {OUT} ({train.note})")


if __name__ == "__main__":
    main()
