"""The trend behind a KPI's weekly figures, in state space (statsmodels): a level and a slope
that may wander from week to week, each week's figure their sum plus a noise that shrinks as
its n grows. The variances are fitted by maximum likelihood; a week without responses is a gap
the Kalman filter bridges."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# Which of the level's and the slope's variances each kind of slope leaves free.
FREE = {"random": (0, 1), "fixed": (0,), "smooth": (1,), "none": (0,)}


@dataclass(frozen=True)
class Method:
    """How a series is fitted. `slope`: `fixed` (the level wanders, the slope is one for the
    whole series), `random` (both wander: the local linear trend), `smooth` (only the slope
    wanders) or `none` (a wandering level, no slope). `noise`: each week's is a per-response
    variance over its n, that variance estimated from the series (`n`) or pooled from the
    weeks' standard errors (`se`). `flat_unless_trend`: when the slope's interval holds 0, the
    series is projected as a level without a slope; its interval is then the trend's, which
    allows for the slope the data cannot rule out (`flat_interval="trend"`), or the level's
    alone (`"level"`)."""

    slope: str = "fixed"
    noise: str = "n"
    flat_unless_trend: bool = True
    flat_interval: str = "trend"


@dataclass(frozen=True)
class TrendFit:
    """A fitted trend: each week's level and slope (zeros without one), the last slope's
    standard error, the state a week past the series with its covariance, the state's weekly
    disturbance, and the noise of one response (`scale`)."""

    levels: np.ndarray
    slopes: np.ndarray
    slope_se: float | None
    state: np.ndarray
    cov: np.ndarray
    disturbance: np.ndarray
    scale: float

    def ahead(self, weeks: int, n: float) -> list[tuple[float, float]]:
        """The mean and variance of each coming week's figure, at `n` responses a week: the
        trend's uncertainty grows week by week, and the week's own noise is added."""
        move, state, cov, out = step(len(self.state)), self.state, self.cov, []
        for _ in range(weeks):
            out.append((float(state[0]), float(cov[0, 0]) + self.scale / n))
            state, cov = move @ state, move @ cov @ move.T + self.disturbance
        return out


def fit_trend(y: np.ndarray, n: np.ndarray, slope: str, scale: float | None = None) -> TrendFit:
    """Fit the weekly figures `y` (NaN where a week had none) with their `n`; `scale`, when
    given, is the known per-response variance."""
    # Loaded here, not at import: statsmodels takes over a second to import.
    from feedback.metrics.trend_model import TrendModel, estimate

    model = TrendModel(y, n, slope, scale)
    result = model.smooth(estimate(model), cov_type="none")
    noise = scale if scale is not None else float(result.scale)
    relative = 1.0 if scale is not None else noise
    states, covs = result.smoothed_state, result.smoothed_state_cov
    two = model.k_states == 2
    return TrendFit(
        levels=states[0],
        slopes=states[1] if two else np.zeros(len(y)),
        slope_se=math.sqrt(max(0.0, float(covs[1, 1, -1]))) if two else None,
        state=result.predicted_state[:, -1],
        cov=result.predicted_state_cov[:, :, -1],
        disturbance=np.array(model["state_cov"]) * relative,
        scale=noise,
    )


def pooled_variance(ns: Sequence[int], ses: Sequence[float | None]) -> float | None:
    """The per-response variance the weeks' standard errors imply, pooled by n."""
    known = [(n, se) for n, se in zip(ns, ses, strict=True) if se is not None and n > 0]
    if not known:
        return None
    return sum(n * n * se * se for n, se in known) / sum(n for n, _ in known) or None


def step(states: int) -> np.ndarray:
    """A week's move: the level adds the slope, the slope stays."""
    return np.array([[1.0]]) if states == 1 else np.array([[1.0, 1.0], [0.0, 1.0]])
