"""Losses: Keras's golden numbers, gradients against central differences, label checks.

The golden numbers come from Keras's own ``losses_test.py`` (keras-spec section 8.2).
Every gradient is checked in float64 against central differences of ``value``;
the data generators keep away from kinks and from the clip boundaries, where a
finite difference is not a derivative.
"""
import numpy as np

import kerastutor as keras
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kerastutor import backend, gradcheck, losses

F = np.float32
REDUCTIONS = ["sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", None]


# ============================================================ numerical gradients
def numeric_gradient(loss, y_true, y_pred, sample_weight=None, h=1e-6):
    """Central differences of the loss (summed, so reduction=None works too)."""
    def total(x):
        return float(np.sum(loss(y_true, x, sample_weight)))

    grad = np.zeros_like(y_pred)
    for index in np.ndindex(y_pred.shape):
        step = np.zeros_like(y_pred)
        step[index] = h
        grad[index] = (total(y_pred + step) - total(y_pred - step)) / (2 * h)
    return grad


def assert_gradient_matches(loss, y_true, y_pred, sample_weight=None):
    analytic = loss.gradient(y_true, y_pred, sample_weight)
    assert analytic.shape == y_pred.shape and analytic.dtype == np.float64
    numeric = numeric_gradient(loss, y_true, y_pred, sample_weight)
    # Relative error of the whole gradient. Differences carry ~1e-10 of rounding noise,
    # so gradients smaller than 1e-3 (e.g. exactly zero) are compared absolutely.
    scale = max(np.linalg.norm(analytic) + np.linalg.norm(numeric), 1e-3)
    error = np.linalg.norm(analytic - numeric) / scale
    assert error < 1e-6, f"{loss!r}: relative error {error:.2e}\n{analytic}\n{numeric}"


def weights_for(rng, batch, weighted):
    return rng.uniform(0.5, 2.0, batch) if weighted else None


COMMON = dict(batch=st.integers(1, 4), width=st.integers(1, 4), seed=st.integers(0, 10_000),
              reduction=st.sampled_from(REDUCTIONS), weighted=st.booleans())


# ================================================================ golden numbers
MSE_TRUE = np.array([[1, 9, 2], [-5, -2, 6]], F)
MSE_PRED = np.array([[4, 8, 12], [8, 1, 3]], F)


def test_mse_golden_numbers_and_reductions():
    mse = losses.MeanSquaredError()
    assert mse(MSE_TRUE, MSE_PRED) == pytest.approx(49.5)
    assert mse(MSE_TRUE, MSE_PRED, sample_weight=2.3) == pytest.approx(113.85, rel=1e-6)
    assert mse(MSE_TRUE, MSE_PRED, np.array([[1.2], [3.4]])) == pytest.approx(767.8 / 6)
    unreduced = losses.MeanSquaredError(reduction=None)(MSE_TRUE, MSE_PRED, 2.3)
    np.testing.assert_allclose(unreduced, [84.3333, 143.3666], rtol=1e-5)
    summed = losses.MeanSquaredError(reduction="sum")(MSE_TRUE, MSE_PRED, 2.3)
    assert summed == pytest.approx(227.69998, rel=1e-6)
    by_weight = losses.MeanSquaredError(reduction="mean_with_sample_weight")
    assert by_weight(MSE_TRUE, MSE_PRED, np.array([[1.2], [3.4]])) == \
        pytest.approx((110 / 3 * 1.2 + 187 / 3 * 3.4) / (1.2 + 3.4), rel=1e-6)
    timestep_weights = np.array([[3, 6, 5], [0, 4, 2]], F)
    assert mse(MSE_TRUE.reshape(2, 3, 1), MSE_PRED.reshape(2, 3, 1), timestep_weights) == \
        pytest.approx(97.833336, rel=1e-6)
    assert losses.MeanSquaredError(reduction="mean")(MSE_TRUE, MSE_PRED) == pytest.approx(49.5)


def test_mean_with_sample_weight_divides_by_the_weights_as_given():
    by_weight = losses.MeanSquaredError(reduction="mean_with_sample_weight")
    # Keras divides by sum(sample_weight) before broadcasting: a scalar 2.3 gives
    # sum(2.3 * values) / 2.3, the plain sum of the values (110/3 + 187/3).
    assert by_weight(MSE_TRUE, MSE_PRED, 2.3) == pytest.approx(99.0, rel=1e-6)
    assert by_weight(MSE_TRUE, MSE_PRED) == pytest.approx(49.5)       # no weights: the mean


def test_reduced_values_are_float32_scalars_and_none_keeps_keras_shape():
    value = losses.MeanSquaredError()(MSE_TRUE, MSE_PRED)
    assert np.ndim(value) == 0 and value.dtype == np.float32
    # Keras expands rank-1 values to (N, 1) when the weights are (N, 1).
    unreduced = losses.MeanSquaredError(reduction="none")(MSE_TRUE, MSE_PRED,
                                                          np.array([[1.0], [2.0]]))
    np.testing.assert_allclose(unreduced, [[110 / 3], [2 * 187 / 3]], rtol=1e-6)


def test_bce_golden_numbers_including_float32_clipping():
    bce = losses.BinaryCrossentropy()
    y_true = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1]], F)
    y_pred = np.array([[0.9, 0.1, 0.2], [0.3, 0.8, 0.1], [0.1, 0.2, 0.7]], F)
    assert bce(y_true, y_pred) == pytest.approx(0.20046903, rel=1e-5)
    ones_true, ones_pred = np.array([[1, 0], [1, 0]], F), np.array([[1, 1], [1, 0]], F)
    assert bce(ones_true, ones_pred) == pytest.approx(3.98559, rel=1e-5)
    assert bce(ones_true, ones_pred, 2.3) == pytest.approx(9.1668, rel=1e-4)
    assert bce(ones_true, ones_pred, np.array([[1.2], [3.4]])) == pytest.approx(4.7827, rel=1e-4)
    # The same numbers in float64 clip at 1 - 1e-7 exactly: Keras's float32 value differs.
    in_float64 = bce(ones_true.astype(np.float64), ones_pred.astype(np.float64))
    assert in_float64 == pytest.approx(4.0295, rel=1e-4)


def test_bce_from_logits_golden_numbers():
    bce = losses.BinaryCrossentropy(from_logits=True)
    y_true = np.array([[1, 0, 1], [0, 1, 1]], F)
    logits = np.array([[10, -10, 10], [10, 10, -10]], F)
    assert bce(y_true, logits) == pytest.approx(3.3333, rel=1e-4)
    assert bce(y_true, logits, 2.3) == pytest.approx(7.666, rel=1e-3)
    assert bce(y_true, logits, np.array([4, 3])) == pytest.approx(10.0, rel=1e-4)
    unreduced = losses.BinaryCrossentropy(from_logits=True, reduction=None)(y_true, logits)
    np.testing.assert_allclose(unreduced, [0.0, 6.666], atol=1e-3)
    smooth = losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1)
    assert smooth(np.array([[1, 0, 1]], F), np.array([[10, -10, -10]], F)) == \
        pytest.approx(3.5, rel=1e-4)


CCE_PROBS = np.array([[0.9, 0.05, 0.05], [0.5, 0.89, 0.6], [0.05, 0.01, 0.94]], F)
CCE_LOGITS = np.array([[8, 1, 1], [0, 9, 1], [2, 3, 5]], F)
CCE_TARGETS = {"one-hot": np.eye(3, dtype=F), "labels": np.array([0, 1, 2]),
               "column labels": np.array([[0], [1], [2]])}


