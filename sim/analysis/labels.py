"""Names, units and colours as a reader says and sees them, in one place: every table, figure
and sentence of an analysis takes its words from here.

- an outcome (a column of runs.parquet) has a label, a unit, a direction (is more better?)
  and the words for a change in it; columns not listed get a label made from their name;
- a swept parameter has a name and a way of writing its levels (GBP 4m, 16x, 8 units);
- a scenario has a readable name and a colour that is the same in every figure of every
  sweep: named policies and strategies from a fixed table, numeric levels from a fixed scale
  of their value, anything else from a hash of its name.
"""

import zlib
from dataclasses import dataclass

import numpy as np
from omegaconf import OmegaConf

PER_YEAR = "a year"


@dataclass(frozen=True)
class Outcome:
    label: str  # a reader's name for it: "Re-trafficked"
    unit: str  # "victims a year"
    better: int = 0  # +1 if more is better, -1 if less is, 0 if neither
    more: str = ""  # words for a rise: "adds {} re-traffickings a year"
    less: str = ""  # words for a fall: "averts {} re-traffickings a year"
    gloss: str = ""  # what the unit means, when it is not obvious
    gain: str = ""  # what is bought, for the cost-effectiveness table: "re-trafficking averted"


EXPLOITATION_GLOSS = ("victim-weeks: one person exploited for one week; 52 victim-weeks = one "
                      "person exploited for a whole year")
HARM_GLOSS = "Home Office cost per victim, GBP 329,000 (Research Report 100)"

OUTCOMES: dict[str, Outcome] = {
    "exploitation_weeks_per_year": Outcome(
        "Exploitation", "victim-weeks a year", -1,
        "adds {} victim-weeks of exploitation a year", "averts {} victim-weeks of exploitation "
        "a year", EXPLOITATION_GLOSS, "victim-weeks of exploitation averted"),
    "identified_per_year": Outcome(
        "Victims identified", "victims a year", 1, "identifies {} more victims a year",
        "identifies {} fewer victims a year", gain="extra victims identified"),
    "recruited_per_year": Outcome(
        "Newly recruited", "victims a year", -1, "{} more people recruited a year",
        "{} fewer people recruited a year", gain="recruitment averted"),
    "retrafficked_per_year": Outcome(
        "Re-trafficked", "survivors a year", -1, "adds {} re-traffickings a year",
        "averts {} re-traffickings a year",
        "survivors trafficked again, identified or not", "re-trafficking averted"),
    "convictions_per_year": Outcome(
        "Traffickers convicted", "people a year", 1, "convicts {} more traffickers a year",
        "convicts {} fewer traffickers a year", gain="extra convictions"),
    "identified_border_per_year": Outcome(
        "Identified at the border", "victims a year", 1,
        "identifies {} more victims at the border a year",
        "identifies {} fewer victims at the border a year",
        gain="extra victims identified at the border"),
    "prevalence_per_year": Outcome(
        "Exploited at some time in a year", "victims", -1,
        "{} more people exploited at some time in a year",
        "{} fewer people exploited at some time in a year",
        "what the Home Office estimate of 10,000-13,000 victims in 2013 counts",
        "fewer people exploited"),
    "retrafficked_per_1000_survivors": Outcome(
        "Re-trafficked per 1,000 survivors at risk", "per 1,000 a year", -1,
        "raises the re-trafficking risk by {} per 1,000 survivors a year",
        "lowers the re-trafficking risk by {} per 1,000 survivors a year",
        gain="re-trafficking risk averted"),
    "retrafficked_per_identified": Outcome(
        "Re-trafficked per victim identified", "ratio", 0,
        gloss="not an effect measure: its denominator moves with the policy"),
    "nrm_referrals_per_year": Outcome(
        "NRM referrals", "victims a year", 1, "refers {} more victims to the NRM a year",
        "refers {} fewer victims to the NRM a year", gain="extra NRM referrals"),
    "support_admissions_per_year": Outcome(
        "Admitted to support", "victims a year", 1, "admits {} more victims to support a year",
        "admits {} fewer victims to support a year", gain="extra victims supported"),
    "went_unsupported_per_year": Outcome(
        "Left the support queue unsupported", "victims a year", -1,
        "{} more victims leave the support queue unsupported a year",
        "{} fewer victims leave the support queue unsupported a year",
        gain="victims spared leaving unsupported"),
    "support_refused_per_year": Outcome(
        "Refused support", "victims a year", 0, "{} more victims refuse support a year",
        "{} fewer victims refuse support a year"),
    "victims_support_queue_mean": Outcome(
        "Waiting for a support place", "victims (mean)", -1,
        "{} more victims waiting for support", "{} fewer victims waiting for support"),
    "victims_in_support_mean": Outcome("In support", "victims (mean)", 1,
                                       "{} more victims in support", "{} fewer victims in support"),
    "traffickers_arrested_per_year": Outcome(
        "Traffickers arrested", "people a year", 1, "arrests {} more traffickers a year",
        "arrests {} fewer traffickers a year", gain="extra arrests"),
    "charges_per_year": Outcome(
        "Traffickers charged", "people a year", 1, "charges {} more traffickers a year",
        "charges {} fewer traffickers a year", gain="extra charges"),
    "groups_dismantled_per_year": Outcome(
        "Groups dismantled", "groups a year", 1, "dismantles {} more groups a year",
        "dismantles {} fewer groups a year", gain="extra groups dismantled"),
    "new_victims_cost_gbp_per_year": Outcome(
        "Cost of new victims", "GBP a year", -1, "adds GBP {} of harm to new victims a year",
        "averts GBP {} of harm to new victims a year", HARM_GLOSS, "harm to new victims averted"),
    "exploitation_weeks_final_year": Outcome(
        "Exploitation in the last policy year", "victim-weeks", -1,
        "adds {} victim-weeks of exploitation in the last year",
        "averts {} victim-weeks of exploitation in the last year", EXPLOITATION_GLOSS,
        "victim-weeks averted in the last year"),
    "victims_exploited_mean": Outcome(
        "Victims in exploitation", "victims (mean)", -1, "{} more victims in exploitation",
        "{} fewer victims in exploitation"),
    "known_share": Outcome("Share of victims identified", "share", 1),
    "annual_cost_gbp": Outcome("Annual cost", "GBP a year", 0),
}

