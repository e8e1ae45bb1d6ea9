"""Optimizers: Keras 3's own goldens (keras-spec §8.1), textbook references, state, errors."""
import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kerastutor import optimizers
from kerastutor.weight import Weight

VAR, GRAD = [1.0, 2.0, 3.0, 4.0], [1.0, 6.0, 7.0, 2.0]
ALL = [optimizers.SGD, optimizers.Adam, optimizers.RMSprop, optimizers.Adagrad,
       optimizers.AdamW, optimizers.Adadelta, optimizers.Adamax, optimizers.Nadam,
       optimizers.Lion, optimizers.Ftrl]


def weight(values, name="w", dtype="float32", **kwargs):
    return Weight(np.array(values, dtype), name=name, **kwargs)


def steps(optimizer, n=1, var=VAR, grad=GRAD):
    w = weight(var)
    for _ in range(n):
        w.grad = np.array(grad, "float32")
        optimizer.apply([w])
    return w.value


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


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_weight_decay_three_instances_and_exclusions(cls):
    decayed, by_name, by_identity = weight(2.0), weight(2.0, name="exclude"), weight(2.0)
    for _ in range(3):
        optimizer = cls(learning_rate=1.0, weight_decay=0.004)
        optimizer.exclude_from_weight_decay(var_list=[by_identity], var_names=["exclude"])
        for w in (decayed, by_name, by_identity):
            w.grad = np.zeros((), "float32")
        optimizer.apply([decayed, by_name, by_identity])
    if cls is optimizers.Ftrl:
        # Ftrl recomputes the weight from its "linear" slot each step, so zero gradients
        # do not leave it in place; the decay itself is what the other cases show.
        return
    assert float(decayed.value) == pytest.approx(1.9760959, rel=1e-6)   # 2 * 0.996 ** 3
    assert float(by_name.value) == 2.0 and float(by_identity.value) == 2.0


def test_clipping_goldens():
    g = [np.array([100.0, 100.0])]
    half_root_two = [2 ** -0.5, 2 ** -0.5]
    np.testing.assert_allclose(optimizers.Adam(clipnorm=1.0)._clip_gradients(g)[0],
                               half_root_two)
    np.testing.assert_allclose(optimizers.Adam(clipvalue=1.0)._clip_gradients(g)[0], [1, 1])
    np.testing.assert_allclose(optimizers.Adam(global_clipnorm=1.0)._clip_gradients(g)[0],
                               half_root_two)


def test_clipnorm_is_per_tensor_and_global_clipnorm_joint():
    grads = [np.array([3.0, 4.0]), np.array([0.3, 0.4])]     # norms 5 and 0.5; joint ~5.02
    per_tensor = optimizers.SGD(clipnorm=1.0)._clip_gradients(grads)
    np.testing.assert_allclose(per_tensor[0], [0.6, 0.8])
    np.testing.assert_allclose(per_tensor[1], [0.3, 0.4])     # already short: untouched
    joint = optimizers.SGD(global_clipnorm=1.0)._clip_gradients(grads)
    scale = 1 / np.sqrt(25.25)
    np.testing.assert_allclose(joint[1], [0.3 * scale, 0.4 * scale])


def test_clipping_inside_apply_leaves_the_weights_grad_alone():
    w = weight([0.0, 0.0])
    w.grad = np.array([30.0, 40.0], "float32")
    optimizers.SGD(learning_rate=1.0, clipnorm=1.0).apply([w])
    np.testing.assert_allclose(w.value, [-0.6, -0.8], rtol=1e-6)
    np.testing.assert_allclose(w.grad, [30.0, 40.0])


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
@given(data=st.data(), seed=st.integers(0, 2 ** 16))
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


