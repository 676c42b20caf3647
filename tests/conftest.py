"""Prints the ONNX backend node-test summary (passed / failed / skipped with reasons) after a run."""

from __future__ import annotations

from collections import Counter
from typing import Any

NODE_TESTS = "test_onnx_node.py"
NOT_SELECTED = "no matched include pattern"  # cases for ops npukit does not claim, left out by the runner


def pytest_terminal_summary(terminalreporter: Any) -> None:
    outcomes: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    for outcome in ("passed", "failed", "skipped", "error"):
        for report in terminalreporter.stats.get(outcome, []):
            if NODE_TESTS not in getattr(report, "nodeid", "") or report.when not in ("call", "setup"):
                continue
            if outcome == "skipped" and isinstance(report.longrepr, tuple):
                reasons[report.longrepr[2].removeprefix("Skipped: ")] += 1
            if outcome != "passed" or report.when == "call":
                outcomes[outcome] += 1
    if not outcomes:
        return
    write = terminalreporter.write_line
    terminalreporter.section("ONNX backend node tests (npukit's ONNX import + NumPy runtime)")
    shown = [k for k in ("passed", "failed", "skipped", "error") if outcomes[k] or k != "error"]
    write(", ".join(f"{outcomes[k]} {k}" for k in shown))
    for reason, count in reasons.most_common():
        write(f"  skipped {count:4d}: {reason}")


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    """Deselect the node-test cases for ops npukit does not claim (the onnx runner marks them
    skipped with NOT_SELECTED), so that skips in the summary are only real, explained skips."""
    keep, drop = [], []
    for item in items:
        fn = getattr(item, "obj", None)
        unselected = NODE_TESTS in item.nodeid and getattr(fn, "__unittest_skip_why__", "") == NOT_SELECTED
        (drop if unselected else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
