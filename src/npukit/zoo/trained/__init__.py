"""Trained weights shipped with npukit (made by scripts/ in the repository, seeded)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

HERE = Path(__file__).parent


def trained_weights(name: str) -> dict[str, Any]:
    """Parameter name → array, from `<name>.npz` beside this file."""
    import numpy as np

    with np.load(HERE / f"{name}.npz") as data:
        return {k: data[k] for k in data.files}
