"""The model's agents, one class a module."""

from sim.agents.checkpoint import BorderCheckpoint
from sim.agents.nca import NCAUnit
from sim.agents.trafficker import CrimeGroup, Role, Trafficker
from sim.agents.victim import State, Victim

__all__ = ["BorderCheckpoint", "CrimeGroup", "NCAUnit", "Role", "State", "Trafficker", "Victim"]
