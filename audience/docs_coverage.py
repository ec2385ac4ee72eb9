"""Documentation coverage of the user-facing models, from dbt's manifest.json and catalog.json.

`dbt docs generate` writes both: manifest.json holds what the YAML documents (model and column
descriptions, doc blocks rendered), catalog.json what the warehouse really holds (the columns
of each built relation). A column counts as documented only when a column of that name in the
built relation has a non-empty description, so a column added to a mart's SQL without YAML is
found, and so is YAML describing a column the relation does not have (a typo or a stale name).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Folders whose models users read (BI tools, activation, analysts): marts, data-quality models
# and the dbt Python models.
USER_FACING_PREFIXES = ("models/marts/", "models/quality/", "python_models/")


@dataclass
class Coverage:
    """What was checked and what is missing."""

    models_checked: list[str] = field(default_factory=list)
    columns_checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _is_user_facing(node: Mapping[str, Any], prefixes: Iterable[str]) -> bool:
    path = node.get("original_file_path", "").replace("\\", "/")
    return node.get("resource_type") == "model" and any(path.startswith(p) for p in prefixes)


def check(
    manifest: Mapping[str, Any],
    catalog: Mapping[str, Any],
    prefixes: Iterable[str] = USER_FACING_PREFIXES,
) -> Coverage:
    """Check that every user-facing model and every column of its built relation is described.

    Problems reported, one line each:
    - a model without description;
    - a model missing from the catalog (not built, so its columns cannot be checked);
    - a built column without a description in the manifest;
    - a documented column that the built relation does not have.
    """
    prefixes = tuple(prefixes)
    result = Coverage()
    catalog_nodes = catalog.get("nodes", {})
    for unique_id, node in sorted(manifest.get("nodes", {}).items()):
        if not _is_user_facing(node, prefixes):
            continue
        name = node["name"]
        result.models_checked.append(name)
        if not (node.get("description") or "").strip():
            result.problems.append(f"{name}: the model has no description")
        built = catalog_nodes.get(unique_id)
        if built is None:
            result.problems.append(f"{name}: not in catalog.json (not built?), its columns cannot be checked")
            continue
        documented = {col_name.lower(): col for col_name, col in node.get("columns", {}).items()}
        built_columns = [col["name"] for col in built.get("columns", {}).values()]
        for column in built_columns:
            result.columns_checked += 1
            described = (documented.get(column.lower(), {}).get("description") or "").strip()
            if not described:
                result.problems.append(f"{name}.{column}: no description")
        built_lower = {c.lower() for c in built_columns}
        for column in sorted(documented):
            if column not in built_lower:
                result.problems.append(
                    f"{name}.{column}: documented, but the built relation has no such column"
                )
    return result


def check_target(target_dir: str | Path, prefixes: Iterable[str] = USER_FACING_PREFIXES) -> Coverage:
    """`check` on target_dir/manifest.json and target_dir/catalog.json (after `dbt docs generate`)."""
    target = Path(target_dir)
    manifest = json.loads((target / "manifest.json").read_text())
    catalog = json.loads((target / "catalog.json").read_text())
    return check(manifest, catalog, prefixes)