@pytest.mark.parametrize("targets", CCE_TARGETS)
def test_crossentropy_golden_numbers(targets):
    y = CCE_TARGETS[targets]
    cls = losses.CategoricalCrossentropy if targets == "one-hot" else \
        losses.SparseCategoricalCrossentropy
    loss, logits = cls(), cls(from_logits=True)
    assert loss(y, CCE_PROBS) == pytest.approx(0.3239, abs=2e-4)    # row 2 is renormalized
    assert loss(y, CCE_PROBS, 2.3) == pytest.approx(0.7449, abs=5e-4)
    assert loss(y, CCE_PROBS, np.array([[1.2], [3.4], [5.6]])) == pytest.approx(1.0696, abs=2e-4)
    assert logits(y, CCE_LOGITS) == pytest.approx(0.0573, abs=2e-4)
    np.testing.assert_allclose(cls(from_logits=True, reduction=None)(y, CCE_LOGITS),
                               [0.001822, 0.000459, 0.169846], rtol=1e-3)
    assert logits(y, CCE_LOGITS, 2.3) == pytest.approx(0.1317, abs=1e-3)
    assert logits(y, CCE_LOGITS, np.array([[1.2], [3.4], [5.6]])) == \
        pytest.approx(0.31829, abs=2e-4)


def test_cce_label_smoothing_and_scce_ignore_class():
    smooth = losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1)
    assert smooth(np.array([[1, 0, 0]], F), np.array([[100, -100, -100]], F)) == \
        pytest.approx(13.3333, rel=1e-4)
    logits = np.array([[[0.854, 0.698, 0.598], [0.088, 0.86, 0.018]]], F)
    ignore = losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1,
                                                  reduction=None)
    np.testing.assert_allclose(ignore(np.array([[-1, 2]]), logits), [[0.0, 1.480129]],
                               rtol=1e-5)
    # The ignored position is left out of the mean's count, not averaged in as a 0.
    mean = losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1)
    assert mean(np.array([[-1, 2]]), logits) == pytest.approx(1.480129, rel=1e-5)


def test_other_losses_match_their_keras_formulas():
    y = np.array([[0.0, 1.0, 2.0], [1.0, 0.5, 0.0]])
    p = np.array([[0.5, 1.5, 1.0], [2.0, 0.5, 0.25]])
    e = p - y
    expected = {
        "mean_absolute_percentage_error":
            100 * np.mean(np.abs(e) / np.maximum(np.abs(y), 1e-7), axis=-1),
        "mean_squared_logarithmic_error":
            np.mean((np.log(np.maximum(p, 1e-7) + 1) - np.log(np.maximum(y, 1e-7) + 1)) ** 2,
                    axis=-1),
        "huber": np.mean(np.where(np.abs(e) <= 1, 0.5 * e ** 2, np.abs(e) - 0.5), axis=-1),
        "log_cosh": np.mean(np.log(np.cosh(e)), axis=-1),
        "kl_divergence": np.sum(np.clip(y, 1e-7, 1) * np.log(np.clip(y, 1e-7, 1)
                                                             / np.clip(p, 1e-7, 1)), axis=-1),
        "poisson": np.mean(p - y * np.log(p + 1e-7), axis=-1),
        "cosine_similarity": -np.sum(y * p, axis=-1) / (np.linalg.norm(y, axis=-1)
                                                         * np.linalg.norm(p, axis=-1)),
    }
    for name, values in expected.items():
        np.testing.assert_allclose(getattr(losses, name)(y, p), values, rtol=1e-7, err_msg=name)


def test_hinge_family_formulas():
    y01 = np.array([[0.0, 1.0, 1.0]])                 # 0/1 labels become -1/+1
    p = np.array([[0.3, 0.4, 2.0]])
    margins = 1 - np.array([[-1.0, 1.0, 1.0]]) * p
    np.testing.assert_allclose(losses.hinge(y01, p), np.maximum(margins, 0).mean(-1))
    np.testing.assert_allclose(losses.squared_hinge(y01, p),
                               (np.maximum(margins, 0) ** 2).mean(-1))
    one_hot, scores = np.array([[0.0, 1.0, 0.0]]), np.array([[0.5, 1.2, 0.9]])
    np.testing.assert_allclose(losses.categorical_hinge(one_hot, scores), [0.9 - 1.2 + 1])


# ===================================================================== gradients
@settings(deadline=None)
@given(**COMMON, from_logits=st.booleans(), smoothing=st.sampled_from([0.0, 0.2]),
       soft=st.booleans())
def test_categorical_crossentropy_gradient(batch, width, seed, reduction, weighted,
                                           from_logits, smoothing, soft):
    rng = np.random.default_rng(seed)
    classes = width + 1
    if from_logits:
        y_pred = rng.normal(size=(batch, classes)) * 3
    else:   # positive, but rows need not sum to 1: the renormalization is differentiated
        y_pred = rng.uniform(0.05, 1.0, (batch, classes))
    y = rng.uniform(0, 1, (batch, classes)) if soft else \
        np.eye(classes)[rng.integers(0, classes, batch)]
    loss = losses.CategoricalCrossentropy(from_logits=from_logits, label_smoothing=smoothing,
                                          reduction=reduction)
    assert_gradient_matches(loss, y, y_pred, weights_for(rng, batch, weighted))


@settings(deadline=None)
@given(**COMMON, from_logits=st.booleans(), ignore=st.booleans(), column=st.booleans())
def test_sparse_categorical_crossentropy_gradient(batch, width, seed, reduction, weighted,
                                                  from_logits, ignore, column):
    rng = np.random.default_rng(seed)
    classes = width + 1
    y_pred = rng.normal(size=(batch, classes)) * 3 if from_logits else \
        rng.uniform(0.05, 1.0, (batch, classes))
    labels = rng.integers(-1 if ignore else 0, classes, batch)
    loss = losses.SparseCategoricalCrossentropy(
        from_logits=from_logits, ignore_class=-1 if ignore else None, reduction=reduction)
    y = labels[:, None] if column else labels
    assert_gradient_matches(loss, y, y_pred, weights_for(rng, batch, weighted))
    if ignore:
        assert not np.any(loss.gradient(y, y_pred)[labels == -1])


@settings(deadline=None)
@given(**COMMON, from_logits=st.booleans(), smoothing=st.sampled_from([0.0, 0.1]),
       rank=st.integers(1, 3))
def test_binary_crossentropy_gradient(batch, width, seed, reduction, weighted, from_logits,
                                      smoothing, rank):
    rng = np.random.default_rng(seed)
    shape = (batch, width, 2)[:rank]
    y_pred = rng.normal(size=shape) * 3 if from_logits else rng.uniform(0.05, 0.95, shape)
    y = rng.uniform(0, 1, shape)
    loss = losses.BinaryCrossentropy(from_logits=from_logits, label_smoothing=smoothing,
                                     reduction=reduction)
    sample_weight = weights_for(rng, batch, weighted) if rank > 1 else None
    assert_gradient_matches(loss, y, y_pred, sample_weight)


def away_from(rng, shape, kink, gap, spread=2.0):
    """Offsets from ``kink`` at least ``gap`` away, on either side."""
    size = rng.uniform(gap, spread, shape)
    return kink + np.where(rng.random(shape) < 0.5, -size, size)


def regression_case(name, rng, shape):
    """``(loss, y_true, y_pred)`` with inputs in the loss's domain, away from its kinks."""
    y = rng.normal(size=shape)
    if name == "MeanSquaredError":
        return losses.MeanSquaredError, y, rng.normal(size=shape)
    if name in ("MeanAbsoluteError", "MeanAbsolutePercentageError"):
        return getattr(losses, name), y, y + away_from(rng, shape, 0.0, 0.1)
    if name == "Huber":
        delta = 0.7
        error = away_from(rng, shape, 0.0, 0.05, spread=1.5)
        error = np.where(np.abs(np.abs(error) - delta) < 0.05, error * 1.2, error)
        return (lambda **kw: losses.Huber(delta=delta, **kw)), y, y + error
    if name == "LogCosh":
        return losses.LogCosh, y, rng.normal(size=shape) * 2
    if name == "MeanSquaredLogarithmicError":
        return losses.MeanSquaredLogarithmicError, np.abs(y), rng.uniform(0.1, 3.0, shape)
    if name == "Poisson":
        return losses.Poisson, rng.poisson(2.0, shape).astype(float), \
            rng.uniform(0.1, 3.0, shape)
    if name == "KLDivergence":
        return losses.KLDivergence, rng.uniform(0.05, 1.0, shape), \
            rng.uniform(0.05, 0.95, shape)
    if name == "CosineSimilarity":
        return losses.CosineSimilarity, y, rng.normal(size=shape) + 0.5
    raise AssertionError(name)


