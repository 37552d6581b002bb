"""The model's agents, one class a module."""

from sim.agents.checkpoint import BorderCheckpoint
from sim.agents.nca import NCAUnit
from sim.agents.trafficker import Role, Trafficker
from sim.agents.victim import State, Victim

__all__ = ["BorderCheckpoint", "NCAUnit", "Role", "State", "Trafficker", "Victim"]
