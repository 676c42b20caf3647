"""The accelerator model: architectures, mappings, the analytical model, the trace simulator.

    >>> from npukit import hw
    >>> ev, timeloop = hw.evaluate_design("tests/data/timeloop/eyeriss_like")
    >>> ev.cycles, timeloop["cycles"]
    (86016, 86016)
"""

from __future__ import annotations

from typing import Any

_EXPORTS = {
    "Workload": "workload", "Architecture": "arch", "load_arch": "arch", "preset_names": "arch",
    "Mapping": "mapping", "LevelMapping": "mapping", "load_mapping": "mapping", "mapping_from_dict": "mapping",
    "format_loop_nest": "mapping", "evaluate": "model", "Evaluation": "model", "load_design": "timeloop",
    "evaluate_design": "timeloop", "read_constraints": "timeloop", "Dataflow": "dataflows",
    "load_dataflow": "dataflows", "dataflow_names": "dataflows", "search": "mapper", "SearchResult": "mapper",
    "map_network": "network", "NetworkCost": "network", "compare_dataflows": "compare",
}


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(f"npukit.hw.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'npukit.hw' has no attribute {name!r}")


__all__ = sorted(_EXPORTS)
