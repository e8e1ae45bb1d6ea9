r"""Recording training steps: what every layer saw and what the optimizer did.

A :class:`Recorder` is a listener on :mod:`kerastutor.events`. One training
step sends it, in order::

    train_batch_begin
    layer_forward    (one per layer, inputs -> output)
    loss             (the value and dL/dy_pred)
    layer_backward   (one per layer, reversed: dL/dy -> dL/dx)
    gradients        (every weight's dL/dW, before the optimizer moves it)
    update           (the weights after the optimizer step)
    train_batch_end

and it keeps a :class:`StepRecord` per step: the loss, one :class:`LayerRecord`
per layer call (shapes and :class:`Stats` of the activations and of the
gradients flowing back) and one :class:`WeightRecord` per trainable weight,
with the update :math:`\Delta W = W_{after} - W_{before}` and the ratio

.. math::

    r = \frac{\lVert \Delta W \rVert}{\lVert W_{before} \rVert},

the single most useful number for judging a learning rate (around
:math:`10^{-3}` per step is the usual healthy range, Karpathy's rule of thumb).
"""
import contextlib
import math
from dataclasses import dataclass, field

import numpy as np

from kerastutor import compiled, events
from kerastutor.callbacks import Callback
import kerastutor.trace.views as views
from kerastutor.trace.hints import describe_batch, find_hints

#: Bins of the histogram kept for every recorded array (enough for a plot).
HISTOGRAM_BINS = 30
#: A sigmoid output below this or above 1 minus this (a tanh beyond it in size) is saturated.
SATURATION_MARGIN = 0.01

#: :func:`finite_stats` works through large arrays in pieces of this many entries.
STATS_PIECE = 65536
#: Histograms of arrays with more entries than this count a fixed strided sample of them
#: (:func:`histogram_sample`); every other statistic reads the whole array.
HISTOGRAM_SAMPLE = 8192

#: :func:`finite_stats` shifts the values by the mean of this many of them (at most).
SHIFT_SAMPLE = 256

_RELU_NAMES = ("relu", "relu6")
_SQUASHING = ("sigmoid", "tanh")


# ============================================================ summary statistics
@dataclass
class Stats:
    """Summary of one array: shape, mean, std, min, max, fraction of zeros, RMS, histogram.

    Every number describes the whole array except the histogram of a large one:
    for a float array of more than :data:`HISTOGRAM_SAMPLE` entries, all finite,
    the counts are those of a fixed strided sample of it (every :math:`s`-th entry,
    :func:`histogram_sample`), binned over the whole array's range -- the same
    shape, drawn for a fraction of the cost, its counts summing to the sample's size.
    """

    shape: tuple
    mean: float
    std: float
    min: float
    max: float
    zeros: float
    rms: float
    nonfinite: int
    histogram: tuple = None          # (counts, bin edges) of the finite entries (or a sample)

    @classmethod
    @np.errstate(all="ignore")       # a mean or RMS that overflows is honestly inf
    def of(cls, array):
        """Stats of an array, or of a list of arrays taken together (``None`` -> ``None``).

        NaN and inf entries are counted in ``nonfinite`` and left out of the other
        numbers; an array with no finite entry (or no entry at all) gets NaN stats
        and no histogram.
        """
        arrays = _arrays(array)
        if not arrays:
            return None
        if len(arrays) == 1:                 # the usual case: the speed-up below
            quick = finite_stats(arrays[0])
            if quick is not None:
                return cls(**quick)
        flat = np.concatenate([np.asarray(a, dtype=np.float64).ravel() for a in arrays])
        shape = tuple(arrays[0].shape) if len(arrays) == 1 else [a.shape for a in arrays]
        finite = flat[np.isfinite(flat)]
        if finite.size == 0:
            nan = float("nan")
            return cls(shape, nan, nan, nan, nan, 0.0, nan, int(flat.size))
        return cls(shape=shape, mean=float(finite.mean()), std=float(finite.std()),
                   min=float(finite.min()), max=float(finite.max()),
                   zeros=float(np.mean(flat == 0)),
                   rms=float(np.sqrt(np.mean(np.square(finite)))),
                   nonfinite=int(flat.size - finite.size),
                   histogram=histogram_of_finite(finite))

    def __str__(self):
        return (f"mean {self.mean:+.3g}  std {self.std:.3g}  min {self.min:+.3g}  "
                f"max {self.max:+.3g}  zeros {self.zeros:.0%}")

    def __repr__(self):
        # The dataclass's own repr would print the 30-bin histogram as two arrays.
        bad = f", {self.nonfinite} NaN/inf" if self.nonfinite else ""
        return (f"Stats(shape={self.shape}, mean={self.mean:.3g}, std={self.std:.3g}, "
                f"min={self.min:.3g}, max={self.max:.3g}, zeros={self.zeros:.0%}{bad})")


