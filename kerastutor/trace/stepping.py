r"""Step through one training step, one event at a time.

::

    for event in keras.trace.step_through(model, x, y):
        print(event)          # forward of layer k, loss, backward of layer k, update of W
        # ... look around: event.layer, event.output, model.layers[0].kernel.value ...

The training step runs for real, in a second thread, and *stops* at every
event until the loop asks for the next one: while the loop body runs, the
step has done exactly what the event says and nothing more (at a backward
event, the weights are not updated yet; at an update event they are). Leaving
the loop early (``break``) lets the step finish without pausing, so the model
is never left half-trained.

To watch it at a person's pace, wrap the events in a :class:`Pause`: in a
terminal it waits for Enter after each loop body (``q`` then Enter runs to the
end); anywhere else -- a pipe, CI, a notebook, the book -- it runs straight
through::

    pause = keras.trace.Pause()
    for event in pause(keras.trace.step_through(model, x, y)):
        print(event)

``print(event)`` shows a few lines of numbers within 80 columns, ``repr(event)``
one line, such as ``Forward(#1, layer='dense', input (8, 4) -> output (8, 4),
output mean 0.31)``.

The events, in the order one step makes them:

1. :class:`Forward` for each layer: :math:`y = f(x; W)`;
2. :class:`Loss`: :math:`L(y_{true}, y_{pred})` and :math:`\partial L/\partial y_{pred}`;
3. :class:`Backward` for each layer, last to first:
   :math:`\partial L/\partial y \mapsto \partial L/\partial x`, and :math:`\partial L/\partial W`;
4. :class:`Update` for each weight: :math:`W \leftarrow W + \Delta W`.
"""
import os
import queue
import sys
import threading

import numpy as np

from kerastutor import events
from kerastutor.trace.recorder import (Stats, _arrays, _check_model, _copy, _norm,
                                       activation_name)
import kerastutor.trace.views as views

#: Continuation lines of an event's text start under its description.
_INDENT = " " * 15


def _shape_text(value):
    """``(8,4)`` for one array, ``[(8,4), (8,2)]`` for several, ``-`` for none."""
    shapes = [tuple(a.shape) for a in _arrays(value)]
    if not shapes:
        return "-"
    return str(shapes[0] if len(shapes) == 1 else shapes).replace(" ", "")


def _shape_repr(value):
    """The same in Python's spelling, ``(8, 4)``, for the one-line ``repr``."""
    shapes = [tuple(a.shape) for a in _arrays(value)]
    if not shapes:
        return "-"
    return str(shapes[0] if len(shapes) == 1 else shapes)


def _layer_label(layer):
    """``dense_1 (softmax)``, ``hidden (Dense, relu)``: the name, the class, the activation."""
    return views.layer_label(layer.name, type(layer).__name__, activation_name(layer))


def _rms(value):
    stats = Stats.of(value)
    return float("nan") if stats is None else stats.rms


class Event:
    """Base of the step-through events; ``number`` counts events from 1 within the step.

    ``print(event)`` gives a few lines with the numbers; ``repr(event)`` (what a
    REPL echoes) one line; a notebook shows the text in a box (``_repr_html_``).
    """

    number = 0
    kind = "event"

    def _summary(self):
        """The middle of the one-line ``repr``: what happened, in a few words."""
        return f"kind {self.kind!r}"

    def __repr__(self):
        return f"{type(self).__name__}(#{self.number}, {self._summary()})"

    def __str__(self):
        return f"{self.number:>3}. {self.kind}"

    def _repr_html_(self):
        return views.event_html(self)


class Forward(Event):
    """Layer ``layer`` turned ``inputs`` into ``output`` (copies, taken at the event)."""

    kind = "forward"

    def __init__(self, layer, inputs, output):
        self.layer, self.inputs, self.output = layer, _copy(inputs), _copy(output)

    def _summary(self):
        stats = Stats.of(self.output)
        mean = "" if stats is None else f", output mean {stats.mean:.3g}"
        return (f"layer={self.layer.name!r}, input {_shape_repr(self.inputs)} -> "
                f"output {_shape_repr(self.output)}{mean}")

    def __str__(self):
        return (f"{self.number:>3}. forward   {_layer_label(self.layer)}: "
                f"x {_shape_text(self.inputs)} -> y {_shape_text(self.output)}\n"
                f"{_INDENT}y: {Stats.of(self.output)}")


class Loss(Event):
    """The loss ``value`` of the predictions and its gradient ``grad`` = dL/dy_pred.

    ``y_true``, ``y_pred`` and ``grad`` are lists with one array per model output.
    """

    kind = "loss"

    def __init__(self, value, y_true, y_pred, grad):
        self.value = float(value)
        self.y_true, self.y_pred, self.grad = _copy(y_true), _copy(y_pred), _copy(grad)

    def _summary(self):
        return f"L={self.value:.6g}, dL/dy_pred {_shape_repr(self.grad)}"

    def __str__(self):
        return (f"{self.number:>3}. loss      L = {self.value:.6g}, dL/dy_pred "
                f"{_shape_text(self.grad)} with rms {_rms(self.grad):.3g}")


