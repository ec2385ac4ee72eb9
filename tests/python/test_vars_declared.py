"""Every dbt var the project reads is declared in dbt_project.yml with a comment and listed in
the README's Configuration table, every declared var is read somewhere, and every setting a
Python model reads with dbt.config.get is set in that model's YAML. dbt returns None for an
undeclared var read with a default and for a missing config key, so neither mistake would
otherwise surface until a number is wrong."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
# the dbt code: models, macros, Python models, data tests, snapshots, selectors and the project file
DBT_PATHS = ("models", "macros", "python_models", "tests/generic", "tests/singular", "snapshots", "seeds")
VAR_CALL = re.compile(r"""\bvar\(\s*['"]([A-Za-z0-9_]+)['"]""")
CONFIG_GET = re.compile(r"""\bdbt\.config\.get\(\s*['"]([A-Za-z0-9_]+)['"]""")
VAR_LINE = re.compile(r"^  ([a-z0-9_]+):")


def var_reads(texts: dict[str, str]) -> dict[str, set[str]]:
    """var name -> the files reading it with var('...')."""
    reads: dict[str, set[str]] = {}
    for name, text in texts.items():
        for match in VAR_CALL.finditer(text):
            reads.setdefault(match.group(1), set()).add(name)
    return reads


def declarations(project_yml: str) -> dict[str, bool]:
    """var -> whether its declaration in the `vars:` block carries a comment (on its line or on
    the line above, for a value spanning lines)."""
    lines = project_yml.splitlines()
    start = lines.index("vars:")
    out: dict[str, bool] = {}
    for i in range(start + 1, len(lines)):
        line = lines[i]
        if line and not line.startswith(" "):
            break
        match = VAR_LINE.match(line)
        if match:
            above = lines[i - 1].strip()
            out[match.group(1)] = "#" in line or (above.startswith("#") and "----------" not in above)
    return out


def readme_lists(readme: str, var: str) -> bool:
    """The Configuration table names the var, or a `prefix_*` entry covers it."""
    table = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    if f"`{var}`" in table:
        return True
    return any(var.startswith(prefix) for prefix in re.findall(r"`([a-z0-9_]+_)\*`", table))


def _dbt_texts() -> dict[str, str]:
    texts = {"dbt_project.yml": (ROOT / "dbt_project.yml").read_text(), "selectors.yml": ""}
    if (ROOT / "selectors.yml").exists():
        texts["selectors.yml"] = (ROOT / "selectors.yml").read_text()
    for folder in DBT_PATHS:
        for path in sorted((ROOT / folder).rglob("*")):
            if path.is_file() and path.suffix in (".sql", ".yml", ".py", ".md"):
                texts[str(path.relative_to(ROOT))] = path.read_text()
    return texts


def test_every_var_read_is_declared_with_a_comment_and_in_the_readme():
    project = (ROOT / "dbt_project.yml").read_text()
    declared = declarations(project)
    assert declared.keys() == set(yaml.safe_load(project)["vars"])
    reads = var_reads(_dbt_texts())
    undeclared = {var: sorted(files) for var, files in reads.items() if var not in declared}
    assert undeclared == {}, "read with var() but not declared in dbt_project.yml"
    assert sorted(set(declared) - set(reads)) == [], "declared but read nowhere"
    assert sorted(var for var, commented in declared.items() if not commented) == []
    readme = (ROOT / "README.md").read_text()
    assert sorted(var for var in declared if not readme_lists(readme, var)) == []


def test_every_setting_a_python_model_reads_is_set_in_its_yaml():
    for model in sorted((ROOT / "python_models").rglob("*.py")):
        keys = set(CONFIG_GET.findall(model.read_text()))
        if not keys:
            continue
        spec = yaml.safe_load(model.with_suffix(".yml").read_text())
        (node,) = [m for m in spec["models"] if m["name"] == model.stem]
        assert keys <= set(node.get("config", {})), (model.name, keys - set(node.get("config", {})))


def test_the_checks_find_what_they_look_for():
    reads = var_reads({"a.sql": "{{ var('known') }} {{ var( \"unknown_var\", 3) }}"})
    assert reads == {"known": {"a.sql"}, "unknown_var": {"a.sql"}}
    project = "vars:\n  # the two\n  listed: [a,\n           b]\n  bare: 1\n  noted: 2  # why\nmodels:\n"
    assert declarations(project) == {"listed": True, "bare": False, "noted": True}
    readme = "## Configuration\n| `noted` | `trigger_*` |\n## Next\n`bare`"
    assert [readme_lists(readme, v) for v in ("noted", "trigger_x", "bare")] == [True, True, False]