# ------------------------------------------------------------- the step's bookkeeping
def test_constraint_applies_after_the_update_and_frozen_weights_stay():
    w = weight([1.0, -1.0], constraint=lambda v: np.maximum(v, 0))
    frozen = weight([5.0], trainable=False)
    w.grad, frozen.grad = np.array([-3.0, 10.0], "float32"), np.array([1.0], "float32")
    sgd = optimizers.SGD(learning_rate=0.1)
    sgd.apply([w, frozen])
    # 1 + 0.3 = 1.3 survives the constraint; -1 - 1 = -2 is projected to 0 afterwards
    np.testing.assert_allclose(w.value, [1.3, 0.0], rtol=1e-6)
    np.testing.assert_allclose(frozen.value, [5.0])
    assert len(sgd.variables) == 2                 # no slots for anything (momentum 0)
    sgd.apply([frozen])                            # nothing trainable: not even counted
    assert sgd.iterations == 1


def test_schedule_is_read_at_iterations_before_the_increment():
    schedule = optimizers.schedules.ExponentialDecay(1.0, decay_steps=1, decay_rate=0.5)
    sgd = optimizers.SGD(schedule)
    w, moves = weight([0.0]), []
    for _ in range(3):
        w.grad = np.array([1.0], "float32")
        before = float(w.value[0])
        sgd.apply([w])
        moves.append(before - float(w.value[0]))
    assert moves == [1.0, 0.5, 0.25]
    assert sgd.iterations == 3 and sgd.learning_rate == 0.125


def test_callable_learning_rate_is_called_without_arguments():
    calls = []
    sgd = optimizers.SGD(lambda: calls.append(1) or 0.5)
    np.testing.assert_allclose(steps(sgd, var=[1.0], grad=[1.0]), [0.5])
    assert calls and "learning_rate" not in sgd.variable_names


def test_learning_rate_setter_and_float32_storage():
    adam = optimizers.Adam()
    assert adam.learning_rate == 0.0010000000474974513
    adam.learning_rate = 0.5
    assert adam.learning_rate == 0.5 and float(adam.variables[1]) == 0.5
    scheduled = optimizers.Adam(optimizers.schedules.InverseTimeDecay(1.0, 1, 1.0))
    with pytest.raises(TypeError, match="LearningRateSchedule"):
        scheduled.learning_rate = 0.1


def test_variables_order_and_names_follow_keras():
    kernel = Weight(np.zeros((2, 3), "float32"), name="kernel", path="sequential/dense/kernel")
    bias = Weight(np.zeros(3, "float32"), name="bias", path="sequential/dense/bias")
    kernel.grad, bias.grad = np.ones((2, 3), "float32"), np.ones(3, "float32")
    adam = optimizers.Adam()
    adam.apply([kernel, bias])
    assert adam.variable_names == [
        "iteration", "learning_rate", "adam/sequential_dense_kernel_momentum",
        "adam/sequential_dense_kernel_velocity", "adam/sequential_dense_bias_momentum",
        "adam/sequential_dense_bias_velocity"]
    values = adam.variables
    assert int(values[0]) == 1 and values[1].dtype == np.float32
    assert [v.shape for v in values[2:]] == [(2, 3), (2, 3), (3,), (3,)]


@pytest.mark.parametrize("optimizer, suffixes", [
    # one Keras `add_optimizer_variables` call per group: interleaved inside, groups in turn
    (optimizers.RMSprop(momentum=0.9, centered=True),
     ["a_velocity", "b_velocity", "a_momentum", "b_momentum", "a_average_gradient",
      "b_average_gradient"]),
    (optimizers.Adam(amsgrad=True),
     ["a_momentum", "a_velocity", "b_momentum", "b_velocity", "a_velocity_hat",
      "b_velocity_hat"]),
    (optimizers.Adagrad(use_ema=True),
     ["a_average", "b_average", "a_accumulator", "b_accumulator"]),
    (optimizers.Nadam(), ["a_momentum", "a_velocity", "b_momentum", "b_velocity", "u_product"]),
], ids=["rmsprop", "adam_amsgrad", "adagrad_ema", "nadam"])
def test_slot_groups_are_ordered_like_keras(optimizer, suffixes):
    optimizer.build([weight([1.0], name="a"), weight([1.0], name="b")])
    names = optimizer.variable_names[2:]
    slot_names = [name for name in names if name != "u_product"]
    assert [name.replace(optimizer.name + "/", "") for name in names] == suffixes
    assert all(name.startswith(optimizer.name + "/") for name in slot_names)


