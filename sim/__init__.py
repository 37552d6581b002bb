"""An agent-based model of human trafficking into the UK and of the 2011 strategy against it."""

from sim.config import Config, ConfigError
from sim.model import TraffickingModel

__all__ = ["Config", "ConfigError", "TraffickingModel"]
