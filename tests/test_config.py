"""keras.config: Keras 3.15.1's names and defaults, and what each setting changes."""
import os
import re
import subprocess
import sys
import warnings

import numpy as np
import pytest

import kerastutor as keras
from kerastutor import config

#: dir(keras.config) in Keras 3.15.1 (public names).
KERAS_CONFIG_NAMES = [
    "backend", "disable_flash_attention", "disable_interactive_logging",
    "disable_traceback_filtering", "dtype_policy", "enable_flash_attention",
    "enable_interactive_logging", "enable_traceback_filtering",
    "enable_unsafe_deserialization", "epsilon", "floatx", "image_data_format",
    "is_flash_attention_enabled", "is_interactive_logging_enabled", "is_nnx_enabled",
    "is_traceback_filtering_enabled", "max_epochs", "max_steps_per_epoch", "set_backend",
    "set_dtype_policy", "set_epsilon", "set_floatx", "set_image_data_format",
    "set_max_epochs", "set_max_steps_per_epoch"]

X = np.random.default_rng(0).normal(size=(40, 3)).astype("float32")
Y = np.arange(40) % 2


@pytest.fixture(autouse=True)
def _restore_settings():
    yield
    config.set_dtype_policy(config.floatx())
    config._DTYPE_POLICY = None
    config.set_max_epochs(None)
    config.set_max_steps_per_epoch(None)
    config.enable_interactive_logging()
    config.enable_tutor_hints()
    config.enable_traceback_filtering()
    config.enable_flash_attention()


def model():
    keras.utils.set_random_seed(0)
    m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="softmax")])
    m.compile("adam", "sparse_categorical_crossentropy")
    return m


def test_every_keras_config_name_exists_and_is_callable():
    assert keras.config is config
    missing = [name for name in KERAS_CONFIG_NAMES if not callable(getattr(config, name, None))]
    assert missing == []
    assert set(KERAS_CONFIG_NAMES) <= set(config.__all__)


def test_defaults_are_keras_defaults():
    assert config.floatx() == "float32" and config.epsilon() == 1e-7
    assert config.image_data_format() == "channels_last"
    assert config.dtype_policy() == config.DTypePolicy("float32")
    assert repr(config.dtype_policy()) == '<DTypePolicy "float32">'
    assert config.max_epochs() is None and config.max_steps_per_epoch() is None
    assert config.is_interactive_logging_enabled() is True
    assert config.is_traceback_filtering_enabled() is True
    assert config.is_flash_attention_enabled() is None
    assert config.is_nnx_enabled() is False
    assert config.is_tutor_hints_enabled() is True


def test_backend_is_numpy_and_others_are_refused_with_directions():
    assert config.backend() == "numpy"
    config.set_backend("numpy")
    with pytest.raises(ValueError, match=r"NumPy only.*set_device\('cuda'\).*KERAS_BACKEND"):
        config.set_backend("torch")


def test_set_dtype_policy_changes_new_layers_not_floatx():
    config.set_dtype_policy("float64")
    dense = keras.layers.Dense(2)
    dense.build((None, 3))
    assert dense.dtype == "float64" and dense.kernel.value.dtype == np.float64
    assert config.floatx() == "float32"
    assert config.dtype_policy().compute_dtype == "float64"
    config.set_dtype_policy(config.DTypePolicy("float32"))
    assert keras.layers.Dense(2).dtype == "float32"
    assert keras.layers.Dense(2, dtype=config.DTypePolicy("float16")).dtype == "float16"


def test_dtype_policy_follows_floatx_until_set():
    keras.backend.set_floatx("float64")
    try:
        assert config.dtype_policy().name == "float64"
    finally:
        keras.backend.set_floatx("float32")


@pytest.mark.parametrize("policy, message", [
    ("mixed_float16", "no mixed-precision policies"), ("int8", "float dtypes"),
    ("float46", "Did you mean 'float64'"), (None, "Invalid `policy` argument")])
def test_bad_dtype_policies_are_explained(policy, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        config.set_dtype_policy(policy)


def test_max_epochs_caps_fit_and_warns_as_keras():
    config.set_max_epochs(2)
    assert config.max_epochs() == 2
    with pytest.warns(UserWarning, match="Limiting epochs to 2"):
        history = model().fit(X, Y, epochs=5, verbose=0)
    assert len(history.history["loss"]) == 2
    config.set_max_epochs(None)
    assert len(model().fit(X, Y, epochs=3, verbose=0).history["loss"]) == 3
    with pytest.raises(ValueError, match="positive integer"):
        config.set_max_epochs(0)


class CountBatches(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.train, self.test, self.predict = 0, 0, 0

    def on_train_batch_end(self, batch, logs=None):
        self.train += 1

    def on_test_batch_end(self, batch, logs=None):
        self.test += 1

    def on_predict_batch_end(self, batch, logs=None):
        self.predict += 1


def test_max_steps_per_epoch_caps_fit_evaluate_and_predict():
    config.set_max_steps_per_epoch(2)
    m, counter = model(), CountBatches()
    with pytest.warns(UserWarning, match="Limiting steps_per_epoch to 2"):
        m.fit(X, Y, batch_size=4, epochs=2, verbose=0, callbacks=[counter])
    assert counter.train == 4                               # 2 epochs x 2 batches (not 10)
    with pytest.warns(UserWarning, match="Limiting steps_per_epoch"):
        m.evaluate(X, Y, batch_size=4, verbose=0, callbacks=[counter])
        predictions = m.predict(X, batch_size=4, verbose=0, callbacks=[counter])
    assert counter.test == 2 and counter.predict == 2 and len(predictions) == 8
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m.fit(X, Y, batch_size=4, steps_per_epoch=1, epochs=1, verbose=0)   # smaller: kept


def test_the_caps_and_the_hint_switch_come_from_the_environment():
    code = ("import kerastutor as keras\n"
            "c = keras.config\n"
            "print(c.max_epochs(), c.max_steps_per_epoch(), c.is_tutor_hints_enabled())\n")
    env = dict(os.environ, KERAS_MAX_EPOCHS="3", KERAS_MAX_STEPS_PER_EPOCH="7",
               KERASTUTOR_HINTS="off")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["3", "7", "False"]


def test_without_interactive_logging_fit_prints_plain_lines(capsys):
    config.disable_interactive_logging()
    assert config.is_interactive_logging_enabled() is False
    model().fit(X, Y, batch_size=8, epochs=2, verbose=1)
    out = capsys.readouterr().out
    assert "\r" not in out and "\x1b" not in out and "\b" not in out
    assert re.findall(r"^5/5 - \d+s - .*loss: ", out, flags=re.M) and out.count("Epoch") == 2
    config.enable_interactive_logging()
    model().fit(X, Y, batch_size=8, epochs=1, verbose=1)
    assert "\x1b[" in capsys.readouterr().out                # the coloured bar is back


def test_tutor_hint_switch():
    config.disable_tutor_hints()
    assert config.is_tutor_hints_enabled() is False
    config.enable_tutor_hints()
    assert config.is_tutor_hints_enabled() is True


def test_compatibility_switches_are_recorded():
    config.disable_traceback_filtering()
    assert config.is_traceback_filtering_enabled() is False
    config.disable_flash_attention()
    assert config.is_flash_attention_enabled() is False
    config.enable_flash_attention()
    assert config.is_flash_attention_enabled() is None
    config.enable_unsafe_deserialization()
    assert config._SAFE_MODE is False
    config._SAFE_MODE = True
