"""The README's figure: the posterior median tuning curve of a real search, extrapolated 4x beyond it.

Run from the repository root, with the shared data sets beside the checkout:
``python docs/readme_figure.py`` writes ``docs/_static/tuning-curve.png``.
"""

import pathlib

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

import bayesq
from bayesq.plots import plot_tuning_curve
from bayesq.spec import load_spec

OUT = pathlib.Path(__file__).parent / "_static" / "tuning-curve.png"


def main() -> None:
    spec = load_spec(pathlib.Path(__file__).parents[1] / "models" / "deberta-base.toml")
    scores = spec.scores()
    result = bayesq.fit(scores, threshold=spec.threshold, maximize=True, random_seed=1, quiet=True)
    k = np.unique(np.geomspace(1, 4 * scores.size, 160))
    fig, ax = plt.subplots(figsize=(7.5, 4.2), layout="constrained")
    plot_tuning_curve(result, k=k, support=(0.0, 1.0), ax=ax)
    ax.set_title(
        f"DeBERTa-base on MultiNLI: the best score after k runs of random search ({scores.size:,} observed)",
        fontsize=10,
    )
    fig.savefig(OUT, dpi=110)
    print(f"written {OUT}")


if __name__ == "__main__":
    main()
