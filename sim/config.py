"""The one schema of every parameter: types, defaults, allowed ranges, units and sources.

Hydra composes YAML files from ``configs/`` onto these dataclasses; Python callers can build a
:class:`Config` directly. :func:`validate` checks values and the world graph and raises
:class:`ConfigError` with one line naming the key, the bad value and what is allowed.
"""

import copy
import math
from dataclasses import MISSING, dataclass, field, fields, is_dataclass
from pathlib import Path

from omegaconf import MISSING as REQUIRED

EXPLOITATION_TYPES = ("sexual", "labour", "domestic", "criminal")
TARGETING_STRATEGIES = ("random", "largest", "central", "leader_first")
RECRUITMENT_MECHANISMS = ("capacity", "demand", "market", "unconstrained")
ROUTE_LEARNING = ("learned", "static")
ENTRY_MODES = ("air", "ferry", "tunnel", "freight", "boat", "cta")
CHANGES = ("multiply", "set")
ENSEMBLES = ("none", "posterior")  # what a sweep's replications vary besides the seed


def _tree(name: str) -> Path:
    """A YAML tree shipped in the package (an installed wheel), else the checkout's."""
    here = Path(__file__).resolve().parent
    return here / name if (here / name).is_dir() else here.parent / name


CONFIG_DIR = _tree("configs")  # the Hydra config tree: worlds, policies, launchers
EXPERIMENT_DIR = _tree("experiments")  # the named experiments (the group ``experiment``)


class ConfigError(ValueError):
    """A configuration value outside what the model allows."""


# Upper bounds: generous for every use of the model, small enough that no valid config hangs
# or overflows. Sizes that multiply are bounded together by the work estimate in validate().
MAX_WEEKS = 5200  # a century
MAX_GBP = 1e12  # GBP: a thousand billion
MAX_POPULATION = 10**9  # people at risk at one source
MAX_GROUPS = 10_000  # crime groups at one source
MAX_ROLE = 50  # members of a group in one role
MAX_PLACES = 50  # sources, transit places, entry points or regions of a world
MAX_ROUTES = 2_000
MAX_MEMBERS = 1_000_000  # traffickers in the world at the start
MAX_VICTIM_WEEKS = 1e9  # places for victims x weeks: minutes and a few GB on one core
MAX_GROUP_WEEKS = 5e7  # crime groups x weeks
DRIVE = 0.3  # recruitment.drive


def param(default=MISSING, *, lo=None, hi=None, unit="", source="assumption", doc=""):
    """A schema field with its allowed range, unit and source (shown in docs/ODD.md)."""
    meta = {"lo": lo, "hi": hi, "unit": unit, "source": source, "doc": doc}
    if isinstance(default, (dict, list)):
        return field(default_factory=lambda: copy.deepcopy(default), metadata=meta)
    return field(default=default, metadata=meta)


def _by_type(sexual, labour, domestic, criminal):
    return dict(zip(EXPLOITATION_TYPES, (sexual, labour, domestic, criminal), strict=True))


# --- the world: geography, populations, crossings ---------------------------------------------


@dataclass
class Source:
    population: int = param(lo=0, hi=MAX_POPULATION, unit="people",
                            doc="people at risk of recruitment")
    vulnerability: float = param(lo=0, hi=1, doc="share of contacts that a recruiter can deceive")
    awareness: float = param(lo=0, hi=1, doc="baseline awareness of trafficking risks")
    minor_share: float = param(lo=0, hi=1, doc="share of recruits who are minors")
    exploitation: dict[str, float] = param(lo=0, doc="mix of exploitation types (sums to 1)")
    groups: int = param(lo=0, hi=MAX_GROUPS, unit="groups",
                        doc="crime groups recruiting here at the start")
    domestic: bool = param(False, doc="UK-internal source: its routes pass no entry point")


@dataclass
class EntryPoint:
    mode: str = param(doc="one of " + ", ".join(ENTRY_MODES))
    legitimate_crossings: float = param(lo=0, hi=1e9, unit="crossings/week")
    screening_capacity: float = param(lo=0, hi=1e9, unit="in-depth screenings/week")
    detection_probability: float = param(lo=0, hi=1, doc="of a screened trafficking crossing")
    targeting: float = param(lo=0, hi=1e6,
                             doc="times better than random at picking trafficking crossings")


