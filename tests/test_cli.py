"""The command line and the analysis specs: bayesq demo, fit, run; models/*.toml.

Where the CLI itself is the subject (interrupts, read-only places, a directory
that appears meanwhile), it runs as a user runs it: ``python -m bayesq`` in a
subprocess, without root's privileges where permissions matter. Every such test
checks that the user's files are intact, byte for byte.
"""

import inspect
import os
import pathlib
import re
import shlex
import signal
import subprocess
import sys
import time
import warnings

import h5py
import numpy as np
import pytest

from bayesq import files, fit, load
from bayesq.cli import main
from bayesq.simulate import simulate_random_search
from bayesq.spec import DEMO, load_spec

ROOT = pathlib.Path(__file__).parents[1]
MODELS = ROOT / "models"
FAST = ["--draws", "200", "--tune", "200", "--chains", "2"]


def snapshot(root: pathlib.Path) -> dict:
    """Every file under ``root`` with its bytes, and every directory (what a user has)."""
    out = {}
    for p in sorted(root.rglob("*")):
        out[str(p.relative_to(root))] = p.read_bytes() if p.is_file() else "dir"
    return out


def temporaries(root: pathlib.Path) -> list[pathlib.Path]:
    """The hidden working directories of bayesq under ``root`` (an output's temporary twin)."""
    return [p for p in root.iterdir() if p.name.startswith(".") and p.name.endswith(".tmp")]


# what the child runs first: Ctrl-C as in a terminal (a test runner may ignore SIGINT, and children
# inherit that) and, for root, no power to ignore file permissions (dropped from the bounding set)
UNPRIVILEGED = """
import ctypes, os, runpy, signal, sys
signal.signal(signal.SIGINT, signal.default_int_handler)
libc = ctypes.CDLL(None, use_errno=True)
held = [cap for cap in (1, 2, 3) if libc.prctl(23, cap, 0, 0, 0) == 1]  # PR_CAPBSET_READ
if os.geteuid() == 0 and held:  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER
    for cap in held:
        if libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            sys.exit("cannot drop capabilities")
    os.execv(sys.executable, sys.orig_argv)  # root's capabilities come from the bounding set at exec
"""
LAUNCHER = UNPRIVILEGED + 'sys.argv[0] = "bayesq"\nrunpy.run_module("bayesq", run_name="__main__")\n'


def permissions_apply(tmp_path) -> bool:
    """Whether a child started like :func:`bayesq_process` is refused a read-only folder."""
    locked = tmp_path / "probe"
    locked.mkdir(mode=0o555)
    probe = subprocess.run([sys.executable, "-c", UNPRIVILEGED + f"open({str(locked / 'x')!r}, 'w')"])
    locked.rmdir()
    return probe.returncode != 0


