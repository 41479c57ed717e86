"""A logistic regression fitted by Newton's method, numpy only: what the small heads (the
answers' gate and its Platt calibration, the risk head) fit, where scikit-learn's set-up would
cost more than the fit itself."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["fit_logistic"]


def fit_logistic(
    x: npt.NDArray[np.float64], y: npt.NDArray[np.float64], l2: float = 1.0
) -> tuple[npt.NDArray[np.float64], float]:
    """Weights and bias by Newton's method on the L2-penalised log loss (the bias unpenalised)."""
    rows, cols = x.shape
    design = np.hstack([x, np.ones((rows, 1))])
    theta = np.zeros(cols + 1)
    penalty = np.eye(cols + 1) * l2
    penalty[-1, -1] = 0.0
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-np.clip(design @ theta, -50, 50)))
        gradient = design.T @ (p - y) + penalty @ theta
        hessian = (design * (p * (1 - p))[:, None]).T @ design + penalty + 1e-9 * np.eye(cols + 1)
        step = np.linalg.solve(hessian, gradient)
        theta -= step
        if float(np.abs(step).max()) < 1e-8:
            break
    return theta[:-1], float(theta[-1])
