"""The update rules: Keras 3's own goldens (keras-spec §8.1) and textbook references."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kerastutor import compiled, optimizers
from kerastutor.optimizers import in_place
from kerastutor.weight import Weight
from optimizer_cases import GRAD, VAR, steps, weight
from strategies import SEEDS



# ------------------------------------------------------------------ Keras goldens
@pytest.mark.parametrize("optimizer, expected", [
    (optimizers.SGD(learning_rate=0.5), [0.5, -1.0, -0.5, 3.0]),
    (optimizers.Adam(learning_rate=0.5), [0.5, 1.5, 2.5, 3.5]),
    (optimizers.RMSprop(learning_rate=0.5), [-0.5811, 0.4189, 1.4189, 2.4189]),
    (optimizers.Adagrad(learning_rate=0.5), [0.5233, 1.5007, 2.5005, 3.5061]),
    (optimizers.AdamW(learning_rate=0.5), [0.4980, 1.4960, 2.494, 3.492]),
    (optimizers.Nadam(learning_rate=0.5), [0.4686, 1.4686, 2.4686, 3.4686]),
    (optimizers.Adamax(learning_rate=0.5), [0.5, 1.5, 2.5, 3.5]),
    (optimizers.Lion(learning_rate=0.5), [0.5, 1.5, 2.5, 3.5]),
    (optimizers.Adadelta(learning_rate=0.5), [0.9993, 1.9993, 2.9993, 3.9993]),
    (optimizers.Ftrl(learning_rate=0.5), [0.2218, 1.3954, 2.3651, 2.8814]),
], ids=lambda p: type(p).__name__ if isinstance(p, optimizers.Optimizer) else "")
def test_single_step_matches_keras(optimizer, expected):
    np.testing.assert_allclose(steps(optimizer), expected, atol=1e-4)


def test_single_sgd_step_leaves_iteration_one_and_learning_rate():
    sgd = optimizers.SGD(learning_rate=0.5)
    steps(sgd)
    assert [float(v) for v in sgd.variables] == [1.0, 0.5]


@pytest.mark.parametrize("cls, expected", [
    (optimizers.Adam, [0.998, 1.998, 2.998, 3.998]),
    (optimizers.Adamax, [0.998, 1.998, 2.998, 3.998]),
    (optimizers.Lion, [0.998, 1.998, 2.998, 3.998]),
    (optimizers.RMSprop, [0.9945436, 1.9945436, 2.9945436, 3.9945436]),
    (optimizers.Adagrad, [0.9983565, 1.9982947, 2.9982944, 3.9983096]),
    (optimizers.Nadam, [0.9981636, 1.9981637, 2.9981635, 3.9981635]),
    (optimizers.AdamW, [0.997992, 1.9979839, 2.9979763, 3.9979682]),
    (optimizers.Adadelta, [0.9999971, 1.9999971, 2.9999971, 3.9999971]),
    (optimizers.Ftrl, [0.6968451, 1.8930316, 2.8629062, 3.3736143]),
], ids=lambda p: getattr(p, "__name__", ""))
def test_two_default_steps_match_keras(cls, expected):
    np.testing.assert_allclose(steps(cls(), 2), expected, rtol=1e-6)


def golden_rows(optimizer):
    """Keras's protocol: one step with 0.01, then rows of x before each arange step."""
    w = weight(np.ones(10))
    w.grad = np.full(10, 0.01, "float32")
    optimizer.apply([w])
    rows = []
    for _ in range(5):
        rows.append(w.value.copy())
        w.grad = np.arange(0.1, 1.1, 0.1).astype("float32")
        optimizer.apply([w])
    return np.array(rows)


@pytest.mark.parametrize("optimizer, tiled", [
    (optimizers.Adam(amsgrad=True), [0.999, 0.9982, 0.9974, 0.9965, 0.9955]),
    (optimizers.RMSprop(centered=True), [0.9967, 0.9933, 0.9908, 0.9885, 0.9864]),
    (optimizers.Adadelta(learning_rate=1.0, rho=0.8, epsilon=1e-6),
     [0.9978, 0.9947, 0.9915, 0.9882, 0.9849]),
], ids=["adam_amsgrad", "rmsprop_centered", "adadelta"])
def test_golden_trajectories_with_tiled_rows(optimizer, tiled):
    np.testing.assert_allclose(golden_rows(optimizer), np.repeat([tiled], 10, 0).T, atol=5e-4)


