"""ONNX export with skl2onnx, checked by running the graphs in onnxruntime."""

import os
import subprocess
import sys

import numpy as np
import onnxruntime as ort
import pytest
from skl2onnx import to_onnx
from sklearn.datasets import make_classification, make_multilabel_classification
from sklearn.neural_network import MLPClassifier as SklearnMLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknn import (
    MLPClassifier,
    MLPRegressor,
    TableEncoder,
    TabularMLPClassifier,
    TabularMLPRegressor,
    register_onnx_converters,
)
from sknn.export import convert_when_imported
from sknn.nn import ACTIVATIONS

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

# float32 graphs: the network's arithmetic in single precision
ATOL = {np.float32: 1e-5, np.float64: 1e-12}


def _run(onx, X):
    session = ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: X}), session


def _data(n=120, n_features=4, seed=0):
    rng = np.random.RandomState(seed)
    return rng.normal(size=(n, n_features)) * 2


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_every_activation_in_a_pipeline(activation, dtype):
    X = _data()
    y = np.array(["setosa", "versicolor", "virginica"])[(X[:, 0] > 0).astype(int) + (X[:, 1] > 1)]
    model = make_pipeline(
        StandardScaler(),
        MLPClassifier((6, 5), activation=activation, max_iter=300, random_state=0),
    ).fit(X, y)
    Xt = X.astype(dtype)
    (labels, proba), _ = _run(to_onnx(model, Xt[:1], options={"zipmap": False}), Xt)
    np.testing.assert_array_equal(labels, model.predict(X))
    # onnxruntime has no float64 erf: float64 graphs evaluate it in float32
    atol = 1e-7 if activation == "gelu" and dtype == np.float64 else ATOL[dtype]
    np.testing.assert_allclose(proba, model.predict_proba(X), rtol=0, atol=atol)
    assert proba.dtype == dtype


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("normalization", [None, "batch", "layer"])
def test_normalization_and_one_activation_per_layer(normalization, dtype):
    """Normalization layers export their inference form (batch normalization
    with its running statistics), each hidden layer with its own activation."""
    X = _data(n=200)
    y = (X[:, 0] + X[:, 1] ** 2 > 1).astype(int) + (X[:, 2] > 0)
    model = MLPClassifier((8, 6, 4), activation=["tanh", "elu", "relu"], dropout=0.1,
                          normalization=normalization, max_iter=200, random_state=0).fit(X, y)
    Xt = X.astype(dtype)
    (labels, proba), _ = _run(to_onnx(model, Xt[:1], options={"zipmap": False}), Xt)
    np.testing.assert_array_equal(labels, model.predict(X))
    np.testing.assert_allclose(proba, model.predict_proba(X), rtol=0, atol=ATOL[dtype])
    reg = MLPRegressor(hidden_layer_sizes=(5,), normalization=normalization, max_iter=50,
                       random_state=0).fit(X, X[:, 0])
    (out,), _ = _run(to_onnx(reg, Xt[:1]), Xt)
    np.testing.assert_allclose(out.ravel(), reg.predict(X), rtol=1e-5, atol=ATOL[dtype])


def test_default_outputs_match_scikit_learns_mlp():
    """Same output names and types as scikit-learn's own MLP converter, and
    the same values for the same network (sknn's default draws scikit-learn's
    weights)."""
    X, y = make_classification(n_samples=100, n_features=5, n_classes=3,
                               n_informative=3, random_state=0)
    X = X.astype(np.float32)
    kw = dict(hidden_layer_sizes=(8,), max_iter=30, random_state=0)
    ours = MLPClassifier(**kw).fit(X, y)
    theirs = SklearnMLPClassifier(**kw).fit(X, y)
    (labels, maps), session = _run(to_onnx(ours, X[:1]), X)
    (their_labels, their_maps), their_session = _run(to_onnx(theirs, X[:1]), X)
    describe = lambda s: [(o.name, o.type) for o in s.get_outputs()]  # noqa: E731
    assert describe(session) == describe(their_session)
    assert describe(session) == [
        ("output_label", "tensor(int64)"),
        ("output_probability", "seq(map(int64,tensor(float)))"),
    ]
    np.testing.assert_array_equal(labels, ours.predict(X))
    np.testing.assert_array_equal(labels, their_labels)
    P = np.array([[row[c] for c in ours.classes_] for row in maps])
    np.testing.assert_allclose(P, ours.predict_proba(X), atol=1e-5)
    P_theirs = np.array([[row[c] for c in theirs.classes_] for row in their_maps])
    np.testing.assert_allclose(P, P_theirs, atol=1e-5)


