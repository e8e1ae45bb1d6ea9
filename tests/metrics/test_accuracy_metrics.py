"""Accuracy metrics: Keras's golden cases, label shapes, thresholds and top-k."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kerastutor import metrics
from strategies import SEEDS


# keras-spec §8.4: the BinaryAccuracy golden case.
GOLDEN_TRUE = np.array([[1], [1], [0], [0]])
GOLDEN_PRED = np.array([[0.98], [1], [0], [0.6]])


def test_binary_accuracy_golden_and_weighted():
    assert metrics.BinaryAccuracy()(GOLDEN_TRUE, GOLDEN_PRED) == pytest.approx(0.75)
    weighted = metrics.BinaryAccuracy()
    weighted.update_state(GOLDEN_TRUE, GOLDEN_PRED, sample_weight=[1, 0, 0, 1])
    assert weighted.result() == pytest.approx(0.5)


def test_binary_accuracy_rank_1_targets_against_column_predictions():
    rank_1 = GOLDEN_TRUE[:, 0]
    assert metrics.BinaryAccuracy()(rank_1, GOLDEN_PRED) == pytest.approx(0.75)
    weighted = metrics.BinaryAccuracy()
    weighted.update_state(rank_1, GOLDEN_PRED, sample_weight=[1, 0, 0, 1])
    assert weighted.result() == pytest.approx(0.5)


def test_binary_accuracy_threshold_is_strict_and_configurable():
    # 0.5 is not above 0.5, so it predicts class 0.
    np.testing.assert_array_equal(metrics.binary_accuracy([[0], [1]], [[0.5], [0.5]]),
                                  [[1.0], [0.0]])
    assert metrics.BinaryAccuracy(threshold=0.99)(GOLDEN_TRUE, GOLDEN_PRED) == 0.75
    assert metrics.BinaryAccuracy(threshold=0.7)(GOLDEN_TRUE, GOLDEN_PRED) == 1.0


def test_binary_accuracy_gives_one_value_per_prediction():
    values = metrics.binary_accuracy(np.array([[1, 0], [1, 1]]), np.array([[0.9, 0.2],
                                                                          [0.4, 0.6]]))
    np.testing.assert_array_equal(values, [[1, 1], [0, 1]])
    assert values.dtype == np.float32
    # The metric averages them: 3 of 4 decisions are right.
    assert metrics.BinaryAccuracy()([[1, 0], [1, 1]], [[0.9, 0.2], [0.4, 0.6]]) == 0.75


def test_categorical_accuracy_by_hand():
    # Keras's docstring example: the first row's argmax is 1, its target 2.
    y_true, y_pred = [[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]]
    np.testing.assert_array_equal(metrics.categorical_accuracy(y_true, y_pred), [0, 1])
    assert metrics.CategoricalAccuracy()(y_true, y_pred) == 0.5
    weighted = metrics.CategoricalAccuracy()
    weighted.update_state(y_true, y_pred, sample_weight=[0.7, 0.3])
    assert weighted.result() == pytest.approx(0.3)


@pytest.mark.parametrize("labels", [[2, 1], [[2], [1]], [2.0, 1.0], [[2.0], [1.0]]],
                         ids=["int", "int-column", "float", "float-column"])
def test_sparse_categorical_accuracy_takes_int_or_float_labels_with_or_without_column(labels):
    y_pred = [[0.1, 0.6, 0.3], [0.05, 0.95, 0]]
    np.testing.assert_array_equal(metrics.sparse_categorical_accuracy(labels, y_pred), [0, 1])
    weighted = metrics.SparseCategoricalAccuracy()
    weighted.update_state(labels, y_pred, sample_weight=[0.7, 0.3])
    assert weighted.result() == pytest.approx(0.3)


def test_accuracy_is_exact_equality():
    m = metrics.Accuracy()
    m.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]])
    assert m.result() == 0.75
    # 0.9 is not 1: no thresholding here.
    np.testing.assert_array_equal(metrics.accuracy([1.0, 1.0], [1.0, 0.9]), [1, 0])


def test_top_k_accuracy_by_hand():
    y_pred = np.array([[0.1, 0.9, 0.8], [0.05, 0.95, 0.0]])
    assert metrics.SparseTopKCategoricalAccuracy(k=1)([2, 1], y_pred) == 0.5
    assert metrics.SparseTopKCategoricalAccuracy(k=2)([2, 1], y_pred) == 1.0
    assert metrics.TopKCategoricalAccuracy(k=1)(np.eye(3)[[2, 1]], y_pred) == 0.5
    weighted = metrics.TopKCategoricalAccuracy(k=1)
    weighted.update_state(np.eye(3)[[2, 1]], y_pred, sample_weight=[0.7, 0.3])
    assert weighted.result() == pytest.approx(0.3)


def test_top_k_counts_ties_as_hits_and_never_hits_out_of_range_labels():
    tied = np.array([[0.3, 0.3, 0.3]])
    np.testing.assert_array_equal(metrics.sparse_top_k_categorical_accuracy([2], tied, k=1),
                                  [1.0])
    np.testing.assert_array_equal(
        metrics.sparse_top_k_categorical_accuracy([3, -1], np.ones((2, 3)), k=3), [0, 0])


def test_sparse_top_k_from_sorted_ids_keras_golden_and_config():
    """Keras 3.15.1: 0.5 -- label 1 is among [1, 0], label 2 is not among [0, 3]."""
    m = metrics.SparseTopKCategoricalAccuracy(k=2, from_sorted_ids=True)
    assert m([1, 2], [[1, 0, 3], [0, 3, 2]]) == 0.5
    assert m.get_config() == {"name": "sparse_top_k_categorical_accuracy",
                              "dtype": "float32", "k": 2, "from_sorted_ids": True}
    assert metrics.SparseTopKCategoricalAccuracy.from_config(m.get_config()).from_sorted_ids
    assert "from_sorted_ids" not in metrics.SparseTopKCategoricalAccuracy().get_config()
    weighted = metrics.SparseTopKCategoricalAccuracy(k=2, from_sorted_ids=True)
    weighted.update_state([[1], [2]], [[1, 0, 3], [0, 3, 2]], sample_weight=[1, 3])
    assert weighted.result() == pytest.approx(0.25)
    # any IDs (not 0..C-1), a repeated ID counts once, (N, 1) labels keep their shape
    np.testing.assert_array_equal(
        metrics.sparse_top_k_categorical_accuracy([[70], [12]], [[70, 70, 5], [9, 12, 12]],
                                                  k=1, from_sorted_ids=True), [[1], [0]])


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 12), st.integers(2, 7), SEEDS)
def test_sorted_ids_agree_with_scores(n, classes, seed):
    """The IDs sorted by score give the same hits as the scores (no ties drawn)."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, n)
    scores = rng.permuted(np.tile(np.arange(classes), (n, 1)), axis=1) / classes
    ids = np.argsort(-scores, axis=1)
    for k in range(1, classes + 1):
        np.testing.assert_array_equal(
            metrics.sparse_top_k_categorical_accuracy(labels, ids, k=k, from_sorted_ids=True),
            metrics.sparse_top_k_categorical_accuracy(labels, scores, k=k))


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 12), st.integers(2, 7), SEEDS)
def test_top_k_grows_with_k_and_top_1_is_sparse_accuracy(n, classes, seed):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, n)
    scores = rng.random((n, classes))
    hits = [metrics.sparse_top_k_categorical_accuracy(labels, scores, k=k).mean()
            for k in range(1, classes + 1)]
    assert all(a <= b for a, b in zip(hits, hits[1:]))
    assert hits[-1] == 1.0
    # Random floats have no ties, so top-1 is plain accuracy, sparse or one-hot.
    assert hits[0] == metrics.sparse_categorical_accuracy(labels, scores).mean()
    assert hits[0] == metrics.categorical_accuracy(np.eye(classes)[labels], scores).mean()
