"""The tutor's hints name the cause and the fix, on small real trainings that have the fault.

Every fault below is a real ``keras.trace.record`` of a few steps on tiny
data; a healthy training of each common kind gets no hint at all.
"""
import warnings

import numpy as np
import pytest

import kerastutor as keras
from kerastutor.trace import hints as hints_module

L = keras.layers


# ============================================================ small models and data
def blobs(n=64, seed=0):
    """Standardised 4-feature data with 3 classes (labels 0, 1, 2)."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 3
    x = rng.normal(size=(n, 4)) + 2 * y[:, None]
    return ((x - x.mean(0)) / x.std(0)).astype("float32"), y


def pixels(n=64, seed=0):
    """Images left at 0..255 (8x8, flattened) and 10 classes."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, size=(n, 64)).astype("float32"), np.arange(n) % 10


def mlp(inputs=4, units=3, out="softmax", hidden="relu", depth=1, optimizer=None,
        loss="sparse_categorical_crossentropy", first=()):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((inputs,)), *first]
                             + [L.Dense(16, activation=hidden) for _ in range(depth)]
                             + [L.Dense(units, activation=out)])
    model.compile(optimizer=optimizer or keras.optimizers.Adam(), loss=loss)
    return model


def hints_of(model, x, y, steps=3):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")          # compile/fit warnings; the hints explain
        return keras.trace.record(model, x, y, steps=steps).hints()


def kinds(found):
    return [hint.kind for hint in found]


def the(kind, found):
    matching = [hint for hint in found if hint.kind == kind]
    assert matching, f"no {kind!r} hint among {kinds(found)}"
    return matching[0]


# ============================================================ healthy trainings: silence
def test_healthy_trainings_get_no_hint():
    x, y = blobs()
    binary = (x[:, 0] + x[:, 1] > 0).astype("float32")
    weights = np.array([[1.0], [2.0], [-1.0], [0.5]], dtype="float32")
    regression = keras.Sequential([keras.Input((4,)), L.Dense(1)])
    regression.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01), loss="mse")
    cases = {
        "relu mlp, scaled data": (mlp(), x, y),
        "relu mlp, sgd": (mlp(optimizer=keras.optimizers.SGD(learning_rate=0.1)), x, y),
        "sigmoid binary classifier": (mlp(units=1, out="sigmoid", loss="binary_crossentropy"),
                                      x, binary),
        "softmax, one-hot, from_logits=False": (
            mlp(loss=keras.losses.CategoricalCrossentropy(from_logits=False)), x,
            keras.utils.to_categorical(y, 3)),
        "logits with from_logits=True": (
            mlp(out=None, loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True)),
            x, y),
        "linear regression": (regression, x, x @ weights + 0.3),
        "deep tanh": (mlp(hidden="tanh", depth=4), x, y),
        "pixels divided by 255": (mlp(inputs=64, units=10), pixels()[0] / 255, pixels()[1]),
        "pixels rescaled in the model": (mlp(inputs=64, units=10,
                                             first=[L.Rescaling(1 / 255)]), *pixels()),
        "four classes 0..3": (mlp(units=4), x, (np.arange(64) % 4)),
    }
    for name, (model, data, target) in cases.items():
        assert hints_of(model, data, target, steps=5) == [], name


def test_token_ids_for_an_embedding_are_not_unscaled_inputs():
    ids = np.random.default_rng(0).integers(0, 500, size=(32, 6))
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((6,)), L.Embedding(500, 8),
                              L.GlobalAveragePooling1D(), L.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    for data in (ids, ids.astype("float32")):      # token ids, as ints or as floats
        assert hints_of(model, data, np.arange(32) % 2) == []


# ============================================================ causes
def test_learning_rate_too_high_when_the_loss_rose_then_plateaued():
    x, y = blobs()
    binary = (x[:, 0] > 0).astype("float32")
    model = mlp(units=1, out="sigmoid", loss="binary_crossentropy",
                optimizer=keras.optimizers.SGD(learning_rate=50.0))
    found = hints_of(model, x, binary, steps=6)
    hint = the("learning_rate_too_high", found)
    assert kinds(found)[0] == "learning_rate_too_high"           # the cause comes first
    assert "rose from" in hint.explanation and "(50)" in hint.explanation
    assert "try 5)" in hint.explanation                         # names the fix: LR / 10


