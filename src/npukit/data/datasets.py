"""Datasets: MNIST from IDX files in a directory the user names, and scikit-learn's digits.

MNIST's 60,000 training images are not assumed: npukit trains on the first 8,000 images of the
10,000-image test set and reports accuracy on the last 2,000 (`MNIST_SPLIT` says so wherever an
accuracy is printed).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from npukit.data.idx import read_idx
from npukit.errors import NpukitError

MNIST_FILES = {"images": "t10k-images-idx3-ubyte", "labels": "t10k-labels-idx1-ubyte"}
MNIST_TRAIN = 8000
MNIST_SPLIT = "MNIST: trained on the first 8,000 test-set images, accuracy on the last 2,000 (held out)"
DATA_ENV = "NPUKIT_DATA"
DIGITS_TRAIN = 1437  # 80% of scikit-learn's 1,797 digits, after a seeded shuffle (seed 0)


@dataclass(frozen=True)
class Dataset:
    """Images as float32 N×1×H×W in [0, 1], integer labels, and where the data came from."""

    name: str
    images: np.ndarray
    labels: np.ndarray
    note: str

    def shuffled(self, seed: int) -> Dataset:
        """The same examples in a seeded random order (numpy's default_rng(seed))."""
        order = np.random.default_rng(seed).permutation(len(self.labels))
        return Dataset(self.name, self.images[order], self.labels[order], f"{self.note}, shuffled with seed {seed}")

    def split(self, first: int) -> tuple[Dataset, Dataset]:
        """The first `first` examples, and the rest."""
        head = Dataset(f"{self.name}[:{first}]", self.images[:first], self.labels[:first], self.note)
        tail = Dataset(f"{self.name}[{first}:]", self.images[first:], self.labels[first:], self.note)
        return head, tail


def find_file(directory: Path, stem: str) -> Path:
    for candidate in (directory / f"{stem}.gz", directory / stem):
        if candidate.is_file():
            return candidate
    raise NpukitError(f"{directory}: no MNIST file {stem}[.gz] (download the MNIST test set there)")


def mnist(data_dir: str | os.PathLike[str] | None = None) -> Dataset:
    """The MNIST test set from `data_dir`, or from the directory in $NPUKIT_DATA."""
    given = data_dir or os.environ.get(DATA_ENV)
    if not given:
        raise NpukitError(f"no MNIST directory: pass --data-dir DIR or set {DATA_ENV}=DIR")
    directory = Path(given)
    if not directory.is_dir():
        raise NpukitError(f"{directory}: no such directory (the MNIST data directory)")
    images = read_idx(find_file(directory, MNIST_FILES["images"]))
    labels = read_idx(find_file(directory, MNIST_FILES["labels"]))
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise NpukitError(f"{directory}: MNIST images {images.shape} and labels {labels.shape} do not match")
    x = (images.astype(np.float32) / 255.0)[:, None, :, :]
    return Dataset("mnist", x, labels.astype(np.int64), MNIST_SPLIT)


def digits() -> Dataset:
    """scikit-learn's bundled 8×8 digits (1,797 images, 16 grey levels), scaled to [0, 1]."""
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise NpukitError("scikit-learn is not installed: pip install 'npukit[data]'") from None
    bunch = load_digits()
    x = (bunch.images.astype(np.float32) / 16.0)[:, None, :, :]
    return Dataset("digits", x, bunch.target.astype(np.int64), "scikit-learn digits (bundled)")
