"""A small CNN for scikit-learn's 8×8 digits, shipped trained (scripts/train_models.py)."""

from __future__ import annotations

from npukit.ir import Graph
from npukit.zoo.builder import GraphBuilder
from npukit.zoo.trained import trained_weights


def digits_cnn(batch: int = 1) -> Graph:
    """conv 16@3×3, ReLU, max-pool 2, conv 32@3×3, ReLU, max-pool 2, FC 10 (trained weights)."""
    b = GraphBuilder("digits-cnn", (batch, 1, 8, 8), weights=trained_weights("digits-cnn"))
    x = b.maxpool(b.relu(b.conv(b.input, 16, 3, pad=1)), 2, 2)
    x = b.maxpool(b.relu(b.conv(x, 32, 3, pad=1)), 2, 2)
    return b.build(b.fc(b.flatten(x), 10, name="output"))