REGRESSION = ["MeanSquaredError", "MeanAbsoluteError", "MeanAbsolutePercentageError",
              "MeanSquaredLogarithmicError", "Huber", "LogCosh", "Poisson", "KLDivergence",
              "CosineSimilarity"]


@settings(deadline=None)
@given(**COMMON, name=st.sampled_from(REGRESSION), timesteps=st.booleans())
def test_regression_and_distribution_gradients(batch, width, seed, reduction, weighted, name,
                                               timesteps):
    rng = np.random.default_rng(seed)
    shape = (batch, 3, width) if timesteps else (batch, width)
    factory, y, y_pred = regression_case(name, rng, shape)
    assert_gradient_matches(factory(reduction=reduction), y, y_pred,
                            weights_for(rng, batch, weighted))


@settings(deadline=None)
@given(**COMMON, squared=st.booleans(), zero_one=st.booleans())
def test_hinge_gradients(batch, width, seed, reduction, weighted, squared, zero_one):
    rng = np.random.default_rng(seed)
    signs = rng.choice([-1.0, 1.0], (batch, width))
    y_pred = signs * (1 - away_from(rng, (batch, width), 0.0, 0.1))   # margins away from 0
    y = (signs + 1) / 2 if zero_one else signs
    loss = (losses.SquaredHinge if squared else losses.Hinge)(reduction=reduction)
    assert_gradient_matches(loss, y, y_pred, weights_for(rng, batch, weighted))


@settings(deadline=None)
@given(**COMMON)
def test_categorical_hinge_gradient(batch, width, seed, reduction, weighted):
    rng = np.random.default_rng(seed)
    classes = width + 1
    true_class = rng.integers(0, classes, batch)
    y = np.eye(classes)[true_class]
    # Distinct wrong scores (no ties for the max) and margins away from 0.
    y_pred = np.stack([rng.permutation(classes) * 0.4 + 0.2 for _ in range(batch)])
    y_pred += y * away_from(rng, (batch, 1), 0.0, 0.15, spread=1.5)
    assert_gradient_matches(losses.CategoricalHinge(reduction=reduction), y, y_pred,
                            weights_for(rng, batch, weighted))


@pytest.mark.parametrize("make", [
    lambda: losses.CategoricalCrossentropy(axis=1),
    lambda: losses.CategoricalCrossentropy(axis=1, from_logits=True),
    lambda: losses.BinaryCrossentropy(axis=1),
    lambda: losses.CosineSimilarity(axis=1)])
def test_axis_moves_the_reduced_axis(make):
    rng = np.random.default_rng(3)
    y_pred = rng.uniform(0.1, 0.9, (2, 4, 3))
    y = np.moveaxis(np.eye(4)[rng.integers(0, 4, (2, 3))], -1, 1)     # classes on axis 1
    loss, last = make(), make()
    last.axis = -1
    assert loss(y, y_pred) == pytest.approx(last(np.moveaxis(y, 1, -1),
                                                 np.moveaxis(y_pred, 1, -1)))
    assert_gradient_matches(loss, y, y_pred)


def test_sparse_axis_keeps_the_labels_layout():
    rng = np.random.default_rng(4)
    logits = rng.normal(size=(2, 5, 3))                  # classes on axis 1
    labels = rng.integers(0, 5, (2, 3))
    loss = losses.SparseCategoricalCrossentropy(from_logits=True, axis=1)
    one_hot = np.moveaxis(np.eye(5)[labels], -1, 1)
    dense = losses.CategoricalCrossentropy(from_logits=True, axis=1)
    assert loss(labels, logits) == pytest.approx(dense(one_hot, logits))
    assert_gradient_matches(loss, labels, logits)


def test_cosine_gradient_for_a_zero_length_prediction():
    # Below length epsilon the prediction is divided by epsilon, a constant: grad = -y~/eps.
    y = np.array([[3.0, 4.0]])
    grad = losses.CosineSimilarity().gradient(y, np.array([[1e-9, 0.0]]))
    np.testing.assert_allclose(grad, -(y / 5) / 1e-7, rtol=1e-6)


def test_gradient_of_unreduced_loss_is_per_sample():
    rng = np.random.default_rng(5)
    y, y_pred = np.eye(3)[[0, 2]], rng.uniform(0.1, 1.0, (2, 3))
    rows = losses.CategoricalCrossentropy(reduction=None).gradient(y, y_pred)
    for i in range(2):
        alone = losses.CategoricalCrossentropy().gradient(y[i:i + 1], y_pred[i:i + 1])
        np.testing.assert_allclose(rows[i], alone[0], rtol=1e-12)


def test_softmax_then_cce_backpropagates_p_minus_y():
    rng = np.random.default_rng(0)
    batch, classes = 4, 5
    logits = rng.normal(size=(batch, classes))
    y = np.eye(classes)[rng.integers(0, classes, batch)]
    p = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    d_p = losses.CategoricalCrossentropy().gradient(y, p)
    # softmax Jacobian: d p_i / d z_j = p_i (delta_ij - p_j), one matrix per sample
    jacobians = np.einsum("bi,ij->bij", p, np.eye(classes)) - np.einsum("bi,bj->bij", p, p)
    d_logits = np.einsum("bij,bi->bj", jacobians, d_p)
    np.testing.assert_allclose(d_logits, (p - y) / batch, atol=1e-12)
    from_logits = losses.CategoricalCrossentropy(from_logits=True).gradient(y, logits)
    np.testing.assert_allclose(from_logits, (p - y) / batch, atol=1e-12)


def test_clipped_probabilities_get_zero_gradient():
    bce = losses.BinaryCrossentropy()
    grad = bce.gradient(np.array([[1, 0]], F), np.array([[1.0, 0.5]], F))
    assert grad.dtype == np.float32
    assert grad[0, 0] == 0 and grad[0, 1] == pytest.approx(2 / 2)    # (p - y)/(p(1-p))/K
    # The true class's probability 0 is clipped: that sample gets no gradient at all.
    probs = np.array([[0.0, 0.5, 0.5], [0.2, 0.3, 0.5]])
    for loss, y in ((losses.CategoricalCrossentropy(), np.eye(3)[[0, 1]]),
                    (losses.SparseCategoricalCrossentropy(), np.array([0, 1]))):
        grad = loss.gradient(y, probs)
        assert np.all(grad[0] == 0) and np.all(np.isfinite(grad)) and np.any(grad[1] != 0)


def test_value_and_gradient_agree_with_value_and_gradient_separately():
    rng = np.random.default_rng(7)
    y_pred = rng.normal(size=(6, 4)).astype(F)
    labels = rng.integers(0, 4, 6)
    weights = rng.uniform(0.5, 2, 6)
    loss = losses.SparseCategoricalCrossentropy(from_logits=True)
    value, grad = loss.value_and_gradient(labels, y_pred, weights)
    assert value == loss(labels, y_pred, weights)
    np.testing.assert_array_equal(grad, loss.gradient(labels, y_pred, weights))
    assert grad.dtype == np.float32 and grad.shape == y_pred.shape


