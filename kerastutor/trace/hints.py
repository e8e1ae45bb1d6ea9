r"""Tutor hints: what the recorded numbers say about a network's health.

Each check reads a :class:`~kerastutor.trace.Trace` and returns a
:class:`Hint` (or nothing). The thresholds are rules of thumb from the
teaching literature (CS231n's "babysitting the learning process", Karpathy's
"A recipe for training neural networks"), chosen so that a healthy small
network stays silent and a clearly broken one is flagged:

* **gradient flow** -- the RMS of :math:`\partial L/\partial y` arriving at the
  first layer over the one arriving at the last layer. Each layer multiplies
  the gradient by its local Jacobian; below :data:`VANISHING_RATIO` the early
  layers barely learn, above :data:`EXPLODING_RATIO` they take wild steps.
* **dead ReLUs** -- units whose output is 0 for every sample of the batch get
  no gradient and never recover.
* **saturation** -- a sigmoid or tanh near its asymptotes has derivative
  close to 0.
* **learning rate** -- the loss should fall; ``||update||/||W||`` (pooled over
  all weights) should be around :math:`10^{-3}`, and far below
  :data:`TINY_UPDATE_RATIO` nothing moves.
* **logits vs probabilities** -- the loss must be told what the last layer gives it.
"""
from dataclasses import dataclass

import numpy as np

#: dL/dy RMS at the first layer over the last one: below this, gradients vanish.
VANISHING_RATIO = 1e-3
#: ... and above this, they explode.
EXPLODING_RATIO = 1e3
#: A ReLU layer with at least this fraction of dead units is flagged.
DEAD_FRACTION = 0.5
#: A sigmoid/tanh hidden layer with at least this fraction of saturated outputs is flagged.
SATURATED_FRACTION = 0.5
#: Every update smaller than this fraction of its weight: the learning rate is too low.
TINY_UPDATE_RATIO = 1e-6
#: The loss grew by this factor over the recorded steps: the learning rate is too high.
DIVERGENCE_FACTOR = 1.5

_PROBABILITY_ACTIVATIONS = ("softmax", "sigmoid", "hard_sigmoid", "log_softmax")


@dataclass
class Hint:
    """One observation: a short ``title``, the ``explanation`` and what to try.

    ``kind`` is a stable identifier (``"vanishing_gradients"``, ...), ``where``
    names the layer(s) or weight(s) concerned.
    """

    kind: str
    title: str
    explanation: str
    where: str = ""

    def __str__(self):
        where = f" [{self.where}]" if self.where else ""
        return f"{self.title}{where}: {self.explanation}"


# ============================================================ gradient flow
def _gradient_flow(step):
    """(first layer, last layer, RMS ratio) over the layers that received a gradient."""
    flowing = [r for r in step.layers if r.grad_output is not None and r.grad_output.rms > 0
               and np.isfinite(r.grad_output.rms)]
    if len(flowing) < 2:
        return None
    first, last = flowing[0], flowing[-1]
    return first, last, first.grad_output.rms / last.grad_output.rms


def vanishing_gradients(trace):
    for step in trace.steps:
        flow = _gradient_flow(step)
        if flow and flow[2] < VANISHING_RATIO:
            first, last, ratio = flow
            return Hint("vanishing_gradients", "Vanishing gradients",
                        f"the gradient reaching {first.name} is {ratio:.1e} times the one "
                        f"leaving the loss at {last.name} (step {step.index}); each layer "
                        "shrinks it, so the first layers hardly learn. Try ReLU instead of "
                        "sigmoid/tanh, He initialisation, fewer layers, batch normalisation "
                        "or residual connections.", f"{first.name} .. {last.name}")
    return None


def exploding_gradients(trace):
    for step in trace.steps:
        bad = [w.path for w in step.weights if w.grad is not None and w.grad.nonfinite]
        if bad:
            return Hint("exploding_gradients", "Exploding gradients",
                        f"some gradients are inf or NaN in step {step.index}. Lower the "
                        "learning rate, clip gradients (clipnorm=1.0) or check the inputs "
                        "for huge values.", ", ".join(bad))
        flow = _gradient_flow(step)
        if flow and flow[2] > EXPLODING_RATIO:
            first, last, ratio = flow
            return Hint("exploding_gradients", "Exploding gradients",
                        f"the gradient reaching {first.name} is {ratio:.1e} times the one "
                        f"leaving the loss at {last.name} (step {step.index}); each layer "
                        "amplifies it. Use a smaller initialisation (glorot/he), "
                        "normalisation layers, or clip gradients (clipnorm=1.0).",
                        f"{first.name} .. {last.name}")
    return None


# ============================================================ activations
def dead_relus(trace):
    for step in trace.steps:
        dead = [r for r in step.layers if r.dead_fraction is not None
                and r.dead_fraction >= DEAD_FRACTION]
        if dead:
            worst = max(dead, key=lambda r: r.dead_fraction)
            return Hint("dead_relus", "Dead ReLUs",
                        f"{worst.dead_fraction:.0%} of the units of {worst.name} output 0 "
                        f"for every sample of the batch (step {step.index}), so they get no "
                        "gradient and cannot recover. Usual causes: a learning rate that "
                        "was too high, or large negative biases. Try a lower learning rate, "
                        "LeakyReLU, or He initialisation.", ", ".join(r.name for r in dead))
    return None


