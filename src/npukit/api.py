"""The Python twins of the CLI commands: same work, results as data."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from npukit.analysis import ModelReport, SurveyRow
from npukit.errors import NpukitError
from npukit.ir import Graph

if TYPE_CHECKING:
    import numpy as np

    from npukit.hw.arch import Architecture
    from npukit.hw.dataflows import Dataflow
    from npukit.hw.model import Evaluation
    from npukit.hw.network import NetworkCost

Shapes = Mapping[str, tuple[int, ...]]


def is_model_file(model: str | os.PathLike[str]) -> bool:
    return str(model).endswith(".onnx") or Path(model).is_file()


def load(model: str | os.PathLike[str] | Graph, batch: int = 1, input_shapes: Shapes | None = None) -> Graph:
    """A Graph from a zoo name, an ONNX file, or a Graph (returned as it is).

    `input_shapes` fixes the dynamic dimensions of an ONNX file's inputs ({"input": (1, 3, 224, 224)}).
    """
    if isinstance(model, Graph):
        return model
    if is_model_file(model):
        if not Path(model).is_file():
            raise NpukitError(f"{model}: no such file")
        from npukit.frontends.onnx import load as load_onnx

        return load_onnx(Path(model), input_shapes=input_shapes)
    from npukit import zoo

    return zoo.get(str(model), batch=batch)


def analyze(model: str | Graph, bits: int = 8, batch: int = 1, input_shapes: Shapes | None = None) -> ModelReport:
    """Per-layer counts of a zoo model, ONNX file or Graph (twin of `npukit analyze`)."""
    from npukit.analysis import analyze as count

    return count(load(model, batch, input_shapes), bits=bits)


def survey() -> list[SurveyRow]:
    """The survey's table beside npukit's counts (twin of `npukit survey`)."""
    from npukit.analysis import survey_table

    return survey_table()


def models() -> list[dict[str, Any]]:
    """Every zoo model with its input size and totals at batch 1 (twin of `npukit models`)."""
    return model_table()[1]


def model_table() -> tuple[Any, list[dict[str, Any]]]:
    from npukit import zoo
    from npukit.report.tables import Table
    from npukit.report.workload import MODEL_COLUMNS, model_row

    rows = [model_row(m.name, m.description, analyze(m.name)) for m in zoo.MODELS.values()]
    return Table("npukit zoo (batch 1; MACs of CONV and FC layers)", MODEL_COLUMNS, rows), rows


def arch(name_or_path: str | os.PathLike[str]) -> Architecture:
    """An accelerator architecture from a preset name or a YAML file (twin of `npukit arch show`).

    Raises NpukitError with one line naming the file and the field when the spec is invalid.
    """
    from npukit.hw.arch import load_arch

    return load_arch(name_or_path)


def archs() -> list[str]:
    """The names of the architecture presets (twin of `npukit arch list`)."""
    from npukit.hw.arch import preset_names

    return preset_names()


def dataflow(name_or_path: str | os.PathLike[str]) -> Dataflow:
    """A dataflow (constraints on mappings) from a shipped name or a YAML file (twin of `npukit dataflows`)."""
    from npukit.hw.dataflows import load_dataflow

    return load_dataflow(name_or_path)


def dataflows() -> list[str]:
    """The names of the shipped dataflows (twin of `npukit dataflows`)."""
    from npukit.hw.dataflows import dataflow_names

    return dataflow_names()


def map_network(model: str | Graph, arch: str | Architecture = "eyeriss", dataflow: str | Dataflow | None = None,
                objective: str = "energy", batch: int = 1, bits: int | None = None,
                max_evaluations: int = 10_000, seed: int = 0, workers: int | None = None,
                input_shapes: Shapes | None = None, progress: Any = None,
                psum_bits: int | None = None) -> NetworkCost:
    """Map every layer of MODEL onto ARCH and cost the whole network (twin of `npukit map`).

    `dataflow`: a name, a YAML file, a `Dataflow`, or None (any mapping). `bits`: word width for
    every level and the MACs (sizes keep their bytes); None keeps the architecture's. `psum_bits`:
    bits of a partial sum until its final write (32 for int32 accumulators); None: as the outputs.
    `objective`: energy, latency or edp. Returns a `NetworkCost` (per-layer costs, totals, `as_dict()`).
    """
    from npukit.hw.arch import Architecture, load_arch
    from npukit.hw.dataflows import Dataflow, load_dataflow
    from npukit.hw.network import map_network as cost

    spec = arch if isinstance(arch, Architecture) else load_arch(arch)
    if bits is not None:
        spec = spec.with_word_bits(bits)
    flow = dataflow if dataflow is None or isinstance(dataflow, Dataflow) else load_dataflow(dataflow)
    report = analyze(model, bits=bits or spec.levels[0].word_bits, batch=batch, input_shapes=input_shapes)
    return cost(report, spec, flow, objective, max_evaluations, seed, workers, progress,  # type: ignore[arg-type]
                psum_bits=psum_bits)


def evaluate_mapping(path: str | os.PathLike[str], arch: str | Architecture = "eyeriss",
                     convention: str = "timeloop") -> tuple[Evaluation, int | None]:
    """Evaluate one layer's saved mapping (twin of `npukit evaluate`; files of `npukit map
    --save-mappings`) on ARCH at the file's word width, with the layer's densities and bit widths.

    Returns the `Evaluation` and, on a systolic array under the file's systolic dataflow, the
    cycles of SCALE-Sim's schedule that `npukit map` reports (else None).
    """
    from npukit.hw.arch import Architecture, load_arch
    from npukit.hw.mapping import load_layer_mapping
    from npukit.hw.model import evaluate
    from npukit.hw.network import array_cycles

    spec = arch if isinstance(arch, Architecture) else load_arch(arch)
    workload, mapping, spec, systolic = load_layer_mapping(path, spec)
    ev = evaluate(workload, spec, mapping, convention=convention)  # type: ignore[arg-type]
    return ev, array_cycles(ev, systolic)


def compare_dataflows(model: str | Graph, arch: str | Architecture = "eyeriss-256", batch: int = 16,
                      dataflows: tuple[str, ...] | None = None, objective: str = "energy",
                      max_evaluations: int = 10_000, seed: int = 0, workers: int | None = None,
                      progress: Any = None) -> list[Any]:
    """Each dataflow on its equal-area variant of ARCH (twin of `npukit compare-dataflows`).

    Returns one `DataflowResult` per dataflow (`.by_kind("CONV")` gives energy per MAC by level).
    Default dataflows: weight-stationary, output-stationary, no-local-reuse, row-stationary.
    """
    from npukit.hw.arch import Architecture, load_arch
    from npukit.hw.compare import COMPARED
    from npukit.hw.compare import compare_dataflows as compare

    spec = arch if isinstance(arch, Architecture) else load_arch(arch)
    report = analyze(model, bits=spec.levels[0].word_bits, batch=batch)
    return compare(report, spec, tuple(dataflows or COMPARED), objective, max_evaluations, seed, workers, progress)


def export(model: str | Graph, path: str | os.PathLike[str], batch: int = 1, opset: int = 17) -> Graph:
    """Write a zoo model (or Graph) as an ONNX file, atomically (twin of `npukit export`)."""
    from npukit.frontends.onnx import save

    graph = load(model, batch)
    save(graph, Path(path), opset=opset)
    return graph


def run(
    model: str | Graph, inputs: Mapping[str, np.ndarray], batch: int = 1, input_shapes: Shapes | None = None,
    fuse_qdq: bool = False,
) -> dict[str, np.ndarray]:
    """Run a zoo model, ONNX file or Graph on `inputs` in npukit's reference runtime (twin of
    `npukit run`; `fuse_qdq`: QDQ groups as integer ops); returns the graph outputs by name."""
    from npukit.runtime import run as execute

    graph = load(model, batch, input_shapes)
    if fuse_qdq:
        from npukit.compress import fuse_qdq as fuse

        graph = fuse(graph)
    return execute(graph, inputs)


def read_inputs(graph: Graph, paths: list[str]) -> dict[str, np.ndarray]:
    """Inputs from `.npy` files (one per graph input, in order, or `NAME=file.npy`) or one `.npz`."""
    import numpy as np

    feeds: dict[str, np.ndarray] = {}
    for i, spec in enumerate(paths):
        name, _, path = spec.rpartition("=") if "=" in spec else ("", "", spec)
        try:
            data = np.load(path)
        except (OSError, ValueError) as e:
            raise NpukitError(f"{path}: cannot read input array: {e}") from None
        if isinstance(data, np.lib.npyio.NpzFile):
            feeds.update({k: data[k] for k in data.files})
        elif name or i < len(graph.inputs):
            feeds[name or graph.inputs[i]] = data
        else:
            raise NpukitError(f"{path}: the model has only {len(graph.inputs)} input(s): {', '.join(graph.inputs)}")
    return feeds


def random_inputs(graph: Graph, seed: int = 0) -> dict[str, np.ndarray]:
    """Seeded standard-normal float32 data for every graph input."""
    import numpy as np

    rng = np.random.default_rng(seed)
    return {n: rng.standard_normal(graph.tensors[n].shape).astype(np.float32) for n in graph.inputs}


def save_npz(path: str | os.PathLike[str], arrays: Mapping[str, np.ndarray]) -> None:
    """Write arrays to an .npz file atomically (a temporary file, then a rename)."""
    import numpy as np

    from npukit.atomic import atomic_path

    with atomic_path(path, "the arrays") as tmp, open(tmp, "wb") as f:
        np.savez(f, **arrays)


def quantize(model: str | Graph, calibration_inputs: Any = None, output: str | os.PathLike[str] | None = None,
             batch: int = 1, input_shapes: Shapes | None = None, calibration: int = 16, data_dir: str | None = None,
             seed: int = 0, **options: Any) -> Graph:
    """Post-training quantization of a zoo model, ONNX file or Graph (twin of `npukit quantize`).

    calibration_inputs: what `npukit.compress.quantize` takes; None: `calibration` batches of the
    model's own data for lenet5-mnist (MNIST from `data_dir` or $NPUKIT_DATA) and digits-cnn
    (scikit-learn's digits), training images only, else seeded standard-normal inputs.
    options: weight_bits, activation_bits, observer, requant, rounding, activation_signed,
    symmetric_activations, percentile. `output`: also write the integer graph as ONNX (opset 21).
    metadata["calibration"] says which data calibrated it.
    """
    import dataclasses
    from types import MappingProxyType

    from npukit.compress.ptq import quantize as ptq

    graph = load(model, batch, input_shapes)
    source = "the given inputs"
    if calibration_inputs is None:
        calibration_inputs, source = calibration_data(model, graph, calibration, data_dir, seed)
    q = ptq(graph, calibration_inputs, **options)
    q = dataclasses.replace(q, metadata=MappingProxyType({**q.metadata, "calibration": source}))
    if output is not None:
        from npukit.frontends.onnx import save

        save(q, Path(output), opset=21)  # int16 and 4-bit QuantizeLinear need opset 21
    return q


def calibration_data(model: str | os.PathLike[str] | Graph, graph: Graph, count: int, data_dir: str | None,
                     seed: int) -> tuple[Any, str]:
    """(`count` batches of calibration inputs, what they are): a trained model's training images, else random."""
    import numpy as np

    if count < 1:
        raise NpukitError(f"calibration needs at least 1 batch, not {count}")
    name = "" if isinstance(model, Graph) or is_model_file(model) else str(model).lower().replace("_", "-")
    samples = count * graph.tensors[graph.inputs[0]].shape[0]
    if name == "lenet5-mnist" and (data_dir or os.environ.get("NPUKIT_DATA")):
        from npukit.data import mnist
        from npukit.data.datasets import MNIST_TRAIN

        train, _ = mnist(data_dir).split(MNIST_TRAIN)
        return train.images[:samples], f"the first {samples} MNIST training images"
    if name == "digits-cnn":
        from npukit.data import digits
        from npukit.data.datasets import DIGITS_TRAIN

        train, _ = digits().shuffled(0).split(DIGITS_TRAIN)
        return train.images[:samples], f"the first {samples} digits training images"
    rng = np.random.default_rng(seed)
    feeds = [{n: rng.standard_normal(graph.tensors[n].shape).astype(np.float32) for n in graph.inputs}
             for _ in range(count)]
    return feeds, f"{count} seeded standard-normal inputs (seed {seed})"


def evaluate_accuracy(model: str | Graph, dataset: str = "mnist", precisions: tuple[str, ...] = ("fp32", "int8"),
                      sparsities: tuple[float, ...] = (0.0,), data_dir: str | None = None, finetune: bool = True,
                      seed: int = 0) -> tuple[list[Any], str]:
    """Held-out accuracy of MODEL per (precision, sparsity) (twin of `npukit eval`).

    Returns (results, note): `AccuracyResult`s (precision, sparsity, accuracy as a fraction, images)
    and the sentence that states the data split. Pruning fine-tunes with PyTorch (`finetune`).
    """
    from npukit.compress.accuracy import BATCH, evaluate_configurations

    graph = load(model, batch=BATCH)
    return evaluate_configurations(graph, dataset, list(precisions), list(sparsities), data_dir, finetune, seed)


def codesign(model: str | Graph, arch: str | Architecture = "eyeriss", dataset: str = "mnist",
             precisions: tuple[str, ...] = ("fp32", "int8", "int4"), sparsities: tuple[float, ...] = (0.0, 0.5, 0.75),
             dataflow: str | Dataflow | None = None, data_dir: str | None = None, finetune: bool = True,
             max_evaluations: int = 3_000, seed: int = 0) -> tuple[list[Any], str]:
    """Accuracy beside energy per inference for every (precision, sparsity) (twin of `npukit codesign`).

    Returns (`CodesignPoint`s, the data split's note); `npukit.hw.codesign.pareto` picks the front.
    """
    from npukit.compress.accuracy import BATCH
    from npukit.hw.arch import Architecture, load_arch
    from npukit.hw.codesign import codesign as sweep
    from npukit.hw.dataflows import Dataflow, load_dataflow

    spec = arch if isinstance(arch, Architecture) else load_arch(arch)
    flow = dataflow if dataflow is None or isinstance(dataflow, Dataflow) else load_dataflow(dataflow)
    return sweep(load(model, batch=BATCH), load(model, batch=1), spec, dataset, list(precisions), list(sparsities),
                 flow, data_dir, finetune, max_evaluations, seed)


def prune(model: str | Graph, sparsity: float = 0.5, method: str = "layer", finetune_on: str | None = None,
          data_dir: str | None = None, output: str | os.PathLike[str] | None = None, batch: int = 1,
          seed: int = 0) -> tuple[Graph, list[Any], list[str]]:
    """Prune MODEL (twin of `npukit prune`): method layer, global, 2:4 or filters; fine-tune on mnist
    or digits if asked; write ONNX to `output` if given. Returns (graph, per-layer sparsity report,
    layers left whole by filter pruning)."""
    from npukit.compress.prune import sparsity_report
    from npukit.compress.pruning import prune as run_pruning

    graph, kept = run_pruning(load(model, batch), sparsity, method, finetune_on, data_dir, seed)
    if output is not None:
        from npukit.frontends.onnx import save

        save(graph, Path(output))
    return graph, sparsity_report(graph), kept

