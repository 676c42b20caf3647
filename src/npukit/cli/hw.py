"""Commands for the accelerator model: `npukit timeloop`."""

from __future__ import annotations

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
