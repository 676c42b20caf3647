"""Where the tests find the MNIST test set: $NPUKIT_DATA if set, else ../shared/data/mnist beside
the repository. Tests that need it are marked `needs_mnist` and skipped when it is absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

MNIST_DIR = Path(os.environ.get("NPUKIT_DATA") or Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist")
needs_mnist = pytest.mark.skipif(not MNIST_DIR.is_dir(),
                                 reason=f"no MNIST test set at {MNIST_DIR} (set $NPUKIT_DATA to its directory)")
