"""Backtest of a KPI's trajectory (feedback/metrics/trajectory.py): hold out the last 13 weeks
of a weekly series, project them from the weeks before, and score the projection.

Series: simulated ones (NPS, CSAT and CES weeks sampled from a true underlying rate that is
flat, trends, shifts, wiggles or is sparsely answered, n from 0 to about 40 a week) and the
demo workspace's NPS, CSAT, PSAT and CES, seeded into fresh SQLite files. For each method:
the share of held-out weekly figures inside the 80% interval (target 0.70 to 0.90), the mean
absolute error of the projection against the naive last value (target: not worse), as a share
of the KPI's range, how often a flat series is called a trend and a planted trend is found,
and the time per fit (target: p95 under 50 ms). The targets are checked for the default
method, over all the series and over the simulated and the demo ones each. Last line: one
JSON object; exit 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import secrets
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from feedback.metrics.trajectory import (  # noqa: E402
    CONFIDENCE,
    DEFAULT,
    HORIZON,
    Method,
    Point,
    Week,
    project,
)

BOUNDS = {"nps": (-100.0, 100.0), "csat": (0.0, 100.0), "psat": (0.0, 100.0), "ces": (1.0, 7.0)}
# How far a simulated truth moves, per kind: NPS points, percentage points, CES points.
UNIT = {"nps": 1.0, "csat": 0.6, "ces": 0.025}
SCENARIOS = ("flat", "trend", "shift", "wiggle", "sparse")
WEEKS = 39  # 26 to fit, 13 held out
FIRST = date(2025, 6, 2)
COVERAGE = (0.70, 0.90)
FIT_MS = 50.0
Z95 = 1.959964


@dataclass
class Series:
    source: str  # "sim:<scenario>" or "demo"
    kind: str
    weeks: list[Week]
    trend: bool | None = None  # a planted trend (True), a flat truth (False), or unknown


# --- simulated series ---------------------------------------------------------------------


def _truth(rng: np.random.Generator, scenario: str, kind: str) -> tuple[np.ndarray, bool | None]:
    unit = UNIT[kind]
    base = {"nps": rng.uniform(-20, 50), "csat": rng.uniform(55, 90), "ces": rng.uniform(3.5, 5.8)}
    t = np.arange(WEEKS, dtype=float)
    level = np.full(WEEKS, base[kind])
    planted: bool | None = None
    if scenario == "flat":
        planted = False
    elif scenario in ("trend", "sparse"):
        level = level + rng.choice((-1, 1)) * rng.uniform(0.3, 1.2) * unit * t
        planted = True if scenario == "trend" else None
    elif scenario == "shift":
        at = rng.integers(8, 24)
        level = level + rng.choice((-1, 1)) * rng.uniform(8, 20) * unit * (t >= at)
    elif scenario == "wiggle":
        period, phase = rng.uniform(4, 9), rng.uniform(0, 2 * math.pi)
        level = level + rng.uniform(3, 8) * unit * np.sin(2 * math.pi * t / period + phase)
    return level, planted


def _sample(rng: np.random.Generator, kind: str, truth: float, n: int) -> tuple[float, float]:
    """A week's figure and its standard error from n responses drawn at the true rate."""
    if kind == "nps":
        t = min(max(truth, -70.0), 70.0) / 100
        promoter, detractor = (0.75 + t) / 2, (0.75 - t) / 2
        counts = rng.multinomial(n, [promoter, 1 - promoter - detractor, detractor])
        p, d = counts[0] / n, counts[2] / n
        return (p - d) * 100, math.sqrt(max(0.0, p + d - (p - d) ** 2) / n) * 100
    if kind == "csat":
        p = rng.binomial(n, min(max(truth / 100, 0.02), 0.98)) / n
        return p * 100, math.sqrt(p * (1 - p) / n) * 100
    scores = np.clip(np.rint(rng.normal(truth, 1.3, n)), 1, 7)
    sd = float(scores.std(ddof=1)) if n > 1 else 0.0
    return float(scores.mean()), sd / math.sqrt(n)


def simulated(rng: np.random.Generator, reps: int) -> list[Series]:
    out = []
    for scenario in SCENARIOS:
        for kind in ("nps", "csat", "ces"):
            for _ in range(reps):
                truth, planted = _truth(rng, scenario, kind)
                sparse = scenario == "sparse"
                mean = rng.uniform(2, 10) if sparse else rng.uniform(4, 40)
                weeks = []
                for i in range(WEEKS):
                    n = 0 if sparse and rng.random() < 0.4 else int(rng.poisson(mean))
                    value, se = _sample(rng, kind, truth[i], n) if n else (None, None)
                    weeks.append(Week(FIRST + timedelta(weeks=i), value, n, se))
                out.append(Series(f"sim:{scenario}", kind, weeks, planted))
    return out


