"""Tests for kerastutor.gradcheck, run against small stand-in layers, losses and models.

The stand-ins follow the interfaces the real objects implement (forward -> (y, cache),
backward adds into Weight.grad), so these tests do not depend on the layer modules.
Each wrong stand-in carries one classic bug: a forgotten transpose, a factor 2, a
missing derivative term.
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kerastutor import backend
from kerastutor import gradcheck as gc
from kerastutor.weight import Weight
from strategies import SEEDS


# ----------------------------------------------------------------------------------------
# Stand-ins
# ----------------------------------------------------------------------------------------
class Linear:
    """y = x W + b, correct backward. Unbuilt until build() or a check builds it."""

    has_kinks = False

    def __init__(self, units, name="linear", seed=0):
        self.units, self.name, self.seed = units, name, seed
        self.built = False
        self.weights = []

    def build(self, input_shape):
        rng = np.random.default_rng(self.seed)
        n_in = input_shape[-1]
        self.kernel = Weight(rng.normal(size=(n_in, self.units)).astype(np.float32),
                             "kernel", path=f"{self.name}/kernel")
        self.bias = Weight(rng.normal(size=(self.units,)).astype(np.float32), "bias",
                           path=f"{self.name}/bias")
        self.weights = [self.kernel, self.bias]
        self.built = True

    def forward(self, x, training=False):
        return x @ self.kernel.value + self.bias.value, x

    def backward(self, x, grad_out):
        self.kernel.grad += x.T @ grad_out
        self.bias.grad += grad_out.sum(axis=0)
        return grad_out @ self.kernel.value.T


class LinearForgetsTranspose(Linear):
    """Bug: dL/dx = delta W instead of delta W^T (silent for a square kernel)."""

    def backward(self, x, grad_out):
        self.kernel.grad += x.T @ grad_out
        self.bias.grad += grad_out.sum(axis=0)
        return grad_out @ self.kernel.value


class LinearDoubleBias(Linear):
    """Bug: dL/db = 2 * sum(delta)."""

    def backward(self, x, grad_out):
        grad_in = super().backward(x, grad_out)
        self.bias.grad += grad_out.sum(axis=0)
        return grad_in


def built(layer, n_in):
    layer.build((None, n_in))
    return layer


class Tanh:
    """Activation object: forward(x) -> (y, cache), backward(cache, g)."""

    def forward(self, x):
        y = np.tanh(x)
        return y, y

    def backward(self, y, grad):
        return grad * (1.0 - y * y)


class TanhForgetsSquare(Tanh):
    def backward(self, y, grad):
        return grad * (1.0 - y)


class ReLU:
    has_kinks = True

    def forward(self, x):
        return np.maximum(x, 0.0), x > 0

    def backward(self, mask, grad):
        return grad * mask


class MeanSquaredError:
    """L = mean((p - t)^2), dL/dp = 2 (p - t) / N."""

    def value(self, y_true, y_pred):
        return np.mean((y_pred - y_true) ** 2)

    def gradient(self, y_true, y_pred):
        return 2.0 * (y_pred - y_true) / y_pred.size


class MeanSquaredErrorNoMean(MeanSquaredError):
    """Bug: forgets to divide by N in the gradient."""

    def gradient(self, y_true, y_pred):
        return 2.0 * (y_pred - y_true)


class TwoLayerModel:
    """Linear -> tanh -> Linear, with a tape of caches like Model.forward."""

    def __init__(self, n_in=3, hidden=4, n_out=2):
        self.name = "two_layer"
        self.built = True
        self.first = built(Linear(hidden, "dense", seed=1), n_in)
        self.second = built(Linear(n_out, "dense_1", seed=2), hidden)
        self.layers = [self.first, self.second]
        self.activation = Tanh()

    @property
    def weights(self):
        return self.first.weights + self.second.weights

    def forward(self, x, training=False):
        z, cache1 = self.first.forward(x, training)
        a, cache_act = self.activation.forward(z)
        y, cache2 = self.second.forward(a, training)
        return y, [cache1, cache_act, cache2]

    def backward(self, tape, grad_y):
        cache1, cache_act, cache2 = tape
        grad_a = self.second.backward(cache2, grad_y)
        grad_z = self.activation.backward(cache_act, grad_a)
        return self.first.backward(cache1, grad_z)


class TwoLayerModelNoActivationGrad(TwoLayerModel):
    """Bug: skips tanh' on the way back."""

    def backward(self, tape, grad_y):
        cache1, _, cache2 = tape
        return self.first.backward(cache1, self.second.backward(cache2, grad_y))