@dataclass
class Region:
    demand: dict[str, float] = param(lo=0, hi=1e6, doc="relative demand by exploitation type")


@dataclass
class Route:
    origin: str = param()
    destination: str = param()
    weeks: int = param(lo=0, hi=MAX_WEEKS, unit="weeks")
    cost_gbp: float = param(lo=0, hi=MAX_GBP, unit="GBP/person")


@dataclass
class Event:
    """A dated change to the world or to a mechanism (applied by :mod:`sim.history`)."""

    name: str = param(doc="what happened, as errors and docs name it")
    year: int = param(lo=1800, hi=2300, unit="year", doc="calendar year it takes effect")
    key: str = param(doc="what it changes: a key that acts during a run, e.g. "
                     "exploitation.identification.criminal or world.sources.albania.groups "
                     "(docs/ODD.md, section 7.28)")
    value: float = param(lo=0, hi=MAX_GBP, doc="the factor (multiply) or the new value (set)")
    source: str = param(doc="where the change and its size come from (a citation, or "
                        "'assumption: ...')")
    week: int = param(1, lo=1, hi=52, unit="week of the year", doc="week it takes effect")
    change: str = param("multiply", doc="how: " + " or ".join(CHANGES))
    ramp_weeks: int = param(0, lo=0, hi=MAX_WEEKS, unit="weeks",
                            doc="a linear ramp from the value before to the new one (0: at once)")
    lasts_weeks: int = param(0, lo=0, hi=MAX_WEEKS, unit="weeks",
                             doc="0: for good; else undone this many weeks after it starts, "
                             "over the same ramp")


@dataclass
class YearlyInput:
    """A yearly series that sets a key at the first week of each year (:mod:`sim.history`)."""

    name: str = param(doc="what the series counts")
    key: str = param(doc="the key it sets, as an event's")
    first_year: int = param(lo=1800, hi=2300, unit="year", doc="the year of the first value")
    values: list[float] = param(lo=0, hi=MAX_GBP, doc="one value a year from first_year; the "
                                "last holds after")
    source: str = param(doc="where the numbers come from")
    per_week: bool = param(True, doc="each value is a yearly total, spread evenly over the "
                           "year's 52 weeks (false: the value itself is set)")


@dataclass
class Calibration:
    """Where a calibrated world came from (written by ``python -m sim calibrate``): its
    posterior, the uncertainty set whose factors are the posterior's columns, and the world
    file it was fitted on (a scale factor multiplies that world's values). Read by a sweep
    given ``ensemble=posterior``; no effect on a run."""

    posterior: str = param("", source="world file",
                           doc="the posterior's particles and weights (parquet); a relative "
                           "path is from the project's folder; '' for none")
    uncertainty: str = param("", source="world file",
                             doc="the uncertainty set whose factors the posterior's columns "
                             "are (a name in configs/uncertainty/ or a .yaml file)")
    world: str = param("", source="world file", doc="the world file the posterior was "
                       "fitted on (its values are what a scale factor multiplies)")


@dataclass
class World:
    name: str = param()
    sources: dict[str, Source] = param({})
    transit: list[str] = param([])
    entry_points: dict[str, EntryPoint] = param({})
    regions: dict[str, Region] = param({})
    routes: list[Route] = param([])
    start_year: int = param(0, lo=0, hi=2300, unit="year",
                            doc="calendar year of the first policy week; 0: an undated world")
    events: dict[str, Event] = param({}, doc="the dated events, each under a short id "
                                         "(world.events.<id>.value=... changes its size)")
    inputs: list[YearlyInput] = param([])
    calibration: Calibration = field(default_factory=Calibration)


# --- mechanisms: how people, groups and agencies behave (uncertain; calibrate and vary) -------


