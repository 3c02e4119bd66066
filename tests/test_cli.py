"""The ``sknn`` command line: demo, fit, predict, errors and help."""

import csv
import importlib
import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_diabetes, load_iris, make_classification
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknn.cli import main

# the module of the command line (``sknn.cli.main`` names the function)
cli_module = importlib.import_module("sknn.cli.main")

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _write_csv(path, header, rows):
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return str(path)


def _read_csv(text):
    rows = list(csv.reader(io.StringIO(text)))
    return rows[0], rows[1:]


IRIS_COLUMNS = ["sepal_length", "sepal_width", "petal_length", "petal_width"]


@pytest.fixture(scope="module")
def iris_csv(tmp_path_factory):
    data = load_iris()
    rows = [[*x, data.target_names[t]] for x, t in zip(data.data, data.target)]
    path = tmp_path_factory.mktemp("data") / "iris.csv"
    return _write_csv(path, [*IRIS_COLUMNS, "species"], rows)


@pytest.fixture(scope="module")
def iris_model(iris_csv, tmp_path_factory):
    path = str(tmp_path_factory.mktemp("models") / "iris.skops")
    assert main([
        "fit", iris_csv, "--target", "species", "--hidden", "16", "--solver", "lbfgs", "--cv", "0",
        "--quiet", "--save", path,
    ]) == 0
    return path


def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_no_arguments_run_the_demo(monkeypatch):
    calls = []
    monkeypatch.setattr(cli_module, "demo", lambda out: calls.append(out) or 0)
    assert main([]) == 0
    assert main(["demo"]) == 0
    assert len(calls) == 2


def test_fit_prints_cross_validated_scores_and_the_summary(capsys, iris_csv):
    status, out, err = run(
        capsys, "fit", iris_csv, "--target", "species", "--hidden", "64,32",
        "--dropout", "0.2", "--activation", "tanh", "--init", "glorot_uniform",
        "--penalty", "elasticnet", "--alpha", "0.001", "--cv", "3", "--quiet",
    )
    assert status == 0, err
    assert "150 rows, 4 features, target 'species' (classification, 3 distinct classes)" in out
    line = next(li for li in out.splitlines() if li.startswith("3-fold cross-validated accuracy"))
    mean = float(line.split(":")[1].split()[0])
    folds = next(li for li in out.splitlines() if li.strip().startswith("folds:"))
    fold_scores = [float(s) for s in folds.split(":")[1].split()]
    assert len(fold_scores) == 3
    assert mean == pytest.approx(np.mean(fold_scores), abs=1e-4)
    assert mean > 0.85
    # the summary table of the final network: 4 -> 64 -> 32 -> 3
    assert "hidden 1  64     tanh" in out and "0.2" in out
    assert "Total params: 2,499" in out
    assert "activation='tanh'" in out and "penalty='elasticnet'" in out


def test_fit_save_and_predict(capsys, iris_csv, iris_model, tmp_path):
    import skops.io as sio

    untrusted = sio.get_untrusted_types(file=iris_model)
    bundle = sio.load(iris_model, trusted=untrusted)
    assert bundle["features"] == IRIS_COLUMNS and bundle["target"] == "species"

    status, out, err = run(capsys, "predict", iris_model, iris_csv)
    assert status == 0, err
    header, rows = _read_csv(out)
    assert header == ["species"]
    # the saved model picks its columns by name: Python users pass a DataFrame
    X = pd.DataFrame(load_iris().data, columns=IRIS_COLUMNS)
    expected = bundle["model"].predict(X)
    assert [r[0] for r in rows] == list(expected)
    assert np.mean(expected == load_iris().target_names[load_iris().target]) > 0.9

    # columns by name: reordered, without the target
    shuffled = _write_csv(
        tmp_path / "new.csv", IRIS_COLUMNS[::-1], X[IRIS_COLUMNS[::-1]].values[:10]
    )
    status, out, err = run(capsys, "predict", iris_model, shuffled, "--proba")
    assert status == 0, err
    header, rows = _read_csv(out)
    assert header == ["species", "proba_setosa", "proba_versicolor", "proba_virginica"]
    assert [r[0] for r in rows] == list(expected[:10])
    P = np.array([[float(v) for v in r[1:]] for r in rows])
    np.testing.assert_allclose(P, bundle["model"].predict_proba(X[:10]), rtol=1e-8)


