"""Tables rendered four ways: a terminal table (rich), Markdown, CSV and JSON.

A `Table` is plain data: column keys and headers, rows as dicts of cell values, and notes.
Exact integers print with thousands separators; nothing is rounded in CSV or JSON.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

FORMATS = ("text", "markdown", "csv", "json")


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    numeric: bool = False


@dataclass(frozen=True)
class Table:
    title: str
    columns: Sequence[Column]
    rows: Sequence[dict[str, Any]]
    footer: Sequence[dict[str, Any]] = ()  # totals rows, set apart from the body
    notes: Sequence[str] = field(default=())


BLANK = object()  # a key absent from a row: an empty cell, unlike None ("—", not applicable)


def cell(value: Any) -> str:
    if value is BLANK:
        return ""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


def to_markdown(table: Table) -> str:
    head = "| " + " | ".join(c.header for c in table.columns) + " |"
    rule = "|" + "|".join("---:" if c.numeric else "---" for c in table.columns) + "|"
    body = [
        "| "
        + " | ".join(cell(r.get(c.key, BLANK)).replace("|", "\\|").replace("\n", " ") for c in table.columns)
        + " |"
        for r in (*table.rows, *table.footer)
    ]
    notes = [f"\n{n}" for n in table.notes]
    return "\n".join([f"**{table.title}**\n", head, rule, *body, *notes]) + "\n"


def to_csv(table: Table) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([c.key for c in table.columns])
    for r in (*table.rows, *table.footer):
        writer.writerow(["" if r.get(c.key) is None else r.get(c.key) for c in table.columns])
    return out.getvalue()


def print_rich(table: Table) -> None:
    """Print to the terminal; when piped, wide enough that columns are not squeezed."""
    import sys

    from rich.console import Console
    from rich.table import Table as RichTable

    console = Console(width=None if sys.stdout.isatty() else 240, highlight=False, markup=False)
    rt = RichTable(title=table.title, title_justify="left", show_footer=False)
    for c in table.columns:
        rt.add_column(c.header, justify="right" if c.numeric else "left", overflow="fold")
    last = len(table.rows) - 1
    for i, r in enumerate(table.rows):
        rt.add_row(*(cell(r.get(c.key, BLANK)) for c in table.columns), end_section=bool(table.footer) and i == last)
    for r in table.footer:
        rt.add_row(*(cell(r.get(c.key, BLANK)) for c in table.columns), style="bold")
    console.print(rt)
    for note in table.notes:
        console.print(note, soft_wrap=True)


def render(table: Table, fmt: str, data: Any = None) -> str | None:
    """Return the table as Markdown, CSV or JSON text (`data` when given), or print it (text)."""
    if fmt == "json":
        return json.dumps(data if data is not None else list(table.rows), indent=2, ensure_ascii=False)
    if fmt == "csv":
        return to_csv(table)
    if fmt == "markdown":
        return to_markdown(table)
    print_rich(table)
    return None
