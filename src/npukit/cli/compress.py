"""Commands for compression: `npukit quantize`."""

from __future__ import annotations

from typing import Any

import click

from npukit.cli.main import INPUT_SHAPE, cli, emit, output_options, parse_input_shapes


@cli.command()
@click.argument("model")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), required=True,
              help="Write the integer model here (ONNX, opset 21).")
@click.option("--bits", type=click.Choice(["4", "8", "16"]), default="8", show_default=True,
              help="Bits of weights and activations (16: int16 activations, int8 weights).")
@click.option("--weight-bits", type=click.IntRange(2, 8), help="Bits of the weights (overrides --bits).")
@click.option("--activation-bits", type=click.Choice([str(b) for b in (*range(2, 9), 16)]),
              help="Bits of the activations (overrides --bits).")
@click.option("--calib", type=click.IntRange(1), default=16, show_default=True, help="Calibration batches.")
@click.option("--observer", type=click.Choice(["minmax", "percentile", "mse"]), default="minmax", show_default=True,
              help="How activation ranges are chosen from the calibration data.")
@click.option("--requant", type=click.Choice(["float", "fixedpoint"]), default="float", show_default=True,
              help="float: ONNX Runtime's float32 multiplier; fixedpoint: TFLite's integer multiplier and shift.")
@click.option("--rounding", type=click.Choice(["half_even", "half_away", "half_up"]), default="half_even",
              show_default=True, help="Rounding of the float requantization.")
@click.option("--unsigned", is_flag=True, help="uint8 activations (default int8).")
@click.option("--symmetric", is_flag=True, help="Symmetric activations (zero point 0).")
@click.option("--data-dir", type=click.Path(file_okay=False), help="MNIST directory (lenet5-mnist calibration).")
@click.option("--batch", type=click.IntRange(1), default=1, show_default=True, help="Batch size N (zoo models).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for random calibration inputs.")
@INPUT_SHAPE
@output_options
def quantize(model: str, output: str, bits: str, weight_bits: int | None, activation_bits: str | None, calib: int,
             observer: str, requant: str, rounding: str, unsigned: bool, symmetric: bool, data_dir: str | None,
             batch: int, seed: int, input_shape: tuple[str, ...], fmt: str) -> None:
    """Quantize MODEL after training and write it as an integer ONNX model.

    MODEL is a zoo name or an ONNX file. Batch norms are folded; activation ranges come from
    --calib batches (lenet5-mnist: MNIST training images from --data-dir or $NPUKIT_DATA;
    digits-cnn: scikit-learn's digits; otherwise seeded random inputs); weights are symmetric per
    output channel, biases int32; ReLU/Clip are fused into their producer's output range. Between
    the first QuantizeLinear and the last DequantizeLinear the model computes on integers, and
    npukit's runtime and ONNX Runtime give the same integers (see docs/quantization.md).

    \b
    Examples:
      npukit quantize resnet18 -o resnet18-int8.onnx
      npukit quantize lenet5-mnist -o lenet5-int8.onnx --data-dir ../shared/data/mnist
      npukit quantize mobilenet-v2 -o m.onnx --requant fixedpoint --observer percentile
      npukit quantize lenet5 -o l.onnx --bits 4 --json
    """
    from npukit.api import quantize as ptq
    from npukit.report.quantization import quantization_table

    graph = ptq(model, output=output, batch=batch, input_shapes=parse_input_shapes(input_shape), calibration=calib,
                data_dir=data_dir, seed=seed, weight_bits=weight_bits or min(int(bits), 8),
                activation_bits=int(activation_bits or bits), observer=observer, requant=requant,
                rounding=rounding, activation_signed=not unsigned, symmetric_activations=symmetric)
    table, data = quantization_table(graph, output)
    emit(table, fmt, data)


