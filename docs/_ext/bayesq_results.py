"""Validation pages from measured result files: tables, numbers and provenance, read at build time.

Every figure on the validation pages comes from a file under ``benchmarks/results/``, written by a
benchmark script (``benchmarks/recording.py``) with the command, commit, date, host and package
versions of the run. Three MyST constructs read them:

``{results-table} FILE``, with ``:view: NAME``
    A table computed from ``FILE`` by the view ``NAME`` (:data:`VIEWS`), captioned with the file.
``{results-provenance} FILE``
    How ``FILE`` was made: command, commit, date, host, Python and package versions. For a CSV of
    repetitions, which carries no provenance of its own, the command and notes come from the table
    in ``benchmarks/results/README.md`` that lists the file.
``{result}`FILE PATH [FORMAT]```
    One number inline: ``PATH`` walks the JSON (``a.b[2].c``, or ``[key=value]`` to pick the element
    of a list whose ``key`` is ``value``); ``FORMAT`` is a format spec (``.2f``, ``.0%``, ``,.0f``).

A missing file, view or path fails the build (the docs are built with warnings as errors), so a
page can never show a figure that no file holds.
"""

from __future__ import annotations

import csv
import functools
import json
import math
import pathlib
import re
import sys
from typing import ClassVar

import numpy as np
from docutils import nodes
from docutils.parsers.rst import directives
from scipy import stats
from sphinx.util.docutils import SphinxDirective, SphinxRole

BENCHMARKS = pathlib.Path(__file__).parents[2] / "benchmarks"
RESULTS = BENCHMARKS / "results"
sys.path.insert(0, str(BENCHMARKS))  # the benchmarks' own readers of their files
PARAMETERS = ("alpha", "beta", "gamma", "sigma")
SHOWN_PACKAGES = ("bayesq", "pymc", "pytensor", "arviz", "nutpie", "numba", "jax", "numpy", "opda")


class ResultsError(Exception):
    """A result file, view or path that a page names and that does not exist."""


@functools.cache
def load(name: str):
    """The content of a result file: a dict for JSON, a list of row dicts for CSV."""
    path = RESULTS / name
    if not path.is_file():
        raise ResultsError(f"no result file {path}")
    if path.suffix == ".json":
        return json.loads(path.read_text())
    with path.open(newline="") as handle:
        rows = [{k: _number(v) for k, v in row.items()} for row in csv.DictReader(handle)]
    if rows and "rep" in rows[0]:
        # repetitions of bench_compare.py, read as it reads them: a repetition recorded twice (two
        # processes filling one file met in the middle) counts once
        from bench_compare import read_rows

        return read_rows(path)
    return rows


def _number(text: str):
    try:
        return float(text)
    except ValueError:
        return text


def lookup(data, path: str):
    """Walk ``path`` (``a.b[0].c``, ``rows[backend=c].ms``) into ``data``."""
    value = data
    for part in re.findall(r"[^.\[\]]+|\[[^\]]*\]", path):
        if part.startswith("["):
            key = part[1:-1]
            if "=" in key:
                field, wanted = key.split("=", 1)
                matches = [item for item in value if str(item.get(field)) == wanted]
                if len(matches) != 1:
                    raise ResultsError(f"{path}: {len(matches)} elements with {field} = {wanted}")
                value = matches[0]
            else:
                value = value[int(key)]
        else:
            if part not in value:
                raise ResultsError(f"{path}: no key {part!r} (there are {sorted(value)})")
            value = value[part]
    return value


# -- views: a result file's content -> (header, rows) -------------------------------------------------


def _g(x, digits=3) -> str:
    return "" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}g}"


def _pm(values) -> str:
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    se = values.std(ddof=1) / np.sqrt(values.size) if values.size > 1 else float("nan")
    return f"{values.mean():.2f} ± {se:.2f} [min {values.min():.2f}]"


def view_accuracy(data):
    header = [
        "backend",
        "function",
        "values",
        "largest relative error",
        "gradient cases",
        "largest gradient error",
    ]
    rows = []
    for row in data["results"]["rows"]:
        grad = row.get("max_gradient_error") or {}
        worst = max(grad.values()) if grad else None
        rows.append(
            [
                row["backend"],
                row["function"],
                f"{row['values']:,}",
                _g(row["max_value_error"], 2),
                f"{row.get('gradient_cases') or 0:,}",
                _g(worst, 2),
            ]
        )
    return header, rows