@dataclass
class Recruitment:
    rate: float = param(2.0, lo=0, hi=1000, unit="recruits/recruiter/week",
                        doc="contacts turned into recruits at full vulnerability, no awareness")
    renewal: float = param(0.02, lo=0, hi=1, unit="1/week",
                           doc="share of the gap to the initial population at risk refilled weekly")
    initial_fill: float = param(0.7, lo=0, hi=1, doc="share of group capacity exploited at start")
    drive: float = param(
        DRIVE, lo=0, hi=1, source="tuned: the mean spare share of capacity of uk_2011's groups "
        "in the status quo's steady state (capacity recruitment)",
        doc="the share of full recruitment every group keeps up under unconstrained recruitment")


@dataclass
class Groups:
    recruiters: int = param(2, lo=1, hi=MAX_ROLE, unit="members")
    transporters: int = param(2, lo=1, hi=MAX_ROLE, unit="members")
    controllers: int = param(3, lo=1, hi=MAX_ROLE, unit="members")
    span: int = param(18, lo=1, hi=1000, unit="victims/controller",
                      doc="victims one controller can hold")
    tie_probability: float = param(0.5, lo=0, hi=1, doc="tie between two members of a group")
    broker_ties: int = param(2, lo=0, hi=100, unit="ties/group",
                             doc="ties to members of other groups")
    replacement_rate: float = param(0.05, lo=0, hi=1, unit="1/week",
                                    doc="chance a vacancy is filled each week")
    succession: float = param(0.6, lo=0, hi=1,
                              doc="chance the best-connected member takes over a lost leader")
    reformation_weeks: float = param(26.0, lo=1, hi=MAX_WEEKS, unit="weeks",
                                     doc="mean time before a new group replaces a dismantled one")
    revenue_gbp: dict[str, float] = param(_by_type(900.0, 300.0, 150.0, 500.0), lo=0, hi=MAX_GBP,
                                          unit="GBP/victim-week")
    recruitment: str = param(
        "capacity", doc="how groups recruit: capacity (a fixed capacity that refills; as many "
        "groups per source as at the start), demand (to fill what each region's exploiters "
        "took at the start, whichever group holds it), market (by expected profit; groups "
        "enter and leave) or unconstrained (at a steady rate, whatever places are freed)")


@dataclass
class Market:
    cost_share: float = param(0.7, lo=0, hi=1,
                              doc="a group's costs per victim-week as a share of revenue at the "
                              "reference price (market recruitment)")
    price_elasticity: float = param(1.0, lo=0.05, hi=100,
                                    doc="elasticity of demand for exploitation in a region: "
                                    "price = (reference / held)^(1/e); elastic, since "
                                    "exploiters can turn to labour and sex not trafficked")
    max_price: float = param(3.0, lo=1, hi=100, doc="highest price multiplier of a scarce market")
    reference_hazard: float = param(
        0.0145, lo=1e-6, hi=1, unit="1/week",
        source="tuned: weekly share of exploited victims identified or escaping in uk_2011 "
        "under the status quo", doc="the hazard of losing a victim at which a recruit is "
        "worth the reference value")
    exit_weeks: float = param(26.0, lo=1, hi=MAX_WEEKS, unit="weeks",
                              doc="mean time before a group beyond what the margins support "
                              "leaves the market")


@dataclass
class RouteChoice:
    paths: int = param(8, lo=1, hi=100, doc="most candidate routes per source and region, cheapest "
                       "first (one per entry point)")
    loss_gbp: float = param(20000.0, lo=0, hi=MAX_GBP, unit="GBP",
                            doc="what a group expects to lose when a crossing is detected")
    week_gbp: float = param(300.0, lo=0, hi=MAX_GBP, unit="GBP/person-week",
                            doc="cost of time on the road")
    scale_gbp: float = param(1500.0, lo=1e-9, hi=MAX_GBP, unit="GBP",
                             doc="spread of the logit choice among routes")
    prior_risk: float = param(0.05, lo=0, hi=1, doc="detection risk believed before any crossing")
    prior_weight: float = param(2.0, lo=1e-6, hi=1e9, unit="crossings",
                                doc="weight of the prior belief")
    memory: float = param(0.97, lo=0, hi=1, unit="1/week", doc="weekly decay of remembered events")
    social_learning: float = param(0.5, lo=0, hi=1,
                                   doc="weight of tied groups' events in a group's belief")
    learning: str = param("learned", doc="learned (groups learn each entry point's risk from "
                          "detections) or static (they keep the prior belief: flows follow "
                          "money and time alone)")