# ================================================================= shapes, dtypes
def test_inputs_are_not_modified():
    y_pred = np.array([[0.2, 0.8], [0.6, 0.4]])
    y_true = np.array([[0.0, 1.0], [1.0, 0.0]])
    before = y_pred.copy(), y_true.copy()
    for loss in (losses.MeanSquaredError(), losses.CategoricalCrossentropy(),
                 losses.BinaryCrossentropy(), losses.Huber(), losses.CosineSimilarity()):
        loss.value_and_gradient(y_true, y_pred)
    np.testing.assert_array_equal(y_pred, before[0])
    np.testing.assert_array_equal(y_true, before[1])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_preserved(dtype):
    y_pred = np.array([[0.2, 0.8], [0.6, 0.4]], dtype)
    for loss in (losses.MeanSquaredError(), losses.CategoricalCrossentropy(),
                 losses.BinaryCrossentropy(from_logits=True)):
        value, grad = loss.value_and_gradient(np.eye(2), y_pred)
        assert value.dtype == dtype and grad.dtype == dtype


def test_lists_and_float16_compute_in_float32():
    value, grad = losses.MeanSquaredError().value_and_gradient([[1, 2]], [[1, 3]])
    assert value.dtype == np.float32 and grad.dtype == np.float32
    half = np.array([[0.5, 0.25]], np.float16)
    value, grad = losses.MeanSquaredError().value_and_gradient([[0, 0]], half)
    assert value.dtype == np.float32 and grad.dtype == np.float16
    backend.set_floatx("float64")
    assert losses.MeanSquaredError()([[1, 2]], [[1, 3]]).dtype == np.float64


def test_column_targets_are_not_broadcast_against_each_other():
    y, y_pred = np.array([1.0, 2.0, 3.0]), np.array([[1.0], [2.0], [5.0]])
    mse = losses.MeanSquaredError()
    assert mse(y, y_pred) == pytest.approx(4 / 3)                # not a 3 x 3 table
    assert mse.gradient(y, y_pred).shape == (3, 1)
    assert mse.gradient(y_pred, y).shape == (3,)
    np.testing.assert_allclose(mse.gradient(y_pred, y), [0, 0, 2 * -2 / 3])


def test_per_sample_weights_spread_over_timesteps():
    rng = np.random.default_rng(8)
    y, y_pred = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 3, 4))
    mse = losses.MeanSquaredError()
    per_sample = np.array([2.0, 0.5])
    assert mse(y, y_pred, per_sample) == pytest.approx(
        mse(y, y_pred, np.repeat(per_sample[:, None], 3, axis=1)))
    assert_gradient_matches(mse, y, y_pred, per_sample)


def test_bad_sample_weight_shape_is_explained():
    with pytest.raises(ValueError, match=r"mean_squared_error: sample_weight of shape \(3,\)"):
        losses.MeanSquaredError()(np.zeros((2, 2)), np.ones((2, 2)), np.ones(3))


def test_empty_batch_and_all_ignored_give_zero_not_nan():
    scce = losses.SparseCategoricalCrossentropy(ignore_class=255)
    value, grad = scce.value_and_gradient(np.array([255, 255]), np.full((2, 3), 1 / 3))
    assert value == 0 and not np.any(grad)


# =================================================================== label checks
def test_integer_labels_for_categorical_crossentropy():
    cce = losses.CategoricalCrossentropy()
    for labels in (np.array([0, 3, 9]), np.array([[0], [3], [9]])):
        with pytest.raises(ValueError) as error:
            cce.check_targets(labels, (None, 10))
        message = str(error.value)
        assert message.startswith("categorical_crossentropy")
        assert "(batch, 10)" in message and str(labels.shape) in message
        assert "sparse_categorical_crossentropy" in message
        assert "keras.utils.to_categorical(y, 10)" in message


def test_one_hot_labels_for_sparse_categorical_crossentropy():
    scce = losses.SparseCategoricalCrossentropy()
    with pytest.raises(ValueError, match=r"shape \(2, 10\): it looks one-hot.*"
                                         r"categorical_crossentropy.*argmax"):
        scce.check_targets(np.eye(10)[[0, 3]], (None, 10))
    scce.check_targets(np.array([[1], [2]]), (None, 3))          # (N, 1) labels are fine
    scce.check_targets(np.array([1, 2]), np.zeros((2, 3)))        # predictions work too


def test_labels_out_of_range():
    scce = losses.SparseCategoricalCrossentropy()
    with pytest.raises(ValueError, match=r"between 0 and 9.*contains 0\.\.10.*at least 11"):
        scce.check_targets(np.array([0, 10]), (None, 10))
    with pytest.raises(ValueError, match=r"counted from 1; use y - 1"):
        scce.check_targets(np.array([1, 2, 3]), (None, 3))
    with pytest.raises(ValueError, match=r"cannot be negative.*ignore_class=-1"):
        scce.check_targets(np.array([-1, 2]), (None, 3))
    losses.SparseCategoricalCrossentropy(ignore_class=-1).check_targets(np.array([-1, 2]),
                                                                        (None, 3))
    with pytest.raises(ValueError, match=r"non-integer values such as 0\.5"):
        scce.check_targets(np.array([0.5, 1.0]), (None, 3))
    with pytest.raises(ValueError, match=r"labels must be between 0 and 2"):
        scce(np.array([0, 3]), np.full((2, 3), 1 / 3))           # caught in the forward too


def test_one_hot_width_must_match_output_units():
    cce = losses.CategoricalCrossentropy()
    with pytest.raises(ValueError, match=r"10 output units but the one-hot targets have 4 "
                                         r"columns.*to_categorical\(labels, 10\)"):
        cce.check_targets(np.eye(4), (None, 10))
    with pytest.raises(ValueError, match=r"needs 12 units"):
        cce.check_targets(np.eye(12), (None, 10))
    cce.check_targets(np.eye(10), (None, 10))
    with pytest.warns(SyntaxWarning, match="binary_crossentropy"):
        cce.check_targets(np.array([[1.0], [0.0]]), (None, 1))


def test_binary_crossentropy_label_checks():
    bce = losses.BinaryCrossentropy()
    with pytest.raises(ValueError, match=r"binary_crossentropy expects targets in \[0, 1\].*"
                                         r"0\.\.2.*Dense\(3, activation='softmax'\)"):
        bce.check_targets(np.array([0, 2, 1]), (None, 1))
    with pytest.raises(ValueError, match=r"with 10 output units use "
                                         "loss='sparse_categorical_crossentropy'"):
        bce.check_targets(np.array([0, 7]), (None, 10))
    with pytest.raises(ValueError, match=r"-1/\+1 labels; use \(y \+ 1\) / 2"):
        bce.check_targets(np.array([-1, 1]), (None, 1))
    with pytest.raises(ValueError, match=r"outputs 2 value\(s\) per sample but y .* has 1.*"
                                         r"Dense\(1, activation='sigmoid'\)"):
        bce.check_targets(np.array([0, 1]), (None, 2))
    bce.check_targets(np.array([0, 1, 1]), (None, 1))
    bce.check_targets(np.array([[0, 1], [1, 1]]), (None, 2))


def test_nan_targets_and_regression_shapes():
    for loss in (losses.MeanSquaredError(), losses.BinaryCrossentropy(),
                 losses.SparseCategoricalCrossentropy()):
        with pytest.raises(ValueError, match=rf"{loss.name}: the targets contain NaN or inf "
                                             r"\(first at index \(1,\)"):
            loss.check_targets(np.array([0.0, np.nan]), (None, 1))
    with pytest.raises(ValueError, match=r"NaN or inf \(first at index \(0, 1\): inf\)"):
        losses.CategoricalCrossentropy().check_targets(np.array([[0, np.inf]]), (None, 2))
    mse = losses.MeanSquaredError()
    with pytest.raises(ValueError, match=r"targets have shape \(4, 2\) but the model outputs "
                                         r"\(None, 3\).*needs 2 unit"):
        mse.check_targets(np.zeros((4, 2)), (None, 3))
    with pytest.warns(UserWarning, match="broadcast"):
        mse.check_targets(np.zeros((4, 1)), (None, 3))
    mse.check_targets(np.zeros(4), (None, 1))