def view_logp(data):
    header = ["data", "backend", "log density + gradient (ms)", "opda's log density (ms)", "ratio to opda"]
    rows = [
        [r["data"], r["backend"], f"{r['ms']:.2f}", f"{r['opda_ms']:.2f}", f"{r['ms'] / r['opda_ms']:.2f}"]
        for r in data["results"]["rows"]
    ]
    return header, rows


def view_fit(data):
    results = data["results"]
    header = [
        "sampler",
        "cold (s)",
        "warm (s)",
        "warm / opda",
        "new data (s)",
        "divergences",
        "max R-hat",
        "min ESS bulk",
        "min ESS tail",
    ]
    rows = [
        [
            r["sampler"],
            f"{r['cold_seconds']:.1f}",
            f"{r['warm_seconds']:.1f}",
            f"{r['warm_over_opda']:.2f}",
            f"{r['new_data_seconds']:.1f}",
            str(r["divergences"]),
            f"{r['max_rhat']:.4f}",
            f"{r['min_ess_bulk']:,.0f}",
            f"{r['min_ess_tail']:,.0f}",
        ]
        for r in results["samplers"]
    ]
    return header, rows


SPEED_ROWS = {
    "help": "bayesq --help, a fresh process",
    "fit_cli": "bayesq run (deberta-base), a fresh process, disk caches filled",
    "fit_cli_empty_cache": "the same, PyTensor's compile cache empty",
    "curves_cli": "bayesq curves on the saved fit, a fresh process",
    "thresholds_cli": "bayesq thresholds, 3 candidates, a fresh process",
    "demo_cli": "bayesq demo, a fresh process",
    "warm_fit": "a warm default fit, in process",
    "tuning_curve": "tuning_curve, every draw x 50 values of k",
    "best_after": "best_after, the same k",
    "best_score_predictive": "best_score(predictive=True)",
}


def view_speed(data):
    results = data["results"]
    header = ["what", "seconds", "/ opda's fit", "/ warm fit"]
    warm, ratio = results["seconds"]["warm_fit"], results["over_opda"]
    rows = [
        [SPEED_ROWS.get(name, name), f"{seconds:.2f}", f"{ratio[name]:.2f}", f"{seconds / warm:.2f}"]
        for name, seconds in results["seconds"].items()
    ]
    return header, rows


def view_convergence_real(data):
    header = [
        "data",
        "tail scores",
        "divergences",
        "max R-hat",
        "min ESS bulk / tail",
        "beta, 90 % interval",
        "opda's beta (median of its seeds)",
        "largest prior sensitivity",
        "seconds (one run)",
    ]
    rows = []
    for r in data["results"]["fits"]:
        lo, hi = r["beta_90"]
        seeds = len(r["opda_beta"])
        rows.append(
            [
                r["data"],
                str(r["n_tail"]),
                str(r["divergences"]),
                f"{r['max_rhat']:.4f}",
                f"{r['min_ess_bulk']:,.0f} / {r['min_ess_tail']:,.0f}",
                f"[{lo:.5f}, {hi:.5f}]",
                f"{np.median(r['opda_beta']):.5f} (inside for {r['opda_inside']} of {seeds} seeds)",
                f"{r['max_prior_sensitivity']:.3f} ({r['most_sensitive']})",
                f"{r['seconds']:.1f}" + (f" ({r['seconds_one_run']:.1f})" if "seconds_one_run" in r else ""),
            ]
        )
    return header, rows


def view_convergence_grid(data):
    from bench_convergence import ALPHA, BETA  # the simulated searches' quadratic

    fits = data["results"]["fits"]
    ns = sorted({f["n"] for f in fits})
    header = ["sigma / (beta - alpha)"] + [f"n = {n:,}" for n in ns]
    rows = []
    for sigma in sorted({f["sigma"] for f in fits}):
        row = [f"{sigma / (BETA - ALPHA):.0%}"]
        for n in ns:
            cell = [f["meets_standard"] for f in fits if f["sigma"] == sigma and f["n"] == n]
            row.append(f"{sum(cell)} of {len(cell)}")
        rows.append(row)
    return header, rows


