"""The model as a whole: the public interface, determinism, invariants, plausible scale."""

from dataclasses import replace

import mesa
import pytest
from helpers import run, toy

from sim import TraffickingModel
from sim.agents import BorderCheckpoint, NCAUnit, Trafficker, Victim
from sim.config import run_seed
from sim.invariants import check as check_invariants
from sim.metrics import summary


def test_default_world_builds_under_the_baseline_policy():
    model = TraffickingModel(rng=1)
    assert model.cfg.world.name == "uk_2011" and model.cfg.policy.name == "baseline"
    model.run_for(3)
    df = model.datacollector.get_model_vars_dataframe()
    assert len(df) == 3 and list(df["week"]) == [1, 2, 3]
    for cls in (Victim, Trafficker, BorderCheckpoint, NCAUnit):
        assert issubclass(cls, mesa.Agent)
        assert len(model.agents_by_type[cls]) > 0


def test_same_seed_same_numbers_and_other_seeds_differ():
    cfg = toy("burn_in_weeks=20", "policy_weeks=40", "policy=strategy_2011",
              "policy.enforcement.targeting=central")
    a = run(cfg, 7).datacollector.get_model_vars_dataframe()
    b = run(cfg, 7).datacollector.get_model_vars_dataframe()
    c = run(cfg, 8).datacollector.get_model_vars_dataframe()
    assert a.equals(b)
    assert not a.equals(c)


def test_without_rng_the_seed_comes_from_seed_and_replication():
    cfg = toy("seed=5", "replication=2", "burn_in_weeks=5", "policy_weeks=5")
    a = TraffickingModel(cfg)
    a.run_for(10)
    b = run(cfg, run_seed(cfg))
    assert a.datacollector.get_model_vars_dataframe().equals(
        b.datacollector.get_model_vars_dataframe())
    seeds = {run_seed(replace(cfg, seed=s, replication=k)) for s in (0, 1) for k in range(5)}
    assert len(seeds) == 10


NO_GROUPS = ("world.sources.east.groups=0", "world.sources.south.groups=0",
             "world.sources.home.groups=0")


@pytest.mark.parametrize("overrides", [
    ["groups.broker_ties=0"], ["groups.broker_ties=20"], ["groups.succession=0"],
    ["groups.succession=1", "groups.replacement_rate=1"], ["policy.enforcement.nca_units=0"],
    ["burn_in_weeks=0"], ["policy_weeks=0"], ["care.uptake=0"], ["policy.care.support_gbp=0"],
    list(NO_GROUPS), ["world.entry_points.port.detection_probability=1",
                      "world.entry_points.port.screening_capacity=0"]])
def test_edge_settings_run_and_keep_the_invariants(overrides):
    model = TraffickingModel(toy("policy.enforcement.nca_units=8", "burn_in_weeks=104",
                                 *overrides, "policy_weeks=60"), rng=4)
    for _ in range(model.cfg.burn_in_weeks + 60):
        model.step()
    check_invariants(model)


def test_a_victims_time_in_states_adds_up_to_their_time_in_the_model():
    model = run(toy("burn_in_weeks=10", "policy_weeks=50"), 3)
    for v in model.agents_by_type[Victim]:
        assert sum(v.weeks_in) + (model.steps - v.since) <= model.steps
        assert all(w >= 0 for w in v.weeks_in)


@pytest.mark.slow
def test_default_world_sits_near_the_uk_picture_of_2013():
    """10,000-13,000 people exploited in 2013, 2,744 of them known (about one in four or five),
    1,746 NRM referrals, 378 entering support in the contract's first year, about a quarter of
    referrals UK nationals (DOMAIN.md). Order of magnitude, before calibration."""
    s = summary(run(TraffickingModel(rng=2).cfg, 2))
    assert 9_000 <= s["prevalence_per_year"] <= 14_000
    assert 1_700 <= s["identified_per_year"] <= 3_500
    assert 0.15 <= s["known_share"] <= 0.35
    assert 1_200 <= s["nrm_referrals_per_year"] <= 2_500
    assert 250 <= s["support_admissions_per_year"] <= 500
    assert 0.15 <= s["referred_domestic_share"] <= 0.35
    assert 20 <= s["convictions_per_year"] <= 200  # CPS 2017-18: 185, at 3x the referrals
    assert 100 <= s["groups_active_end"] <= 600


def test_under_demand_recruitment_a_regions_groups_share_its_unmet_demand():
    model = TraffickingModel(toy("groups.recruitment=demand"), rng=1)
    region = next(r for r, d in model.demand.items() if d)
    groups = [g for g in model.crime.groups if g.active and g.region == region]
    for g in groups:
        g.load = 0
    groups[0].load = model.demand[region] // 2  # one group holds half of what the region wants
    assert model.drives()[region] == pytest.approx(1 - (model.demand[region] // 2)
                                                   / model.demand[region])
    groups[0].load = model.demand[region]
    assert model.drives()[region] == 0.0


def test_static_routes_keep_the_prior_belief_of_every_entry_point():
    model = TraffickingModel(toy("routes.learning=static"), rng=1)
    model.run_for(52)
    assert sum(model.tally.values()) and (model.crime.beliefs.risk == 0.05).all()
    learned = TraffickingModel(toy(), rng=1)
    learned.run_for(52)
    assert (learned.crime.beliefs.risk != 0.05).any()
