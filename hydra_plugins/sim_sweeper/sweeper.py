"""Hydra's basic sweeper, with a check before launch that does not grow with the jobs.

Hydra's own sweeper composes the config of every job before it launches any (and the launcher
composes each again where it runs): minutes of one process for a sweep of thousands while the
workers wait. This one checks each swept value once: a value of a plain schema key (a
parameter or a lever) against the schema's type, and one job of each combination of
the other overrides (config groups such as ``world`` and ``policy``, the world's own keys) by
composing it as Hydra would. Chosen in ``configs/config.yaml`` (``hydra/sweeper: sim``).

Given a ``design`` (a file written by ``python -m sim sensitivity``, or for a sweep with
``ensemble=posterior``), each of its points (a list of overrides) is run with every combination
of the command line's overrides, leaving out their values of the keys the design sets: the
jobs of a design are ordinary jobs of the sweep.
"""

from dataclasses import dataclass
from functools import cache

from hydra._internal.core_plugins.basic_sweeper import BasicSweeper  # Hydra 1.3 (pinned)
from hydra.core.config_store import ConfigStore
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import ConfigCompositionException
from hydra.types import HydraContext
from omegaconf import DictConfig, OmegaConf

from hydra_plugins.sim_sweeper._loader import CachingConfigLoader
from sim.config import Config, ConfigError, check_type

GROUPS = ("world", "policy", "experiment")


@dataclass
class SweeperConf:
    _target_: str = "hydra_plugins.sim_sweeper.sweeper.Sweeper"
    max_batch_size: int | None = None
    params: dict[str, str] | None = None
    design: str | None = None  # a sensitivity design's points (python -m sim sensitivity)


ConfigStore.instance().store(group="hydra/sweeper", name="sim", node=SweeperConf,
                             provider="sim")


@cache
def schema() -> DictConfig:
    return OmegaConf.structured(Config)


def plain(key: str) -> bool:
    """A key whose values the schema alone can check: not a config group, not a key of the
    world (which depends on the world chosen), not Hydra's."""
    if key in GROUPS or key.startswith(("world.", "hydra", "+", "~")) or "/" in key:
        return False
    return OmegaConf.select(schema(), key, default=KeyError) is not KeyError


class Sweeper(BasicSweeper):
    def __init__(self, max_batch_size=None, params=None, design=None) -> None:
        super().__init__(max_batch_size, params)
        self.design = design
        self.point_size = 0  # overrides of a design's point, at the end of each job's

    def setup(self, *, hydra_context, task_function, config) -> None:
        """Hydra's set-up, with each job composed by the caching loader where it runs."""
        loader = CachingConfigLoader(hydra_context.config_loader.get_search_path())
        hydra_context = HydraContext(config_loader=loader, callbacks=hydra_context.callbacks)
        super().setup(hydra_context=hydra_context, task_function=task_function, config=config)

    def split_arguments(self, overrides, max_batch_size):  # type: ignore[override]
        """Hydra's product of the swept values; with a design, crossed with its points."""
        if not self.design:
            return BasicSweeper.split_arguments(overrides, max_batch_size)
        from sim.sensitivity import keys, points

        design = points(self.design)
        own = keys(design)  # an ensemble's replication: the design's, not the sweep's
        overrides = [o for o in overrides if o.key_or_group not in own]
        combos = BasicSweeper.split_arguments(overrides, None)[0]
        self.point_size = len(design[0]) if design else 0
        jobs = [[*combo, *point] for point in design for combo in combos]
        return list(self.split_overrides_to_chunks(jobs, max_batch_size))

    def validate_batch_is_legal(self, batch) -> None:
        if self.design:  # a design's values were checked when it was made: check the rest
            batch = list({tuple(job[:len(job) - self.point_size]): None for job in batch})
        parser, checker = OverridesParser.create(), OmegaConf.structured(Config)
        seen: set[str] = set()
        composed: dict[tuple[str, ...], list[str]] = {}  # one job of each such combination
        for overrides in batch:
            rest = []
            for text in overrides:
                o = parser.parse_override(text)
                if not plain(o.key_or_group):
                    rest.append(text)
                elif text not in seen:
                    seen.add(text)
                    try:
                        check_type(checker, o.key_or_group, o.value(), text)
                    except ConfigError as err:
                        raise ConfigCompositionException(str(err)) from None
            composed.setdefault(tuple(rest), list(overrides))
        super().validate_batch_is_legal(list(composed.values()))
