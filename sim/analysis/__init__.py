"""Statistics, figures and a report for a finished sweep: ``python -m sim analyse <folder>``.

``analyse`` is imported when first asked for, so that a single run can use the labels of
:mod:`sim.analysis.labels` without the statistics and plotting stack."""

from typing import TYPE_CHECKING

__all__ = ["analyse"]

if TYPE_CHECKING:
    from sim.analysis.report import analyse


def __getattr__(name: str):
    if name == "analyse":
        from sim.analysis.report import analyse

        return analyse
    raise AttributeError(f"module 'sim.analysis' has no attribute {name!r}")
