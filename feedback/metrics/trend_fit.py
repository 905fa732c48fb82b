"""The trend behind a KPI's weekly figures, in state space (statsmodels): a level and a slope
that may wander from week to week, each week's figure their sum plus a noise that shrinks as
its n grows. The variances are fitted by maximum likelihood; a week without responses is a gap
the Kalman filter bridges."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize_scalar
from statsmodels.tsa.statespace.mlemodel import MLEModel

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


class TrendModel(MLEModel):
    """The trend in state space, each week's observation noise scaled by 1/n. Its parameters
    are the free variances, relative to the noise's unless that is known (`scale`)."""

    def __init__(self, y: np.ndarray, n: np.ndarray, slope: str, scale: float | None) -> None:
        k = 1 if slope == "none" else 2
        super().__init__(y, k_states=k, k_posdef=k, initialization="diffuse")
        self.free = FREE[slope]
        self.known_scale = scale
        self.ssm.filter_concentrated = scale is None
        self["design"] = np.eye(1, k)
        self["transition"] = step(k)
        self["selection"] = np.eye(k)
        self["obs_cov"] = ((scale or 1.0) / np.maximum(n, 1))[None, None, :]

    @property
    def param_names(self) -> list[str]:
        return [("level", "slope")[i] for i in self.free]

    @property
    def start_params(self) -> np.ndarray:
        return np.array([0.01, 0.0001])[list(self.free)] * (self.known_scale or 1.0)

    def transform_params(self, unconstrained: np.ndarray) -> np.ndarray:
        return unconstrained**2

    def untransform_params(self, constrained: np.ndarray) -> np.ndarray:
        return constrained**0.5

    def update(self, params: np.ndarray, **kwargs: object) -> np.ndarray:
        params = super().update(params, **kwargs)
        variances = np.zeros(self.k_states)
        variances[list(self.free)] = params
        self["state_cov"] = np.diag(variances)
        return params


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
    model = TrendModel(y, n, slope, scale)
    result = model.smooth(_estimate(model), cov_type="none")
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


def _estimate(model: TrendModel) -> np.ndarray:
    """The variances by maximum likelihood. One is searched on a log scale between a millionth
    and a hundred times the noise's (a few dozen filter runs: milliseconds); two are left to
    statsmodels' optimizer (tens of milliseconds)."""
    if len(model.free) > 1:
        return np.asarray(model.fit(disp=False, return_params=True))
    unit = model.known_scale or 1.0
    found = minimize_scalar(
        lambda log_ratio: -model.loglike(np.array([unit * math.exp(log_ratio)])),
        bounds=(math.log(1e-6), math.log(100.0)),
        method="bounded",
        options={"xatol": 0.05},
    )
    return np.array([unit * math.exp(found.x)])