def test_regression(capsys, tmp_path):
    X, y = load_diabetes(return_X_y=True)
    names = [f"x{i}" for i in range(X.shape[1])]
    data = _write_csv(tmp_path / "diabetes.csv", [*names, "progression"],
                      [[*x, t] for x, t in zip(X[:200], y[:200])])
    model = str(tmp_path / "reg.skops")
    status, out, err = run(
        capsys, "fit", data, "--target", "progression", "--solver", "lbfgs",
        "--hidden", "8", "--alpha", "10", "--max-iter", "100", "--cv", "2", "--quiet",
        "--save", model,
    )
    assert status == 0, err
    assert "(regression, " in out and "2-fold cross-validated R^2" in out
    assert "output    1      identity" in out
    status, out, err = run(capsys, "predict", model, data)
    header, rows = _read_csv(out)
    predictions = np.array([float(r[0]) for r in rows])
    assert header == ["progression"] and predictions.shape == (200,)
    # the target was standardized for the network, predictions are back in its units
    assert abs(predictions.mean() - y[:200].mean()) < 0.2 * y[:200].std()


def _one_line_error(status, out, err):
    assert status == 1
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("sknn: error: ") and "Traceback" not in err
    return lines[0]


def test_data_errors_are_one_line(capsys, iris_csv, iris_model, tmp_path):
    missing = str(tmp_path / "missing.csv")
    msg = _one_line_error(*run(capsys, "fit", missing, "--target", "species"))
    assert "missing.csv: no such file" in msg

    msg = _one_line_error(*run(capsys, "fit", iris_csv, "--target", "kind"))
    assert "no column 'kind'" in msg and "species" in msg

    # text among numbers: not a column of categories
    colors = _write_csv(tmp_path / "colors.csv", ["a", "size", "y"],
                        [[1, 4, 0], [2, 5, 1], [3, "n.a.", 0], [4, 6, 1]])
    msg = _one_line_error(*run(capsys, "fit", colors, "--target", "y"))
    assert "column 'size' holds numbers and the text 'n.a.'" in msg
    assert "pass --categorical size" in msg

    gaps = _write_csv(tmp_path / "gaps.csv", ["a", "b", "y"], [[1, "", 0], [2, 3, 1]])
    msg = _one_line_error(*run(capsys, "fit", gaps, "--target", "y", "--no-impute"))
    assert "1 missing values (--no-impute): 'b' 1 (line 2)" in msg
    assert "fill them in or drop those rows" in msg

    no_target = _write_csv(tmp_path / "no_target.csv", ["a", "y"], [[1, 0], [2, ""]])
    msg = _one_line_error(*run(capsys, "fit", no_target, "--target", "y"))
    assert "line 3: the target 'y' is empty; drop the rows without a target" in msg

    msg = _one_line_error(*run(capsys, "fit", iris_csv, "--target", "species",
                               "--task", "regression"))
    assert "not numeric" in msg

    msg = _one_line_error(*run(capsys, "predict", missing, iris_csv))
    assert "no such file" in msg

    msg = _one_line_error(*run(capsys, "predict", iris_csv, iris_csv))
    assert "not a model saved with skops" in msg

    msg = _one_line_error(*run(capsys, "predict", iris_model, colors))
    assert "no column 'sepal_length'" in msg


class NotSknn:
    """A type skops does not trust."""


def test_predict_refuses_foreign_types(capsys, iris_csv, iris_model, tmp_path):
    import skops.io as sio

    bundle = sio.load(iris_model, trusted=sio.get_untrusted_types(file=iris_model))
    bundle["extra"] = NotSknn()
    path = tmp_path / "foreign.skops"
    sio.dump(bundle, path)
    msg = _one_line_error(*run(capsys, "predict", str(path), iris_csv))
    assert "refusing" in msg and "NotSknn" in msg


