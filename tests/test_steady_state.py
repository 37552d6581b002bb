"""The burn-in is long enough: by its last year every stock has settled, so the policy starts
from a steady state, not from a world still filling up."""

import numpy as np
import pytest
from helpers import run

from sim.metrics import timeseries
from sim.settings import load_config

STOCKS = {"victims_exploited": 0.03, "survivors_at_risk": 0.03, "victims_in_support": 0.05,
          "groups_active": 0.03, "traffickers_active": 0.03, "cg_backlog": 0.10}  # tolerance


@pytest.mark.slow
@pytest.mark.parametrize("mechanism", ["capacity", "demand", "market", "unconstrained"])
def test_stocks_barely_drift_over_the_last_burn_in_year(mechanism):
    cfg = load_config([f"groups.recruitment={mechanism}", "policy_weeks=52"])
    burn_in = cfg.burn_in_weeks
    for seed in (1, 2):
        df = timeseries(run(cfg, seed))
        last = df[(df.week > burn_in - 52) & (df.week <= burn_in)]
        before = df[(df.week > burn_in - 104) & (df.week <= burn_in - 52)]
        for stock, tolerance in STOCKS.items():
            drift = abs(last[stock].mean() / before[stock].mean() - 1)
            assert drift < tolerance, (stock, seed, round(drift, 4))
        assert np.isfinite(last[list(STOCKS)].to_numpy()).all()
