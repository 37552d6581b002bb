"""What a run reports: one row of counts a week, and a summary of the policy period.

Definitions (also in docs/ODD.md, section 8):

- ``identified``: victims identified in the week by any channel (border, NCA, first
  responders); ``nrm_referrals``: those of them referred to the NRM (minors always, adults who
  consent); ``victims_awaiting_rg`` is the stock of referred victims awaiting a decision.
- ``exploitation_weeks``: victim-weeks of exploitation, the headline measure of harm.
- ``retrafficked``: survivors trafficked again (identified or not); per 1,000 survivors at
  risk, it is ``retrafficked_per_1000_survivors``.
- ``exploited_in_year``: distinct victims exploited at some time in the (52-week) year so
  far; at the year's last week it is the annual prevalence that the Home Office estimate of
  10,000-13,000 victims in 2013 counts.
- ``new_victims_cost_gbp_per_year``: people newly recruited in a year times the Home Office
  cost per victim (GBP 329,000); re-trafficking is not counted twice.
"""

import pandas as pd

from sim.agents.victim import State
from sim.config import EXPLOITATION_TYPES
from sim.history import calendar
from sim.pillars import PILLARS

CHANNELS = ("border", "nca", "first_responder")
EVENTS = ("recruited", "retrafficked", "escaped", "identified_domestic", "nrm_referrals",
          "nrm_referrals_minor", "nrm_referrals_domestic", "rg_decisions", "rg_positive",
          "cg_decisions", "cg_positive", "support_admissions", "support_refused",
          "went_unsupported", "traffickers_arrested", "charges", "convictions",
          "weeks_to_conviction", "groups_dismantled", "groups_formed", "groups_exited",
          "operations", "operations_succeeded", "revenue_gbp", "exploitation_weeks")
FINAL_YEAR = ("identified", "recruited", "retrafficked", "exploitation_weeks", "nrm_referrals",
              "convictions")


def observe(model) -> dict:
    """The week's row: victims by state, the week's events, groups, places and spending."""
    tally = model.tally
    row = {"week": model.steps}
    if model.cfg.world.start_year:  # a dated world
        row["year"], row["week_of_year"] = calendar(model.cfg, model.steps)
    row["policy_in_force"] = int(model.steps >= model.policy_week)
    row |= {f"victims_{state.label}": model.count(state) for state in State}
    row |= {name: tally[name] for name in EVENTS}
    for t in EXPLOITATION_TYPES:
        row[f"nrm_referrals_type_{t}"] = tally[f"nrm_referrals_type_{t}"]
    for source in model.cfg.world.sources:
        row[f"nrm_referrals_source_{source}"] = tally[f"nrm_referrals_source_{source}"]
    row["victim_weeks_total"] = model.totals["exploitation_weeks"]  # cumulative harm measure
    row |= {f"identified_{c}": tally[f"identified_{c}"] for c in CHANNELS}
    row["identified"] = sum(row[f"identified_{c}"] for c in CHANNELS)
    for entry in model.checkpoints:
        row[f"crossings_{entry}"] = tally[f"crossings_{entry}"]
        row[f"detections_{entry}"] = tally[f"detections_{entry}"]
    row["survivors_at_risk"] = sum(len(pool) for pool, _ in model.survivors_at_risk())
    row["exploited_in_year"] = model.exploited_in_year
    row["cg_backlog"] = len(model.nrm.backlog)
    row["support_places"] = model.levers.support_places
    row["groups_active"] = sum(len(groups) for groups in model.crime.active_at.values())
    row["traffickers_active"] = model.crime.network.number_of_nodes()
    row |= {f"spend_{p}_gbp": model.levers.annual_cost_gbp[p] / 52 for p in PILLARS}
    return row


def column(name: str, model):
    """A DataCollector reporter: the ``name`` entry of the model's current row."""
    return model.row[name]


def ratio(a: float, b: float) -> float:
    return a / b if b else float("nan")


def summary(model) -> dict:
    """Final metrics over the policy period: totals, yearly rates, means, end states, costs,
    and the last policy year beside the period's mean."""
    df = model.datacollector.get_model_vars_dataframe()
    policy = df[df["policy_in_force"] == 1]
    years = len(policy) / 52 if len(policy) else float("nan")
    cfg = model.cfg
    out = {"policy_name": cfg.policy.name, "world_name": cfg.world.name, "weeks": int(model.steps),
           "policy_weeks": len(policy), "recruitment_mechanism": cfg.groups.recruitment}
    per_year = [*EVENTS, "identified", *(f"identified_{c}" for c in CHANNELS),
                *(c for c in df.columns if c.startswith(("crossings_", "detections_")))]
    for name in per_year:
        out[f"{name}_per_year"] = float(policy[name].sum() / years)
    last = policy.tail(52) if len(policy) >= 52 else policy.iloc[0:0]
    for name in FINAL_YEAR:
        out[f"{name}_final_year"] = float(last[name].sum()) if len(last) else float("nan")
    out["victim_weeks"] = float(policy["exploitation_weeks"].sum())
    out["new_victims_cost_gbp_per_year"] = out["recruited_per_year"] * cfg.exploitation.harm_gbp
    for state in State:
        col = f"victims_{state.label}"
        out[f"{col}_mean"] = float(policy[col].mean())
        out[f"{col}_end"] = int(df[col].iloc[-1]) if len(df) else 0
    out["victims_exploited_final_year_mean"] = (float(last["victims_exploited"].mean())
                                                if len(last) else float("nan"))
    year_ends = policy[policy["week"] % 52 == 0]["exploited_in_year"]
    out["prevalence_per_year"] = float(year_ends.mean()) if len(year_ends) else float("nan")
    out["known_share"] = ratio(out["identified_per_year"], out["prevalence_per_year"])
    out["survivors_at_risk_mean"] = float(policy["survivors_at_risk"].mean())
    out["retrafficked_per_1000_survivors"] = 1000 * ratio(out["retrafficked_per_year"],
                                                          out["survivors_at_risk_mean"])
    identified, referred = out["identified_per_year"], out["nrm_referrals_per_year"]
    out["retrafficked_per_identified"] = ratio(out["retrafficked_per_year"], identified)
    out["identified_domestic_share"] = ratio(out["identified_domestic_per_year"], identified)
    out["referred_domestic_share"] = ratio(out["nrm_referrals_domestic_per_year"], referred)
    out["referred_minor_share"] = ratio(out["nrm_referrals_minor_per_year"], referred)
    out["weeks_to_conviction_mean"] = ratio(out.pop("weeks_to_conviction_per_year"),
                                            out["convictions_per_year"])
    for name in ("groups_active", "traffickers_active"):
        out[f"{name}_mean"] = float(policy[name].mean())
        out[f"{name}_end"] = int(df[name].iloc[-1]) if len(df) else 0
    out["cg_backlog_end"] = int(df["cg_backlog"].iloc[-1]) if len(df) else 0
    for p in PILLARS:
        out[f"annual_cost_{p}_gbp"] = model.levers.annual_cost_gbp[p]
    out["annual_cost_gbp"] = sum(model.levers.annual_cost_gbp.values())
    out["victims_created"] = model.victims_created
    return out


def timeseries(model) -> pd.DataFrame:
    return model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