@pytest.mark.parametrize("optimizer, rows", [
    (optimizers.SGD(nesterov=True), {
        0: [0.9999] * 10,
        1: 1 - 0.0001 - 0.001 * np.arange(1, 11),
        4: [0.9959, 0.9919, 0.9879, 0.9839, 0.9799, 0.9759, 0.9719, 0.9679, 0.9639, 0.9599]}),
    (optimizers.Adagrad(learning_rate=0.2, initial_accumulator_value=0.3, epsilon=1e-6), {
        0: [0.9963] * 10,
        1: [0.9604, 0.9278, 0.9003, 0.8784, 0.8615, 0.8487, 0.8388, 0.8313, 0.8255, 0.8209],
        4: [0.856, 0.7422, 0.6604, 0.6037, 0.5644, 0.5367, 0.5168, 0.5021, 0.491, 0.4825]}),
    (optimizers.Adamax(learning_rate=0.2, beta_1=0.85, beta_2=0.95, epsilon=1e-6), {
        0: [0.8] * 10,
        1: [0.6827, 0.6873, 0.6888, 0.6896, 0.6901, 0.6904, 0.6906, 0.6908, 0.6909, 0.691]}),
    (optimizers.AdamW(learning_rate=1.0, weight_decay=0.5, epsilon=2.0), {
        0: [0.4998] * 10,
        1: [0.2486, 0.2475, 0.2463, 0.2451, 0.244, 0.2428, 0.2417, 0.2405, 0.2394, 0.2382]}),
    (optimizers.Nadam(learning_rate=0.5, beta_1=0.5, beta_2=0.67, epsilon=1e-5), {
        0: [0.4281] * 10,
        1: [-0.1738, -0.1731, -0.1726, -0.1723, -0.1721, -0.172, -0.1719, -0.1718, -0.1718,
            -0.1717]}),
    (optimizers.Ftrl(learning_rate=0.05, learning_rate_power=-0.2,
                     initial_accumulator_value=0.4, l1_regularization_strength=0.05,
                     l2_regularization_strength=0.15,
                     l2_shrinkage_regularization_strength=0.01, beta=0.3), {
        0: [0.0] * 10,
        1: [-0.0034, -0.0077, -0.0118, -0.0157, -0.0194, -0.023, -0.0263, -0.0294, -0.0325,
            -0.0354]}),
], ids=["sgd_nesterov", "adagrad", "adamax", "adamw", "nadam", "ftrl"])
def test_golden_trajectories_with_given_rows(optimizer, rows):
    trajectory = golden_rows(optimizer)
    for index, expected in rows.items():
        np.testing.assert_allclose(trajectory[index], expected, atol=5e-4)


