"""IoU metrics: Keras's goldens, integer matrices, label maps, and scikit-learn's Jaccard score."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sklearn import metrics as sk_metrics

from kerastutor import metrics
from metric_cases import FEW


def test_iou_keras_docstring_goldens():
    m = metrics.MeanIoU(num_classes=2)
    assert m([0, 0, 1, 1], [0, 1, 0, 1]) == pytest.approx(1 / 3, rel=1e-5)
    weighted = metrics.MeanIoU(num_classes=2, dtype="float32")
    weighted.update_state([0, 0, 1, 1], [0, 1, 0, 1], sample_weight=[0.3, 0.3, 0.3, 0.1])
    assert weighted.result() == pytest.approx(0.23809525, rel=1e-5)
    binary = metrics.BinaryIoU(target_class_ids=[0, 1], threshold=0.3, dtype="float32")
    assert binary([0, 1, 0, 1], [0.1, 0.2, 0.4, 0.7]) == pytest.approx(1 / 3, rel=1e-5)
    binary.reset_state()
    binary.update_state([0, 1, 0, 1], [0.1, 0.2, 0.4, 0.7], sample_weight=[0.2, 0.3, 0.4, 0.1])
    assert binary.result() == pytest.approx(0.17361112, rel=1e-5)
    y_true = np.array([[0, 0, 1], [1, 0, 0], [0, 1, 0], [1, 0, 0]])
    y_pred = np.array([[0.2, 0.3, 0.5], [0.1, 0.2, 0.7], [0.5, 0.3, 0.1], [0.1, 0.4, 0.5]])
    weights = [0.1, 0.2, 0.3, 0.4]
    one_hot = metrics.OneHotIoU(num_classes=3, target_class_ids=[0, 2], dtype="float32")
    assert one_hot(y_true, y_pred, sample_weight=weights) == pytest.approx(0.1 / 0.7 / 2,
                                                                           rel=1e-5)
    one_hot_mean = metrics.OneHotMeanIoU(num_classes=3, dtype="float32")
    assert one_hot_mean(y_true, y_pred, sample_weight=weights) == pytest.approx(0.1 / 0.7 / 3,
                                                                                rel=1e-5)


def test_iou_integer_matrix_truncates_fractional_weights_as_keras_does():
    m = metrics.MeanIoU(num_classes=2)
    assert m.total_cm.value.dtype == np.int64
    with pytest.warns(UserWarning, match="truncated to integers"):
        m.update_state([0, 0, 1, 1], [0, 1, 0, 1], sample_weight=[0.3, 0.3, 1.7, 2.0])
    np.testing.assert_array_equal(m.total_cm.value, [[0, 0], [1, 2]])


@FEW
@given(n=st.integers(1, 30), num_classes=st.integers(2, 4), data=st.data(),
       split=st.integers(0, 30))
def test_mean_iou_matches_sklearn_jaccard(n, num_classes, data, split):
    labels = st.integers(0, num_classes - 1)
    y_true = data.draw(hnp.arrays(np.int64, n, elements=labels))
    y_pred = data.draw(hnp.arrays(np.int64, n, elements=labels))
    weights = data.draw(hnp.arrays(np.int64, n, elements=st.integers(0, 3)))
    weights[0] = 1
    m = metrics.MeanIoU(num_classes=num_classes)
    m.update_state(y_true[:split], y_pred[:split], sample_weight=weights[:split])
    m.update_state(y_true[split:], y_pred[split:], sample_weight=weights[split:])
    per_class = sk_metrics.jaccard_score(y_true, y_pred, labels=list(range(num_classes)),
                                         average=None, sample_weight=weights,
                                         zero_division=0)
    # Keras averages only over classes that occur (weighted) in y_true or y_pred.
    seen = np.array([weights[(y_true == c) | (y_pred == c)].sum() > 0
                     for c in range(num_classes)])
    per_class = np.where(seen, per_class, np.nan)
    assert m.result() == pytest.approx(np.nanmean(per_class), rel=1e-5)
    target = data.draw(st.lists(st.integers(0, num_classes - 1), min_size=1, max_size=2,
                                unique=True))
    iou = metrics.IoU(num_classes, target)
    iou.update_state(y_true, y_pred, sample_weight=weights)
    chosen = per_class[target]
    expected = 0.0 if np.all(np.isnan(chosen)) else np.nanmean(chosen)
    assert iou.result() == pytest.approx(expected, rel=1e-5, abs=1e-7)


@FEW
@given(n=st.integers(1, 20), data=st.data())
def test_one_hot_iou_equals_iou_of_argmax_labels(n, data):
    scores = data.draw(hnp.arrays(np.float64, (n, 3), elements=st.floats(0, 1)))
    labels = data.draw(hnp.arrays(np.int64, n, elements=st.integers(0, 2)))
    one_hot = np.eye(3)[labels]
    sparse = metrics.MeanIoU(3, sparse_y_pred=False)(labels, scores)
    assert metrics.OneHotMeanIoU(3)(one_hot, scores) == pytest.approx(sparse)
    assert metrics.OneHotIoU(3, [1, 2])(one_hot, scores) == pytest.approx(
        metrics.IoU(3, [1, 2], sparse_y_pred=False)(labels, scores))


def test_iou_ignore_class_out_of_range_labels_reset_and_configs():
    assert metrics.MeanIoU(2).name == "mean_io_u" and metrics.IoU(2, [0]).name == "io_u"
    m = metrics.MeanIoU(num_classes=2, ignore_class=0)
    m.update_state([0, 0, 1, 1, 5], [1, 1, 1, 0, 1])
    np.testing.assert_array_equal(m.total_cm.value, [[0, 0], [1, 1]])
    assert m.result() == pytest.approx((0 + 0.5) / 2, rel=1e-5)
    m.reset_state()
    assert not m.total_cm.value.any() and m.result() == 0.0
    for metric in (metrics.IoU(3, [1], name="iou", ignore_class=2),
                   metrics.MeanIoU(4, dtype="float32", sparse_y_true=False),
                   metrics.BinaryIoU([1], threshold=0.7),
                   metrics.OneHotIoU(3, [0, 2]), metrics.OneHotMeanIoU(5, axis=1)):
        clone = metrics.get(metrics.serialize(metric))
        assert type(clone) is type(metric) and clone.get_config() == metric.get_config()
    assert "target_class_ids" not in metrics.MeanIoU(2).get_config()
    assert "sparse_y_true" not in metrics.OneHotMeanIoU(2).get_config()
    assert isinstance(metrics.get({"class_name": "MeanIoU", "config": {"num_classes": 3}}),
                      metrics.MeanIoU)
    with pytest.raises(ValueError, match=r"`target_class_ids` must be class ids in \[0, 2\)"):
        metrics.IoU(2, [2])
    with pytest.raises(ValueError, match="`num_classes` must be a positive integer"):
        metrics.MeanIoU(0)
    with pytest.raises(ValueError, match="holds 2 labels but y_pred holds 6"):
        metrics.MeanIoU(3)([0, 1], [[0.1, 0.2, 0.7], [0.5, 0.2, 0.3]])


def test_iou_label_maps_take_one_weight_per_sample_or_per_pixel():
    y_true = np.array([[0, 1], [1, 1]])
    y_pred = np.array([[0, 1], [0, 1]])
    per_pixel = metrics.MeanIoU(2)
    per_pixel.update_state(y_true, y_pred, sample_weight=np.array([[1, 2], [3, 4]]))
    np.testing.assert_array_equal(per_pixel.total_cm.value, [[1, 0], [3, 6]])
    per_sample = metrics.MeanIoU(2)
    per_sample.update_state(y_true, y_pred, sample_weight=np.array([1, 2]))
    np.testing.assert_array_equal(per_sample.total_cm.value, [[1, 0], [2, 3]])
    with pytest.raises(ValueError, match=r"sample_weight of shape \(3,\) does not fit"):
        metrics.MeanIoU(2).update_state(y_true, y_pred, sample_weight=[1, 2, 3])
