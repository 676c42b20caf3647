"""Figures: matplotlib without a screen, written atomically."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from npukit.atomic import atomic_path


def pyplot() -> Any:
    """matplotlib.pyplot on the Agg backend (no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig: Any, path: str | Path) -> None:
    """Write `fig` to `path` (format from its suffix: png, svg, pdf), atomically; then close it."""
    try:
        with atomic_path(path, "the plot") as tmp:
            fig.savefig(tmp, dpi=120, format=Path(path).suffix.lstrip(".") or "png")
    finally:
        pyplot().close(fig)