# ------------------------------------------------------ textbook references (float64)
def reference_step(name, params, state, g, theta, t, lr):
    """Each rule written the obvious, out-of-place way; returns the new theta."""
    p, s = params, state
    if name == "sgd":
        if p["momentum"] == 0:
            return theta - lr * g
        s["m"] = p["momentum"] * s["m"] - lr * g
        return theta + (p["momentum"] * s["m"] - lr * g if p["nesterov"] else s["m"])
    if name == "adam":
        s["m"] = p["beta_1"] * s["m"] + (1 - p["beta_1"]) * g
        s["v"] = p["beta_2"] * s["v"] + (1 - p["beta_2"]) * g ** 2
        s["vhat"] = np.maximum(s["vhat"], s["v"])
        v = s["vhat"] if p["amsgrad"] else s["v"]
        alpha = lr * np.sqrt(1 - p["beta_2"] ** t) / (1 - p["beta_1"] ** t)
        return theta - alpha * s["m"] / (np.sqrt(v) + p["epsilon"])
    if name == "rmsprop":
        rho = p["rho"]
        s["v"] = rho * s["v"] + (1 - rho) * g ** 2
        s["gbar"] = rho * s["gbar"] + (1 - rho) * g
        denominator = s["v"] - s["gbar"] ** 2 if p["centered"] else s["v"]
        increment = lr * g / np.sqrt(denominator + p["epsilon"])
        s["m"] = p["momentum"] * s["m"] + increment
        return theta - (s["m"] if p["momentum"] > 0 else increment)
    if name == "adagrad":
        s["a"] = s["a"] + g ** 2
        return theta - lr * g / np.sqrt(s["a"] + p["epsilon"])
    if name == "adamax":
        s["m"] = p["beta_1"] * s["m"] + (1 - p["beta_1"]) * g
        s["u"] = np.maximum(p["beta_2"] * s["u"], np.abs(g))
        return theta - lr * s["m"] / ((1 - p["beta_1"] ** t) * (s["u"] + p["epsilon"]))
    if name == "lion":
        direction = np.sign(p["beta_1"] * s["m"] + (1 - p["beta_1"]) * g)
        s["m"] = p["beta_2"] * s["m"] + (1 - p["beta_2"]) * g
        return theta - lr * direction
    if name == "adadelta":
        rho, eps = p["rho"], p["epsilon"]
        s["eg"] = rho * s["eg"] + (1 - rho) * g ** 2
        delta = -np.sqrt(s["ed"] + eps) / np.sqrt(s["eg"] + eps) * g
        s["ed"] = rho * s["ed"] + (1 - rho) * delta ** 2
        return theta + lr * delta
    if name == "nadam":
        b1, b2 = p["beta_1"], p["beta_2"]
        mu_t, mu_next = b1 * (1 - 0.5 * 0.96 ** t), b1 * (1 - 0.5 * 0.96 ** (t + 1))
        s["prod"] = s["prod"] * mu_t
        s["m"] = b1 * s["m"] + (1 - b1) * g
        s["v"] = b2 * s["v"] + (1 - b2) * g ** 2
        m_hat = mu_next * s["m"] / (1 - s["prod"] * mu_next) + (1 - mu_t) * g / (1 - s["prod"])
        v_hat = s["v"] / (1 - b2 ** t)
        return theta - lr * m_hat / (np.sqrt(v_hat) + p["epsilon"])
    raise AssertionError(name)


CASES = {
    "sgd": lambda d: dict(momentum=d.draw(st.sampled_from([0.0, 0.5, 0.9])),
                          nesterov=d.draw(st.booleans())),
    "adam": lambda d: dict(beta_1=d.draw(st.floats(0.5, 0.95)),
                           beta_2=d.draw(st.floats(0.9, 0.999)), epsilon=1e-7,
                           amsgrad=d.draw(st.booleans())),
    "rmsprop": lambda d: dict(rho=d.draw(st.floats(0.5, 0.95)),
                              momentum=d.draw(st.sampled_from([0.0, 0.9])), epsilon=1e-7,
                              centered=d.draw(st.booleans())),
    "adagrad": lambda d: dict(initial_accumulator_value=d.draw(st.floats(0.01, 1.0)),
                              epsilon=1e-7),
    "adamax": lambda d: dict(beta_1=d.draw(st.floats(0.5, 0.95)),
                             beta_2=d.draw(st.floats(0.9, 0.999)), epsilon=1e-7),
    "lion": lambda d: dict(beta_1=d.draw(st.floats(0.5, 0.95)),
                           beta_2=d.draw(st.floats(0.9, 0.999))),
    "adadelta": lambda d: dict(rho=d.draw(st.floats(0.5, 0.99)), epsilon=1e-6),
    "nadam": lambda d: dict(beta_1=d.draw(st.floats(0.5, 0.95)),
                            beta_2=d.draw(st.floats(0.9, 0.999)), epsilon=1e-7),
}


def initial_reference_state(name, params, shape):
    zeros = np.zeros(shape)
    state = {key: zeros for key in ("m", "v", "vhat", "gbar", "u", "eg", "ed")}
    state["a"] = np.full(shape, params.get("initial_accumulator_value", 0.0))
    state["prod"] = 1.0
    return state


