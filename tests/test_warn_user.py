"""Warnings about the user's data or file point at the user's line, not inside kerastutor."""
import warnings

import numpy as np

import kerastutor as keras
from kerastutor import backend


def test_warn_user_skips_every_kerastutor_frame():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        backend.warn_user("from inside the package")              # called from this test
    assert caught[0].filename == __file__


def test_a_load_warning_and_a_stream_warning_point_at_the_calling_line(tmp_path):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile("adam", "mse")
    model.fit(np.ones((4, 3)), np.ones((4, 2)), verbose=0)
    path = tmp_path / "w.weights.h5"
    model.save_weights(path)
    other = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    other.compile("sgd", "mse")
    other.fit(np.ones((4, 3)), np.ones((4, 2)), verbose=0)

    def batches():
        for _ in range(2):
            yield np.ones((2, 3)), np.ones((2, 2))

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        other.load_weights(path)              # the optimizers differ: a warning, here
        model.fit(batches(), epochs=2, verbose=0)      # shuffle ignored, ran out of data
    ours = [w for w in caught if "Skipping" in str(w.message) or "ran out" in str(w.message)]
    assert len(ours) >= 2 and all(w.filename == __file__ for w in ours)