def finite_stats(array, bins=HISTOGRAM_BINS):
    r"""What :meth:`Stats.of` computes for one float array with only finite entries, in
    one pass over memory; ``None`` for any other array (then ``Stats.of`` runs).

    ``Stats.of`` is the definition: it copies the array to float64, picks the finite
    entries (another copy) and calls ``mean``, ``std``, ``min``, ``max`` and
    ``np.histogram`` on them -- 11 ms for a 784x512 float32 gradient. A step that
    ``TraceCallback`` records summarises every weight, gradient and activation of
    the model, and on the MNIST MLP at batch 32 that made ``fit`` with
    ``TraceCallback(every=10)`` 50% slower than a plain ``fit``
    (``benchmarks/bench_tracer.py``). Here the array is read once, in pieces of
    :data:`STATS_PIECE` entries that stay in the cache while each is searched for
    its minimum and maximum, counted for zeros, and shifted by a constant
    :math:`K` whose deviations are summed and squared:

    .. math::

        \mu = K + \frac{1}{n}\sum_i (x_i - K), \qquad
        \sigma^2 = \frac{1}{n}\sum_i (x_i - K)^2 - (\mu - K)^2, \qquad
        \text{rms} = \sqrt{\sigma^2 + \mu^2}.

    :math:`K` is the float64 mean of a small fixed sample, every :math:`s`-th entry
    (:func:`histogram_sample` with a limit of :data:`SHIFT_SAMPLE`; 0.1 ms less a
    recorded step than the mean of the histogram's sample it used to be). It lies
    within about :math:`\sigma/16` of :math:`\mu`, so the deviations are small and summing them in the array's own precision (pairwise,
    per piece; the pieces' sums in float64) moves :math:`\mu` by about a
    millionth of :math:`\sigma` at most -- where a float64 sum of the values
    themselves would cost three times as much. A finite sum of squares shows
    every entry is finite. The histogram counts the sample: each value's bin
    :math:`\lfloor (x - \min)\,\text{bins}/(\max - \min) \rfloor` by
    ``np.bincount``, with the edges of the whole array's range. The 784x512
    gradient takes 0.4 ms (it took 11, and 1.4 with the whole array binned), and
    with the other helpers of a recorded step (:func:`_write_with_norm`, the
    gradients handed down once in :meth:`Recorder._stats_passed_down`) the tracer's
    cost on that MLP, ``python benchmarks/bench_tracer.py`` on the shared 2-core
    machine, went from ``TraceCallback(every=10): +21.1%`` (batch 32) and ``+23.0%``
    (batch 128) over a plain fit to ``+8.6%`` and ``+11.4%``.
    Min, max and zeros agree with ``Stats.of``'s exactly, std and RMS to float32
    rounding, the mean to a millionth of the std; the histogram is
    ``np.histogram``'s of the sample, except that a value within a rounding of a
    bin edge may be counted in the neighbouring bin
    (``tests/trace/test_finite_stats.py``).
    """
    array = np.asarray(array)
    if array.dtype.kind != "f" or array.size == 0:
        return None
    flat = array.reshape(-1)
    sample = histogram_sample(flat)
    few = histogram_sample(flat, SHIFT_SAMPLE)
    shift = float(np.add.reduce(few, dtype=np.float64)) / few.size
    if not math.isfinite(shift):        # an inf or NaN among them
        return None
    sums = compiled.deviation_sums(flat, shift)          # the fast extra: one compiled loop
    if sums is not None:
        (zeros, deviations, squares), low, high = sums, float(flat.min()), float(flat.max())
    else:
        low, high, zeros, deviations, squares = _summary_by_pieces(flat, shift)
    if not math.isfinite(squares):
        return None                      # an inf or NaN entry, or squares that overflowed
    offset = deviations / flat.size                    # mu - K
    mean = shift + offset
    variance = max(squares / flat.size - offset * offset, 0.0)
    return dict(shape=tuple(array.shape), mean=mean, std=math.sqrt(variance),
                min=low, max=high, zeros=zeros / flat.size,
                rms=math.sqrt(variance + mean * mean), nonfinite=0,
                histogram=_sample_histogram(sample, low, high, bins))


def _summary_by_pieces(flat, shift):
    """``(min, max, zeros, sum of x - K, sum of (x - K)^2)`` of ``flat``, piece by piece."""
    deviations, squares, zeros, low, high = 0.0, 0.0, 0, math.inf, -math.inf
    scratch = np.empty(min(flat.size, STATS_PIECE), flat.dtype)
    for start in range(0, flat.size, STATS_PIECE):     # each piece read from memory once
        piece = flat[start:start + STATS_PIECE]
        low, high = min(low, float(piece.min())), max(high, float(piece.max()))
        zeros += int(np.count_nonzero(piece == 0))
        work = np.subtract(piece, shift, out=scratch[:piece.size])      # x - K
        deviations += float(np.add.reduce(work))
        squares += float(np.dot(work, work))
    return low, high, zeros, deviations, squares