class GlobalDropout:
    """Inverted dropout drawing its mask from kerastutor.backend.rng() on every call."""

    def __init__(self, rate=0.5):
        self.rate, self.name, self.built, self.weights = rate, "dropout", True, []

    def _mask(self, shape):
        return backend.rng().random(shape) >= self.rate

    def forward(self, x, training=False):
        if not training:
            return x, None
        scale = self._mask(x.shape) / (1.0 - self.rate)
        return x * scale, scale

    def backward(self, scale, grad_out):
        return grad_out if scale is None else grad_out * scale


class SeededDropout(GlobalDropout):
    """Like Dropout(seed=3): a private generator that advances on each call."""

    def __init__(self, rate=0.5):
        super().__init__(rate)
        self.generator = np.random.default_rng(3)

    def _mask(self, shape):
        return self.generator.random(shape) >= self.rate


class Bilinear:
    """Two inputs: y = x1 * (x2 @ W). Returns a list of two input gradients."""

    def __init__(self):
        self.name, self.built = "bilinear", True
        self.kernel = Weight(np.random.default_rng(4).normal(size=(3, 2)).astype(np.float32),
                             "kernel")
        self.weights = [self.kernel]

    def forward(self, xs, training=False):
        x1, x2 = xs
        projected = x2 @ self.kernel.value
        return x1 * projected, (x1, x2, projected)

    def backward(self, cache, grad_out):
        x1, x2, projected = cache
        grad_projected = grad_out * x1
        self.kernel.grad += x2.T @ grad_projected
        return [grad_out * projected, grad_projected @ self.kernel.value.T]


class SquareAndDouble:
    """One input, two outputs: [x^2, 2x]; backward receives a list of gradients."""

    name, built, weights = "split", True, []

    def forward(self, x, training=False):
        return [x * x, 2.0 * x], x

    def backward(self, x, grads):
        return grads[0] * 2.0 * x + grads[1] * 2.0


class Centering:
    """y = gamma * (x - moving_mean); training mode updates moving_mean (non-trainable)."""

    def __init__(self):
        self.name, self.built = "centering", True
        self.gamma = Weight(np.full((3,), 1.5, np.float32), "gamma")
        self.moving_mean = Weight(np.zeros(3, np.float32), "moving_mean", trainable=False)
        self.weights = [self.gamma, self.moving_mean]

    def forward(self, x, training=False):
        centred = x - self.moving_mean.value
        if training:        # update after use, like a moving statistic; drifts every call
            self.moving_mean.value[...] = 0.9 * self.moving_mean.value + 0.1 * x.mean(0)
        return self.gamma.value * centred, centred

    def backward(self, centred, grad_out):
        self.gamma.grad += np.sum(grad_out * centred, axis=0)
        return grad_out * self.gamma.value