def test_predict_a_bare_estimator_saved_with_skops(capsys, iris_csv, tmp_path):
    import pandas as pd
    import skops.io as sio

    from sknn import MLPClassifier

    frame = pd.read_csv(iris_csv)
    clf = MLPClassifier((8,), solver="lbfgs", max_iter=50, random_state=0)
    clf.fit(frame[IRIS_COLUMNS], frame["species"])
    path = tmp_path / "bare.skops"
    sio.dump(clf, path)
    status, out, err = run(capsys, "predict", str(path), iris_csv)
    assert status == 0, err
    header, rows = _read_csv(out)
    assert header == ["prediction"]
    assert [r[0] for r in rows] == list(clf.predict(frame[IRIS_COLUMNS]))


@pytest.mark.parametrize("target", ["species", "sepal_length"])
def test_progress_bars_on_stderr(capsys, iris_csv, tmp_path, target):
    model = str(tmp_path / "model.skops")
    if target != "species":  # regression on the numeric columns
        iris_csv = _write_csv(tmp_path / "numeric.csv", IRIS_COLUMNS, load_iris().data)
    status, out, err = run(capsys, "fit", iris_csv, "--target", target, "--cv", "2",
                           "--max-iter", "20", "--progress", "--save", model)
    assert status == 0
    network = "MLPClassifier" if target == "species" else "MLPRegressor"
    assert f"{network} - fit" in err and "100%" in err
    assert f"{network} - fit" not in out  # stdout stays clean
    # two folds and the final fit, one warning line for the three max_iter stops
    assert err.count("Pipeline - fit ") == 3
    assert err.count("sknn: warning: Stochastic Optimizer: Maximum iterations (20)") == 1
    # the saved model carries no callbacks (predict would refuse foreign types)
    status, out, err = run(capsys, "predict", model, iris_csv)
    assert status == 0, err
    assert len(_read_csv(out)[1]) == 150


def test_missing_skops_names_the_persist_extra(capsys, iris_csv, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "skops", None)
    monkeypatch.setitem(sys.modules, "skops.io", None)
    msg = _one_line_error(*run(capsys, "fit", iris_csv, "--target", "species",
                               "--save", str(tmp_path / "m.skops")))
    assert "pip install 'sknn[persist]'" in msg
    assert not (tmp_path / "m.skops").exists()


def test_missing_rich_names_the_progress_extra(capsys, iris_csv, monkeypatch):
    monkeypatch.setitem(sys.modules, "rich", None)
    msg = _one_line_error(*run(capsys, "fit", iris_csv, "--target", "species", "--progress"))
    assert "rich" in msg and "pip install 'sknn[progress]'" in msg


def _script(*args):
    """Run the installed console script (or python -m sknn), as a user would."""
    script = Path(sys.executable).with_name("sknn")
    cmd = [str(script)] if script.exists() else [sys.executable, "-m", "sknn"]
    env = {**os.environ, "COLUMNS": "100"}
    return subprocess.run([*cmd, *args], capture_output=True, text=True, env=env, timeout=120)