# ========================================================== arguments and naming
def test_bad_arguments_are_explained():
    with pytest.raises(ValueError, match=r"`reduction` must be one of.*Did you mean "
                                         "'sum_over_batch_size'"):
        losses.MeanSquaredError(reduction="sum_over_batch")
    with pytest.raises(ValueError, match=r"BinaryCrossentropy: `from_logits` must be True or "
                                         "False, got 'yes'"):
        losses.BinaryCrossentropy(from_logits="yes")
    with pytest.raises(ValueError, match=r"`label_smoothing` must be a number in \[0.0, 1.0\]"):
        losses.CategoricalCrossentropy(label_smoothing=1.5)
    with pytest.raises(ValueError, match="`axis` must be an integer"):
        losses.CategoricalCrossentropy(axis=True)
    with pytest.raises(ValueError, match="`ignore_class` must be an integer label"):
        losses.SparseCategoricalCrossentropy(ignore_class="void")
    with pytest.raises(ValueError, match="`delta` must be a number"):
        losses.Huber(delta=-1)


def test_has_kinks_marks_the_losses_with_jumping_derivatives():
    kinked = {name for name in losses.__all__
              if isinstance(getattr(losses, name), type) and getattr(losses, name).has_kinks}
    assert kinked == {"MeanAbsoluteError", "MeanAbsolutePercentageError", "Huber", "Hinge",
                      "SquaredHinge", "CategoricalHinge"}


def test_keras_default_names():
    assert losses.MeanSquaredError().name == "mean_squared_error"
    assert losses.Huber().name == "huber_loss"
    assert losses.CosineSimilarity().name == "cosine_similarity"
    assert losses.SparseCategoricalCrossentropy().name == "sparse_categorical_crossentropy"

    class MyLoss(losses.Loss):
        def call(self, y_true, y_pred):
            return np.abs(y_true - y_pred).sum(-1)

    assert [MyLoss().name, MyLoss().name] == ["my_loss", "my_loss_1"]


def test_keras_style_subclass_needs_a_backward_for_gradients():
    class SumOfSquares(losses.Loss):
        def call(self, y_true, y_pred):
            return np.sum((y_pred - y_true) ** 2, axis=-1)

    loss = SumOfSquares(reduction="sum")
    assert loss(np.zeros((2, 2)), np.ones((2, 2))) == 4
    with pytest.raises(NotImplementedError, match=r"SumOfSquares.*backward\(self, cache\)"):
        loss.gradient(np.zeros((2, 2)), np.ones((2, 2)))
    SumOfSquares.backward = lambda self, cache: 2 * (cache[1] - cache[0])
    assert_gradient_matches(loss, np.zeros((2, 2)), np.arange(4.0).reshape(2, 2))
    with pytest.raises(NotImplementedError, match=r"must define call"):
        losses.Loss()(np.zeros(2), np.zeros(2))


def test_plain_function_wrapper_has_values_but_no_gradient():
    def squared(y_true, y_pred):
        return np.mean((y_true - y_pred) ** 2, axis=-1)

    loss = losses.get(squared)
    assert isinstance(loss, losses.LossFunctionWrapper) and loss.name == "squared"
    assert loss(np.zeros((2, 2)), np.ones((2, 2))) == pytest.approx(1.0)
    with pytest.raises(NotImplementedError, match=r"'squared' is computed with plain NumPy.*"
                                                  r"keras\.ops.*subclass keras.losses.Loss"):
        loss.value_and_gradient(np.zeros((2, 2)), np.ones((2, 2)))
    assert losses.get(lambda y, p: y - p).name == "loss_function_wrapper"


# ======================================================================= registry
@pytest.mark.parametrize("identifier, cls", [
    ("mse", losses.MeanSquaredError), ("MAE", losses.MeanAbsoluteError),
    ("mape", losses.MeanAbsolutePercentageError), ("msle", losses.MeanSquaredLogarithmicError),
    ("kld", losses.KLDivergence), ("BCE", losses.BinaryCrossentropy),
    ("huber", losses.Huber), ("log_cosh", losses.LogCosh),
    ("categorical_crossentropy", losses.CategoricalCrossentropy),
    ("sparse_categorical_crossentropy", losses.SparseCategoricalCrossentropy),
    ("cosine_similarity", losses.CosineSimilarity), ("poisson", losses.Poisson),
    ("hinge", losses.Hinge), ("squared_hinge", losses.SquaredHinge),
    ("categorical_hinge", losses.CategoricalHinge)])
def test_get_function_names_take_the_identifier_as_name(identifier, cls):
    loss = losses.get(identifier)
    assert type(loss) is cls and loss.name == identifier


def test_get_other_identifiers():
    assert losses.get("CategoricalCrossentropy").name == "categorical_crossentropy"
    instance = losses.Huber(delta=2.0)
    assert losses.get(instance) is instance and losses.get(None) is None
    assert isinstance(losses.get(losses.Poisson), losses.Poisson)
    from_function = losses.get(losses.binary_crossentropy)
    assert type(from_function) is losses.BinaryCrossentropy
    assert losses.get(losses.mse).name == "mean_squared_error"
    assert losses.get(losses.serialize(instance)).delta == 2.0
    with pytest.raises(ValueError, match="Could not interpret loss identifier 3"):
        losses.get(3)


def test_unknown_names_suggest_the_closest():
    with pytest.raises(ValueError, match="Unknown loss 'binary_crossentropi'. Did you mean "
                                         "'binary_crossentropy'"):
        losses.get("binary_crossentropi")
    for name in ("crossentropy", "ce", "huber_loss", "logcosh"):    # not names, as in Keras
        with pytest.raises(ValueError, match=f"Unknown loss '{name}'"):
            losses.get(name)
    with pytest.raises(ValueError, match="picks binary, categorical or sparse"):
        losses.get("crossentropy")


ALL_LOSSES = [
    losses.MeanSquaredError(reduction="sum", name="custom"),
    losses.MeanAbsoluteError(), losses.MeanAbsolutePercentageError(),
    losses.MeanSquaredLogarithmicError(), losses.Huber(delta=0.5), losses.LogCosh(),
    losses.Hinge(), losses.SquaredHinge(), losses.CategoricalHinge(), losses.KLDivergence(),
    losses.Poisson(), losses.CosineSimilarity(axis=1),
    losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.2),
    losses.CategoricalCrossentropy(label_smoothing=0.1, axis=1),
    losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=255, reduction=None)]


@pytest.mark.parametrize("loss", ALL_LOSSES, ids=lambda loss: type(loss).__name__)
def test_serialize_round_trip(loss):
    config = losses.serialize(loss)
    assert config["module"] == "keras.losses" and config["class_name"] == type(loss).__name__
    clone = losses.deserialize(config)
    assert type(clone) is type(loss) and clone.get_config() == loss.get_config()


def test_configs_have_keras_keys():
    assert losses.MeanSquaredError().get_config() == {"name": "mean_squared_error",
                                                      "reduction": "sum_over_batch_size"}
    assert losses.SparseCategoricalCrossentropy().get_config() == {
        "name": "sparse_categorical_crossentropy", "reduction": "sum_over_batch_size",
        "from_logits": False, "ignore_class": None, "axis": -1}
    assert set(losses.BinaryCrossentropy().get_config()) == {
        "name", "reduction", "from_logits", "label_smoothing", "axis"}
    assert losses.Huber().get_config()["delta"] == 1.0


def test_deserialize_functions_wrappers_and_custom_objects():
    assert losses.serialize(losses.mae)["config"] == "mean_absolute_error"
    assert isinstance(losses.deserialize(losses.serialize(losses.mae)),
                      losses.MeanAbsoluteError)

    def doubled(y_true, y_pred):
        return 2 * np.mean(np.abs(y_true - y_pred), axis=-1)

    config = losses.serialize(losses.LossFunctionWrapper(doubled))
    with pytest.raises(ValueError, match="custom_objects"):
        losses.deserialize(config)
    assert losses.deserialize(config, custom_objects={"doubled": doubled}).fn is doubled
    with pytest.raises(ValueError, match="unknown loss class 'MeanSquaredEror'.*Did you mean"):
        losses.deserialize({"class_name": "MeanSquaredEror", "config": {}})


