"""Reports: tables (terminal, Markdown, CSV, JSON) and, later, plots of the survey's metrics."""
