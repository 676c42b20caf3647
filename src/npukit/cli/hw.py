"""Commands for the accelerator model: `npukit timeloop`."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from npukit.cli.main import cli, emit, output_options


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--convention", type=click.Choice(["timeloop", "exact"]), default="timeloop", show_default=True,
              help="timeloop: extrapolate loops from their second iteration as Timeloop does; exact: every step.")
@output_options
def timeloop(directory: str, convention: str, fmt: str) -> None:
    """Evaluate a Timeloop run DIRECTORY with npukit's model, beside Timeloop's own figures.

    DIRECTORY holds Timeloop's parsed-processed-input.yaml (architecture and layer),
    timeloop-mapper.map.yaml (the mapping) and optionally timeloop-mapper.ERT.yaml (energies)
    and timeloop-mapper.stats.txt: when stats.txt is there, every count is printed beside
    Timeloop's with the difference. Counts are per instance.

    \b
    Examples:
      npukit timeloop tests/data/timeloop/eyeriss_like
      npukit timeloop my_run/ --json
    """
    from npukit.hw.timeloop import evaluate_design
    from npukit.report.evaluation import comparison_table, evaluation_table

    ev, ref = evaluate_design(directory, convention)
    title = f"{ev.workload.describe()} on {ev.arch.name}"
    table = comparison_table(ev, ref, title) if ref is not None and fmt in ("text", "markdown") else \
        evaluation_table(ev, title)
    emit(table, fmt, timeloop_json(ev))


def timeloop_json(ev: object) -> dict[str, object]:
    """The documented --json shape: computes, cycles, utilization, energy_pj, levels → instances, tensors."""
    data = ev.as_dict()  # type: ignore[attr-defined]
    levels = {name: {"instances": entry["instances"],
                     **{t: {k: v[k] for k in ("reads", "fills", "updates")}
                        for t, v in entry.items() if isinstance(v, dict)}}
              for name, entry in data["levels"].items()}
    return {"computes": data["computes"], "cycles": data["cycles"], "utilization": data["utilization"],
            "energy_pj": data["energy_pj"], "levels": levels}


@cli.command(name="dataflows")
@output_options
def dataflows_cmd(fmt: str) -> None:
    """List the shipped dataflows: each is a set of constraints on mappings.

    A dataflow says which loops may spread across the PE array's X and Y axes, which loops
    may run inside a PE and which tensors the PE's storage keeps (the stationary one). Write
    your own as YAML in the same vocabulary (see docs/mapper.md) and pass the file anywhere a
    dataflow name goes.

    \b
    Examples:
      npukit dataflows
      npukit dataflows --json          every constraint of every dataflow
    """
    from npukit.api import dataflow, dataflows
    from npukit.report.tables import Column, Table

    flows = [dataflow(n) for n in dataflows()]
    rows = [{"name": f.name, "description": f.description} for f in flows]
    emit(Table("npukit dataflows", [Column("name", "name"), Column("description", "what stays where")], rows),
         fmt, [f.model_dump(exclude_defaults=True) for f in flows])


@contextmanager
def progress_bar(label: str) -> Iterator[Any]:
    """A rich progress bar on stderr (only on a terminal), yielding a `(done, total, what)` callback."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TextColumn("{task.fields[what]}"), console=console, transient=True,
                  disable=not console.is_terminal) as p:
        task = p.add_task(label, total=None, what="")
        yield lambda done, total, what: p.update(task, completed=done, total=total, what=what)


OBJECTIVE = click.option("--objective", type=click.Choice(["energy", "latency", "edp"]), default="energy",
                         show_default=True, help="What the mapper minimizes for each layer (edp: energy × delay).")
EVALUATIONS = click.option("--evaluations", type=click.IntRange(100), default=10_000, show_default=True,
                           help="Most mappings costed per distinct layer (small spaces are searched whole).")


@cli.command(name="map")
@click.argument("model")
@click.option("--arch", "arch_name", default="eyeriss", show_default=True, help="Preset name or YAML spec.")
@click.option("--dataflow", default=None, help="Dataflow name or YAML file (default: any mapping the chip allows).")
@OBJECTIVE
@click.option("--batch", type=click.IntRange(1), default=1, show_default=True, help="Batch size N.")
@click.option("--bits", type=click.IntRange(1, 32), default=None, help="Word bits everywhere (default: the spec's).")
@click.option("--psum-bits", type=click.IntRange(1, 64), default=None,
              help="Bits of a partial sum until its final write to DRAM, e.g. 32 for an int8 NPU's int32 "
              "accumulators (default: as the outputs).")
@EVALUATIONS
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the mapper's search.")
@click.option("--save-mappings", type=click.Path(file_okay=False), default=None,
              help="Write each layer's mapping (with its loop bounds) as YAML into this directory.")
