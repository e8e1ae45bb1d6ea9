"""Crossentropies, plain and focal: Keras's golden numbers, gradients, label checks."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kerastutor import gradcheck, losses
from loss_cases import CCE_LOGITS, CCE_PROBS, F, weights_for
from strategies import LOSS_CASES


# ======================================================== golden numbers
def test_bce_golden_numbers_including_float32_clipping():
    bce = losses.BinaryCrossentropy()
    y_true = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1]], F)
    y_pred = np.array([[0.9, 0.1, 0.2], [0.3, 0.8, 0.1], [0.1, 0.2, 0.7]], F)
    assert bce(y_true, y_pred) == pytest.approx(0.20046903, rel=1e-5)
    ones_true, ones_pred = np.array([[1, 0], [1, 0]], F), np.array([[1, 1], [1, 0]], F)
    assert bce(ones_true, ones_pred) == pytest.approx(3.98559, rel=1e-5)
    assert bce(ones_true, ones_pred, 2.3) == pytest.approx(9.1668, rel=1e-4)
    assert bce(ones_true, ones_pred, np.array([[1.2], [3.4]])) == pytest.approx(4.7827, rel=1e-4)
    # The same numbers in float64 clip at 1 - 1e-7 exactly: Keras's float32 value differs.
    in_float64 = bce(ones_true.astype(np.float64), ones_pred.astype(np.float64))
    assert in_float64 == pytest.approx(4.0295, rel=1e-4)


def test_bce_from_logits_golden_numbers():
    bce = losses.BinaryCrossentropy(from_logits=True)
    y_true = np.array([[1, 0, 1], [0, 1, 1]], F)
    logits = np.array([[10, -10, 10], [10, 10, -10]], F)
    assert bce(y_true, logits) == pytest.approx(3.3333, rel=1e-4)
    assert bce(y_true, logits, 2.3) == pytest.approx(7.666, rel=1e-3)
    assert bce(y_true, logits, np.array([4, 3])) == pytest.approx(10.0, rel=1e-4)
    unreduced = losses.BinaryCrossentropy(from_logits=True, reduction=None)(y_true, logits)
    np.testing.assert_allclose(unreduced, [0.0, 6.666], atol=1e-3)
    smooth = losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1)
    assert smooth(np.array([[1, 0, 1]], F), np.array([[10, -10, -10]], F)) == \
        pytest.approx(3.5, rel=1e-4)


CCE_TARGETS = {"one-hot": np.eye(3, dtype=F), "labels": np.array([0, 1, 2]),
               "column labels": np.array([[0], [1], [2]])}


@pytest.mark.parametrize("targets", CCE_TARGETS)
def test_crossentropy_golden_numbers(targets):
    y = CCE_TARGETS[targets]
    cls = losses.CategoricalCrossentropy if targets == "one-hot" else \
        losses.SparseCategoricalCrossentropy
    loss, logits = cls(), cls(from_logits=True)
    assert loss(y, CCE_PROBS) == pytest.approx(0.3239, abs=2e-4)    # row 2 is renormalized
    assert loss(y, CCE_PROBS, 2.3) == pytest.approx(0.7449, abs=5e-4)
    assert loss(y, CCE_PROBS, np.array([[1.2], [3.4], [5.6]])) == pytest.approx(1.0696, abs=2e-4)
    assert logits(y, CCE_LOGITS) == pytest.approx(0.0573, abs=2e-4)
    np.testing.assert_allclose(cls(from_logits=True, reduction=None)(y, CCE_LOGITS),
                               [0.001822, 0.000459, 0.169846], rtol=1e-3)
    assert logits(y, CCE_LOGITS, 2.3) == pytest.approx(0.1317, abs=1e-3)
    assert logits(y, CCE_LOGITS, np.array([[1.2], [3.4], [5.6]])) == \
        pytest.approx(0.31829, abs=2e-4)


def test_cce_label_smoothing_and_scce_ignore_class():
    smooth = losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1)
    assert smooth(np.array([[1, 0, 0]], F), np.array([[100, -100, -100]], F)) == \
        pytest.approx(13.3333, rel=1e-4)
    logits = np.array([[[0.854, 0.698, 0.598], [0.088, 0.86, 0.018]]], F)
    ignore = losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1,
                                                  reduction=None)
    np.testing.assert_allclose(ignore(np.array([[-1, 2]]), logits), [[0.0, 1.480129]],
                               rtol=1e-5)
    # The ignored position is left out of the mean's count, not averaged in as a 0.
    mean = losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1)
    assert mean(np.array([[-1, 2]]), logits) == pytest.approx(1.480129, rel=1e-5)


# ============================================================= gradients
@settings(deadline=None)
@given(**LOSS_CASES, from_logits=st.booleans(), smoothing=st.sampled_from([0.0, 0.2]),
       soft=st.booleans())
def test_categorical_crossentropy_gradient(batch, width, seed, reduction, weighted,
                                           from_logits, smoothing, soft):
    rng = np.random.default_rng(seed)
    classes = width + 1
    if from_logits:   # moderate scores: a loss near 0 is log(1 + tiny), which loses digits
        y_pred = rng.uniform(-2, 2, (batch, classes))
    else:   # positive, but rows need not sum to 1: the renormalization is differentiated
        y_pred = rng.uniform(0.05, 1.0, (batch, classes))
    y = rng.uniform(0, 1, (batch, classes)) if soft else \
        np.eye(classes)[rng.integers(0, classes, batch)]
    loss = losses.CategoricalCrossentropy(from_logits=from_logits, label_smoothing=smoothing,
                                          reduction=reduction)
    gradcheck.assert_gradients_ok(loss, y, y_pred, weights_for(rng, batch, weighted))


@settings(deadline=None)
@given(**LOSS_CASES, from_logits=st.booleans(), ignore=st.booleans(), column=st.booleans())
def test_sparse_categorical_crossentropy_gradient(batch, width, seed, reduction, weighted,
                                                  from_logits, ignore, column):
    rng = np.random.default_rng(seed)
    classes = width + 1
    # moderate scores: a loss near 0 is log(1 + tiny), which loses digits (see above)
    y_pred = rng.uniform(-2, 2, (batch, classes)) if from_logits else \
        rng.uniform(0.05, 1.0, (batch, classes))
    labels = rng.integers(-1 if ignore else 0, classes, batch)
    loss = losses.SparseCategoricalCrossentropy(
        from_logits=from_logits, ignore_class=-1 if ignore else None, reduction=reduction)
    y = labels[:, None] if column else labels
    gradcheck.assert_gradients_ok(loss, y, y_pred, weights_for(rng, batch, weighted))
    if ignore:
        assert not np.any(loss.gradient(y, y_pred)[labels == -1])


@settings(deadline=None)
@given(**LOSS_CASES, from_logits=st.booleans(), smoothing=st.sampled_from([0.0, 0.1]),
       rank=st.integers(1, 3))
def test_binary_crossentropy_gradient(batch, width, seed, reduction, weighted, from_logits,
                                      smoothing, rank):
    rng = np.random.default_rng(seed)
    shape = (batch, width, 2)[:rank]
    y_pred = rng.normal(size=shape) * 3 if from_logits else rng.uniform(0.05, 0.95, shape)
    y = rng.uniform(0, 1, shape)
    loss = losses.BinaryCrossentropy(from_logits=from_logits, label_smoothing=smoothing,
                                     reduction=reduction)
    sample_weight = weights_for(rng, batch, weighted) if rank > 1 else None
    gradcheck.assert_gradients_ok(loss, y, y_pred, sample_weight)


def test_sparse_axis_keeps_the_labels_layout():
    rng = np.random.default_rng(4)
    logits = rng.normal(size=(2, 5, 3))                  # classes on axis 1
    labels = rng.integers(0, 5, (2, 3))
    loss = losses.SparseCategoricalCrossentropy(from_logits=True, axis=1)
    one_hot = np.moveaxis(np.eye(5)[labels], -1, 1)
    dense = losses.CategoricalCrossentropy(from_logits=True, axis=1)
    assert loss(labels, logits) == pytest.approx(dense(one_hot, logits))
    gradcheck.assert_gradients_ok(loss, labels, logits)


def test_softmax_then_cce_backpropagates_p_minus_y():
    rng = np.random.default_rng(0)
    batch, classes = 4, 5
    logits = rng.normal(size=(batch, classes))
    y = np.eye(classes)[rng.integers(0, classes, batch)]
    p = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    d_p = losses.CategoricalCrossentropy().gradient(y, p)
    # softmax Jacobian: d p_i / d z_j = p_i (delta_ij - p_j), one matrix per sample
    jacobians = np.einsum("bi,ij->bij", p, np.eye(classes)) - np.einsum("bi,bj->bij", p, p)
    d_logits = np.einsum("bij,bi->bj", jacobians, d_p)
    np.testing.assert_allclose(d_logits, (p - y) / batch, atol=1e-12)
    from_logits = losses.CategoricalCrossentropy(from_logits=True).gradient(y, logits)
    np.testing.assert_allclose(from_logits, (p - y) / batch, atol=1e-12)


def test_clipped_probabilities_get_zero_gradient():
    bce = losses.BinaryCrossentropy()
    grad = bce.gradient(np.array([[1, 0]], F), np.array([[1.0, 0.5]], F))
    assert grad.dtype == np.float32
    assert grad[0, 0] == 0 and grad[0, 1] == pytest.approx(2 / 2)    # (p - y)/(p(1-p))/K
    # The true class's probability 0 is clipped: that sample gets no gradient at all.
    probs = np.array([[0.0, 0.5, 0.5], [0.2, 0.3, 0.5]])
    for loss, y in ((losses.CategoricalCrossentropy(), np.eye(3)[[0, 1]]),
                    (losses.SparseCategoricalCrossentropy(), np.array([0, 1]))):
        grad = loss.gradient(y, probs)
        assert np.all(grad[0] == 0) and np.all(np.isfinite(grad)) and np.any(grad[1] != 0)


# ========================================================== label checks
def test_integer_labels_for_categorical_crossentropy():
    cce = losses.CategoricalCrossentropy()
    for labels in (np.array([0, 3, 9]), np.array([[0], [3], [9]])):
        with pytest.raises(ValueError) as error:
            cce.check_targets(labels, (None, 10))
        message = str(error.value)
        assert message.startswith("categorical_crossentropy")
        assert "(batch, 10)" in message and str(labels.shape) in message
        assert "sparse_categorical_crossentropy" in message
        assert "keras.utils.to_categorical(y, 10)" in message


def test_one_hot_labels_for_sparse_categorical_crossentropy():
    scce = losses.SparseCategoricalCrossentropy()
    with pytest.raises(ValueError, match=r"shape \(2, 10\): it looks one-hot.*"
                                         r"categorical_crossentropy.*argmax"):
        scce.check_targets(np.eye(10)[[0, 3]], (None, 10))
    scce.check_targets(np.array([[1], [2]]), (None, 3))          # (N, 1) labels are fine
    scce.check_targets(np.array([1, 2]), np.zeros((2, 3)))        # predictions work too


def test_labels_out_of_range():
    scce = losses.SparseCategoricalCrossentropy()
    with pytest.raises(ValueError, match=r"between 0 and 9.*contains 0\.\.10.*at least 11"):
        scce.check_targets(np.array([0, 10]), (None, 10))
    with pytest.raises(ValueError, match=r"counted from 1; use y - 1"):
        scce.check_targets(np.array([1, 2, 3]), (None, 3))
    with pytest.raises(ValueError, match=r"cannot be negative.*ignore_class=-1"):
        scce.check_targets(np.array([-1, 2]), (None, 3))
    losses.SparseCategoricalCrossentropy(ignore_class=-1).check_targets(np.array([-1, 2]),
                                                                        (None, 3))
    with pytest.raises(ValueError, match=r"non-integer values such as 0\.5"):
        scce.check_targets(np.array([0.5, 1.0]), (None, 3))
    with pytest.raises(ValueError, match=r"labels must be between 0 and 2"):
        scce(np.array([0, 3]), np.full((2, 3), 1 / 3))           # caught in the forward too


def test_one_hot_width_must_match_output_units():
    cce = losses.CategoricalCrossentropy()
    with pytest.raises(ValueError, match=r"10 output units but the one-hot targets have 4 "
                                         r"columns.*to_categorical\(labels, 10\)"):
        cce.check_targets(np.eye(4), (None, 10))
    with pytest.raises(ValueError, match=r"needs 12 units"):
        cce.check_targets(np.eye(12), (None, 10))
    cce.check_targets(np.eye(10), (None, 10))
    with pytest.warns(SyntaxWarning, match="binary_crossentropy"):
        cce.check_targets(np.array([[1.0], [0.0]]), (None, 1))


def test_binary_crossentropy_label_checks():
    bce = losses.BinaryCrossentropy()
    with pytest.raises(ValueError, match=r"binary_crossentropy expects targets in \[0, 1\].*"
                                         r"0\.\.2.*Dense\(3, activation='softmax'\)"):
        bce.check_targets(np.array([0, 2, 1]), (None, 1))
    with pytest.raises(ValueError, match=r"with 10 output units use "
                                         "loss='sparse_categorical_crossentropy'"):
        bce.check_targets(np.array([0, 7]), (None, 10))
    with pytest.raises(ValueError, match=r"-1/\+1 labels; use \(y \+ 1\) / 2"):
        bce.check_targets(np.array([-1, 1]), (None, 1))
    with pytest.raises(ValueError, match=r"outputs 2 value\(s\) per sample but y .* has 1.*"
                                         r"Dense\(1, activation='sigmoid'\)"):
        bce.check_targets(np.array([0, 1]), (None, 2))
    bce.check_targets(np.array([0, 1, 1]), (None, 1))
    bce.check_targets(np.array([[0, 1], [1, 1]]), (None, 2))


# ================================================================= focal
# Golden numbers from Keras 3.15.1's losses_test.py (BinaryFocalCrossentropyTest,
# CategoricalFocalCrossentropyTest, DiceTest, TverskyTest) and the class docstrings.
# Keras checks most of them to 3 decimals (assertAlmostEqual(..., 3)); so do we.
BFC_TRUE = np.array([[1, 0], [1, 0]])
BFC_PROBS = np.array([[0.9, 0.8], [0.7, 0.2]], F)
BFC_LABELS = np.array([[1, 1, 0], [0, 1, 0]], F)
BFC_LOGITS = np.array([[1.5, -2.7, 2.9], [-3.8, 1.2, -4.5]])


def test_binary_focal_crossentropy_golden_numbers():
    focal = losses.BinaryFocalCrossentropy(gamma=2.0)
    assert focal(BFC_TRUE, BFC_PROBS) == pytest.approx(0.268, abs=5e-4)
    assert focal(BFC_TRUE, BFC_PROBS, sample_weight=1.23) == pytest.approx(0.3296, abs=5e-4)
    assert focal(BFC_TRUE, BFC_PROBS, np.array([[1.2], [3.4]])) == \
        pytest.approx(0.34415, abs=5e-4)
    unreduced = losses.BinaryFocalCrossentropy(gamma=2.0, reduction=None)(BFC_TRUE, BFC_PROBS)
    np.testing.assert_allclose(unreduced, [0.515547, 0.020513], rtol=1e-4)
    logits = losses.BinaryFocalCrossentropy(gamma=3.0, from_logits=True)
    assert logits(BFC_LABELS, BFC_LOGITS) == pytest.approx(0.799, abs=5e-4)
    assert logits(BFC_LABELS, BFC_LOGITS, sample_weight=3.21) == pytest.approx(2.565, abs=5e-4)
    assert logits(BFC_LABELS, BFC_LOGITS, np.array([[1.2], [3.4]])) == \
        pytest.approx(0.95977, abs=5e-4)
    one_hot = np.eye(3, dtype=F)
    assert losses.BinaryFocalCrossentropy(gamma=1.5)(one_hot, one_hot) == \
        pytest.approx(0.0, abs=1e-3)
    assert losses.BinaryFocalCrossentropy(from_logits=True)(
        one_hot, np.where(one_hot > 0, 100.0, -100.0)) == pytest.approx(0.0, abs=1e-3)


def test_binary_focal_crossentropy_class_balancing_docstring_numbers():
    y, scores = np.array([0, 1, 0, 0]), np.array([-18.6, 0.51, 2.94, -12.8])
    plain = losses.BinaryFocalCrossentropy(gamma=2, from_logits=True)
    balanced = losses.BinaryFocalCrossentropy(apply_class_balancing=True, gamma=2,
                                              from_logits=True)
    assert plain(y, scores) == pytest.approx(0.691, abs=5e-4)
    assert balanced(y, scores) == pytest.approx(0.51, abs=5e-3)
    y2, scores2 = y.reshape(2, 2), scores.reshape(2, 2)
    for gamma, apply, expected in [(3, False, 0.647), (3, True, 0.482)]:
        loss = losses.BinaryFocalCrossentropy(apply, gamma=gamma, from_logits=True)
        assert loss(y2, scores2) == pytest.approx(expected, abs=5e-4)
    weighted = losses.BinaryFocalCrossentropy(gamma=3, from_logits=True)
    assert weighted(y2, scores2, sample_weight=[0.8, 0.2]) == pytest.approx(0.133, abs=5e-4)
    summed = losses.BinaryFocalCrossentropy(True, gamma=4, from_logits=True, reduction="sum")
    assert summed(y2, scores2) == pytest.approx(0.914, abs=5e-4)
    np.testing.assert_allclose(
        losses.binary_focal_crossentropy(y2, scores2, True, gamma=5, from_logits=True),
        [0.0004, 0.8670], atol=1e-4)     # the docstring prints 4 decimals


def test_binary_focal_with_gamma_zero_is_binary_crossentropy():
    y = np.array([[1.0, 0.0, 0.3], [0.0, 1.0, 0.8]])
    p = np.array([[0.9, 0.2, 0.5], [0.4, 0.6, 0.99]])
    focal = losses.BinaryFocalCrossentropy(gamma=0.0, label_smoothing=0.1)
    plain = losses.BinaryCrossentropy(label_smoothing=0.1)
    assert focal(y, p) == pytest.approx(plain(y, p), rel=1e-12)
    np.testing.assert_allclose(focal.gradient(y, p), plain.gradient(y, p), rtol=1e-10)


CFC_PROBS = np.array([[0.9, 0.05, 0.05], [0.5, 0.89, 0.6], [0.05, 0.01, 0.94]], F)
CFC_LOGITS = np.array([[8.0, 1.0, 1.0], [0.0, 9.0, 1.0], [2.0, 3.0, 5.0]])


def test_categorical_focal_crossentropy_golden_numbers():
    y = np.eye(3, dtype=np.int64)
    focal, logits = (losses.CategoricalFocalCrossentropy(),
                     losses.CategoricalFocalCrossentropy(from_logits=True))
    assert focal(y, np.eye(3, dtype=F)) == pytest.approx(0.0, abs=1e-3)
    assert logits(y, 10 * np.eye(3)) == pytest.approx(0.0, abs=1e-3)
    assert focal(y, CFC_PROBS) == pytest.approx(0.02059, abs=5e-4)
    assert logits(y, CFC_LOGITS) == pytest.approx(0.000345, abs=5e-4)
    assert focal(y, CFC_PROBS, sample_weight=2.3) == pytest.approx(0.047368, abs=5e-4)
    assert logits(y, CFC_LOGITS, sample_weight=2.3) == pytest.approx(0.000794, abs=5e-5)
    column = np.array([[1.2], [3.4], [5.6]])
    assert focal(y, CFC_PROBS, column) == pytest.approx(0.06987, abs=5e-4)
    assert logits(y, CFC_LOGITS, column) == pytest.approx(0.001933, abs=5e-4)
    unreduced = losses.CategoricalFocalCrossentropy(from_logits=True, reduction=None)
    np.testing.assert_allclose(unreduced(y, CFC_LOGITS),
                               [1.5096224e-09, 2.4136547e-11, 1.0360638e-03],
                               rtol=1e-5, atol=1e-12)
    smoothed = losses.CategoricalFocalCrossentropy(from_logits=True, label_smoothing=0.1)
    assert smoothed([[1, 0, 0]], np.array([[4.9, -0.5, 2.05]])) == \
        pytest.approx(0.06685, abs=5e-4)
    np.testing.assert_allclose(
        losses.categorical_focal_crossentropy([[0, 1, 0], [0, 0, 1]],
                                              [[0.05, 0.95, 0], [0.1, 0.8, 0.1]]),
        [3.2058331e-05, 4.6627346e-01], rtol=1e-5)


def test_categorical_focal_alpha_per_class_and_gamma_zero():
    y = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    p = np.array([[0.5, 0.3, 0.2], [0.1, 0.3, 0.7]])    # second row sums to 1.1
    plain = losses.CategoricalCrossentropy(reduction=None)
    focal = losses.CategoricalFocalCrossentropy(alpha=[2.0, 1.0, 0.5], gamma=0.0,
                                                reduction=None)
    np.testing.assert_allclose(focal(y, p), plain(y, p) * [2.0, 0.5], rtol=1e-12)
    assert focal.get_config()["alpha"] == [2.0, 1.0, 0.5]
    with pytest.raises(ValueError, match="`alpha` has 3 class weights but y_pred has 2"):
        focal(np.eye(2), np.full((2, 2), 0.5))


@settings(deadline=None, max_examples=20)
@given(**LOSS_CASES, from_logits=st.booleans(), balance=st.booleans(),
       gamma=st.sampled_from([0.0, 1.0, 2.0, 2.5]), smoothing=st.sampled_from([0.0, 0.1]),
       rank=st.integers(1, 3))
def test_binary_focal_crossentropy_gradient(batch, width, seed, reduction, weighted,
                                            from_logits, balance, gamma, smoothing, rank):
    rng = np.random.default_rng(seed)
    shape = (batch, width, 2)[:rank]
    # probabilities away from the clip edges, and logits whose sigmoid is too: the focal
    # loss goes through sigma(x), so log(1 - sigma(x)) would lose digits for large x
    y_pred = rng.uniform(-3, 3, shape) if from_logits else rng.uniform(0.05, 0.95, shape)
    y = rng.integers(0, 2, shape).astype(float) if rng.random() < 0.5 else \
        rng.uniform(0, 1, shape)
    loss = losses.BinaryFocalCrossentropy(balance, 0.3, gamma, from_logits, smoothing,
                                          reduction=reduction)
    sample_weight = weights_for(rng, batch, weighted) if rank > 1 else None
    gradcheck.assert_gradients_ok(loss, y, y_pred, sample_weight)


@settings(deadline=None, max_examples=20)
@given(**LOSS_CASES, from_logits=st.booleans(), per_class=st.booleans(),
       gamma=st.sampled_from([0.0, 1.0, 2.0, 2.5]), smoothing=st.sampled_from([0.0, 0.2]),
       soft=st.booleans())
def test_categorical_focal_crossentropy_gradient(batch, width, seed, reduction, weighted,
                                                 from_logits, per_class, gamma, smoothing,
                                                 soft):
    rng = np.random.default_rng(seed)
    classes = width + 1
    if from_logits:   # moderate scores: the loss goes through softmax probabilities,
        y_pred = rng.uniform(-2, 2, (batch, classes))   # and log(q ~ 1) loses digits
    else:   # positive rows that need not sum to 1: the renormalization is differentiated
        y_pred = rng.uniform(0.05, 1.0, (batch, classes))
    y = rng.uniform(0, 1, (batch, classes)) if soft else \
        np.eye(classes)[rng.integers(0, classes, batch)]
    alpha = rng.uniform(0.1, 2.0, classes).tolist() if per_class else 0.25
    loss = losses.CategoricalFocalCrossentropy(alpha, gamma, from_logits, smoothing,
                                               reduction=reduction)
    sample_weight = weights_for(rng, batch, weighted)
    gradcheck.assert_gradients_ok(loss, y, y_pred, sample_weight)


def test_focal_axis_moves_the_class_axis():
    rng = np.random.default_rng(3)
    y, p = np.eye(3)[[0, 2, 1, 1]], rng.uniform(0.1, 0.9, (4, 3))
    for make in (losses.BinaryFocalCrossentropy, losses.CategoricalFocalCrossentropy):
        last, first = make(reduction=None), make(axis=0, reduction=None)
        np.testing.assert_allclose(first(y.T, p.T), last(y, p), rtol=1e-12)
        np.testing.assert_allclose(first.gradient(y.T, p.T), last.gradient(y, p).T,
                                   rtol=1e-12)
