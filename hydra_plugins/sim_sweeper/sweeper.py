"""Hydra's basic sweeper, with a check before launch that does not grow with the jobs.

Hydra's own sweeper composes the config of every job before it launches any (and the launcher
composes each again where it runs): minutes of one process for a sweep of thousands while the
workers wait. This one checks each swept value once: a value of a plain schema key (a
parameter or a lever) against the schema's type, and one job of each combination of
the other overrides (config groups such as ``world`` and ``policy``, the world's own keys) by
composing it as Hydra would. Configured in ``configs/config.yaml`` (``hydra.sweeper``).
"""

from functools import cache

from hydra._internal.core_plugins.basic_sweeper import BasicSweeper  # Hydra 1.3 (pinned)
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import ConfigCompositionException
from omegaconf import DictConfig, OmegaConf

from sim.config import Config, ConfigError, check_type

GROUPS = ("world", "policy", "experiment")


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
    def validate_batch_is_legal(self, batch) -> None:
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
