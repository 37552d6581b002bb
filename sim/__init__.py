"""An agent-based model of human trafficking into the UK and of the 2011 strategy against it."""

from typing import TYPE_CHECKING

__all__ = ["Config", "ConfigError", "TraffickingModel"]

if TYPE_CHECKING:
    from sim.config import Config, ConfigError
    from sim.model import TraffickingModel


def __getattr__(name: str):
    """``sim.TraffickingModel`` and the config types, imported when first asked for, so that
    ``python -m sim --help`` does not load the simulation stack."""
    if name in ("Config", "ConfigError"):
        from sim import config

        return getattr(config, name)
    if name == "TraffickingModel":
        from sim.model import TraffickingModel

        return TraffickingModel
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