class Backward(Event):
    """Layer ``layer`` turned ``grad_output`` (dL/dy) into ``grad_input`` (dL/dx).

    ``inputs`` are the layer's inputs in this step's forward pass (handy for
    :func:`kerastutor.gradcheck.check_layer`), ``weight_grads`` maps each of
    its weights' paths to a copy of its gradient so far.
    """

    kind = "backward"

    def __init__(self, layer, grad_output, grad_input, inputs):
        self.layer, self.inputs = layer, inputs
        self.grad_output, self.grad_input = _copy(grad_output), _copy(grad_input)
        self.weight_grads = {w.path: np.array(w.grad, copy=True)
                             for w in getattr(layer, "trainable_weights", [])}

    def _grad_input_text(self, shape):
        # The first layer's dL/dx is never computed: nothing comes before the data.
        return "no dL/dx (x is the data)" if self.grad_input is None else (
            f"dL/dx {shape(self.grad_input)}")

    def _summary(self):
        names = ", ".join(path.split("/")[-1] for path in self.weight_grads)
        return (f"layer={self.layer.name!r}, dL/dy {_shape_repr(self.grad_output)} -> "
                f"{self._grad_input_text(_shape_repr)}"
                + (f", dL/dW for {names}" if names else ""))

    def __str__(self):
        text = (f"{self.number:>3}. backward  {_layer_label(self.layer)}: "
                f"dL/dy {_shape_text(self.grad_output)} -> {self._grad_input_text(_shape_text)}")
        parts = [f"{path.split('/')[-1]} {_shape_text(g)} rms {_rms(g):.3g}"
                 for path, g in self.weight_grads.items()]
        return text + (f"\n{_INDENT}dL/dW: {'; '.join(parts)}" if parts else "")


class Update(Event):
    r"""The optimizer moved ``weight`` by ``delta`` = after - before, using ``grad``."""

    kind = "update"

    def __init__(self, weight, before, grad):
        self.weight = weight
        self.before, self.grad = before, grad
        self.after = np.array(weight.value, copy=True)
        self.delta = self.after.astype(np.float64) - before

    @property
    def ratio(self):
        """``||delta|| / ||before||`` (inf for a weight that was all zeros)."""
        norm = _norm(self.before)
        return _norm(self.delta) / norm if norm > 0 else float("inf")

    def _ratio_text(self):
        ratio = self.ratio
        return f"{ratio:.2g}" if np.isfinite(ratio) else "- (W was 0)"

    def _summary(self):
        return (f"weight={self.weight.path!r} {tuple(self.before.shape)}, ||update|| "
                f"{_norm(self.delta):.3g}, update/W {self._ratio_text()}")

    def __str__(self):
        return (f"{self.number:>3}. update    {self.weight.path} {_shape_text(self.before)}: "
                f"||update|| {_norm(self.delta):.3g}, update/W {self._ratio_text()}")


_DONE = object()


class _Stepper:
    """The listener, in the training thread: turn each bus event into events and wait."""

    def __init__(self, model):
        self.model = model
        self.to_user = queue.Queue()
        self.to_trainer = queue.Queue()
        self.thread_id = None
        self.pausing = True              # False once the user has left the loop
        self.count = 0
        self.started = False             # a first call may build the model first: skip that
        self.inputs = {}                 # id(layer) -> inputs of its latest forward
        self.before = {}                 # id(weight) -> (value before the update, grad)

    def __call__(self, name, data):
        if threading.get_ident() != self.thread_id:
            return                       # the user's own model calls during a pause
        for event in self._translate(name, data):
            self._hand_over(event)

    def _translate(self, name, data):
        if name == "train_batch_begin" and data["model"] is self.model:
            self.started = True
        if not self.started:
            return []
        if name == "layer_forward":
            self.inputs[id(data["layer"])] = _copy(data["inputs"])
            return [Forward(data["layer"], data["inputs"], data["output"])]
        if name == "loss" and data["model"] is self.model:
            return [Loss(data["value"], data["y_true"], data["y_pred"], data["grads"])]
        if name == "layer_backward":
            layer = data["layer"]
            return [Backward(layer, data["grad_output"], data["grad_input"],
                             self.inputs.get(id(layer)))]
        if name == "gradients" and data["model"] is self.model:
            self.before = {id(w): (np.array(w.value, dtype=np.float64),
                                   np.array(w.grad, copy=True)) for w in data["weights"]}
        if name == "update" and data["model"] is self.model:
            return [Update(w, *self.before[id(w)]) for w in data["weights"]]
        return []

    def _hand_over(self, event):
        if not self.pausing:
            return
        self.count += 1
        event.number = self.count
        self.to_user.put(event)
        self.to_trainer.get()            # wait here until the loop asks for more

    def train(self, x, y, sample_weight):
        """The body of the training thread: one step, then report how it ended."""
        self.thread_id = threading.get_ident()
        events.subscribe(self)
        try:
            self.model.train_on_batch(x, y, sample_weight=sample_weight)
            self.to_user.put(_DONE)
        except BaseException as error:   # hand it to the loop, which raises it
            self.to_user.put(error)
        finally:
            events.unsubscribe(self)


