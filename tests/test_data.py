"""Datasets: the MNIST reader against the figures in shared/data/mnist/README.md, and errors."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest

from npukit.data import digits, mnist, read_idx
from npukit.errors import NpukitError
from shared_data import MNIST_DIR, needs_mnist


@needs_mnist
def test_mnist_matches_its_readme() -> None:
    data = mnist(MNIST_DIR)
    assert data.images.shape == (10000, 1, 28, 28) and data.images.dtype == np.float32
    assert np.bincount(data.labels).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert round(float(data.images.mean() * 255), 2) == 33.79
    train, held_out = data.split(8000)
    assert (len(train.labels), len(held_out.labels)) == (8000, 2000)
    assert "first 8,000" in data.note and "last 2,000" in data.note


def test_mnist_directory_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("NPUKIT_DATA", str(tmp_path))
    write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", np.arange(2 * 4 * 4, dtype=np.uint8).reshape(2, 4, 4))
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", np.array([3, 7], dtype=np.uint8))
    data = mnist()
    assert data.labels.tolist() == [3, 7] and data.images[1, 0, 3, 3] == pytest.approx(31 / 255)


def write_idx(path: Path, array: np.ndarray, magic: bytes | None = None) -> None:
    raw = (magic or bytes([0, 0, 0x08, array.ndim])) + struct.pack(f">{array.ndim}i", *array.shape) + array.tobytes()
    path.write_bytes(gzip.compress(raw) if path.suffix == ".gz" else raw)


def test_idx_round_trip(tmp_path: Path) -> None:
    a = np.random.default_rng(0).integers(0, 255, (3, 5, 7), dtype=np.uint8)
    write_idx(tmp_path / "a.idx", a)
    assert np.array_equal(read_idx(tmp_path / "a.idx"), a)


def test_errors_name_the_file_or_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NPUKIT_DATA", raising=False)
    with pytest.raises(NpukitError, match="no MNIST directory: pass --data-dir"):
        mnist()
    with pytest.raises(NpukitError, match="nowhere: no such directory"):
        mnist(tmp_path / "nowhere")
    with pytest.raises(NpukitError, match="no MNIST file t10k-images-idx3-ubyte"):
        mnist(tmp_path)
    write_idx(tmp_path / "bad.idx", np.zeros(4, np.uint8), magic=b"\x08\x03\x00\x00")
    with pytest.raises(NpukitError, match=r"bad.idx: not an IDX file \(bad magic number"):
        read_idx(tmp_path / "bad.idx")
    (tmp_path / "short.idx").write_bytes(bytes([0, 0, 8, 1]) + struct.pack(">i", 10) + b"\x00" * 4)
    with pytest.raises(NpukitError, match=r"short\.idx: IDX data holds 4 bytes, its header"):
        read_idx(tmp_path / "short.idx")
    (tmp_path / "t.gz").write_bytes(b"not gzip")
    with pytest.raises(NpukitError, match=r"t\.gz: cannot read IDX file"):
        read_idx(tmp_path / "t.gz")


def test_digits_is_sklearns_bundled_set() -> None:
    pytest.importorskip("sklearn")
    data = digits()
    assert data.images.shape == (1797, 1, 8, 8) and data.images.max() == 1.0
    assert np.bincount(data.labels).min() >= 170
