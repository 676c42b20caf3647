"""The `npukit` command: thin wrappers that parse, call the Python API and print.

Imports of npukit's layers happen inside the commands so that `npukit --help` stays fast.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import click

from npukit.errors import NpukitError

FORMAT_HELP = "Print as a terminal table (default), --json, --csv or --markdown."


def output_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """--json / --csv / --markdown, one destination `fmt` (default: terminal table)."""
    f = click.option("--markdown", "fmt", flag_value="markdown", help="Markdown table.")(f)
    f = click.option("--csv", "fmt", flag_value="csv", help="CSV, exact integers.")(f)
    f = click.option("--json", "fmt", flag_value="json", help="JSON, exact integers.")(f)
    return click.option("--text", "fmt", flag_value="text", default=True, hidden=True)(f)


def emit(table: Any, fmt: str, data: Any = None) -> None:
    from npukit.report.tables import render

    text = render(table, fmt, data)
    if text is not None:
        click.echo(text, nl=not text.endswith("\n"))


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="npukit", message="npukit %(version)s")
def cli() -> None:
    """npukit: what a DNN costs on an NPU, after Sze, Chen, Yang and Emer's survey.

    \b
    Start here:
      npukit models                   the networks npukit knows
      npukit analyze resnet50         weights, MACs and data per layer
      npukit survey                   the survey's table beside npukit's exact counts
      npukit arch list                the accelerator presets (Eyeriss, TPU v1, NVDLA, ...)
      npukit map resnet50 --arch eyeriss --dataflow row-stationary
                                      every layer mapped: energy, cycles, utilization
      npukit compare-dataflows alexnet
                                      Eyeriss's dataflow comparison at equal area
      npukit quantize resnet18 -o q.onnx
                                      an integer model, bit-exact with ONNX Runtime
      npukit codesign digits-cnn --dataset digits
                                      accuracy beside energy per inference
    """


@cli.command()
@output_options
def models(fmt: str) -> None:
    """List the zoo: every built-in network with its input size and totals at batch 1."""
    from npukit.api import model_table

    table, data = model_table()
    emit(table, fmt, data)


def parse_input_shapes(values: tuple[str, ...]) -> dict[str, tuple[int, ...]]:
    """`NAME=1x3x224x224` → {"NAME": (1, 3, 224, 224)}."""
    shapes = {}
    for value in values:
        name, sep, dims = value.partition("=")
        try:
            shape = tuple(int(d) for d in dims.lower().split("x"))
        except ValueError:
            shape = ()
        if not sep or not name or not shape or min(shape) < 1:
            raise click.BadParameter(
                f"{value!r} is not NAME=DIMS such as input=1x3x224x224", param_hint="'--input-shape'"
            )
        shapes[name] = shape
    return shapes


INPUT_SHAPE = click.option(
    "--input-shape",
    "input_shape",
    multiple=True,
    metavar="NAME=1x3x224x224",
    help="Fix the shape of an ONNX file's input (for dynamic dimensions); repeat for several inputs.",
)


@cli.command()
@click.argument("model")
@INPUT_SHAPE
@click.option(
    "--bits",
    type=click.IntRange(1, 32),
    default=8,
    show_default=True,
    help="Word width in bits for the byte counts and arithmetic intensity.",
)
@click.option("--batch", type=click.IntRange(1), default=1, show_default=True, help="Batch size N.")
@output_options
def analyze(model: str, input_shape: tuple[str, ...], bits: int, batch: int, fmt: str) -> None:
    """Per-layer workload of MODEL: shapes, loop nest, weights, MACs, activations, bytes.

    MODEL is a zoo name (see `npukit models`) or an ONNX file. The totals split CONV
    and FC layers as the survey does. Weights are filter coefficients; params add
    biases and batch-norm scale and shift. Arithmetic intensity is MACs per byte
    moved at --bits bits per word.

    \b
    Examples:
      npukit analyze resnet50
      npukit analyze vgg16 --bits 16 --csv > vgg16.csv
      npukit analyze mobilenet-v2 --batch 8 --json
      npukit analyze model.onnx --input-shape input=1x3x224x224
    """
    from npukit.api import analyze as count
    from npukit.report.workload import workload_table

    report = count(model, bits=bits, batch=batch, input_shapes=parse_input_shapes(input_shape))
    emit(workload_table(report, detailed=fmt == "csv"), fmt, report.as_dict())


@cli.command()
@output_options
def survey(fmt: str) -> None:
    """The survey's table of popular DNNs beside npukit's exact counts.

    Each published figure is compared with npukit's count; they agree when they differ by
    less than one unit of the published last digit. Disagreements carry a footnote that
    explains the counting difference.
    """
    from npukit.api import survey as run
    from npukit.report.survey import survey_long, survey_wide

    rows = run()
    if fmt == "text":
        emit(survey_wide(rows), fmt)
    else:
        emit(survey_long(rows), fmt, [r.as_dict() for r in rows])


@cli.command()
@click.argument("model")
@click.argument("output", type=click.Path(dir_okay=False, writable=True))
@click.option("--batch", type=click.IntRange(1), default=1, show_default=True, help="Batch size N.")
@click.option("--opset", type=click.IntRange(13, 22), default=17, show_default=True, help="ONNX opset to write.")
def export(model: str, output: str, batch: int, opset: int) -> None:
    """Write zoo MODEL as an ONNX file OUTPUT (checked by onnx.checker; runs in ONNX Runtime).

    \b
    Weights are seeded random values (He-normal), made only now. Example:
      npukit export resnet50 resnet50.onnx
    """
    from npukit.api import export as write

    graph = write(model, output, batch=batch, opset=opset)
    click.echo(f"wrote {output}: {graph.name}, {len(graph.nodes)} nodes, inputs {', '.join(graph.inputs)}")


@cli.command(name="run")
@click.argument("model")
@click.option(
    "--input",
    "inputs",
    multiple=True,
    metavar="[NAME=]FILE.npy",
    help="Input array (.npy, or .npz holding every input by name); repeat for several inputs. "
    "Without it, seeded random inputs are used.",
)
@click.option("--output", type=click.Path(dir_okay=False, writable=True), help="Write all outputs to this .npz file.")
@click.option("--batch", type=click.IntRange(1), default=1, show_default=True, help="Batch size N (zoo models).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for random inputs.")
@click.option("--fuse-qdq", is_flag=True, help="Run each DequantizeLinear → op → QuantizeLinear group of a QDQ "
              "model as one integer op (as an NPU, and ONNX Runtime's QDQ fusion, do), not in float.")
@INPUT_SHAPE
@output_options
def run_model(
    model: str,
    inputs: tuple[str, ...],
    output: str | None,
    batch: int,
    seed: int,
    fuse_qdq: bool,
    input_shape: tuple[str, ...],
    fmt: str,
) -> None:
    """Run MODEL (zoo name or ONNX file) in npukit's NumPy reference runtime (float32, and
    integer ops bit-exact with ONNX Runtime for quantized models).

    Prints each output's shape and statistics (and the top classes of a classifier);
    --output saves the outputs as .npz.

    \b
    Examples:
      npukit run resnet50 --input image.npy --output logits.npz
      npukit run model.onnx --input input=x.npy --json
      npukit run model-qdq.onnx --fuse-qdq     # a QDQ model as integer ops
    """
    import time

    from npukit import api
    from npukit.report.runs import run_table

    graph = api.load(model, batch, parse_input_shapes(input_shape))
    feeds = api.read_inputs(graph, list(inputs)) if inputs else api.random_inputs(graph, seed)
    start = time.perf_counter()
    try:
        results = api.run(graph, feeds, fuse_qdq=fuse_qdq)
    except NpukitError as e:  # name the file the user gave, not only the graph inside it
        raise NpukitError(f"{model}: {str(e).removeprefix(f'{graph.name}: ')}") from None
    seconds = time.perf_counter() - start
    if output:
        api.save_npz(output, results)
    table, data = run_table(graph.name, results, seconds)
    emit(table, fmt, data)


@cli.group(name="arch")
def arch_group() -> None:
    """Accelerator architectures: storage levels from DRAM inward, then the MAC array.

    \b
    Examples:
      npukit arch list                       the presets, one line each
      npukit arch show eyeriss               levels, sizes, energies, areas
      npukit arch show my_npu.yaml --json    check and inspect your own spec

    A spec is a YAML file with name, clock_hz, energy_table, levels and compute
    (see docs/hardware.md); a bad spec fails with one line naming the file and the field.
    """


@arch_group.command(name="list")
@output_options
def arch_list(fmt: str) -> None:
    """List the architecture presets: levels, MACs, on-chip bytes, clock, what each models.

    \b
    Examples:
      npukit arch list
      npukit arch list --json     every preset with its full description and source
    """
    from npukit.api import arch, archs
    from npukit.report.hardware import arch_list_table

    table, data = arch_list_table([arch(name) for name in archs()])
    emit(table, fmt, data)


@arch_group.command(name="show")
@click.argument("name_or_file")
@output_options
def arch_show(name_or_file: str, fmt: str) -> None:
    """Show one architecture: every level, then the MAC array and the total area.

    NAME_OR_FILE is a preset (see `npukit arch list`) or a YAML spec file. Per level:
    kind, instances (mesh X×Y), size per instance in words and bytes, word bits, block
    (words per access), read/write bandwidth (words per cycle), energy per block read,
    fill and update (pJ), the tensors it keeps, and its area (all instances, µm²).

    \b
    Examples:
      npukit arch show tpu-v1
      npukit arch show simple-ws --markdown
      npukit arch show my_npu.yaml --json    energies and areas resolved from the tables
    """
    from npukit.api import arch
    from npukit.report.hardware import arch_data, arch_table

    spec = arch(name_or_file)
    emit(arch_table(spec, name_or_file), fmt, arch_data(spec))


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; bad input prints one line to stderr and returns 2, never a traceback."""
    try:
        result = cli.main(args=argv, prog_name="npukit", standalone_mode=False)
    except click.UsageError as e:
        hint = f" (see 'npukit {e.ctx.info_name} --help')" if e.ctx and e.ctx.parent else " (see 'npukit --help')"
        click.echo(f"npukit: error: {e.format_message()}{hint}", err=True)
        return 2
    except (NpukitError, click.ClickException) as e:
        message = e.format_message() if isinstance(e, click.ClickException) else str(e)
        click.echo(f"npukit: error: {message}", err=True)
        return 2
    except click.exceptions.Abort:
        click.echo("npukit: aborted", err=True)
        return 130
    except BrokenPipeError:
        return 0
    return result if isinstance(result, int) else 0


def run() -> None:
    sys.exit(main())


from npukit.cli import compress as _compress  # noqa: E402, F401  (registers the compression commands)
from npukit.cli import hw as _hw  # noqa: E402, F401  (registers the accelerator-model commands)