def test_resolve_crossentropy_by_shapes():
    assert losses.resolve_crossentropy((8,), (None, 3)) == "sparse_categorical_crossentropy"
    assert losses.resolve_crossentropy((8, 1), (None, 3)) == "sparse_categorical_crossentropy"
    assert losses.resolve_crossentropy((8, 3), (None, 3)) == "categorical_crossentropy"
    assert losses.resolve_crossentropy((8,), (None, 1)) == "binary_crossentropy"
    assert losses.resolve_crossentropy(np.zeros((8, 1)), np.zeros((8, 1))) == \
        "binary_crossentropy"


def test_functions_and_aliases_return_per_sample_values():
    y, p = np.eye(3, dtype=F), CCE_PROBS
    np.testing.assert_array_equal(losses.categorical_crossentropy(y, p),
                                  losses.CategoricalCrossentropy(reduction=None)(y, p))
    np.testing.assert_allclose(losses.sparse_categorical_crossentropy([0, 1, 2], CCE_LOGITS,
                                                                      from_logits=True),
                               [0.001822, 0.000459, 0.169846], rtol=1e-3)
    assert losses.binary_crossentropy(y, p).shape == (3,)
    assert losses.mse is losses.MSE is losses.mean_squared_error
    assert losses.bce is losses.BCE is losses.binary_crossentropy
    np.testing.assert_allclose(losses.mae(MSE_TRUE, MSE_PRED), [14 / 3, 19 / 3], rtol=1e-6)


# ============================================================ focal, Dice, Tversky
# Golden numbers from Keras 3.15.1's losses_test.py (BinaryFocalCrossentropyTest,
# CategoricalFocalCrossentropyTest, DiceTest, TverskyTest) and the class docstrings.
# Keras checks most of them to 3 decimals (assertAlmostEqual(..., 3)); so do we.
BFC_TRUE = np.array([[1, 0], [1, 0]])
BFC_PROBS = np.array([[0.9, 0.8], [0.7, 0.2]], F)
BFC_LABELS = np.array([[1, 1, 0], [0, 1, 0]], F)
BFC_LOGITS = np.array([[1.5, -2.7, 2.9], [-3.8, 1.2, -4.5]])


def test_binary_focal_crossentropy_golden_numbers():
    focal = losses.BinaryFocalCrossentropy(gamma=2.0)
    assert focal(BFC_TRUE, BFC_PROBS) == pytest.approx(0.268, abs=5e-4)
    assert focal(BFC_TRUE, BFC_PROBS, sample_weight=1.23) == pytest.approx(0.3296, abs=5e-4)
    assert focal(BFC_TRUE, BFC_PROBS, np.array([[1.2], [3.4]])) == \
        pytest.approx(0.34415, abs=5e-4)
    unreduced = losses.BinaryFocalCrossentropy(gamma=2.0, reduction=None)(BFC_TRUE, BFC_PROBS)
    np.testing.assert_allclose(unreduced, [0.515547, 0.020513], rtol=1e-4)
    logits = losses.BinaryFocalCrossentropy(gamma=3.0, from_logits=True)
    assert logits(BFC_LABELS, BFC_LOGITS) == pytest.approx(0.799, abs=5e-4)
    assert logits(BFC_LABELS, BFC_LOGITS, sample_weight=3.21) == pytest.approx(2.565, abs=5e-4)
    assert logits(BFC_LABELS, BFC_LOGITS, np.array([[1.2], [3.4]])) == \
        pytest.approx(0.95977, abs=5e-4)
    one_hot = np.eye(3, dtype=F)
    assert losses.BinaryFocalCrossentropy(gamma=1.5)(one_hot, one_hot) == \
        pytest.approx(0.0, abs=1e-3)
    assert losses.BinaryFocalCrossentropy(from_logits=True)(
        one_hot, np.where(one_hot > 0, 100.0, -100.0)) == pytest.approx(0.0, abs=1e-3)


def test_binary_focal_crossentropy_class_balancing_docstring_numbers():
    y, scores = np.array([0, 1, 0, 0]), np.array([-18.6, 0.51, 2.94, -12.8])
    plain = losses.BinaryFocalCrossentropy(gamma=2, from_logits=True)
    balanced = losses.BinaryFocalCrossentropy(apply_class_balancing=True, gamma=2,
                                              from_logits=True)
    assert plain(y, scores) == pytest.approx(0.691, abs=5e-4)
    assert balanced(y, scores) == pytest.approx(0.51, abs=5e-3)
    y2, scores2 = y.reshape(2, 2), scores.reshape(2, 2)
    for gamma, apply, expected in [(3, False, 0.647), (3, True, 0.482)]:
        loss = losses.BinaryFocalCrossentropy(apply, gamma=gamma, from_logits=True)
        assert loss(y2, scores2) == pytest.approx(expected, abs=5e-4)
    weighted = losses.BinaryFocalCrossentropy(gamma=3, from_logits=True)
    assert weighted(y2, scores2, sample_weight=[0.8, 0.2]) == pytest.approx(0.133, abs=5e-4)
    summed = losses.BinaryFocalCrossentropy(True, gamma=4, from_logits=True, reduction="sum")
    assert summed(y2, scores2) == pytest.approx(0.914, abs=5e-4)
    np.testing.assert_allclose(
        losses.binary_focal_crossentropy(y2, scores2, True, gamma=5, from_logits=True),
        [0.0004, 0.8670], atol=1e-4)     # the docstring prints 4 decimals


def test_binary_focal_with_gamma_zero_is_binary_crossentropy():
    y = np.array([[1.0, 0.0, 0.3], [0.0, 1.0, 0.8]])
    p = np.array([[0.9, 0.2, 0.5], [0.4, 0.6, 0.99]])
    focal = losses.BinaryFocalCrossentropy(gamma=0.0, label_smoothing=0.1)
    plain = losses.BinaryCrossentropy(label_smoothing=0.1)
    assert focal(y, p) == pytest.approx(plain(y, p), rel=1e-12)
    np.testing.assert_allclose(focal.gradient(y, p), plain.gradient(y, p), rtol=1e-10)


CFC_PROBS = np.array([[0.9, 0.05, 0.05], [0.5, 0.89, 0.6], [0.05, 0.01, 0.94]], F)
CFC_LOGITS = np.array([[8.0, 1.0, 1.0], [0.0, 9.0, 1.0], [2.0, 3.0, 5.0]])


def test_categorical_focal_crossentropy_golden_numbers():
    y = np.eye(3, dtype=np.int64)
    focal, logits = (losses.CategoricalFocalCrossentropy(),
                     losses.CategoricalFocalCrossentropy(from_logits=True))
    assert focal(y, np.eye(3, dtype=F)) == pytest.approx(0.0, abs=1e-3)
    assert logits(y, 10 * np.eye(3)) == pytest.approx(0.0, abs=1e-3)
    assert focal(y, CFC_PROBS) == pytest.approx(0.02059, abs=5e-4)
    assert logits(y, CFC_LOGITS) == pytest.approx(0.000345, abs=5e-4)
    assert focal(y, CFC_PROBS, sample_weight=2.3) == pytest.approx(0.047368, abs=5e-4)
    assert logits(y, CFC_LOGITS, sample_weight=2.3) == pytest.approx(0.000794, abs=5e-5)
    column = np.array([[1.2], [3.4], [5.6]])
    assert focal(y, CFC_PROBS, column) == pytest.approx(0.06987, abs=5e-4)
    assert logits(y, CFC_LOGITS, column) == pytest.approx(0.001933, abs=5e-4)
    unreduced = losses.CategoricalFocalCrossentropy(from_logits=True, reduction=None)
    np.testing.assert_allclose(unreduced(y, CFC_LOGITS),
                               [1.5096224e-09, 2.4136547e-11, 1.0360638e-03],
                               rtol=1e-5, atol=1e-12)
    smoothed = losses.CategoricalFocalCrossentropy(from_logits=True, label_smoothing=0.1)
    assert smoothed([[1, 0, 0]], np.array([[4.9, -0.5, 2.05]])) == \
        pytest.approx(0.06685, abs=5e-4)
    np.testing.assert_allclose(
        losses.categorical_focal_crossentropy([[0, 1, 0], [0, 0, 1]],
                                              [[0.05, 0.95, 0], [0.1, 0.8, 0.1]]),
        [3.2058331e-05, 4.6627346e-01], rtol=1e-5)


