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

The events, in the order one step makes them:

1. :class:`Forward` for each layer: :math:`y = f(x; W)`;
2. :class:`Loss`: :math:`L(y_{true}, y_{pred})` and :math:`\partial L/\partial y_{pred}`;
3. :class:`Backward` for each layer, last to first:
   :math:`\partial L/\partial y \mapsto \partial L/\partial x`, and :math:`\partial L/\partial W`;
4. :class:`Update` for each weight: :math:`W \leftarrow W + \Delta W`.
"""
import queue
import threading

import numpy as np

from kerastutor import events
from kerastutor.trace.recorder import Stats, _arrays, _check_model, _copy, _norm


def _shape_text(value):
    shapes = [tuple(a.shape) for a in _arrays(value)]
    if not shapes:
        return "-"
    return str(shapes[0] if len(shapes) == 1 else shapes).replace(" ", "")


class Event:
    """Base of the step-through events; ``number`` counts events from 1 within the step."""

    number = 0
    kind = "event"


class Forward(Event):
    """Layer ``layer`` turned ``inputs`` into ``output`` (copies, taken at the event)."""

    kind = "forward"

    def __init__(self, layer, inputs, output):
        self.layer, self.inputs, self.output = layer, _copy(inputs), _copy(output)

    def __str__(self):
        return (f"{self.number:>3}. forward   {self.layer.name:<14} x {_shape_text(self.inputs)}"
                f" -> y {_shape_text(self.output)}   y: {Stats.of(self.output)}")


class Loss(Event):
    """The loss ``value`` of the predictions and its gradient ``grad`` = dL/dy_pred."""

    kind = "loss"

    def __init__(self, value, y_true, y_pred, grad):
        self.value = float(value)
        self.y_true, self.y_pred, self.grad = _copy(y_true), _copy(y_pred), _copy(grad)

    def __str__(self):
        grads = _arrays(self.grad)
        rms = Stats.of(grads).rms if grads else float("nan")
        return (f"{self.number:>3}. loss      L = {self.value:.6g}   dL/dy_pred "
                f"{_shape_text(self.grad)}, rms {rms:.3g}")


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

    def __str__(self):
        parts = [f"{path.split('/')[-1]} {_shape_text(g)} rms {Stats.of(g).rms:.3g}"
                 for path, g in self.weight_grads.items()]
        grad_in = ("(not needed: the input is data)" if self.grad_input is None
                   else f"{_shape_text(self.grad_input)}")
        return (f"{self.number:>3}. backward  {self.layer.name:<14} dL/dy "
                f"{_shape_text(self.grad_output)} -> dL/dx {grad_in}"
                + (f"   dL/dW: {'; '.join(parts)}" if parts else ""))


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

    def __str__(self):
        ratio = self.ratio
        ratio = f"{ratio:.2g}" if np.isfinite(ratio) else "- (W was all zeros)"
        return (f"{self.number:>3}. update    {self.weight.path:<22} ||dW|| "
                f"{_norm(self.delta):.3g}   ||dW||/||W|| {ratio}")


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
