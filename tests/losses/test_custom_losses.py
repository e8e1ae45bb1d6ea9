"""Learner-written losses train through the op tape, with the numbers of the built-in ones.

A ``keras.losses.Loss`` subclass that defines only ``call`` (the Keras way), or a plain
function given as ``loss=``, has no ``backward``: ``call`` runs on the op tape with
``y_pred`` traced, and the tape walked back from the reduced loss gives the gradient. These
tests check that this path gives the same numbers as the written-out built-in losses, that
its gradients pass the numerical check (hypothesis-drawn cases), that its backward is
repeatable, and that raw NumPy inside ``call`` is refused kindly.
"""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import kerastutor as keras
from kerastutor import gradcheck, losses, ops
from strategies import SEEDS


# ========================================================= the learner's losses
class MyMeanSquaredError(keras.losses.Loss):
    """Keras's tutorial loss: only ``call``, written with keras.ops."""

    def call(self, y_true, y_pred):
        return ops.mean(ops.square(y_true - y_pred), axis=-1)


class CauchyLoss(keras.losses.Loss):
    r"""A smooth robust loss, :math:`\ell = \mathrm{mean}(\log(1 + (\hat y - y)^2))`."""

    def call(self, y_true, y_pred):
        return ops.mean(ops.log1p(ops.square(y_pred - y_true)), axis=-1)


class LogisticLoss(keras.losses.Loss):
    """Uses keras.activations.softplus on the traced value: recorded with Softplus.backward."""

    def call(self, y_true, y_pred):
        return ops.mean(keras.activations.softplus(-(2.0 * y_true - 1.0) * y_pred), axis=-1)


class CentredLoss(keras.losses.Loss):
    """Each value mixes samples (it subtracts the batch mean), so w_i / n alone is not enough."""

    def call(self, y_true, y_pred):
        centred = y_pred - ops.mean(y_pred, axis=0, keepdims=True)
        return ops.mean(ops.square(centred - y_true), axis=-1)


def my_mean_absolute_error(y_true, y_pred):
    """A plain function as a loss."""
    return ops.mean(ops.abs(y_true - y_pred), axis=-1)


RNG = np.random.default_rng(0)
X = RNG.normal(size=(24, 3)).astype("float32")
Y = RNG.normal(size=(24, 2)).astype("float32")


def fit(loss, epochs=3, optimizer="sgd"):
    """History and final weights of a small model trained from fixed initial weights."""
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(5, activation="tanh"),
                              keras.layers.Dense(2)])
    opt = keras.optimizers.SGD(0.1) if optimizer == "sgd" else keras.optimizers.Adam(0.01)
    model.compile(opt, loss)
    history = model.fit(X, Y, batch_size=6, epochs=epochs, shuffle=False, verbose=0)
    return history.history["loss"], model.get_weights()


def assert_same_training(first, second):
    """Same losses and weights (float32 round-off of the GPU path's kernels allowed)."""
    np.testing.assert_allclose(first[0], second[0], rtol=1e-5)
    for a, b in zip(first[1], second[1]):
        np.testing.assert_allclose(a, b, rtol=2e-4, atol=1e-6)


# ======================================================== same numbers as built-ins
def test_a_loss_subclass_trains_like_mean_squared_error():
    assert_same_training(fit(MyMeanSquaredError()), fit(losses.MeanSquaredError()))
    assert_same_training(fit(MyMeanSquaredError(), optimizer="adam"),
                         fit("mse", optimizer="adam"))


def test_a_function_loss_trains_like_mean_absolute_error():
    assert_same_training(fit(my_mean_absolute_error), fit("mae"))
    assert isinstance(losses.get(my_mean_absolute_error), losses.LossFunctionWrapper)


def test_the_tape_path_uses_the_reduction_and_sample_weights_as_built_ins_do():
    rng = np.random.default_rng(1)
    y_true, y_pred = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    weights = rng.uniform(0.5, 2.0, 5)
    for reduction in losses.REDUCTIONS:
        for sample_weight in (None, weights):
            ours = MyMeanSquaredError(reduction=reduction)
            built_in = losses.MeanSquaredError(reduction=reduction)
            value, grad = ours.value_and_gradient(y_true, y_pred, sample_weight)
            expected_value, expected_grad = built_in.value_and_gradient(y_true, y_pred,
                                                                        sample_weight)
            np.testing.assert_allclose(value, expected_value, rtol=1e-12)
            np.testing.assert_allclose(grad, expected_grad, rtol=1e-12)


def test_a_loss_subclass_keeps_float32():
    value, grad = MyMeanSquaredError().value_and_gradient(Y, Y + 1.0)
    assert np.asarray(value).dtype == np.float32 and grad.dtype == np.float32


def test_a_subclass_with_its_own_backward_does_not_use_the_tape():
    class HalfSquares(keras.losses.Loss):
        def call(self, y_true, y_pred):
            return 0.5 * np.sum((y_pred - y_true) ** 2, axis=-1)   # raw NumPy is fine here

        def backward(self, cache):
            y_true, y_pred = cache
            return y_pred - y_true

    loss = HalfSquares()
    _, cache = loss.forward(np.zeros((1, 2)), np.ones((1, 2)))
    assert isinstance(cache, tuple)
    assert loss.gradient([[0.0, 1.0]], [[1.0, 3.0]]).tolist() == [[1.0, 2.0]]