@pytest.mark.parametrize("labels", ["int", "str", "bool"])
def test_binary_classifier_alone(labels):
    X = _data(seed=1)
    y = X[:, 0] + X[:, 2] > 0
    y = {"int": y.astype(int) * 3 + 2, "str": np.where(y, "yes", "no"), "bool": y}[labels]
    clf = MLPClassifier((5,), solver="lbfgs", max_iter=200, random_state=0).fit(X, y)
    Xt = X.astype(np.float32)
    (onnx_labels, proba), _ = _run(to_onnx(clf, Xt[:1], options={"zipmap": False}), Xt)
    np.testing.assert_array_equal(onnx_labels, clf.predict(X))
    assert proba.shape == (len(X), 2)
    np.testing.assert_allclose(proba, clf.predict_proba(X), atol=1e-5)
    # zipmap (skl2onnx's default): one {class: probability} per row
    (_, maps), _ = _run(to_onnx(clf, Xt[:1]), Xt)
    keys = clf.classes_.astype(int) if labels == "bool" else clf.classes_
    assert sorted(maps[0]) == sorted(keys.tolist())
    np.testing.assert_allclose([m[keys[1]] for m in maps], clf.predict_proba(X)[:, 1], atol=1e-5)


def test_class_indices_with_nocl_and_class_labels_output():
    X = _data(seed=2)
    y = np.array(["b", "a", "c"])[np.argmax(X[:, :3], axis=1)]
    clf = MLPClassifier((6,), solver="lbfgs", max_iter=300, random_state=0).fit(X, y)
    Xt = X.astype(np.float32)
    (indices, _), _ = _run(to_onnx(clf, Xt[:1], options={"zipmap": False, "nocl": True}), Xt)
    np.testing.assert_array_equal(clf.classes_[indices], clf.predict(X))
    options = {"zipmap": False, "output_class_labels": True}
    (_, _, class_labels), _ = _run(to_onnx(clf, Xt[:1], options=options), Xt)
    np.testing.assert_array_equal(class_labels, clf.classes_)


