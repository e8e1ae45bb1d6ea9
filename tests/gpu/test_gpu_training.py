"""Training on the device: the unchanged fit loop, with weights and batches as DeviceArrays.

Each model of the lessons trains for one epoch on the CPU and again on the device, from
the same seed. The device must give the same history (float32 rounding aside), keep every
weight on the device, need no host fallback (strict mode), and copy each batch to the
device exactly once. "emulated" always runs; "cuda" runs where a GPU is found.
"""
import numpy as np
import pytest

import kerastutor as keras
from kerastutor import backend
from kerastutor.gpu import array as garray
import kerastutor.gpu as gpu

GPU_OK, GPU_REASON = gpu.available()
DEVICES = ["emulated", pytest.param("cuda", marks=pytest.mark.skipif(
    not GPU_OK, reason=f"needs a CUDA GPU: {GPU_REASON}"))]
L = keras.layers


@pytest.fixture(params=DEVICES)
def device(request):
    """The device for the test's second run; the previous device again afterwards, strict
    mode off."""
    previous = backend.get_device()
    yield request.param
    garray.strict(False)
    backend.set_device(previous)


def _mlp():
    return keras.Sequential([keras.Input((20,)), L.Dense(16, activation="relu"), L.Dropout(0.2),
                             L.Dense(3, activation="softmax")])


def _cnn():
    return keras.Sequential([keras.Input((8, 8, 2)), L.Conv2D(4, 3, padding="same",
                                                              activation="relu"),
                             L.BatchNormalization(), L.MaxPooling2D(), L.Flatten(),
                             L.Dense(3, activation="softmax")])


def _lstm():
    return keras.Sequential([keras.Input((5, 3)), L.LSTM(6), L.Dense(3, activation="softmax")])


def _gru_embedding():
    return keras.Sequential([keras.Input((5,)), L.Embedding(7, 4), L.GRU(5),
                             L.Dense(3, activation="softmax")])


MODELS = {"mlp": (_mlp, (20,)), "cnn": (_cnn, (8, 8, 2)), "lstm": (_lstm, (5, 3)),
          "gru_embedding": (_gru_embedding, None)}


def _data(input_shape):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 7, (96, 5)) if input_shape is None else \
        rng.normal(size=(96,) + input_shape).astype("float32")
    return x, rng.integers(0, 3, 96)


def _train(build, x, y, device_name):
    backend.set_device(device_name)
    keras.utils.set_random_seed(7)
    model = build()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    garray.strict(device_name != "cpu")
    history = model.fit(x, y, batch_size=32, epochs=2, verbose=0, validation_split=0.25)
    prediction = model.predict(x[:4], verbose=0)
    garray.strict(False)
    return model, history.history, prediction


@pytest.mark.parametrize("name", MODELS)
def test_a_lesson_model_trains_on_the_device_as_on_the_cpu(name, device):
    build, input_shape = MODELS[name]
    x, y = _data(input_shape)
    _, cpu_history, cpu_prediction = _train(build, x, y, "cpu")
    model, history, prediction = _train(build, x, y, device)
    assert all(backend.is_device_array(w.value) for w in model.weights)
    assert isinstance(prediction, np.ndarray)          # predict hands back NumPy
    np.testing.assert_allclose(prediction, cpu_prediction, rtol=2e-4, atol=1e-5)
    assert history.keys() == cpu_history.keys()
    for key in history:
        np.testing.assert_allclose(history[key], cpu_history[key], rtol=2e-4, atol=1e-5)