@pytest.mark.parametrize("name", sorted(CASES))
@settings(deadline=None, max_examples=12)
@given(data=st.data(), seed=SEEDS)
def test_in_place_rules_equal_textbook_references_in_float64(name, data, seed):
    params = CASES[name](data)
    rng = np.random.default_rng(seed)
    theta0 = rng.normal(size=(3, 4))
    w = Weight(theta0.copy(), name="w")
    optimizer = optimizers.get({"class_name": name,
                                "config": {"learning_rate": 0.1, **params}})
    lr = float(np.float32(0.1))                   # Keras keeps the learning rate in float32
    state, theta = initial_reference_state(name, params, theta0.shape), theta0
    for t in range(1, 4):
        g = rng.normal(size=theta0.shape)
        w.grad = g
        optimizer.apply([w])
        theta = reference_step(name, params, state, g, theta, t, lr)
        assert w.value.dtype == np.float64                 # float64 stays float64
        np.testing.assert_allclose(w.value, theta, rtol=1e-10, atol=1e-12)
    assert all(v.dtype == np.float64 for v in optimizer.variables[2:])


def test_sgd_momentum_and_nesterov_by_hand():
    # m1 = -lr g, m2 = mu m1 - lr g. Momentum adds each m; Nesterov adds mu m - lr g.
    lr, mu, g = 0.5, 0.5, np.array(GRAD)
    m1 = -lr * g
    m2 = mu * m1 - lr * g
    np.testing.assert_allclose(steps(optimizers.SGD(lr, momentum=mu), 2),
                               np.array(VAR) + m1 + m2, atol=1e-6)
    np.testing.assert_allclose(steps(optimizers.SGD(lr, momentum=mu, nesterov=True), 2),
                               np.array(VAR) + (mu * m1 - lr * g) + (mu * m2 - lr * g),
                               atol=1e-6)


# ------------------------------------------------------- the in-place speed-up
@pytest.mark.parametrize("use_compiled", [False, True])
@settings(max_examples=10)
@given(seed=SEEDS, dtype=st.sampled_from(["float32", "float64"]),
       learning_rate=st.sampled_from([1e-3, 0.1]))
def test_adam_in_place_is_bit_identical_to_the_formula(use_compiled, seed, dtype,
                                                        learning_rate):
    """``in_place.adam_in_place`` (what apply runs on NumPy arrays) computes exactly what
    ``Adam.update_step`` (the formula the book shows) does, bit for bit, step after step:
    with NumPy's ``out=`` arithmetic, and as the compiled loop of the ``fast`` extra
    (where Numba is installed; elsewhere both runs take the NumPy path)."""
    with compiled.switched(use_compiled):
        _check_adam_in_place_against_the_formula(seed, dtype, learning_rate)


def _check_adam_in_place_against_the_formula(seed, dtype, learning_rate):
    rng = np.random.default_rng(seed)
    start = rng.standard_normal((3, 5)).astype(dtype)
    fast, plain = weight(start, dtype=dtype), weight(start, dtype=dtype)
    fast_rule, plain_rule = optimizers.Adam(learning_rate), optimizers.Adam(learning_rate)
    for rule, w in ((fast_rule, fast), (plain_rule, plain)):
        rule.build([w])
    for _ in range(4):
        grad = rng.standard_normal((3, 5)).astype(dtype)
        assert in_place.adam_in_place(fast_rule, fast.value, grad, fast_rule._slots[id(fast)],
                                      learning_rate)
        plain_rule.update_step(grad, plain, learning_rate)
        for rule in (fast_rule, plain_rule):
            rule._iterations += 1
        np.testing.assert_array_equal(fast.value, plain.value)
        for slot in ("momentum", "velocity"):
            np.testing.assert_array_equal(fast_rule._slots[id(fast)][slot],
                                          plain_rule._slots[id(plain)][slot])


def test_apply_uses_the_in_place_step_for_adam_but_not_for_amsgrad(monkeypatch):
    calls = []
    original = in_place.adam_in_place
    monkeypatch.setitem(optimizers.optimizer.IN_PLACE_STEPS, "kerastutor.optimizers.adam.Adam",
                        lambda *args: calls.append(args[0]) or original(*args))
    steps(optimizers.Adam(), n=2)
    assert len(calls) == 2
    calls.clear()
    steps(optimizers.Adam(amsgrad=True), n=2)   # called, declines: update_step runs
    assert len(calls) == 2