def saturated_activations(trace):
    for step in trace.steps:
        hidden = step.layers[:-1]         # an output sigmoid with crossentropy is fine
        saturated = [r for r in hidden if r.saturated_fraction is not None
                     and r.saturated_fraction >= SATURATED_FRACTION]
        if saturated:
            worst = max(saturated, key=lambda r: r.saturated_fraction)
            return Hint("saturated_activations", f"Saturated {worst.activation}",
                        f"{worst.saturated_fraction:.0%} of the outputs of {worst.name} sit "
                        f"at the flat ends of {worst.activation} (step {step.index}), where "
                        "its derivative is almost 0, so the gradient stops there. "
                        "Standardise the inputs, use a smaller initialisation, or use ReLU.",
                        ", ".join(r.name for r in saturated))
    return None


# ============================================================ learning rate
def learning_rate_too_high(trace):
    losses = [step.loss for step in trace.steps if step.loss is not None]
    if any(not np.isfinite(loss) for loss in losses):
        return Hint("learning_rate_too_high", "Learning rate too high",
                    "the loss became inf or NaN: the steps overshoot so far that the "
                    "numbers overflow. Divide the learning rate by 10.")
    if len(losses) < 3:
        return None
    rising = np.mean(np.diff(losses) > 0)
    if losses[-1] > DIVERGENCE_FACTOR * losses[0] and rising >= 0.5:
        return Hint("learning_rate_too_high", "Learning rate too high",
                    f"the loss grew from {losses[0]:.3g} to {losses[-1]:.3g} over "
                    f"{len(losses)} recorded steps: each step overshoots the minimum. "
                    "Divide the learning rate by 10.")
    return None


def overall_update_ratio(step):
    r"""One step's :math:`\sqrt{\sum \lVert\Delta W\rVert^2} / \sqrt{\sum \lVert W\rVert^2}`.

    Pooled over all weights, so a bias that is still almost 0 (whose own
    ratio is huge after its first tiny step) does not dominate.
    """
    done = [w for w in step.weights if w.update_norm is not None]
    total = np.sqrt(sum(w.norm ** 2 for w in done))
    if not done or total == 0:
        return None
    return float(np.sqrt(sum(w.update_norm ** 2 for w in done)) / total)


def learning_rate_too_low(trace):
    ratios = [overall_update_ratio(step) for step in trace.steps]
    ratios = [r for r in ratios if r is not None and np.isfinite(r)]
    if ratios and max(ratios) < TINY_UPDATE_RATIO:
        return Hint("learning_rate_too_low", "Learning rate too low",
                    f"each step moved the weights by at most {max(ratios):.1e} of their "
                    "size (a healthy step is about 1e-3): training will barely move. "
                    "Multiply the learning rate by 10 or 100.")
    return None


# ============================================================ logits or probabilities
def _makes_probabilities(output):
    if output.activation is not None:
        return output.activation in _PROBABILITY_ACTIVATIONS
    return output.in_unit_interval and (output.rows_sum_to_one or not output.categorical)


def probabilities_given_as_logits(trace):
    """A softmax (sigmoid) output, but the loss was told ``from_logits=True``."""
    for step in trace.steps:
        for out in step.outputs:
            if out.from_logits and _makes_probabilities(out):
                what = out.activation or "probabilities"
                return Hint("softmax_with_from_logits", f"{what} output with from_logits=True",
                            f"{out.layer_name or 'the output'} already gives {what}, but "
                            f"{out.loss} has from_logits=True and applies it a second time, "
                            "which squashes the gradients. Use from_logits=False, or drop the "
                            "activation from the last layer (more stable).",
                            out.layer_name or "")
    return None


def logits_given_as_probabilities(trace):
    """A linear output fed to a crossentropy that expects probabilities."""
    for step in trace.steps:
        for out in step.outputs:
            if out.from_logits is not False:
                continue
            linear = out.activation == "linear"
            impossible = not out.in_unit_interval or (out.categorical
                                                      and not out.rows_sum_to_one)
            if linear or impossible:
                return Hint("linear_output_for_probabilities",
                            "Linear output fed to a loss expecting probabilities",
                            f"{out.loss} (from_logits=False) expects probabilities, but "
                            f"{out.layer_name or 'the output layer'} has no softmax/sigmoid"
                            " (its values are not probabilities). The loss clips them to "
                            "[eps, 1-eps], where the gradient is 0. Pass from_logits=True, "
                            "or add activation='softmax' (or 'sigmoid') to the last layer.",
                            out.layer_name or "")
    return None


CHECKS = (vanishing_gradients, exploding_gradients, dead_relus, saturated_activations,
          learning_rate_too_high, learning_rate_too_low, probabilities_given_as_logits,
          logits_given_as_probabilities)


def find_hints(trace):
    """Run every check in :data:`CHECKS`; the hints found, in that order."""
    return [hint for hint in (check(trace) for check in CHECKS) if hint is not None]