# --- the demo workspace -------------------------------------------------------------------


def demo(seeds: list[int]) -> list[Series]:
    """Each seed's demo workspace in a fresh SQLite file: every kind's weekly series."""
    os.environ.setdefault("FEEDBACK_SECRET_KEY", secrets.token_urlsafe(48))
    from flask_migrate import upgrade

    from feedback import create_app
    from feedback.database import utcnow
    from feedback.demo.responses import DAYS
    from feedback.demo.seed import seed_demo_workspace
    from feedback.extensions import db
    from feedback.metrics import formulas
    from feedback.metrics.sums import KINDS, Sums, span_sums, week_spans

    out = []
    for seed in seeds:
        with tempfile.TemporaryDirectory() as folder:
            app = create_app(
                {
                    "TESTING": True,
                    "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/demo.db",
                    "SECRET_KEY": "x" * 40,
                }
            )
            with app.app_context():
                upgrade(directory=os.path.join(ROOT, "migrations"))
                workspace = seed_demo_workspace(seed=seed).workspace
                end = utcnow()
                spans = week_spans(workspace.timezone, end - timedelta(days=DAYS + 1), end)
                sums = span_sums(workspace.id, KINDS, [(s, e) for _, s, e in spans])
                for kind in KINDS:
                    weeks = []
                    for (monday, _, _), span in zip(spans, sums, strict=True):
                        fig = formulas.figure(kind, span.get(kind, Sums()), 0)
                        se = None
                        if fig["value"] is not None:
                            low, high = fig["interval"]
                            se = (high - low) / 2 / Z95
                        weeks.append(Week(date.fromisoformat(monday), fig["value"], fig["n"], se))
                    out.append(Series("demo", kind, weeks))
                db.engine.dispose()
    return out


# --- the methods --------------------------------------------------------------------------

# A method: the projected weeks (None: too few to project) and whether it sees a trend.
Projector = Callable[[list[Week], tuple[float, float]], tuple[list[Point] | None, bool | None]]


def state_space(method: Method) -> Projector:
    def run(weeks: list[Week], bounds: tuple[float, float]) -> tuple[list[Point] | None, bool]:
        path = project(weeks, bounds, method=method)
        return (list(path.projection) if path.projected else None), path.trend != "flat"

    return run


def holt(damped: bool) -> Projector:
    """Holt's linear method (statsmodels' ETS, additive error and trend) on the weeks with
    data, the missing ones filled by straight lines between their neighbours; unweighted."""
    import pandas as pd
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    def run(weeks: list[Week], bounds: tuple[float, float]) -> tuple[list[Point] | None, None]:
        seen = [i for i, w in enumerate(weeks) if w.value is not None and w.n > 0]
        if len(seen) < 8:
            return None, None
        first = seen[0]
        x = np.arange(first, len(weeks))
        y = pd.Series(np.interp(x, seen, [weeks[i].value for i in seen]))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = ETSModel(y, error="add", trend="add", damped_trend=damped).fit(disp=False)
            pred = fit.get_prediction(start=len(y), end=len(y) + HORIZON - 1)
            mean = pred.predicted_mean.to_numpy()
            bands = pred.pred_int(alpha=1 - CONFIDENCE).to_numpy()
        lo, hi = bounds
        return [
            Point(
                weeks[-1].start + timedelta(weeks=h + 1),
                float(np.clip(mean[h], lo, hi)),
                float(np.clip(bands[h, 0], lo, hi)),
                float(np.clip(bands[h, 1], lo, hi)),
            )
            for h in range(HORIZON)
        ], None

    return run


DEFAULT_LABEL = "fixed slope, flat unless a trend (default)"
METHODS: dict[str, Projector] = {
    DEFAULT_LABEL: state_space(DEFAULT),
    "fixed slope, flat unless a trend, level's interval": state_space(
        Method("fixed", flat_interval="level")
    ),
    "fixed slope": state_space(Method("fixed", flat_unless_trend=False)),
    "local linear trend": state_space(Method("random", flat_unless_trend=False)),
    "local linear trend, flat unless a trend": state_space(Method("random")),
    "smooth trend": state_space(Method("smooth", flat_unless_trend=False)),
    "local level": state_space(Method("none")),
    "fixed slope, flat unless a trend, pooled SE": state_space(Method("fixed", "se")),
    "holt": holt(False),
    "holt damped": holt(True),
}


