"""The one error type npukit raises for bad input: the CLI prints it as one line and exits 2."""


class NpukitError(ValueError):
    """Bad input (model name, file, field, attribute or shape). The message names what is wrong."""