@output_options
def map_cmd(model: str, arch_name: str, dataflow: str | None, objective: str, batch: int, bits: int | None,
            psum_bits: int | None, evaluations: int, seed: int, save_mappings: str | None, fmt: str) -> None:
    """Map every layer of MODEL onto an accelerator and cost the whole network.

    For each CONV and FC layer the mapper searches the mappings the dataflow allows for the
    lowest --objective (layers with the same shape are mapped once); pooling and elementwise
    layers are costed by the data they move. Per layer: the mapping on one line (outermost
    level first; x/y mark spatial loops), energy by level, cycles, utilization, DRAM bytes;
    then energy per inference, latency, inferences per second, power and MACs per joule.

    \b
    Examples:
      npukit map resnet50 --arch eyeriss --dataflow row-stationary
      npukit map alexnet --arch eyeriss-256 --batch 16 --objective edp
      npukit map mobilenet-v2 --arch tpu-v1 --dataflow systolic-ws --json
      npukit map resnet18 --arch eyeriss --bits 8 --psum-bits 32     # an int8 NPU
      npukit map lenet5 --save-mappings maps/   then: npukit evaluate maps/conv1.yaml --arch eyeriss
    """
    from npukit.api import arch, map_network
    from npukit.api import dataflow as load_flow
    from npukit.report.network import network_table

    spec, flow = arch(arch_name), load_flow(dataflow) if dataflow else None  # bad names fail before any work
    with progress_bar("mapping layers") as bar:
        cost = map_network(model, spec, flow, objective, batch, bits, evaluations, seed, progress=bar,
                           psum_bits=psum_bits)
    if save_mappings:
        write_mappings(cost, save_mappings, flow.systolic if flow else None)
    data = cost.as_dict()
    emit(network_table(cost), fmt, data)


def write_mappings(cost: Any, directory: str, systolic: str | None) -> None:
    from pathlib import Path

    from npukit.hw.mapping import save_layer_mapping

    Path(directory).mkdir(parents=True, exist_ok=True)
    for layer in cost.layers:
        if layer.search is not None:
            safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in layer.name)
            save_layer_mapping(Path(directory) / f"{safe}.yaml", layer.search.evaluation.workload, layer.mapping,
                               cost.arch, None if cost.dataflow == "any" else cost.dataflow, systolic)


@cli.command(name="evaluate")
@click.argument("mapping_file", type=click.Path(dir_okay=False))
@click.option("--arch", "arch_name", default="eyeriss", show_default=True, help="Preset name or YAML spec.")
@click.option("--convention", type=click.Choice(["timeloop", "exact"]), default="timeloop", show_default=True,
              help="timeloop: extrapolate loops from their second iteration as Timeloop does; exact: every step.")
@output_options
def evaluate_cmd(mapping_file: str, arch_name: str, convention: str, fmt: str) -> None:
    """Evaluate one layer's mapping (a file of `npukit map --save-mappings`) on an architecture.

    Prints per level and tensor the reads, fills and updates (per instance), tile sizes and
    energy, then cycles, utilization, energy per MAC, latency and power. The mapping is
    checked first: factors, fan-outs and buffer capacities. The layer's densities and bit
    widths and the word width it was mapped at come from the file.

    \b
    Examples:
      npukit evaluate maps/conv1.yaml --arch eyeriss
      npukit evaluate maps/conv1.yaml --arch eyeriss --json
    """
    from npukit.api import arch, evaluate_mapping
    from npukit.report.evaluation import evaluation_table

    ev, systolic = evaluate_mapping(mapping_file, arch(arch_name), convention)
    table = evaluation_table(ev, f"{ev.workload.describe()} on {ev.arch.name}")
    data = timeloop_json(ev)
    if systolic is not None:
        note = (f"On the systolic array, SCALE-Sim's fold schedule (fill and drain included) takes {systolic:,} "
                "cycles: the figure npukit map reports.")
        table = dataclasses.replace(table, notes=[*table.notes, note])
        data["systolic_cycles"] = systolic
    emit(table, fmt, data)


@cli.command(name="compare-dataflows")
@click.argument("model")
@click.option("--arch", "arch_name", default="eyeriss-256", show_default=True,
              help="The row-stationary baseline: DRAM, one global buffer, one RF per PE.")
@click.option("--batch", type=click.IntRange(1), default=16, show_default=True, help="Batch size N.")
@click.option("--dataflows", "names", default="weight-stationary,output-stationary,no-local-reuse,row-stationary",
              show_default=True, help="Comma-separated dataflow names or YAML files.")
@OBJECTIVE
@EVALUATIONS
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the mapper's search.")
@click.option("--plot", type=click.Path(dir_okay=False), default=None,
              help="Write a stacked-bar chart of energy per MAC by level (PNG, SVG or PDF).")
@output_options
def compare_cmd(model: str, arch_name: str, batch: int, names: str, objective: str, evaluations: int, seed: int,
                plot: str | None, fmt: str) -> None:
    """Compare dataflows on MODEL at equal area, as Eyeriss's ISCA 2016 analysis does.

    Each dataflow keeps the baseline's PE count and total storage area: row stationary
    uses the RF of --arch; weight, output and input stationary keep one word per PE and
    no local reuse none, the area saved going to the global buffer. Every CONV and FC
    layer is mapped with each dataflow (best --objective); the table gives energy per MAC
    split into ALU, RF, array (PE-array network), buffer and DRAM, for CONV and FC layers
    apart, and how many times the best each dataflow is. eyeriss-256 counts one RF read per MAC
    operand as the paper does (compute.operands_through_rf); on AlexNet's CONV layers row
    stationary comes out 1.39×, 1.66× and 2.41× better than WS, OS and NLR (published 1.4–2.5×).

    \b
    Examples:
      npukit compare-dataflows alexnet --arch eyeriss-256 --batch 16 --plot dataflows.png
      npukit compare-dataflows vgg16 --json
    """
    from npukit.api import compare_dataflows
    from npukit.report.compare import compare_data, compare_plot, compare_table

    flows = tuple(n.strip() for n in names.split(",") if n.strip())
    with progress_bar("mapping with each dataflow") as bar:
        results = compare_dataflows(model, arch_name, batch, flows, objective, evaluations, seed, progress=bar)
    if plot:
        compare_plot(results, plot, f"{model}, batch {batch}: energy per MAC at equal area")
    emit(compare_table(results, model, batch, arch_name), fmt, compare_data(results))
