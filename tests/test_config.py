"""Bad input gets one clear error naming the key, the value and what is allowed."""

import re
from dataclasses import replace

import pytest
from helpers import toy

from sim import ConfigError, TraffickingModel
from sim.config import Route
from sim.settings import load_config
from sim.world import route_network


@pytest.mark.parametrize("override,message", [
    ("exploitation.leave=1.5", "exploitation.leave = 1.5: must be between 0 and 1"),
    ("policy.care.support_gbp=-1", "policy.care.support_gbp = -1.0: must be between 0 and 1e+12"),
    ("world.entry_points.port.screening_capacity=-5",
     "world.entry_points.port.screening_capacity = -5.0: must be between 0 and 1e+09"),
    ("world.sources.east.vulnerability=2",
     "world.sources.east.vulnerability = 2.0: must be between"),
    ("policy.enforcement.targeting=psychic",
     "policy.enforcement.targeting = 'psychic': one of random"),
    ("policy.border.entry=heathrow", "policy.border.entry = 'heathrow': '' or an entry point"),
    ("exploitation.identification.sexual=-0.1", "exploitation.identification.sexual = -0.1"),
    ("world.sources.east.exploitation.sexual=0.9", "world.sources.east.exploitation = {"),
])
def test_out_of_range_values_are_named(override, message):
    with pytest.raises(ConfigError, match="^" + re.escape(message)):
        TraffickingModel(toy(override))


def test_a_source_with_no_route_to_the_uk_is_named():
    cfg = toy()
    cfg.world.routes = [r for r in cfg.world.routes if r.origin != "south"]
    with pytest.raises(ConfigError, match=r"^world\.sources\.south: no route to any UK region"):
        TraffickingModel(cfg)


def test_a_foreign_route_that_skips_the_border_does_not_count():
    cfg = toy()
    cfg.world.routes = [r for r in cfg.world.routes if r.origin != "south"]
    cfg.world.routes.append(Route("south", "capital", 1, 100.0))
    with pytest.raises(ConfigError, match="through exactly one entry point"):
        TraffickingModel(cfg)


def test_a_route_to_an_unknown_place_is_named():
    cfg = toy()
    cfg.world.routes.append(Route("east", "atlantis", 1, 100.0))
    with pytest.raises(ConfigError, match=r"world\.routes\[12\]\.destination = 'atlantis'"):
        TraffickingModel(cfg)


def test_a_world_s_route_network_is_built_once_and_rebuilt_when_its_routes_change():
    cfg = toy()
    model = TraffickingModel(cfg)
    assert TraffickingModel(toy("seed=3", "policy=strategy_2011")).routes is model.routes
    assert route_network(cfg.world, cfg.routes.paths) is model.routes
    assert route_network(cfg.world, cfg.routes.paths - 1) is not model.routes
    for change in ({"cost_gbp": cfg.world.routes[0].cost_gbp + 1},
                   {"weeks": cfg.world.routes[0].weeks + 1}):
        other = toy()
        other.world.routes[0] = replace(other.world.routes[0], **change)
        assert TraffickingModel(other).routes is not model.routes
    fewer = toy()
    fewer.world.routes = [r for r in fewer.world.routes if r.origin != "south"]
    with pytest.raises(ConfigError):  # a world without a way in is refused, not remembered
        TraffickingModel(fewer)
    with pytest.raises(ConfigError):
        TraffickingModel(fewer)


@pytest.mark.parametrize("override", ["exploitation.leave=often", "no_such_key=1",
                                      "policy.enforcement.nca_units=2.5"])
def test_wrong_types_and_unknown_keys_fail_at_composition(override):
    with pytest.raises(Exception, match="leave|no_such_key|nca_units"):
        load_config(["world=toy", override])
