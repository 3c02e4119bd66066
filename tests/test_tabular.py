"""TabularMLPClassifier, TabularMLPRegressor and TableEncoder: tables as they
are (pandas, polars, arrays with categorical columns), the estimator API,
and bad input."""

import pickle
import tracemalloc
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.datasets import (
    make_classification,
    make_multilabel_classification,
    make_regression,
)
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.metrics import log_loss
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from strategies import check_outputs, strict_warnings, tiny_targets, valid_params

from sknn import (
    MLPClassifier,
    MLPRegressor,
    TableEncoder,
    TabularMLPClassifier,
    TabularMLPRegressor,
)
from sknn.nn import OneHotEncoding

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

SMALL = dict(hidden_layer_sizes=(32,), members=4, max_iter=40, random_state=0)


def mixed_table(n=300, seed=0):
    """A table with every kind of column and missing values in each, and a
    class that depends on the numbers, a category and a flag."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    city = rng.choice(["north", "south", "east", "west"], size=n)
    flag = rng.random(n) < 0.5
    score = x + (city == "north") * 2.0 - flag * 1.5 + 0.3 * rng.normal(size=n)
    frame = pd.DataFrame({
        "x": x,
        "count": rng.integers(0, 10, size=n).astype(float),
        "city": pd.Categorical(city),
        "note": rng.choice(["a", "b", "c"], size=n).astype(object),
        "flag": flag,
    })
    frame.loc[rng.random(n) < 0.1, "x"] = np.nan
    frame.loc[rng.random(n) < 0.1, "note"] = None
    frame.loc[rng.random(n) < 0.05, "city"] = np.nan
    return frame, (score > np.median(score)).astype(int), score


@pytest.mark.parametrize("categorical", [False, True], ids=["numbers", "with_categories"])
def test_fit_memory_grows_by_at_most_three_tables(categorical):
    """A fit's peak memory (tracemalloc) grows with the rows by at most 3x the
    table's float64 size: the table is held once (categories as codes), the
    split and the epochs are index arrays, and the network's buffers are a
    fixed amount."""
    rng = np.random.default_rng(0)

    def table(n):
        frame = pd.DataFrame(rng.normal(size=(n, 16)), columns=[f"x{j}" for j in range(16)])
        for j in range(8 if categorical else 0):
            frame[f"c{j}"] = pd.Categorical(rng.integers(0, 20, n).astype(str))
        return frame, rng.integers(0, 2, n)

    def fit(X, y):
        TabularMLPClassifier(hidden_layer_sizes=(32,), members=2, max_iter=1,
                             random_state=0).fit(X, y)

    fit(*table(2000))  # once: what the first fit of a process sets up
    peaks = []
    for n in (20_000, 60_000):
        X, y = table(n)
        tracemalloc.start()
        try:
            fit(X, y)
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
    assert peaks[1] - peaks[0] <= 3 * 40_000 * X.shape[1] * 8


# -------------------------------------------------------------------- the encoder
def test_encoder_columns_and_names():
    frame, _, _ = mixed_table()
    enc = TableEncoder().fit(frame)
    Xt = enc.transform(frame)
    names = enc.get_feature_names_out()
    assert Xt.shape == (len(frame), len(names)) and np.isfinite(Xt).all()
    # numbers (x, count, flag) first, then x's missing indicator, then one-hots
    assert list(names[:4]) == ["x", "count", "flag", "x_missing"]
    assert {"city_north", "city_<missing>", "note_a", "note_<missing>"} <= set(names)
    assert enc.n_numeric_ == 3
    missing = frame["x"].isna().to_numpy()
    np.testing.assert_array_equal(Xt[:, 3], missing)
    assert np.all(Xt[missing, 0] == np.median(frame["x"].dropna()))
    # each categorical column has exactly one 1 per row
    for column in ("city", "note"):
        block = Xt[:, [i for i, n in enumerate(names) if n.startswith(column + "_")]]
        np.testing.assert_array_equal(block.sum(axis=1), 1.0)


def test_encoder_codes_through_the_one_hot_layer_are_its_one_hot_columns():
    frame, _, _ = mixed_table()
    onehot = TableEncoder().fit(frame)
    ordinal = TableEncoder(encode="ordinal").fit(frame)
    codes = ordinal.transform(frame)
    n_codes = ordinal.cardinalities_.size
    assert codes.shape[1] == ordinal.n_features_out_ == 4 + n_codes
    assert ordinal.get_feature_names_out().tolist()[4:] == ["city", "note"]
    layer = OneHotEncoding(ordinal.cardinalities_,
                           columns=np.arange(codes.shape[1] - n_codes, codes.shape[1]))
    layer.build(codes.shape[1])
    np.testing.assert_array_equal(layer.forward(codes), onehot.transform(frame))
    # new levels get the infrequent code, the last one
    unseen = frame.head(3).assign(city=["never seen"] * 3)
    np.testing.assert_array_equal(ordinal.transform(unseen)[:, 4],
                                  ordinal.cardinalities_[0] - 1)


def test_encoder_unseen_and_rare_levels_share_the_infrequent_column():
    train = pd.DataFrame({"c": ["a"] * 5 + ["b"] * 5 + ["rare"]})
    enc = TableEncoder().fit(train)
    assert enc.get_feature_names_out().tolist() == ["c_a", "c_b", "c_infrequent"]
    out = enc.transform(pd.DataFrame({"c": ["b", "rare", "never seen"]}))
    np.testing.assert_array_equal(out, [[0, 1, 0], [0, 0, 1], [0, 0, 1]])


def test_encoder_max_categories_keeps_the_most_frequent():
    train = pd.DataFrame({"c": list("aaaabbbccd" * 2)})
    enc = TableEncoder(max_categories=3).fit(train)
    assert enc.get_feature_names_out().tolist() == ["c_a", "c_b", "c_infrequent"]


@pytest.mark.parametrize(
    "given", [[1], ["city"], [False, True, False]], ids=["indices", "names", "mask"]
)
def test_categorical_features_as_in_hist_gradient_boosting(given):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=40), "city": rng.integers(0, 3, 40),
                          "z": rng.normal(size=40)})
    enc = TableEncoder(categorical_features=given).fit(frame)
    assert enc.categorical_features_.tolist() == [1]
    names = enc.get_feature_names_out().tolist()
    assert names[:2] == ["x", "z"] and names[-1] == "city_infrequent"
    assert sorted(names[2:-1]) == ["city_0", "city_1", "city_2"]  # most frequent first
    # the same on an array, where names are not available
    if given != ["city"]:
        enc = TableEncoder(categorical_features=given).fit(frame.to_numpy())
        assert enc.categorical_features_.tolist() == [1]


def test_categorical_features_errors():
    X = np.zeros((5, 2))
    with pytest.raises(ValueError, match="no column names"):
        TableEncoder(categorical_features=["a"]).fit(X)
    with pytest.raises(ValueError, match="does not have"):
        TableEncoder(categorical_features=["nope"]).fit(pd.DataFrame(X, columns=["a", "b"]))
    with pytest.raises(ValueError, match="mask of 3"):
        TableEncoder(categorical_features=[True, False, True]).fit(X)
    with pytest.raises(ValueError, match=r"indices in \[0, 2\)"):
        TableEncoder(categorical_features=[2]).fit(X)


# ----------------------------------------------------------- tables as they are
def test_fits_a_mixed_table_and_predicts_unseen_categories():
    frame, y, _ = mixed_table(400)
    clf = TabularMLPClassifier(**SMALL).fit(frame[:300], y[:300])
    assert clf.score(frame[300:], y[300:]) > 0.8
    assert clf.feature_names_in_.tolist() == list(frame.columns)
    assert clf.n_features_in_ == 5
    new = frame[300:].copy()
    new["note"] = new["note"].astype(object)
    new.loc[new.index[:10], "note"] = "a level never seen"
    new["city"] = new["city"].cat.add_categories(["nowhere"])
    new.loc[new.index[10:20], "city"] = "nowhere"
    proba = clf.predict_proba(new)
    assert proba.shape == (100, 2) and np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_polars_gives_the_pandas_fit():
    pl = pytest.importorskip("polars")
    frame, y, _ = mixed_table(200)
    frame = frame.assign(city=frame["city"].astype(object))
    a = TabularMLPClassifier(**SMALL).fit(frame, y)
    b = TabularMLPClassifier(**SMALL).fit(pl.from_pandas(frame), y)
    np.testing.assert_array_equal(a.predict_proba(frame), b.predict_proba(pl.from_pandas(frame)))
    assert b.feature_names_in_.tolist() == list(frame.columns)


def test_object_array_with_categorical_indices():
    frame, y, _ = mixed_table(200)
    X = frame[["x", "note"]].to_numpy(dtype=object)
    clf = TabularMLPClassifier(categorical_features=[1], **SMALL).fit(X, y)
    assert clf.encoder_.categorical_features_.tolist() == [1]
    assert not hasattr(clf, "feature_names_in_")
    assert clf.predict(X).shape == (200,)


def test_regressor_standardizes_the_target_and_predicts_in_its_units():
    X, y = make_regression(n_samples=400, n_features=6, noise=5.0, random_state=0)
    y = 1000.0 + 300.0 * y
    Xa, Xb, ya, yb = train_test_split(X, y, random_state=0)
    # without the bins: a linear target is what the plain numbers fit best
    reg = TabularMLPRegressor(**{**SMALL, "max_iter": 200, "numeric_embedding": None}).fit(Xa, ya)
    assert reg.target_mean_ == pytest.approx(ya.mean())
    assert reg.target_scale_ == pytest.approx(ya.std())
    assert reg.score(Xb, yb) > 0.95
    assert abs(reg.predict(Xb).mean() - yb.mean()) < 0.2 * yb.std()


def test_multioutput_regression():
    X, Y = make_regression(n_samples=200, n_features=5, n_targets=2, random_state=0)
    reg = TabularMLPRegressor(**SMALL).fit(X, Y)
    assert reg.predict(X).shape == (200, 2)
    assert reg.score(X, Y) > 0.8


# ------------------------------------------------------------------ estimator API
def test_determinism_clone_pickle_and_pipeline():
    frame, y, _ = mixed_table(200)
    a = TabularMLPClassifier(**SMALL).fit(frame, y)
    b = clone(a).fit(frame, y)
    np.testing.assert_array_equal(a.predict_proba(frame), b.predict_proba(frame))
    c = pickle.loads(pickle.dumps(a))
    np.testing.assert_array_equal(a.predict_proba(frame), c.predict_proba(frame))
    pipe = make_pipeline(FunctionTransformer(lambda f: f.drop(columns="note")),
                         TabularMLPClassifier(**SMALL)).fit(frame, y)
    assert pipe.score(frame, y) > 0.8


def test_skops_round_trip(tmp_path):
    sio = pytest.importorskip("skops.io")
    frame, y, _ = mixed_table(150)
    clf = TabularMLPClassifier(**SMALL).fit(frame, y)
    path = tmp_path / "model.skops"
    sio.dump(clf, path)
    loaded = sio.load(path, trusted=sio.get_untrusted_types(file=path))
    np.testing.assert_array_equal(clf.predict_proba(frame), loaded.predict_proba(frame))


def test_grid_search_over_the_recipe():
    X, y = make_classification(n_samples=150, n_features=5, random_state=0)
    search = GridSearchCV(TabularMLPClassifier(**SMALL), {"members": [1, 2], "n_bins": [2, 4]},
                          cv=2).fit(X, y)
    assert set(search.cv_results_["param_members"]) == {1, 2}
    assert search.best_estimator_.members in (1, 2)


@pytest.mark.parametrize("knob", [dict(members=1), dict(numeric_embedding=None),
                                  dict(numeric_embedding="periodic"), dict(smooth_clip=None),
                                  dict(dropout=0.0), dict(early_stopping=False),
                                  dict(categorical_embedding="onehot")])
def test_each_trick_switches_off(knob):
    frame, y, _ = mixed_table(200)
    clf = TabularMLPClassifier(**{**SMALL, **knob}).fit(frame, y)
    layers = clf.summary()
    if knob == dict(members=1):
        assert "Ensemble" not in layers and not hasattr(clf, "head_coefs_")
    if "numeric_embedding" in knob:
        assert "PiecewiseLinear" not in layers
        assert ("PeriodicEmbedding(8)" in layers) == (knob["numeric_embedding"] == "periodic")
    learned = "categorical_embedding" not in knob
    assert ("CategoricalEmbedding(8)" in layers) == learned
    assert ("OneHotEncoding" in layers) == (not learned)
    if learned:  # a table of 8 values per level of the two categorical columns
        levels = clf.encoder_.cardinalities_.sum()
        assert [e.shape for e in clf.category_embeddings_] == [(levels, 8)]
    assert clf.score(frame, y) > 0.75


@pytest.mark.parametrize("embedding", ["onehot", "learned"])
def test_categories_alone_carry_the_signal(embedding):
    """A target that follows the levels of two categorical columns (text and
    pandas categories) is learned from them: each level's effect is
    recovered, with either encoding of the categories."""
    rng = np.random.default_rng(0)
    n = 600
    colour = rng.choice(["red", "green", "blue", "grey"], n)
    size = pd.Categorical(rng.choice(["S", "M", "L"], n))
    effect = (pd.Series(colour).map({"red": 2.0, "green": -1.0, "blue": 0.5, "grey": -2.0})
              + pd.Series(size).map({"S": -1.0, "M": 0.0, "L": 1.5}).astype(float))
    frame = pd.DataFrame({"colour": colour, "size": size, "noise": rng.normal(size=n)})
    y = effect.to_numpy() + 0.1 * rng.normal(size=n)
    reg = TabularMLPRegressor(**{**SMALL, "max_iter": 100}, categorical_embedding=embedding)
    reg.fit(frame[:400], y[:400])
    assert reg.score(frame[400:], y[400:]) > 0.95


def test_learned_embeddings_warm_start_and_refuse_a_changed_dimension():
    frame, y, _ = mixed_table(150)
    clf = TabularMLPClassifier(**SMALL, warm_start=True, early_stopping=False)
    clf.fit(frame, y)
    first = clf.category_embeddings_[0].copy()
    clf.fit(frame, y)
    assert not np.array_equal(first, clf.category_embeddings_[0])  # trained further
    with pytest.raises(ValueError, match="shape changed.*embedding_dim"):
        clf.set_params(embedding_dim=3).fit(frame, y)


def test_sample_and_class_weight_change_the_fit():
    X, y = make_classification(n_samples=300, weights=[0.8], random_state=0)
    base = TabularMLPClassifier(**SMALL).fit(X, y)
    weighted = TabularMLPClassifier(class_weight={0: 1.0, 1: 8.0}, **SMALL).fit(X, y)
    assert weighted.predict(X).mean() > base.predict(X).mean()
    sw = np.where(y == 1, 8.0, 1.0)
    by_rows = TabularMLPClassifier(**SMALL).fit(X, y, sample_weight=sw)
    assert by_rows.predict(X).mean() > base.predict(X).mean()


def test_user_validation_set_is_used():
    X, y = make_classification(n_samples=300, random_state=0)
    clf = TabularMLPClassifier(scoring=None, **SMALL).fit(
        X[:200], y[:200], X_val=X[200:], y_val=y[200:])
    assert clf.score(X[200:], y[200:]) == pytest.approx(max(clf.validation_scores_))


def test_early_stopping_keeps_the_epoch_of_least_validation_loss():
    # the default monitor: the members' mean log loss on the validation rows
    X, y = make_classification(n_samples=300, random_state=0)
    clf = TabularMLPClassifier(**SMALL).fit(X[:200], y[:200], X_val=X[200:], y_val=y[200:])
    P = clf.predict_members(X[200:])
    losses = [log_loss(y[200:], P[:, k], labels=clf.classes_) for k in range(P.shape[1])]
    assert -max(clf.validation_scores_) == pytest.approx(np.mean(losses), rel=1e-6)
    assert clf.best_validation_score_ == max(clf.validation_scores_)


def test_batch_size_follows_the_data_size():
    clf = TabularMLPClassifier()
    assert [clf._batch_size(n) for n in (100, 500, 1_000, 2_000, 100_000)] == [32, 64, 128, 256, 256]
    assert TabularMLPClassifier(batch_size=100)._batch_size(10_000) == 100


def test_failed_refit_keeps_the_fitted_model():
    frame, y, _ = mixed_table(150)
    clf = TabularMLPClassifier(**SMALL).fit(frame, y)
    before = clf.predict_proba(frame)
    encoder = clf.encoder_
    other = frame.assign(extra=1.0)
    with pytest.raises(ValueError):
        clf.fit(other, np.where(np.arange(150) < 5, np.nan, y))
    assert clf.encoder_ is encoder
    np.testing.assert_array_equal(clf.predict_proba(frame), before)


# -------------------------------------------------------------------- bad input
def test_empty_table():
    with pytest.raises(ValueError, match="0 row"):
        TabularMLPClassifier(**SMALL).fit(pd.DataFrame({"a": []}), [])
    with pytest.raises(ValueError, match="0 feature"):
        TabularMLPClassifier(**SMALL).fit(np.empty((10, 0)), np.arange(10) % 2)


def test_all_missing_and_constant_columns_are_harmless():
    frame, y, _ = mixed_table(200)
    frame = frame.assign(empty=np.nan, same=7.0, empty_text=None)
    clf = TabularMLPClassifier(**SMALL).fit(frame, y)
    names = clf.encoder_.get_feature_names_out().tolist()
    assert {"empty", "empty_missing", "same", "empty_text"} <= set(names)
    enc = clf.encoder_
    text = enc.categorical_features_.tolist().index(frame.columns.get_loc("empty_text"))
    assert enc.levels_[text].tolist() == ["<missing>"]
    Xt = enc.transform(frame)
    assert np.all(Xt[:, names.index("empty")] == 0.0)
    assert np.all(Xt[:, names.index("empty_text")] == 0.0)  # the code of "<missing>"
    assert np.isfinite(clf.predict_proba(frame)).all()
    assert clf.score(frame, y) > 0.8


def test_a_column_of_numbers_and_words_is_categorical():
    frame = pd.DataFrame({"mixed": [1, "two", 3.0, "four"] * 10, "x": np.arange(40.0)})
    enc = TableEncoder().fit(frame)
    assert enc.categorical_features_.tolist() == [0]
    assert "mixed_two" in enc.get_feature_names_out()


def test_target_with_missing_values():
    X, y = make_regression(n_samples=50, n_features=3, random_state=0)
    y[3] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        TabularMLPRegressor(**SMALL).fit(X, y)
    yc = np.array(["a", "b"] * 25, dtype=object)
    yc[4] = None
    with pytest.raises((ValueError, TypeError)):
        TabularMLPClassifier(**SMALL).fit(X, yc)


def test_id_like_column_warns():
    frame = pd.DataFrame({"id": [f"row{i}" for i in range(100)], "x": np.arange(100.0)})
    with pytest.warns(UserWarning, match="identifier"):
        TableEncoder().fit(frame)


def test_infinity_is_an_error():
    X = np.ones((30, 2))
    X[3, 1] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        TabularMLPRegressor(**SMALL).fit(X, np.arange(30.0))


def test_dates_and_sparse_input_are_errors():
    frame = pd.DataFrame({"when": pd.date_range("2020-01-01", periods=20), "x": range(20)})
    with pytest.raises(TypeError, match="date"):
        TableEncoder().fit(frame)
    from scipy.sparse import csr_matrix

    with pytest.raises(TypeError, match="sparse"):
        TabularMLPClassifier(**SMALL).fit(csr_matrix(np.eye(10)), np.arange(10) % 2)


def test_column_kind_changing_at_predict_time():
    frame, y, _ = mixed_table(100)
    clf = TabularMLPClassifier(**SMALL).fit(frame, y)
    with pytest.raises(ValueError, match="held numbers in training"):
        clf.predict(frame.assign(count=frame["count"].astype(str)))


def test_options_the_recipe_does_not_take():
    X, y = make_classification(n_samples=60, random_state=0)
    with pytest.raises(ValueError, match="lbfgs"):
        TabularMLPClassifier(solver="lbfgs").fit(X, y)
    with pytest.raises(ValueError, match="feature_alpha"):
        TabularMLPClassifier(feature_alpha=0.1).fit(X, y)
    with pytest.raises(ValueError, match="no layer diagnostics"):
        TabularMLPClassifier(diagnostics=True).fit(X, y)
    with pytest.raises(AttributeError, match="permutation_importance"):
        TabularMLPClassifier(**SMALL).fit(X, y).feature_importances_


def test_compares_with_gradient_boosting_on_a_mixed_table():
    """Not a benchmark (that is benchmarks/tabular.py): on a table whose class
    mixes smooth numeric effects, both learners are far above chance and the
    MLP is not behind by more than a few points."""
    frame, y, _ = mixed_table(600, seed=1)
    Xa, Xb, ya, yb = train_test_split(frame, y, random_state=0)
    mlp = TabularMLPClassifier(members=4, max_iter=60, random_state=0).fit(Xa, ya)
    hgb = HistGradientBoostingClassifier(categorical_features="from_dtype", random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        hgb.fit(Xa.assign(note=Xa["note"].astype("category")), ya)
    hgb_score = hgb.score(Xb.assign(note=Xb["note"].astype("category")), yb)
    assert mlp.score(Xb, yb) > hgb_score - 0.03


def test_predict_members_averages_to_the_predictions():
    X, y = make_classification(n_samples=200, n_features=6, random_state=0)
    clf = TabularMLPClassifier(**SMALL).fit(X, y)
    members = clf.predict_members(X)
    assert members.shape == (200, 4, 2)
    assert np.ptp(members, axis=1).max() > 1e-3  # the members differ (adapters, heads)
    np.testing.assert_allclose(members.mean(axis=1), clf.predict_proba(X), rtol=1e-12)
    Xr, yr = make_regression(n_samples=200, n_features=5, random_state=0)
    reg = TabularMLPRegressor(**SMALL).fit(Xr, 100 * yr + 7)
    members = reg.predict_members(Xr)
    assert members.shape == (200, 4, 1)
    np.testing.assert_allclose(members.mean(axis=1)[:, 0], reg.predict(Xr), rtol=1e-10)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_label_smoothing_is_pytorchs_and_bounds_the_probabilities(n_classes):
    torch = pytest.importorskip("torch")
    from sknn.nn import BinaryLogLoss, LogLoss

    # the smoothed targets' loss is torch's cross-entropy with label_smoothing
    eps, rng = 0.2, np.random.default_rng(0)
    Z = rng.normal(size=(50, n_classes))
    y = rng.integers(0, n_classes, 50)
    expected = torch.nn.CrossEntropyLoss(label_smoothing=eps)(
        torch.tensor(Z), torch.tensor(y)).item()
    if n_classes == 2:  # one logistic output: the logit difference
        soft = (1 - eps) * y[:, None] + eps / 2
        loss = BinaryLogLoss().loss_and_delta((Z[:, 1] - Z[:, 0])[:, None], soft)
    else:
        soft = (1 - eps) * np.eye(n_classes)[y] + eps / n_classes
        loss = LogLoss().loss_and_delta(Z.copy(), soft)
    assert loss.mean() == pytest.approx(expected, rel=1e-12)

    # a fitted model's probabilities settle near 1 - eps + eps / K on separable data
    X, y = make_classification(n_samples=300, n_features=4, n_informative=4, n_redundant=0,
                               n_classes=n_classes, class_sep=4.0, random_state=0)
    params = {**SMALL, "max_iter": 100, "early_stopping": False, "dropout": 0.0}
    sharp = TabularMLPClassifier(**params).fit(X, y).predict_proba(X)
    smooth = TabularMLPClassifier(label_smoothing=eps, **params).fit(X, y).predict_proba(X)
    assert sharp.max(axis=1).mean() > 0.98
    assert smooth.max(axis=1).mean() == pytest.approx(1 - eps + eps / n_classes, abs=0.03)
    assert (smooth.argmax(axis=1) == y).mean() > 0.95


@given(data=st.data(), classifier=st.booleans(), multi=st.booleans())
def test_valid_hyperparameters_fit_tiny_tables(data, classifier, multi):
    """Any valid combination of the MLPs' parameters (with a stochastic
    solver and no feature_alpha, which the tabular estimators refuse) and of
    their own fits a tiny table with a category and gaps, twice."""
    Base, Est = ((MLPClassifier, TabularMLPClassifier) if classifier
                 else (MLPRegressor, TabularMLPRegressor))
    params = data.draw(valid_params(Base))
    if isinstance(params["solver"], str) and params["solver"] == "lbfgs":
        params["solver"] = "adamw"
    params["feature_alpha"], params["diagnostics"] = 0.0, False
    params.update(
        members=data.draw(st.integers(1, 4)),
        numeric_embedding=data.draw(st.sampled_from(["piecewise_linear", "periodic", None])),
        n_bins=data.draw(st.integers(1, 8)),
        n_frequencies=data.draw(st.integers(1, 4)),
        smooth_clip=data.draw(st.none() | st.floats(0.1, 10.0)),
        max_categories=data.draw(st.integers(2, 40)),
        categorical_features=data.draw(st.sampled_from(["from_dtype", None, [1]])),
        categorical_embedding=data.draw(st.sampled_from(["onehot", "learned"])),
        embedding_dim=data.draw(st.integers(1, 6)),
    )
    if classifier:
        params["label_smoothing"] = data.draw(st.floats(0.0, 0.5))
    X = np.random.RandomState(0).normal(size=(24, 3))
    table = pd.DataFrame({"a": X[:, 0], "b": np.round(X[:, 1]),
                          "c": np.where(X[:, 2] > 0.5, None, np.where(X[:, 2] > 0, "u", "v"))})
    table.loc[::5, "a"] = np.nan
    y = tiny_targets(X, classifier, multi, params.get("class_weight"))
    est = Est(**params)
    with strict_warnings():
        est.fit(table, y)
        est.fit(table, y)  # again: warm start if asked
        check_outputs(est, table, 24, may_overflow=False)
        assert hasattr(est, "partial_fit") == (not params["early_stopping"])
    assert est.predict_members(table).shape[:2] == (24, params["members"])
    for W in est.coefs_ + est.intercepts_:
        assert np.all(np.isfinite(W))


@pytest.mark.parametrize("kind", ["binary", "multiclass", "multilabel"])
def test_log_proba_is_the_log_of_the_members_mean_probability(kind):
    if kind == "multilabel":
        X, y = make_multilabel_classification(n_samples=200, random_state=0)
    else:
        X, y = make_classification(n_samples=200, n_informative=4, random_state=0,
                                   n_classes=2 if kind == "binary" else 3)
    clf = TabularMLPClassifier(**{**SMALL, "hidden_layer_sizes": (16,)}).fit(X, y)
    members = clf.predict_members(X)
    np.testing.assert_allclose(clf.predict_log_proba(X), np.log(members.mean(axis=1)),
                               rtol=1e-12)


def test_poisson_targets_are_divided_by_their_mean_not_centred():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    y = rng.poisson(np.exp(0.5 * X[:, 0] + 1.0))
    reg = TabularMLPRegressor(loss="poisson", **{**SMALL, "max_iter": 60}).fit(X, y)
    assert reg.target_mean_ == 0 and reg.target_scale_ == pytest.approx(y.mean())
    assert (reg.predict(X) > 0).all()
    assert np.corrcoef(reg.predict(X), np.exp(0.5 * X[:, 0]))[0, 1] > 0.8


def test_parameters_set_after_the_fit_leave_the_fitted_model_alone():
    frame, y, _ = mixed_table(150)
    clf = TabularMLPClassifier(**SMALL).fit(frame, y)
    before = clf.predict_proba(frame)
    recipe = dict(embedding_dim=3, n_bins=4, members=2, numeric_embedding="periodic",
                  smooth_clip=None, categorical_embedding="onehot")
    for name, value in recipe.items():
        clf.set_params(**{name: value})
        # a copy too, which builds its network afresh (no cached one)
        for model in (clf, pickle.loads(pickle.dumps(clf))):
            np.testing.assert_array_equal(model.predict_proba(frame), before)
    clf.fit(frame, y)  # the next fit takes them
    assert not hasattr(clf, "category_embeddings_")  # one-hot now: no vectors
    assert "OneHotEncoding" in clf.summary() and "PeriodicEmbedding" in clf.summary()
    assert clf.ensemble_scales_[0].shape[0] == 2


def test_refit_with_another_recipe_is_a_fresh_fit():
    frame, y, _ = mixed_table(150)
    clf = TabularMLPClassifier(**SMALL).fit(frame, y)
    assert hasattr(clf, "head_coefs_") and hasattr(clf, "encoding_lefts_")
    clf.set_params(members=1, numeric_embedding="periodic").fit(frame, y)
    fresh = TabularMLPClassifier(**{**SMALL, "members": 1,
                                    "numeric_embedding": "periodic"}).fit(frame, y)
    assert not hasattr(clf, "head_coefs_") and not hasattr(clf, "encoding_lefts_")
    np.testing.assert_array_equal(clf.predict_proba(frame), fresh.predict_proba(frame))
    assert "EnsembleInput" not in clf.summary()