def test_learning_rate_too_high_when_the_loss_becomes_nan():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 8)).astype("float32") * 10
    model = keras.Sequential([keras.Input((8,)), L.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=1.0), loss="mse")
    hint = the("learning_rate_too_high", hints_of(model, x, x.sum(1, keepdims=True), steps=12))
    assert "inf or NaN" in hint.explanation and "try 0.1" in hint.explanation


def test_learning_rate_too_high_from_one_huge_step():
    x, y = blobs()
    hint = the("learning_rate_too_high",
               hints_of(mlp(optimizer=keras.optimizers.Adam(learning_rate=1.0)), x, y, steps=1))
    assert "of their size" in hint.explanation and "try 0.1" in hint.explanation


def test_a_relu_network_with_learning_rate_10_is_not_told_about_vanishing_gradients():
    """The issue's example: the old ratio, fooled by a saturated softmax, said 'use ReLU'."""
    x, y = blobs()
    found = hints_of(mlp(depth=3, optimizer=keras.optimizers.SGD(learning_rate=10.0)), x, y,
                     steps=5)
    assert kinds(found)[0] == "learning_rate_too_high"
    assert "vanishing_gradients" not in kinds(found)


@pytest.mark.parametrize("dtype", ["float32", "uint8"])
def test_inputs_left_at_0_to_255(dtype):
    x, y = pixels()
    found = hints_of(mlp(inputs=64, units=10, depth=2), x.astype(dtype), y)
    hint = the("inputs_not_scaled", found)
    assert "x / 255" in hint.explanation and "reach 25" in hint.explanation
    assert hint.where == "x -> dense"
    assert "vanishing_gradients" not in kinds(found)


def test_unscaled_tabular_inputs_suggest_standardising():
    x, y = blobs()
    x = x * np.array([1.0, 1.0, 1000.0, 1.0], dtype="float32") + 5000.0   # e.g. prices
    hint = the("inputs_not_scaled", hints_of(mlp(), x, y))
    assert "Normalization" in hint.explanation and "StandardScaler" in hint.explanation


def test_tiny_inputs():
    x, y = blobs()
    hint = the("inputs_not_scaled", hints_of(mlp(), x * 1e-5, y))
    assert "below" in hint.explanation


def test_inputs_meeting_a_normalization_layer_first_are_fine():
    x, y = pixels()
    norm = L.Normalization()
    norm.adapt(x)
    assert "inputs_not_scaled" not in kinds(hints_of(mlp(inputs=64, units=10, first=[norm]),
                                                     x, y))


def test_sparse_labels_counted_from_1():
    x, y = blobs()
    found = hints_of(mlp(units=4), x, y + 1)           # labels 1..3, a Dense(4) to fit them
    hint = the("labels_counted_from_one", found)
    assert "y - 1" in hint.explanation and "Dense(3)" in hint.explanation
    assert "no label is 0" in hint.explanation


def test_one_hot_labels_with_an_empty_first_column():
    x, y = blobs()
    one_hot = keras.utils.to_categorical(y + 1)        # 4 columns, column 0 never set
    found = hints_of(mlp(units=4, loss="categorical_crossentropy"), x, one_hot)
    hint = the("labels_counted_from_one", found)
    assert "column 0" in hint.explanation
    assert "to_categorical(y - 1, num_classes=3)" in hint.explanation


def test_a_small_batch_missing_class_0_by_chance_is_not_flagged():
    x, y = blobs(n=6)
    assert "labels_counted_from_one" not in kinds(hints_of(mlp(units=4), x, y + 1, steps=1))


@pytest.mark.parametrize("out, loss, y_of", [
    ("softmax", keras.losses.SparseCategoricalCrossentropy, lambda y: y),
    ("sigmoid", keras.losses.BinaryCrossentropy, lambda y: (y > 0).astype("float32")[:, None]),
])
def test_probabilities_given_to_a_loss_with_from_logits_true(out, loss, y_of):
    x, y = blobs()
    units = 1 if out == "sigmoid" else 3
    model = mlp(units=units, out=out, loss=loss(from_logits=True))
    hint = the("softmax_with_from_logits", hints_of(model, x, y_of(y)))
    assert "from_logits=False" in hint.explanation and out in hint.explanation