def test_default_names_are_lower_case_class_names():
    assert [cls().name for cls in ALL] == ["sgd", "adam", "rmsprop", "adagrad", "adamw",
                                           "adadelta", "adamax", "nadam", "lion", "ftrl"]
    assert optimizers.Adam(name="mine").name == "mine"


def test_state_round_trips_through_set_variables_and_a_store():
    kernel = weight(np.ones((2, 2)), name="kernel")
    kernel.grad = np.full((2, 2), 0.5, "float32")
    adam = optimizers.Adam(learning_rate=0.01)
    adam.apply([kernel])
    adam.apply([kernel])
    store = {}
    adam.save_own_variables(store)
    twin = weight(np.ones((2, 2)), name="kernel")
    restored = optimizers.Adam(learning_rate=0.3)
    restored.build([twin])
    restored.load_own_variables(store)
    assert restored.iterations == 2 and restored.learning_rate == pytest.approx(0.01)
    for mine, theirs in zip(restored.variables, adam.variables):
        np.testing.assert_array_equal(mine, theirs)
    # the restored optimizer continues exactly as the original would
    twin.value[...] = kernel.value
    twin.grad = kernel.grad
    adam.apply([kernel])
    restored.apply([twin])
    np.testing.assert_array_equal(twin.value, kernel.value)


def test_loading_a_store_of_the_wrong_size_warns_and_keeps_state():
    adam = optimizers.Adam()
    with pytest.warns(UserWarning, match="not been built"):
        adam.load_own_variables({"0": np.array(5), "1": np.array(0.1), "2": np.zeros(3)})
    assert adam.iterations == 0
    with pytest.raises(ValueError, match="expected 2 arrays"):
        adam.set_variables([np.array(1)])


ALLOCATION_CASES = [optimizers.SGD(), optimizers.SGD(momentum=0.9, nesterov=True),
                    optimizers.RMSprop(momentum=0.9, centered=True), optimizers.Adagrad(),
                    optimizers.Adam(amsgrad=True), optimizers.AdamW(), optimizers.Adadelta(),
                    optimizers.Adamax(), optimizers.Nadam(), optimizers.Lion(),
                    optimizers.Ftrl(), optimizers.Adam(clipnorm=1.0, use_ema=True)]


@pytest.mark.parametrize("optimizer", ALLOCATION_CASES, ids=lambda o: o.name)
def test_steps_update_weights_and_slots_in_place(optimizer):
    """The rules are plain formulas (their temporaries come and go), but the weight and
    every slot are the same arrays after each step, and nothing is kept between steps."""
    w = Weight(np.ones((128, 128), "float32"), name="w")
    w.grad = np.random.default_rng(0).normal(size=(128, 128)).astype("float32")
    optimizer.apply([w])                                    # builds the slots
    value_address = w.value.ctypes.data
    slot_addresses = [a.ctypes.data for a in optimizer.variables[2:]]
    tracemalloc.start()
    for _ in range(3):
        optimizer.apply([w])
    kept, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert w.value.ctypes.data == value_address
    assert [a.ctypes.data for a in optimizer.variables[2:]] == slot_addresses
    assert kept < w.value.nbytes / 4, f"the steps kept {kept} bytes alive"


def test_new_weights_get_slots_without_resetting_old_ones():
    first, second = weight([1.0], name="first"), weight([1.0], name="second")
    first.grad = second.grad = np.array([1.0], "float32")
    adam = optimizers.Adam()
    adam.apply([first])
    momentum = adam.variables[2].copy()
    adam.apply([first, second])
    assert len(adam.variables) == 6
    assert adam.variables[2] != momentum and adam.variables[2] != 0    # kept, then updated


# ------------------------------------------------- EMA, accumulation, loss scaling
def test_ema_follows_keras_golden():
    w = weight([1.0, 2.0])
    adam = optimizers.Adam(learning_rate=1.0, use_ema=True, ema_momentum=0.9)
    w.grad = np.array([1.0, 1.0], "float32")
    adam.apply([w])
    first = w.value.copy()
    np.testing.assert_allclose(adam._slot(w, "average"), first)   # EMA = first updated value
    adam.apply([w])
    np.testing.assert_allclose(adam._slot(w, "average"), 0.9 * first + 0.1 * w.value,
                               rtol=1e-6)
    adam.finalize_variable_values([w])
    np.testing.assert_allclose(w.value, 0.9 * first + 0.1 * (first - 1.0), rtol=1e-5)


