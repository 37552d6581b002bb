"""Statistics, figures and a report for a finished sweep: ``python -m sim analyse <folder>``."""

from sim.analysis.report import analyse

__all__ = ["analyse"]