def view_convergence_extension(data):
    """How far the fits of the simulated grid sampled beyond what was asked, by number of runs."""
    from bayesq.samplers import TARGET_ACCEPT

    fits = data["results"]["fits"]
    asked = data["results"]["settings"]["draws"]
    header = [
        "n",
        "fits",
        "extended",
        "draws per chain (median, max)",
        "retuned after divergences",
    ]
    rows = []
    for n in sorted({f["n"] for f in fits}):
        group = [f for f in fits if f["n"] == n]
        draws = [f["draws"] for f in group]
        rows.append(
            [
                f"{n:,}",
                str(len(group)),
                str(sum(d > asked for d in draws)),
                f"{np.median(draws):,.0f}, {max(draws):,}",
                str(sum(f["target_accept"] > TARGET_ACCEPT for f in group)),
            ]
        )
    return header, rows


def view_convergence_gamma(data):
    fits = data["results"]["fits"]
    header = ["gamma", "fits meeting the standard", "largest R-hat", "smallest ESS", "fits with divergences"]
    rows = []
    for gamma in sorted({f["gamma"] for f in fits}):
        group = [f for f in fits if f["gamma"] == gamma]
        rows.append(
            [
                f"{gamma:g}",
                f"{sum(f['meets_standard'] for f in group)} of {len(group)}",
                f"{max(f['max_rhat'] for f in group):.3f}",
                f"{min(f['min_ess'] for f in group):,.0f}",
                str(sum(f["divergences"] > 0 for f in group)),
            ]
        )
    return header, rows


def view_coverage_sim(data):
    fits = data["results"]["fits"]
    header = ["parameter", "intervals", "holding the truth (nominal 0.90)", "binomial s.e."]
    rows, every = [], []
    for name in PARAMETERS:
        inside = [f["inside_90"][name] for f in fits if name in f["inside_90"]]
        every += inside
        rows.append([name, str(len(inside)), f"{np.mean(inside):.3f}", f"{np.sqrt(0.09 / len(inside)):.3f}"])
    rows.append(["all", str(len(every)), f"{np.mean(every):.3f}", f"{np.sqrt(0.09 / len(every)):.3f}"])
    return header, rows


def _uniformity(tests):
    """Table of :func:`bayesq.sbc.rank_uniformity`'s records (one per parameter)."""
    header = [
        "parameter",
        "ranks inside the 99 % band",
        "largest ECDF difference",
        "band half-width",
        "chi-square p",
        "mean rank / (draws + 1)",
    ]
    rows = [
        [
            t["parameter"],
            "yes" if t["inside"] else "no",
            f"{t['max_ecdf_diff']:.3f}",
            f"{t['band_half_width']:.3f}",
            f"{t['chi2_p']:.3f}",
            f"{t['mean_u']:.3f}",
        ]
        for t in tests
    ]
    return header, rows


def view_sbc(data):
    """The uniformity test ``bench_sbc.py`` recorded."""
    return _uniformity(data["results"]["test"])


SBC_RANK_DRAWS = 100  # bench_sbc.py's --rank-draws of the CSVs of ranks here: ranks lie in 0..100


def view_sbc_ranks(rows):
    """A CSV of SBC ranks: the same test (:func:`bayesq.sbc.rank_uniformity`), ranks at their midpoints."""
    import pandas as pd

    from bayesq.sbc import rank_uniformity

    u = pd.DataFrame({name: [(r[name] + 0.5) / (SBC_RANK_DRAWS + 1) for r in rows] for name in PARAMETERS})
    return _uniformity(rank_uniformity(u).reset_index().to_dict("records"))


def view_extrapolation(data):
    header = [
        "data",
        "runs",
        "fits",
        "coverage of the full curve, mean ± s.e.",
        "80 % band width (median), k = 8/32/128",
        "opda's band width (median), k = 8/32/128",
        "opda's band trivial, k = 8/32/128",
        "fits with divergences",
        "fit (s), median [max]",
    ]
    rows = []
    for name, d in data["results"]["datasets"].items():
        fits = d["fits"]
        if not fits:
            continue
        # medians: one two-armed posterior's band can be fifty times as wide as the rest
        ours = np.median([f["ours"] for f in fits], axis=0)
        opda = np.median([f["opda"] for f in fits], axis=0)
        trivial = np.mean([f["trivial"] for f in fits], axis=0)
        rows.append(
            [
                name,
                str(d["runs"]),
                str(len(fits)),
                _pm([f["coverage"] for f in fits]),
                "/".join(f"{w:.4f}" for w in ours),
                "/".join(f"{w:.4f}" for w in opda),
                "/".join(f"{t:.0%}" for t in trivial),
                str(sum(f["divergences"] > 0 for f in fits)),
                f"{np.median([f['time'] for f in fits]):.0f} [{np.max([f['time'] for f in fits]):.0f}]",
            ]
        )
    every = [f["coverage"] for d in data["results"]["datasets"].values() for f in d["fits"]]
    if every:
        rows.append(["all", "", str(len(every)), _pm(every), "", "", "", "", ""])
    return header, rows