DEFAULT_OUTCOMES = ("exploitation_weeks_per_year", "identified_per_year", "recruited_per_year",
                    "retrafficked_per_year", "convictions_per_year", "identified_border_per_year")
REPORTED = (*DEFAULT_OUTCOMES, "prevalence_per_year", "retrafficked_per_1000_survivors",
            "retrafficked_per_identified", "nrm_referrals_per_year",
            "traffickers_arrested_per_year", "charges_per_year", "groups_dismantled_per_year",
            "new_victims_cost_gbp_per_year", "exploitation_weeks_final_year",
            "support_admissions_per_year", "went_unsupported_per_year")
DEFAULT_GAINS = ("identified_per_year", "exploitation_weeks_per_year", "retrafficked_per_year",
                 "new_victims_cost_gbp_per_year")

WORDS = {"gbp": "GBP", "nrm": "NRM", "nca": "NCA", "rg": "reasonable-grounds",
         "cg": "conclusive-grounds", "cta": "CTA"}


def outcome(key: str) -> Outcome:
    """The outcome of a column: from the table above, else its name made readable
    (``support_refused_per_year`` -> "Support refused", "a year")."""
    if key in OUTCOMES:
        return OUTCOMES[key]
    name, unit = key, ""
    for suffix, said in (("_per_year", PER_YEAR), ("_final_year", "in the last policy year"),
                         ("_mean", "mean over the policy period"), ("_end", "at the end")):
        if name.endswith(suffix):
            name, unit = name.removesuffix(suffix), said
            break
    words = [WORDS.get(w, w) for w in name.split("_")]
    if words and words[-1] == "GBP":
        words, unit = words[:-1], f"GBP {unit}".strip()
    text = " ".join(words)
    return Outcome(text[:1].upper() + text[1:], unit)