@pytest.mark.parametrize("loss, squash", [("sparse_categorical_crossentropy", "softmax"),
                                          ("binary_crossentropy", "sigmoid")])
def test_linear_output_into_a_loss_expecting_probabilities(loss, squash):
    x, y = blobs()
    units, target = (3, y) if squash == "softmax" else (1, (y > 0).astype("float32"))
    hint = the("linear_output_for_probabilities", hints_of(mlp(units=units, out=None,
                                                               loss=loss), x, target))
    assert f'activation="{squash}"' in hint.explanation
    assert "from_logits=True" in hint.explanation


# ============================================================ symptoms
def test_dead_relus_name_the_usual_causes():
    x, y = blobs()
    model = mlp()
    model.layers[0].bias.assign(np.full(16, -50.0, dtype="float32"))
    hint = the("dead_relus", hints_of(model, x, y, steps=1))
    assert "100%" in hint.explanation and "bias" in hint.explanation
    assert "learning rate" in hint.explanation and "unscaled inputs" in hint.explanation


def test_dead_relus_after_a_huge_step_blame_the_learning_rate():
    x, y = blobs()
    found = hints_of(mlp(depth=2, optimizer=keras.optimizers.SGD(learning_rate=10.0)), x, y,
                     steps=4)
    assert kinds(found)[0] == "learning_rate_too_high"
    assert "most likely the learning rate" in the("dead_relus", found).explanation


