"""YAML in and out for specs: validation errors become one line naming the file and the field."""

from __future__ import annotations

import difflib
import typing
from pathlib import Path
from typing import Any, TypeVar

import pydantic
import yaml

from npukit.atomic import atomic_path
from npukit.errors import NpukitError

M = TypeVar("M", bound=pydantic.BaseModel)


def read_yaml(path: str | Path) -> Any:
    path = Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise NpukitError(f"{path}: no such file") from None
    except OSError as e:
        raise NpukitError(f"{path}: cannot read ({e.strerror})") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(e, "problem", None) or "invalid YAML"
        raise NpukitError(f"{path}:{where} {problem}") from None


def field_path(loc: tuple[Any, ...], data: Any) -> str:
    """`levels[2].size_words`, with list items named by their `name` where they have one."""
    out, node = "", data
    for part in loc:
        if isinstance(part, int):
            name = node[part].get("name") if isinstance(node, list) and isinstance(node[part], dict) else None
            out += f"[{name}]" if name else f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            node = None
    return out


def validate(model: type[M], data: Any, source: str) -> M:
    """Build `model` from plain data; the first problem becomes one line `source: field: message`."""
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as e:
        err = e.errors()[0]
        where = field_path(tuple(err["loc"]), data)
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown field" + did_you_mean(str(err["loc"][-1]), field_names(model))
        elif isinstance(err.get("input"), str | int | float) and err["type"] != "missing":
            msg += f" (got {err['input']!r})"
        raise NpukitError(f"{source}: {where + ': ' if where else ''}{msg}") from None


def field_names(model: type[pydantic.BaseModel]) -> set[str]:
    """Every field name of `model` and of the models nested in its fields."""
    names, todo, seen = set(), [model], set()
    while todo:
        m = todo.pop()
        seen.add(m)
        for name, info in m.model_fields.items():
            names.add(name)
            args = typing.get_args(info.annotation) or (info.annotation,)
            todo += [a for a in args if isinstance(a, type) and issubclass(a, pydantic.BaseModel) and a not in seen]
    return names


def did_you_mean(name: str, known: set[str]) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=1)
    return f" (did you mean {close[0]}?)" if close else ""


def write_yaml_atomic(path: str | Path, data: Any) -> None:
    """Write `data` as YAML to `path` via a temporary file, so a failure leaves nothing half-written."""
    with atomic_path(path, "YAML") as tmp, open(tmp, "w") as f:
        yaml.safe_dump(data, f, sort_keys=False)


def shipped_names(directory: Path) -> list[str]:
    """The names of the YAML specs shipped in `directory` (file stems, sorted)."""
    return sorted(p.stem for p in directory.glob("*.yaml"))


def spec_path(name_or_path: str | Path, directory: Path, what: str) -> Path:
    """A shipped spec's file by name, or the YAML file given; one line naming the choices if neither."""
    path = Path(name_or_path)
    if path.suffix or path.exists():
        return path
    candidate = directory / f"{name_or_path}.yaml"
    if not candidate.exists():
        raise NpukitError(f"unknown {what} {str(name_or_path)!r}; {what}s: {', '.join(shipped_names(directory))}"
                          " (or give a YAML file)")
    return candidate