def test_multilabel():
    X, Y = make_multilabel_classification(200, 6, n_classes=4, random_state=0)
    clf = MLPClassifier((16,), solver="lbfgs", max_iter=200, random_state=0).fit(X, Y)
    Xt = X.astype(np.float32)
    (labels, proba), session = _run(to_onnx(clf, Xt[:1], options={"zipmap": False}), Xt)
    assert session.get_outputs()[0].shape[1] == 4
    np.testing.assert_array_equal(labels, clf.predict(X))
    np.testing.assert_allclose(proba, clf.predict_proba(X), atol=1e-5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("loss", ["squared_error", "poisson"])
@pytest.mark.parametrize("n_outputs", [1, 3])
def test_regressor(loss, n_outputs, dtype):
    X = _data(seed=3)
    Y = np.exp(0.3 * X[:, :n_outputs] + 0.1 * X[:, [3]])
    if n_outputs == 1:
        Y = Y.ravel()
    model = make_pipeline(
        StandardScaler(),
        MLPRegressor(hidden_layer_sizes=(7, 5), loss=loss, activation="tanh", solver="lbfgs",
                     max_iter=300, random_state=0),
    ).fit(X, Y)
    Xt = X.astype(dtype)
    (out,), _ = _run(to_onnx(model, Xt[:1]), Xt)
    expected = model.predict(X)
    assert out.shape == (len(X), n_outputs) and out.dtype == dtype
    tol = ATOL[dtype]
    np.testing.assert_allclose(out.reshape(expected.shape), expected, rtol=tol, atol=tol)


@pytest.mark.parametrize("loss", ["absolute_error", "huber", "quantile"])
def test_robust_regression_losses(loss):
    """The losses that change training but not the output layer export as
    the squared error's identity output."""
    X = _data(seed=7)
    y = X[:, 0] - 0.5 * X[:, 1] ** 2
    reg = MLPRegressor(hidden_layer_sizes=(6,), loss=loss, quantile=0.8, max_iter=100,
                       random_state=0).fit(X, y)
    for dtype in (np.float32, np.float64):
        Xt = X.astype(dtype)
        (out,), _ = _run(to_onnx(reg, Xt[:1]), Xt)
        np.testing.assert_allclose(out.ravel(), reg.predict(X), rtol=ATOL[dtype],
                                   atol=ATOL[dtype])


def test_exp_output_stays_finite_as_predict_does():
    X = _data(seed=4)
    reg = MLPRegressor(hidden_layer_sizes=(3,), loss="poisson", solver="lbfgs", max_iter=100,
                       random_state=0).fit(X, np.exp(X[:, 0]))
    far = 1e6 * X[:5]
    (out,), _ = _run(to_onnx(reg, far[:1]), far)
    assert np.all(np.isfinite(out))
    np.testing.assert_allclose(out.ravel(), reg.predict(far), rtol=1e-12)


def test_float32_fitted_model_and_float64_export():
    X = _data(seed=5).astype(np.float32)
    y = (X[:, 0] > 0).astype(int)
    clf = MLPClassifier((5,), max_iter=100, random_state=0).fit(X, y)
    assert clf.coefs_[0].dtype == np.float32
    X64 = X.astype(np.float64)
    (labels, proba), _ = _run(to_onnx(clf, X64[:1], options={"zipmap": False}), X64)
    np.testing.assert_array_equal(labels, clf.predict(X))
    np.testing.assert_allclose(proba, clf.predict_proba(X), atol=1e-6)


def test_dropout_exports_the_inference_form():
    X = _data(seed=6)
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    clf = MLPClassifier((16, 8), dropout=(0.5, 0.25), max_iter=200, random_state=0).fit(X, y)
    (labels, proba), _ = _run(to_onnx(clf, X[:1], options={"zipmap": False}), X)
    np.testing.assert_array_equal(labels, clf.predict(X))
    np.testing.assert_allclose(proba, clf.predict_proba(X), atol=1e-12)


def test_single_class():
    X = _data(seed=8)
    clf = MLPClassifier((4,), max_iter=20, random_state=0).fit(X, np.full(len(X), "spam"))
    (labels, proba), _ = _run(to_onnx(clf, X[:1], options={"zipmap": False}), X)
    np.testing.assert_array_equal(labels, clf.predict(X))
    assert proba.shape == (len(X), 2)
    np.testing.assert_allclose(proba, clf.predict_proba(X), atol=1e-12)
    with pytest.raises(ValueError, match=r"single class.*options=\{'zipmap': False\}"):
        to_onnx(clf, X[:1])


def test_float_classes_become_integer_labels_as_in_skl2onnx():
    X = _data(seed=7)
    y = np.where(X[:, 0] > 0, 2.0, -1.0)
    clf = MLPClassifier((3,), solver="lbfgs", max_iter=50, random_state=0).fit(X, y)
    (labels, _), _ = _run(to_onnx(clf, X[:1], options={"zipmap": False}), X)
    assert labels.dtype == np.int64
    np.testing.assert_array_equal(labels, clf.predict(X))


def test_missing_skl2onnx_names_the_onnx_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "skl2onnx", None)
    with pytest.raises(ImportError, match=r"pip install 'sknn\[onnx\]'"):
        register_onnx_converters()


def test_a_broken_skl2onnx_does_not_stop_import_sknn(monkeypatch):
    # skl2onnx installed but failing to import (None in sys.modules): registering
    # at ``import sknn`` (convert_when_imported) raises nothing
    monkeypatch.setitem(sys.modules, "skl2onnx", None)
    convert_when_imported()  # no error
    with pytest.raises(ImportError, match="sknn\\[onnx\\]"):
        register_onnx_converters()


def _fresh_interpreter(script):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.run([sys.executable, "-W", "ignore", "-c", script],
                          capture_output=True, text=True, env=env, timeout=120)