def gain_label(key: str) -> str:
    """What a gain in ``key`` is called: "re-trafficking averted"."""
    o = outcome(key)
    if o.gain:
        return o.gain
    return f"{o.label.lower()} {'averted' if o.better < 0 else 'gained'}"


HEADLINE = ("exploitation_weeks_per_year", "identified_per_year", "recruited_per_year",
            "retrafficked_per_year", "convictions_per_year", "annual_cost_gbp")


def headline(metrics: dict) -> str:
    """A run's headline numbers, a line each, as a single run prints them."""
    weeks = metrics.get("policy_weeks", 0)
    lines = [f"over the policy period ({period(int(weeks))}), a year:"]
    for key in HEADLINE:
        value = metrics.get(key)
        if value is None or not np.isfinite(value):
            continue
        o = outcome(key)
        shown = gbp(value) if "GBP" in o.unit else f"{value:,.0f}"
        unit = "" if "GBP" in o.unit else o.unit.removesuffix(" a year")
        lines.append(f"  {o.label:<24} {shown} {unit}".rstrip())
    return "\n".join(lines)


# --- swept parameters and their levels ---------------------------------------------------------


@dataclass(frozen=True)
class Factor:
    name: str  # "victim-support funding"
    kind: str = ""  # gbp, times, count, or "" (as is)
    unit: str = ""  # what the axis shows


FACTORS = {
    "policy": Factor("policy"),
    "policy.care.support_gbp": Factor("victim-support funding", "gbp", "GBP a year"),
    "policy.care.training_gbp": Factor("first-responder training", "gbp", "GBP a year"),
    "policy.international.prevention_gbp": Factor("prevention abroad", "gbp", "GBP a year"),
    "policy.international.intelligence_sharing": Factor("intelligence sharing", "", "level"),
    "policy.border.screening": Factor("screening at every entry point", "times",
                                      "times today's capacity"),
    "policy.border.entry_screening": Factor("screening at the tightened entry point", "times",
                                            "times today's capacity"),
    "policy.enforcement.nca_units": Factor("NCA units", "count", "units"),
    "policy.enforcement.targeting": Factor("NCA targeting"),
    "groups.recruitment": Factor("how crime groups recruit"),
}

SCENARIOS = {  # named levels: how a reader says them
    "baseline": "Baseline (2011 status quo)",
    "prevention": "Prevention + intelligence sharing",
    "border": "Border: +25% screening",
    "enforcement": "Enforcement: 8 NCA units",
    "victim_support": "Victim support + training",
    "strategy_2011": "2011 strategy (all four)",
    "strategy_2011_no_international": "2011 strategy without international action",
    "strategy_2011_no_border": "2011 strategy without the border",
    "strategy_2011_no_enforcement": "2011 strategy without enforcement",
    "strategy_2011_no_care": "2011 strategy without training",
    "budget_prevention": "GBP 6m on prevention",
    "budget_border": "GBP 6m on the border",
    "budget_enforcement": "GBP 6m on enforcement",
    "budget_care": "GBP 6m on care",
    "random": "Random targets",
    "largest": "Largest groups first",
    "central": "Most central first",
    "leader_first": "Leaders first",
    "capacity": "Fixed capacity",
    "market": "Market recruitment",
}


def factor(key) -> Factor:
    if key in FACTORS:
        return FACTORS[key]
    text = str(key or "scenario").rsplit(".", 1)[-1].replace("_", " ")
    return Factor(text, "gbp" if str(key).endswith("_gbp") else "")


def gbp(value: float) -> str:
    """GBP as a reader writes it: GBP 4m, GBP 36k, GBP 950."""
    sign = "-" if value < 0 else ""
    value = abs(value)
    for size, suffix in ((1e9, "bn"), (1e6, "m"), (1e3, "k")):
        if value >= size:
            return f"{sign}GBP {value / size:.3g}{suffix}"
    return f"{sign}GBP {value:.3g}"


