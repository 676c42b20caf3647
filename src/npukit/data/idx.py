"""The IDX file format of MNIST (LeCun et al.): a magic number, dimensions, then raw data.

    magic: 0x00 0x00 <type> <rank>   type 0x08 = unsigned byte; big-endian int32 dimensions
"""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np

from npukit.errors import NpukitError

DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"),
          0x0E: np.dtype(">f8")}


def read_idx(path: Path) -> np.ndarray:
    """The array stored in an IDX file (gzip-compressed or not); a corrupt file is a one-line error."""
    try:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    except (OSError, EOFError, gzip.BadGzipFile) as e:
        raise NpukitError(f"{path}: cannot read IDX file: {e}") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in DTYPES:
        raise NpukitError(f"{path}: not an IDX file (bad magic number {raw[:4].hex() or 'missing'})")
    rank = raw[3]
    header = 4 + 4 * rank
    if len(raw) < header:
        raise NpukitError(f"{path}: IDX header is truncated")
    dims = struct.unpack(f">{rank}i", raw[4:header])
    dtype = np.dtype(DTYPES[raw[2]])
    expected = int(np.prod(dims)) * dtype.itemsize
    if len(raw) - header != expected:
        raise NpukitError(f"{path}: IDX data holds {len(raw) - header} bytes, its header {dims} says {expected}")
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(dims)