@dataclass
class Exploitation:
    identification: dict[str, float] = param(
        _by_type(0.0075, 0.0054, 0.0030, 0.0036), lo=0, hi=1, unit="1/week",
        source="tuned: 2,744 known of 10,000-13,000 exploited in 2013 (NCA 2013; Home Office "
        "2014)",
        doc="first-responder identification hazard by type")
    minor_identification: float = param(1.3, lo=0, hi=1000, doc="multiplier for minors")
    leave: float = param(0.008, lo=0, hi=1, unit="1/week",
                         doc="victims escaping or moved on unidentified")
    harm_gbp: float = param(329000.0, lo=0, hi=MAX_GBP, unit="GBP/victim",
                            source="Home Office Research Report 100 (2018)")


@dataclass
class International:
    prevention_half_gbp: float = param(2.0e6, lo=1e-9, hi=MAX_GBP, unit="GBP/year",
                                       doc="prevention spend closing half the awareness gap")
    prevention_lag_weeks: float = param(26.0, lo=1, hi=MAX_WEEKS, unit="weeks")
    sharing_intel: float = param(0.05, lo=0, hi=1e6, unit="intel/week",
                                 doc="intelligence on a foreign group at full sharing")
    sharing_targeting: float = param(1.0, lo=0, hi=1e6,
                                     doc="rise in border targeting at full sharing")
    sharing_cost_gbp: float = param(1.0e6, lo=0, hi=MAX_GBP, unit="GBP/year", doc="full sharing")


@dataclass
class Border:
    transporter_arrest: float = param(0.5, lo=0, hi=1, doc="on a detected crossing")
    intel_per_detection: float = param(0.5, lo=0, hi=1e6, unit="intel")
    screening_cost_gbp: float = param(60.0, lo=0, hi=MAX_GBP, unit="GBP/screening")


@dataclass
class Enforcement:
    operation_weeks: int = param(12, lo=1, hi=520, unit="weeks", doc="mean length of an operation")
    intel_threshold: float = param(0.3, lo=0, hi=1e6, unit="intel", doc="to open an operation")
    success_rate: float = param(1.5, lo=0, hi=1e6, unit="1/intel",
                                doc="kappa in P(success) = 1 - exp(-kappa x intel)")
    arrest: float = param(0.5, lo=0, hi=1, doc="members arrested in a successful operation")
    intel_decay: float = param(0.02, lo=0, hi=1, unit="1/week")
    account: float = param(0.3, lo=0, hi=1, doc="identified victims whose account names the group")
    intel_per_account: float = param(0.15, lo=0, hi=1e6, unit="intel")
    unit_cost_gbp: float = param(1.5e6, lo=0, hi=MAX_GBP, unit="GBP/year")
    centrality_samples: int = param(64, lo=1, hi=1000, doc="sampled sources for betweenness")
    centrality_refresh_weeks: int = param(13, lo=1, hi=MAX_WEEKS, unit="weeks")


