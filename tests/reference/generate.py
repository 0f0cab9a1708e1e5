"""Generate the mpmath reference values of the noisy quadratic distribution.

Run from the repository root (takes about 10 minutes on 2 cores)::

    python tests/reference/generate.py

and it rewrites ``tests/reference/noisy_quadratic.json``. The reference is
independent of bayesq's quadrature: mpmath's tanh-sinh quadrature at 50
significant digits on the defining integrals in the variable v (in u = v^k for
the integrands that are singular at v = 0 when k = gamma/2 < 1), with
breakpoints at the noise kernel and at the support's ends. Each value is
computed twice, at 40 and at 50 digits, and kept only if both agree to 1e-20.
Gradients differentiate under the integral sign (in x, s and k, then the
chain rule), with the same quadrature at 40 digits. The derivative in k is
integrated in v, without the substitution, so its singularity
v^(k-1) log v is resolved only for the reference set's gamma >= 0.5: at
gamma 0.2 it is off by 0.7-8 % (measured against central differences of the
values), and tests below gamma 0.5 difference the values instead.
"""

from __future__ import annotations

import itertools
import json
import pathlib
from multiprocessing import Pool

import mpmath as mp

OUT = pathlib.Path(__file__).with_name("noisy_quadratic.json")
SUPPORTS = [(0.0, 1.0), (0.82, 0.89), (3.5, 4.2)]
GAMMAS = [0.5, 1.0, 2.0, 2.5, 5.0, 12.0, 20.0]
SIGMA_RATIOS = [1e-6, 1e-3, 0.05, 1.0, 10.0]
# positions of y in the standardized coordinate x (distance from the best end)
NEAR_BEST = [-37.0, -15.0, -3.0, 0.0, 0.5, 3.0]  # x = j * s (-37: CDF ~ 1e-300)
INTERIOR = [0.5]
NEAR_WORST = [-3.0, 0.0, 15.0, 37.0]  # x = 1 + j * s
GRAD_CASES = dict(
    supports=[((0.82, 0.89), True), ((0.0, 1.0), False)],
    gammas=[0.5, 1.0, 2.5, 12.0],
    ratios=[1e-4, 0.05, 1.0],
    near_best=[-3.0, 0.5],
    interior=[0.5],
    near_worst=[0.5, 3.0],
)
PARAMS = ("y", "alpha", "beta", "gamma", "sigma")


def _breaks(x, s):
    pts = {mp.mpf(0), mp.mpf(1)}
    for j in (-16, -8, -3, -1, 0, 1, 3, 8, 16):
        p = x + j * s
        if 0 < p < 1:
            pts.add(p)
    for c in (mp.mpf(0), mp.mpf(1)):
        d = abs(x - c)
        scales = ([s * s / d] if d > s else []) + [s]
        for sc in scales:
            for j in (1e-3, 0.1, 1, 4, 16, 64):
                for p in (c + j * sc, c - j * sc):
                    if 0 < p < 1:
                        pts.add(p)
    return sorted(pts)


def _integral(kind, x, s, k, d=None):
    """int_0^1 w(v) phi((x - v)/s)/s dv for w = k v^(k-1), v^k, 1 - v^k.

    ``d`` in (None, "x", "s", "k"): the partial derivative of the integral
    in that variable instead (differentiation under the integral sign).
    """

    def kernel(v):
        t = x - v
        base = mp.npdf(t / s) / s
        if d == "x":
            return -t / s**2 * base
        if d == "s":
            return (t * t / s**3 - 1 / s) * base
        return base

    def g(v):
        return kernel(v)

    if d == "k":
        w = {
            "pdf": lambda v: v ** (k - 1) * (1 + k * mp.log(v)),
            "cdf": lambda v: v**k * mp.log(v),
            "sf": lambda v: -(v**k) * mp.log(v),
        }[kind]
        return _quad(lambda v: w(v) * g(v), _breaks(x, s))

    if k < 1 and kind in ("pdf", "sf"):  # u = v^k removes the singularity at 0
        if kind == "pdf":
            f = lambda u: g(u ** (1 / k))  # noqa: E731
        else:
            f = lambda u: (1 - u) * u ** (1 / k - 1) / k * g(u ** (1 / k))  # noqa: E731
        pts = sorted({p**k for p in _breaks(x, s)})
    else:
        w = {
            "pdf": lambda v: k * v ** (k - 1),
            "cdf": lambda v: v**k,
            "sf": lambda v: 1 - v**k,
        }[kind]
        f = lambda v: w(v) * g(v)  # noqa: E731
        pts = _breaks(x, s)
    return _quad(f, pts)


def _quad(f, pts):
    """mp.quad with the integrand scaled to order one.

    mpmath controls the absolute error; an integrand of size 1e-50 would be
    accepted after a few nodes. Scaling by the largest value seen at the
    breakpoints and midpoints makes the tolerance relative.
    """
    probes = list(pts[1:-1]) + [(a + b) / 2 for a, b in itertools.pairwise(pts)]
    scale = max(abs(f(p)) for p in probes)
    if scale == 0:
        scale = mp.mpf(1)
    return mp.quad(lambda t: f(t) / scale, pts, maxdegree=10) * scale


