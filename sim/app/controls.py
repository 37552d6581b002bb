"""The dashboard's settings and the Hydra overrides they stand for.

A setting is a key of the config schema: the world and policy groups, the main lever of each
pillar, the seed; anything else given to ``python -m sim app`` (``groups.recruitment=market``,
``burn_in_weeks=52``) is kept as it was given. :func:`overrides` turns the settings into the
override list that ``python -m sim`` takes, and the live model is composed from that list with
:func:`sim.settings.load_config`, as a run of ``python -m sim`` is: a setting in the dashboard
and the same override on the command line give the same run.
"""

import math
import shlex
from dataclasses import dataclass, field
from functools import cache

from omegaconf import OmegaConf

from sim.config import CONFIG_DIR, TARGETING_STRATEGIES, ConfigError, Policy


@dataclass(frozen=True)
class Lever:
    """One policy lever: its key in the config, its label, and the range its control offers
    (within the schema's range; the command line accepts the whole range)."""

    key: str
    label: str
    pillar: str
    lo: float = 0.0
    hi: float = 1.0
    step: float = 1.0
    unit: float = 1.0  # the control shows value / unit (GBP m for money)
    choices: tuple[str, ...] = ()  # a choice among names instead of a number

    @property
    def numeric(self) -> bool:
        return not self.choices and self.key != "policy.border.entry"


M = 1e6
LEVERS = (
    Lever("policy.international.prevention_gbp", "Prevention abroad (GBP m a year)",
          "international", 0, 20 * M, 0.5 * M, M),
    Lever("policy.international.intelligence_sharing", "Intelligence sharing (0 none, 1 full)",
          "international", 0, 1, 0.05),
    Lever("policy.border.screening", "Screening at every entry point (x today)", "border",
          0, 3, 0.05),
    Lever("policy.border.entry", "Entry point screened further", "border"),
    Lever("policy.border.entry_screening", "Extra screening there (x)", "border", 0, 5, 0.25),
    Lever("policy.enforcement.nca_units", "NCA units", "enforcement", 0, 32, 1),
    Lever("policy.enforcement.targeting", "NCA targeting", "enforcement",
          choices=TARGETING_STRATEGIES),
    Lever("policy.care.support_gbp", "Victim support (GBP m a year)", "care", 0, 20 * M,
          0.5 * M, M),
    Lever("policy.care.training_gbp", "First-responder training (GBP m a year)", "care",
          0, 10 * M, 0.5 * M, M),
)
LEVER = {lever.key: lever for lever in LEVERS}
MAX_SEED = 2**32 - 1


def options(group: str) -> list[str]:
    """The options of a config group (the files of configs/<group>/), baseline first."""
    names = sorted(p.stem for p in (CONFIG_DIR / group).glob("*.yaml"))
    return sorted(names, key=lambda n: (n != "baseline", n))


@cache
def preset(policy: str) -> dict:
    """The lever values of a policy file, as Hydra composes it onto the schema."""
    path = CONFIG_DIR / "policy" / f"{policy}.yaml"
    if not path.is_file():
        raise ConfigError(f"policy = {policy!r}: one of {', '.join(options('policy'))}")
    node = OmegaConf.merge(OmegaConf.structured(Policy), OmegaConf.load(path))
    return {lever.key: OmegaConf.select(node, lever.key.removeprefix("policy."))
            for lever in LEVERS}


@cache
def entry_points(world: str) -> tuple[str, ...]:
    """The entry points of a world file, in its order."""
    path = CONFIG_DIR / "world" / f"{world}.yaml"
    if not path.is_file():
        raise ConfigError(f"world = {world!r}: one of {', '.join(options('world'))}")
    node = OmegaConf.to_container(OmegaConf.load(path))
    return tuple(node.get("entry_points") or ()) if isinstance(node, dict) else ()


@dataclass
class Settings:
    """What the dashboard's controls hold; ``extra`` are overrides given to ``python -m sim
    app`` for keys that have no control, kept in their order."""

    world: str = "toy"
    policy: str = "baseline"
    levers: dict = field(default_factory=lambda: dict(preset("baseline")))
    seed: int = 0
    extra: tuple[str, ...] = ()

    def with_policy(self, policy: str) -> "Settings":
        """The same settings under another policy file: its levers as the file sets them."""
        return Settings(self.world, policy, dict(preset(policy)), self.seed, self.extra)

    def with_world(self, world: str) -> "Settings":
        """The same settings in another world (an entry point it lacks is no longer targeted)."""
        levers = dict(self.levers)
        if levers["policy.border.entry"] not in ("", *entry_points(world)):
            levers["policy.border.entry"] = ""
        return Settings(world, self.policy, levers, self.seed, self.extra)

    def with_lever(self, key: str, value) -> "Settings":
        return Settings(self.world, self.policy, {**self.levers, key: value}, self.seed,
                        self.extra)

    def with_seed(self, seed: int) -> "Settings":
        return Settings(self.world, self.policy, dict(self.levers), seed, self.extra)


def overrides(settings: Settings) -> list[str]:
    """The Hydra overrides of ``settings``: world and policy, every lever that differs from
    the policy file, the seed, then the extra overrides."""
    base = preset(settings.policy)
    changed = [f"{key}={text(value)}" for key, value in settings.levers.items()
               if not same(value, base[key])]
    return [f"world={settings.world}", f"policy={settings.policy}", *changed,
            f"seed={settings.seed}", *settings.extra]


def command(settings_or_overrides: Settings | list[str]) -> str:
    """The ``python -m sim`` command that runs the same model."""
    given = (overrides(settings_or_overrides) if isinstance(settings_or_overrides, Settings)
             else settings_or_overrides)
    return " ".join(["python -m sim", *(shlex.quote(o) for o in given)])


def same(a, b) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return a == b


def text(value) -> str:
    """A value as an override writes it: 5e6, 1.25, 8, largest, '' (an empty string)."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) >= 1e5:
            mantissa, exponent = f"{value:e}".split("e")
            return f"{float(mantissa):g}e{int(exponent)}"
        return repr(value)
    return str(value)


def settings_from(given: list[str]) -> Settings:
    """The settings that ``python -m sim app <overrides>`` starts with: world and policy,
    levers and seed from the overrides that set them, the rest kept as extra overrides.
    The overrides must already have been checked (:func:`sim.app.serve.check_overrides`)."""
    from sim.cli import overrides_parser

    parsed = overrides_parser().parse_overrides(given)
    keys = {o.key_or_group: o for o in parsed}
    world = str(keys["world"].value()) if "world" in keys else "toy"
    policy = str(keys["policy"].value()) if "policy" in keys else "baseline"
    settings = Settings(world, policy, dict(preset(policy)))
    extra = []
    for o in parsed:
        key, value = o.key_or_group, o.value()
        if key in ("world", "policy"):
            continue
        if key == "seed":
            settings.seed = int(str(value))
        elif key in LEVER:
            lever = LEVER[key]
            if lever.numeric:
                value = type(preset("baseline")[key])(value)
            settings.levers[key] = "" if value is None else value
        else:
            extra.append(str(o.input_line))
    settings.extra = tuple(extra)
    return settings