def view_threshold_choice(data):
    """bench_threshold_choice.json: the stacked fit beside fixed thresholds, on simulated surface searches."""
    r = data["results"]
    header = [
        "threshold",
        "tail runs (median)",
        "coverage of beta ± s.e.",
        "mean width",
        "mean interval score",
        "fit (s), median",
    ]
    rows = []
    for label, m in r["methods"].items():
        tail = "stacked" if label.startswith("auto") else f"{m.get('median_n_tail', float('nan')):.0f}"
        seconds = f"{m['median_seconds']:.1f}" if "median_seconds" in m else ""
        rows.append(
            [
                '"auto"' if label == "auto" else label,
                tail,
                f"{m['coverage']:.2f} ± {m['coverage_se']:.2f}",
                f"{m['mean_width']:.4f}",
                f"{m['mean_interval_score']:.4f}",
                seconds,
            ]
        )
    return header, rows


def view_extrapolation_auto(data):
    """bench_extrapolation_auto.json: band coverage and interval score of "auto", the analysis' threshold
    and each candidate, per data set."""
    header = [
        "data",
        "threshold",
        "coverage of the full curve ± s.e. (own regime)",
        "coverage ± s.e. (common grid)",
        "mean interval score (common grid)",
        "over the analysis threshold's (paired difference / s.e.)",
        "mean weight",
    ]
    rows = []
    for name, d in data["results"]["datasets"].items():
        summary = d["summary"]
        weights = summary["mean_weights"]
        for label, m in summary.items():
            if not isinstance(m, dict):
                continue
            weight = ""
            if label.startswith("candidate "):
                weight = f"{weights[int(label.split()[1]) - 1]:.2f}"
            shown = '"auto"' if label == "auto" else label
            if label == summary["best fixed"]:
                shown += " (best fixed)"
            rows.append(
                [
                    name,
                    shown,
                    f"{m['coverage']:.2f} ± {m['coverage_se']:.2f}",
                    f"{m['coverage_common']:.2f} ± {m['coverage_common_se']:.2f}",
                    f"{m['interval_score']:.5f}",
                    _paired(d["fits"], label),
                    weight,
                ]
            )
    return header, rows


def _paired(fits, label: str) -> str:
    """A fit's mean interval score over the analysis threshold's on the same subsamples (those that have
    it), and the mean paired difference over its standard error."""
    if label == "analysis threshold":
        return ""
    pairs = []
    for f in fits:
        if label == "auto":
            pairs.append((f["interval_score_common"], f["fixed"]["interval_score_common"]))
        elif int(label.split()[1]) <= len(f["candidates"]):
            band = f["candidates"][int(label.split()[1]) - 1]
            pairs.append((band["interval_score_common"], f["fixed"]["interval_score_common"]))
    if len(pairs) < 2:  # (no subsample, or one, has that candidate: no standard error)
        return ""
    ours, reference = np.array(pairs).T
    diff = ours - reference
    over = np.mean(diff) / (np.std(diff, ddof=1) / np.sqrt(diff.size))
    return f"{np.mean(ours) / np.mean(reference):.3f} ({over:.1f})"


def view_threshold_rules(data):
    """bench_threshold_rules.json: per data set and rule, the band's interval score against the analysis
    threshold's (paired, on the same subsamples), its coverage, and how many candidates it stacks."""
    header = [
        "data",
        "rule",
        "mean interval score",
        "over the analysis threshold's",
        "paired difference / s.e.",
        "coverage ± s.e.",
        "candidates",
    ]
    rows = []
    for name, d in data["results"]["datasets"].items():
        for rule, m in d["summary"].items():
            rows.append(
                [
                    name,
                    rule,
                    f"{m['interval_score']:.5f}",
                    f"{m['ratio']:.3f}",
                    "" if rule == "analysis threshold" else f"{m['paired_diff_over_se']:.1f}",
                    f"{m['coverage']:.2f} ± {m['coverage_se']:.2f}",
                    f"{m['candidates']:.1f}",
                ]
            )
    return header, rows