def test_import_sknn_does_not_import_skl2onnx_or_onnx():
    """In a fresh interpreter: ``import sknn`` leaves skl2onnx and onnx unimported."""
    result = _fresh_interpreter(
        "import sys\n"
        "import sknn\n"
        "print(sorted(name for name in ('skl2onnx', 'onnx') if name in sys.modules))\n"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_registration_needs_no_step_from_the_user(tmp_path):
    """In a fresh interpreter: import sknn, then skl2onnx, and convert."""
    result = _fresh_interpreter(
        "import numpy as np\n"
        "from sknn import MLPRegressor\n"
        "from skl2onnx import to_onnx\n"
        "X = np.arange(12.0).reshape(6, 2)\n"
        "reg = MLPRegressor(hidden_layer_sizes=(3,), solver='lbfgs', max_iter=5).fit(X, X[:, 0])\n"
        "print(to_onnx(reg, X[:1]).graph.output[0].name)\n"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "variable"


# ------------------------------------------------------------- tabular estimators
def _tabular_data(n=200, seed=0):
    X, y = make_classification(n_samples=n, n_features=6, n_classes=3, n_informative=4,
                               random_state=seed)
    X[::7, 2] = np.nan  # imputed, with a missing indicator, in the graph too
    X[:, 4] = np.round(X[:, 4])  # values on the bin edges
    return X, y


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("members, embedding, smooth_clip", [
    (4, "piecewise_linear", 3.0), (1, None, None), (2, "periodic", 3.0)])
def test_tabular_classifier(dtype, members, embedding, smooth_clip):
    X, y = _tabular_data()
    clf = TabularMLPClassifier(hidden_layer_sizes=(16, 16), members=members, n_bins=8,
                               numeric_embedding=embedding,
                               smooth_clip=smooth_clip, max_iter=30, random_state=0).fit(X, y)
    onx = to_onnx(clf, X[:1].astype(dtype), options={"zipmap": False})
    (label, proba), _ = _run(onx, X.astype(dtype))
    np.testing.assert_allclose(proba, clf.predict_proba(X.astype(dtype)), atol=ATOL[dtype])
    np.testing.assert_array_equal(label, clf.predict(X))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_tabular_regressor_in_the_targets_units(dtype):
    X, _ = _tabular_data()
    Y = np.column_stack([np.nan_to_num(X[:, 0]) * 50 + 1000, X[:, 1] - X[:, 3]])
    reg = TabularMLPRegressor(hidden_layer_sizes=(16,), members=4, max_iter=30,
                              random_state=0).fit(X, Y)
    onx = to_onnx(reg, X[:1].astype(dtype))
    (out,), _ = _run(onx, X.astype(dtype))
    pred = reg.predict(X.astype(dtype))
    np.testing.assert_allclose(out / np.abs(pred).max(axis=0), pred / np.abs(pred).max(axis=0),
                               atol=ATOL[dtype])


def _coded_table(n=240, seed=0):
    """Numbers, then two categorical columns of numbers: codes with gaps, and
    whole numbers with a rare level."""
    X, y = _tabular_data(n, seed)
    rng = np.random.default_rng(seed)
    kind = rng.integers(0, 4, n).astype(float)
    kind[::9] = np.nan  # the missing level
    size = rng.choice([10.0, 20.0, 30.5, 99.0], n, p=[0.4, 0.3, 0.295, 0.005])
    y = np.where(kind == 1, 2, y)  # the categories carry signal
    return np.column_stack([X, kind, size]), y


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("embedding", ["onehot", "learned"])
def test_tabular_categorical_columns_of_numbers(dtype, embedding):
    X, y = _coded_table()
    clf = TabularMLPClassifier(hidden_layer_sizes=(16,), members=2, n_bins=8,
                               categorical_features=[6, 7], categorical_embedding=embedding,
                               max_iter=30, random_state=0).fit(X, y)
    # new rows: a level never seen, a missing one, the rare level
    X_new = _coded_table(60, seed=1)[0]
    X_new[:3, 6], X_new[3, 6], X_new[4, 7] = 7.0, np.nan, 99.0
    onx = to_onnx(clf, X[:1].astype(dtype), options={"zipmap": False})
    (label, proba), _ = _run(onx, X_new.astype(dtype))
    np.testing.assert_allclose(proba, clf.predict_proba(X_new.astype(dtype)), atol=ATOL[dtype])
    np.testing.assert_array_equal(label, clf.predict(X_new))


@pytest.mark.parametrize("encode", ["onehot", "ordinal"])
def test_table_encoder(encode):
    X, _ = _coded_table()
    enc = TableEncoder(categorical_features=[6, 7], encode=encode).fit(X)
    X_new = _coded_table(60, seed=1)[0]
    X_new[:3, 6], X_new[3, 6] = 7.0, np.nan
    (out,), _ = _run(to_onnx(enc, X[:1]), X_new)
    np.testing.assert_array_equal(out, enc.transform(X_new))


def test_tabular_text_columns_are_named_in_the_error():
    pd = pytest.importorskip("pandas")
    X, y = _tabular_data(60)
    frame = pd.DataFrame(X, columns=list("abcdef")).assign(city=["x", "y", "z"] * 20)
    clf = TabularMLPClassifier(hidden_layer_sizes=(8,), members=2, max_iter=5).fit(frame, y)
    with pytest.raises(NotImplementedError,
                       match=r"\['city'\] hold levels that are not numbers.*OneHotEncoder"):
        to_onnx(clf, X[:1].astype(np.float32))
