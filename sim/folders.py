"""What a job's folder holds and what it is called (kept apart from :mod:`sim.runs` so that
the command line starts without the simulation and table stack)."""

import hashlib

SUMMARY = "summary.json"
SERIES = "timeseries.parquet"
YEARS = "years.parquet"  # one row per year of the policy period (sim/years.py)
ERROR = "error.txt"  # a job that could not run: its first line says why
PARTICLES = "particles.json"  # a calibration round's design (sim/calibrate.py), at its root
DESIGN = "design.json"  # a sensitivity design (sim/sensitivity.py) or an ensemble (sim/ensemble.py)


def job_dirname(overrides: str) -> str:
    """A job's folder name: its overrides, made safe and short. Path separators and ``..``
    cannot leave the sweep's folder, and a name too long for a file system is cut; either way
    a hash of the overrides keeps names distinct (the full overrides are in the folder's
    .hydra/overrides.yaml)."""
    safe = overrides.replace("/", "_").replace("\\", "_").replace("\0", "_").replace("..", "_.")
    if safe == overrides and len(overrides.encode()) <= 120 and overrides not in (".", ".."):
        return overrides
    digest = hashlib.sha256(overrides.encode()).hexdigest()[:12]
    safe = safe[:80]
    while len(safe.encode()) > 80:  # many-byte characters
        safe = safe[:-1]
    return f"{safe}-{digest}".lstrip(".")
