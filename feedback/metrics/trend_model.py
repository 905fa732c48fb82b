"""The statsmodels state-space model behind a KPI's trend, and the fit of its variances.

Imported only when a trend is fitted: statsmodels (with pandas) takes over a second to load, which
no process should pay at start-up."""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import minimize_scalar
from statsmodels.tsa.statespace.mlemodel import MLEModel

from feedback.metrics.trend_fit import FREE, step


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


def estimate(model: TrendModel) -> np.ndarray:
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