@dataclass
class Care:
    adult_referral: float = param(
        0.5, lo=0, hi=1, source="tuned: 1,746 NRM referrals against 2,744 known in 2013 (NCA)",
        doc="identified adults who consent to an NRM referral (minors are always referred)")
    rg_weeks: int = param(1, lo=0, hi=520, unit="weeks", source="NRM target: 5 working days")
    rg_positive: float = param(0.8, lo=0, hi=1, source="Home Office NRM statistics",
                               doc="share of reasonable-grounds decisions that are positive")
    cg_min_weeks: int = param(5, lo=0, hi=520, unit="weeks", source="NRM: at least 30 days")
    cg_capacity: float = param(50.0, lo=0, hi=1e6, unit="decisions/week")
    cg_positive: float = param(0.6, lo=0, hi=1, source="Home Office NRM statistics, 2023-24",
                               doc="share of conclusive-grounds decisions that are positive")
    uptake: float = param(0.5, lo=0, hi=1, doc="RG-positive victims who ask for support")
    stay_weeks: int = param(7, lo=1, hi=520, unit="weeks", source="45-day recovery period")
    max_queue_weeks: int = param(4, lo=0, hi=520, unit="weeks",
                                 doc="wait before going without support")
    cost_per_victim_week_gbp: float = param(
        756.0, lo=1e-9, hi=MAX_GBP, unit="GBP",
        source="GBP 2m/year / (378 supported in 2011-12 x 7-week stays)")
    training_half_gbp: float = param(1.0e6, lo=1e-9, hi=MAX_GBP, unit="GBP/year")
    training_max_gain: float = param(1.0, lo=0, hi=100,
                                     doc="largest relative rise in identification")
    retrafficking_supported: float = param(0.001, lo=0, hi=1, unit="1/week")
    retrafficking_unsupported: float = param(0.003, lo=0, hi=1, unit="1/week")
    retrafficking_unidentified: float = param(
        0.003, lo=0, hi=1, unit="1/week",
        doc="survivors who left exploitation unidentified: as unsupported identified victims")
    risk_weeks: int = param(104, lo=0, hi=MAX_WEEKS, unit="weeks",
                            doc="time at risk of re-trafficking")


@dataclass
class Justice:
    charge: float = param(0.67, lo=0, hi=1,
                          source="CPS 2017-18: 239 suspects charged of 355 referred",
                          doc="arrested traffickers who are charged")
    charge_weeks: int = param(26, lo=0, hi=MAX_WEEKS, unit="weeks",
                              doc="from arrest to the charging decision")
    trial_weeks: int = param(78, lo=0, hi=MAX_WEEKS, unit="weeks",
                             source="assumption; CPS 2017-18: nearly 3 years from offence to "
                             "completion", doc="from charge to verdict")
    conviction_base: float = param(0.75, lo=0, hi=100, unit="1",
                                   doc="conviction hazard without witnesses or intelligence")
    witness_weight: float = param(0.3, lo=0, hi=100, unit="1/witness",
                                  doc="rise in the conviction hazard per cooperating victim")
    intel_weight: float = param(0.3, lo=0, hi=100, unit="1/intel",
                                doc="rise in the conviction hazard per unit of NCA intelligence")
    cooperation_supported: float = param(0.6, lo=0, hi=1,
                                         doc="freed victims who testify, if they had support")
    cooperation_unsupported: float = param(0.2, lo=0, hi=1,
                                           doc="freed victims who testify, without support")
    sentence_weeks: int = param(104, lo=0, hi=MAX_WEEKS, unit="weeks",
                                doc="time a convicted trafficker spends in custody")
    deterrence: float = param(2.0, lo=0, hi=1000,
                              doc="how strongly convictions of a source's traffickers lower its "
                              "groups' recruitment and raise what they fear to lose at the border")
    memory: float = param(0.98, lo=0, hi=1, unit="1/week",
                          doc="weekly fading of remembered convictions")


# --- policy: the government's levers, one block per pillar ------------------------------------


@dataclass
class InternationalPolicy:
    prevention_gbp: float = param(0.0, lo=0, hi=MAX_GBP, unit="GBP/year",
                                  doc="awareness work at sources")
    intelligence_sharing: float = param(0.0, lo=0, hi=1, doc="level of sharing with partners")


@dataclass
class BorderPolicy:
    screening: float = param(1.0, lo=0, hi=1000,
                             doc="multiplier of screening capacity at every entry")
    entry: str = param("", doc="one entry point to tighten further ('' for none)")
    entry_screening: float = param(1.0, lo=0, hi=1000, doc="extra multiplier at that entry point")


@dataclass
class EnforcementPolicy:
    nca_units: int = param(4, lo=0, hi=1000, unit="units")
    targeting: str = param("random", doc="one of " + ", ".join(TARGETING_STRATEGIES))