def test_saturated_tanh_hidden_layer_is_named():
    x, y = blobs()
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), L.Dense(
        16, activation="tanh", name="squash",
        kernel_initializer=keras.initializers.RandomNormal(stddev=30.0)), L.Dense(3)])
    model.compile("sgd", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    hint = the("saturated_activations", hints_of(model, x, y, steps=1))
    assert hint.where == "squash" and "tanh" in hint.title


def test_an_output_sigmoid_is_not_a_saturated_hidden_layer():
    x, y = blobs()
    binary = (x[:, 0] > 0).astype("float32")
    model = mlp(units=1, out="sigmoid", loss="binary_crossentropy")
    model.layers[-1].kernel.assign(model.layers[-1].kernel.value * 100)   # confident output
    assert "saturated_activations" not in kinds(hints_of(model, x, binary, steps=1))


def test_vanishing_gradients_in_a_deep_sigmoid_stack():
    x, y = blobs()
    found = hints_of(mlp(hidden="sigmoid", depth=10,
                         optimizer=keras.optimizers.SGD(learning_rate=0.01)), x, y, steps=1)
    hint = the("vanishing_gradients", found)
    assert "sigmoid" in hint.explanation and "ReLU" in hint.explanation


def test_a_saturated_softmax_does_not_fake_vanishing_gradients():
    """Huge logits make dL/dlogits tiny, but they shrink every hidden gradient alike."""
    x, y = blobs()
    model = mlp(depth=3)
    model.layers[-1].kernel.assign(model.layers[-1].kernel.value * 1000)
    flow = hints_module._hidden_gradient_flow(
        keras.trace.record(model, x, y, steps=1)[0])
    assert 1e-2 < flow[2] < 1e2
    assert "vanishing_gradients" not in kinds(hints_of(model, x, y, steps=1))


def test_learning_rate_too_low():
    x, y = blobs()
    hint = the("learning_rate_too_low",
               hints_of(mlp(optimizer=keras.optimizers.SGD(learning_rate=1e-9)), x, y))
    assert "(1e-09)" in hint.explanation


# ============================================================ the pieces
def test_the_scale_rule():
    assert hints_module.scale_problem(255.0, 120.0) == "large"
    assert hints_module.scale_problem(25.0, 1.0) is None          # an outlier in z-scores
    assert hints_module.scale_problem(12.0, 4.0) is None          # small counts
    assert hints_module.scale_problem(1e-4, 5e-5) == "tiny"
    assert hints_module.scale_problem(0.0, 0.0) is None           # all zeros: nothing to say


def test_raw_value_reader_looks_through_layers_that_only_move_values():
    images = keras.Sequential([keras.Input((8, 8, 1)), L.RandomFlip(), L.Flatten(),
                               L.Dense(3, name="reads")])
    assert hints_module.raw_value_reader(images) == "reads"
    rescaled = keras.Sequential([keras.Input((8, 8, 1)), L.Flatten(), L.Rescaling(1 / 255),
                                 L.Dense(3)])
    assert hints_module.raw_value_reader(rescaled) is None
    lam = keras.Sequential([keras.Input((4,)), L.Lambda(lambda t: t / 255), L.Dense(3)])
    assert hints_module.raw_value_reader(lam) is None             # may rescale: unknown
    text, numbers = keras.Input((5,)), keras.Input((3,))
    joined = L.Concatenate()([L.Flatten()(L.Embedding(50, 2)(text)), numbers])
    model = keras.Model([text, numbers], L.Dense(1, name="head")(joined))
    assert hints_module.raw_value_reader(model, 0) is None        # token ids
    assert hints_module.raw_value_reader(model, 1) == "head"


def test_describe_batch_summarises_inputs_and_labels():
    x, y = pixels(n=20)
    model = mlp(inputs=64, units=10)
    record = hints_module.describe_batch(model, [x], [y])
    (inputs,), (labels,) = record.inputs, record.labels
    assert inputs.max_abs == np.abs(x).max() and inputs.reader == "dense"
    assert inputs.rms == pytest.approx(np.sqrt(np.mean(x.astype(np.float64) ** 2)))
    np.testing.assert_array_equal(labels.class_counts, np.bincount(y))
    assert labels.units == 10 and not labels.one_hot
    one_hot = hints_module.summarise_labels(keras.utils.to_categorical(y, 10))
    assert one_hot.one_hot and list(one_hot.class_counts) == list(np.bincount(y))
    assert hints_module.summarise_labels(np.array([0.5, 1.5])).class_counts is None


def _plain_input_summary(array, monkeypatch):
    with monkeypatch.context() as patch:
        patch.setattr(hints_module, "finite_input_scale", lambda array: None)
        return hints_module.summarise_input(array)


@pytest.mark.parametrize("compiled_on", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("make", [
    lambda rng: rng.random((32, 784)),                        # pixels scaled to [0, 1]
    lambda rng: np.floor(256 * rng.random((32, 784))),        # pixels left at 0..255
    lambda rng: np.where(rng.random((64, 20)) < 0.99, 3.0, 0.5),   # whole but a few
    lambda rng: -1e4 * rng.standard_normal((17, 5)),          # unscaled, negative
    lambda rng: np.zeros((4, 3)),                             # all zeros (and -0.0)
    lambda rng: -np.zeros((4, 3)),
    lambda rng: np.array([1.0, np.nan, -2.5, np.inf]),        # NaN/inf: the plain code
    lambda rng: np.array([3e200, -1e200, 1.0]),               # squares beyond float64
], ids=["unit", "pixels", "mostly-whole", "large", "zeros", "negative-zeros", "nonfinite",
        "huge"])
def test_the_quick_input_summary_matches_the_plain_code(make, dtype, compiled_on,
                                                        monkeypatch):
    from kerastutor import compiled
    with np.errstate(over="ignore"):
        array = make(np.random.default_rng(8)).astype(dtype)
    with compiled.switched(compiled_on):
        quick = hints_module.finite_input_scale(array)
        summary = hints_module.summarise_input(array)
    plain = _plain_input_summary(array, monkeypatch)
    finite = bool(np.all(np.isfinite(array))) and np.all(np.isfinite(np.square(
        array.astype(np.float64))))
    assert (quick is not None) == (compiled_on and compiled.is_available() and finite)
    assert (summary.shape, summary.dtype, summary.min, summary.whole) == \
        (plain.shape, plain.dtype, plain.min, plain.whole)
    assert str(summary.max_abs) == str(plain.max_abs)         # the same sign of zero too
    assert summary.rms == pytest.approx(plain.rms, rel=1e-12)


def test_a_fraction_outside_the_whole_number_sample_is_still_found():
    array = np.ones(5000, "float32")
    array[4001] = 0.5                      # 5000 // 1024 = 4: the sample skips entry 4001
    assert not hints_module._all_whole(array)
    array[4001] = 2.0
    assert hints_module._all_whole(array)