def _std(kind, y, alpha, beta, gamma, sigma, maximize):
    y, alpha, beta, gamma, sigma = (mp.mpf(t) for t in (y, alpha, beta, gamma, sigma))
    width = beta - alpha
    x = (beta - y) / width if maximize else (y - alpha) / width
    s, k = sigma / width, gamma / 2
    if kind == "pdf":
        std_kind = "pdf"
    else:
        std_kind = "sf" if maximize == (kind == "cdf") else "cdf"
    return std_kind, x, s, k, width


def _std_value(std_kind, x, s, k, d=None):
    """P(X <= x), P(X >= x) or the density of X = V + sZ, or a partial derivative."""
    value = _integral(std_kind, x, s, k, d)
    if std_kind == "pdf":
        return value
    # the normal-CDF term: Phi((x - 1)/s) for the CDF, Phi(-x/s) for the SF
    t = (x - 1) / s if std_kind == "cdf" else -x / s
    sign = 1 if std_kind == "cdf" else -1
    if d is None:
        return value + mp.ncdf(t)
    if d == "x":
        return value + sign * mp.npdf(t) / s
    if d == "s":
        return value - mp.npdf(t) * t / s
    return value


def log_value(kind, y, alpha, beta, gamma, sigma, maximize):
    """log pdf / log cdf / log sf of Y ~ Q(alpha, beta, gamma, sigma) at y."""
    std_kind, x, s, k, width = _std(kind, y, alpha, beta, gamma, sigma, maximize)
    value = mp.log(_std_value(std_kind, x, s, k))
    return value - mp.log(width) if kind == "pdf" else value


def log_gradient(kind, y, alpha, beta, gamma, sigma, maximize):
    """Gradient of :func:`log_value` in (y, alpha, beta, gamma, sigma), by the chain rule."""
    std_kind, x, s, k, width = _std(kind, y, alpha, beta, gamma, sigma, maximize)
    value = _std_value(std_kind, x, s, k)
    gx, gs, gk = (_std_value(std_kind, x, s, k, d) / value for d in ("x", "s", "k"))
    sign = -1 if maximize else 1
    dx = {
        "y": sign / width,
        "alpha": x / width if maximize else (x - 1) / width,
        "beta": (1 - x) / width if maximize else -x / width,
    }
    extra = (1 / width, -1 / width) if kind == "pdf" else (0, 0)
    return [
        gx * dx["y"],
        gx * dx["alpha"] + gs * s / width + extra[0],
        gx * dx["beta"] - gs * s / width + extra[1],
        gk / 2,
        gs / width,
    ]


def _value_case(case):
    kind, params, maximize = case
    with mp.workdps(40):
        v40 = log_value(kind, *params, maximize)
    with mp.workdps(50):
        v50 = log_value(kind, *params, maximize)
    ok = abs(v40 - v50) <= mp.mpf("1e-20") * max(1, abs(v50))
    return dict(kind=kind, params=list(params), maximize=maximize, value=float(v50), ok=bool(ok))


def _grad_case(case):
    kind, params, maximize = case
    with mp.workdps(40):
        grads = [float(g) for g in log_gradient(kind, *params, maximize)]
        value = float(log_value(kind, *params, maximize))
    return dict(kind=kind, params=list(params), maximize=maximize, value=value, grad=grads)


def _y_positions(alpha, beta, sigma, maximize, near_best, interior, near_worst):
    width = beta - alpha
    s = sigma / width
    xs = [j * s for j in near_best] + list(interior) + [1 + j * s for j in near_worst]
    return [beta - x * width if maximize else alpha + x * width for x in xs]


def value_cases():
    for (alpha, beta), maximize, gamma, ratio in itertools.product(
        SUPPORTS, (True, False), GAMMAS, SIGMA_RATIOS
    ):
        sigma = ratio * (beta - alpha)
        for y in _y_positions(alpha, beta, sigma, maximize, NEAR_BEST, INTERIOR, NEAR_WORST):
            for kind in ("pdf", "cdf", "sf"):
                yield kind, (y, alpha, beta, gamma, sigma), maximize


def grad_cases():
    c = GRAD_CASES
    for ((alpha, beta), maximize), gamma, ratio in itertools.product(c["supports"], c["gammas"], c["ratios"]):
        sigma = ratio * (beta - alpha)
        for y in _y_positions(alpha, beta, sigma, maximize, c["near_best"], c["interior"], c["near_worst"]):
            for kind in ("pdf", "cdf", "sf"):
                yield kind, (y, alpha, beta, gamma, sigma), maximize


def main():
    with Pool() as pool:
        values = pool.map(_value_case, list(value_cases()), chunksize=8)
        grads = pool.map(_grad_case, list(grad_cases()), chunksize=4)
    bad = [v for v in values if not v["ok"]]
    if bad:
        raise SystemExit(f"{len(bad)} reference values disagree between 50 and 60 digits: {bad[:3]}")
    for v in values:
        del v["ok"]
    payload = {
        "note": "generated by tests/reference/generate.py; log values, float64 inputs",
        "params": list(PARAMS),
        "values": values,
        "gradients": grads,
    }
    tmp = OUT.with_suffix(".tmp")
    tmp.write_text(json.dumps(payload, indent=0))
    tmp.replace(OUT)
    print(f"wrote {len(values)} values and {len(grads)} gradients to {OUT}")


if __name__ == "__main__":
    main()
