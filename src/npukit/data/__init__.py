"""Datasets for accuracy: MNIST (IDX files in a directory you name) and scikit-learn's digits."""

from npukit.data.datasets import MNIST_SPLIT, Dataset, digits, mnist
from npukit.data.idx import read_idx

__all__ = ["MNIST_SPLIT", "Dataset", "digits", "mnist", "read_idx"]
