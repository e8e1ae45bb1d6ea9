"""Activations: values against their formulas, derivatives against central differences."""
import math
import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from kerastutor import activations as A
from strategies import SEEDS, shapes

# ------------------------------------------------------------------ references
# Scalar formulas written straight from the definitions (Keras docs, papers),
# with the `math` module, so they share no code with kerastutor.
SELU_ALPHA, SELU_SCALE = 1.6732632423543772, 1.0507009873554805


def _sigmoid(x):
    return 1 / (1 + math.exp(-x))


SCALAR_REFERENCE = {
    "linear": lambda x: x,
    "exponential": math.exp,
    "relu": lambda x: max(x, 0.0),
    "leaky_relu": lambda x: x if x >= 0 else 0.2 * x,
    "relu6": lambda x: min(max(x, 0.0), 6.0),
    "sigmoid": _sigmoid,
    "hard_sigmoid": lambda x: max(0.0, min(1.0, x / 6 + 0.5)),
    "sparse_sigmoid": lambda x: 0.0 if x <= -1 else 1.0 if x >= 1 else (x + 1) / 2,
    "log_sigmoid": lambda x: math.log(_sigmoid(x)),
    "tanh": math.tanh,
    "hard_tanh": lambda x: max(-1.0, min(1.0, x)),
    "tanh_shrink": lambda x: x - math.tanh(x),
    "softsign": lambda x: x / (1 + abs(x)),
    "softplus": lambda x: math.log(1 + math.exp(x)),
    "squareplus": lambda x: (x + math.sqrt(x * x + 4)) / 2,
    "sparse_plus": lambda x: 0.0 if x <= -1 else x if x >= 1 else (x + 1) ** 2 / 4,
    "elu": lambda x: x if x > 0 else math.exp(x) - 1,
    "selu": lambda x: SELU_SCALE * (x if x > 0 else SELU_ALPHA * (math.exp(x) - 1)),
    "celu": lambda x: x if x >= 0 else math.exp(x) - 1,
    "gelu": lambda x: x / 2 * (1 + math.erf(x / math.sqrt(2))),
    "silu": lambda x: x * _sigmoid(x),
    "swish": lambda x: x * _sigmoid(x),
    "hard_silu": lambda x: x * max(0.0, min(1.0, (x + 3) / 6)),
    "hard_swish": lambda x: x * max(0.0, min(1.0, (x + 3) / 6)),
    "mish": lambda x: x * math.tanh(math.log(1 + math.exp(x))),
    "soft_shrink": lambda x: x - 0.5 if x > 0.5 else x + 0.5 if x < -0.5 else 0.0,
    "hard_shrink": lambda x: x if abs(x) > 0.5 else 0.0,
}


def _sparsemax_row(row):
    """Sparsemax by its definition: find tau with sum(max(x - tau, 0)) = 1 by bisection."""
    low, high = row.min() - 1, row.max()
    for _ in range(200):
        tau = (low + high) / 2
        low, high = (tau, high) if np.maximum(row - tau, 0).sum() > 1 else (low, tau)
    return np.maximum(row - tau, 0)


