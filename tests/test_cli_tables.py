"""The command line on real tables: text columns, gaps, IDs, the CSV dialects
of spreadsheets, and files read in chunks.

The expected values come from the generated tables themselves (pandas counts
their gaps and categories, computes their medians and means) or from
scikit-learn and the network refitted in Python on the same data, never from
sknn's report.
"""

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from sklearn.base import clone
from tables import CREDIT_COLUMNS, credit_frame, mixed_frame, write_like_r

from sknn.cli import main

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

ROOT = Path(__file__).resolve().parents[1]
MIXED_TEXT = ["color", "city"]  # the text columns of mixed_frame besides id and label


def run(capsys, *argv):
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def one_line_error(status, out, err):
    assert status == 1, (out, err)
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("sknn: error: ")
    return lines[0]


def script(*args, cwd=None):
    """``python -m sknn`` in a new process importing this tree's sknn."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    )}
    return subprocess.run([sys.executable, "-m", "sknn", *map(str, args)], capture_output=True,
                          text=True, env=env, cwd=cwd, timeout=300)


def load(path):
    return sio.load(path, trusted=sio.get_untrusted_types(file=path))


def read_output(text):
    rows = list(csv.reader(io.StringIO(text)))
    return rows[0], rows[1:]


def report_line(out, start):
    return next(line for line in out.splitlines() if line.startswith(start))


def fit_mixed(capsys, tmp_path, *argv, frame=None):
    """Write ``mixed_frame()`` and save a model of it (ID dropped): (frame, csv, model)."""
    frame = mixed_frame() if frame is None else frame
    tmp_path.mkdir(exist_ok=True)
    path = tmp_path / "mixed.csv"
    frame.to_csv(path, index=False)
    model = tmp_path / "m.skops"
    status, out, err = run(capsys, "fit", path, "--target", "label", "--drop", "id",
                           "--quiet", "--save", model, *argv)
    assert status == 0, err
    return frame, path, model


# --------------------------------------------------------------- the credit table
def test_credit_table_cross_validates_and_saves(capsys, tmp_path):
    """``sknn fit credit.csv --target Status`` on a table like R's credit_data,
    written as R writes it: quoted names and texts, NA for the gaps."""
    frame = credit_frame()
    path = write_like_r(frame, tmp_path / "credit.csv")
    model = tmp_path / "credit.skops"
    status, out, err = run(capsys, "fit", path, "--target", "Status", "--save", model)
    assert status == 0, err
    assert out.startswith(f"{path}: 4454 rows, 13 features, target 'Status' "
                          "(classification, 2 distinct classes)")
    text = [c for c in CREDIT_COLUMNS[1:] if not pd.api.types.is_numeric_dtype(frame[c])]
    numbers = [c for c in CREDIT_COLUMNS[1:] if c not in text]
    assert text == ["Home", "Marital", "Records", "Job"]
    assert report_line(out, "numeric, standardized") == (
        f"numeric, standardized (9): {', '.join(numbers)}"
    )
    n_categories = [frame[c].nunique() for c in text]  # pandas' count, gaps left out
    assert report_line(out, "categorical, one-hot") == (
        f"categorical, one-hot (4): Home ({n_categories[0]} categories), "
        f"Marital ({n_categories[1]}), Records ({n_categories[2]}), Job ({n_categories[3]})"
    )
    gaps = frame.isna().sum()
    gaps = gaps[gaps > 0]
    assert report_line(out, "missing values imputed") == (
        "missing values imputed (median for numbers, most frequent for text): "
        f"{gaps.sum()} in {len(gaps)} columns: "
        + ", ".join(f"{c} {n}" for c, n in gaps.items())
    )
    # five folds that learned something: above always answering the majority
    scores = report_line(out, "5-fold cross-validated accuracy")
    majority = frame["Status"].value_counts(normalize=True).max()
    assert float(scores.split(":")[1].split()[0]) > majority + 0.05
    # the layer table counts one input per number and per category
    assert f"input     {9 + sum(n_categories)}" in out

    bundle = load(model)
    assert bundle["features"] == CREDIT_COLUMNS[1:] and bundle["target"] == "Status"
    # Python users: the CSV as pandas reads it, the text columns as text
    data = pd.read_csv(path, dtype=dict.fromkeys(text, str))
    expected = bundle["model"].predict(data[CREDIT_COLUMNS[1:]])
    assert np.mean(expected == frame["Status"]) > majority + 0.05
    status, out, err = run(capsys, "predict", model, path)
    assert status == 0, err
    header, rows = read_output(out)
    assert header == ["Status"] and [r[0] for r in rows] == list(expected)


def test_the_saved_preprocessing_is_a_column_transformer(tmp_path, capsys):
    """Medians and most frequent texts of the training rows, scikit-learn's
    standardization and one-hot encoding, in one ColumnTransformer."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    frame, path, model = fit_mixed(capsys, tmp_path, "--cv", "0", "--max-iter", "5")
    pipeline = load(model)["model"]
    pre = pipeline[0]
    assert isinstance(pre, ColumnTransformer)
    numeric = pre.named_transformers_["numeric"]
    categorical = pre.named_transformers_["categorical"]
    assert [type(s) for _, s in numeric.steps] == [SimpleImputer, StandardScaler]
    assert [type(s) for _, s in categorical.steps] == [SimpleImputer, OneHotEncoder]
    np.testing.assert_array_equal(numeric["impute"].statistics_,
                                  frame[["size", "weight"]].median())
    assert list(categorical["impute"].statistics_) == [
        frame[c].mode()[0] for c in MIXED_TEXT
    ]
    assert [list(c) for c in categorical["onehot"].categories_] == [
        sorted(frame[c].dropna().unique()) for c in MIXED_TEXT
    ]
    assert categorical["onehot"].handle_unknown == "ignore"
    # the network's input is the ColumnTransformer's output
    assert pipeline[-1].n_features_in_ == 2 + sum(frame[c].nunique() for c in MIXED_TEXT)


