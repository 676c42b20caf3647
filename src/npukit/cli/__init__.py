"""The `npukit` command line."""
