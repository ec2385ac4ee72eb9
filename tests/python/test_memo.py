"""audience.memo: one fit shared by the two dbt models that need it."""

import pandas as pd

from audience.memo import LastResult


def test_same_input_computes_once_and_returns_independent_copies():
    calls = []

    def compute(frame, config):
        calls.append(config)
        return frame.assign(doubled=frame["x"] * 2), {"n": len(frame)}

    cache = LastResult()
    frame = pd.DataFrame({"x": [1, 2, 3]})
    first, diag = cache.get(frame, "cfg", compute)
    first.loc[0, "doubled"] = -1
    diag["n"] = -1
    second, diag2 = cache.get(frame.copy(), "cfg", compute)
    assert calls == ["cfg"]
    assert second["doubled"].tolist() == [2, 4, 6] and diag2 == {"n": 3}


def test_other_input_or_config_recomputes():
    calls = []
    cache = LastResult()
    frame = pd.DataFrame({"x": [1, 2, 3]})
    compute = lambda f, c: calls.append(c) or len(f)  # noqa: E731
    cache.get(frame, "a", compute)
    cache.get(frame, "b", compute)
    cache.get(pd.DataFrame({"x": [1, 2, 4]}), "b", compute)
    assert calls == ["a", "b", "b"]