def inputs(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype(np.float32)


# ----------------------------------------------------------------------------------------
# The numerical core
# ----------------------------------------------------------------------------------------
@settings(deadline=None, max_examples=25)
@given(st.lists(st.floats(-3, 3).map(lambda v: round(v, 6)), min_size=1, max_size=6),
       st.floats(0.1, 2.0))
def test_numerical_gradient_of_a_cubic_matches_the_calculus(values, c):
    x = np.array(values)
    original = x.copy()
    numerical = gc.numerical_gradient(lambda v: c * np.sum(v ** 3), x)
    np.testing.assert_allclose(numerical, 3 * c * original ** 2, rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(x, original)          # every entry restored exactly


def test_numerical_gradient_with_upstream_is_a_vector_jacobian_product():
    x = np.array([[0.3, -1.2], [2.0, 0.5]])
    matrix = np.array([[1.0, 2.0, -1.0], [0.5, 0.0, 3.0]])
    upstream = np.array([[1.0, -2.0, 0.5], [0.25, 1.0, -1.0]])
    numerical = gc.numerical_gradient(lambda v: v @ matrix, x, upstream=upstream)
    np.testing.assert_allclose(numerical, upstream @ matrix.T, rtol=1e-8)


def test_numerical_gradient_divides_by_the_step_actually_taken():
    # fl(x + h) - fl(x - h) differs from 2h in the 8th digit at x ~ 1e3; dividing by
    # the real step makes the slope of the identity exact.
    x = np.array([1000.3, -12345.6789, 0.1])
    slopes = gc.numerical_gradient(lambda v: 1.0 * v, x, upstream=np.ones(3))
    np.testing.assert_array_equal(slopes, 1.0)


def test_numerical_gradient_at_selected_flat_indices():
    x = np.arange(6.0).reshape(2, 3)
    values = gc.numerical_gradient(lambda v: np.sum(v ** 2), x, indices=[5, 0, 4])
    np.testing.assert_allclose(values, [10.0, 0.0, 8.0], atol=1e-7)


def test_numerical_gradient_round_off_bound_grows_as_the_step_shrinks():
    x = np.array([1.0, -2.0])
    _, coarse = gc.numerical_gradient(lambda v: np.sum(v ** 2), x, h=1e-4,
                                      return_roundoff=True)
    _, fine = gc.numerical_gradient(lambda v: np.sum(v ** 2), x, h=1e-6,
                                    return_roundoff=True)
    np.testing.assert_allclose(fine / coarse, 100.0, rtol=1e-3)


def test_numerical_gradient_rejects_integer_points_and_vector_outputs():
    with pytest.raises(ValueError, match="array of floats"):
        gc.numerical_gradient(lambda v: v.sum(), np.arange(3))
    with pytest.raises(ValueError, match="upstream"):
        gc.numerical_gradient(lambda v: v * 2, np.ones(3))
    with pytest.raises(ValueError, match="`h`"):
        gc.numerical_gradient(lambda v: v.sum(), np.ones(3), h=0)


def test_relative_error_uses_the_floor_near_zero():
    errors = gc.relative_error([1.0, 1e-12, 0.0], [1.001, 3e-12, 0.0])
    np.testing.assert_allclose(errors, [0.001 / 1.001, 2e-12 / 1e-8, 0.0])


@settings(deadline=None, max_examples=25)
@given(st.integers(3, 5000), st.integers(2, 60), SEEDS)
def test_sampled_entries_are_distinct_sorted_and_keep_both_ends(size, max_entries, seed):
    indices = gc.entries_to_check(size, max_entries, np.random.default_rng(seed))
    assert len(indices) == min(size, max_entries)
    assert len(set(indices.tolist())) == len(indices)
    assert np.all(np.diff(indices) > 0)
    assert indices[0] == 0 and indices[-1] == size - 1


# ----------------------------------------------------------------------------------------
# Layers
# ----------------------------------------------------------------------------------------
def test_correct_linear_layer_passes_with_tiny_errors():
    layer = Linear(3)                                   # unbuilt: the check builds it
    report = gc.check_layer(layer, inputs((4, 5)))
    assert layer.built
    assert report.passed
    assert [e.name for e in report.entries] == ["input", "kernel", "bias"]
    assert report.max_relative_error < 1e-8
    assert report["kernel"].checked == 15 and report["kernel"].shape == (5, 3)


def test_forgotten_transpose_fails_and_the_report_names_the_input():
    layer = built(LinearForgetsTranspose(4), 4)
    report = gc.check_layer(layer, inputs((3, 4)))
    assert not report.passed
    assert [e.name for e in report.failed] == ["input"]
    assert report["input"].max_rel_error > 1e-2
    assert report["kernel"].passed and report["bias"].passed
    text = str(report)
    assert "FAILED: input" in text and "> 1e-2" in text


def test_factor_two_in_the_bias_gradient_is_located():
    report = gc.check_layer(built(LinearDoubleBias(2), 3), inputs((5, 3)))
    assert [e.name for e in report.failed] == ["bias"]
    worst = report["bias"]
    assert worst.analytic == pytest.approx(2 * worst.numerical, rel=1e-6)
    assert worst.max_rel_error == pytest.approx(0.5, rel=1e-6)


def test_weights_come_back_float32_and_untouched():
    layer = built(Linear(3), 4)
    kernel_before = layer.kernel.value
    snapshot = kernel_before.copy()
    layer.kernel.grad = np.full((4, 3), 7.0)
    gc.check_layer(layer, inputs((2, 4)))
    assert layer.kernel.value is kernel_before and layer.kernel.value.dtype == np.float32
    np.testing.assert_array_equal(layer.kernel.value, snapshot)
    np.testing.assert_array_equal(layer.kernel.grad, 7.0)     # the caller's grad survives
    assert layer.bias.value.dtype == np.float32


class ExplodesOnThirdCall(Linear):
    calls = 0

    def forward(self, x, training=False):
        self.calls += 1
        if self.calls == 3:
            raise FloatingPointError("boom")
        return super().forward(x, training)


def test_weights_are_restored_when_forward_raises():
    layer = built(ExplodesOnThirdCall(2), 3)
    originals = [w.value for w in layer.weights]
    with pytest.raises(FloatingPointError, match="boom"):
        gc.check_layer(layer, inputs((2, 3)))
    assert [w.value for w in layer.weights] == originals
    assert all(w.value.dtype == np.float32 for w in layer.weights)


class RecordsDtype(Linear):
    seen = set()

    def forward(self, x, training=False):
        self.seen.add((x.dtype, self.kernel.value.dtype))
        return super().forward(x, training)


def test_the_check_computes_in_float64():
    layer = built(RecordsDtype(2), 3)
    gc.check_layer(layer, inputs((2, 3)))
    assert layer.seen == {(np.dtype(np.float64), np.dtype(np.float64))}


def test_large_tensors_are_sampled_with_first_and_last_entry():
    layer = built(Linear(30), 20)
    report = gc.check_layer(layer, inputs((2, 20)), max_entries=10)
    assert report["kernel"].checked == 10 and report["input"].checked == 10
    assert report["bias"].checked == 10
    full = gc.check_layer(layer, inputs((2, 20)), max_entries=None)
    assert full["kernel"].checked == 600


def test_several_inputs_are_named_by_position():
    report = gc.check_layer(Bilinear(), [inputs((4, 2)), inputs((4, 3), seed=1)])
    assert report.passed
    assert [e.name for e in report.entries] == ["input[0]", "input[1]", "kernel"]


def test_several_outputs_get_one_upstream_gradient_each():
    assert gc.check_layer(SquareAndDouble(), inputs((3, 2))).passed


@pytest.mark.parametrize("layer_class", [GlobalDropout, SeededDropout])
def test_random_masks_repeat_between_evaluations(layer_class):
    report = gc.check_layer(layer_class(), inputs((6, 5)), training=True)
    assert report.passed, report
    assert report.max_relative_error < 1e-8


def test_a_check_leaves_the_global_random_stream_as_it_was():
    backend.set_random_seed(7)
    expected = backend.rng().random(3)
    backend.set_random_seed(7)
    gc.check_layer(GlobalDropout(), inputs((4, 4)), training=True, seed=99)
    np.testing.assert_array_equal(backend.rng().random(3), expected)


def test_non_trainable_state_is_reset_and_not_checked():
    layer = Centering()
    report = gc.check_layer(layer, inputs((4, 3)), training=True)
    assert report.passed, report
    assert [e.name for e in report.entries] == ["input", "gamma"]
    np.testing.assert_array_equal(layer.moving_mean.value, 0.0)
    assert "moving_mean" in str(report) and "not checked" in str(report)


class ScalesInputInPlace(Linear):
    def forward(self, x, training=False):
        x *= 2.0
        return super().forward(x, training)


def test_a_forward_that_overwrites_its_input_is_reported():
    with pytest.raises(RuntimeError, match="in place"):
        gc.check_layer(built(ScalesInputInPlace(2), 3), inputs((2, 3)))


class ReturnsSummedGradient(Linear):
    def backward(self, x, grad_out):
        return super().backward(x, grad_out).sum(axis=0)


def test_a_gradient_of_the_wrong_shape_is_a_clear_error():
    with pytest.raises(ValueError, match=r"shape \(3,\) for input of shape \(2, 3\)"):
        gc.check_layer(built(ReturnsSummedGradient(2), 3), inputs((2, 3)))


class BilinearForgetsSecondGradient(Bilinear):
    def backward(self, cache, grad_out):
        return super().backward(cache, grad_out)[:1]


def test_a_multi_input_layer_must_return_one_gradient_per_input():
    with pytest.raises(ValueError, match="list of 2 gradients .* got 1 gradients"):
        gc.check_layer(BilinearForgetsSecondGradient(), [inputs((4, 2)), inputs((4, 3))])


class Embedding:
    """Integer ids in, rows of a table out; the ids are not differentiable."""

    def __init__(self):
        self.name, self.built = "embedding", True
        self.table = Weight(inputs((5, 2)), "embeddings")
        self.weights = [self.table]

    def forward(self, ids, training=False):
        return self.table.value[ids], ids

    def backward(self, ids, grad_out):
        np.add.at(self.table.grad, ids, grad_out)
        return None


def test_integer_inputs_are_passed_through_and_only_weights_checked():
    report = gc.check_layer(Embedding(), np.array([[0, 3], [3, 4]]))
    assert report.passed
    assert [e.name for e in report.entries] == ["embeddings"]
    assert "int" in str(report)


# ----------------------------------------------------------------------------------------
# Activations, thresholds and round-off
# ----------------------------------------------------------------------------------------
def test_activation_checks_and_a_wrong_derivative_fails():
    x = inputs((3, 4))
    assert gc.check_activation(Tanh(), x).max_relative_error < 1e-8
    report = gc.check_activation(TanhForgetsSquare(), x)
    assert not report.passed and report["input"].max_rel_error > 1e-2


def test_saturated_tanh_is_not_blamed_for_round_off():
    # tanh'(±30) ~ 1e-26: the numerical value is pure rounding noise around 0.
    x = np.array([[-30.0, -20.0, 0.5], [25.0, 30.0, -0.5]])
    report = gc.check_activation(Tanh(), x)
    assert report.passed, report


def test_kinked_objects_get_the_looser_threshold_and_the_reason_is_printed():
    x = np.array([[0.5, -1.0, 2.0]])
    smooth = gc.check_activation(Tanh(), x)
    kinked = gc.check_activation(ReLU(), x)
    assert smooth.threshold == gc.SMOOTH_THRESHOLD == 1e-7
    assert kinked.threshold == gc.KINK_THRESHOLD == 1e-5
    assert "ReLU declare(s) has_kinks=True" in str(kinked)
    assert "threshold 1e-07: smooth" in str(smooth)


def test_an_explicit_threshold_wins():
    report = gc.check_layer(built(LinearDoubleBias(2), 3), inputs((2, 3)), threshold=0.6)
    assert report.passed and report.threshold == 0.6
    assert "set by the caller" in str(report)


# ----------------------------------------------------------------------------------------
# Losses and models
# ----------------------------------------------------------------------------------------
def test_loss_gradient_checked_against_its_value():
    y_true, y_pred = inputs((4, 3)), inputs((4, 3), seed=1)
    good = gc.check_loss(MeanSquaredError(), y_true, y_pred)
    assert good.passed and good.max_relative_error < 1e-8
    assert [e.name for e in good.entries] == ["y_pred"]
    bad = gc.check_loss(MeanSquaredErrorNoMean(), y_true, y_pred)
    assert not bad.passed
    assert bad["y_pred"].analytic == pytest.approx(12 * bad["y_pred"].numerical, rel=1e-6)


def test_model_check_covers_every_weight_by_path():
    report = gc.check_model(TwoLayerModel(), inputs((5, 3)))
    assert report.passed and report.max_relative_error < 1e-8
    assert [e.name for e in report.entries] == [
        "input", "dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias"]


def test_model_check_through_a_loss():
    model, x, y = TwoLayerModel(), inputs((5, 3)), inputs((5, 2), seed=3)
    report = gc.check_model(model, x, y, loss=MeanSquaredError())
    assert report.passed and report.max_relative_error < 1e-8
    assert "through MeanSquaredError" in str(report)


def test_model_with_a_missing_derivative_fails_on_the_first_layer():
    report = gc.check_model(TwoLayerModelNoActivationGrad(), inputs((5, 3)))
    assert {e.name for e in report.failed} == {"input", "dense/kernel", "dense/bias"}


def test_model_needs_both_targets_and_loss():
    with pytest.raises(ValueError, match="`loss` was given without `y`"):
        gc.check_model(TwoLayerModel(), inputs((2, 3)), loss=MeanSquaredError())


# ----------------------------------------------------------------------------------------
# Dispatch, the report and kind errors
# ----------------------------------------------------------------------------------------
def test_check_dispatches_on_what_the_object_can_do():
    x = inputs((3, 3))
    assert gc.check(MeanSquaredError(), x, inputs((3, 3), seed=1)).subject == \
        "MeanSquaredError"
    assert gc.check(TwoLayerModel(), x).entries[1].name == "dense/kernel"
    assert gc.check(built(Linear(2, "lin"), 3), x).subject == "Linear 'lin'"
    assert [e.name for e in gc.check(Tanh(), x).entries] == ["input"]


def test_check_suggests_the_closest_argument_name():
    with pytest.raises(ValueError, match="Did you mean 'threshold'"):
        gc.check(Tanh(), inputs((2, 2)), treshold=1e-3)


def test_check_explains_what_it_can_check():
    with pytest.raises(ValueError, match="cannot gradient-check a str"):
        gc.check("relu", inputs((2, 2)))


@pytest.mark.parametrize("kwargs, message", [
    ({"h": -1e-6}, "`h` must be a positive number"),
    ({"max_entries": 1}, "`max_entries` must be an integer >= 2"),
    ({"seed": -3}, "`seed` must be a non-negative integer"),
    ({"threshold": 0.0}, "`threshold` must be a positive number"),
])
def test_bad_settings_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        gc.check_activation(Tanh(), inputs((2, 2)), **kwargs)


def test_report_text_is_an_aligned_table_with_a_verdict():
    report = gc.check_layer(built(Linear(2), 3), inputs((2, 3)))
    lines = str(report).splitlines()
    assert lines[0].startswith("Gradient check of Linear 'linear'")
    assert "h=1e-06" in lines[0] and "threshold 1e-07" in lines[1]
    table = lines[2:6]
    assert table[0].split()[:2] == ["tensor", "shape"]
    assert len({line.index("max rel err") if i == 0 else None
                for i, line in enumerate(table[:1])}) == 1
    # the 'result' column starts at the same place in every row
    header_col = table[0].index("result")
    assert all(line[header_col:].strip() in ("result", "ok") for line in table)
    assert lines[-1].startswith("PASSED: max relative error")
    assert repr(report) == str(report)


def test_assert_helpers_raise_with_the_table():
    layer = built(LinearDoubleBias(2), 3)
    with pytest.raises(AssertionError) as caught:
        gc.assert_gradients_ok(layer, inputs((2, 3)))
    message = str(caught.value)
    assert "bias" in message and "FAIL" in message and "threshold 1e-07" in message
    good = gc.assert_gradients_ok(built(Linear(2), 3), inputs((2, 3)))
    assert good.passed


def test_report_lookup_suggests_a_close_name():
    report = gc.check_layer(built(Linear(2), 3), inputs((2, 3)))
    with pytest.raises(KeyError, match="Did you mean 'kernel'"):
        report["kernal"]
