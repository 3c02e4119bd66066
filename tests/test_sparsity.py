"""L1 penalties that eliminate weights, the feature group lasso, and the
sparsity in sight (summary, n_nonzero_params_, nonzero_curve_, SparsityDisplay)."""

import matplotlib
import numpy as np
import pandas as pd
import pytest
import scipy.optimize
import scipy.sparse as sp
from sklearn.datasets import make_classification
from sklearn.feature_selection import SelectFromModel
from strategies import SOLVERS, STOCHASTIC_SOLVERS

from sknn import MLPClassifier, SparsityDisplay
from sknn.nn import INITIALIZERS, L1, LOSSES, OPTIMIZERS, Network, dense_stack

matplotlib.use("Agg")
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

# 5 informative features first, then 25 noise features
N_INFORMATIVE, N_FEATURES = 5, 30


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(600, N_FEATURES, n_informative=N_INFORMATIVE, n_redundant=0,
                               shuffle=False, random_state=0)
    return X, y


# solver -> a learning rate that trains in the test's budget
RATES = {"sgd": 0.01, "adagrad": 0.05}


def _l1(solver, **params):
    kw = dict(hidden_layer_sizes=(16,), solver=solver, penalty="l1", alpha=1.0,
              learning_rate_init=RATES.get(solver, 0.001), max_iter=150, random_state=0)
    return MLPClassifier(**{**kw, **params})


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("penalty", ["l1", "elasticnet"])
def test_l1_gives_exact_zeros_with_every_solver(data, solver, penalty):
    X, y = data
    clf = _l1(solver, penalty=penalty, l1_ratio=0.5).fit(X, y)
    zeros = np.mean(clf.coefs_[0] == 0)
    assert zeros > (0.1 if penalty == "l1" else 0.02), zeros
    assert clf.n_nonzero_params_ == sum(np.count_nonzero(a) for a in clf.coefs_ + clf.intercepts_)
    assert clf.score(X, y) > 0.8
    # the L2 penalty shrinks weights, but never to exactly zero
    l2 = _l1(solver, penalty="l2").fit(X, y)
    assert np.count_nonzero(l2.coefs_[0] == 0) == 0


def _network(n_features, penalty):
    """The estimators' network, ``penalty`` on every dense layer's weights."""
    return Network(dense_stack([16], 1, "relu", regularizer=penalty), n_features,
                   LOSSES["binary_log_loss"](), np.float64)


def _objective(net, X, Y):
    """The penalised objective (mean data loss + every regularizer's value);
    its subgradient goes to ``net.grad`` (``l1_coefficient(m) * sign(w)`` for
    the L1 parts, 0 at 0)."""
    loss = net.loss_grad(X, Y, penalize=True)
    m = float(X.shape[0])
    loss += net.nonsmooth_penalty(m)
    for r in net.regularized:
        grad = r.grad  # a view of net.grad
        grad += r.regularizer.l1_coefficient(m) * np.sign(r.values)
    return loss


def _subgradient_fit(X, Y, solver, penalty, epochs, rate):
    """The method the proximal steps replace, on the same network: full-batch
    steps along the penalised objective's subgradient (sign(w) for L1)."""
    net = _network(X.shape[1], penalty)
    net.initialize(INITIALIZERS["auto"](), np.random.RandomState(0))
    if solver == "lbfgs":
        def objective(x):
            net.params[...] = x
            return _objective(net, X, Y), net.grad.copy()

        result = scipy.optimize.minimize(objective, net.params.copy(), method="L-BFGS-B",
                                         jac=True, options={"maxiter": epochs, "gtol": 1e-4})
        net.params[...] = result.x
        return net
    optimizer = OPTIMIZERS[solver](learning_rate=rate).build(net.params.size, np.float64)
    for _ in range(epochs):
        _objective(net, X, Y)
        optimizer.step(net.params, net.grad)
    return net


@pytest.mark.parametrize("penalty", ["l1", "elasticnet"])
def test_lbfgs_split_weights_rows_as_repeats(penalty):
    # the data of scikit-learn's check_sample_weight_equivalence; 20 iterations
    # reach the zeros, before rounding differences grow (tests/test_common.py)
    rng = np.random.RandomState(42)
    X, y, sw = rng.rand(15, 30), rng.randint(0, 3, size=15), rng.randint(0, 5, size=15)
    kw = dict(solver="lbfgs", penalty=penalty, alpha=0.01, l1_ratio=0.5, max_iter=20,
              random_state=0)
    weighted = MLPClassifier(**kw).fit(X, y, sample_weight=sw)
    repeated = MLPClassifier(**kw).fit(np.repeat(X, sw, axis=0), np.repeat(y, sw))
    assert np.mean(weighted.coefs_[0] == 0) > 0.3
    np.testing.assert_allclose(weighted.loss_, repeated.loss_, rtol=1e-10)
    np.testing.assert_allclose(weighted.predict_proba(X), repeated.predict_proba(X), atol=1e-9)