def test_categorical_focal_alpha_per_class_and_gamma_zero():
    y = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    p = np.array([[0.5, 0.3, 0.2], [0.1, 0.3, 0.7]])    # second row sums to 1.1
    plain = losses.CategoricalCrossentropy(reduction=None)
    focal = losses.CategoricalFocalCrossentropy(alpha=[2.0, 1.0, 0.5], gamma=0.0,
                                                reduction=None)
    np.testing.assert_allclose(focal(y, p), plain(y, p) * [2.0, 0.5], rtol=1e-12)
    assert focal.get_config()["alpha"] == [2.0, 1.0, 0.5]
    with pytest.raises(ValueError, match="`alpha` has 3 class weights but y_pred has 2"):
        focal(np.eye(2), np.full((2, 2), 0.5))


@settings(deadline=None, max_examples=20)
@given(**COMMON, from_logits=st.booleans(), balance=st.booleans(),
       gamma=st.sampled_from([0.0, 1.0, 2.0, 2.5]), smoothing=st.sampled_from([0.0, 0.1]),
       rank=st.integers(1, 3))
def test_binary_focal_crossentropy_gradient(batch, width, seed, reduction, weighted,
                                            from_logits, balance, gamma, smoothing, rank):
    rng = np.random.default_rng(seed)
    shape = (batch, width, 2)[:rank]
    # probabilities away from the clip edges, and logits whose sigmoid is too: the focal
    # loss goes through sigma(x), so log(1 - sigma(x)) would lose digits for large x
    y_pred = rng.uniform(-3, 3, shape) if from_logits else rng.uniform(0.05, 0.95, shape)
    y = rng.integers(0, 2, shape).astype(float) if rng.random() < 0.5 else \
        rng.uniform(0, 1, shape)
    loss = losses.BinaryFocalCrossentropy(balance, 0.3, gamma, from_logits, smoothing,
                                          reduction=reduction)
    sample_weight = weights_for(rng, batch, weighted) if rank > 1 else None
    gradcheck.check_loss(loss, y, y_pred, sample_weight).assert_ok()
    assert_gradient_matches(loss, y, y_pred, sample_weight)


@settings(deadline=None, max_examples=20)
@given(**COMMON, from_logits=st.booleans(), per_class=st.booleans(),
       gamma=st.sampled_from([0.0, 1.0, 2.0, 2.5]), smoothing=st.sampled_from([0.0, 0.2]),
       soft=st.booleans())
def test_categorical_focal_crossentropy_gradient(batch, width, seed, reduction, weighted,
                                                 from_logits, per_class, gamma, smoothing,
                                                 soft):
    rng = np.random.default_rng(seed)
    classes = width + 1
    if from_logits:   # moderate scores: the loss goes through softmax probabilities,
        y_pred = rng.uniform(-2, 2, (batch, classes))   # and log(q ~ 1) loses digits
    else:   # positive rows that need not sum to 1: the renormalization is differentiated
        y_pred = rng.uniform(0.05, 1.0, (batch, classes))
    y = rng.uniform(0, 1, (batch, classes)) if soft else \
        np.eye(classes)[rng.integers(0, classes, batch)]
    alpha = rng.uniform(0.1, 2.0, classes).tolist() if per_class else 0.25
    loss = losses.CategoricalFocalCrossentropy(alpha, gamma, from_logits, smoothing,
                                               reduction=reduction)
    sample_weight = weights_for(rng, batch, weighted)
    gradcheck.check_loss(loss, y, y_pred, sample_weight).assert_ok()
    assert_gradient_matches(loss, y, y_pred, sample_weight)


def test_focal_axis_moves_the_class_axis():
    rng = np.random.default_rng(3)
    y, p = np.eye(3)[[0, 2, 1, 1]], rng.uniform(0.1, 0.9, (4, 3))
    for make in (losses.BinaryFocalCrossentropy, losses.CategoricalFocalCrossentropy):
        last, first = make(reduction=None), make(axis=0, reduction=None)
        np.testing.assert_allclose(first(y.T, p.T), last(y, p), rtol=1e-12)
        np.testing.assert_allclose(first.gradient(y.T, p.T), last.gradient(y, p).T,
                                   rtol=1e-12)


SEG_TRUE = np.array([[1, 0, 1, 0], [0, 1, 0, 1], [1, 0, 1, 0], [0, 1, 0, 1]])
SEG_PRED = np.array([[0, 1, 0, 1], [1, 0, 1, 1], [0, 1, 0, 1], [1, 0, 1, 1]])
IMG_TRUE = np.array([[[[1.0], [1.0]], [[0.0], [0.0]]], [[[1.0], [1.0]], [[0.0], [0.0]]]])
IMG_PRED = np.array([[[[0.0], [1.0]], [[0.0], [1.0]]], [[[0.4], [0.0]], [[0.0], [0.9]]]])


def test_dice_golden_numbers():
    assert losses.Dice()(np.array([[1, 2], [1, 2]]), np.array([[4, 1], [6, 1]])) == \
        pytest.approx(-0.55555546, rel=1e-6)
    assert losses.Dice()(SEG_TRUE, SEG_PRED) == pytest.approx(0.77777773, rel=1e-6)
    per_image = losses.Dice(axis=(1, 2, 3), reduction=None)(IMG_TRUE, IMG_PRED)
    np.testing.assert_allclose(per_image, [0.5, 0.75757575], rtol=1e-6)
    whole = losses.dice(IMG_TRUE, IMG_PRED)
    assert np.shape(whole) == () and float(whole) == pytest.approx(0.6164384, rel=1e-6)
    assert losses.Dice(axis=(1, 2, 3))(IMG_TRUE, IMG_PRED) == \
        pytest.approx((0.5 + 0.75757575) / 2, rel=1e-6)


def test_tversky_golden_numbers():
    two, pred = np.array([[1, 2], [1, 2]]), np.array([[4, 1], [6, 1]])
    assert losses.Tversky()(two, pred) == pytest.approx(-0.55555546, rel=1e-6)
    assert losses.Tversky(alpha=0.2, beta=0.8)(two, pred) == pytest.approx(-0.29629636,
                                                                            rel=1e-6)
    assert losses.Tversky()(SEG_TRUE, SEG_PRED) == pytest.approx(0.77777773, rel=1e-6)
    assert losses.Tversky(alpha=0.2, beta=0.8)(SEG_TRUE, SEG_PRED) == \
        pytest.approx(0.7916667, rel=1e-6)
    np.testing.assert_allclose(losses.Tversky(axis=(1, 2, 3), reduction=None)(
        IMG_TRUE, IMG_PRED), [0.5, 0.75757575], rtol=1e-6)
    np.testing.assert_allclose(losses.tversky(IMG_TRUE, IMG_PRED, 0.2, 0.8, axis=(1, 2, 3)),
                               [0.5, 0.7222222], rtol=1e-6)


@settings(deadline=None, max_examples=20)
@given(batch=st.integers(1, 3), seed=st.integers(0, 10_000),
       axis=st.sampled_from([None, -1, 0, (1, 2), (1, 2, 3)]),
       reduction=st.sampled_from(REDUCTIONS), tversky=st.booleans(),
       alpha=st.floats(0.1, 1.0), beta=st.floats(0.1, 1.0))
