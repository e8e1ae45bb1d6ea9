"""Hypothesis strategies shared by the test modules: one place for what a test draws.

A property test says "for every seed, shape, data format, ... the layer agrees with its
definition". The *every* lives here, so two tests of the same kind of object draw the same
kind of case, and a change of range (a bigger seed space, a wider shape) is made once.
Non-hypothesis helpers (``random_array``, adapters, round-trip checks) are in
``helpers.py``; builders that only one family can use (a whole convolution case, an
attention case) stay beside their tests and are made from the pieces below.

Every test folder imports this module by name (``from strategies import SEEDS``):
``tests/`` is on ``sys.path`` because ``tests/conftest.py`` lives there.
"""
import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

# ------------------------------------------------------------------------ seeds, shapes
#: A seed for ``np.random.default_rng``: the test draws its arrays from it, so a failing
#: example is reproduced by its seed alone.
SEEDS = st.integers(0, 2**16)


def shapes(min_rank=1, max_rank=3, max_side=4):
    """Sizes per axis, as a list (so a test can put a batch axis in front):
    an array's shape, a pooling window, strides."""
    return st.lists(st.integers(1, max_side), min_size=min_rank, max_size=max_rank)


def float_arrays(shape=None, low=-5.0, high=5.0, max_rank=3, max_side=4):
    """float64 arrays with entries in ``[low, high]``, of ``shape`` or of a small drawn one."""
    if shape is None:
        shape = hnp.array_shapes(min_dims=1, max_dims=max_rank, max_side=max_side)
    return hnp.arrays(np.float64, shape, elements=st.floats(low, high))


@st.composite
def shapes_and_axes(draw, max_rank=4):
    """``(shape, axis)`` for a reduction: ``axis`` is None, one axis (maybe negative) or a
    tuple of distinct axes."""
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=max_rank, max_side=4))
    rank = len(shape)
    axis = draw(st.none() | st.integers(-rank, rank - 1)
                | hnp.valid_tuple_axes(rank, min_size=1))
    return shape, axis


# ----------------------------------------------------------------------- layer options
DATA_FORMATS = st.sampled_from(["channels_last", "channels_first"])
PADDINGS = st.sampled_from(["valid", "same"])
RNN_KINDS = st.sampled_from(["simple", "lstm", "gru"])

#: Activations a gradient check can take anywhere: no kink where a central difference
#: would straddle a corner.
SMOOTH_ACTIVATIONS = st.sampled_from(["linear", "tanh", "sigmoid"])
#: Activations for checks that take no finite difference (relu's kink is harmless there).
ACTIVATIONS = st.sampled_from(["linear", "tanh", "relu"])


@st.composite
def conv_geometry(draw, rank):
    """``(kernel, strides, dilation)`` of a ``rank``-D convolution window.

    Keras refuses strides and dilation both above 1, so a case has one or the other.
    """
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(rank))
    if draw(st.booleans()):
        strides = tuple(draw(st.integers(1, 3)) for _ in range(rank))
        dilation = (1,) * rank
    else:
        strides = (1,) * rank
        dilation = tuple(draw(st.integers(1, 2)) for _ in range(rank))
    return kernel, strides, dilation


@st.composite
def spatial_sizes(draw, kernel, dilation, largest):
    r"""Input sizes a dilated window fits into: :math:`n \ge d\,(k - 1) + 1` on each axis
    (up to ``largest``, or exactly the window where that is larger)."""
    return tuple(draw(st.integers(d * (k - 1) + 1, max(largest, d * (k - 1) + 1)))
                 for k, d in zip(kernel, dilation))


# ----------------------------------------------------------------------------- losses
#: The reductions a loss gradient is checked under (``"none"`` is the same as ``None``).
LOSS_REDUCTIONS = st.sampled_from(["sum_over_batch_size", "sum", "mean",
                                   "mean_with_sample_weight", None])

#: Keyword strategies of a loss gradient test, ``@given(**LOSS_CASES, ...)``: a small
#: batch of ``width`` columns, its seed, the reduction and whether samples are weighted.
LOSS_CASES = dict(batch=st.integers(1, 4), width=st.integers(1, 4), seed=SEEDS,
                  reduction=LOSS_REDUCTIONS, weighted=st.booleans())


# ------------------------------------------------------- labelled batches (metrics)
# Weights that scikit-learn accepts (never all zero), so tests that take scikit-learn as
# the reference can use these batches directly.
@st.composite
def binary_batches(draw, max_rows=12):
    """(y_true 0/1, y_pred in [0, 1], sample weights), all of shape (n,)."""
    n = draw(st.integers(1, max_rows))
    y_true = draw(hnp.arrays(np.int64, n, elements=st.integers(0, 1)))
    y_pred = draw(hnp.arrays(np.float64, n, elements=st.sampled_from(
        [0.0, 0.1, 0.3, 0.5, 0.55, 0.7, 0.9, 1.0])))
    weights = draw(hnp.arrays(np.float64, n, elements=st.sampled_from([0.0, 0.5, 1.0, 2.0])))
    weights[0] = 1.0  # sklearn refuses all-zero weights
    return y_true, y_pred, weights


@st.composite
def multilabel_batches(draw):
    """(y_true multi-hot (n, c), y_pred scores (n, c), weights (n,)); c >= 2.

    sklearn reads a single column as binary labels, not as one label of a
    multi-label problem, so the strategy draws at least two columns.
    """
    n, c = draw(st.integers(1, 10)), draw(st.integers(2, 4))
    y_true = draw(hnp.arrays(np.int64, (n, c), elements=st.integers(0, 1)))
    y_pred = draw(hnp.arrays(np.float64, (n, c), elements=st.sampled_from(
        [0.05, 0.2, 0.4, 0.6, 0.8, 0.95])))
    weights = draw(hnp.arrays(np.float64, n, elements=st.sampled_from([0.0, 0.5, 1.0, 3.0])))
    weights[0] = 1.0  # sklearn refuses all-zero weights
    return y_true, y_pred, weights


@st.composite
def regression_batches(draw):
    """(y_true, y_pred, weights) with (n, d) targets whose columns are not constant."""
    n, d = draw(st.integers(3, 12)), draw(st.integers(1, 3))
    values = st.integers(-20, 20).map(lambda v: v / 4)
    y_true = draw(hnp.arrays(np.float64, (n, d), elements=values))
    y_pred = draw(hnp.arrays(np.float64, (n, d), elements=values))
    weights = draw(hnp.arrays(np.float64, n, elements=st.sampled_from([0.5, 1.0, 2.0])))
    # A constant column has no variance: Keras and sklearn disagree there by design.
    y_true[0] = y_true[1] + 1
    return y_true, y_pred, weights