def histogram_sample(flat, limit=None):
    r"""The entries of a flat array that its recorded histogram counts.

    All of them when there are at most ``limit`` (default :data:`HISTOGRAM_SAMPLE`); else
    every :math:`s`-th entry from the first, :math:`s` the smallest *odd* number with
    :math:`\lceil n/s \rceil \le` ``limit``. Odd, so that on the usual power-of-two
    layer widths the sample visits every column (every unit), not a few of them.
    A fixed rule, not a random draw: the same array always gives the same histogram.
    Binning costs more per entry than all the other statistics together, and 30
    bins drawn from 8,192 values show the shape of all of them: on the MLP of
    ``benchmarks/bench_tracer.py`` (a 784x512 gradient, 32x512 and 128x512 ReLU
    outputs) every bin's share of the sample is within 0.7 percentage points of
    its share of the whole array.
    """
    limit = HISTOGRAM_SAMPLE if limit is None else limit
    if flat.size <= limit:
        return flat
    return flat[::-(-flat.size // limit) | 1]


def _sample_histogram(sample, low, high, bins):
    """``(counts, edges)``: ``bins`` equal bins from ``low`` to ``high`` (Python floats),
    counting ``sample``."""
    scale = bins / (high - low) if high > low else math.inf    # overflow: inf or 0, no error
    edges = _equal_edges(low, high, bins) if math.isfinite(scale) else None   # the speed-up
    if edges is None:               # the plain way: np.histogram's edges, checked to increase
        edges = np.linspace(low, high, bins + 1)
        if not (math.isfinite(scale) and np.all(edges[1:] > edges[:-1])):
            # one value, or a range np.histogram cannot cut: its own rule (see below)
            return histogram_of_finite(np.asarray(sample, dtype=np.float64), bins, (low, high))
    counts = compiled.bin_counts(sample, low, scale, bins)    # the fast extra: one loop
    if counts is not None:
        return counts, edges
    position = np.subtract(sample, low, dtype=np.float64)     # x - min
    position *= scale                                          # the bin, as a fraction
    index = position.astype(np.intp)
    np.minimum(index, bins - 1, out=index)                     # the maximum closes the last
    return np.bincount(index, minlength=bins), edges


def _equal_edges(low, high, bins):
    r"""``np.linspace(low, high, bins + 1)`` bit for bit when those edges surely increase;
    else ``None`` (then ``np.linspace`` and the check that each edge exceeds the one
    before run).

    Speed-up of those two steps, which every summary takes (16 a recorded step of the
    MLP of ``benchmarks/bench_tracer.py``): 6 µs of NumPy calls each, 13 µs on a
    recorded step's cold caches. ``np.linspace``'s own arithmetic -- the edge
    :math:`e_k = k\,\delta + \text{low}` with :math:`\delta = (\text{high} -
    \text{low})/\text{bins}` in float64, the last edge ``high`` itself -- on a ramp
    :math:`0, 1, \dots, \text{bins}` made once, and a test on two numbers for the
    check: each computed edge lies within :math:`5uM` of its exact value
    (:math:`u = 2^{-53}` the unit roundoff, :math:`M` the larger of :math:`|\text{low}|`
    and :math:`|\text{high}|`; two roundings), so neighbours increase whenever
    :math:`\delta > 10uM`; asking :math:`\delta > 32uM`, and :math:`\delta` a normal
    float (rounding below those is not relative), leaves a margin. Ranges narrower
    than that (a few ulps of a large value, subnormal ones) take the plain check
    (``tests/trace/test_finite_stats.py`` compares the edges with ``np.linspace``'s).
    """
    step = (high - low) / bins
    if not (math.isfinite(step) and step > 32 * _UNIT_ROUNDOFF * max(abs(low), abs(high))
            and step >= _SMALLEST_NORMAL):     # subnormal steps round by more than u
        return None
    ramp = _RAMPS.get(bins)
    if ramp is None:
        ramp = _RAMPS[bins] = np.arange(bins + 1, dtype=np.float64)
    edges = ramp * step              # np.linspace: y = arange(num) * step + start,
    edges += low
    edges[-1] = high                 # and the end point exactly
    return edges


_UNIT_ROUNDOFF = 2.0 ** -53
_SMALLEST_NORMAL = float(np.finfo(np.float64).tiny)
_RAMPS = {}                          # bins -> 0.0, 1.0, ..., bins (float64)


def histogram_of_finite(finite, bins=HISTOGRAM_BINS, value_range=None):
    """``(counts, edges)`` of finite values: ``bins`` equal bins, or one bin when they can't be.

    ``np.histogram(values, bins=30)`` raises ``ValueError: Too many bins for data
    range`` when 30 distinct, increasing bin edges cannot be written in float64
    between the smallest and the largest value. That happens on perfectly good
    training data: a constant array of magnitude 1e15 or more (NumPy widens a
    constant's range to ``value +- 0.5``, and at that size the edges all round
    to the same float), values a few ulps apart, or a range wider than the
    largest float (``-1e308`` to ``1e308``, as a diverging run produces). The
    tracer must never stop a training run over a summary, so those arrays get one
    bin from their minimum to their maximum -- every value counted, the edges
    exact, the width possibly zero. ``value_range`` (``(min, max)``) gives the
    range when ``finite`` is a sample of the values (:func:`histogram_sample`).
    """
    with np.errstate(all="ignore"):        # the edge arithmetic may overflow first
        try:
            return np.histogram(finite, bins=bins, range=value_range)
        except ValueError:
            low, high = value_range or (float(finite.min()), float(finite.max()))
            return np.array([finite.size]), np.array([low, high])


def _arrays(value):
    """``value`` as a list of NumPy arrays (a layer may have several inputs/outputs)."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [np.asarray(v) for v in value if v is not None]
    return [np.asarray(value)]


def _copy(value):
    arrays = _arrays(value)
    if isinstance(value, (list, tuple)):
        return [a.copy() for a in arrays]
    return arrays[0].copy() if arrays else None


def _norm(array):
    """The L2 norm. Speed-up: BLAS's dot product of a float array with itself needs no
    float64 copy (a recorded step takes three norms per weight); should the sum of
    squares overflow the array's own float type, the norm is taken in float64."""
    flat = np.asarray(array).ravel()
    if flat.dtype.kind == "f":
        with np.errstate(all="ignore"):
            square = float(np.dot(flat, flat))
        if np.isfinite(square):
            return math.sqrt(square)
    return float(np.linalg.norm(np.asarray(flat, dtype=np.float64)))


def _write_with_norm(out, after, before=None):
    r"""``out[...] = after - before`` (``after`` itself when ``before`` is ``None``) and
    the L2 norm of what was written.

    Speed-up of ``np.subtract(after, before, out=out)`` (or ``np.copyto``) followed by
    ``_norm(out)``: each piece of :data:`STATS_PIECE` entries is squared while it is
    still in the cache, so a recorded step reads every weight twice less (its copy
    before the update comes with :math:`\lVert W \rVert`, the update with
    :math:`\lVert \Delta W \rVert`). Same numbers as the two steps
    (``tests/trace/test_finite_stats.py``); any other case (not a float, a layout the
    pieces cannot follow, squares that overflow) takes those two steps.
    """
    after = np.asarray(after)
    if out.dtype.kind != "f" or not out.flags.c_contiguous or after.shape != out.shape:
        if before is None:
            np.copyto(out, after)
        else:
            np.subtract(after, before, out=out)
        return _norm(out)
    written, source = out.reshape(-1), after.reshape(-1)
    subtrahend = None if before is None else np.asarray(before).reshape(-1)
    squares = 0.0
    for start in range(0, written.size, STATS_PIECE):
        piece, stop = written[start:start + STATS_PIECE], start + STATS_PIECE
        if subtrahend is None:
            np.copyto(piece, source[start:stop])
        else:
            np.subtract(source[start:stop], subtrahend[start:stop], out=piece)
        squares += float(np.dot(piece, piece))
    return math.sqrt(squares) if math.isfinite(squares) else _norm(out)


def _norm_from(stats, array):
    r"""``_norm(array)`` read off its finite :class:`Stats`, :math:`\sqrt{n}\,\text{rms}`
    (one pass fewer per weight of a recorded step), else computed."""
    if stats is None or stats.nonfinite or not np.isfinite(stats.rms):
        return _norm(array)
    return stats.rms * math.sqrt(np.size(array))


# ============================================================ what a layer does
def activation_name(layer):
    """The activation a layer applies last (``"relu"``, ``"softmax"``, ...), or ``None``.

    Dense-like layers and ``Activation`` hold an activation object with a
    Keras ``name``; ``ReLU`` and ``Softmax`` layers *are* the activation.
    """
    if layer is None:
        return None
    activation = getattr(layer, "activation", None)
    name = getattr(activation, "name", None) or getattr(activation, "__name__", None)
    if isinstance(name, str):
        return name
    kind = type(layer).__name__
    if kind == "ReLU":
        return "relu" if not getattr(layer, "negative_slope", 0) else "leaky_relu"
    return {"Softmax": "softmax"}.get(kind)


def dead_unit_fraction(output):
    """Fraction of units (last axis) that are zero for *every* sample of the batch."""
    output = np.asarray(output)
    if output.ndim < 2 or output.shape[-1] == 0:
        return 0.0
    quick = _dead_fraction_by_maximum(output)      # the speed-up: same number
    if quick is not None:
        return quick
    active = (output > 0).reshape(-1, output.shape[-1]).any(axis=0)
    return float(np.mean(~active))


def _dead_fraction_by_maximum(output):
    """:func:`dead_unit_fraction` of a float array with at least one sample: a unit is
    dead when its largest output is not positive. ``None`` for any other array.

    Speed-up: the plain code builds a boolean array as large as the output and
    ORs it down the batch; here one ``np.fmax`` reduction down the batch (``fmax``
    passes over NaN as the plain code's ``> 0`` does) leaves one number per unit --
    5 µs instead of 10 for a 32x512 ReLU output. ``tests/trace/test_trace.py``
    compares the two.
    """
    if output.dtype.kind != "f" or output.size == 0:
        return None
    largest = np.fmax.reduce(output.reshape(-1, output.shape[-1]), axis=0)
    units = largest.size
    return (units - int(np.count_nonzero(largest > 0))) / units


def saturated_fraction(output, activation):
    """Fraction of outputs within :data:`SATURATION_MARGIN` of a sigmoid/tanh asymptote."""
    output = np.asarray(output)          # compared in its own precision: no float64 copy
    if activation == "sigmoid":
        flat = (output < SATURATION_MARGIN) | (output > 1 - SATURATION_MARGIN)
    else:
        flat = np.abs(output) > 1 - SATURATION_MARGIN
    return float(np.mean(flat))


# ============================================================ the records
@dataclass
class LayerRecord:
    """One call of one layer in one step: forward statistics, then backward ones.

    ``output`` holds the activations' :class:`Stats`; ``grad_output`` is the
    upstream gradient :math:`\\partial L/\\partial y` arriving from above and
    ``grad_input`` the gradient :math:`\\partial L/\\partial x` the layer sends
    down (``None`` for a layer fed straight from the data: nobody needs it).
    The ``*_array`` fields hold copies when recording with ``keep_arrays=True``.
    """

    name: str
    kind: str
    activation: str
    input_shapes: list
    output: Stats
    dead_fraction: float = None      # ReLU layers: units never active over the batch
    saturated_fraction: float = None  # sigmoid/tanh layers: outputs near an asymptote
    grad_output: Stats = None
    grad_input: Stats = None
    layer: object = field(default=None, repr=False)
    input_array: object = field(default=None, repr=False)
    output_array: object = field(default=None, repr=False)
    grad_output_array: object = field(default=None, repr=False)
    grad_input_array: object = field(default=None, repr=False)

    def __repr__(self):
        parts = [f"{self.name!r}", self.kind + (f" {self.activation}" if self.activation else "")]
        if self.output is not None:
            parts.append(f"output {self.output.shape} mean {self.output.mean:.3g}")
        if self.dead_fraction is not None:
            parts.append(f"dead {self.dead_fraction:.0%}")
        if self.saturated_fraction is not None:
            parts.append(f"saturated {self.saturated_fraction:.0%}")
        if self.grad_output is not None:
            parts.append(f"dL/dy rms {self.grad_output.rms:.3g}")
        return f"LayerRecord({', '.join(parts)})"


@dataclass
class WeightRecord:
    r"""One trainable weight in one step: its gradient and the update the optimizer made.

    ``ratio`` is :math:`\lVert \Delta W\rVert / \lVert W\rVert` (``inf`` for a
    weight that was all zeros, such as a fresh bias).
    """

    path: str
    shape: tuple
    norm: float
    grad: Stats
    grad_norm: float
    update_norm: float = None
    ratio: float = None
    weight: object = field(default=None, repr=False)
    before: object = field(default=None, repr=False)    # always kept: needed for the update
    grad_array: object = field(default=None, repr=False)
    update_array: object = field(default=None, repr=False)

    def __repr__(self):
        ratio = "" if self.ratio is None else f", update/W {self.ratio:.3g}"
        return (f"WeightRecord({self.path!r} {self.shape}, ||W|| {self.norm:.3g}, "
                f"||dL/dW|| {self.grad_norm:.3g}{ratio})")


@dataclass
class OutputRecord:
    """What the loss was given for one model output, and how the loss reads it."""

    loss: str
    from_logits: bool                # None when the loss has no such option
    categorical: bool
    activation: str                  # of the layer producing the output, if known
    layer_name: str
    in_unit_interval: bool           # every prediction in [0, 1]
    rows_sum_to_one: bool            # along the last axis (a softmax's signature)


@dataclass
class StepRecord:
    """Everything recorded during one training step (``index`` counts every step seen)."""

    index: int
    loss: float = None
    layers: list = field(default_factory=list)
    weights: list = field(default_factory=list)
    outputs: list = field(default_factory=list)
    epoch: int = None
    metrics: dict = field(default_factory=dict)   # the logs after the step (fit: epoch means)
    data: object = None      # the batch's input scale and labels (hints.BatchRecord)

    def __repr__(self):
        epoch = "" if self.epoch is None else f", epoch {self.epoch}"
        loss = "no loss" if self.loss is None else f"loss {self.loss:.4g}"
        return (f"StepRecord(#{self.index}{epoch}, {loss}, {len(self.layers)} layer call(s), "
                f"{len(self.weights)} weight(s))")

    def layer(self, name):
        """The (first) record of the layer called ``name``."""
        for record in self.layers:
            if record.name == name:
                return record
        raise KeyError(f"No layer named {name!r} in step {self.index}; recorded layers: "
                       f"{[r.name for r in self.layers]}.")

    def weight(self, path):
        """The record of the weight whose path (or name) is ``path``."""
        for record in self.weights:
            if record.path == path or record.path.endswith("/" + path):
                return record
        raise KeyError(f"No weight {path!r} in step {self.index}; recorded weights: "
                       f"{[r.path for r in self.weights]}.")


# ============================================================ the listener
class Recorder:
    """Turns the events of training steps into :class:`StepRecord` objects.

    ``keep_arrays=True`` also keeps copies of activations and gradients (memory
    grows with the model and the batch: use it for a few steps, not for a whole
    ``fit``). The update needs the values before the step, so those are always
    copied -- on the recorded steps only.
    """

    def __init__(self, model, keep_arrays=False):
        self.model = model
        self.keep_arrays = bool(keep_arrays)
        self.steps = []
        self.current = None
        self.seen = 0                # training steps started while recording
        self._passed_down = (None, None)   # the last dL/dx sent down, and its Stats

    # The event bus calls the recorder itself: recorder(name, data). Overflow while
    # summarising a diverging step (norms, updates) gives inf or NaN, not an error.
    @np.errstate(all="ignore")
    def __call__(self, name, data):
        handler = getattr(self, "_on_" + name, None)
        if handler is not None:
            handler(**data)

    def _on_train_batch_begin(self, model, x=None, y=None, **_):
        if model is not self.model:
            return
        self._passed_down = (None, None)
        self.current = StepRecord(index=self.seen, data=describe_batch(model, x, y))
        self.seen += 1

    def _on_layer_forward(self, layer, inputs, output, **_):
        if self.current is None:
            return
        act = activation_name(layer)
        record = LayerRecord(
            name=layer.name, kind=type(layer).__name__, activation=act,
            input_shapes=[tuple(a.shape) for a in _arrays(inputs)],
            output=Stats.of(output), layer=layer)
        if act in _RELU_NAMES and not isinstance(output, (list, tuple)):
            record.dead_fraction = dead_unit_fraction(output)
        if act in _SQUASHING and not isinstance(output, (list, tuple)):
            record.saturated_fraction = saturated_fraction(output, act)
        if self.keep_arrays:
            record.input_array, record.output_array = _copy(inputs), _copy(output)
        self.current.layers.append(record)

    def _on_loss(self, model, value, y_pred, **_):
        if self.current is None or model is not self.model:
            return
        self.current.loss = float(value)
        self.current.outputs = describe_outputs(model, y_pred, self.current.layers)

    def _on_layer_backward(self, layer, grad_output, grad_input, **_):
        if self.current is None:
            return
        # Backward runs in reverse, so the latest forward call still waiting for
        # its gradient is this one (it matters for a layer shared by several nodes).
        for record in reversed(self.current.layers):
            if record.layer is layer and record.grad_output is None:
                record.grad_output = self._stats_passed_down(grad_output)
                record.grad_input = self._stats_passed_down(grad_input, record.grad_output,
                                                            grad_output)
                self._passed_down = (grad_input, record.grad_input)
                if self.keep_arrays:
                    record.grad_output_array = _copy(grad_output)
                    record.grad_input_array = _copy(grad_input)
                return

    def _stats_passed_down(self, gradient, stats=None, summarised=None):
        """:class:`Stats` of a gradient, reused when it is an array already summarised.

        The gradient a layer sends down, dL/dx, is the very array the layer below
        it receives as dL/dy: the model hands it on, nobody changes it. So the
        previous ``layer_backward``'s ``grad_input`` (or, for a layer that passes its
        gradient through unchanged, this event's ``grad_output``: ``summarised``,
        with ``stats``) is summarised once -- half the backward summaries of a
        sequential model.
        """
        if gradient is None:
            return None
        if summarised is not None and gradient is summarised:
            return stats
        passed, passed_stats = self._passed_down
        if passed is not None and gradient is passed:
            return passed_stats
        return Stats.of(gradient)

    def _on_gradients(self, model, weights, **_):
        if self.current is None or model is not self.model:
            return
        # Every gradient first, while the backward pass's last ones are still in the cache
        # (copying the weights in between would push them out).
        grads = [Stats.of(w.grad) for w in weights]
        for w, grad in zip(weights, grads):
            before, norm = self._value_before(w)
            record = WeightRecord(path=w.path, shape=tuple(w.value.shape), norm=norm,
                                  grad=grad, grad_norm=_norm_from(grad, w.grad), weight=w,
                                  before=before)
            if self.keep_arrays:
                record.grad_array = np.array(w.grad, copy=True)
            self.current.weights.append(record)

    def _value_before(self, weight):
        """A copy of the weight's value before the update, and its norm. Without
        ``keep_arrays`` the copy is only needed until the update's norm is taken, so
        each weight reuses one buffer from recorded step to recorded step (no fresh
        megabytes each time), and its norm is taken while it is copied."""
        value = np.asarray(weight.value)
        if self.keep_arrays:
            return value.copy(), _norm(value)
        buffers = self.__dict__.setdefault("_before_buffers", {})
        buffer = buffers.get(id(weight))
        if buffer is None or buffer.shape != value.shape or buffer.dtype != value.dtype:
            buffer = buffers[id(weight)] = np.empty(value.shape, value.dtype)
        return buffer, _write_with_norm(buffer, value)

    def _on_update(self, model, **_):
        if self.current is None or model is not self.model:
            return
        for record in self.current.weights:
            if self.keep_arrays:             # kept for the user: exact, in float64
                update = np.asarray(record.weight.value, dtype=np.float64) - record.before
                record.update_norm = _norm(update)
            else:                            # only its norm is needed: reuse the copy
                record.update_norm = _write_with_norm(record.before, record.weight.value,
                                                      record.before)
            record.ratio = (record.update_norm / record.norm if record.norm > 0
                            else (0.0 if record.update_norm == 0 else float("inf")))
            if self.keep_arrays:
                record.update_array = update
            else:
                record.before = None          # the copy served its purpose

    def _on_train_batch_end(self, model, **_):
        if self.current is None or model is not self.model:
            return
        self._passed_down = (None, None)       # keep no array beyond its step
        self.steps.append(self.current)
        self.current = None


def describe_outputs(model, y_pred, layers):
    """One :class:`OutputRecord` per model output: the loss, its ``from_logits``, the values."""
    compiled = getattr(model, "_compiled", None)
    losses = list(getattr(compiled, "losses", []) or [])
    records = []
    for index, (loss, pred) in enumerate(zip(losses, y_pred)):
        layer = _output_layer(model, index, layers)
        pred = np.asarray(pred, dtype=np.float64)
        in_unit = bool(np.all((pred >= 0) & (pred <= 1)))
        sums = bool(pred.ndim >= 1 and pred.shape[-1] > 1
                    and _all_near_one(pred.sum(axis=-1)))
        records.append(OutputRecord(
            loss=getattr(loss, "name", type(loss).__name__),
            from_logits=getattr(loss, "from_logits", None),
            categorical="Categorical" in type(loss).__name__,
            activation=activation_name(layer), layer_name=getattr(layer, "name", None),
            in_unit_interval=in_unit, rows_sum_to_one=sums))
    return records


def _all_near_one(values):
    r"""``np.allclose(values, 1.0, atol=1e-3)``: :math:`|v - 1| \le 10^{-3} + 10^{-5}`
    for every value (a NaN or an infinity is near nothing).

    Speed-up: the same test without ``np.allclose``'s general machinery (broadcasting,
    NaN and infinity handling for any ``b``), which took 16 µs of the 25 that
    :func:`describe_outputs` took at every recorded step. ``tests/trace/test_trace.py``
    compares the two.
    """
    return bool(np.all(np.abs(values - 1.0) <= 1e-3 + 1e-5 * 1.0))


def _output_layer(model, index, layers):
    """The layer whose output is model output ``index`` (graph models), else the last called."""
    outputs = getattr(model, "outputs", None) or []
    if index < len(outputs):
        history = getattr(outputs[index], "history", None)
        if history and history[0] is not model:       # a subclassed model is one node
            return history[0]
    return layers[-1].layer if layers and len(outputs) <= 1 else None


# ============================================================ subclassed models
@contextlib.contextmanager
def listening_to(model, listener):
    """Subscribe ``listener`` for the block. (Every kind of model announces its layers:
    graph models node by node, subclassed ones from ``Layer._call_on_tape``.)"""
    events.subscribe(listener)
    try:
        yield listener
    finally:
        events.unsubscribe(listener)


# ============================================================ the public API
class Trace:
    """The recorded steps of a training run, with views and tutor hints.

    ``print(trace)`` shows a table per step, a notebook shows the same as
    HTML, :meth:`hints` says what looks wrong and why, and the ``plot_*``
    methods draw histograms and update ratios (with matplotlib).
    """

    def __init__(self, steps=None, model=None):
        self.steps = list(steps or [])
        self.model = model

    def __len__(self):
        return len(self.steps)

    def __getitem__(self, index):
        return self.steps[index]

    def __iter__(self):
        return iter(self.steps)

    @property
    def losses(self):
        """The loss of every recorded step, in order."""
        return [step.loss for step in self.steps]

    def table(self, step=None):
        """The text tables: every step, or only ``step`` (an index into :attr:`steps`)."""
        return views.text(self, step)

    def __str__(self):
        return self.table()

    def __repr__(self):
        losses = [loss for loss in self.losses if loss is not None]
        loss = ("" if not losses else f", loss {losses[0]:.4g}" if len(losses) == 1
                else f", loss {losses[0]:.4g} -> {losses[-1]:.4g}")
        name = getattr(self.model, "name", None)
        return f"Trace({len(self.steps)} step(s){f' of {name!r}' if name else ''}{loss})"

    def _repr_html_(self):
        return views.html(self)

    def hints(self):
        """What the recorded numbers suggest is wrong: a list of :class:`Hint` objects."""
        return find_hints(self)

    def plot_histograms(self, what="activations", step=-1, save_to=None):
        """One histogram per layer of its activations (or ``what="gradients"``: dL/dy)."""
        return views.plot_histograms(self, what, step, save_to)

    def plot_update_ratios(self, save_to=None):
        """``||update|| / ||weight||`` of every weight over the recorded steps (log scale)."""
        return views.plot_update_ratios(self, save_to)


def record(model, x, y, steps=1, keep_arrays=True, sample_weight=None):
    """Run ``steps`` calls of ``model.train_on_batch(x, y)`` and record each one.

    The model must be compiled; it *is* trained by these steps (a trace shows
    real training, not a simulation). Returns a :class:`Trace`::

        trace = keras.trace.record(model, x, y)
        print(trace)
        trace.hints()
    """
    _check_model(model, "record")
    if not isinstance(steps, (int, np.integer)) or isinstance(steps, bool) or steps < 1:
        raise ValueError(f"record: `steps` must be a positive integer, got {steps!r}.")
    recorder = Recorder(model, keep_arrays=keep_arrays)
    with listening_to(model, recorder):
        for _ in range(int(steps)):
            logs = model.train_on_batch(x, y, sample_weight=sample_weight, return_dict=True)
            if recorder.steps:
                recorder.steps[-1].metrics = dict(logs)
    return Trace(recorder.steps, model)


def _check_model(model, what):
    if not callable(getattr(model, "train_on_batch", None)):
        raise TypeError(f"{what}: `model` must be a kerastutor model (Sequential, functional "
                        f"or subclassed Model), got {type(model).__name__}.")
    if getattr(model, "_compiled", None) is None:
        raise RuntimeError(f"{what}: the model is not compiled, so it cannot train. Call "
                           "model.compile(optimizer=..., loss=...) first.")


class TraceCallback(Callback):
    """Record every ``every``-th training step of ``fit`` into :attr:`trace`.

    The recorder is subscribed only around the sampled steps, so the steps in
    between run exactly as without the callback (nobody listens, no event is
    built). If a step or another callback raises, ``fit`` unsubscribes it on the
    way out (:func:`kerastutor.events.closing_scope`); whatever the arrays hold
    (NaN, inf, huge constants, nothing) recording them never raises.
    ``max_steps`` caps how many steps are kept::

        tracer = keras.trace.TraceCallback(every=50)
        model.fit(x, y, epochs=10, callbacks=[tracer])
        tracer.trace.hints()
    """

    def __init__(self, every=50, keep_arrays=False, max_steps=None):
        super().__init__()
        if not isinstance(every, (int, np.integer)) or isinstance(every, bool) or every < 1:
            raise ValueError(f"TraceCallback: `every` must be a positive integer (record one "
                             f"step in every `every`), got {every!r}.")
        self.every, self.keep_arrays, self.max_steps = int(every), keep_arrays, max_steps
        self.trace = Trace()
        self._recorder = None
        self._step = 0                   # training steps since fit began
        self._context = None

    def on_train_begin(self, logs=None):
        self._context = None            # a fit that raised was closed by fit itself
        self._recorder = Recorder(self.model, keep_arrays=self.keep_arrays)
        self.trace = Trace(model=self.model)
        self._step = 0
        self._epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_begin(self, batch, logs=None):
        if self._recorder is None:      # driven without on_train_begin (a hand-made loop)
            self.on_train_begin()
        full = self.max_steps is not None and len(self.trace.steps) >= self.max_steps
        if self._step % self.every == 0 and not full and self._context is None:
            self._context = listening_to(self.model, self._recorder)
            self._context.__enter__()
            self._recorder.seen = self._step

    def on_train_batch_end(self, batch, logs=None):
        self._stop_listening()
        if self._recorder is not None and self._recorder.steps:
            for step in self._recorder.steps:
                step.epoch, step.metrics = self._epoch, dict(logs or {})
            self.trace.steps.extend(self._recorder.steps)
            self._recorder.steps = []
        self._step += 1

    def on_train_end(self, logs=None):
        self._stop_listening()          # a fit stopped mid-step leaves nobody subscribed

    def _stop_listening(self):
        if self._context is not None:
            context, self._context = self._context, None
            context.__exit__(None, None, None)