def short(value: float) -> str:
    """A number as people write it: 4m, 250k, 1.5."""
    for size, suffix in ((1e6, "m"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:g}{suffix}"
    return f"{value:g}"


def level_label(key, level) -> str:
    """A level of the swept parameter as a reader says it."""
    if isinstance(level, str):
        return SCENARIOS.get(level, level)
    f = factor(key)
    if f.kind == "gbp":
        return gbp(level)
    if f.kind == "times":
        return f"{level:g}x"
    if f.kind == "count":
        return f"{level:g} {f.unit}".strip()
    return short(level)


def period(weeks: int) -> str:
    """52 weeks as "1 year", 260 as "5 years", 30 as "30 weeks"."""
    if weeks and weeks % 52 == 0:
        return f"{weeks // 52} year{'s' * (weeks != 52)}"
    return f"{weeks} week{'s' * (weeks != 1)}"


def caption(runs) -> str:
    """World, replications and period of a sweep, for every figure and the report."""
    world = ", ".join(sorted(map(str, runs["world_name"].unique()))) if (
        "world_name" in runs) else "?"
    n = int(runs.groupby("scenario").size().min())
    text = f"{world} world; {n} paired replication{'s' * (n != 1)} per scenario"
    if "policy_weeks" in runs and "weeks" in runs:
        policy = int(runs["policy_weeks"].median())
        burn = int((runs["weeks"] - runs["policy_weeks"]).median())
        text += f"; {period(policy)} of policy after {period(burn)} of burn-in"
    mechanisms = runs["recruitment_mechanism"].unique() if (
        "recruitment_mechanism" in runs) else []
    if len(mechanisms) == 1 and mechanisms[0] != "capacity":
        text += f"; groups recruit by {mechanisms[0]}"
    return text


# --- colours -----------------------------------------------------------------------------------

# Okabe & Ito (2008): distinguishable with the common colour-vision deficiencies
PALETTE = ["#000000", "#E69F00", "#56B4E9", "#009E73", "#0072B2", "#D55E00", "#CC79A7",
           "#F0E442"]
OTHERS = ["#CC79A7", "#882255", "#44AA99", "#999933", "#AA4499", "#6699CC", "#888888"]
COLOURS = {
    "baseline": "#000000", "prevention": "#009E73", "budget_prevention": "#009E73",
    "border": "#56B4E9", "budget_border": "#56B4E9", "enforcement": "#0072B2",
    "budget_enforcement": "#0072B2", "victim_support": "#E69F00", "budget_care": "#E69F00",
    "strategy_2011": "#D55E00", "random": "#000000", "largest": "#E69F00",
    "central": "#56B4E9", "leader_first": "#CC79A7", "capacity": "#000000", "market": "#D55E00",
    # the 2011 strategy without one pillar: the colour of the pillar left out
    "strategy_2011_no_international": "#009E73", "strategy_2011_no_border": "#56B4E9",
    "strategy_2011_no_enforcement": "#0072B2", "strategy_2011_no_care": "#E69F00",
}


def default_of(key):
    """The schema's default of a parameter (None if it has none)."""
    from sim.config import Config

    try:
        return OmegaConf.select(OmegaConf.structured(Config), str(key))
    except Exception:
        return None


def colour(key, level) -> str:
    """A scenario's colour, the same in every figure and every sweep: named levels from a
    table (else a hash of the name), numeric levels from a fixed scale of their value
    against the parameter's default (zero lightest, 16 times the default darkest)."""
    if isinstance(level, str):
        return COLOURS.get(level) or OTHERS[zlib.crc32(level.encode()) % len(OTHERS)]
    default = default_of(key)
    scale = float(default) if isinstance(default, (int, float)) and default else 1.0
    position = float(np.arcsinh(float(level) / scale) / np.arcsinh(16))
    from matplotlib import colormaps  # here: a single run's headline needs no plotting stack

    rgba = colormaps["viridis_r"](0.1 + 0.85 * min(max(position, 0.0), 1.0))
    return "#{:02x}{:02x}{:02x}".format(*(round(255 * c) for c in rgba[:3]))
