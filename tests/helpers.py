"""Shared helpers: configs of the toy world, runs over seeds, the model's invariants."""

import subprocess
import sys
from pathlib import Path

import numpy as np

from sim import TraffickingModel
from sim.agents import State, Victim
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


def check_invariants(model: TraffickingModel) -> None:
    """Conservation, consistent bookkeeping, capacities respected, nothing negative."""
    victims = list(model.agents_by_type.get(Victim, []))
    assert len(victims) == model.victims_created
    by_state = {s: model.count(s) for s in State}
    assert sum(by_state.values()) == len(victims)
    assert all(n >= 0 for n in by_state.values())
    for v in victims:
        assert v.pool is not None and v.pool.items[v.slot] is v
        assert (v.state, None) in model.pools or any(
            k[0] is v.state and p is v.pool for k, p in model.pools.items())
        held = v.state in (State.IN_TRANSIT, State.EXPLOITED)
        assert (v.controller is not None) == (v.state is State.EXPLOITED)
        if held:
            assert v.group is not None
    for g in model.groups:
        held = sum(1 for v in victims if v.group is g and v.state in (State.IN_TRANSIT,
                                                                        State.EXPLOITED))
        if g.active:
            assert g.load == held, (g, g.load, held)
            assert all(t in model.criminal_network for t in g.everyone())
        else:
            assert g.size == 0
    assert model.criminal_network.number_of_nodes() == sum(g.size for g in model.groups)
    ties = {}
    for a, b in model.criminal_network.edges:
        if a.group is not b.group:
            for x, y in ((a.group, b.group), (b.group, a.group)):
                ties[x, y] = ties.get((x, y), 0) + 1
    assert ties == {(g, other): n for g in model.groups for other, n in g.allies.items()}
    places = model.levers.support_places
    assert by_state[State.IN_SUPPORT] <= places or model.tally["support_admissions"] == 0
    assert len(model.nrm.queue) == by_state[State.SUPPORT_QUEUE]
    busy = [u.target for u in model.nca_units() if u.target is not None]
    assert len(busy) == len(set(busy)) == sum(g.targeted for g in model.groups)
    assert len(model.nca_units()) == model.levers.nca_units
    assert (model.intel >= 0).all()
    assert ((model.beliefs.risk >= 0) & (model.beliefs.risk <= 1)).all()
