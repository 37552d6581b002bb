"""Statistics of a sweep: means with confidence intervals, paired differences against a
reference scenario (common random numbers), multiple-comparison correction, cost per outcome.
"""

from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class Estimate:
    mean: float
    low: float
    high: float
    n: int


def mean_ci(x, level: float = 0.95) -> Estimate:
    """Mean and its Student-t confidence interval across replications (non-finite values
    dropped; no interval from a single value)."""
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    n = len(x)
    if n == 0:
        return Estimate(np.nan, np.nan, np.nan, 0)
    m = float(x.mean())
    if n == 1:
        return Estimate(m, np.nan, np.nan, 1)
    if np.all(x == x[0]):
        return Estimate(m, m, m, n)
    half = stats.t.ppf((1 + level) / 2, n - 1) * x.std(ddof=1) / np.sqrt(n)
    return Estimate(m, m - half, m + half, n)


@dataclass(frozen=True)
class Comparison:
    """Scenario minus reference, paired by replication."""

    diff: Estimate
    p_value: float  # paired t-test, two-sided (consistent with the interval of the difference)
    p_wilcoxon: float  # Wilcoxon signed-rank, two-sided: the same question without normality
    effect_size: float  # Cohen's d_z: mean difference / SD of differences
    relative: float  # mean difference / reference mean


def paired(reference, scenario, level: float = 0.95) -> Comparison:
    """Paired comparison over the replications where both values are finite. Tests and the
    effect size are undefined (NaN) with fewer than two pairs or differences without spread."""
    a, b = np.asarray(reference, dtype=float), np.asarray(scenario, dtype=float)
    if a.shape != b.shape:
        raise ValueError("paired samples need one value per replication in both scenarios")
    keep = np.isfinite(a) & np.isfinite(b)
    a, b = a[keep], b[keep]
    d = b - a
    diff = mean_ci(d, level)
    p = p_rank = dz = np.nan
    if len(d) >= 2 and np.all(d == 0):
        p, p_rank, dz = 1.0, 1.0, 0.0
    elif len(d) >= 2:
        p_rank = float(stats.wilcoxon(d, zero_method="zsplit").pvalue)
        if d.std(ddof=1) > 0:
            p = float(stats.ttest_rel(b, a).pvalue)
            dz = float(d.mean() / d.std(ddof=1))
    ref = a.mean() if len(a) else np.nan
    return Comparison(diff, p, p_rank, dz, float(d.mean() / ref) if ref else np.nan)


def chance_better(reference, scenario, better: int) -> float:
    """The share of paired replications in which the scenario does better than the
    reference in the outcome's good direction (``better`` +1: more is better, -1: less is);
    a tie is not better. NaN for an outcome without a good direction or without pairs."""
    a, b = np.asarray(reference, dtype=float), np.asarray(scenario, dtype=float)
    keep = np.isfinite(a) & np.isfinite(b)
    if not better or not keep.any():
        return np.nan
    return float(np.mean(better * (b[keep] - a[keep]) > 0))


def holm(p_values) -> np.ndarray:
    """Holm-Bonferroni adjusted p-values (controls the family-wise error rate); undefined
    p-values stay NaN and do not count among the comparisons."""
    p = np.asarray(p_values, dtype=float)
    adjusted = np.full(len(p), np.nan)
    finite = np.flatnonzero(np.isfinite(p))
    m = len(finite)
    running = 0.0
    for rank, i in enumerate(finite[np.argsort(p[finite])]):
        running = max(running, min(1.0, (m - rank) * p[i]))
        adjusted[i] = running
    return adjusted


@dataclass(frozen=True)
class CostEffect:
    extra_cost: float  # GBP a year, scenario minus reference (deterministic)
    gain: Estimate  # outcome gained a year, paired
    cost_per_unit: Estimate  # GBP per unit gained; NaN bounds when the gain may be zero


def cost_effect(extra_cost: float, gain: Estimate) -> CostEffect:
    """Cost per unit of outcome gained. The cost is fixed by the policy, so the interval of
    the ratio follows from the interval of the gain; it is unbounded when that interval
    includes zero."""
    if gain.mean <= 0 or not np.isfinite(gain.mean):
        return CostEffect(extra_cost, gain, Estimate(np.nan, np.nan, np.nan, gain.n))
    ratio = extra_cost / gain.mean
    if gain.low > 0:
        bounds = sorted((extra_cost / gain.high, extra_cost / gain.low))
    else:
        bounds = [np.nan, np.nan]
    return CostEffect(extra_cost, gain, Estimate(ratio, bounds[0], bounds[1], gain.n))


def significant(low: float, high: float, n: int, p_adjusted: float,
                alpha: float = 0.05) -> bool:
    """A difference to report as an effect: its confidence interval excludes zero and its
    p-value, adjusted for the number of comparisons, is below ``alpha``. A difference without
    spread (the same in every replication) is exact: significant when it is not zero."""
    if n < 2 or not (np.isfinite(low) and np.isfinite(high)) or low <= 0 <= high:
        return False
    if np.isfinite(p_adjusted):
        return bool(p_adjusted < alpha)
    return bool(low == high)


def frontier(costs, gains) -> list[int]:
    """Indices of the scenarios on the efficient frontier: no other scenario costs as little
    or less and gains more (ordered by cost)."""
    points = sorted(range(len(costs)), key=lambda i: (costs[i], -gains[i]))
    best, chosen = -np.inf, []
    for i in points:
        if gains[i] > best:
            chosen.append(i)
            best = gains[i]
    return chosen
