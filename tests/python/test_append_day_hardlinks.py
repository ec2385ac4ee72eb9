"""`append_day` on a hard-linked copy of a raw folder (`cp -al`, as the benchmarks do) leaves the
original folder as it was: the new day's files are new files and meta.json is replaced by a new
file rather than rewritten in place (which changed the shared file of every linked copy)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from audience.synth import append_day, generate


def test_append_day_on_a_hardlinked_copy_leaves_the_original_alone(tmp_path: Path) -> None:
    original = tmp_path / "original"
    generate(200, seed=3, out_dir=original)
    copy = tmp_path / "copy"
    shutil.copytree(original, copy, copy_function=os.link)
    meta = Path("_truth") / "meta.json"
    before = {p.relative_to(original): p.read_bytes() for p in original.rglob("*") if p.is_file()}
    assert os.stat(copy / meta).st_ino == os.stat(original / meta).st_ino

    append_day(copy, seed=1)

    after = {p.relative_to(original): p.read_bytes() for p in original.rglob("*") if p.is_file()}
    assert after == before
    assert (copy / meta).read_bytes() != (original / meta).read_bytes()
    assert not (copy / "_truth" / "meta.json.tmp").exists()
