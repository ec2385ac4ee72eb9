"""The dbt Python models import their job modules under `audience.import_lock`.

dbt runs two models at once in threads of one process; two first imports of scikit-learn or
scipy racing each other can fail with importlib's `_DeadlockError` (the 1M benchmark of round
4 lost churn_fit that way while cluster_fit started). The race is rare and timing-dependent, so
the guard is checked where it must be: every import of an `audience` module in python_models/
sits inside `with audience.import_lock:`. Heavy libraries are imported at module level in the
package, never lazily inside a function a model calls (that import would run outside the lock).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[2]
HEAVY = ("sklearn", "scipy", "pandas", "numpy", "pyarrow")


def _imported(node: ast.AST) -> list[str]:
    """The modules an import statement imports (none for other nodes)."""
    if isinstance(node, ast.ImportFrom) and node.module:
        return [node.module]
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    return []


def _is_import_lock(node: ast.With) -> bool:
    return any(
        isinstance(item.context_expr, ast.Attribute)
        and item.context_expr.attr == "import_lock"
        and isinstance(item.context_expr.value, ast.Name)
        and item.context_expr.value.id == "audience"
        for item in node.items
    )


def _audience_imports_outside_lock(tree: ast.Module) -> list[int]:
    """Line numbers of `audience.<module>` imports that are not inside `with audience.import_lock`."""
    locked: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.With) and _is_import_lock(node):
            locked.update(id(child) for child in ast.walk(node))
    bad = []
    for node in ast.walk(tree):
        if any(name.startswith("audience.") for name in _imported(node)) and id(node) not in locked:
            bad.append(node.lineno)
    return bad


def test_python_models_import_their_jobs_under_the_lock():
    files = sorted((PROJECT_DIR / "python_models").rglob("*.py"))
    assert files
    for path in files:
        tree = ast.parse(path.read_text())
        assert _audience_imports_outside_lock(tree) == [], path
        assert any(isinstance(n, ast.With) and _is_import_lock(n) for n in ast.walk(tree)), path


def test_the_check_finds_an_unguarded_import():
    unguarded = ast.parse("import audience\nfrom audience.churn_job import ChurnConfig\n")
    guarded = ast.parse("import audience\nwith audience.import_lock:\n    from audience.churn_job import X\n")
    assert _audience_imports_outside_lock(unguarded) == [2]
    assert _audience_imports_outside_lock(guarded) == []


def test_package_imports_heavy_libraries_at_module_level():
    for path in sorted((PROJECT_DIR / "audience").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for inner in ast.walk(node):
                heavy = [n for n in _imported(inner) if n.split(".")[0] in HEAVY]
                if not heavy:
                    continue
                where = f"{path.relative_to(PROJECT_DIR)}:{inner.lineno}"
                assert not heavy, f"{where} imports {heavy} inside a function"


def test_job_modules_import_concurrently_under_the_lock():
    """One thread per job module of the Python models, start their imports together in a fresh
    interpreter, as dbt's threads do; all of them must succeed."""
    code = """
import threading
import audience

jobs = ["churn_job", "cluster_job", "clv_job", "persona_job"]
errors = []
barrier = threading.Barrier(len(jobs))

def load(name):
    barrier.wait()
    try:
        with audience.import_lock:
            __import__("audience." + name)
    except Exception as exc:  # reported below
        errors.append(f"{name}: {exc!r}")

threads = [threading.Thread(target=load, args=(j,)) for j in jobs]
for t in threads:
    t.start()
for t in threads:
    t.join()
assert not errors, errors
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT_DIR)
    assert proc.returncode == 0, proc.stderr[-4000:]
