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
    """


@cli.command()
@output_options
def models(fmt: str) -> None:
    """List the zoo: every built-in network with its input size and totals at batch 1."""
    from npukit.api import model_table

    table, data = model_table()
    emit(table, fmt, data)


@cli.command()
@click.argument("model")
@click.option(
    "--bits",
    type=click.IntRange(1, 32),
    default=8,
    show_default=True,
    help="Word width in bits for the byte counts and arithmetic intensity.",
)
@click.option("--batch", type=click.IntRange(1), default=1, show_default=True, help="Batch size N.")
@output_options
def analyze(model: str, bits: int, batch: int, fmt: str) -> None:
    """Per-layer workload of MODEL: shapes, loop nest, weights, MACs, activations, bytes.

    \b
    MODEL is a zoo name (see `npukit models`). The totals split CONV and FC layers as the
    survey does. Weights are filter coefficients; params add biases and batch-norm scale
    and shift. Arithmetic intensity is MACs per byte moved at --bits bits per word.
    \b
    Examples:
      npukit analyze resnet50
      npukit analyze vgg16 --bits 16 --csv > vgg16.csv
      npukit analyze mobilenet-v2 --batch 8 --json
    """
    from npukit.api import analyze as run
    from npukit.report.workload import workload_table

    report = run(model, bits=bits, batch=batch)
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
