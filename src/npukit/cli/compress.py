"""Commands for compression: `npukit quantize`."""

from __future__ import annotations

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