def number_list(text: str, kind: type, option: str) -> list[Any]:
    try:
        return [kind(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise click.BadParameter(f"expected a comma-separated list, got {text!r}", param_hint=option) from None


@cli.command(name="eval")
@click.argument("model")
@click.option("--dataset", type=click.Choice(["mnist", "digits"]), required=True,
              help="mnist: IDX files in --data-dir or $NPUKIT_DATA; digits: scikit-learn's.")
@click.option("--precision", default="fp32,int8", show_default=True,
              help="Comma-separated: fp32, int16 (8-bit weights), int8, int4 (4-bit weights, int8 activations).")
@click.option("--prune", "sparsities", default="0", show_default=True,
              help="Comma-separated weight sparsities for magnitude pruning per layer, e.g. 0,0.5,0.75.")
@click.option("--no-finetune", is_flag=True, help="Prune without fine-tuning (PyTorch not needed).")
@click.option("--data-dir", type=click.Path(file_okay=False), help="MNIST directory.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of fine-tuning.")
@output_options
def eval_cmd(model: str, dataset: str, precision: str, sparsities: str, no_finetune: bool, data_dir: str | None,
             seed: int, fmt: str) -> None:
    """Accuracy of MODEL on held-out data, per precision and pruning level.

    Each configuration prunes (magnitude per layer, then fine-tunes the kept weights on the
    training split with PyTorch unless --no-finetune), then quantizes (calibrated on 500
    training images; integer runtime) and runs the held-out images. MNIST: the first 8,000
    test-set images train, the last 2,000 are held out.

    \b
    Examples:
      npukit eval lenet5-mnist --dataset mnist --data-dir ../shared/data/mnist --precision fp32,int8,int4
      npukit eval digits-cnn --dataset digits --prune 0,0.5,0.75 --json
    """
    from npukit.api import evaluate_accuracy
    from npukit.report.tables import Column, Table

    results, note = evaluate_accuracy(model, dataset, tuple(number_list(precision, str, "--precision")),
                                      tuple(number_list(sparsities, float, "--prune")), data_dir, not no_finetune, seed)
    rows = [{"precision": r.precision, "sparsity": r.sparsity, "accuracy": f"{r.accuracy:.2%}", "images": r.images}
            for r in results]
    columns = [Column("precision", "precision"), Column("sparsity", "weight sparsity", True),
               Column("accuracy", "accuracy", True), Column("images", "held-out images", True)]
    emit(Table(f"{model} on {dataset}", columns, rows, notes=[note]), fmt,
         {"model": model, "dataset": dataset, "split": note, "results": [r.as_dict() for r in results]})


@cli.command(name="codesign")
@click.argument("model")
@click.option("--arch", "arch_name", default="eyeriss", show_default=True, help="Preset name or YAML spec.")
@click.option("--dataset", type=click.Choice(["mnist", "digits"]), required=True, help="Held-out data for accuracy.")
@click.option("--precision", default="fp32,int8,int4", show_default=True, help="Comma-separated precisions.")
@click.option("--prune", "sparsities", default="0,0.5,0.75", show_default=True, help="Comma-separated sparsities.")
@click.option("--dataflow", default=None, help="Dataflow name or YAML file (default: any mapping).")
@click.option("--no-finetune", is_flag=True, help="Prune without fine-tuning (PyTorch not needed).")
@click.option("--data-dir", type=click.Path(file_okay=False), help="MNIST directory.")
@click.option("--evaluations", type=click.IntRange(100), default=3_000, show_default=True,
              help="Most mappings costed per distinct layer.")
@click.option("--plot", type=click.Path(dir_okay=False), help="Write accuracy against energy (PNG, SVG or PDF).")
@output_options
def codesign_cmd(model: str, arch_name: str, dataset: str, precision: str, sparsities: str, dataflow: str | None,
                 no_finetune: bool, data_dir: str | None, evaluations: int, plot: str | None, fmt: str) -> None:
    """Sweep bit width and pruning: held-out accuracy beside energy per inference on ARCH.

    Each point prunes (magnitude per layer, fine-tuned unless --no-finetune) and quantizes MODEL,
    measures its accuracy on held-out data, then maps it onto --arch with words as wide as its
    activations, the pruned weights' density and the input zeros measured after ReLU, so that the
    architecture's zero gating or skipping and DRAM run-length coding count. The Pareto column
    marks the points nothing beats on both accuracy and energy.

    \b
    Examples:
      npukit codesign digits-cnn --dataset digits --plot pareto.png
      npukit codesign lenet5-mnist --dataset mnist --data-dir ../shared/data/mnist --json
    """
    from npukit.api import codesign
    from npukit.report.codesign import codesign_plot, codesign_table

    points, note = codesign(model, arch_name, dataset, tuple(number_list(precision, str, "--precision")),
                            tuple(number_list(sparsities, float, "--prune")), dataflow, data_dir, not no_finetune,
                            evaluations)
    title = f"{model} on {arch_name}: accuracy and energy"
    if plot:
        codesign_plot(points, plot, title)
    emit(codesign_table(points, title, note), fmt, {"model": model, "arch": arch_name, "split": note,
                                                   "points": [p.as_dict() for p in points]})


@cli.command(name="prune")
@click.argument("model")
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True, help="Write the pruned model (ONNX).")
@click.option("--sparsity", type=click.FloatRange(0, 1, max_open=True), default=0.5, show_default=True,
              help="Fraction of weights (or of each CONV's filters, with --structured) to remove.")
@click.option("--structured", is_flag=True, help="Remove whole filters (smallest L1 norm) and shrink the graph.")
@click.option("--global", "global_", is_flag=True, help="One magnitude threshold for all layers (default: per layer).")
@click.option("--n-m", is_flag=True, help="2:4 pruning: two of every four weights along the input channels.")
@click.option("--finetune", type=click.Choice(["mnist", "digits"]), help="Fine-tune the kept weights on this "
              "dataset's training split (PyTorch).")
@click.option("--data-dir", type=click.Path(file_okay=False), help="MNIST directory.")
@click.option("--batch", type=click.IntRange(1), default=1, show_default=True, help="Batch size N of the model.")
@output_options
def prune_cmd(model: str, output: str, sparsity: float, structured: bool, global_: bool, n_m: bool,
              finetune: str | None, data_dir: str | None, batch: int, fmt: str) -> None:
    """Prune MODEL's CONV and FC weights and write the result as ONNX, with a per-layer report.

    Magnitude pruning zeroes the smallest weights of each layer (or of the whole network with
    --global); --n-m keeps two of every four; --structured removes whole filters of every CONV
    whose channels can go alone (not into a residual Add or Concat) and shrinks the next layers,
    so MACs fall too. Pruning costs accuracy unless the kept weights are fine-tuned (--finetune).

    \b
    Examples:
      npukit prune lenet5-mnist -o lenet5-50.onnx --sparsity 0.5 --finetune mnist --data-dir ../shared/data/mnist
      npukit prune digits-cnn -o d.onnx --structured --sparsity 0.25 --json
    """
    from npukit.api import prune
    from npukit.report.tables import Column, Table

    method = "filters" if structured else "2:4" if n_m else "global" if global_ else "layer"
    _, report, kept = prune(model, sparsity, method, finetune, data_dir, output, batch)
    rows = [{"layer": r.layer, "op": r.op, "weights": r.weights, "zeros": r.zeros, "density": f"{r.density:.1%}"}
            for r in report]
    columns = [Column("layer", "layer"), Column("op", "op"), Column("weights", "weights", True),
               Column("zeros", "zeros", True), Column("density", "density", True)]
    notes = [f"wrote {output}: {method} pruning" + (f", fine-tuned on {finetune}" if finetune else "")]
    notes += [f"left whole (channels cannot be removed alone): {', '.join(kept)}"] if kept else []
    emit(Table(f"{model} pruned", columns, rows, notes=notes), fmt,
         {"output": output, "method": method, "layers": rows, "left_whole": kept})
