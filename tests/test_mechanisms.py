"""Each mechanism moves the world the way it should, over enough paired seeds to be stable.

Scenarios share seeds (common random numbers), so differences are paired; each test would fail
if its mechanism were removed or inverted.
"""

import numpy as np
import pytest
from helpers import outcomes, toy

pytestmark = pytest.mark.slow  # full runs over 8 paired seeds each

SEEDS = range(8)


def test_tightening_one_entry_point_catches_more_there_and_displaces_flows_to_others():
    keys = "detections_port_per_year", "crossings_port_per_year", "crossings_tunnel_per_year"
    a = outcomes(toy(), SEEDS, *keys)
    b = outcomes(toy("policy.border.entry=port", "policy.border.entry_screening=10"), SEEDS, *keys)
    det, port, tunnel = keys
    assert b[det].mean() > 2 * a[det].mean()
    assert b[port].mean() < 0.7 * a[port].mean() and (b[port] < a[port]).mean() >= 0.75
    assert b[tunnel].mean() > a[tunnel].mean() and (b[tunnel] > a[tunnel]).mean() >= 0.75


def test_more_nca_units_arrest_more_traffickers():
    key = "traffickers_arrested_per_year"
    a = outcomes(toy("policy.enforcement.nca_units=1"), SEEDS, key)[key]
    b = outcomes(toy("policy.enforcement.nca_units=8"), SEEDS, key)[key]
    assert b.mean() > 2 * a.mean() and (b > a).all()


def test_more_support_funding_means_less_retrafficking():
    key = "retrafficked_per_year"
    a = outcomes(toy("policy.care.support_gbp=0"), SEEDS, key)[key]
    b = outcomes(toy("policy.care.support_gbp=1.0e7"), SEEDS, key)[key]
    assert b.mean() < 0.95 * a.mean() and (b < a).mean() >= 0.75


def test_prevention_abroad_lowers_recruitment():
    key = "recruited_per_year"
    a = outcomes(toy(), SEEDS, key)[key]
    b = outcomes(toy("policy.international.prevention_gbp=2.0e7"), SEEDS, key)[key]
    assert b.mean() < 0.95 * a.mean() and (b < a).mean() >= 0.75


def test_first_responder_training_identifies_more_victims():
    key = "identified_first_responder_per_year"
    a = outcomes(toy(), SEEDS, key)[key]
    b = outcomes(toy("policy.care.training_gbp=5.0e6"), SEEDS, key)[key]
    assert b.mean() > 1.2 * a.mean() and (b > a).all()


def test_intelligence_sharing_feeds_border_and_nca():
    keys = "identified_border_per_year", "operations_succeeded_per_year"
    a = outcomes(toy(), SEEDS, *keys)
    b = outcomes(toy("policy.international.intelligence_sharing=1"), SEEDS, *keys)
    assert b[keys[0]].mean() > 1.3 * a[keys[0]].mean()
    assert b[keys[1]].mean() > a[keys[1]].mean()


def test_arrested_members_are_replaced_so_networks_recover():
    key = "traffickers_active_end"
    a = outcomes(toy("groups.replacement_rate=0", "policy.enforcement.nca_units=8"), range(4), key)
    b = outcomes(toy("groups.replacement_rate=0.2", "policy.enforcement.nca_units=8"), range(4),
                 key)
    assert (b[key] > a[key]).all()


def test_the_policy_switch_alone_changes_nothing():
    key = "identified_per_year"
    a = outcomes(toy(), range(3), key)[key]
    b = outcomes(toy("policy.name=renamed"), range(3), key)[key]
    np.testing.assert_array_equal(a, b)


def test_victims_who_leave_unidentified_can_be_trafficked_again():
    key = "retrafficked_per_year"
    a = outcomes(toy("care.retrafficking_unidentified=0"), SEEDS, key)[key]
    b = outcomes(toy("care.retrafficking_unidentified=0.01"), SEEDS, key)[key]
    assert b.mean() > 1.5 * a.mean() and (b > a).all()


def test_victims_evidence_raises_convictions():
    key = "convictions_per_year"
    busy = ("policy.enforcement.nca_units=8", "justice.intel_weight=0", "burn_in_weeks=52",
            "policy_weeks=260")
    silent = ("justice.cooperation_supported=0", "justice.cooperation_unsupported=0")
    heard = ("justice.cooperation_supported=1", "justice.cooperation_unsupported=1")
    a = outcomes(toy(*busy, *silent), SEEDS, key)[key]
    b = outcomes(toy(*busy, *heard), SEEDS, key)[key]
    assert b.mean() > 1.2 * a.mean() and (b > a).mean() >= 0.75


def test_fear_of_conviction_lowers_recruitment():
    key = "recruited_per_year"
    busy = ("policy.enforcement.nca_units=8",)
    a = outcomes(toy(*busy, "justice.deterrence=0"), SEEDS, key)[key]
    b = outcomes(toy(*busy, "justice.deterrence=20"), SEEDS, key)[key]
    assert b.mean() < 0.95 * a.mean() and (b < a).mean() >= 0.75


def test_under_the_market_a_drop_in_outflow_raises_the_stock_more_than_under_capacity():
    key = "victims_exploited_mean"
    rise = {}
    for mechanism in ("capacity", "market"):
        cfg = (f"groups.recruitment={mechanism}", "burn_in_weeks=520", "policy_weeks=104")
        a = outcomes(toy(*cfg), range(4), key)[key]
        b = outcomes(toy(*cfg, "exploitation.leave=0.004"), range(4), key)[key]
        rise[mechanism] = b.mean() / a.mean()
    assert rise["market"] > rise["capacity"] + 0.05, rise


def test_unconstrained_groups_do_not_refill_the_places_identification_frees():
    """Under capacity (and demand), identifying more victims frees places that groups refill,
    so recruitment rises; unconstrained groups recruit at their own pace whatever is freed."""
    key = "recruited_per_year"
    rise = {}
    for mechanism in ("capacity", "demand", "unconstrained"):
        cfg = (f"groups.recruitment={mechanism}",)
        a = outcomes(toy(*cfg), SEEDS, key)[key]
        b = outcomes(toy(*cfg, "policy.care.training_gbp=1.0e7"), SEEDS, key)[key]
        rise[mechanism] = b.mean() / a.mean()
    assert rise["capacity"] > 1.05 and rise["demand"] > 1.05, rise
    assert abs(rise["unconstrained"] - 1) < 0.03, rise


def test_static_routes_do_not_move_away_from_a_tightened_entry_point():
    keys = "crossings_port_per_year", "crossings_tunnel_per_year"
    moved = {}
    for learning in ("learned", "static"):
        a = outcomes(toy(f"routes.learning={learning}"), SEEDS, *keys)
        b = outcomes(toy(f"routes.learning={learning}", "policy.border.entry=port",
                         "policy.border.entry_screening=10"), SEEDS, *keys)
        moved[learning] = b[keys[0]].mean() / a[keys[0]].mean()
    assert moved["learned"] < 0.7 and abs(moved["static"] - 1) < 0.1, moved