@dataclass
class CarePolicy:
    support_gbp: float = param(2.0e6, lo=0, hi=MAX_GBP, unit="GBP/year", source="the 2011 strategy")
    training_gbp: float = param(0.0, lo=0, hi=MAX_GBP, unit="GBP/year",
                                doc="first-responder training")


@dataclass
class Policy:
    name: str = param("baseline", doc="the scenario's label in results")
    international: InternationalPolicy = field(default_factory=InternationalPolicy)
    border: BorderPolicy = field(default_factory=BorderPolicy)
    enforcement: EnforcementPolicy = field(default_factory=EnforcementPolicy)
    care: CarePolicy = field(default_factory=CarePolicy)


@dataclass
class Analysis:
    """What ``analyse`` reports for a sweep (no effect on a run: not part of a job's
    fingerprint or folder name); empty means the default."""

    outcomes: list[str] = param([], source="analysis setting",
                                doc="columns of runs.parquet to compare (default: "
                                "exploitation, identified, recruited, re-trafficked, "
                                "convicted, identified at the border)")
    reference: str = param("", source="analysis setting",
                           doc="the level the others are compared with (default: "
                           "baseline, else the swept parameter's default, else the first)")
    gains: list[str] = param([], source="analysis setting",
                             doc="columns of runs.parquet whose paired change is priced "
                             "in the cost-effectiveness table (default: identified, "
                             "exploitation, re-trafficked, cost of new victims)")


@dataclass
class Config:
    world: World = REQUIRED  # a file of the world group, e.g. configs/world/uk_2011.yaml
    policy: Policy = field(default_factory=Policy)
    recruitment: Recruitment = field(default_factory=Recruitment)
    groups: Groups = field(default_factory=Groups)
    routes: RouteChoice = field(default_factory=RouteChoice)
    exploitation: Exploitation = field(default_factory=Exploitation)
    international: International = field(default_factory=International)
    border: Border = field(default_factory=Border)
    enforcement: Enforcement = field(default_factory=Enforcement)
    care: Care = field(default_factory=Care)
    justice: Justice = field(default_factory=Justice)
    market: Market = field(default_factory=Market)
    seed: int = param(0, lo=0, hi=2**32 - 1, doc="base seed of the experiment")
    replication: int = param(0, lo=0, hi=2**32 - 1,
                             doc="replication k; the run's seed comes from (seed, k)")
    replications: int = param(1, lo=1, hi=1000, doc="replications an experiment sweeps over")
    sweep: str = param("adhoc", doc="name of the sweep's folder under results/")
    ensemble: str = param("none", source="sweep setting",
                          doc="none, or posterior: in a sweep, replication k runs at draw k of "
                          "the world's posterior (world.calibration), the same draw in every "
                          "scenario")
    analysis: Analysis = field(default_factory=Analysis)
    burn_in_weeks: int = param(260, lo=0, hi=MAX_WEEKS, unit="weeks",
                               doc="status quo before the policy starts: long enough for every "
                               "stock to settle (tests/test_steady_state.py)")
    policy_weeks: int = param(260, lo=0, hi=MAX_WEEKS, unit="weeks")
    max_victims: int = param(10_000_000, lo=1, hi=10**9, unit="victims",
                             doc="a run stops, keeping its weekly series so far, once more "
                             "victims than this have been recruited")


def check_type(checker, key: str, value, override: str) -> None:
    """``value`` converts to ``key``'s type as composition would convert it, checked on a
    structured config of the schema (``checker``) without composing; else ConfigError naming
    the ``override``."""
    from omegaconf import OmegaConf

    try:
        OmegaConf.update(checker, key, value, merge=True)
    except Exception as err:
        raise ConfigError(f"Error merging override {override}; "
                          f"{str(err).splitlines()[0]}") from None


def run_seed(cfg: Config) -> int:
    """The generator seed of replication k: the same in every scenario (common random numbers),
    independent streams for different k."""
    import numpy as np  # here, not at the top: the command line starts without numpy

    return int(np.random.SeedSequence([cfg.seed, cfg.replication]).generate_state(1)[0])


# --- checks ------------------------------------------------------------------------------------


def _fail(key, value, allowed):
    raise ConfigError(f"{key} = {value!r}: {allowed}")


