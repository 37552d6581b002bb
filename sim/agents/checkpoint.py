"""Border checkpoints: one at each UK entry point (pillar 2, Border Policing Command)."""

from mesa import Agent


class BorderCheckpoint(Agent):
    """Screens in depth ``capacity`` crossings a week among the legitimate and trafficking
    crossings arriving at its entry point.

    A trafficking crossing is screened with q = min(1, C / (L + T) x targeting x gain), where
    ``gain`` is the rise from intelligence shared with partners (pillar 1), and a screened
    crossing is detected with probability d.
    """

    def __init__(self, model, name: str, spec):
        super().__init__(model)
        self.name = name
        self.mode = spec.mode
        self.legitimate = spec.legitimate_crossings
        self.capacity = spec.screening_capacity
        self.detection = spec.detection_probability
        self.targeting = spec.targeting
        self.arrivals: list = []  # trafficking crossings reaching this entry point this week

    def screening_probability(self) -> float:
        crossings = self.legitimate + len(self.arrivals)
        if crossings == 0:
            return 0.0
        gain = self.model.levers.targeting_gain
        return min(1.0, self.capacity / crossings * self.targeting * gain)

    def screen(self) -> None:
        m = self.model
        q = self.screening_probability()
        caught = m.rng.random(len(self.arrivals)) < q * self.detection
        for consignment, detected in zip(self.arrivals, caught, strict=True):
            m.crossed(consignment, self.name, bool(detected))
        self.arrivals = []