def view_threshold_real(data):
    """bench_threshold_real.json: best-score intervals of fixed thresholds, the candidates and "auto"."""
    header = ["data", "threshold", "tail runs", "weight", "tail PIT p", "beta, 90 % interval", "fit (s)"]
    rows = []
    for name, d in data["results"]["datasets"].items():
        for f in d["fixed"]:
            lo, _, hi = f["best"]
            rows.append(
                [
                    name,
                    f"{f['threshold']:g} (fixed)",
                    str(f["n_tail"]),
                    "",
                    "",
                    f"[{lo:.5f}, {hi:.5f}]",
                    f"{f['seconds']:.1f}",
                ]
            )
        a = d["auto"]
        for c in a["candidates"]:
            lo, _, hi = c["best"]
            rows.append(
                [
                    name,
                    f"{c['threshold']:.5f} (candidate)",
                    str(c["n_tail"]),
                    f"{c['weight']:.2f}",
                    f"{c['pit_pvalue']:.3f}",
                    f"[{lo:.5f}, {hi:.5f}]",
                    "",
                ]
            )
        rows.append(
            [
                name,
                '"auto"',
                "",
                f"between thresholds: {a['threshold_share']:.0%}",
                "",
                f"[{a['best'][0]:.5f}, {a['best'][2]:.5f}]",
                f"{a['seconds']:.1f} ({a['time_ratio']:.1f}x)",
            ]
        )
    return header, rows


def view_threshold_joint(data):
    """bench_threshold_real.json, ``joint``: the joint fit at the analyses' thresholds and with "auto"."""
    joint = data["results"]["joint"]
    names = list(joint["fixed"]["best"])
    header = ["thresholds", *(f"{n}: beta, 90 % interval" for n in names), f"P({names[1]} better)", "fit (s)"]
    rows = []
    for label in ("fixed", "auto"):
        r = joint[label]
        shown = "the analyses'" if label == "fixed" else '"auto"'
        cells = [f"[{r['best'][n][0]:.5f}, {r['best'][n][2]:.5f}]" for n in names]
        seconds = f"{r['seconds']:.0f}" + (f" ({r['time_ratio']:.1f}x)" if "time_ratio" in r else "")
        rows.append([shown, *cells, f"{r['prob_better']:.3f}", seconds])
    a = joint["auto"]
    weights = ", ".join(f"{w:.2f}" for w in a["weights"])
    shares = [f"between thresholds: {a['threshold_share'][n]:.0%}" for n in names]
    rows.append([f"weights {weights}", *shares, "", ""])
    return header, rows


def view_compare(rows):
    """A CSV of simulated comparisons: ``u`` (the posterior CDF of the difference at the truth) is uniform."""
    u = np.array([r["u"] for r in rows])
    p = np.array([r["p_b_better"] for r in rows])
    better = np.array([r["delta"] > 0 for r in rows])
    header = [
        "repetitions",
        "central 50 % intervals holding the truth",
        "80 %",
        "90 %",
        "KS p (u uniform)",
        "Brier score of P(B better)",
        "repetitions with divergences",
    ]
    held = [f"{np.mean(np.abs(u - 0.5) <= level / 2):.3f}" for level in (0.5, 0.8, 0.9)]
    return header, [
        [
            str(u.size),
            *held,
            f"{stats.kstest(u, 'uniform').pvalue:.3f}",
            f"{np.mean((p - better) ** 2):.3f}",
            str(sum(r["divergences"] > 0 for r in rows)),
        ]
    ]


VIEWS = {
    "accuracy": view_accuracy,
    "logp": view_logp,
    "fit": view_fit,
    "speed": view_speed,
    "convergence-real": view_convergence_real,
    "convergence-grid": view_convergence_grid,
    "convergence-gamma": view_convergence_gamma,
    "convergence-extension": view_convergence_extension,
    "coverage-sim": view_coverage_sim,
    "sbc": view_sbc,
    "sbc-ranks": view_sbc_ranks,
    "extrapolation": view_extrapolation,
    "compare": view_compare,
    "threshold-choice": view_threshold_choice,
    "extrapolation-auto": view_extrapolation_auto,
    "threshold-real": view_threshold_real,
    "threshold-rules": view_threshold_rules,
    "threshold-joint": view_threshold_joint,
}


# -- provenance ---------------------------------------------------------------------------------------