def check_range(key, value, meta):
    lo, hi = meta.get("lo"), meta.get("hi")
    values = value.items() if isinstance(value, dict) else [(None, value)]
    for sub, v in values:
        k = key if sub is None else f"{key}.{sub}"
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            continue
        if not math.isfinite(v):
            _fail(k, v, "must be a finite number")
        if lo is not None and hi is not None and not lo <= v <= hi:
            _fail(k, v, f"must be between {_num(lo)} and {_num(hi)}")
        if lo is not None and v < lo:
            _fail(k, v, f"must be >= {_num(lo)}")
        if hi is not None and v > hi:
            _fail(k, v, f"must be <= {_num(hi)}")


def _num(x) -> str:
    """A bound as people write it: 0, 1, 5200, 1e+12."""
    return str(x) if isinstance(x, int) else f"{x:g}"


def check_value(key: str, value) -> None:
    """One parameter's value against its schema range (ConfigError if outside), before any
    config is composed; keys of the world, and keys not in the schema, are left to validate."""
    cls, parts = Config, key.split(".")
    for i, name in enumerate(parts):
        found = {f.name: f for f in fields(cls)}.get(name)
        if found is None or name == "world":
            return
        if is_dataclass(found.type):
            cls = found.type  # type: ignore[assignment]
            continue
        rest = len(parts) - i - 1
        if rest == 0 or (rest == 1 and str(found.type).startswith("dict")):
            if found.type is float or str(found.type).endswith("float]"):
                value = float(value)  # as composition will give it
            check_range(key, value, found.metadata)
        return


def _check_fields(obj, prefix=""):
    for f in fields(obj):
        key, value = f"{prefix}{f.name}", getattr(obj, f.name)
        if is_dataclass(value):
            _check_fields(value, key + ".")
        elif isinstance(value, dict) and value and all(is_dataclass(v) for v in value.values()):
            for name, item in value.items():
                _check_fields(item, f"{key}.{name}.")
        elif isinstance(value, list) and value and all(is_dataclass(v) for v in value):
            for i, item in enumerate(value):
                _check_fields(item, f"{key}[{i}].")
        else:
            check_range(key, value, f.metadata)


def _check_by_type(key, mix):
    unknown = set(mix) - set(EXPLOITATION_TYPES)
    if unknown:
        _fail(f"{key}.{sorted(unknown)[0]}", mix[sorted(unknown)[0]],
              "exploitation types are " + ", ".join(EXPLOITATION_TYPES))
    if sum(mix.values()) <= 0:
        _fail(key, mix, "needs a positive weight for at least one exploitation type")


def _check_sizes(cfg: Config) -> None:
    """The world's size and the run's length against what one core can run in minutes."""
    w = cfg.world
    for key, items in (("sources", w.sources), ("transit", w.transit),
                       ("entry_points", w.entry_points), ("regions", w.regions)):
        if len(items) > MAX_PLACES:
            _fail(f"world.{key}", f"{len(items)} places", f"at most {MAX_PLACES}")
    if len(w.routes) > MAX_ROUTES:
        _fail("world.routes", f"{len(w.routes)} routes", f"at most {MAX_ROUTES}")
    g = cfg.groups
    groups = sum(s.groups for s in w.sources.values())
    weeks = cfg.burn_in_weeks + cfg.policy_weeks
    members = groups * (g.recruiters + g.transporters + g.controllers)
    if members > MAX_MEMBERS:
        _fail("world.sources.*.groups x groups.recruiters+transporters+controllers",
              members, f"at most {MAX_MEMBERS:,} traffickers")
    victim_weeks = groups * g.controllers * g.span * weeks
    if victim_weeks > MAX_VICTIM_WEEKS:
        _fail("world.sources.*.groups x groups.controllers x groups.span x weeks",
              f"{victim_weeks:.3g} victim-weeks",
              f"at most {MAX_VICTIM_WEEKS:.0e} (shorten burn_in_weeks or policy_weeks, or "
              "shrink the groups)")
    if groups * weeks > MAX_GROUP_WEEKS:
        _fail("world.sources.*.groups x weeks", f"{groups * weeks:.3g} group-weeks",
              f"at most {MAX_GROUP_WEEKS:.0e}")


