"""Nothing a user fitted is lost: interrupted, failed and hostile fits leave a
usable model (or the previous one exactly), and a pickled model continues
training bit for bit."""

import pickle
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.exceptions import ConvergenceWarning
from strategies import (
    ESTIMATORS,
    SOLVERS,
    STOCHASTIC_SOLVERS,
    TINY,
    TOO_LARGE,
    Recorder,
    all_finite,
    assert_same_state,
    attempt,
    check_outputs,
    hostile_X,
    make_data,
    predictions,
    regression_targets,
    snapshot,
    strict_warnings,
)

from sknn import MLPClassifier
from sknn.nn import Network

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _interrupt_after(monkeypatch, k, exc=KeyboardInterrupt):
    """Make Network.loss_grad raise ``exc`` on its (k+1)-th call."""
    original = Network.loss_grad
    calls = {"n": 0}

    def loss_grad(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] > k:
            raise exc("injected")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Network, "loss_grad", loss_grad)
    return calls


@pytest.mark.parametrize(
    "solver, early_stopping",
    [("sgd", False), ("sgd", True), ("adam", False), ("adam", True), ("lbfgs", False)],
)
@pytest.mark.parametrize("Est", ESTIMATORS)
def test_keyboard_interrupt_stops_keeps_a_usable_model_and_warns(
    monkeypatch, Est, solver, early_stopping
):
    X, y = make_data(Est)
    params = dict(
        hidden_layer_sizes=(8,),
        solver=solver,
        batch_size=10,
        max_iter=50,
        early_stopping=early_stopping,
        learning_rate_init=0.05,
        random_state=0,
    )
    calls = _interrupt_after(monkeypatch, 20)
    recorder = Recorder()  # the model after every epoch, through sklearn's callbacks
    est = Est(**params).set_callbacks(recorder)
    with pytest.warns(UserWarning, match="Training interrupted by user"):
        assert est.fit(X, y) is est
    assert calls["n"] == 21  # stopped at the interrupt, no further work
    assert all_finite(est)
    check_outputs(est, X, len(X), may_overflow=False)
    if solver == "lbfgs":
        # the last accepted iterate: the same as stopping there by max_iter
        assert est.n_iter_ == len(est.loss_curve_) > 0
        monkeypatch.undo()
        reference = Est(**{**params, "max_iter": est.n_iter_})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            reference.fit(X, y)
        for a, b in zip(est.coefs_ + est.intercepts_, reference.coefs_ + reference.intercepts_):
            np.testing.assert_array_equal(a, b)
        assert est.loss_ == reference.loss_
    else:
        epochs_done = 20 // -(-int(len(X) * (0.9 if early_stopping else 1)) // 10)
        assert est.n_iter_ == len(est.loss_curve_) == epochs_done < params["max_iter"]
    if early_stopping:
        # the weights restored are those of the epoch with the best score
        epochs = [model for model in recorder.tasks("epoch") if model is not None]
        scores = [model.validation_scores_[-1] for model in epochs]
        best = int(np.argmax(scores))
        assert est.best_validation_score_ == scores[best] == max(est.validation_scores_)
        for a, b in zip(est.coefs_ + est.intercepts_,
                        epochs[best].coefs_ + epochs[best].intercepts_):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("Est", ESTIMATORS)
