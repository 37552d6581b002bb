"""Traffickers: members of an organised crime group (see :mod:`sim.crime`)."""

from enum import StrEnum

from mesa import Agent


class Role(StrEnum):
    LEADER = "leader"
    RECRUITER = "recruiter"
    TRANSPORTER = "transporter"
    CONTROLLER = "controller"


class Trafficker(Agent):
    """A member of one group in one role: recruiters at the source, transporters on the route,
    controllers and the leader in the UK region. Members hold the victims they control;
    arresting a member frees them."""

    def __init__(self, model, group, role: Role):
        super().__init__(model)
        self.group = group
        self.role = role
        self.victims: dict = {}  # held victims, in the order taken (a dict keeps runs reproducible)
