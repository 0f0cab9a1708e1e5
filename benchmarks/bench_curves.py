"""Speed and accuracy of the tuning curves (issue 4's standard).

Speed: median and expected tuning curves for 4,000 posterior draws x 200
values of k (1 to 10^4), the posterior predictive of the best score at
those k, and the iterations to come within eps of beta, timed warm
(compilation excluded, reported apart).

Accuracy: per-draw median curves against direct inversion of the CDF
(``QuadraticFamily.ppf``, safeguarded Newton to machine precision) on 200
random draws x 200 k; expected curves against scipy's adaptive quadrature of
:math:`\\int y\\,k F^{k-1} f\\,dy` on 20 draws x 5 values of k.

Draws: a deberta-base-like posterior (gamma ~ 1.2, sigma/(beta - alpha) ~ 0.03)
and a wide one (gamma 0.5-8, sigma/(beta - alpha) 1e-3-0.3).
Run: ``python benchmarks/bench_curves.py``.
"""

from __future__ import annotations

import time

import numpy as np
from scipy import integrate

from bayesq import curves
from bayesq.stats import noisy_quadratic

N_DRAWS, K = 4000, np.geomspace(1, 1e4, 200)
N_CHECKED = 200  # draws checked against direct inversion (slow: Newton on every point)


def posterior(kind, rng, n=N_DRAWS):
    if kind == "deberta-like":
        a = 0.837 + 0.005 * rng.standard_normal(n)
        b = 0.888 + 0.0004 * rng.standard_normal(n)
        g = 1.18 * np.exp(0.08 * rng.standard_normal(n))
        s = 0.0017 * np.exp(0.1 * rng.standard_normal(n))
    else:
        a = 0.8 + 0.01 * rng.standard_normal(n)
        b = 0.9 + 0.002 * rng.standard_normal(n)
        g = np.exp(rng.uniform(np.log(0.5), np.log(8), n))
        s = (b - a) * np.exp(rng.uniform(np.log(1e-3), np.log(0.3), n))
    return {"alpha": a, "beta": b, "gamma": g, "sigma": s}


def timed(f, *args, **kwargs):
    start = time.perf_counter()
    out = f(*args, **kwargs)
    return out, time.perf_counter() - start


def main():
    rng = np.random.default_rng(0)
    _, cold = timed(curves.median_tuning_curves, *posterior("wide", rng, 20).values(), K[:5])
    print(f"compilation (first call in a process): {cold:.1f} s\n")
    print(
        "| draws | median curve (s) | mean curve (s) | predictive 80% (s) | iterations to eps (s) "
        "| median max error / (beta - alpha) | mean max error / (beta - alpha) |"
    )
    print("|---|---|---|---|---|---|---|")
    for kind in ("deberta-like", "wide"):
        post = posterior(kind, rng)
        params = tuple(post.values())
        med, t_med = timed(curves.median_tuning_curves, *params, K)
        mean, t_mean = timed(curves.expected_tuning_curves, *params, K)
        _, t_pred = timed(curves.best_after, post, K, ci=0.8)
        _, t_eps = timed(curves.best_score, post, eps=0.002)
        rows = rng.choice(N_DRAWS, N_CHECKED, replace=False)
        width = (post["beta"] - post["alpha"])[rows, None]
        direct = noisy_quadratic(*(p[rows, None] for p in params)).ppf(0.5 ** (1 / K)[None, :])
        err_med = np.max(np.abs(med[rows] - direct) / width)
        err_mean = 0.0
        for i in rng.choice(N_DRAWS, 20, replace=False):
            d = noisy_quadratic(*(p[i] for p in params))
            a, b, s = params[0][i], params[1][i], params[3][i]
            for j in np.linspace(0, K.size - 1, 5).astype(int):
                k = K[j]
                f = lambda y, d=d, k=k: y * k * np.exp((k - 1) * d.logcdf(y) + d.logpdf(y))  # noqa: E731
                ref, _ = integrate.quad(f, a - 15 * s, b + 15 * s, points=[a, b], limit=500, epsabs=1e-13)
                err_mean = max(err_mean, abs(mean[i, j] - ref) / (b - a))
        print(
            f"| {kind} {N_DRAWS} x {K.size} k | {t_med:.1f} | {t_mean:.1f} | {t_pred:.1f} | {t_eps:.1f} "
            f"| {err_med:.1e} | {err_mean:.1e} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