def test_each_batch_is_copied_to_the_device_once(device):
    x, y = _data((20,))
    backend.set_device(device)
    model = keras.Sequential([keras.Input((20,)), L.Dense(8, activation="relu"),
                              L.Dense(3, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    model.fit(x[:32], y[:32], batch_size=32, epochs=1, verbose=0)      # builds everything
    uploads, fallbacks = garray.transfers["upload"], garray.fallbacks.copy()
    model.fit(x, y, batch_size=32, epochs=1, verbose=0)                # 3 steps
    assert garray.transfers["upload"] - uploads == 3 * 2               # x and y, per step
    assert garray.fallbacks == fallbacks                               # nothing left the GPU


def test_weights_of_a_device_model_save_load_and_set_as_numpy(device, tmp_path):
    x, y = _data((20,))
    model, _, prediction = _train(_mlp, x, y, device)
    weights = model.get_weights()
    assert all(isinstance(w, np.ndarray) for w in weights)
    path = str(tmp_path / "m.keras")
    model.save(path)
    backend.set_device("cpu")
    loaded = keras.models.load_model(path)
    np.testing.assert_allclose(loaded.predict(x[:4], verbose=0), prediction, rtol=1e-6)
    backend.set_device(device)
    model.set_weights([w * 0 for w in weights])
    assert backend.is_device_array(model.weights[0].value)
    np.testing.assert_array_equal(model.predict(x[:2], verbose=0), np.full((2, 3), 1 / 3,
                                                                           "float32"))


def test_evaluate_and_train_on_batch_run_on_the_device(device):
    x, y = _data((20,))
    model, _, _ = _train(_mlp, x, y, "cpu")
    cpu_loss = model.evaluate(x, y, verbose=0)
    backend.set_device(device)
    twin = keras.models.clone_model(model)
    twin.set_weights(model.get_weights())
    twin.compile(optimizer="sgd", loss="sparse_categorical_crossentropy",
                 metrics=["accuracy"])
    np.testing.assert_allclose(twin.evaluate(x, y, verbose=0)[0], cpu_loss[0], rtol=1e-5)
    assert np.isfinite(twin.train_on_batch(x[:16], y[:16])[0])


@pytest.mark.parametrize("make_optimizer", [
    lambda: keras.optimizers.SGD(0.05),
    lambda: keras.optimizers.SGD(0.05, momentum=0.9),
    lambda: keras.optimizers.SGD(0.05, momentum=0.9, nesterov=True),
    lambda: keras.optimizers.Adam(amsgrad=True),
    lambda: keras.optimizers.RMSprop(),
], ids=["sgd", "momentum", "nesterov", "amsgrad", "rmsprop"])
def test_fused_and_plain_updates_match_the_cpu(make_optimizer, device):
    """SGD and Adam use one fused kernel per weight on a GPU (kerastutor.gpu.fused);
    the others run their NumPy update as elementwise kernels. Both follow the CPU."""
    x, y = _data((20,))
    results = []
    for name in ("cpu", device):
        backend.set_device(name)
        keras.utils.set_random_seed(3)
        model = keras.Sequential([keras.Input((20,)), L.Dense(8, activation="tanh"),
                                  L.Dense(3, activation="softmax")])
        model.compile(optimizer=make_optimizer(), loss="sparse_categorical_crossentropy")
        model.fit(x, y, batch_size=16, epochs=2, verbose=0)
        results.append([np.array(w.value) for w in model.weights])
    for on_cpu, on_device in zip(*results):
        np.testing.assert_allclose(on_device, on_cpu, rtol=1e-4, atol=1e-6)


def _downloads_of_fit(steps, **fit_arguments):
    """Reads from the device during ``fit`` of the small MLP: ``steps`` batches an epoch,
    two epochs, after one warm-up ``fit``; with the History, metrics and losses read."""
    x, y = _data((20,))
    keras.utils.set_random_seed(7)
    model = keras.Sequential([keras.Input((20,)), L.Dense(8, activation="relu"),
                              L.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x[:16], y[:16], batch_size=16, verbose=0)                # builds everything
    before = garray.transfers["download"]
    history = model.fit(x[:16 * steps], y[:16 * steps], batch_size=16, epochs=2,
                        shuffle=False, **fit_arguments)
    return garray.transfers["download"] - before, history.history


@pytest.mark.parametrize("verbose", [0, 2])
def test_fit_reads_the_device_once_an_epoch_not_once_a_step(device, verbose):
    """A step's loss and accuracy stay on the device (the running sums too); the epoch's
    logs are read back in one download for History, whatever the number of steps."""
    backend.set_device(device)
    short, _ = _downloads_of_fit(2, verbose=verbose)
    long, history = _downloads_of_fit(6, verbose=verbose)
    assert long == short                                    # 0 downloads per step
    assert short <= 12                # per fit: the tutor's weight fingerprints, per epoch:
    assert all(type(v) is float for values in history.values() for v in values)  # the logs


def test_a_callback_reading_batch_logs_reads_them_in_one_download(device):
    """Whoever looks at a batch's numbers (here a LambdaCallback) gets Python floats, the
    loss and the accuracy read back together: one download a step, no more."""
    backend.set_device(device)
    seen = []
    reader = keras.callbacks.LambdaCallback(on_train_batch_end=lambda b, logs: seen.append(logs))
    short, _ = _downloads_of_fit(2, verbose=0, callbacks=[reader])
    long, _ = _downloads_of_fit(6, verbose=0, callbacks=[reader])
    assert long - short == (6 - 2) * 2                      # 2 epochs, one read a step
    assert all(type(v) is float for logs in seen for v in logs.values())


def test_the_device_path_logs_the_cpu_numbers(device):
    """History, evaluate and train_on_batch give the CPU's numbers, as Python floats."""
    x, y = _data((20,))
    results = []
    for name in ("cpu", device):
        backend.set_device(name)
        keras.utils.set_random_seed(7)
        model = _mlp()
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"], weighted_metrics=["accuracy"])
        history = model.fit(x, y, batch_size=32, epochs=2, verbose=0,
                            sample_weight=np.linspace(0.5, 1.5, len(x)))
        logs = [history.history, model.evaluate(x, y, verbose=0, return_dict=True),
                model.train_on_batch(x[:16], y[:16], return_dict=True)]
        assert all(type(v) is float for v in logs[1].values()) and \
            all(type(v) is float for v in logs[2].values())
        results.append(logs)
    for on_cpu, on_device in zip(*results):
        assert on_device.keys() == on_cpu.keys()
        for key in on_cpu:
            np.testing.assert_allclose(on_device[key], on_cpu[key], rtol=2e-4, atol=1e-5)


def test_labels_out_of_range_are_caught_on_the_host_before_the_upload(device):
    """fit checks the labels on the host, so its step need not read them back; a loss
    called on device labels outside fit still checks them (one read)."""
    x, y = _data((20,))
    backend.set_device(device)
    model = _mlp()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match=r"labels must be between 0 and 2"):
        model.fit(x, y + 1, batch_size=32, epochs=1, verbose=0)
    loss = keras.losses.SparseCategoricalCrossentropy()
    predictions = backend.to_device(np.full((4, 3), 1 / 3, "float32"))
    with pytest.raises(ValueError, match=r"labels must be between 0 and 2.*1\.\.3"):
        loss(backend.to_device(np.array([1, 2, 3, 3])), predictions)
    value = loss(backend.to_device(np.array([0, 1, 2, 2])), predictions)
    assert backend.is_device_array(value)                 # stays on the device until read
    np.testing.assert_allclose(float(value), np.log(3), rtol=1e-6)


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "mean_with_sample_weight"])
@pytest.mark.parametrize("labels", [[0, 1, 2, 2], [2, 2, 2, 2]], ids=["some", "all_ignored"])
def test_ignored_labels_and_weight_sums_divide_on_the_device(device, reduction, labels):
    """With ignore_class the mean divides by the kept labels' count, with
    mean_with_sample_weight by the weights' sum: both are counted on the device, and a
    count of 0 gives a loss of 0 there (Keras's divide_no_nan), without a read."""
    from kerastutor.losses.loss import targets_checked_on_host
    probabilities = np.random.default_rng(0).dirichlet([1, 1, 1], 4).astype("float32")
    weights = np.array([1.0, 2.0, 0.5, 1.0], "float32")
    results = []
    for name in ("cpu", device):
        backend.set_device(name)
        loss = keras.losses.SparseCategoricalCrossentropy(ignore_class=2, reduction=reduction)
        before = garray.transfers["download"]
        with targets_checked_on_host():                   # as fit calls it
            value, grad = loss.value_and_gradient(
                backend.to_device(np.array(labels)), backend.to_device(probabilities),
                backend.to_device(weights))
        assert name == "cpu" or garray.transfers["download"] == before
        results.append((float(value), backend.to_host(grad)))
    (cpu_value, cpu_grad), (value, grad) = results
    np.testing.assert_allclose(value, cpu_value, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(grad, cpu_grad, rtol=1e-5, atol=1e-7)