def bayesq_process(args, cwd) -> subprocess.Popen:
    """``python -m bayesq ARGS`` in ``cwd``, as a user without root's privileges would run it."""
    return subprocess.Popen(
        [sys.executable, "-c", LAUNCHER, *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(condition, process, timeout=300.0):
    start = time.monotonic()
    while not condition():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() - start < timeout
        time.sleep(0.02)


@pytest.fixture
def workdir(tmp_path, short_fit):
    """The folder of the table of errors (docs/guide/errors.md)."""
    sim = simulate_random_search(n=150, random_seed=4)
    np.savetxt(tmp_path / "scores.txt", sim.scores, fmt="%.6f")
    np.savetxt(tmp_path / "losses.txt", 1 - sim.scores, fmt="%.6f")
    (tmp_path / "runs").mkdir()
    np.savetxt(tmp_path / "runs" / "scores.txt", sim.scores, fmt="%.6f")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("a user's notes\n")
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "bad.txt").write_text("0.85\n0.86\nn/a\n")
    for name in ("old", "sealed"):
        with files.OutputDirectory(tmp_path / name, command="fit") as tmp:
            short_fit.save(tmp / "fit.nc")
    saved = (tmp_path / "old" / "fit.nc").read_bytes()
    (tmp_path / "broken.nc").write_bytes(np.random.default_rng(0).bytes(len(saved)))
    (tmp_path / "half.nc").write_bytes(saved[: len(saved) // 2])
    (tmp_path / "empty.nc").write_bytes(b"")
    (tmp_path / "tampered.nc").write_bytes(saved)
    with h5py.File(tmp_path / "tampered.nc", "r+") as h5:
        h5["posterior/beta"][0, 0] += 1e-3
    (tmp_path / "readonly").mkdir()
    os.chmod(tmp_path / "readonly", 0o555)
    os.chmod(tmp_path / "sealed", 0o555)
    yield tmp_path
    os.chmod(tmp_path / "readonly", 0o755)
    os.chmod(tmp_path / "sealed", 0o755)


def documented_errors() -> list[tuple[str, str, int]]:
    """The rows of the table of errors (docs/guide/errors.md) that are commands: (command, message, exit)."""
    text = (ROOT / "docs" / "guide" / "errors.md").read_text()
    table = text.split("| Command | Message (stderr) | Exit |", 1)[1].split("\n\n", 1)[0]
    rows = []
    for line in table.strip().splitlines()[1:]:
        command, message, code = (cell.strip() for cell in line.strip("|").split(" | "))
        if command.startswith("`bayesq "):
            rows.append((command.strip("`"), message.strip("`"), int(code)))
    return rows


ERRORS = documented_errors()


def test_the_docs_list_the_errors_they_promise():
    assert len(ERRORS) >= 20


@pytest.mark.parametrize(("command", "message", "code"), ERRORS, ids=[row[0][7:] for row in ERRORS])
def test_each_documented_error_gives_its_message_and_exit_code(
    workdir, command, message, code, monkeypatch, capsys
):
    before = snapshot(workdir)
    args = shlex.split(command)[1:]
    if "readonly" in command or "sealed" in command:  # permissions: a user without root's privileges
        if not permissions_apply(workdir / "mine"):
            pytest.skip("cannot drop root's privileges here")
        done = bayesq_process(args, workdir)
        _, err = done.communicate(timeout=300)
        returncode = done.returncode
    else:
        monkeypatch.chdir(workdir)
        try:
            returncode = main(args)
        except SystemExit as exit:  # argparse's own usage errors
            returncode = exit.code
        err = capsys.readouterr().err
    assert returncode == code, err
    assert message in err
    assert len(err.strip().splitlines()) == 1 or err.startswith("usage:")  # one line, no traceback
    assert "Traceback" not in err
    assert snapshot(workdir) == before  # the user's files, byte for byte
    assert not temporaries(workdir)


def test_ctrl_c_while_sampling_stops_at_once_leaving_nothing(workdir):
    before = snapshot(workdir)
    args = ["fit", "scores.txt", "--threshold", "0.86", "--draws", "200000", "--chains", "2", "--out", "new"]
    process = bayesq_process(args, workdir)
    lines = []

    def sampling():
        lines.append(process.stderr.readline())
        return "sampling 2 chains" in lines[-1]

    wait_for(sampling, process)
    time.sleep(1.0)
    process.send_signal(signal.SIGINT)
    sent = time.monotonic()
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130
    assert time.monotonic() - sent < 15
    assert err.strip().splitlines()[-1] == "bayesq fit: interrupted" and "Traceback" not in err
    assert snapshot(workdir) == before and not temporaries(workdir)


def test_sigterm_while_sampling_stops_and_leaves_nothing(workdir):
    before = snapshot(workdir)
    args = ["fit", "scores.txt", "--threshold", "0.86", "--draws", "200000", "--chains", "2", "--out", "new"]
    process = bayesq_process(args, workdir)
    wait_for(lambda: "sampling 2 chains" in process.stderr.readline(), process)
    time.sleep(1.0)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 143
    assert err.strip().splitlines()[-1] == "bayesq fit: terminated" and "Traceback" not in err
    assert snapshot(workdir) == before and not temporaries(workdir)


def test_ctrl_c_while_compiling_or_writing_leaves_no_output(workdir):
    before = snapshot(workdir)
    # while compiling: as soon as the output's temporary twin exists
    process = bayesq_process(["fit", "scores.txt", "--threshold", "0.86", "--out", "new", *FAST], workdir)
    wait_for(lambda: temporaries(workdir), process)
    time.sleep(0.5)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130 and err.strip().splitlines()[-1] == "bayesq fit: interrupted"
    assert "Traceback" not in err and "Exception ignored" not in err
    assert snapshot(workdir) == before and not temporaries(workdir)
    # while writing: once the first file is in the temporary twin
    process = bayesq_process(["fit", "scores.txt", "--threshold", "0.86", "--out", "new", *FAST], workdir)
    wait_for(lambda: any(t.joinpath("summary.txt").exists() for t in temporaries(workdir)), process)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130 and err.strip().splitlines()[-1] == "bayesq fit: interrupted"
    assert "Traceback" not in err
    assert snapshot(workdir) == before and not temporaries(workdir)


def test_a_directory_made_at_the_output_path_during_the_fit_is_left_alone(workdir):
    process = bayesq_process(["fit", "scores.txt", "--threshold", "0.86", "--out", "new", *FAST], workdir)
    wait_for(lambda: temporaries(workdir), process)
    (workdir / "new").mkdir()
    (workdir / "new" / "theirs.txt").write_text("made while bayesq ran\n")
    before = {k: v for k, v in snapshot(workdir).items() if not k.endswith(".tmp")}
    _, err = process.communicate(timeout=600)
    assert process.returncode == 1
    assert "new appeared while bayesq worked: it was left as it is and nothing was written" in err
    after = snapshot(workdir)
    assert after == before and not temporaries(workdir)


def test_fit_writes_the_output_directory_whole_and_replaces_only_its_own(workdir, monkeypatch, capsys):
    monkeypatch.chdir(workdir)
    assert main(["fit", "scores.txt", "--threshold", "0.86", "--out", "result", "--seed", "1", *FAST]) == 0
    printed = capsys.readouterr().out
    assert "above the threshold 0.86" in printed and "results written to" in printed
    out = workdir / "result"
    files_written = {"summary.txt", "summary.csv", "fit.nc", "trace.png", "posterior.png", "tail.png"}
    assert {p.name for p in out.iterdir()} == files_written | {"prior.png", files.MARKER}
    mask = os.umask(0)
    os.umask(mask)
    assert oct(out.stat().st_mode & 0o777) == oct(0o777 & ~mask)  # as any directory the user makes
    summary = (out / "summary.txt").read_text()
    assert "beta" in summary and "prior sensitivity" in summary
    fitted = load(out / "fit.nc")
    assert fitted.threshold == 0.86 and "prior" in fitted.idata and "log_prior" in fitted.idata
    before = (out / "fit.nc").read_bytes()
    assert main(["fit", "scores.txt", "--threshold", "0.86", "--out", "result", *FAST]) == 2
    assert "pass --force" in capsys.readouterr().err and (out / "fit.nc").read_bytes() == before
    argv = ["fit", "scores.txt", "--threshold", "0.86", "--out", "result", "--force", "--seed", "2", *FAST]
    assert main(argv) == 0
    assert (out / "fit.nc").read_bytes() != before
    assert not temporaries(workdir)


def test_fit_with_threshold_auto_reports_the_candidates_and_saves_a_stacked_fit(workdir, monkeypatch, capsys):
    monkeypatch.chdir(workdir)
    assert main(["fit", "scores.txt", "--threshold", "auto", "--out", "auto", "--seed", "1", *FAST]) == 0
    printed = capsys.readouterr().out
    assert "stacked over" in printed and "the candidate thresholds" in printed
    fitted = load(workdir / "auto")
    assert type(fitted).__name__ == "StackedFit" and "prior" in fitted.idata
    assert (workdir / "auto" / "thresholds.png").is_file()
    assert "weight" in (workdir / "auto" / "summary.txt").read_text()
    with pytest.raises(SystemExit) as exit:
        main(["fit", "scores.txt", "--threshold", "best"])
    assert exit.value.code == 2 and "must be a number or \"auto\", got 'best'" in capsys.readouterr().err


def test_the_cli_and_python_draw_the_same_posterior_for_one_spec_and_seed(tmp_path, capsys):
    sim = simulate_random_search(n=150, random_seed=4)
    np.savetxt(tmp_path / "scores.txt", sim.scores)
    spec = tmp_path / "search.toml"
    spec.write_text(
        '[data]\nfile = "scores.txt"\n[analysis]\nthreshold = 0.86\n[sampler]\nrandom_seed = 7\ndraws = 150\n'
    )
    assert main(["run", str(spec), "--out", str(tmp_path / "out"), "--tune", "200", "--chains", "2"]) == 0
    cli = load(tmp_path / "out" / "fit.nc")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        python = load_spec(spec).run(tune=200, chains=2, quiet=True)
    assert cli.settings["backend"] == python.settings["backend"] == "numba"
    for name in ("alpha", "beta", "gamma", "sigma"):
        np.testing.assert_array_equal(cli.draws(name), python.draws(name))


def test_several_specs_run_in_worker_processes_each_into_its_folder_a_failing_one_apart(tmp_path, capsys):
    sim = simulate_random_search(n=150, random_seed=4)
    np.savetxt(tmp_path / "scores.txt", sim.scores)
    for name, threshold in (("good", 0.86), ("too-high", 0.99)):
        (tmp_path / f"{name}.toml").write_text(
            f'name = "{name}"\n[data]\nfile = "scores.txt"\n[analysis]\nthreshold = {threshold}\n'
            "[sampler]\nrandom_seed = 7\ndraws = 150\n"
        )
    specs = [str(tmp_path / "good.toml"), str(tmp_path / "too-high.toml")]
    out = tmp_path / "out"
    argv = ["run", *specs, "--workers", "2", "--out", str(out), "--tune", "200", "--chains", "2"]
    assert main(argv) == 1  # one spec failed
    err = capsys.readouterr().err
    assert "bayesq run: too-high: error: only 0 of 150 scores lie above the threshold 0.99" in err
    assert {p.name for p in out.iterdir()} == {"good", files.MARKER}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        alone = load_spec(tmp_path / "good.toml").run(tune=200, chains=2, quiet=True)
    np.testing.assert_array_equal(load(out / "good" / "fit.nc").draws("beta"), alone.draws("beta"))
    twice = ["run", specs[0], specs[0], "--workers", "2"]
    assert main(twice) == 2 and "several specs are named 'good'" in capsys.readouterr().err
    (tmp_path / "nested.toml").write_text(
        (tmp_path / "good.toml").read_text().replace('name = "good"', 'name = "runs/good"')
    )
    assert main(["run", specs[0], str(tmp_path / "nested.toml")]) == 2
    assert "spec name 'runs/good' cannot name a folder" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit:
        main(["run", *specs, "--workers", "0"])
    assert exit.value.code == 2 and "--workers must be an integer >= 1, got 0" in capsys.readouterr().err


def test_several_specs_run_on_a_dask_scheduler_by_its_address(tmp_path, capsys):
    distributed = pytest.importorskip("distributed")
    for seed in (4, 5):
        np.savetxt(tmp_path / f"scores{seed}.txt", simulate_random_search(n=150, random_seed=seed).scores)
        (tmp_path / f"s{seed}.toml").write_text(
            f'name = "seed-{seed}"\n[data]\nfile = "scores{seed}.txt"\n[analysis]\nthreshold = 0.86\n'
            "[sampler]\nrandom_seed = 7\ndraws = 150\n"
        )
    specs = [str(tmp_path / "s4.toml"), str(tmp_path / "s5.toml")]
    out = tmp_path / "out"
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster:
        argv = ["run", *specs, "--scheduler", cluster.scheduler_address, "--out", str(out), "--quiet"]
        assert main([*argv, "--tune", "200", "--chains", "2"]) == 0
    assert {p.name for p in out.iterdir()} == {"seed-4", "seed-5", files.MARKER}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        alone = load_spec(tmp_path / "s5.toml").run(tune=200, chains=2, quiet=True)
    np.testing.assert_array_equal(load(out / "seed-5" / "fit.nc").draws("beta"), alone.draws("beta"))


def test_warnings_print_once_after_the_output_and_quiet_prints_nothing(tmp_path, capsys):
    np.savetxt(tmp_path / "scores.txt", simulate_random_search(n=150, random_seed=4).scores)
    short = ["fit", str(tmp_path / "scores.txt"), "--threshold", "0.86", "--draws", "60", "--tune", "60"]
    assert main([*short, "--chains", "2", "--seed", "1"]) == 0
    err = capsys.readouterr().err
    warned = [line for line in err.splitlines() if line.startswith("warning: ")]
    assert warned and len(warned) == len(set(warned))
    assert sum("effective sample size" in line for line in warned) == 1
    assert "prior sensitivity of" in err  # the prior's sway is printed, not only written to summary.txt
    assert "Sampling: [" not in err and "BLAS" not in err
    assert main([*short, "--chains", "2", "--seed", "1", "--quiet", "--out", str(tmp_path / "q")]) == 0
    assert capsys.readouterr() == ("", "")
    assert (tmp_path / "q" / "fit.nc").exists()


def test_version_and_exit_codes_of_the_parser(capsys):
    with pytest.raises(SystemExit) as exit:
        main(["--version"])
    assert exit.value.code == 0 and re.fullmatch(r"bayesq \d+\.\d+\.\d+\S*\n", capsys.readouterr().out)
    with pytest.raises(SystemExit) as exit:
        main(["fit", "x.txt", "--threshold", "high"])
    assert exit.value.code == 2


def test_an_internal_error_is_one_line_and_exit_1_unless_debug(tmp_path, monkeypatch, capsys):
    import bayesq.spec

    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(bayesq.spec.Analysis, "run", broken)
    assert main(["demo", "--quiet"]) == 1
    err = capsys.readouterr().err
    expected = "internal error: ZeroDivisionError: a bug (--debug shows the traceback; please report it)"
    assert err == f"bayesq demo: {expected}\n"
    assert main(["demo", "--debug"]) == 1
    assert "Traceback" in capsys.readouterr().err


def test_models_folder_holds_the_demo_and_the_real_analyses():
    assert load_spec(MODELS / "demo.toml") == DEMO.__class__(**{**DEMO.__dict__, "base_dir": MODELS})
    for name, threshold in (("deberta-base", 0.87), ("deberta-v3-base", 0.89), ("alexnet", 0.50)):
        spec = load_spec(MODELS / f"{name}.toml")
        assert spec.data == {"dataset": name} and spec.threshold == threshold and spec.maximize


def test_spec_errors_name_the_key(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('[data]\ndataset = "deberta-base"\n[analysis]\nthreshold = 0.8\n[sampler]\ndraw = 5\n')
    with pytest.raises(ValueError, match=r"unknown key\(s\) draw in \[sampler\]"):
        load_spec(path)
    path.write_text('[data]\nfile = "x.txt"\ndataset = "alexnet"\n[analysis]\nthreshold = 0.8\n')
    with pytest.raises(ValueError, match="exactly one of dataset, file, simulate"):
        load_spec(path)
    path.write_text('[data]\ndataset = "alexnet"\n')
    with pytest.raises(ValueError, match="needs a threshold"):
        load_spec(path)
    path.write_text('[data]\ndataset = "alexnet"\n[analysis]\nthreshold = "best"\n')
    with pytest.raises(ValueError, match=r'bad.toml: \[analysis\] threshold must be a number or "auto"'):
        load_spec(path)
    path.write_text('[data]\ndataset = "alexnet"\n[analysis]\nthreshold = "auto"\n')
    assert load_spec(path).fit_kwargs()["threshold"] == "auto"
    path.write_text("[data\n")
    with pytest.raises(ValueError, match="not valid TOML"):
        load_spec(path)
    path.write_text('[data]\ndataset = "alexnet"\n[analysis]\nthreshold = 0.5\nmaximize = "no"\n')
    with pytest.raises(TypeError, match="maximize must be True or False"):
        load_spec(path)
    # the sampler's settings are checked as the file is read, each named as the file names it
    head = '[data]\ndataset = "alexnet"\n[analysis]\nthreshold = 0.5\n[sampler]\n'
    for line, message in [
        ('extend = "no"', r"bad: \[sampler\] extend must be True or False"),
        ("max_draws = 100", r"bad: \[sampler\] max_draws must be at least draws \(1000\), got 100"),
        ("time_limit = 0", r"bad: \[sampler\] time_limit must be positive"),
        ("draws = 0", r"bad: \[sampler\] draws must be an integer >= 1"),
        ("extend = false\nmax_draws = 5000", r"bad: \[sampler\] max_draws is a budget for extend=True"),
    ]:
        path.write_text(head + line + "\n")
        with pytest.raises(ValueError, match=message):
            load_spec(path)
        assert main(["run", str(path)]) == 2  # the command line says the same, not a flag never given


def test_flags_override_the_extension_a_spec_states(tmp_path):
    """--no-extend drops the file's budget; a budget flag drops the file's extend = false."""
    head = '[data]\ndataset = "alexnet"\n[analysis]\nthreshold = 0.5\n[sampler]\n'
    (tmp_path / "budget.toml").write_text(head + "max_draws = 3000\ntime_limit = 60\n")
    budget = load_spec(tmp_path / "budget.toml")
    assert (budget.fit_kwargs()["max_draws"], budget.fit_kwargs()["time_limit"]) == (3000, 60)
    once = budget.fit_kwargs(extend=False)
    assert once["extend"] is False and "max_draws" not in once and "time_limit" not in once
    (tmp_path / "once.toml").write_text(head + "extend = false\n")
    spec = load_spec(tmp_path / "once.toml")
    assert spec.fit_kwargs()["extend"] is False
    assert (
        "extend" not in spec.fit_kwargs(max_draws=2000)
        and spec.fit_kwargs(max_draws=2000)["max_draws"] == 2000
    )
    assert spec.fit_kwargs(time_limit=5.0)["time_limit"] == 5.0 and "extend" not in spec.fit_kwargs(
        time_limit=5.0
    )


def test_curves_reads_a_saved_fit_and_places_the_observed_best(short_fit, tmp_path, capsys):
    saved = tmp_path / "fit"
    with files.OutputDirectory(saved) as tmp:
        short_fit.save(tmp / "fit.nc")
    out = tmp_path / "curves"
    args = ["curves", str(saved), "--k-max", "2000", "--eps", "0.01", "--support", "0,1", "--out", str(out)]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "median tuning curve, 80% credible band" in printed
    # beta is the best configuration's expected score; the observed best carries seed noise
    assert "best achievable score (beta: the expected score of the best configuration" in printed
    assert f"best observed score after {short_fit.scores.size} runs, as predicted" in printed
    assert f"best observed score of the {short_fit.scores.size} runs: " in printed
    files_written = {"tuning_curve.csv", "best_after.csv", "best_score.txt", "tuning_curve.png", "cdf.png"}
    assert {p.name for p in out.iterdir()} == files_written | {files.MARKER}
    import pandas as pd

    table = pd.read_csv(out / "tuning_curve.csv", index_col="k")
    assert table.index.max() == pytest.approx(2000)
    assert list(table.columns)[:3] == ["lower", "estimate", "upper"]
    assert main(args) == 2


def test_demo_prints_the_posterior_beside_the_truth(capsys):
    assert main(["demo", *FAST]) == 0
    out = capsys.readouterr().out
    table = out.split("posterior vs truth:\n", 1)[1].splitlines()[1:5]
    truth = DEMO.simulation().tail_truth  # the censored tail's truth (the failures stretch alpha)
    for row, (name, value) in zip(table, truth.items(), strict=True):
        label, shown, mean, lower, upper, inside = (
            row.replace("[", "").replace("]", "").replace(",", "").split()
        )
        assert label == name and float(shown) == pytest.approx(value, rel=1e-3)
        assert float(lower) <= float(mean) <= float(upper)
        assert inside == "yes", row  # seeded: the truth lies in every 90 % interval


def test_run_fits_a_spec_with_its_file_direction_priors_and_sampler(tmp_path, capsys):
    """bayesq run: a spec's score file (relative to the spec), minimization, priors and sampler keywords."""
    sim = simulate_random_search(n=150, random_seed=4)
    losses = 1.0 - sim.scores
    (tmp_path / "losses.csv").write_text(
        "run,loss\n" + "".join(f"{i},{v:.8f}\n" for i, v in enumerate(losses))
    )
    spec = tmp_path / "losses.toml"
    spec.write_text(
        'name = "losses"\n[data]\nfile = "losses.csv"\ncolumn = "loss"\n'
        "[analysis]\nthreshold = 0.14\nmaximize = false\n"
        "[priors]\ngamma_median = 1.5\n"
        "[sampler]\nrandom_seed = 7\ndraws = 150\n"
    )
    out = tmp_path / "result"
    assert main(["run", str(spec), "--out", str(out), "--tune", "200", "--chains", "2"]) == 0
    assert "below the threshold 0.14 (minimize)" in capsys.readouterr().out
    fitted = load(out / "fit.nc")
    s = fitted.settings
    assert (s["maximize"], s["threshold"], s["priors"]["gamma_median"]) == (False, 0.14, 1.5)
    assert (s["random_seed"], s["tune"], s["chains"]) == (7, 200, 2)
    # draws=150 asked; extended (by default) in steps of 75 up to 5 times 150 until the standard held
    assert s["max_draws"] == 750 and s["draws"] in range(150, 751, 75)
    assert s["asked_draws"] == (None if s["draws"] == 150 else 150)
    assert (s["sampler"], s["backend"]) == ("nutpie", "numba")  # the program Python runs
    np.testing.assert_allclose(np.sort(fitted.scores), np.sort(losses), atol=1e-8)
    # the best score of losses is alpha, near 1 - 0.9
    assert fitted.best_score().estimate == pytest.approx(0.1, abs=0.01)


def test_fit_help_states_the_defaults_of_bayesq_fit(capsys):
    # the CLI builds its parser without importing pymc, so it writes the defaults out
    with pytest.raises(SystemExit):
        main(["fit", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    defaults = inspect.signature(fit).parameters
    for name in ("draws", "tune", "chains", "target_accept"):
        flag = "--" + name.replace("_", "-")
        assert f"{flag} {name.upper()} " in text
        stated = text.split(f"{flag} {name.upper()} ", 1)[1].split("(default ", 1)[1].split(")", 1)[0]
        assert float(stated) == defaults[name].default, flag


def test_simulation_is_seeded_and_validates_its_arguments():
    a = simulate_random_search(n=100, random_seed=1)
    b = simulate_random_search(n=100, random_seed=1)
    assert (a.scores == b.scores).all() and a.failed.sum() > 0
    assert (a.scores[a.failed] < a.alpha).all()
    with pytest.raises(ValueError, match="n must be at least 1"):
        simulate_random_search(n=0)
    with pytest.raises(ValueError, match="failure_rate"):
        simulate_random_search(failure_rate=1.5)


def test_cache_says_where_the_compiled_programs_are_and_clear_deletes_them(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("BAYESQ_CACHE_DIR", str(tmp_path))
    program = tmp_path / "programs" / "0123"
    program.mkdir(parents=True)
    (program / "meta.pkl").write_bytes(b"x" * 2048)
    assert main(["cache"]) == 0
    said = capsys.readouterr().out
    assert f"{tmp_path}: 1 compiled program(s)" in said and "--clear" in said
    assert main(["cache", "--clear"]) == 0
    assert "deleted 1 compiled program(s)" in capsys.readouterr().out and not program.exists()
    assert main(["cache"]) == 0 and ": 0 compiled program(s), 0.0 MiB" in capsys.readouterr().out