# ------------------------------------------------------------ the console script
def test_console_script_on_a_spreadsheet_export(tmp_path):
    """A file as a spreadsheet with European settings saves it: UTF-8 with a
    byte-order mark, semicolons, decimal commas, a text holding ';' (quoted),
    gaps and an ID column; then new rows with an unseen category and a gap."""
    frame = mixed_frame()
    frame["color"] = frame["color"].str.replace(",", ";")  # 'blue; dark'
    path = tmp_path / "export.csv"
    frame.to_csv(path, sep=";", decimal=",", index=False, encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbfid;size;")
    assert b'"blue; dark"' in path.read_bytes()
    model = tmp_path / "m.skops"
    done = script("fit", path, "--target", "label", "--drop", "id", "--decimal", ",",
                  "--cv", "3", "--save", model)
    assert done.returncode == 0, done.stderr
    assert "fields separated by ';' (detected)" in done.stdout
    assert "dropped (1): id" in done.stdout
    assert "numeric, standardized (2): size, weight" in done.stdout
    assert "categorical, one-hot (2): color (3 categories), city (3)" in done.stdout
    accuracy = float(report_line(done.stdout, "3-fold").split(":")[1].split()[0])
    assert accuracy > 0.8

    new = frame.iloc[:4].copy()
    new.loc[new.index[0], "color"] = "purple"
    new.loc[new.index[1], "city"] = "Nice"
    new.loc[new.index[2], "size"] = np.nan
    new_path = tmp_path / "new.csv"
    new.drop(columns="label").to_csv(new_path, sep=";", decimal=",", index=False,
                                     encoding="utf-8-sig")
    done = script("predict", model, new_path, "--decimal", ",", "--keep", "id", "--proba")
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == [
        "sknn: warning: column 'color' has texts not seen in training, encoded as no "
        "category: 'purple' (1 row)",
        "sknn: warning: column 'city' has texts not seen in training, encoded as no "
        "category: 'Nice' (1 row)",
        "sknn: warning: 1 missing values imputed as in training: size 1",
    ]
    header, rows = read_output(done.stdout)
    assert header == ["id", "label", "proba_no", "proba_yes"]
    assert [r[0] for r in rows] == list(new["id"])
    # what Python users get from the saved model on the same rows
    pipeline = load(model)["model"]
    features = ["size", "color", "city", "weight"]
    proba = pipeline.predict_proba(new[features])
    np.testing.assert_allclose([[float(v) for v in r[2:]] for r in rows], proba, rtol=1e-9)
    assert [r[1] for r in rows] == list(pipeline.predict(new[features]))


def test_console_script_reports_a_bad_row_in_one_line(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("a,b,y\n1,2,0\n3,Smith, John,1\n")
    done = script("fit", path, "--target", "y")
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr == (
        f"sknn: error: {path}, line 3: 4 fields, but the header has 3; quote fields "
        "that contain ','\n"
    )


# ------------------------------------------------------------ unseen categories
def test_unseen_categories_encode_as_none_of_the_known(capsys, tmp_path):
    frame, path, model = fit_mixed(capsys, tmp_path, "--cv", "0", "--max-iter", "20")
    new = frame.iloc[:3].drop(columns="label")
    new["color"] = ["purple", "purple", "red"]
    new_path = tmp_path / "new.csv"
    new.to_csv(new_path, index=False)
    status, out, err = run(capsys, "predict", model, new_path, "--proba")
    assert status == 0, err
    assert err == ("sknn: warning: column 'color' has texts not seen in training, encoded "
                   "as no category: 'purple' (2 rows)\n")
    pipeline = load(model)["model"]
    encoded = pipeline[0].transform(new)
    onehot = pipeline[0].named_transformers_["categorical"]["onehot"]
    color = slice(2, 2 + len(onehot.categories_[0]))  # after the two numbers
    np.testing.assert_array_equal(encoded[:2, color], 0)  # no category for 'purple'
    assert encoded[2, color].sum() == 1
    proba = pipeline[-1].predict_proba(encoded)
    np.testing.assert_allclose([[float(v) for v in r[1:]] for r in read_output(out)[1]],
                               proba, rtol=1e-9)


# ------------------------------------------------------------------ missing values
def test_no_impute_names_the_rows_and_columns(capsys, tmp_path):
    frame = mixed_frame()
    path = tmp_path / "mixed.csv"
    frame.to_csv(path, index=False)
    msg = one_line_error(*run(capsys, "fit", path, "--target", "label", "--drop", "id",
                              "--no-impute"))

    def where(column):
        rows = np.flatnonzero(frame[column].isna())
        lines = ", ".join(str(r + 2) for r in rows[:3])  # line 1 is the header
        return f"{column!r} {len(rows)} (lines {lines} and {len(rows) - 3} more)"

    assert msg == (
        f"sknn: error: {path}: 11 missing values (--no-impute): {where('size')}; "
        f"{where('color')}; fill them in or drop those rows, or leave out --no-impute to "
        "impute them"
    )
    # without gaps, --no-impute fits a model without imputers, which refuses them later
    _, _, model = fit_mixed(capsys, tmp_path / "complete", "--no-impute", "--cv", "0",
                            "--max-iter", "5", frame=frame.dropna())
    msg = one_line_error(*run(capsys, "predict", model, path))
    assert "missing values the model does not impute: 'size' (lines" in msg
    assert "'color' (lines" in msg and "fill them in or drop those rows" in msg


def test_gaps_at_predict_time_are_imputed_with_the_training_statistics(capsys, tmp_path):
    frame, path, model = fit_mixed(capsys, tmp_path, "--cv", "0", "--max-iter", "20")
    row = frame.iloc[[5]].drop(columns="label")
    gap = row.copy()
    gap["size"] = np.nan
    filled = row.copy()
    filled["size"] = frame["size"].median()  # the training median
    for name, table in (("gap", gap), ("filled", filled)):
        table.to_csv(tmp_path / f"{name}.csv", index=False)
    status, with_gap, err = run(capsys, "predict", model, tmp_path / "gap.csv", "--proba")
    assert status == 0 and err == "sknn: warning: 1 missing values imputed as in training: size 1\n"
    status, with_median, err = run(capsys, "predict", model, tmp_path / "filled.csv", "--proba")
    assert status == 0 and err == ""
    assert with_gap == with_median


# ------------------------------------------------------------------ column options
def test_categorical_takes_codes_as_text(capsys, tmp_path):
    rng = np.random.default_rng(1)
    codes = rng.choice(["01000", "02000", "75001"], 200)
    y = (codes == "75001").astype(int)
    path = tmp_path / "codes.csv"
    path.write_text("zip,x,y\n" + "".join(f"{c},{v:.3f},{t}\n" for c, v, t in
                                         zip(codes, rng.normal(size=200), y)))
    model = tmp_path / "m.skops"
    status, out, err = run(capsys, "fit", path, "--target", "y", "--categorical", "zip",
                           "--cv", "0", "--max-iter", "50", "--quiet", "--save", model)
    assert status == 0, err
    assert "numeric, standardized (1): x" in out
    assert "categorical, one-hot (1): zip (3 categories)" in out
    onehot = load(model)["model"][0].named_transformers_["categorical"]["onehot"]
    assert list(onehot.categories_[0]) == ["01000", "02000", "75001"]  # leading zeros kept
    # predict reads the column as text too
    status, out, err = run(capsys, "predict", model, path)
    assert status == 0 and err == ""
    assert np.mean(np.array([int(r[0]) for r in read_output(out)[1]]) == y) > 0.9
    # without --categorical the codes are numbers
    status, out, err = run(capsys, "fit", path, "--target", "y", "--cv", "0", "--max-iter",
                           "5", "--quiet")
    assert "numeric, standardized (2): zip, x" in out


def test_an_id_column_is_refused_until_dropped(capsys, tmp_path):
    frame = mixed_frame()
    path = tmp_path / "mixed.csv"
    frame.to_csv(path, index=False)
    msg = one_line_error(*run(capsys, "fit", path, "--target", "label"))
    assert msg == (
        f"sknn: error: {path}: column 'id' has 300 distinct texts in 300 rows, like an ID "
        "or free text, which one-hot encoding cannot learn from; drop it with --drop id, "
        "or pass --categorical id to encode it anyway"
    )
    _, _, model = fit_mixed(capsys, tmp_path, "--cv", "0", "--max-iter", "5", frame=frame)
    assert load(model)["features"] == ["size", "color", "city", "weight"]
    # the dropped column is not needed to predict
    frame.drop(columns=["id", "label"]).to_csv(tmp_path / "new.csv", index=False)
    assert run(capsys, "predict", model, tmp_path / "new.csv")[0] == 0


@pytest.mark.parametrize("cells, message", [
    (["1,5", "2,25", "3,0", "4,5"] * 3,
     "column 'a' holds numbers with a decimal comma ('1,5', '2,25', '3,0' and 1 more); "
     "pass --decimal ',' to read them as numbers, or --categorical a to take them as "
     "categories"),
    (["1,5", "2", "3,25", "4", "5,5"] * 3,  # whole numbers need no decimal mark
     "column 'a' holds numbers with a decimal comma ('1,5', '3,25', '5,5'); "
     "pass --decimal ',' to read them as numbers, or --categorical a to take them as "
     "categories"),
    (["1.5", "2", "?", "4", "n.a.", "6", "7"] * 2,
     "column 'a' holds numbers and the text '?', 'n.a.'; leave missing values empty (or NA), "
     "or pass --categorical a to take every value as a category"),
])
def test_numbers_read_as_text_are_refused_with_the_fix(capsys, tmp_path, cells, message):
    path = tmp_path / "t.csv"
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["a", "y"])
        writer.writerows([c, i % 2] for i, c in enumerate(cells))
    msg = one_line_error(*run(capsys, "fit", path, "--target", "y"))
    assert msg == f"sknn: error: {path}: {message}"
    # the fix the message gives works
    fix = ["--decimal", ","] if "decimal" in message else ["--categorical", "a"]
    status, out, err = run(capsys, "fit", path, "--target", "y", *fix, "--cv", "0",
                           "--max-iter", "2", "--quiet")
    assert status == 0, err


@pytest.mark.parametrize("argv, complaint", [
    (["--drop", "y"], "--drop y: that is the target (--target)"),
    (["--categorical", "a,y"], "--categorical y: that is the target (--target)"),
    (["--drop", "a", "--categorical", "a"], "--drop and --categorical both name a"),
    (["--chunksize", "10", "--cv", "3"], "--cv: cross-validation needs the whole file"),
    (["--chunksize", "10", "--early-stopping"], "--early-stopping: --chunksize trains with"),
    (["--chunksize", "10", "--solver", "lbfgs"], "which L-BFGS does not have"),
    (["--chunksize", "0"], "argument --chunksize: expected an integer >= 1"),
    (["--delimiter", ",", "--decimal", ","], "the same character cannot separate fields"),
    (["--decimal", ";"], "argument --decimal: invalid choice: ';' (choose from '.', ',')"),
    (["--encoding", "klingon"], "argument --encoding: unknown encoding 'klingon'"),
    (["--drop", "a,,b"], "argument --drop: expected column names like id,name"),
])
def test_option_combinations_are_usage_errors(capsys, tmp_path, argv, complaint):
    with pytest.raises(SystemExit) as exit_:
        main(["fit", str(tmp_path / "missing.csv"), "--target", "y", *argv])
    assert exit_.value.code == 2
    out, err = capsys.readouterr()
    assert out == "" and complaint in err.strip().splitlines()[-1]


# -------------------------------------------------------------------- CSV dialects
def _fit_ok(capsys, path, *argv):
    status, out, err = run(capsys, "fit", path, "--target", "y", "--cv", "0", "--max-iter",
                           "2", "--quiet", *argv)
    assert status == 0, err
    return out


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_the_delimiter_is_detected(capsys, tmp_path, delimiter):
    path = tmp_path / "d.csv"
    frame = pd.DataFrame({"a": [1.5, 2.5, 3.5, 4.5], "note": ["x, y", "z; w", "x, y", "v"],
                          "y": [0, 1, 0, 1]})
    frame.to_csv(path, sep=delimiter, index=False)
    out = _fit_ok(capsys, path)
    assert "4 rows, 2 features" in out
    assert "numeric, standardized (1): a" in out
    assert "categorical, one-hot (1): note (3 categories)" in out
    shown = "\\t" if delimiter == "\t" else delimiter
    assert (f"fields separated by {shown!r} (detected)" in out) == (delimiter != ",")


def test_byte_order_mark_quotes_and_spaces(capsys, tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes('\ufeff"size", "color" ,y\n1.5, "red, dark" ,0\n2, blue,1\n'
                     '3,"say ""hi""",0\n4,blue,1\n'.encode())
    model = tmp_path / "m.skops"
    out = _fit_ok(capsys, path, "--save", model)
    assert "numeric, standardized (1): size" in out  # not '\ufeffsize'
    onehot = load(model)["model"][0].named_transformers_["categorical"]["onehot"]
    assert list(onehot.categories_[0]) == ["blue", "red, dark", 'say "hi"']


def test_other_encodings(capsys, tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("ville,x,y\nSète,1,0\nNîmes,2,1\nSète,3,0\nNîmes,4,1\n".encode("latin-1"))
    msg = one_line_error(*run(capsys, "fit", path, "--target", "y"))
    assert msg == (
        f"sknn: error: {path}: not UTF-8 text (byte 0xe8 cannot be decoded); pass the "
        "file's encoding, e.g. --encoding latin-1 (or cp1252 for files from Excel on "
        "Windows), or save it as UTF-8"
    )
    model = tmp_path / "m.skops"
    _fit_ok(capsys, path, "--encoding", "latin-1", "--save", model)
    onehot = load(model)["model"][0].named_transformers_["categorical"]["onehot"]
    assert list(onehot.categories_[0]) == ["Nîmes", "Sète"]


@pytest.mark.parametrize("text, message", [
    ("a,b,y\n1,2,0\n1,2,3,0\n", "line 3: 4 fields, but the header has 3; quote fields that "
     "contain ','"),
    ("a,b,y\n1,2,3,0\n1,2,0\n", "line 2: more fields than the header has; quote fields "
     "that contain ',', or add the missing column names"),
    ('a,b,y\n1,"2,0\n1,2,0\n', "a quoted field starting in data row 1 is never closed; "
     "close it with '\"', and double any '\"' inside a quoted field"),
    ("", "the file is empty"),
    ("\n\n", "the file is empty"),
    ("a,b,y\n", "a header but no data rows"),
    ("a,a,y\n1,2,0\n", "the header names the column 'a' twice; rename one"),
    ("a,b,y\n1,inf,0\n2,3,1\n", "line 2: column 'b' has the value inf; values must be "
     "finite numbers"),
    ("a,b,y\n1,,0\n2,,1\n", "column 'b' is empty in all 2 rows; drop it with --drop b"),
    ("a,y\n1,0\n2,\n", "line 3: the target 'y' is empty; drop the rows without a target"),
])
def test_what_cannot_be_read_is_one_line(capsys, tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    msg = one_line_error(*run(capsys, "fit", path, "--target", "y"))
    assert msg.startswith(f"sknn: error: {path}") and msg.endswith(message)


def test_missing_pandas_names_the_csv_extra(capsys, tmp_path, monkeypatch):
    path = tmp_path / "t.csv"
    path.write_text("a,y\n1,0\n2,1\n")
    monkeypatch.setitem(sys.modules, "pandas", None)
    msg = one_line_error(*run(capsys, "fit", path, "--target", "y"))
    assert msg == ("sknn: error: reading CSV files requires pandas, which is not installed. "
                   "Install sknn's 'csv' extra: pip install 'sknn[csv]'")


def test_help_documents_the_table_options(capsys):
    with pytest.raises(SystemExit):
        main(["fit", "--help"])
    fit = capsys.readouterr().out
    for option in ("--categorical", "--drop", "--no-impute", "--chunksize", "--decimal",
                   "--encoding", "--delimiter", "ColumnTransformer", "one-hot", "median",
                   "partial_fit"):
        assert option in fit, option
    with pytest.raises(SystemExit):
        main(["predict", "--help"])
    predict = capsys.readouterr().out
    for option in ("--chunksize", "--decimal", "not seen", "imputed", "numpy.dtype"):
        assert option in predict, option


# ------------------------------------------------------------------------ streaming
def _python_partial_fit(pipeline, path, features, target, chunksize, epochs, y_scaler=None,
                        classes=None, **read):
    """The network a Python user trains: partial_fit per chunk on the saved
    preprocessing, from a fresh copy of the saved network's parameters."""
    pre, mlp = pipeline[0], clone(pipeline[-1])
    losses = []
    for _ in range(epochs):
        total = n = 0
        for chunk in pd.read_csv(path, chunksize=chunksize, **read):
            y = chunk[target].to_numpy()
            if y_scaler is not None:
                y = y_scaler.transform(y.reshape(-1, 1)).ravel()
            kwargs = {} if classes is None else {"classes": classes}
            mlp.partial_fit(pre.transform(chunk[features]), y, **kwargs)
            total, n = total + mlp.loss_ * len(y), n + len(y)
        losses.append(total / n)
    return mlp, losses


def _same_network(a, b):
    return all(np.array_equal(x, y) for x, y in zip(a.coefs_ + a.intercepts_,
                                                    b.coefs_ + b.intercepts_))


def test_streamed_fit_equals_partial_fit_on_the_same_chunks(capsys, tmp_path):
    frame = mixed_frame(n=330)
    path = tmp_path / "mixed.csv"
    frame.to_csv(path, index=False)
    model = tmp_path / "m.skops"
    status, out, err = run(capsys, "fit", path, "--target", "label", "--drop", "id",
                           "--chunksize", "50", "--max-iter", "3", "--hidden", "16",
                           "--save", model, "--quiet")
    assert status == 0, err
    assert "read in 7 chunks of up to 50 rows" in out
    assert "missing values imputed (mean for numbers, most frequent for text): 11 in 2 " \
           "columns: size 7, color 4" in out
    assert "3 epochs of 7 chunks" in out
    assert "training stopped: reached --max-iter 3 before converging" in out
    bundle = load(model)
    pipeline, features = bundle["model"], bundle["features"]
    assert features == ["size", "color", "city", "weight"]

    # the first pass's statistics are those of the whole file
    pre = pipeline[0]
    numbers = frame[["size", "weight"]]
    scaler = pre.named_transformers_["numeric"]["scale"].estimator
    np.testing.assert_allclose(scaler.mean_, numbers.mean(), rtol=1e-12)
    np.testing.assert_allclose(scaler.var_, numbers.var(ddof=0), rtol=1e-10)
    categorical = pre.named_transformers_["categorical"]
    assert list(categorical["impute"].estimator.statistics_) == [
        frame[c].mode()[0] for c in MIXED_TEXT
    ]
    assert [list(c) for c in categorical["onehot"].categories_] == [
        sorted(frame[c].dropna().unique()) for c in MIXED_TEXT
    ]
    # a missing number becomes its column's mean: 0 once standardized
    row = frame.iloc[[0]][features].assign(size=np.nan)
    assert pre.transform(row)[0, 0] == 0

    mlp, losses = _python_partial_fit(
        pipeline, path, features, "label", 50, 3, classes=np.array(["no", "yes"]),
        dtype=dict.fromkeys(MIXED_TEXT, str),
    )
    assert _same_network(mlp, pipeline[-1])
    assert [report_line(out, f"epoch {e}:").split()[5] for e in (1, 2, 3)] == [
        f"{loss:.4f}" for loss in losses
    ]


def test_streamed_regression_scales_the_target_over_every_chunk(capsys, tmp_path):
    frame = mixed_frame(n=250).drop(columns="label")
    frame["price"] = 100 + 30 * frame["size"].fillna(0) + 10 * frame["weight"]
    path = tmp_path / "prices.csv"
    frame.to_csv(path, index=False)
    model = tmp_path / "m.skops"
    status, out, err = run(capsys, "fit", path, "--target", "price", "--drop", "id",
                           "--chunksize", "60", "--max-iter", "2", "--save", model, "--quiet")
    assert status == 0, err
    assert "(regression, 250 distinct values)" in out
    wrapper = load(model)["model"]
    np.testing.assert_allclose(wrapper.transformer_.mean_, [frame["price"].mean()], rtol=1e-12)
    np.testing.assert_allclose(wrapper.transformer_.scale_, [frame["price"].std(ddof=0)],
                               rtol=1e-10)
    pipeline = wrapper.regressor_.estimator
    features = ["size", "color", "city", "weight"]
    mlp, _ = _python_partial_fit(pipeline, path, features, "price", 60, 2,
                                 y_scaler=wrapper.transformer_,
                                 dtype=dict.fromkeys(MIXED_TEXT, str))
    assert _same_network(mlp, pipeline[-1])
    # predictions come back in the target's units
    status, out, err = run(capsys, "predict", model, path)
    predicted = np.array([float(r[0]) for r in read_output(out)[1]])
    np.testing.assert_allclose(
        predicted,
        wrapper.transformer_.inverse_transform(
            mlp.predict(pipeline[0].transform(frame[features])).reshape(-1, 1)
        ).ravel(),
        rtol=1e-9,
    )


def test_streamed_and_in_memory_preprocessing_agree_without_gaps(capsys, tmp_path):
    frame = mixed_frame().dropna()
    path = tmp_path / "complete.csv"
    frame.to_csv(path, index=False)
    encoded = {}
    for mode, argv in (("memory", ["--cv", "0"]), ("chunks", ["--chunksize", "40"])):
        model = tmp_path / f"{mode}.skops"
        status, out, err = run(capsys, "fit", path, "--target", "label", "--drop", "id",
                               "--max-iter", "1", "--quiet", "--save", model, *argv)
        assert status == 0, err
        encoded[mode] = load(model)["model"][0].transform(frame)
    np.testing.assert_allclose(encoded["chunks"], encoded["memory"], rtol=1e-12, atol=1e-12)


def test_a_column_typed_differently_across_chunks_is_read_again_as_text(capsys, tmp_path):
    """pandas types each chunk on its own: a grade that is a number in the
    first chunks and a letter later is one categorical column of texts."""
    grades = ["1", "2"] * 30 + ["A", "B", "C", "D"] * 15
    path = tmp_path / "grades.csv"
    path.write_text("grade,x,y\n" + "".join(f"{g},{i % 7},{i % 2}\n"
                                            for i, g in enumerate(grades)))
    model = tmp_path / "m.skops"
    status, out, err = run(capsys, "fit", path, "--target", "y", "--chunksize", "20",
                           "--max-iter", "1", "--quiet", "--save", model)
    assert status == 0, err
    assert "categorical, one-hot (1): grade (6 categories)" in out
    onehot = load(model)["model"][0].named_transformers_["categorical"]["onehot"]
    assert list(onehot.categories_[0]) == ["1", "2", "A", "B", "C", "D"]


def test_streaming_shows_progress_per_chunk_and_stops_when_converged(capsys, tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 2))
    path = tmp_path / "easy.csv"
    pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "y": (X[:, 0] > 0).astype(int)}).to_csv(
        path, index=False)
    model = tmp_path / "m.skops"
    status, out, err = run(capsys, "fit", path, "--target", "y", "--chunksize", "50",
                           "--max-iter", "1000", "--learning-rate-init", "0.05",
                           "--progress", "--save", model)
    assert status == 0, err
    assert err.splitlines()[:3] == ["sknn: first pass, chunk 1: 50 rows",
                                    "sknn: first pass, chunk 2: 100 rows",
                                    "sknn: first pass, chunk 3: 120 rows"]
    assert "sknn: epoch 1/1000, chunk 3/3: loss " in err
    mlp = load(model)["model"][-1]
    epochs = int(report_line(out, "fitted on all 120 rows").split(", ")[1].split()[0])
    assert 10 < epochs < 1000 and mlp.n_iter_ == 1  # partial_fit runs one epoch per call
    assert report_line(out, "training stopped:") == (
        "training stopped: converged: the mean training loss of an epoch did not improve "
        "by more than tol=0.0001 for 10 consecutive epochs"
    )
    assert err.count(f"sknn: epoch {epochs}/1000, chunk 3/3") == 1
    assert f"sknn: epoch {epochs + 1}/" not in err


def test_predict_in_chunks_equals_predict_whole(capsys, tmp_path):
    frame, path, model = fit_mixed(capsys, tmp_path, "--cv", "0", "--max-iter", "5")
    whole = run(capsys, "predict", model, path, "--proba", "--keep", "id")
    chunked = run(capsys, "predict", model, path, "--proba", "--keep", "id",
                  "--chunksize", "7")
    assert whole[0] == chunked[0] == 0
    assert chunked[1] == whole[1] and len(read_output(whole[1])[1]) == len(frame)


# ------------------------------------------------- the whole file, a block at a time
def _gappy_table(n=600, seed=1):
    """Numbers of very different scales (floats, integers, gaps), text with
    gaps, a text field holding a line break, and a 0/1 target."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(rng.normal(size=(n, 5)) * [1, 1e4, 1e-3, 50, 1] + [0, 3, 1, -7, 2],
                         columns=["a", "b", "c", "d", "e"]).round(7)
    frame.insert(2, "color", rng.choice(["red", "green", "blue"], n).astype(object))
    frame["count"] = rng.integers(0, 40, n)
    frame["note"] = rng.choice(["plain", "two\nlines"], n).astype(object)
    frame["y"] = (frame.a + frame.d / 50 > 0).astype(int)
    for name in ("b", "e", "color"):
        frame.loc[rng.choice(n, n // 10, replace=False), name] = np.nan
    return frame


@pytest.fixture
def small_blocks(monkeypatch):
    """Blocks of two columns of 600 rows; chunks of 100 cells (10 rows of ten columns)."""
    from sknn.cli import blockwise, csv_files

    monkeypatch.setattr(blockwise, "BLOCK_VALUES", 2 * 600)
    monkeypatch.setattr(csv_files, "CHUNK_CELLS", 100)


def test_reading_in_chunks_gives_the_whole_read(tmp_path, small_blocks):
    """read_features: the features and target of ``read``, the numbers as
    floats in one C-ordered block, the text in its columns and places."""
    from sknn.cli.csv_files import CsvFile

    path = tmp_path / "t.csv"
    path.write_text(_gappy_table().to_csv(index=False).rstrip("\n"))  # no last line break
    csv = CsvFile(str(path))
    features = [c for c in csv.columns if c != "y"]
    X, y = csv.read_features(features, "y", text=["count"])
    whole = csv.read(csv.columns, text=["count"])
    assert list(X.columns) == features and len(X) == len(whole) == 600
    pd.testing.assert_series_equal(y, whole["y"], check_index_type=False)
    for name in features:
        if whole[name].dtype.kind in "iuf":
            assert X[name].dtype == np.float64
            np.testing.assert_array_equal(X[name], whole[name].astype(float))
        else:
            pd.testing.assert_series_equal(X[name], whole[name], check_index_type=False)
    numbers = X[["a", "b", "c", "d", "e"]].to_numpy()
    assert np.shares_memory(numbers, X._mgr.blocks[0].values)  # one block, not copied


def test_reading_in_chunks_gives_way_to_the_whole_read(capsys, tmp_path, small_blocks):
    """A column of numbers in the first chunk and of words later: the file is
    read whole, which takes that column as text."""
    from sknn.cli.csv_files import CsvFile

    grades = ["1", "2"] * 30 + ["A", "B", "C", "D"] * 15
    path = tmp_path / "grades.csv"
    path.write_text("grade,x,y\n" + "".join(f"{g},{i % 7},{i % 2}\n"
                                            for i, g in enumerate(grades)))
    assert CsvFile(str(path)).read_features(["grade", "x"], "y") is None
    status, out, err = run(capsys, "fit", path, "--target", "y", "--cv", "0", "--max-iter", "1",
                           "--quiet")
    assert status == 0, err
    assert "categorical, one-hot (1): grade (6 categories)" in out


@pytest.mark.parametrize("impute, scale", [(True, True), (True, False), (False, True),
                                           (False, False)])
def test_blockwise_preprocessing_is_the_column_transformer_to_the_bit(
        small_blocks, impute, scale):
    """Fitted on the whole table or a block of columns at a time, the same
    statistics, the same output, the same fitted ColumnTransformer."""
    from sknn.cli.blockwise import BlockwisePreprocessor
    from sknn.cli.tables import Scan, make_preprocessor

    frame = _gappy_table().drop(columns=["note", "y"])
    if not impute:
        frame = frame.dropna()
    scan = Scan("t.csv", list(frame.columns))
    scan.update(frame)
    columns = scan.result()
    expected = make_preprocessor(columns, impute=impute, scale=scale)
    out = expected.fit_transform(frame)
    blockwise = BlockwisePreprocessor(columns.numeric, columns.categorical, impute, scale)
    assert len(blockwise.fit(frame).blocks_) == 3  # six numeric columns, two a block
    got = blockwise.transform(frame)
    assert got.dtype == np.float64 and got.flags.c_contiguous
    assert got.tobytes() == out.astype(np.float64).tobytes()
    fitted = blockwise.column_transformer(frame.iloc[:1])
    assert repr(fitted) == repr(expected) and repr(blockwise.unfitted()) == repr(expected)
    assert fitted.transform(frame[::-3]).tobytes() == expected.transform(frame[::-3]).tobytes()
    assert list(fitted.get_feature_names_out()) == list(expected.get_feature_names_out())
    assert fitted.output_indices_ == expected.output_indices_
    for name, branch in expected.named_transformers_.items():
        if not hasattr(branch, "steps"):  # the numbers passed through
            continue
        for (_, want), (_, have) in zip(branch.steps, fitted.named_transformers_[name].steps):
            assert sorted(vars(have)) == sorted(vars(want))
            for key, value in vars(want).items():
                if isinstance(value, np.ndarray) and value.dtype != object:
                    assert value.tobytes() == vars(have)[key].tobytes(), key
                elif isinstance(value, np.ndarray):  # names
                    assert value.tolist() == vars(have)[key].tolist(), key
                elif key.endswith("_") and key != "categories_":
                    assert value == vars(have)[key], key


@pytest.mark.parametrize("task, target", [("classification", "y"), ("regression", "d")])
def test_fit_equals_the_column_transformer_pipeline_to_the_bit(
        capsys, tmp_path, small_blocks, task, target):
    """sknn fit's folds and final model are those of make_preprocessor's
    ColumnTransformer and the network fitted on the table pandas reads."""
    from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline

    from sknn.cli.blockwise import BlockwisePreprocessor
    from sknn.cli.csv_files import CsvFile
    from sknn.cli.main import _estimator, _parser, _with_scaled_target
    from sknn.cli.tables import Scan, make_preprocessor

    frame = _gappy_table().drop(columns=["note", "y" if target != "y" else "d"])
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False)
    model = tmp_path / "m.skops"
    argv = ["fit", str(path), "--target", target, "--cv", "3", "--max-iter", "3", "--quiet",
            "--save", str(model)]
    status, out, err = run(capsys, *argv)
    assert status == 0, err
    # the old way: the file read whole, make_preprocessor's ColumnTransformer fitted on it
    whole = CsvFile(str(path)).read(list(frame.columns))
    X, y = whole.drop(columns=target), whole[target].to_numpy()
    scan = Scan(str(path), list(X.columns))
    scan.update(X)
    columns = scan.result()
    args = _parser().parse_args(argv)
    mlp = _estimator(args, task)
    expected = _with_scaled_target(make_pipeline(make_preprocessor(columns), mlp), args, task)
    blockwise = _with_scaled_target(make_pipeline(
        BlockwisePreprocessor(columns.numeric, columns.categorical), clone(mlp)), args, task)
    split = StratifiedKFold if task == "classification" else KFold
    folds = split(3, shuffle=True, random_state=0)
    scores = cross_val_score(clone(expected), X, y, cv=folds)
    assert np.array_equal(cross_val_score(clone(blockwise), X, y, cv=folds), scores)
    assert f"{scores.mean():.4f} +/- {scores.std():.4f}" in out
    expected.fit(X, y)
    saved = load(model)["model"]
    assert repr(saved) == repr(expected)
    assert saved.predict(X).tobytes() == expected.predict(X).tobytes()


# ---------------------------------------------------------------- streaming memory
# The process's peak resident memory: Linux's VmHWM, which starts afresh with
# the new program (ru_maxrss would start from the forking test process's).
_MEASURE = """
import re, sys
from sknn.cli import main
status = main(sys.argv[1:])
with open("/proc/self/status") as f:
    print("peak-rss-kib", re.search(r"VmHWM:\\s*(\\d+)", f.read()).group(1), file=sys.stderr)
raise SystemExit(status)
"""


def _peak_mib(*argv):
    # without numba: its compiler, when it runs, peaks above the reading
    env = {**os.environ, "SKNN_NUMBA": "0", "PYTHONPATH": os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    )}
    done = subprocess.run([sys.executable, "-c", _MEASURE, *map(str, argv)],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    return int(done.stderr.split("peak-rss-kib ")[1].split()[0]) / 1024


def test_streaming_memory_is_bounded_by_the_chunk_not_the_file(tmp_path):
    """Peak resident memory of whole processes (pandas' parser buffers
    included): streaming a file four times larger costs no more memory,
    while reading it whole costs more than its size."""
    rng = np.random.default_rng(0)
    block = pd.DataFrame(rng.normal(size=(50_000, 12)).round(6),
                         columns=[f"x{i}" for i in range(12)])
    block["y"] = (block["x0"] > 0).astype(int)
    text = block.to_csv(index=False)
    header, body = text.split("\n", 1)
    small, large = tmp_path / "small.csv", tmp_path / "large.csv"
    small.write_text(text)
    large.write_text(header + "\n" + body * 4)  # 200,000 rows
    size_mib = large.stat().st_size / 2**20
    assert size_mib > 20
    common = ["--target", "y", "--max-iter", "1", "--hidden", "4", "--quiet"]
    chunks = ["--chunksize", "5000"]  # 1/40 of the large file
    streamed_small = _peak_mib("fit", small, *common, *chunks)
    streamed_large = _peak_mib("fit", large, *common, *chunks)
    whole_large = _peak_mib("fit", large, *common, "--cv", "0")
    # a quarter of the file's size would show if memory followed the file
    assert streamed_large - streamed_small < size_mib / 4, (streamed_small, streamed_large)
    assert whole_large - streamed_large > size_mib, (whole_large, streamed_large)
