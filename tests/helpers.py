"""Shared helpers: configs of the toy world, runs over seeds, the sim command."""

import subprocess
import sys
from pathlib import Path

import numpy as np

from sim import TraffickingModel
from sim.metrics import summary
from sim.settings import load_config

ROOT = Path(__file__).resolve().parent.parent


def sim(*args, check=True):
    """``python -m sim *args`` from the project root; its exit status is 0 if ``check``."""
    done = subprocess.run([sys.executable, "-m", "sim", *args], cwd=ROOT, capture_output=True,
                          text=True)
    if check:
        assert done.returncode == 0, done.stderr[-3000:]
    return done


def toy(*overrides: str):
    return load_config(["world=toy", *overrides])


def run(cfg, seed: int, weeks: int | None = None) -> TraffickingModel:
    model = TraffickingModel(cfg, rng=seed)
    model.run_for(cfg.burn_in_weeks + cfg.policy_weeks if weeks is None else weeks)
    return model


def outcomes(cfg, seeds, *keys: str) -> dict[str, np.ndarray]:
    """``keys`` of the policy-period summary, one value per seed (common random numbers)."""
    runs = [summary(run(cfg, s)) for s in seeds]
    return {k: np.array([r[k] for r in runs]) for k in keys}