def test_dice_and_tversky_gradients(batch, seed, axis, reduction, tversky, alpha, beta):
    # (alpha = beta = 0 leaves 1 - I / (I + eps): a gradient of order eps, all round-off)
    rng = np.random.default_rng(seed)
    shape = (batch, 3, 2, 1)
    y, y_pred = rng.integers(0, 2, shape).astype(float), rng.uniform(0.0, 1.0, shape)
    loss = losses.Tversky(alpha, beta, reduction=reduction, axis=axis) if tversky else \
        losses.Dice(reduction=reduction, axis=axis)
    gradcheck.check_loss(loss, y, y_pred).assert_ok()
    assert_gradient_matches(loss, y, y_pred)


def test_tversky_with_halves_is_dice():
    rng = np.random.default_rng(7)
    y, p = rng.integers(0, 2, (3, 5)).astype(float), rng.uniform(0, 1, (3, 5))
    dice, tversky = losses.Dice(axis=1), losses.Tversky(axis=1)
    assert dice(y, p) == pytest.approx(tversky(y, p), rel=1e-6)
    np.testing.assert_allclose(dice.gradient(y, p), tversky.gradient(y, p), rtol=1e-5)


def test_focal_and_overlap_arguments_are_checked():
    with pytest.raises(ValueError, match="BinaryFocalCrossentropy: `gamma` must be a number "
                                         r"in \[0.0, inf\]"):
        losses.BinaryFocalCrossentropy(gamma=-1)
    with pytest.raises(ValueError, match="`alpha` must be a number in"):
        losses.BinaryFocalCrossentropy(alpha=1.5)
    with pytest.raises(ValueError, match="`apply_class_balancing` must be True or False"):
        losses.BinaryFocalCrossentropy(apply_class_balancing="yes")
    with pytest.raises(ValueError, match=r"Dice: `axis` must be None, an integer or a tuple"):
        losses.Dice(axis="channels")
    with pytest.raises(ValueError, match=r"axis=\(1, 5\) does not exist for inputs of rank "
                                         "2"):
        losses.Tversky(axis=(1, 5))(np.ones((2, 2)), np.ones((2, 2)))
    with pytest.raises(ValueError, match=r"y_true has shape \(2, 3\) but y_pred has shape "
                                         r"\(2, 2\)"):
        losses.Dice()(np.ones((2, 3)), np.ones((2, 2)))
    with pytest.raises(ValueError, match="one-hot targets of shape"):
        losses.CategoricalFocalCrossentropy().check_targets(np.array([0, 2, 1]), (None, 3))
    with pytest.raises(ValueError, match=r"expects targets in \[0, 1\]"):
        losses.BinaryFocalCrossentropy().check_targets(np.array([0, 2, 1]), (None, 1))


@pytest.mark.parametrize("identifier, cls", [
    ("binary_focal_crossentropy", losses.BinaryFocalCrossentropy),
    ("categorical_focal_crossentropy", losses.CategoricalFocalCrossentropy),
    ("dice", losses.Dice), ("tversky", losses.Tversky)])
def test_focal_and_overlap_names(identifier, cls):
    loss = losses.get(identifier)
    assert type(loss) is cls and loss.name == identifier
    assert type(losses.get(cls.__name__)) is cls and cls().name == identifier
    assert identifier in losses.__all__ and cls.__name__ in losses.__all__
    assert type(losses.get(getattr(losses, identifier))) is cls
    assert not cls.has_kinks


@pytest.mark.parametrize("loss", [
    losses.BinaryFocalCrossentropy(True, 0.4, 3.0, True, 0.1, name="bfce"),
    losses.CategoricalFocalCrossentropy(alpha=[0.1, 0.9], gamma=1.0, name="cfce"),
    losses.Dice(name="mydice", axis=(1, 2)),
    losses.Tversky(alpha=0.2, beta=0.8, name="mytversky", reduction="sum")],
    ids=lambda loss: type(loss).__name__)
def test_focal_and_overlap_round_trip(loss):
    clone = losses.deserialize(losses.serialize(loss))
    assert type(clone) is type(loss) and clone.get_config() == loss.get_config()


def test_focal_and_overlap_configs_have_keras_keys():
    assert losses.BinaryFocalCrossentropy().get_config() == {
        "name": "binary_focal_crossentropy", "reduction": "sum_over_batch_size",
        "from_logits": False, "label_smoothing": 0.0, "axis": -1,
        "apply_class_balancing": False, "alpha": 0.25, "gamma": 2.0}
    assert set(losses.CategoricalFocalCrossentropy().get_config()) == {
        "name", "reduction", "from_logits", "label_smoothing", "axis", "alpha", "gamma"}
    assert losses.Dice().get_config() == {"name": "dice", "reduction": "sum_over_batch_size",
                                          "axis": None}
    assert losses.Tversky().get_config() == {"name": "tversky",
                                             "reduction": "sum_over_batch_size",
                                             "axis": None, "alpha": 0.5, "beta": 0.5}


@pytest.mark.parametrize("loss", [
    losses.BinaryFocalCrossentropy(apply_class_balancing=True),
    losses.BinaryFocalCrossentropy(from_logits=True),
    losses.CategoricalFocalCrossentropy(), losses.CategoricalFocalCrossentropy(from_logits=True),
    losses.Dice(axis=1), losses.Tversky(alpha=0.3, beta=0.7)],
    ids=lambda loss: f"{type(loss).__name__}-{getattr(loss, 'from_logits', '')}")
def test_focal_and_overlap_leave_inputs_alone_and_keep_float32(loss):
    y = np.eye(3, dtype=F)[[0, 2, 1, 1]]
    p = np.array([[0.7, 0.2, 0.1], [0.3, 0.3, 0.4], [0.1, 0.8, 0.1], [0.5, 0.4, 0.1]], F)
    y_copy, p_copy = y.copy(), p.copy()
    value, grad = loss.value_and_gradient(y, p)
    np.testing.assert_array_equal(y, y_copy)
    np.testing.assert_array_equal(p, p_copy)
    assert np.asarray(value).dtype == np.float32 and grad.dtype == np.float32
    assert grad.shape == p.shape and np.all(np.isfinite(grad)) and np.any(grad != 0)


def test_a_loss_written_with_ops_trains_like_the_built_in_one():
    from kerastutor import ops

    def my_mse(y_true, y_pred):
        return ops.mean(ops.square(y_true - y_pred), axis=-1)

    def rmse(y_true, y_pred):                       # one number for the batch
        return ops.sqrt(ops.mean(ops.square(y_true - y_pred)))

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(16, 3)).astype("float32"), rng.normal(size=(16, 1))

    def run(loss):
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="tanh"),
                                  keras.layers.Dense(1)])
        model.compile(keras.optimizers.SGD(0.1), loss)
        return model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)

    np.testing.assert_allclose(run(my_mse).history["loss"], run("mse").history["loss"],
                               rtol=1e-6)
    assert run(rmse).history["loss"][1] < run(rmse).history["loss"][0]
    for fn in (my_mse, rmse):
        assert gradcheck.check_loss(losses.LossFunctionWrapper(fn), y, rng.normal(size=(16, 1)),
                                    ).passed


def test_a_metric_written_with_ops_reports_values():
    from kerastutor import metrics, ops

    def mean_error(y_true, y_pred):
        return ops.mean(ops.abs(y_true - y_pred), axis=-1)

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(
        1, kernel_initializer="zeros")])
    model.compile("sgd", "mse", metrics=[mean_error])
    logs = model.evaluate(np.ones((4, 2)), np.full((4, 1), 3.0), verbose=0, return_dict=True)
    assert logs["mean_error"] == pytest.approx(3.0)
    assert isinstance(metrics.get(mean_error), metrics.MeanMetricWrapper)