def test_failed_warm_start_fit_leaves_the_model_exactly_as_it_was(monkeypatch, Est, solver):
    X, y = make_data(Est)
    est = Est(hidden_layer_sizes=(6,), solver=solver, max_iter=5, warm_start=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    before, expected = snapshot(est), predictions(est, X)
    failures = [
        lambda: est.fit(np.where(X > 1, np.nan, X), y),  # NaN in X
        lambda: est.fit(X[:, :3], y),  # fewer features
        lambda: est.set_params(hidden_layer_sizes=(7,)).fit(X, y),  # another shape
    ]
    if Est is MLPClassifier:
        failures.append(lambda: est.fit(X, y + 5))  # new classes
    else:
        failures.append(lambda: est.fit(X, np.c_[y, y]))  # another output width
    for fail in failures:
        with pytest.raises(ValueError):
            fail()
        est.set_params(hidden_layer_sizes=(6,))
        assert_same_state(snapshot(est), before)
    # an error in the middle of training (after some updates were made)
    calls = _interrupt_after(monkeypatch, 2, exc=RuntimeError)
    with pytest.raises(RuntimeError, match="injected"):
        est.fit(X, y)
    assert calls["n"] == 3
    assert_same_state(snapshot(est), before)
    for a, b in zip(predictions(est, X), expected):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("solver", STOCHASTIC_SOLVERS)
@pytest.mark.parametrize("Est", ESTIMATORS)
def test_failed_partial_fit_leaves_the_model_exactly_as_it_was(monkeypatch, Est, solver):
    X, y = make_data(Est)
    est = Est(hidden_layer_sizes=(6,), solver=solver, batch_size=10, random_state=0, dropout=0.2)
    kw = {"classes": [0, 1, 2]} if Est is MLPClassifier else {}
    est.partial_fit(X, y, **kw).partial_fit(X, y)
    before, expected = snapshot(est), predictions(est, X)
    failures = [
        lambda: est.partial_fit(np.where(X > 1, np.nan, X), y),  # a batch with NaN
        lambda: est.partial_fit(X, np.where(X[:, 0] > 1, np.inf, y)),  # inf targets
        lambda: est.partial_fit(X[:, :3], y),  # fewer features
        lambda: est.partial_fit(X, y, sample_weight=-np.ones(len(y))),
    ]
    if Est is MLPClassifier:
        failures += [
            lambda: est.partial_fit(X, y + 1),  # a new class
            lambda: est.partial_fit(X, y, classes=[0, 1, 2, 3]),  # other classes
        ]
    for fail in failures:
        with pytest.raises(ValueError):
            fail()
        assert_same_state(snapshot(est), before)
    _interrupt_after(monkeypatch, 3, exc=RuntimeError)  # mid-epoch: 6 batches
    with pytest.raises(RuntimeError, match="injected"):
        est.partial_fit(X, y)
    assert_same_state(snapshot(est), before)
    for a, b in zip(predictions(est, X), expected):
        np.testing.assert_array_equal(a, b)


@given(data=st.data(), Est=st.sampled_from(ESTIMATORS), solver=st.sampled_from(STOCHASTIC_SOLVERS))
def test_hostile_partial_fit_batch_updates_or_changes_nothing(data, Est, solver):
    rng = np.random.RandomState(0)
    X0 = rng.normal(size=(10, 2))
    y0 = np.arange(10) % 3 if Est is MLPClassifier else X0[:, 0]
    est = Est(**{**TINY, "solver": solver})
    with strict_warnings():
        est.partial_fit(X0, y0, **({"classes": [0, 1, 2]} if Est is MLPClassifier else {}))
    before = snapshot(est)
    case = data.draw(hostile_X())
    problems = dict(case.problems)
    if case.d != 2:
        problems["n_features"] = r"features"
    if Est is MLPClassifier:
        y = np.array(
            data.draw(
                st.lists(st.sampled_from([0, 1, 2, 5, np.nan]), min_size=case.n, max_size=case.n)
            )
        )
        if np.isnan(y).any():
            problems["nan"] = r"NaN"
        elif (y == 5).any():
            problems["new class"] = r"not in `self.classes_`"
    else:
        y, y_problems = data.draw(regression_targets(case.n))
        problems.update(y_problems)
        if y.ndim == 2:
            problems["n_outputs"] = (
                r"y has 2 output\(s\) \(columns\) but the model was fitted with 1"
            )
    huge_y = y.dtype.kind == "f" and bool((np.abs(y[np.isfinite(y)]) > 1e150).any())
    too_large = TOO_LARGE if case.huge or huge_y else {}
    ok, _ = attempt(lambda: est.partial_fit(case.X, y), problems, too_large)
    if ok:  # updated, and still predicts on clean data
        check_outputs(est, X0, 10, may_overflow=False)
    else:
        assert_same_state(snapshot(est), before)


def test_partial_fit_whose_overflow_a_relu_hides_keeps_the_previous_model():
    """Found by the fuzzer above: a batch with a -1e300 feature sends one weight
    to 1e297. On that batch ReLU turns the -inf pre-activation into 0, so the
    output stays finite, yet clean data overflows. The overflow in the hidden
    layer counts as divergence: the previous weights stay, with a warning."""
    rng = np.random.RandomState(0)
    X0 = rng.normal(size=(10, 2))
    est = MLPClassifier(**{**TINY, "solver": "sgd"})
    est.partial_fit(X0, np.arange(10) % 3, classes=[0, 1, 2])
    before = [W.copy() for W in est.coefs_]
    with pytest.warns(ConvergenceWarning, match="diverged"), np.errstate(over="ignore"):
        est.partial_fit(np.array([[0.0, -1e300]]), [0])
    for W, W0 in zip(est.coefs_, before):
        np.testing.assert_array_equal(W, W0)
    assert np.isfinite(est.predict_proba(X0)).all()


@pytest.mark.parametrize("random_state", [0, "instance"])
@pytest.mark.parametrize("solver, dropout", [("sgd", 0.0), ("sgd", 0.3), ("adam", 0.3)])
@pytest.mark.parametrize("Est", ESTIMATORS)
def test_pickle_round_trip_after_partial_fit_continues_bitwise(Est, solver, dropout, random_state):
    X, y = make_data(Est)
    rs = np.random.RandomState(3) if random_state == "instance" else random_state
    est = Est(
        hidden_layer_sizes=(6,), solver=solver, batch_size=7, dropout=dropout, random_state=rs
    )
    kw = {"classes": [0, 1, 2]} if Est is MLPClassifier else {}
    est.partial_fit(X, y, **kw).partial_fit(X[:30], y[:30])
    loaded = pickle.loads(pickle.dumps(est))
    for model in (est, loaded):
        for start in (0, 20, 40):
            model.partial_fit(X[start : start + 25], y[start : start + 25])
    assert_same_state(
        {k: v for k, v in vars(loaded).items() if k != "random_state"},
        {k: v for k, v in vars(est).items() if k != "random_state"},
    )
    for a, b in zip(predictions(loaded, X), predictions(est, X)):
        np.testing.assert_array_equal(a, b)


def test_failed_fresh_fit_keeps_the_fitted_models_columns():
    pd = pytest.importorskip("pandas")
    X = pd.DataFrame(np.random.RandomState(0).normal(size=(40, 3)), columns=["a", "b", "c"])
    y = np.arange(40) % 2
    clf = MLPClassifier(hidden_layer_sizes=(4,), max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    before = clf.predict_proba(X)
    bad_y = y.astype(float)
    bad_y[0] = np.nan
    with pytest.raises(ValueError):
        clf.fit(X.rename(columns={"c": "d"}).assign(e=1.0), bad_y)
    assert clf.feature_names_in_.tolist() == ["a", "b", "c"] and clf.n_features_in_ == 3
    np.testing.assert_array_equal(clf.predict_proba(X), before)
