"""Exercise on metrics: precision and recall from counts, as Keras computes them."""
import numpy as np

from kerastutor import metrics
from kerastutor.exercises.grading import Exercise, Mistake

TOPIC = "Metrics"


def precision_recall_solution(y_true, y_pred, threshold):
    """kerastutor's Precision and Recall metrics at one threshold."""
    results = []
    for metric in (metrics.Precision(thresholds=threshold), metrics.Recall(thresholds=threshold)):
        metric.update_state(y_true, y_pred)
        results.append(float(metric.result()))
    return tuple(results)


def _example():
    # one score exactly at the threshold (Keras: not a positive prediction), and a miss
    return dict(y_true=np.array([1.0, 0.0, 1.0, 1.0, 0.0, 1.0]),
                y_pred=np.array([0.9, 0.75, 0.5, 0.125, 0.25, 0.625]), threshold=0.5)


def _draw(draw):
    n = draw.size(1, 8)
    # scores on a grid of eighths (exact in float32 too), so some equal the threshold
    return dict(y_true=draw.rng.integers(0, 2, size=n).astype(np.float64),
                y_pred=draw.rng.integers(0, 9, size=n) / 8.0,
                threshold=draw.choice((0.5, 0.25, 0.75)))


def _counts(i, strict=True):
    positive = i["y_pred"] > i["threshold"] if strict else i["y_pred"] >= i["threshold"]
    truth = i["y_true"] != 0
    return (np.sum(positive & truth), np.sum(positive & ~truth), np.sum(~positive & truth))


def _ratio(a, b):
    return float(a / b) if b else 0.0


def _swapped(i):
    precision, recall = precision_recall_solution(i["y_true"], i["y_pred"], i["threshold"])
    return {"precision": recall, "recall": precision}


def _at_or_above(i):
    tp, fp, fn = _counts(i, strict=False)
    return {"precision": _ratio(tp, tp + fp), "recall": _ratio(tp, tp + fn)}


PRECISION_RECALL = Exercise(
    name="precision_recall",
    summary="precision and recall at a threshold, from the confusion counts",
    topic=TOPIC,
    arguments=("y_true", "y_pred", "threshold"),
    returns=("precision", "recall"),
    docstring="""
keras.metrics.Precision(thresholds=t) and keras.metrics.Recall(thresholds=t)
after one update_state(y_true, y_pred).

    a prediction is positive when y_pred > threshold   (strictly greater)
    a target is positive when y_true != 0
    TP = positive predictions with a positive target, FP = positive predictions
    with a negative target, FN = negative predictions with a positive target

    precision = TP / (TP + FP),   recall = TP / (TP + FN)
    (Keras returns 0.0 when a denominator is 0, not NaN)

Parameters
    y_true     (N,)  0/1 targets
    y_pred     (N,)  scores in [0, 1]
    threshold  float

Returns precision, recall (two floats).
""",
    task=r"""
A binary classifier's scores become decisions at a threshold :math:`t`: Keras
calls a score a positive prediction when :math:`\hat y > t` (strictly). Counting
the decisions against the targets gives the confusion counts

.. math::

    TP = \sum_i [y_i \ne 0][\hat y_i > t], \quad
    FP = \sum_i [y_i = 0][\hat y_i > t], \quad
    FN = \sum_i [y_i \ne 0][\hat y_i \le t]

and from them

.. math::

    \text{precision} = \frac{TP}{TP + FP}, \qquad
    \text{recall} = \frac{TP}{TP + FN}.

Precision asks "of what I flagged, how much was right?", recall "of what was
there, how much did I find?". When a denominator is 0 (nothing flagged, or
nothing to find) Keras returns 0 instead of NaN.
""",
    example=_example,
    draw=_draw,
    solution=precision_recall_solution,
    library=("kerastutor.metrics.Precision", "kerastutor.metrics.Recall"),
    atol=1e-7,
    hints=(
        "Booleans first: ``predicted = y_pred > threshold``, ``actual = y_true != 0``; then "
        "``np.sum(predicted & actual)`` is TP.",
        "A score equal to the threshold is *not* a positive prediction.",
        "Guard the divisions: ``tp / (tp + fp) if tp + fp else 0.0``.",
    ),
    mistakes=(
        Mistake("swapped", "precision and recall are swapped: precision divides by what you "
                           "FLAGGED (TP + FP), recall by what was THERE (TP + FN).", _swapped),
        Mistake("threshold_inclusive", "a score equal to the threshold counts as negative in "
                                       "Keras: a positive prediction is y_pred > threshold, "
                                       "not >=.", _at_or_above),
    ),
    batch_argument="",
)

EXERCISES = (PRECISION_RECALL,)
