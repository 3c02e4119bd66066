"""Models pickled and saved with skops by sknn 0.2.0 (tests/fixtures, written
by tests/fixtures/make_saved_models.py with that release) load and predict
exactly what that release predicted, and continue training."""

import pickle
from pathlib import Path

import numpy as np
import pytest
import skops.io

FIXTURES = Path(__file__).parent / "fixtures"
EXPECTED = np.load(FIXTURES / "saved_model_predictions.npz")
NAMES = sorted({key.split("__")[0] for key in EXPECTED.files})


def _load(name, form):
    path = FIXTURES / f"{name}.{form}"
    if form == "pkl":
        return pickle.loads(path.read_bytes())
    return skops.io.load(path, trusted=skops.io.get_untrusted_types(file=path))


@pytest.mark.parametrize("form", ["pkl", "skops"])
@pytest.mark.parametrize("name", NAMES)
def test_saved_model_predicts_the_same_bits(name, form):
    model = _load(name, form)
    X = EXPECTED[f"{name}__X"]
    if f"{name}__proba" in EXPECTED.files:
        np.testing.assert_array_equal(model.predict_proba(X), EXPECTED[f"{name}__proba"])
    else:
        np.testing.assert_array_equal(model.predict(X), EXPECTED[f"{name}__predict"])


@pytest.mark.parametrize("form", ["pkl", "skops"])
def test_saved_model_continues_training(form):
    model = _load("classifier_layernorm_sgd", form)
    X = EXPECTED["classifier_layernorm_sgd__X"]
    y = model.predict(X)
    before = [W.copy() for W in model.coefs_]
    t = model.t_
    model.partial_fit(X, y)
    assert model.t_ == t + X.shape[0]
    assert any(not np.array_equal(a, b) for a, b in zip(before, model.coefs_))
    assert model.summary().splitlines()[-1] == f"Total params: {model.n_params_:,}"