def readme_entry(name: str) -> str | None:
    """The command column of ``benchmarks/results/README.md``'s table row that lists ``name``."""
    for line in (RESULTS / "README.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and f"`{name}`" in cells[0]:
            return cells[1]
    return None


def provenance_items(name: str) -> list[tuple[str, str]]:
    data = load(name)
    if isinstance(data, list):  # a CSV of repetitions
        entry = readme_entry(name)
        if entry is None:
            raise ResultsError(f"{name} is not listed in {RESULTS / 'README.md'}")
        made_by = entry.replace("`", "")
        counted = "repetitions" if "rep" in data[0] else "rows"
        return [("file", f"benchmarks/results/{name}"), ("made by", made_by), (counted, f"{len(data):,}")]
    host = data["host"]
    packages = ", ".join(f"{p} {data['packages'][p]}" for p in SHOWN_PACKAGES if data["packages"].get(p))
    commit = data["commit"][:10] + (" (with uncommitted changes)" if data.get("uncommitted_changes") else "")
    return [
        ("file", f"benchmarks/results/{name}"),
        ("command", data["command"]),
        ("commit", commit),
        ("date", data["date"]),
        ("host", f"{host['cpu']}, {host['cores']} cores, {host['os']}"),
        ("Python", data["python"]),
        ("packages", packages),
    ]


# -- docutils nodes ------------------------------------------------------------------------------------


def table_node(header, rows, caption: str) -> nodes.table:
    table = nodes.table(classes=["bayesq-results"])
    table += nodes.title(text=caption)
    group = nodes.tgroup(cols=len(header))
    table += group
    for _ in header:
        group += nodes.colspec(colwidth=1)
    head = nodes.thead()
    group += head
    body = nodes.tbody()
    group += body
    for parent, cells in [(head, header), *((body, row) for row in rows)]:
        row_node = nodes.row()
        for cell in cells:
            entry = nodes.entry()
            entry += nodes.paragraph(text=str(cell))
            row_node += entry
        parent += row_node
    return table


class ResultsTable(SphinxDirective):
    required_arguments = 1
    option_spec: ClassVar = {"view": directives.unchanged_required, "caption": directives.unchanged}

    def run(self):
        name, view = self.arguments[0], self.options["view"]
        if view not in VIEWS:
            raise self.error(f"unknown view {view!r}; known: {sorted(VIEWS)}")
        try:
            header, rows = VIEWS[view](load(name))
        except ResultsError as error:
            raise self.error(str(error)) from error
        self.env.note_dependency(str(RESULTS / name))
        caption = self.options.get("caption", "")
        source = f"benchmarks/results/{name}"
        caption = f"{caption} (from {source})" if caption else f"From {source}"
        return [table_node(header, rows, caption)]


class ResultsProvenance(SphinxDirective):
    required_arguments = 1

    def run(self):
        name = self.arguments[0]
        try:
            items = provenance_items(name)
        except ResultsError as error:
            raise self.error(str(error)) from error
        self.env.note_dependency(str(RESULTS / name))
        fields = nodes.field_list(classes=["bayesq-provenance"])
        for key, value in items:
            field = nodes.field()
            field += nodes.field_name(text=key)
            body = nodes.field_body()
            body += nodes.paragraph("", "", nodes.literal(text=value))
            field += body
            fields += field
        return [fields]


class ResultRole(SphinxRole):
    def run(self):
        parts = self.text.split()
        if len(parts) not in (2, 3):
            return self.error(f"{{result}} needs FILE PATH [FORMAT], got {self.text!r}")
        name, path, spec = (*parts, "")[:3]
        try:
            value = lookup(load(name), path)
            text = format(value, spec)
        except (ResultsError, KeyError, IndexError, ValueError, TypeError) as error:
            return self.error(f"{{result}}`{self.text}`: {error}")
        self.env.note_dependency(str(RESULTS / name))
        return [nodes.inline(text=text, classes=["bayesq-result"])], []

    def error(self, message):
        msg = self.inliner.reporter.error(message, line=self.lineno)
        return [self.inliner.problematic(self.rawtext, self.rawtext, msg)], [msg]


def setup(app):
    app.add_directive("results-table", ResultsTable)
    app.add_directive("results-provenance", ResultsProvenance)
    app.add_role("result", ResultRole())
    return {"parallel_read_safe": True, "parallel_write_safe": True}