def test_help_documents_every_option(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    top = capsys.readouterr().out
    for word in ("fit", "predict", "demo", "sknn predict iris.skops", "exit status 1"):
        assert word in top
    with pytest.raises(SystemExit):
        main(["predict", "--help"])
    predict = capsys.readouterr().out
    assert "--proba" in predict and "MODEL.skops" in predict
    with pytest.raises(SystemExit):
        main(["fit", "--help"])
    fit = capsys.readouterr().out
    for option in ("--target", "--task", "--hidden", "--activation", "--init", "--penalty",
                   "--alpha", "--l1-ratio", "--dropout", "--solver", "--max-iter", "--cv",
                   "--save", "--progress", "--quiet", "--no-scale", "he_normal", "gelu",
                   "--model", "--baseline", "tabular"):
        assert option in fit, option


def test_console_script_reports_errors_without_traceback(tmp_path):
    """The installed ``sknn`` script (``python -m sknn`` without it)."""
    result = _script("fit", str(tmp_path / "nope.csv"), "--target", "y")
    assert result.returncode == 1
    assert result.stderr.strip() == f"sknn: error: {tmp_path / 'nope.csv'}: no such file"
    assert result.stdout == ""


# ------------------------------------------------ arguments and data advice
@pytest.mark.parametrize(
    "argv, complaint",
    [
        (["--dropout", "1.5"], "argument --dropout: dropout rates must be in [0, 1), got '1.5'"),
        (["--dropout", "0.5,1"], "argument --dropout: dropout rates must be in [0, 1)"),
        (["--alpha", "-1"], "argument --alpha: expected a number >= 0, got '-1'"),
        (["--alpha", "nan"], "argument --alpha: expected a number >= 0, got 'nan'"),
        (["--l1-ratio", "2"], "argument --l1-ratio: expected a number in [0, 1], got '2'"),
        (["--learning-rate-init", "0"], "argument --learning-rate-init: expected a number > 0"),
        (["--max-iter", "0"], "argument --max-iter: expected an integer >= 1, got '0'"),
        (["--cv", "1"], "argument --cv: expected 0 (no cross-validation) or an integer >= 2"),
        (["--random-state", "-1"], "argument --random-state: expected an integer in [0, 2**32 - 1]"),
        (["--delimiter", ";;"], "argument --delimiter: expected one character"),
        (["--solver", "lbfgs", "--dropout", "0.5"], "dropout is not supported with solver='lbfgs'"),
        (["--hidden", "8", "--dropout", "0.1,0.2"], "dropout has 2 rates but the network has 1"),
        (["--model", "tabular", "--hidden", "8", "--no-scale"],
         "--hidden, --no-scale: --model tabular brings its own network"),
        (["--model", "tabular", "--chunksize", "100"], "--chunksize: --model tabular"),
    ],
)
def test_bad_argument_values_are_usage_errors(capsys, tmp_path, argv, complaint):
    # the data file does not exist: arguments are checked before any data is read
    missing = str(tmp_path / "missing.csv")
    with pytest.raises(SystemExit) as exit_:
        main(["fit", missing, "--target", "y", *argv])
    assert exit_.value.code == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("usage: sknn fit")
    assert err.strip().splitlines()[-1].startswith("sknn fit: error: ")
    assert complaint in err


def test_console_script_exits_2_for_an_out_of_range_value(iris_csv):
    result = _script("fit", iris_csv, "--target", "species", "--dropout", "1.5")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("usage: sknn fit")
    assert "sknn fit: error: argument --dropout: dropout rates must be in [0, 1)" in result.stderr


@pytest.mark.parametrize("delimiter, shown", [(";", "';'"), ("\t", "'\\\\t'")])
def test_another_delimiter_gets_a_hint(capsys, tmp_path, delimiter, shown):
    path = tmp_path / "other.csv"
    path.write_text(f"a{delimiter}b{delimiter}y\n1{delimiter}2{delimiter}0\n2{delimiter}3{delimiter}1\n")
    # a wrong --delimiter gets the hint; without one the delimiter is detected
    msg = _one_line_error(*run(capsys, "fit", str(path), "--target", "y", "--delimiter", ","))
    assert f"the header looks separated by {shown}: pass --delimiter {shown}" in msg
    status, out, err = run(capsys, "fit", str(path), "--target", "y", "--cv", "0", "--quiet",
                           "--max-iter", "2")
    assert status == 0, err
    assert "2 rows, 2 features" in out
    assert f"fields separated by {shown} (detected)" in out


def test_semicolon_file_with_decimal_commas(capsys, tmp_path):
    rows = "\n".join(f"{i},5;{i % 3};{i % 2}" for i in range(12))
    path = tmp_path / "european.csv"
    path.write_text("a;b;y\n" + rows + "\n")
    # the semicolons are detected; the decimal commas need --decimal
    msg = _one_line_error(*run(capsys, "fit", str(path), "--target", "y"))
    assert "column 'a' holds numbers with a decimal comma ('0,5', '1,5', '10,5' and 9 more)" in msg
    assert "pass --decimal ',' to read them as numbers" in msg
    status, out, err = run(capsys, "fit", str(path), "--target", "y", "--decimal", ",",
                           "--cv", "2", "--quiet", "--max-iter", "5")
    assert status == 0, err
    assert "12 rows, 2 features" in out and "numeric, standardized (2): a, b" in out
    path.write_text("a;b;y\n" + rows.replace(",", ".") + "\n")
    status, out, err = run(capsys, "fit", str(path), "--target", "y", "--delimiter", ";",
                           "--cv", "2", "--quiet", "--max-iter", "5")
    assert status == 0, err
    assert "12 rows, 2 features" in out


def test_cv_larger_than_the_data_is_reported_before_any_output(capsys, tmp_path):
    rows = [[i, i % 2] for i in range(6)]
    small = _write_csv(tmp_path / "small.csv", ["a", "y"], rows)
    msg = _one_line_error(*run(capsys, "fit", small, "--target", "y", "--cv", "10"))
    assert msg == (
        f"sknn: error: --cv 10 asks for more folds than {small} has rows (6); "
        "use --cv 6 or fewer, or --cv 0 to skip cross-validation"
    )
    # stratified folds: the largest class has 3 rows
    msg = _one_line_error(*run(capsys, "fit", small, "--target", "y", "--cv", "4"))
    assert "--cv 4: stratified folds need 4 rows of some class, but the largest class" in msg
    assert "has 3; use --cv 3 or fewer, or --cv 0" in msg
    # scikit-learn itself refuses these folds
    from sklearn.model_selection import StratifiedKFold

    with pytest.raises(ValueError):
        next(StratifiedKFold(4).split(np.zeros((6, 1)), np.arange(6) % 2))
    status, out, err = run(capsys, "fit", small, "--target", "y", "--cv", "3", "--quiet",
                           "--max-iter", "5")
    assert status == 0, err


def _stop_line(out):
    return next(li for li in out.splitlines() if li.startswith("training stopped: "))


@pytest.mark.parametrize(
    "argv, reason",
    [
        (["--max-iter", "3"], "reached --max-iter 3 before converging"),
        (["--solver", "lbfgs", "--max-iter", "5"], "reached --max-iter 5 before converging"),
        (["--learning-rate-init", "0.01", "--max-iter", "1000"],
         "converged: the training loss did not improve by more than tol=0.0001 for 10 "
         "consecutive epochs"),
        (["--solver", "lbfgs", "--max-iter", "500"], "converged (L-BFGS met its tolerance)"),
        (["--early-stopping"], "early stopping: the validation score did not improve by "
         "tol=0.0001 for 10 epochs; kept the best epoch's weights (validation score "),
    ],
)
def test_fit_says_why_training_stopped(capsys, iris_csv, tmp_path, argv, reason):
    model = str(tmp_path / "m.skops")
    status, out, err = run(capsys, "fit", iris_csv, "--target", "species", "--hidden", "16",
                           "--cv", "0", "--quiet", "--save", model, *argv)
    assert status == 0, err
    assert _stop_line(out).startswith(f"training stopped: {reason}")
    import skops.io as sio

    mlp = sio.load(model, trusted=sio.get_untrusted_types(file=model))["model"][-1]
    if "max-iter" in reason:
        assert mlp.n_iter_ == mlp.max_iter
    else:
        assert mlp.n_iter_ < mlp.max_iter
    if "early stopping" in reason:
        assert f"(validation score {mlp.best_validation_score_:.4f})" in out


# ------------------------------------------------------------------ predict
@pytest.mark.filterwarnings("ignore:X does not have valid feature names")
def test_predict_matches_columns_by_feature_name_for_models_saved_with_skops(
    capsys, tmp_path
):
    import pandas as pd
    import skops.io as sio
    from sklearn.linear_model import LogisticRegression

    from sknn import MLPClassifier

    rng = np.random.RandomState(0)
    frame = pd.DataFrame(rng.normal(size=(90, 3)), columns=["a", "b", "c"])
    # the class is decided by a column of its own: the wrong column gives
    # wrong classes
    y = np.digitize(frame["c"], [-0.4, 0.4])
    models = {
        "sknn": MLPClassifier((16,), solver="lbfgs", max_iter=500, random_state=0),
        "pipeline": make_pipeline(StandardScaler(), MLPClassifier((16,), solver="lbfgs",
                                                                  max_iter=500, random_state=0)),
        # any model of types skops trusts by default
        "scikit-learn": LogisticRegression(),
    }
    new = frame.iloc[[0, 1, 2, 3]]
    reordered = _write_csv(tmp_path / "new.csv", ["c", "a", "b"], new[["c", "a", "b"]].values)
    for name, model in models.items():
        model.fit(frame, y)
        expected = model.predict(new)
        assert len(set(expected)) > 1
        # what matching by position would predict
        assert list(model.predict(new[["c", "a", "b"]].values)) != list(expected)
        path = str(tmp_path / f"{name}.skops")
        sio.dump(model, path)
        status, out, err = run(capsys, "predict", path, reordered)
        assert status == 0, (name, err)
        assert [int(r[0]) for r in _read_csv(out)[1]] == list(expected), name


def test_predict_refuses_a_model_without_feature_names(capsys, tmp_path, iris_csv):
    import skops.io as sio

    from sknn import MLPClassifier

    X, y = load_iris(return_X_y=True)
    path = str(tmp_path / "array.skops")
    sio.dump(MLPClassifier((4,), solver="lbfgs", max_iter=20).fit(X, y), path)
    msg = _one_line_error(*run(capsys, "predict", path, iris_csv))
    assert "the model has no feature names" in msg and "nothing tells which column" in msg
    # a bundle naming the features in training order works
    bundle = {"model": sio.load(path, trusted=sio.get_untrusted_types(file=path)),
              "features": IRIS_COLUMNS}
    sio.dump(bundle, path)
    status, out, err = run(capsys, "predict", path, iris_csv)
    assert status == 0, err
    assert [r[0] for r in _read_csv(out)[1]] == [str(v) for v in bundle["model"].predict(X)]


def test_predict_keep_passes_columns_through(capsys, tmp_path, iris_model):
    X = load_iris().data[:5]
    ids = ["a-1", "b-2", "c-3", "d-4", "e-5"]
    data = _write_csv(tmp_path / "ids.csv", ["id", *IRIS_COLUMNS, "note"],
                      [[i, *x, "n"] for i, x in zip(ids, X)])
    status, out, err = run(capsys, "predict", iris_model, data, "--keep", "id",
                           "--keep", "note", "--proba")
    assert status == 0, err
    header, rows = _read_csv(out)
    assert header[:3] == ["id", "note", "species"] and header[3].startswith("proba_")
    assert [r[0] for r in rows] == ids and {r[1] for r in rows} == {"n"}
    status, plain, _ = run(capsys, "predict", iris_model, data)
    assert [r[2] for r in rows] == [r[0] for r in _read_csv(plain)[1]]

    msg = _one_line_error(*run(capsys, "predict", iris_model, data, "--keep", "ID"))
    assert "no column 'ID' (columns: id, sepal_length" in msg
    clash = _write_csv(tmp_path / "clash.csv", [*IRIS_COLUMNS, "species"],
                       [[*x, "?"] for x in X])
    msg = _one_line_error(*run(capsys, "predict", iris_model, clash, "--keep", "species"))
    assert "two columns named 'species'" in msg


def test_fit_takes_the_network_design_options(capsys, iris_csv):
    status, out, err = run(
        capsys, "fit", iris_csv, "--target", "species", "--hidden", "16,8",
        "--activation", "tanh,relu", "--normalization", "batch", "--solver", "adamw",
        "--weight-decay", "0.1", "--learning-rate", "cosine", "--warmup-iter", "3",
        "--max-norm", "3", "--max-grad-norm", "5", "--learning-rate-init", "0.01",
        "--cv", "0", "--quiet",
    )
    assert status == 0, err
    rows = out.split("Layer")[1].splitlines()
    assert rows[3].split()[3:5] == ["tanh", "BatchNormalization"]
    assert rows[4].split()[3:5] == ["relu", "BatchNormalization"]
    assert "Non-trainable: 48 (running statistics)" in out
    assert "solver='adamw'" in out and "learning_rate='cosine'" in out


def test_feature_alpha_reports_the_inputs_the_network_dropped(capsys, tmp_path):
    X, y = make_classification(400, 12, n_informative=3, n_redundant=0, shuffle=False,
                               random_state=0)
    names = [f"signal_{i}" for i in range(3)] + [f"noise_{i}" for i in range(9)]
    data = _write_csv(tmp_path / "noisy.csv", [*names, "label"], np.c_[X, y].tolist())
    status, out, err = run(capsys, "fit", data, "--target", "label", "--task",
                           "classification", "--hidden", "16", "--feature-alpha", "30", "--max-iter", "300", "--cv", "0",
                           "--quiet")
    assert status == 0, err
    assert "feature_alpha=30.0" in out
    line = next(row for row in out.splitlines() if row.startswith("inputs used:"))
    used, unused = line.removeprefix("inputs used: ").split("; unused: ")
    dropped = unused.split(", ")
    assert used == f"{12 - len(dropped)} of 12"
    assert len(dropped) >= 6 and all(name.startswith("noise_") for name in dropped)


def test_regression_losses_on_the_command_line(capsys, tmp_path):
    X, y = load_diabetes(return_X_y=True)
    data = _write_csv(tmp_path / "diabetes.csv", [*map(str, range(10)), "progression"],
                      np.c_[X, y].tolist())
    status, out, err = run(capsys, "fit", data, "--target", "progression", "--loss",
                           "quantile", "--quantile", "0.9", "--cv", "0", "--quiet")
    assert status == 0, err
    assert "MLPRegressor(loss='quantile', quantile=0.9, random_state=0)" in out


@pytest.mark.parametrize("argv, message", [
    (["--activation", "tanh,swish"], "unknown activation 'swish'"),
    (["--normalization", "group"], "invalid choice: 'group'"),
    (["--quantile", "1.5"], "expected a number in (0, 1)"),
    (["--max-norm", "0"], "expected a number > 0"),
    (["--loss", "huber", "--task", "classification"], "regression options"),
    (["--hidden", "4,4", "--activation", "tanh,relu,elu"],
     "3 names but the network has 2 hidden layers"),
    (["--solver", "lbfgs", "--max-norm", "2"], "max_norm is not supported with solver='lbfgs'"),
])
def test_network_design_options_are_usage_errors(capsys, iris_csv, argv, message):
    with pytest.raises(SystemExit) as exit_:
        main(["fit", iris_csv, "--target", "species", *argv])
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err


@pytest.fixture(scope="module")
def mixed_csv(tmp_path_factory):
    """Numbers with gaps, a text column and a text target."""
    rng = np.random.default_rng(0)
    n = 300
    x = rng.normal(size=n)
    city = rng.choice(["north", "south", "east"], size=n)
    label = np.where(x + (city == "north") > 0.5, "yes", "no")
    rows = [["" if i % 13 == 0 else f"{x[i]:.4f}", city[i], f"{rng.normal():.4f}", label[i]]
            for i in range(n)]
    return _write_csv(tmp_path_factory.mktemp("data") / "mixed.csv",
                      ["x", "city", "noise", "label"], rows)


def test_tabular_model_with_baseline_save_and_predict(capsys, mixed_csv, tmp_path):
    model = str(tmp_path / "tabular.skops")
    status, out, _ = run(capsys, "fit", mixed_csv, "--target", "label", "--model", "tabular",
                         "--max-iter", "30", "--cv", "3", "--baseline", "--quiet",
                         "--save", model)
    assert status == 0
    assert "model: TabularMLPClassifier(max_iter=30, random_state=0)" in out
    assert "numeric, robust-scaled and binned by the model (2): x, noise" in out
    assert "categorical, embedded by the model (1): city" in out
    assert "median and a missing indicator for numbers" in out
    cv = float(out.split("3-fold cross-validated accuracy: ")[1].split()[0])
    baseline = float(out.split("HistGradientBoosting on the same folds: ")[1].split()[0])
    assert cv > 0.8 and baseline > 0.8
    assert "EnsembleInput(4)" in out and "training stopped: " in out

    status, out, err = run(capsys, "predict", model, mixed_csv, "--proba")
    assert status == 0
    header, rows = _read_csv(out)
    assert header == ["label", "proba_no", "proba_yes"] and len(rows) == 300
    predicted = np.array([r[0] for r in rows])
    actual = pd.read_csv(mixed_csv)["label"].to_numpy()
    assert (predicted == actual).mean() > 0.8
    assert "missing values imputed as in training: x 24" in err


def test_tabular_classifier_reports_its_validation_loss(capsys, mixed_csv, tmp_path):
    model = str(tmp_path / "tabular.skops")
    status, out, _ = run(capsys, "fit", mixed_csv, "--target", "label", "--model", "tabular",
                         "--cv", "0", "--quiet", "--save", model)
    assert status == 0
    import skops.io as sio

    clf = sio.load(model, trusted=sio.get_untrusted_types(file=model))["model"]
    assert clf.n_iter_ < clf.max_iter
    assert (f"training stopped: early stopping: the validation loss did not improve by "
            f"tol=0.0001 for 16 epochs; kept the best epoch's weights (validation loss "
            f"{-clf.best_validation_score_:.4f})") in out


def test_tabular_model_regression(capsys, tmp_path):
    data = load_diabetes()
    rows = [[*x, t] for x, t in zip(data.data, data.target)]
    path = _write_csv(tmp_path / "diabetes.csv", [*data.feature_names, "progression"], rows)
    status, out, _ = run(capsys, "fit", path, "--target", "progression", "--model", "tabular",
                         "--max-iter", "20", "--cv", "2", "--quiet")
    assert status == 0
    assert "model: TabularMLPRegressor(max_iter=20, random_state=0)" in out
    assert float(out.split("2-fold cross-validated R^2: ")[1].split()[0]) > 0.2


@pytest.fixture(scope="module")
def mixed_parquet(mixed_csv, tmp_path_factory):
    """The mixed table as Parquet: numbers as doubles with gaps, the city as a
    dictionary-encoded (categorical) column, a boolean column added."""
    frame = pd.read_csv(mixed_csv)
    frame["city"] = frame["city"].astype("category")
    frame["flag"] = frame["noise"] > 0
    path = tmp_path_factory.mktemp("data") / "mixed.parquet"
    frame.to_parquet(path)
    return str(path)


def test_parquet_files_fit_and_predict_as_csv_files_do(capsys, mixed_csv, mixed_parquet,
                                                        tmp_path):
    model = str(tmp_path / "from_parquet.skops")
    status, out, _ = run(capsys, "fit", mixed_parquet, "--target", "label", "--cv", "0",
                         "--model", "tabular", "--max-iter", "20", "--quiet", "--save", model)
    assert status == 0
    assert "categorical, embedded by the model (2): city (3 categories), flag (2)" in out
    status, from_parquet, _ = run(capsys, "predict", model, mixed_parquet)
    assert status == 0
    # the same model on the CSV file's columns (flag added as the text CSV gives)
    frame = pd.read_csv(mixed_csv).assign(flag=lambda f: (f["noise"] > 0).astype(str))
    frame.to_csv(tmp_path / "mixed_flag.csv", index=False)
    status, from_csv, _ = run(capsys, "predict", model, str(tmp_path / "mixed_flag.csv"))
    assert status == 0 and from_parquet == from_csv

    # the default network, streamed in chunks from the Parquet file
    status, out, _ = run(capsys, "fit", mixed_parquet, "--target", "label", "--chunksize", "64",
                         "--max-iter", "3", "--quiet")
    assert status == 0 and "epoch 3" in out


def test_parquet_file_errors(capsys, mixed_parquet, tmp_path):
    fake = tmp_path / "fake.parquet"
    fake.write_text("a,b\n1,2\n")
    status, _, err = run(capsys, "fit", str(fake), "--target", "b")
    assert status == 1 and "not a Parquet file" in err
    dated = tmp_path / "dated.parquet"
    pd.DataFrame({"when": pd.date_range("2020-01-01", periods=20), "y": range(20)}).to_parquet(
        dated)
    status, _, err = run(capsys, "fit", str(dated), "--target", "y", "--cv", "0")
    assert status == 1 and "holds dates or times" in err
    status, _, err = run(capsys, "fit", mixed_parquet, "--target", "label", "--delimiter", ";")
    assert status != 0 and "--delimiter: CSV options" in err
