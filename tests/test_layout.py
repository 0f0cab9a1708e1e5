"""The package's layout: no import cycle among bayesq's modules, and modules small enough to read."""

import ast
import pathlib

PACKAGE = pathlib.Path(__file__).parents[1] / "bayesq"
MAX_LINES = 600


def module_name(path: pathlib.Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: pathlib.Path, modules: set) -> set:
    """The bayesq modules ``path`` imports, at the top or inside functions."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        else:
            continue
        found |= {n for n in names if n in modules}
    return found


def test_no_import_cycle_among_the_modules():
    paths = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {name: imports(path, set(paths)) - {name} for name, path in paths.items()}
    # a package's own __init__ is imported before its modules; importing from it is not a cycle
    graph = {name: {d for d in deps if not name.startswith(d + ".")} for name, deps in graph.items()}
    state = {}

    def visit(node, trail):
        if state.get(node) == "done":
            return
        assert state.get(node) != "open", f"import cycle: {' -> '.join([*trail, node])}"
        state[node] = "open"
        for dep in sorted(graph[node]):
            visit(dep, [*trail, node])
        state[node] = "done"

    for name in sorted(graph):
        visit(name, [])


def test_every_module_reads_in_one_sitting():
    sizes = {str(p.relative_to(PACKAGE)): len(p.read_text().splitlines()) for p in PACKAGE.rglob("*.py")}
    assert not {k: v for k, v in sizes.items() if v > MAX_LINES}


def test_constants_the_docs_name_are_where_they_say():
    import bayesq
    import bayesq.diagnostics
    import bayesq.samplers

    assert bayesq.samplers.TARGET_ACCEPT == 0.95 and bayesq.diagnostics.MAX_RHAT == 1.01
    assert callable(bayesq.fit)  # the function, not a module of that name


def test_no_public_name_shadows_a_module():
    import bayesq

    modules = {module_name(p).removeprefix("bayesq.") for p in PACKAGE.rglob("*.py")}
    assert not set(bayesq.__all__) & modules


def test_the_command_line_starts_without_pymc_or_jax():
    """``bayesq --help`` and ``--version`` read no heavy package: ``bayesq`` imports its names lazily."""
    import subprocess
    import sys

    probe = (
        "import sys, bayesq.cli; "
        "print(sorted(m for m in ('pymc', 'pytensor', 'jax', 'arviz', 'nutpie') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    version = subprocess.run([sys.executable, "-m", "bayesq", "--version"], capture_output=True, text=True)
    assert version.returncode == 0 and version.stdout.startswith("bayesq ")
