"""The Optimizer base: weight decay, clipping, the step's bookkeeping, state, EMA,
accumulation, config, lookup and errors."""
import tracemalloc

import numpy as np
import pytest

from kerastutor import optimizers
from kerastutor.weight import Weight
from optimizer_cases import steps, weight

ALL = [optimizers.SGD, optimizers.Adam, optimizers.RMSprop, optimizers.Adagrad,
       optimizers.AdamW, optimizers.Adadelta, optimizers.Adamax, optimizers.Nadam,
       optimizers.Lion, optimizers.Ftrl]


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