def step_through(model, x, y, sample_weight=None):
    """Yield the events of one training step (``train_on_batch(x, y)``) one by one.

    The step waits at each event until the next one is asked for. The model
    must be compiled; after the loop it has taken one training step.
    """
    _check_model(model, "step_through")
    stepper = _Stepper(model)
    worker = threading.Thread(target=stepper.train, args=(x, y, sample_weight),
                              name="kerastutor-step-through", daemon=True)
    worker.start()
    try:
        while True:
            item = stepper.to_user.get()
            if item is _DONE:
                break
            if isinstance(item, BaseException):
                raise item
            yield item
            stepper.to_trainer.put("next")
    finally:
        stepper.pausing = False      # left early: finish the step without pausing
        stepper.to_trainer.put("next")
        worker.join()


# ============================================================ pausing for a person
#: What :class:`Pause` asks after each event.
PROMPT = "press Enter for the next event, q then Enter to run to the end "
#: Cursor up one line and clear it: the answered prompt leaves the screen.
_ERASE_ANSWERED_PROMPT = "\x1b[1A\x1b[2K"


def interactive_terminal(stdin=None, stdout=None):
    """True when a person is watching: stdin and stdout are terminals and no CI is set.

    Output piped to a file or another program, input redirected from one, a
    notebook, the book's build (sphinx-gallery captures stdout) and CI services
    (which set ``CI``) are not interactive.
    """
    stdin = sys.stdin if stdin is None else stdin
    stdout = sys.stdout if stdout is None else stdout
    if os.environ.get("CI"):
        return False
    try:
        return bool(stdin.isatty() and stdout.isatty())
    except (AttributeError, ValueError):      # no stream (pythonw) or a closed one
        return False


class Pause:
    """Wait for Enter after each step-through event, when a person is watching.

    ::

        pause = keras.trace.Pause()
        for event in pause(keras.trace.step_through(model, x, y)):
            print(event)          # ... then the learner presses Enter for the next one

    The wait comes *after* the loop body, so whatever the body prints about an
    event stays on the screen while the step is paused. Answering ``q`` (or
    closing the input) stops the waiting for good: this loop and any later one
    given to the same ``Pause`` run straight through, and still see every event.

    Parameters
    ----------
    enabled : bool or None
        ``None`` (the default) waits only in an interactive terminal (see
        :func:`interactive_terminal`); ``False`` never waits, ``True`` always does.
    stdin, stdout : file-like, optional
        Where the answer is read and the prompt written (default: ``sys.stdin``
        and ``sys.stdout`` at the moment of asking).
    """

    def __init__(self, enabled=None, stdin=None, stdout=None):
        self._stdin, self._stdout = stdin, stdout
        self.enabled = (interactive_terminal(self.stdin, self.stdout) if enabled is None
                        else bool(enabled))

    @property
    def stdin(self):
        """Where the answers are read: the stream given, else ``sys.stdin`` now."""
        return sys.stdin if self._stdin is None else self._stdin

    @property
    def stdout(self):
        """Where the prompt goes: the stream given, else ``sys.stdout`` now."""
        return sys.stdout if self._stdout is None else self._stdout

    def __call__(self, events):
        """Yield every event of ``events``, waiting for Enter after each one's loop body."""
        for event in events:
            yield event
            self.wait()

    def wait(self):
        """Show the prompt and wait for a line; ``q`` (or end of input) stops all waiting."""
        if not self.enabled:
            return
        self.stdout.write(PROMPT)
        self.stdout.flush()
        answer = self.stdin.readline()
        if answer == "" or answer.strip().lower() == "q":
            self.enabled = False
        if self._on_a_terminal():
            # After Enter the terminal's echo has moved the cursor to the next line; at
            # the end of input it is still on the prompt's own line.
            self.stdout.write(_ERASE_ANSWERED_PROMPT if answer.endswith("\n") else "\r\x1b[2K")
        else:
            self.stdout.write("\n")         # a file saw no echo: end the prompt's line
        self.stdout.flush()

    def _on_a_terminal(self):
        try:
            return bool(self.stdout.isatty())
        except (AttributeError, ValueError):
            return False
