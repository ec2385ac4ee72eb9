"""The package's size and privacy limits (CONTRIBUTING rules), read from the source with ast:

- no module of `audience/` over MAX_MODULE_LINES lines;
- no function or method of `audience/` over MAX_FUNCTION_LINES lines (from `def` to its last line);
- no import of a name starting with `_` from another module (nor `module._name`), in the
  package, the Python models and the benchmarks; a module whose own name starts with `_` is
  private to its package: only modules of that package import it (as audience/synth does).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "audience"
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80
CHECKED_FOR_IMPORTS = ("audience", "python_models", "benchmarks", "tests")


def _sources(*folders: str) -> list[Path]:
    return sorted(p for f in folders for p in (ROOT / f).rglob("*.py") if ".venv" not in p.parts)


def long_modules(files: list[Path], root: Path = ROOT, limit: int = MAX_MODULE_LINES) -> list[str]:
    out = []
    for path in files:
        n = len(path.read_text(encoding="utf-8").splitlines())
        if n > limit:
            out.append(f"{path.relative_to(root)}: {n} lines")
    return out


def long_functions(files: list[Path], root: Path = ROOT, limit: int = MAX_FUNCTION_LINES) -> list[str]:
    out = []
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                n = node.end_lineno - node.lineno + 1
                if n > limit:
                    out.append(f"{path.relative_to(root)}:{node.lineno} {node.name}: {n} lines")
    return out


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _absolute(node: ast.ImportFrom, importer: str, is_package: bool) -> str:
    """The module an ImportFrom reads from, with relative imports resolved against `importer`."""
    if not node.level:
        return node.module or ""
    base = importer.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _private_part(module: str) -> str | None:
    """The package that owns `module` when one of its components is private (`a.b._c` -> `a.b`)."""
    parts = module.split(".")
    for i, part in enumerate(parts):
        if part.startswith("_") and not part.startswith("__"):
            return ".".join(parts[:i])
    return None


def private_imports(files: list[Path], root: Path = ROOT) -> list[str]:
    """`from m import _name`, `import m._private` / `from m._private import x` outside m's package,
    and `module._name` where `module` was imported, in `files`."""
    out = []
    for path in files:
        importer = _module_name(path, root)
        is_package = path.name == "__init__.py"
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        imported_modules: set[str] = set()
        where = f"{path.relative_to(root)}"
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                module = _absolute(node, importer, is_package)
                if module == "__future__":
                    continue
                for alias in node.names:
                    if alias.name.startswith("_") and not alias.name.startswith("__"):
                        out.append(f"{where}:{node.lineno} imports {alias.name} from {module}")
                    imported_modules.add(alias.asname or alias.name)
                owner = _private_part(module)
                if owner is not None and not (importer == owner or importer.startswith(owner + ".")):
                    out.append(f"{where}:{node.lineno} imports the private module {module}")
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    owner = _private_part(alias.name)
                    if owner is not None and not importer.startswith(owner + "."):
                        out.append(f"{where}:{node.lineno} imports the private module {alias.name}")
                    imported_modules.add(alias.asname or alias.name.split(".")[0])
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in imported_modules
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
            ):
                out.append(f"{where}:{node.lineno} uses {node.value.id}.{node.attr}")
    return out


def test_no_module_over_the_line_limit():
    assert long_modules(_sources("audience")) == []


def test_no_function_over_the_line_limit():
    assert long_functions(_sources("audience")) == []


def test_no_private_name_imported_from_another_module():
    assert private_imports(_sources(*CHECKED_FOR_IMPORTS)) == []


def test_the_checks_find_each_kind_of_offender(tmp_path):
    pkg = tmp_path / "pkg"
    (pkg / "inner").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "inner" / "__init__.py").write_text("from ._impl import thing\n")  # its own package: allowed
    (pkg / "inner" / "_impl.py").write_text("thing = 1\n_hidden = 2\n")
    (pkg / "long.py").write_text("def f():\n" + "    x = 1\n" * 81 + "\n" * 420)
    (pkg / "user.py").write_text(
        "from pkg.inner._impl import thing\nfrom pkg.inner import _impl\nimport pkg.inner as m\nm._hidden\n"
    )
    files = sorted(pkg.rglob("*.py"))
    assert long_modules(files, tmp_path) == ["pkg/long.py: 502 lines"]
    assert long_functions(files, tmp_path) == ["pkg/long.py:1 f: 82 lines"]
    assert private_imports(files, tmp_path) == [
        "pkg/user.py:1 imports the private module pkg.inner._impl",
        "pkg/user.py:2 imports _impl from pkg.inner",
        "pkg/user.py:4 uses m._hidden",
    ]