@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
def test_objective_is_not_worse_than_the_subgradient_methods(data, solver):
    X, y = data
    Y = y[:, None].astype(float)
    rate = RATES.get(solver, 0.001)
    kw = dict(batch_size=len(y), shuffle=False, tol=0, max_iter=300)
    proximal = _l1(solver, **kw).fit(X, y)
    penalty = L1(1.0)
    reference = _subgradient_fit(X, Y, solver, penalty, 300, rate)
    net = _network(X.shape[1], penalty)
    net.load(vars(proximal))
    ours, theirs = _objective(net, X, Y), _objective(reference, X, Y)
    assert ours <= theirs * (1 + 1e-3), (ours, theirs)
    if solver == "lbfgs":  # loss_ is the objective at the final weights
        assert proximal.loss_ == pytest.approx(ours, rel=1e-9)
    assert np.count_nonzero(proximal.coefs_[0] == 0) > 0
    assert np.count_nonzero(reference.layers[0].coef == 0) == 0  # the subgradient's: none


@pytest.mark.parametrize("solver", STOCHASTIC_SOLVERS)
def test_sparsity_is_kept_by_partial_fit_warm_start_float32_and_sparse_input(data, solver):
    X, y = data
    clf = _l1(solver, feature_alpha=20.0).fit(X, y)
    zero_rows = np.all(clf.coefs_[0] == 0, axis=1)
    assert zero_rows[N_INFORMATIVE:].sum() > 15 and not zero_rows[:N_INFORMATIVE].any()
    for _ in range(5):
        clf.partial_fit(X, y)
    # zero weights stay zero where the data does not pull them out (a
    # mini-batch's noise pulls a few back for a while)
    still = np.all(clf.coefs_[0] == 0, axis=1)
    assert still[zero_rows].mean() > 0.75
    warm = _l1(solver, warm_start=True, max_iter=50).fit(X, y)
    first = np.mean(warm.coefs_[0] == 0)
    warm.fit(X, y)
    assert np.mean(warm.coefs_[0] == 0) >= 0.8 * first > 0
    f32 = _l1(solver).fit(X.astype(np.float32), y)
    assert f32.coefs_[0].dtype == np.float32 and np.mean(f32.coefs_[0] == 0) > 0.1
    sparse = _l1(solver).fit(sp.csr_matrix(np.where(np.abs(X) > 1, X, 0.0)), y)
    assert np.mean(sparse.coefs_[0] == 0) > 0.1


def test_feature_group_lasso_selects_the_informative_features(data):
    X, y = data
    names = [f"feature_{i}" for i in range(N_FEATURES)]
    clf = _l1("adam", feature_alpha=20.0).fit(pd.DataFrame(X, columns=names), y)
    importances = clf.feature_importances_
    np.testing.assert_allclose(importances, np.linalg.norm(clf.coefs_[0], axis=1))
    assert np.all(importances[:N_INFORMATIVE] > 0)
    assert np.all(importances[N_INFORMATIVE:] == 0)  # every noise feature: exactly zero
    selector = SelectFromModel(clf, prefit=True).fit(pd.DataFrame(X, columns=names), y)
    np.testing.assert_array_equal(selector.get_feature_names_out(), names[:N_INFORMATIVE])
    with pytest.raises(ValueError, match="feature_alpha is not supported with solver='lbfgs'"):
        MLPClassifier(solver="lbfgs", feature_alpha=1.0).fit(X, y)


def test_no_l1_part_changes_nothing(data):
    X, y = data
    kw = dict(hidden_layer_sizes=(8,), max_iter=20, random_state=0)
    models = [MLPClassifier(penalty=None, **kw), MLPClassifier(penalty="l1", alpha=0.0, **kw),
              MLPClassifier(penalty="l2", alpha=0.0, feature_alpha=0.0, **kw)]
    fitted = [m.fit(X, y) for m in models]
    for other in fitted[1:]:
        for a, b in zip(fitted[0].coefs_ + fitted[0].intercepts_, other.coefs_ + other.intercepts_):
            np.testing.assert_array_equal(a, b)


def test_summary_and_curves_show_the_sparsity(data):
    X, y = data
    clf = _l1("adam").fit(X, y)
    rows = clf.summary().splitlines()
    assert rows[0].split()[-1] == "Non-zero"
    hidden = rows[3].split()
    assert int(hidden[-1].replace(",", "")) == (
        np.count_nonzero(clf.coefs_[0]) + np.count_nonzero(clf.intercepts_[0]))
    total = clf.n_nonzero_params_
    assert rows[-1] == f"Non-zero params: {total:,} ({total / clf.n_params_:.1%})"
    curve = np.array(clf.nonzero_curve_)
    assert curve.shape == (clf.n_iter_, 2)
    assert list(curve[-1]) == [np.count_nonzero(W) for W in clf.coefs_]
    assert curve[-1, 0] < curve[0, 0]  # training eliminated weights
    display = SparsityDisplay.from_estimator(clf, fraction=True)
    assert [line.get_label() for line in display.lines_] == ["layer 1", "layer 2"]
    np.testing.assert_allclose(display.lines_[0].get_ydata(), curve[:, 0] / clf.coefs_[0].size)
    np.testing.assert_array_equal(display.lines_[0].get_xdata(), np.arange(1, clf.n_iter_ + 1))
    assert display.ax_.get_ylabel() == "non-zero share of weights"
    lbfgs = _l1("lbfgs").fit(X, y)
    assert len(lbfgs.nonzero_curve_) == lbfgs.n_iter_
    assert SparsityDisplay.from_estimator(lbfgs).ax_.get_xlabel() == "iteration"
