"""The Loss pipeline every loss shares: reductions, weights, axes, dtypes, arguments, subclasses."""
import numpy as np
import pytest

from kerastutor import backend, gradcheck, losses
from loss_cases import F, MSE_PRED, MSE_TRUE


# ================================================ reductions and weights
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


def test_gradient_of_unreduced_loss_is_per_sample():
    rng = np.random.default_rng(5)
    y, y_pred = np.eye(3)[[0, 2]], rng.uniform(0.1, 1.0, (2, 3))
    rows = losses.CategoricalCrossentropy(reduction=None).gradient(y, y_pred)
    for i in range(2):
        alone = losses.CategoricalCrossentropy().gradient(y[i:i + 1], y_pred[i:i + 1])
        np.testing.assert_allclose(rows[i], alone[0], rtol=1e-12)


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


def test_per_sample_weights_spread_over_timesteps():
    rng = np.random.default_rng(8)
    y, y_pred = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 3, 4))
    mse = losses.MeanSquaredError()
    per_sample = np.array([2.0, 0.5])
    assert mse(y, y_pred, per_sample) == pytest.approx(
        mse(y, y_pred, np.repeat(per_sample[:, None], 3, axis=1)))
    gradcheck.assert_gradients_ok(mse, y, y_pred, per_sample)


def test_bad_sample_weight_shape_is_explained():
    with pytest.raises(ValueError, match=r"mean_squared_error: sample_weight of shape \(3,\)"):
        losses.MeanSquaredError()(np.zeros((2, 2)), np.ones((2, 2)), np.ones(3))


def test_empty_batch_and_all_ignored_give_zero_not_nan():
    scce = losses.SparseCategoricalCrossentropy(ignore_class=255)
    value, grad = scce.value_and_gradient(np.array([255, 255]), np.full((2, 3), 1 / 3))
    assert value == 0 and not np.any(grad)


# ======================================================== shapes, dtypes
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
    gradcheck.assert_gradients_ok(loss, y, y_pred)


def test_inputs_are_not_modified():
    y_pred = np.array([[0.2, 0.8], [0.6, 0.4]])
    y_true = np.array([[0.0, 1.0], [1.0, 0.0]])
    before = y_pred.copy(), y_true.copy()
    for loss in (losses.MeanSquaredError(), losses.CategoricalCrossentropy(),
                 losses.BinaryCrossentropy(), losses.Huber(), losses.CosineSimilarity()):
        loss.value_and_gradient(y_true, y_pred)
    np.testing.assert_array_equal(y_pred, before[0])
    np.testing.assert_array_equal(y_true, before[1])


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


# ============================================== arguments and subclasses
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


def test_keras_style_subclass_with_raw_numpy_needs_ops_or_a_backward_for_gradients():
    class SumOfSquares(losses.Loss):
        def call(self, y_true, y_pred):
            return np.sum((y_pred - y_true) ** 2, axis=-1)

    loss = SumOfSquares(reduction="sum")
    assert loss(np.zeros((2, 2)), np.ones((2, 2))) == 4
    with pytest.raises(TypeError, match=r"'sum_of_squares'.*np\.sum.*keras\.ops\.sum.*backward"):
        loss.gradient(np.zeros((2, 2)), np.ones((2, 2)))
    SumOfSquares.backward = lambda self, cache: 2 * (cache[1] - cache[0])
    gradcheck.assert_gradients_ok(loss, np.zeros((2, 2)), np.arange(4.0).reshape(2, 2))
    with pytest.raises(NotImplementedError, match=r"must define call"):
        losses.Loss()(np.zeros(2), np.zeros(2))