def test_a_subclass_with_forward_but_no_backward_says_what_to_write():
    class OnlyForward(keras.losses.Loss):
        def forward(self, y_true, y_pred):
            return np.sum(y_pred, axis=-1), None

    with pytest.raises(NotImplementedError, match=r"OnlyForward.*backward\(self, cache\).*call"):
        OnlyForward().gradient(np.zeros((2, 2)), np.ones((2, 2)))


# ============================================================ gradient checks
SMOOTH_LOSSES = st.sampled_from([MyMeanSquaredError, CauchyLoss, LogisticLoss, CentredLoss])


@given(cls=SMOOTH_LOSSES, seed=SEEDS, batch=st.integers(1, 5), units=st.integers(1, 4),
       reduction=st.sampled_from(losses.REDUCTIONS), weighted=st.booleans())
def test_tape_gradients_match_finite_differences(cls, seed, batch, units, reduction,
                                                 weighted):
    rng = np.random.default_rng(seed)
    y_true = rng.uniform(0, 1, (batch, units))
    y_pred = rng.normal(size=(batch, units))
    sample_weight = rng.uniform(0.5, 2.0, batch) if weighted else None
    gradcheck.assert_gradients_ok(cls(reduction=reduction), y_true, y_pred,
                                  sample_weight=sample_weight)


@given(seed=SEEDS, batch=st.integers(1, 5))
def test_a_function_loss_gradients_match_finite_differences(seed, batch):
    def cauchy(y_true, y_pred):
        return ops.mean(ops.log1p(ops.square(y_pred - y_true)), axis=-1)

    rng = np.random.default_rng(seed)
    gradcheck.assert_gradients_ok(losses.get(cauchy), rng.normal(size=(batch, 3)),
                                  rng.normal(size=(batch, 3)))


@given(cls=SMOOTH_LOSSES, seed=SEEDS, dtype=st.sampled_from([np.float32, np.float64]))
def test_tape_backward_is_repeatable(cls, seed, dtype):
    rng = np.random.default_rng(seed)
    y_true, y_pred = rng.uniform(0, 1, (4, 3)).astype(dtype), rng.normal(size=(4, 3)).astype(dtype)
    first = gradcheck.assert_backward_repeatable(cls(), (y_true, y_pred))
    assert first.shape == (4, 3)
    loss = cls()
    np.testing.assert_array_equal(loss.gradient(y_true, y_pred), loss.gradient(y_true, y_pred))


# ============================================================ raw NumPy: a kind error
class RawNumpyLoss(keras.losses.Loss):
    def call(self, y_true, y_pred):
        return np.mean(np.square(y_true - y_pred), axis=-1)


def test_raw_numpy_in_a_loss_gives_values_but_training_names_the_op_to_use():
    loss = RawNumpyLoss()
    assert loss(np.zeros((2, 2)), np.ones((2, 2))) == pytest.approx(1.0)     # evaluate works
    with pytest.raises(TypeError, match=r"The loss 'raw_numpy_loss': np\.square .*"
                                        r"keras\.ops\.square"):
        loss.value_and_gradient(np.zeros((2, 2)), np.ones((2, 2)))
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile("sgd", RawNumpyLoss())
    assert np.isfinite(model.evaluate(X, Y, verbose=0))
    with pytest.raises(TypeError, match=r"np\.square.*keras\.ops\.square"):
        model.fit(X, Y, epochs=1, verbose=0)


def test_a_method_call_on_y_pred_names_the_op_to_use():
    def mean_error(y_true, y_pred):
        return (y_pred - y_true).mean(axis=-1)

    with pytest.raises(AttributeError, match=r"keras\.ops\.mean\(x, \.\.\.\)"):
        losses.get(mean_error).gradient(np.zeros((2, 2)), np.ones((2, 2)))


# ============================================================ a loss inside a layer's call
class Endpoint(keras.layers.Layer):
    """The training guide's LogisticEndpoint: a built-in loss on traced values, added."""

    def __init__(self, loss):
        super().__init__()
        self.loss_fn = loss

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")

    def call(self, logits):
        scaled = logits * self.w
        self.add_loss(self.loss_fn(TARGETS, scaled, SAMPLE_WEIGHT))
        return ops.softmax(scaled)


TARGETS = (np.arange(12).reshape(4, 3) % 2).astype("float64")
SAMPLE_WEIGHT = np.array([1.0, 0.5, 2.0, 1.5])


@given(loss=st.sampled_from([losses.BinaryCrossentropy(from_logits=True),
                             losses.MeanSquaredError(reduction="sum"),
                             MyMeanSquaredError()]), seed=SEEDS)
def test_a_loss_called_inside_call_is_one_tape_op_with_its_own_gradient(loss, seed):
    layer = Endpoint(loss)
    report = gradcheck.check_layer(layer, np.random.default_rng(seed).normal(size=(4, 3)))
    assert report.passed, report


def test_a_loss_inside_call_records_the_value_its_own_call_gives():
    loss = losses.BinaryCrossentropy(from_logits=True)
    layer = Endpoint(loss)
    x = np.random.default_rng(0).normal(size=(4, 3))
    layer(x)
    assert float(layer.losses[0]) == pytest.approx(float(loss(TARGETS, x, SAMPLE_WEIGHT)))


def test_an_unreduced_loss_inside_call_says_to_reduce_it():
    layer = Endpoint(losses.MeanSquaredError(reduction=None))
    with pytest.raises(TypeError, match=r"reduction=None.*only a reduced loss.*Fix"):
        layer(np.ones((4, 3)))