# --- scoring ------------------------------------------------------------------------------


def score(projector: Projector, series: list[Series]) -> dict[str, Any]:
    """The method's figures over every series: each held-out week with responses is a row
    (where from, its error and the naive one as a share of the KPI's range, inside or not)."""
    rows: list[tuple[str, float, float, bool]] = []
    times, skipped, trend_calls = [], 0, {True: [], False: []}
    for s in series:
        fit, held = s.weeks[:-HORIZON], s.weeks[-HORIZON:]
        low, high = BOUNDS[s.kind]
        started = time.perf_counter()
        points, trend = projector(fit, (low, high))
        times.append((time.perf_counter() - started) * 1000)
        if points is None:
            skipped += 1
            continue
        last = next(w.value for w in reversed(fit) if w.value is not None and w.n > 0)
        for week, point in zip(held, points, strict=True):
            if week.value is not None and week.n:
                error, naive = abs(point.value - week.value), abs(last - week.value)
                inside = point.low <= week.value <= point.high
                rows.append(
                    (s.source, error / (high - low) * 100, naive / (high - low) * 100, inside)
                )
        if s.trend is not None and trend is not None:
            trend_calls[s.trend].append(trend)
    out: dict[str, Any] = {"held_out_weeks": len(rows), "too_few": skipped}
    for group, prefix in (("", ""), ("_sim", "sim:"), ("_demo", "demo")):
        chosen = [row for row in rows if row[0].startswith(prefix)]
        out[f"coverage{group}"] = _mean([row[3] for row in chosen])
        out[f"mae{group}"] = _mean([row[1] for row in chosen], 2)
        out[f"naive_mae{group}"] = _mean([row[2] for row in chosen], 2)
    out["fit_ms_mean"] = round(float(np.mean(times)), 1)
    out["fit_ms_p95"] = round(float(np.percentile(times, 95)), 1)
    if trend_calls[False]:
        out["flat_called_trend"] = _mean(trend_calls[False])
        out["planted_trend_found"] = _mean(trend_calls[True])
    out["mae_naive_coverage_by_scenario"] = {
        source: [_mean([row[i] for row in rows if row[0] == source], 2) for i in (1, 2, 3)]
        for source in sorted({row[0] for row in rows})
    }
    return out


def _mean(values: list[Any], digits: int = 3) -> float | None:
    return round(float(np.mean(values)), digits) if values else None


def _missed(figures: dict[str, Any]) -> list[str]:
    """The targets the default misses, over all the series and over each source."""
    missed = []
    for group in ("", "_sim", "_demo"):
        coverage, mae, naive = (figures[f"{k}{group}"] for k in ("coverage", "mae", "naive_mae"))
        if coverage is None or not COVERAGE[0] <= coverage <= COVERAGE[1]:
            missed.append(f"coverage{group} {coverage} outside {COVERAGE}")
        if mae is None or mae > naive:
            missed.append(f"error{group} {mae} worse than the naive {naive}")
    if figures["fit_ms_p95"] >= FIT_MS:
        missed.append(f"fit p95 {figures['fit_ms_p95']} ms, target under {FIT_MS} ms")
    return missed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=12, help="series per scenario and kind")
    parser.add_argument("--demo-seeds", type=int, default=5, help="demo workspaces to seed")
    parser.add_argument("--seed", type=int, default=19)
    args = parser.parse_args()
    # The local linear trend's optimizer (statsmodels) warns when it stops short; its figures
    # below say what that costs.
    warnings.simplefilter("ignore")
    logging.disable(logging.INFO)  # the migrations' progress
    rng = np.random.default_rng(args.seed)
    series = simulated(rng, args.reps) + demo(list(range(7, 7 + args.demo_seeds)))
    results = {}
    for name, projector in METHODS.items():
        results[name] = score(projector, series)
        print(f"{name:52} {json.dumps(results[name])}", flush=True)
    missed = _missed(results[DEFAULT_LABEL])
    for line in missed:
        print(f"MISSED: {line}", file=sys.stderr)
    summary = {
        "series": len(series),
        "demo_series": sum(s.source == "demo" for s in series),
        "default": str(DEFAULT),
        "methods": results,
        "targets_met": not missed,
    }
    print(json.dumps(summary))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
