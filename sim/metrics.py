"""What a run reports: one row of counts a week, and a summary of the policy period."""

import pandas as pd

from sim.agents.victim import State
from sim.pillars import PILLARS

CHANNELS = ("border", "nca", "first_responder")
EVENTS = ("recruited", "retrafficked", "escaped", "identified_domestic", "nrm_referrals",
          "rg_decisions", "rg_positive",
          "cg_decisions", "cg_positive", "support_admissions", "support_refused",
          "went_unsupported", "traffickers_arrested", "groups_dismantled", "groups_formed",
          "operations", "operations_succeeded", "revenue_gbp", "exploitation_weeks")


def observe(model) -> dict:
    """The week's row: victims by state, the week's events, groups, places and spending."""
    tally = model.tally
    row = {"week": model.steps, "policy_in_force": int(model.steps >= model.policy_week)}
    row |= {f"victims_{state.label}": model.count(state) for state in State}
    row |= {name: tally[name] for name in EVENTS}
    row["victim_weeks_total"] = model.totals["exploitation_weeks"]  # cumulative harm measure
    row |= {f"identified_{c}": tally[f"identified_{c}"] for c in CHANNELS}
    row["identified"] = sum(row[f"identified_{c}"] for c in CHANNELS)
    for entry in model.checkpoints:
        row[f"crossings_{entry}"] = tally[f"crossings_{entry}"]
        row[f"detections_{entry}"] = tally[f"detections_{entry}"]
    row["cg_backlog"] = len(model.nrm.backlog)
    row["support_places"] = model.levers.support_places
    row["groups_active"] = sum(g.active for g in model.crime.groups)
    row["traffickers_active"] = model.crime.network.number_of_nodes()
    row |= {f"spend_{p}_gbp": model.levers.annual_cost_gbp[p] / 52 for p in PILLARS}
    return row


def column(name: str, model):
    """A DataCollector reporter: the ``name`` entry of the model's current row."""
    return model.row[name]


def summary(model) -> dict:
    """Final metrics over the policy period: totals, yearly rates, means, end states, costs."""
    df = model.datacollector.get_model_vars_dataframe()
    policy = df[df["policy_in_force"] == 1]
    years = len(policy) / 52 if len(policy) else float("nan")
    cfg = model.cfg
    out = {"policy_name": cfg.policy.name, "world_name": cfg.world.name, "weeks": int(model.steps),
           "policy_weeks": len(policy)}
    per_year = [*EVENTS, "identified", *(f"identified_{c}" for c in CHANNELS),
                *(c for c in df.columns if c.startswith(("crossings_", "detections_")))]
    for name in per_year:
        out[f"{name}_per_year"] = float(policy[name].sum() / years)
    out["victim_weeks"] = float(policy["exploitation_weeks"].sum())
    out["harm_gbp"] = float((policy["recruited"].sum() + policy["retrafficked"].sum())
                            * cfg.exploitation.harm_gbp)
    for state in State:
        col = f"victims_{state.label}"
        out[f"{col}_mean"] = float(policy[col].mean())
        out[f"{col}_end"] = int(df[col].iloc[-1]) if len(df) else 0
    exploited = out["victims_exploited_mean"]
    out["known_share"] = out["identified_per_year"] / exploited if exploited else float("nan")
    identified = out["identified_per_year"]
    out["retrafficked_per_identified"] = (out["retrafficked_per_year"] / identified
                                          if identified else float("nan"))
    out["identified_domestic_share"] = (out["identified_domestic_per_year"] / identified
                                        if identified else float("nan"))
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
