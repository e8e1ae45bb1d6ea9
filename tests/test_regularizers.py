"""Regularizers: each penalty, its gradient (central differences), and its use in training.

OrthogonalRegularizer follows Keras's formula: the mean absolute cosine between rows.
"""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import kerastutor as keras
from kerastutor import gradcheck, regularizers
from kerastutor.gradcheck import numerical_gradient
from strategies import SEEDS

W = np.array([[1.0, -2.0], [0.5, 0.0]])


@pytest.mark.parametrize("regularizer, penalty", [
    (regularizers.L1(0.1), 0.1 * 3.5), (regularizers.L2(0.1), 0.1 * 5.25),
    (regularizers.L1L2(l1=0.1, l2=0.2), 0.1 * 3.5 + 0.2 * 5.25),
    (regularizers.l2(0.01), 0.01 * 5.25), (regularizers.l1_l2(0.0, 0.0), 0.0),
    (regularizers.l1(0.2), 0.2 * 3.5)])
def test_regularizer_penalties_and_gradients(regularizer, penalty):
    assert isinstance(regularizer, regularizers.Regularizer)
    assert regularizer(W) == pytest.approx(penalty)
    w = W + 0.05                                   # away from the kink of |w| at 0
    numerical = numerical_gradient(lambda v: np.asarray(regularizer(v)), w.copy())
    np.testing.assert_allclose(regularizer.gradient(w), numerical, rtol=1e-6, atol=1e-9)


def test_regularizer_penalty_enters_the_reported_loss():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(
        1, kernel_initializer="ones", kernel_regularizer="l2")])
    model.compile(keras.optimizers.SGD(0.0), "mse")
    x, y = np.ones((4, 2), "float32"), np.full((4, 1), 2.0, "float32")
    assert model.evaluate(x, y, verbose=0) == pytest.approx(0.0 + 0.01 * 2.0)
    assert regularizers.get("l1l2").get_config() == {"l1": 0.0, "l2": 0.0}
    with pytest.raises(ValueError, match="Did you mean 'l2'"):
        regularizers.get("l2x")


# ------------------------------------------------------------ OrthogonalRegularizer
def test_penalty_is_the_mean_absolute_cosine_between_rows():
    value = np.random.default_rng(0).random((4, 4))
    rows = value / np.linalg.norm(value, axis=1, keepdims=True)
    off_diagonal = np.abs(rows @ rows.T) * (1 - np.eye(4))
    expected = 0.1 * 0.5 * off_diagonal.sum() / (4 * 3 / 2)
    assert regularizers.OrthogonalRegularizer(0.1)(value) == pytest.approx(expected)
    assert regularizers.OrthogonalRegularizer(0.1)(np.eye(3)) == 0.0
    assert isinstance(regularizers.get("orthogonal_regularizer"),
                      regularizers.OrthogonalRegularizer)
    assert regularizers.orthogonal_regularizer is regularizers.OrthogonalRegularizer


@given(rows=st.integers(2, 5), cols=st.integers(2, 5), seed=SEEDS,
       mode=st.sampled_from(["rows", "columns"]))
def test_gradient_matches_central_differences(rows, cols, seed, mode):
    w = np.random.default_rng(seed).normal(size=(rows, cols))
    reg = regularizers.OrthogonalRegularizer(factor=0.5, mode=mode)
    numerical = numerical_gradient(lambda v: np.asarray(reg(v)), w.copy())
    np.testing.assert_allclose(reg.gradient(w), numerical, rtol=1e-5, atol=1e-9)


def test_errors_and_config():
    with pytest.raises(ValueError, match="rank-2"):
        regularizers.OrthogonalRegularizer()(np.ones((2, 2, 2)))
    with pytest.raises(ValueError, match="'rows' or 'columns'"):
        regularizers.OrthogonalRegularizer(mode="diagonal")
    clone = regularizers.deserialize(regularizers.serialize(
        regularizers.OrthogonalRegularizer(0.2, "columns")))
    assert clone.get_config() == {"factor": 0.2, "mode": "columns"}


def test_training_makes_columns_more_orthogonal():
    keras.utils.set_random_seed(0)
    reg = regularizers.OrthogonalRegularizer(factor=1.0, mode="columns")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(
        3, kernel_regularizer=reg, kernel_initializer=keras.initializers.RandomUniform(0.4, 0.6, seed=1))])
    model.compile(keras.optimizers.SGD(0.5), "mse")
    before = reg(model.layers[0].kernel.value)
    x = np.zeros((8, 4), "float32")              # the data term has no gradient: only R acts
    model.fit(x, np.zeros((8, 3), "float32"), epochs=20, verbose=0)
    assert reg(model.layers[0].kernel.value) < 0.5 * before


def test_activity_regularizer_adds_its_penalty_and_gradient():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(
        2, activation="tanh", activity_regularizer=regularizers.L2(0.5)), keras.layers.Dense(1)])
    x = np.random.default_rng(0).normal(size=(4, 3)).astype("float32")
    y = np.zeros((4, 1), "float32")
    model.compile(keras.optimizers.SGD(0.0), "mse")
    hidden = np.tanh(x @ model.layers[0].kernel.value)
    mse = float(np.mean((model.predict(x, verbose=0) - y) ** 2))
    expected = mse + 0.5 * float((hidden ** 2).sum()) / 4          # Keras divides by batch
    assert model.evaluate(x, y, verbose=0) == pytest.approx(expected, rel=1e-5)
    gradcheck.assert_gradients_ok(model, x.astype(float), y=y.astype(float),
                                  loss=keras.losses.MeanSquaredError())
    config = model.layers[0].get_config()
    assert config["activity_regularizer"]["class_name"] == "L2"
