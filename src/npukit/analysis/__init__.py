"""Workload analysis: per-layer counts, totals with the survey's CONV/FC split, the survey table."""

from npukit.analysis.structure import conv_depth, conv_structure
from npukit.analysis.survey import SurveyRow, survey_table
from npukit.analysis.workload import KindTotals, LayerReport, ModelReport, analyze

__all__ = [
    "KindTotals",
    "LayerReport",
    "ModelReport",
    "SurveyRow",
    "analyze",
    "conv_depth",
    "conv_structure",
    "survey_table",
]
