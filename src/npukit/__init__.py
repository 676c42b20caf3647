"""npukit: count, run, compress and map DNNs onto NPUs, after Sze, Chen, Yang and Emer's survey.

    >>> import npukit
    >>> report = npukit.analyze("resnet50")
    >>> report.total("macs")
    3857973248

The API is imported lazily so that `import npukit` (and `npukit --help`) stay fast.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_API = {"analyze", "survey", "models", "load", "run", "export", "arch", "archs", "dataflow", "dataflows", "map_network",
        "evaluate_mapping", "compare_dataflows", "quantize", "evaluate_accuracy", "codesign", "prune"}


def __getattr__(name: str) -> Any:
    if name in _API:
        from npukit import api

        return getattr(api, name)
    if name in {"ir", "zoo", "analysis", "report", "runtime", "frontends", "api", "compress"}:
        import importlib

        return importlib.import_module(f"npukit.{name}")
    raise AttributeError(f"module 'npukit' has no attribute {name!r}")


__all__ = ["__version__", "analyze", "arch", "archs", "codesign", "compare_dataflows", "dataflow", "dataflows",
           "evaluate_accuracy", "evaluate_mapping", "export", "load", "map_network", "models", "prune", "quantize",
           "run", "survey"]