def validate(cfg: Config) -> Config:
    """Check every value and the world's structure; return ``cfg`` or raise ConfigError."""
    _check_fields(cfg)
    w = cfg.world
    if not w.sources or not w.regions:
        _fail("world", w.name, "needs at least one source and one region")
    _check_sizes(cfg)
    if cfg.ensemble not in ENSEMBLES:
        _fail("ensemble", cfg.ensemble, f"one of {', '.join(ENSEMBLES)}")
    if not cfg.sweep or cfg.sweep.strip(".") == "" or any(c in cfg.sweep for c in "/\\\0"):
        _fail("sweep", cfg.sweep, "a folder name under results/ (no / or \\, not . or ..)")
    for name, s in w.sources.items():
        _check_by_type(f"world.sources.{name}.exploitation", s.exploitation)
        if abs(sum(s.exploitation.values()) - 1) > 1e-6:
            _fail(f"world.sources.{name}.exploitation", s.exploitation, "shares must sum to 1")
    for name, r in w.regions.items():
        _check_by_type(f"world.regions.{name}.demand", r.demand)
    for name, e in w.entry_points.items():
        if e.mode not in ENTRY_MODES:
            _fail(f"world.entry_points.{name}.mode", e.mode, "one of " + ", ".join(ENTRY_MODES))
    for key in ("groups.revenue_gbp", "exploitation.identification"):
        section, attr = key.split(".")
        missing = set(EXPLOITATION_TYPES) - set(getattr(getattr(cfg, section), attr))
        if missing:
            _fail(key, getattr(getattr(cfg, section), attr),
                  "needs a value for every type: " + ", ".join(EXPLOITATION_TYPES))
    names = [*w.sources, *w.transit, *w.entry_points, *w.regions]
    if len(set(names)) != len(names):
        dup = next(n for n in names if names.count(n) > 1)
        _fail("world", dup, "every place needs a unique name")
    for i, route in enumerate(w.routes):
        for end in ("origin", "destination"):
            if getattr(route, end) not in names:
                _fail(f"world.routes[{i}].{end}", getattr(route, end),
                      "must name a place of the world")
    p = cfg.policy
    if cfg.routes.learning not in ROUTE_LEARNING:
        _fail("routes.learning", cfg.routes.learning, "one of " + ", ".join(ROUTE_LEARNING))
    if cfg.groups.recruitment not in RECRUITMENT_MECHANISMS:
        _fail("groups.recruitment", cfg.groups.recruitment,
              "one of " + ", ".join(RECRUITMENT_MECHANISMS))
    if p.enforcement.targeting not in TARGETING_STRATEGIES:
        _fail("policy.enforcement.targeting", p.enforcement.targeting,
              "one of " + ", ".join(TARGETING_STRATEGIES))
    if p.border.entry and p.border.entry not in w.entry_points:
        _fail("policy.border.entry", p.border.entry,
              "'' or an entry point of the world: " + ", ".join(w.entry_points))
    from sim.world import route_network  # the route check needs the graph

    route_network(w, cfg.routes.paths)
    from sim.history import check_history  # the dated events need the schema's keys

    check_history(cfg)
    return cfg


def schema_rows(cls=Config, prefix=""):
    """(key, default, range, unit, source, meaning) for every mechanism and policy parameter."""
    for f in fields(cls):
        key = prefix + f.name
        if f.name == "world":  # the world's fields are described with its files
            continue
        if is_dataclass(f.type):
            yield from schema_rows(f.type, key + ".")
            continue
        m = f.metadata
        default = f.default if f.default is not MISSING else f.default_factory()  # type: ignore[operator]
        lo, hi = m.get("lo"), m.get("hi")
        rng = (f"[{_num(lo)}, {_num(hi)}]" if hi is not None
               else (f">= {_num(lo)}" if lo is not None else ""))
        yield key, default, rng, m.get("unit", ""), m.get("source", ""), m.get("doc", "")
