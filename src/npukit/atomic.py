"""Atomic file output: write beside the target, then rename, so a failure leaves nothing half-written."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from npukit.errors import NpukitError


@contextmanager
def atomic_path(path: str | os.PathLike[str], what: str = "the file") -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success rename it onto `path`, else remove it.

    The file gets the permissions a plain write would (mode 0o666 less the umask). An OSError
    becomes one line: `PATH: cannot write WHAT: reason`.
    """
    target = Path(path)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        yield tmp
        os.replace(tmp, target)
    except OSError as e:
        raise NpukitError(f"{target}: cannot write {what}: {e.strerror or e}") from None
    finally:
        tmp.unlink(missing_ok=True)