ROW_REFERENCE = {
    "softmax": lambda row: np.array([math.exp(v) for v in row]) / sum(map(math.exp, row)),
    "log_softmax": lambda row: np.log(ROW_REFERENCE["softmax"](row)),
    "glu": lambda row: np.array([a * _sigmoid(b) for a, b in
                                 zip(row[:len(row) // 2], row[len(row) // 2:])]),
    "sparsemax": _sparsemax_row,
}


@pytest.mark.parametrize("name", sorted(SCALAR_REFERENCE))
def test_elementwise_forward_matches_the_formula(name):
    x = np.linspace(-5, 5, 81)
    expected = [SCALAR_REFERENCE[name](float(v)) for v in x]
    np.testing.assert_allclose(A.get(name)(x), expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", sorted(ROW_REFERENCE))
def test_row_forward_matches_the_formula(name):
    x = np.random.default_rng(0).normal(scale=2.0, size=(6, 8))
    expected = np.stack([ROW_REFERENCE[name](row) for row in x])
    np.testing.assert_allclose(A.get(name)(x), expected, rtol=1e-10, atol=1e-12)


def test_hand_known_values():
    assert A.hard_sigmoid(np.array(0.0)) == 0.5
    assert A.hard_sigmoid(np.array(3.0)) == 1.0
    assert A.hard_sigmoid(np.array(-3.0)) == 0.0
    assert A.hard_silu(np.array(-3.0)) == 0.0 and A.hard_silu(np.array(3.0)) == 3.0
    # gelu(1) = Phi(1); the tanh form differs from it in the 4th digit.
    np.testing.assert_allclose(A.gelu([1.0]), [0.8413447460685429], rtol=1e-6)
    np.testing.assert_allclose(A.gelu([1.0], approximate=True), [0.8411919906], rtol=1e-6)
    # SELU's constants: slope lambda for x > 0, limit -lambda * alpha for x -> -inf.
    np.testing.assert_allclose(A.selu(np.array([1.0, -40.0])),
                               [1.0507009873554805, -1.7580993408473766], rtol=1e-7)
    np.testing.assert_allclose(A.sparsemax([1.0, 0.8, -1.0]), [0.6, 0.4, 0.0], rtol=1e-6)
    np.testing.assert_allclose(A.sparsemax([0.5, 0.4, 0.1]), [0.5, 0.4, 0.1], rtol=1e-6)
    np.testing.assert_allclose(A.softmax([0.0, math.log(3.0)]), [0.25, 0.75], rtol=1e-6)


def test_relu_options_match_the_keras_docstring_examples():
    x = [-10, -5, 0.0, 5, 10]
    np.testing.assert_array_equal(A.relu(x), [0, 0, 0, 5, 10])
    np.testing.assert_array_equal(A.relu(x, negative_slope=0.5), [-5, -2.5, 0, 5, 10])
    np.testing.assert_array_equal(A.relu(x, max_value=5.0), [0, 0, 0, 5, 5])
    np.testing.assert_array_equal(A.relu(x, threshold=5.0), [0, 0, 0, 0, 10])
    np.testing.assert_allclose(A.relu(x, negative_slope=0.1, max_value=6.0, threshold=1.0),
                               [-1.1, -0.6, -0.1, 5, 6])


def test_leaky_relu_function_default_slope_is_0_2():
    np.testing.assert_allclose(A.leaky_relu(np.array([-1.0, 2.0])), [-0.2, 2.0])
    np.testing.assert_allclose(A.LeakyReLU()(np.array([-1.0])), [-0.2])


def test_axis_functions_use_their_axis():
    x = np.random.default_rng(1).normal(size=(3, 4, 5))
    np.testing.assert_allclose(A.softmax(x, axis=1).sum(axis=1), np.ones((3, 5)))
    np.testing.assert_allclose(np.exp(A.log_softmax(x, axis=0)).sum(axis=0), np.ones((4, 5)))
    np.testing.assert_allclose(A.sparsemax(x, axis=1).sum(axis=1), np.ones((3, 5)))
    assert A.glu(x[:, :, :4], axis=-1).shape == (3, 4, 2)
    assert A.glu(x[:, :4], axis=1).shape == (3, 2, 5)


def test_functions_accept_lists_and_integers_and_return_floatx():
    y = A.relu([-2, 3])
    assert isinstance(y, np.ndarray) and y.dtype == np.float32
    np.testing.assert_array_equal(y, [0.0, 3.0])
    assert A.sigmoid(0).dtype == np.float32


# --------------------------------------------------------------- derivatives
def numerical_vjp(activation, x, g, h=1e-5):
    r"""Central differences of :math:`L(x) = \sum g \odot \phi(x)`, one entry at a time.

    The change ``phi(x + h e_i) - phi(x - h e_i)`` is formed before it is summed, so an
    elementwise activation only carries round-off from the entry that moved.
    """
    grad = np.empty_like(x)
    for index in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[index] += h
        down[index] -= h
        change = activation.forward(up)[0] - activation.forward(down)[0]
        grad[index] = np.sum(g * change) / (2 * h)
    return grad


def max_relative_error(analytic, numeric):
    """max |a - n| / (|a| + |n|), the denominator floored at 1% of the largest gradient
    (and 1e-4): tiny entries carry round-off from phi(x +- h) that no derivative beats."""
    size = np.abs(analytic) + np.abs(numeric)
    floor = max(0.01 * size.max(initial=0.0), 1e-4)
    return float(np.max(np.abs(analytic - numeric) / np.maximum(size, floor), initial=0.0))


def away_from(kinks, x, margin=0.01):
    """Move entries within ``margin`` of a kink to ``margin`` past it (h never crosses one)."""
    for kink in kinks:
        side = np.where(x >= kink, 1.0, -1.0)
        x = np.where(np.abs(x - kink) < margin, kink + margin * side, x)
    return x


# (activation factory, points where it is not smooth)
GRADIENT_CASES = {
    "linear": (A.Linear, []), "exponential": (A.Exponential, []),
    "relu": (A.ReLU, [0.0]), "leaky_relu": (A.LeakyReLU, [0.0]),
    "relu6": (A.ReLU6, [0.0, 6.0]),
    "relu_all_options": (lambda: A.ReLU(negative_slope=0.1, max_value=1.5, threshold=0.2),
                         [0.0, 0.2, 1.5]),
    "relu_negative_threshold": (lambda: A.ReLU(max_value=2.0, threshold=-0.5),
                                [-0.5, 0.0, 2.0]),
    "threshold": (lambda: A.Threshold(0.3, -2.0), [0.3]),
    "sigmoid": (A.Sigmoid, []), "hard_sigmoid": (A.HardSigmoid, [-3.0, 3.0]),
    "sparse_sigmoid": (A.SparseSigmoid, [-1.0, 1.0]), "log_sigmoid": (A.LogSigmoid, []),
    "tanh": (A.Tanh, []), "hard_tanh": (A.HardTanh, [-1.0, 1.0]),
    "tanh_shrink": (A.TanhShrink, []), "softsign": (A.Softsign, [0.0]),
    "softplus": (A.Softplus, []), "squareplus": (A.Squareplus, []),
    "squareplus_b1": (lambda: A.Squareplus(b=1.0), []),
    "sparse_plus": (A.SparsePlus, [-1.0, 1.0]),
    "elu": (A.ELU, [0.0]), "elu_alpha": (lambda: A.ELU(alpha=0.7), [0.0]),
    "selu": (A.SELU, [0.0]), "celu": (A.CELU, [0.0]),
    "celu_alpha": (lambda: A.CELU(alpha=0.5), [0.0]),
    "gelu": (A.GELU, []), "gelu_tanh": (lambda: A.GELU(approximate=True), []),
    "silu": (A.SiLU, []), "hard_silu": (A.HardSiLU, [-3.0, 3.0]), "mish": (A.Mish, []),
    "soft_shrink": (A.SoftShrink, [-0.5, 0.5]),
    "hard_shrink": (lambda: A.HardShrink(threshold=0.3), [-0.3, 0.3]),
    "softmax": (A.Softmax, []), "softmax_axis0": (lambda: A.Softmax(axis=0), []),
    "log_softmax": (A.LogSoftmax, []),
    "log_softmax_axis0": (lambda: A.LogSoftmax(axis=0), []),
    "glu": (A.GLU, []), "glu_axis0": (lambda: A.GLU(axis=0), []),
    "sparsemax": (A.Sparsemax, []), "sparsemax_axis0": (lambda: A.Sparsemax(axis=0), []),
}


def _sparsemax_margin(activation, x):
    """Distance of the inputs from the support boundary tau (sparsemax's kinks)."""
    y = activation.forward(x)[0]
    on_support = y > 0
    tau = (np.sum((x - y) * on_support, axis=activation.axis, keepdims=True)
           / on_support.sum(axis=activation.axis, keepdims=True))
    return np.abs(x - tau).min()


@pytest.mark.parametrize("case", sorted(GRADIENT_CASES))
@settings(deadline=None, max_examples=25)
@given(shape=shapes(1, 3, max_side=4),
       seed=SEEDS, scale=st.sampled_from([0.5, 2.0, 5.0]))
def test_backward_matches_central_differences(case, shape, seed, scale):
    factory, kinks = GRADIENT_CASES[case]
    activation = factory()
    if isinstance(activation, A.GLU):                     # needs an even axis to split
        shape[activation.axis] *= 2
    rng = np.random.default_rng(seed)
    x = away_from(kinks, rng.normal(scale=scale, size=shape))
    if isinstance(activation, A.Sparsemax):
        assume(_sparsemax_margin(activation, x) > 0.01)
    y, cache = activation.forward(x)
    g = rng.normal(size=y.shape)
    analytic = activation.backward(cache, g)
    assert analytic.shape == x.shape
    assert max_relative_error(analytic, numerical_vjp(activation, x, g)) < 1e-6


def test_the_error_measure_catches_a_wrong_derivative():
    """A sigmoid whose backward forgot the factor (1 - y) must fail the same check."""
    class ForgetfulSigmoid(A.Sigmoid):
        def backward(self, cache, grad_out):
            return grad_out * cache

    x = np.linspace(-2, 2, 7)
    g = np.ones_like(x)
    wrong = ForgetfulSigmoid()
    assert max_relative_error(wrong.backward(wrong.forward(x)[1], g),
                              numerical_vjp(wrong, x, g)) > 0.1


@pytest.mark.parametrize("case", sorted(GRADIENT_CASES))
def test_backward_leaves_its_inputs_alone(case):
    activation = GRADIENT_CASES[case][0]()
    x = np.random.default_rng(2).normal(scale=3.0, size=(4, 6))
    y, cache = activation.forward(x)
    g = np.random.default_rng(3).normal(size=y.shape)
    g_before, y_before = g.copy(), y.copy()
    first = activation.backward(cache, g)
    second = activation.backward(cache, g)
    np.testing.assert_array_equal(first, second)
    np.testing.assert_array_equal(g, g_before)
    np.testing.assert_array_equal(y, y_before)


@pytest.mark.parametrize("case", sorted(GRADIENT_CASES))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_forward_and_backward_keep_the_input_dtype(case, dtype):
    activation = GRADIENT_CASES[case][0]()
    x = np.linspace(-4, 4, 24).reshape(4, 6).astype(dtype)
    y, cache = activation.forward(x)
    assert y.dtype == dtype
    assert activation.backward(cache, np.ones_like(y)).dtype == dtype


@pytest.mark.parametrize("case", sorted(set(GRADIENT_CASES) - {"exponential"}))
def test_extreme_float32_inputs_raise_no_warnings(case):
    activation = GRADIENT_CASES[case][0]()
    x = np.array([[-1e4, -100.0, -20.0, 20.0, 100.0, 1e4]], dtype="float32").T
    x = np.concatenate([x, -x[::-1]], axis=1)                 # two columns, for glu/axis 0
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise",
                                                divide="raise"):
        warnings.simplefilter("error")
        y, cache = activation.forward(x)
        grad = activation.backward(cache, np.ones_like(y))
    assert np.isfinite(y).all() and np.isfinite(grad).all()


def test_sigmoid_is_accurate_far_into_its_tails():
    x = np.array([-100.0, -30.0, 30.0])
    np.testing.assert_allclose(A.sigmoid(x), [math.exp(-100), 1 / (1 + math.exp(30)),
                                              1 / (1 + math.exp(-30))], rtol=1e-13)


def test_has_kinks_marks_the_piecewise_activations():
    kinked = {name for name, (factory, kinks) in GRADIENT_CASES.items() if kinks}
    for name, (factory, _) in GRADIENT_CASES.items():
        if name not in ("sparsemax", "sparsemax_axis0"):
            assert factory().has_kinks == (name in kinked), name
    assert A.Sparsemax.has_kinks and A.Squareplus(b=0).has_kinks


# ----------------------------------------------------------- names and configs
KERAS_NAMES = ["relu", "leaky_relu", "relu6", "softmax", "celu", "elu", "selu", "softplus",
               "softsign", "squareplus", "soft_shrink", "sparse_plus", "silu", "gelu", "glu",
               "tanh", "tanh_shrink", "sigmoid", "sparse_sigmoid", "exponential",
               "hard_sigmoid", "hard_silu", "hard_tanh", "hard_shrink", "linear", "mish",
               "log_softmax", "log_sigmoid", "sparsemax"]


@pytest.mark.parametrize("name", KERAS_NAMES)
def test_every_keras_name_resolves_and_serializes_to_itself(name):
    activation = A.get(name)
    assert isinstance(activation, A.ActivationFunction)
    assert activation.name == name
    assert A.serialize(activation) == name
    assert type(A.deserialize(A.serialize(activation))) is type(activation)
    # the Keras function of the same name maps to the same class
    assert type(A.get(getattr(A, name))) is type(activation)


def test_aliases_and_special_identifiers():
    assert type(A.get("swish")) is A.SiLU and A.serialize("swish") == "silu"
    assert type(A.get("hard_swish")) is A.HardSiLU
    assert type(A.get(A.swish)) is A.SiLU and type(A.get(A.hard_swish)) is A.HardSiLU
    assert type(A.get(None)) is A.Linear
    assert type(A.get(A.Tanh)) is A.Tanh
    instance = A.ReLU(max_value=3.0)
    assert A.get(instance) is instance


def test_non_default_options_round_trip_through_a_config():
    for activation in (A.Softmax(axis=1), A.ReLU(negative_slope=0.1, max_value=6.0),
                       A.GELU(approximate=True), A.ELU(alpha=0.5), A.LeakyReLU(0.3),
                       A.Threshold(0.5, -1.0)):
        config = A.serialize(activation)
        assert config["module"] == "keras.activations"
        assert config["class_name"] == type(activation).__name__
        clone = A.deserialize(config)
        assert type(clone) is type(activation)
        assert clone.get_config() == activation.get_config()


def test_keras_function_record_deserializes():
    record = {"module": "builtins", "class_name": "function", "config": "relu",
              "registered_name": "function"}
    assert type(A.deserialize(record)) is A.ReLU
    assert type(A.get(record)) is A.ReLU


def test_unknown_names_suggest_the_closest():
    with pytest.raises(ValueError, match="Unknown activation 'sofmax'. Did you mean 'softmax'"):
        A.get("sofmax")
    with pytest.raises(ValueError, match="Did you mean 'relu'"):
        A.get("ReLU")
    with pytest.raises(ValueError, match="Did you mean 'Softmax'"):
        A.deserialize({"class_name": "SoftMax", "config": {}})


def test_threshold_by_name_explains_that_it_needs_arguments():
    with pytest.raises(ValueError, match=r"needs arguments \(threshold, default_value\)"):
        A.get("threshold")


@pytest.mark.parametrize("make, argument", [
    (lambda: A.ReLU(max_value=-1.0), "max_value"),
    (lambda: A.ReLU(negative_slope="0.1"), "negative_slope"),
    (lambda: A.Softmax(axis=1.5), "axis"),
    (lambda: A.GELU(approximate="yes"), "approximate"),
    (lambda: A.CELU(alpha=0.0), "alpha"),
    (lambda: A.SoftShrink(threshold=-1.0), "threshold"),
    (lambda: A.GLU().forward(np.ones((2, 3))), "even length"),
    (lambda: A.get(42), "Could not interpret"),
])
def test_bad_arguments_raise_errors_that_name_them(make, argument):
    with pytest.raises(ValueError, match=argument):
        make()


def test_a_plain_function_computes_and_its_derivative_comes_from_the_op_tape():
    def cube(x):
        return x ** 3

    activation = A.get(cube)
    assert isinstance(activation, A.CustomActivation)
    np.testing.assert_allclose(activation(np.array([2.0])), [8.0])
    y, cache = activation.forward(np.array([2.0, -1.0]))
    np.testing.assert_allclose(activation.backward(cache, np.ones(2)), [12.0, 3.0])
    record = A.serialize(activation)
    assert record["class_name"] == "function" and record["config"] == "cube"
    assert A.deserialize(record, custom_objects={"cube": cube}).function is cube


def test_a_subclass_with_its_own_backward_is_used_as_is():
    class Square(A.ActivationFunction):
        name = "square"

        def forward(self, x):
            return x * x, x

        def backward(self, cache, grad_out):
            return 2 * cache * grad_out

    x, g = np.array([1.0, -2.0, 3.0]), np.array([0.5, 1.0, -1.0])
    square = A.get(Square)
    np.testing.assert_allclose(square.backward(square.forward(x)[1], g),
                               numerical_vjp(square, x, g), rtol=1e-8)
