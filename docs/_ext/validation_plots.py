"""Figures of the validation pages, drawn at build time from result files (matplotlib's plot directive)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from bayesq_results import PARAMETERS, SBC_RANK_DRAWS, load, lookup


def sbc_ecdf(ranks_file: str, draws: int = SBC_RANK_DRAWS, prob: float = 0.99) -> None:
    r"""ECDF of the SBC ranks minus the uniform CDF, per parameter, inside the ``prob`` simultaneous band.

    The fractional rank of a rank :math:`r \in \{0, \dots, L\}` is :math:`(r + 1/2)/(L + 1)`; the
    band is :func:`bayesq._compat.arviz_stats.ecdf_band`'s, the one :meth:`bayesq.sbc.SBCResult.test`
    uses.
    """
    from bayesq._compat.arviz_stats import ecdf_band

    rows = load(ranks_file)
    grid = np.linspace(0, 1, 202)[1:-1]
    lower, upper = ecdf_band(len(rows), grid, prob)
    _, ax = plt.subplots(layout="constrained")
    ax.fill_between(grid, lower - grid, upper - grid, color="0.88", label=f"{prob:.0%} simultaneous band")
    for name in PARAMETERS:
        u = (np.array([r[name] for r in rows]) + 0.5) / (draws + 1)
        ecdf = np.searchsorted(np.sort(u), grid, side="right") / u.size
        ax.plot(grid, ecdf - grid, label=name)
    ax.axhline(0, color="0.4", lw=0.8)
    ax.set_xlabel("fractional rank of the truth among the posterior draws")
    ax.set_ylabel("ECDF - uniform CDF")
    ax.set_title(f"SBC, {len(rows)} data sets ({ranks_file})", fontsize=10)
    ax.legend(ncols=5, fontsize=8, loc="lower center")


def extrapolation_coverage(result_file: str) -> None:
    """Each subsample's coverage of the full search's median tuning curve, per data set."""
    datasets = lookup(load(result_file), "results.datasets")
    _, ax = plt.subplots(layout="constrained")
    names = [name for name, d in datasets.items() if d["fits"]]
    for i, name in enumerate(names):
        coverage = np.array([f["coverage"] for f in datasets[name]["fits"]], dtype=float)
        jitter = np.linspace(-0.2, 0.2, coverage.size)
        ax.plot(i + jitter, coverage, "o", alpha=0.6, ms=5)
        ax.plot([i - 0.3, i + 0.3], [np.nanmean(coverage)] * 2, color="k", lw=2)
    ax.axhline(0.8, color="0.5", ls="--", lw=1, label="nominal 0.8")
    ax.set_xticks(range(len(names)), [f"{n}\n({datasets[n]['runs']} runs)" for n in names])
    ax.set_ylabel("share of the k grid covered")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title(f"80 % band of the median tuning curve vs the full search ({result_file})", fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
