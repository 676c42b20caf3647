"""`python -m npukit` runs the command line."""

from npukit.cli.main import run

run()