def test_ema_overwrite_frequency_copies_the_average_into_the_weight():
    w = weight([0.0])
    sgd = optimizers.SGD(learning_rate=1.0, use_ema=True, ema_momentum=0.5,
                         ema_overwrite_frequency=2)
    for _ in range(2):
        w.grad = np.array([-1.0], "float32")
        sgd.apply([w])
    # values after the updates: 1 then 2; average: 1 then 0.5*1 + 0.5*2 = 1.5, copied in
    np.testing.assert_allclose(w.value, [1.5])


def test_gradient_accumulation_updates_once_with_the_mean():
    w = weight([0.0])
    sgd = optimizers.SGD(learning_rate=1.0, gradient_accumulation_steps=2)
    for g in (1.0, 3.0):
        w.grad = np.array([g], "float32")
        sgd.apply([w])
        if g == 1.0:
            assert float(w.value[0]) == 0.0 and sgd.iterations == 0
    np.testing.assert_allclose(w.value, [-2.0])
    assert sgd.iterations == 1
    np.testing.assert_allclose(sgd._slot(w, "gradient_accumulator"), [0.0])


def test_loss_scale_factor_divides_the_gradients():
    sgd = optimizers.SGD(learning_rate=1.0, loss_scale_factor=8.0)
    assert sgd.scale_loss(2.0) == 16.0
    np.testing.assert_allclose(steps(sgd, var=[0.0], grad=[8.0]), [-1.0])


# ---------------------------------------------------------------- Keras's call forms
def test_apply_gradients_and_keras_apply_form():
    w = weight([1.0, 1.0])
    sgd = optimizers.SGD(learning_rate=0.5)
    assert sgd.apply_gradients([(np.array([1.0, 2.0]), w)]) == 1
    np.testing.assert_allclose(w.value, [0.5, 0.0])
    sgd.apply([np.array([1.0, 0.0])], [w])
    np.testing.assert_allclose(w.value, [0.0, 0.0])
    skipped = weight([7.0])
    sgd.apply_gradients([(None, skipped), (np.array([0.0, 0.0]), w)])
    assert float(skipped.value[0]) == 7.0 and sgd.iterations == 3


# ------------------------------------------------------------------------- schedules
def test_schedules_follow_their_formulas():
    s = optimizers.schedules
    exponential = s.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5, staircase=True)
    assert [exponential(t) for t in (0, 9, 10, 25)] == pytest.approx([0.1, 0.1, 0.05, 0.025])
    piecewise = s.PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1])
    assert [piecewise(t) for t in (0, 10, 11, 20, 21)] == [1.0, 1.0, 0.5, 0.5, 0.1]
    polynomial = s.PolynomialDecay(1.0, decay_steps=10, end_learning_rate=0.1, power=2.0)
    assert [polynomial(t) for t in (0, 5, 10, 50)] == pytest.approx([1.0, 0.325, 0.1, 0.1])
    inverse = s.InverseTimeDecay(1.0, decay_steps=2, decay_rate=0.5)
    assert inverse(4) == pytest.approx(0.5)
    cosine = s.CosineDecay(1.0, decay_steps=10, alpha=0.1)
    assert [cosine(t) for t in (0, 5, 10, 99)] == pytest.approx([1.0, 0.55, 0.1, 0.1])
    warm = s.CosineDecay(0.0, decay_steps=10, warmup_target=1.0, warmup_steps=4)
    assert [warm(t) for t in (0, 2, 4, 9)] == pytest.approx([0.0, 0.5, 1.0, 0.5])
    restarts = s.CosineDecayRestarts(1.0, first_decay_steps=4)
    # lengths 4, 8, ...: the second cosine starts (at full height) on step 4
    assert [restarts(t) for t in (0, 2, 4, 8)] == pytest.approx([1.0, 0.5, 1.0, 0.5])
    np.testing.assert_allclose(piecewise(np.array([5, 15, 25])), [1.0, 0.5, 0.1])


