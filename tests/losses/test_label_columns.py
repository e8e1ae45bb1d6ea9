"""The sparse cross-entropy's speed-up for picking each row's label column.

``_at_labels`` / ``_set_at_labels`` must be ``np.take_along_axis`` / ``np.put_along_axis``
exactly, for a batch of rows (the fast fancy index) and for anything else (NumPy's own).
"""
import numpy as np
import pytest

from kerastutor.losses import probabilistic_losses as pl


@pytest.mark.parametrize("shape", [(7, 4), (1, 3), (3, 5, 4)])
def test_label_columns_are_take_and_put_along_the_last_axis(shape):
    rng = np.random.default_rng(len(shape))
    array = rng.standard_normal(shape).astype("float32")
    true_class = rng.integers(0, shape[-1], shape[:-1])[..., None]
    np.testing.assert_array_equal(pl._at_labels(array, true_class),
                                  np.take_along_axis(array, true_class, axis=-1))
    values = rng.standard_normal(shape[:-1] + (1,)).astype("float32")
    want, got = array.copy(), array.copy()
    np.put_along_axis(want, true_class, values, axis=-1)
    pl._set_at_labels(got, true_class, values)
    np.testing.assert_array_equal(got, want)


def test_the_row_ranges_kept_stay_few():
    for rows in range(1, 200):
        np.testing.assert_array_equal(pl._row_range(rows), np.arange(rows))
    assert len(pl._ROW_RANGES) <= 65
