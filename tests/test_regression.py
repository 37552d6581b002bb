"""The numbers of a few small runs, pinned: a change of the model's behaviour shows here.

A change meant to alter behaviour updates the pinned numbers on purpose, in the same commit,
with ``python tests/test_regression.py`` (and says so in the commit message).
"""

import json
import math
from pathlib import Path

import pytest
from helpers import run, toy

from sim.metrics import summary

PINNED = Path(__file__).parent / "data" / "regression.json"
CASES = {
    "strategy_central": ["policy=strategy_2011", "policy.enforcement.targeting=central",
                         "policy.care.support_gbp=300000"],
    "enforcement_leader_first": ["policy=enforcement", "policy.enforcement.nca_units=8",
                                 "policy.enforcement.targeting=leader_first"],
    "border_largest": ["policy=border", "policy.enforcement.targeting=largest",
                       "policy.border.entry=port", "policy.border.entry_screening=5"],
}


def measure(name: str) -> dict:
    return summary(run(toy(*CASES[name], "burn_in_weeks=52", "policy_weeks=104"), seed=3))


def same(a, b) -> bool:
    return a == b or (isinstance(a, float) and isinstance(b, float) and math.isnan(a)
                      and math.isnan(b))


@pytest.mark.parametrize("name", CASES)
def test_pinned_runs_give_the_same_numbers(name):
    pinned = json.loads(PINNED.read_text())[name]
    now = measure(name)
    assert now.keys() == pinned.keys()
    changed = {k: (pinned[k], now[k]) for k in now if not same(now[k], pinned[k])}
    assert not changed, f"behaviour changed (pinned, now): {changed}"


if __name__ == "__main__":
    PINNED.write_text(json.dumps({name: measure(name) for name in CASES}, indent=1) + "\n")
    print(f"pinned {len(CASES)} runs in {PINNED}")