def test_schedules_round_trip_through_the_optimizer_config():
    from kerastutor.optimizers.schedules import PolynomialDecay
    schedule = PolynomialDecay(0.5, decay_steps=100, cycle=True)
    config = optimizers.serialize(optimizers.SGD(schedule))
    assert config["config"]["learning_rate"]["class_name"] == "PolynomialDecay"
    clone = optimizers.deserialize(config)
    assert isinstance(clone._learning_rate, PolynomialDecay)
    assert clone._learning_rate.get_config() == schedule.get_config()


# ----------------------------------------------------------------- config and lookup
@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_config_round_trip(cls):
    optimizer = cls(learning_rate=0.25, clipnorm=2.0)
    config = optimizer.get_config()
    base_keys = {"name", "learning_rate", "weight_decay", "clipnorm", "global_clipnorm",
                 "clipvalue", "use_ema", "ema_momentum", "ema_overwrite_frequency",
                 "loss_scale_factor", "gradient_accumulation_steps"}
    assert base_keys <= set(config)
    clone = optimizers.deserialize({**optimizers.serialize(optimizer),
                                    "class_name": cls.__name__.upper()})
    assert type(clone) is cls and clone.get_config() == config


def test_learning_rate_reads_back_as_float32_in_config():
    config = optimizers.Adam(amsgrad=True).get_config()
    assert config["learning_rate"] == 0.0010000000474974513
    assert config["name"] == "adam" and config["amsgrad"] is True


def test_get_accepts_names_instances_and_configs():
    assert isinstance(optimizers.get("RMSprop"), optimizers.RMSprop)
    assert isinstance(optimizers.get("adamw"), optimizers.AdamW)
    sgd = optimizers.SGD()
    assert optimizers.get(sgd) is sgd
    assert optimizers.get({"class_name": "SGD", "config": {"momentum": 0.5}}).momentum == 0.5


# ---------------------------------------------------------------------------- errors
def test_errors_name_the_argument_and_give_a_hint():
    with pytest.raises(ValueError, match=r"learning_rate=1\.0"):
        optimizers.Adam(learning_rate=1)
    with pytest.raises(ValueError, match="at most one of"):
        optimizers.SGD(clipnorm=1.0, clipvalue=1.0)
    with pytest.raises(ValueError, match="Did you mean 'beta_1'"):
        optimizers.Adam(bet_1=0.9)
    with pytest.raises(ValueError, match=r"momentum=1\.0"):
        optimizers.SGD(momentum=1)
    with pytest.raises(ValueError, match="Did you mean 'adam'"):
        optimizers.get("adamm")
    with pytest.raises(ValueError, match="not implemented in kerastutor"):
        optimizers.get("muon")
    with pytest.raises(ValueError, match="weight_decay"):
        optimizers.AdamW(weight_decay=None)
    with pytest.raises(ValueError, match="beta_1"):
        optimizers.Lion(beta_1=0.0)
    with pytest.raises(ValueError, match="gradient_accumulation_steps"):
        optimizers.SGD(gradient_accumulation_steps=1)
    with pytest.raises(ValueError, match="decay_steps"):
        optimizers.schedules.ExponentialDecay(0.1, decay_steps=0, decay_rate=0.9)
    with pytest.warns(UserWarning, match="decay"):
        optimizers.SGD(decay=0.1)


def test_apply_gradients_rejects_arrays_and_wrong_shapes():
    sgd = optimizers.SGD()
    with pytest.raises(ValueError, match="Weight objects.*ndarray"):
        sgd.apply_gradients([(np.ones(2), np.ones(2))])
    with pytest.raises(ValueError, match=r"shape \(3,\); expected \(2,\)"):
        sgd.apply_gradients([(np.ones(3), weight([1.0, 2.0]))])
    with pytest.raises(ValueError, match="every gradient is None"):
        sgd.apply_gradients([(None, weight([1.0]))])
