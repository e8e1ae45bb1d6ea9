r"""``compile(jit_compile=True)`` on a GPU: the fit step captured once as a graph, then replayed.

On a small model the host's Python is the step time: a few dozen kernel launches, each
costing microseconds of dispatch. A CUDA graph (:mod:`kerastutor.gpu.graphs`) records
the launches once and replays them with one call. :class:`GraphStep` does that for
``fit``:

1. the first full batch runs eagerly (kernels compiled, memory pool warm);
2. the second is uploaded into input buffers kept for the whole fit, and the step --
   forward, loss, backward, optimizer update -- is *captured*, then replayed once;
3. every later batch of the same shape is uploaded into the same buffers, the host
   writes what it alone knows into the step's device numbers (:meth:`AdamNumbers.sync`,
   usually nothing), and the graph is replayed: one call, no launch from Python;
4. a batch of another shape (the smaller last one) runs eagerly, as without a graph.

The metrics and the running loss are updated eagerly after each replay, from the
graph's output arrays (the same addresses at every replay): their totals are rebuilt as
new arrays each step and their counts are host numbers, which a replay could not
advance. That costs a handful of launches a step, against the dozens the graph saves.

**Why only when asked.** A graph freezes every decision the host made while it was
recorded -- a scalar launch argument, an ``if`` on a value, which kernel a layer chose.
``jit_compile="auto"`` (the default) therefore never captures: every step runs eagerly,
and whatever Python decides is decided afresh. ``jit_compile=True`` captures, and runs
eagerly instead -- with one warning naming the reason -- whatever the graph would get
wrong:

* an optimizer other than Adam (without ``amsgrad``, weight decay, EMA or gradient
  accumulation): only Adam's per-step number, :math:`\alpha_t`, is computed on the device;
* a layer that draws random numbers (Dropout, GaussianNoise, ...): the masks are drawn
  on the host, with NumPy's generator, and uploaded -- a transfer a graph cannot hold;
* a model with several outputs (each output's loss tracker is updated inside the step);
* anything else that copies between host and device during the step: the capture
  raises :class:`~kerastutor.gpu.graphs.CaptureError`, which the warning quotes.

A learning-rate schedule, or a callback setting ``optimizer.learning_rate``, works: the
host evaluates the rate as always, and :meth:`AdamNumbers.sync` writes it to the device
before the replay when it changed. A step while an event listener is subscribed (the
tracer) runs eagerly, so that the listener sees every event.
"""
from kerastutor import backend, events
import kerastutor.models.training as training


def _walk(layers):
    """Every layer, nested models' layers included."""
    for layer in layers:
        yield layer
        yield from _walk(getattr(layer, "layers", ()))


class GraphStep:
    """The captured fit step of one ``fit`` call (made by :meth:`for_fit`; ``close`` after).

    :meth:`run` takes the place of ``model._train_step_arrays`` for one batch.
    """

    def __init__(self, model, weights):
        self.model, self.weights = model, weights
        self.graph = None
        self.warm = False                     # a full batch has run eagerly
        self.off = self._reason_to_stay_eager(model)
        self.shapes = None                    # the full batch's shapes: the graph's
        self.buffers = None                   # (xs, ys, sample_weight) on the device
        self.numbers = None                   # AdamNumbers while a graph lives
        self.captured_values = None

    @classmethod
    def for_fit(cls, model):
        """A :class:`GraphStep` when ``jit_compile=True`` on a GPU, else None."""
        arguments = getattr(model, "_compile_args", {})
        if arguments.get("jit_compile") is not True or backend.get_device() == "cpu" \
                or model._overrides("train_step"):     # your own step runs as you wrote it
            return None
        step = cls(model, model.trainable_weights)
        if step.off:
            step._warn(step.off)
        return step

    # ------------------------------------------------------------------ deciding
    @staticmethod
    def _reason_to_stay_eager(model):
        """Why this model's step cannot be captured (a sentence), or None."""
        optimizer, state = model.optimizer, model._compiled
        from kerastutor.optimizers.adam import Adam
        if type(optimizer).update_step is not Adam.update_step or optimizer.amsgrad:
            return (f"the optimizer is {type(optimizer).__name__}"
                    f"{' with amsgrad' if getattr(optimizer, 'amsgrad', False) else ''}; "
                    f"only Adam's per-step numbers are computed on the device so far")
        for option in ("weight_decay", "use_ema", "gradient_accumulation_steps"):
            if getattr(optimizer, option, None):
                return (f"the optimizer has {option}={getattr(optimizer, option)!r}, which "
                        f"the host applies with numbers a graph would freeze")
        for layer in _walk(model.layers):
            if getattr(layer, "seed_generator", None) is not None and \
                    getattr(layer, "rate", 1) != 0:
                return (f"layer '{layer.name}' ({type(layer).__name__}) draws its random "
                        f"numbers on the host and uploads them at every step")
        if state.output_loss_trackers:
            return "the model has several outputs (their loss trackers update in the step)"
        return None

    def _fits(self, xs, ys, sample_weight):
        shapes = ([a.shape for a in xs], [a.shape for a in ys],
                  None if sample_weight is None else sample_weight.shape)
        if any(a.dtype.kind in "USO" for a in xs + ys):
            return False                      # text stays on the host
        if self.shapes is None:
            self.shapes = shapes              # the first batch is a full one
        return shapes == self.shapes

    def _warn(self, reason):
        backend.warn_user(f"jit_compile=True: {reason}. This fit runs its steps eagerly "
                          f"(the results are the same; only the host does more work).")

    # ------------------------------------------------------------------ one step
    def run(self, xs, ys, sample_weight, keep_loss=False):
        """One training step on this batch; returns the loss, as ``_train_step_arrays``.

        ``keep_loss``: return a copy of the loss, which the next replay will not
        overwrite (for the tutor's watch, which reads each step's loss at the epoch's
        end)."""
        model = self.model
        if self.off or events.listening() or not self._fits(xs, ys, sample_weight):
            return model._train_step_arrays(xs, ys, sample_weight, self.weights)
        if not self.warm:                     # compiles the kernels, fills the pool
            self.warm = True
            return model._train_step_arrays(xs, ys, sample_weight, self.weights)
        if self.graph is not None and any(w.value is not v for w, v in
                                          zip(self.weights, self.captured_values)):
            self.close()                      # a weight was replaced (set_weights): again
        self._upload(xs, ys, sample_weight)
        if self.graph is None:                # capturing ran the step's Python: the host
            if not self._capture():           # already counted this step
                return model._train_step_arrays(xs, ys, sample_weight, self.weights)
        else:
            self.numbers.sync(model.optimizer)   # usually nothing: t and lr are there
            model.optimizer.iterations += 1      # the host counts the replays
        self.graph.replay()
        self.numbers.stepped()
        xs, ys, sample_weight = self.buffers
        training.update_metrics(model._compiled, self.loss, ys, self.preds, sample_weight,
                                batch=len(ys[0]))
        return self.loss.copy() if keep_loss else self.loss

    def _upload(self, xs, ys, sample_weight):
        """The batch into the graph's input buffers: in place, so the addresses stay."""
        if self.buffers is None:
            self.buffers = (training.on_device(xs), training.on_device(ys),
                            backend.to_device(sample_weight))
            return
        from kerastutor.gpu import array as garray
        runtime = garray.current_runtime()
        hosts = list(xs) + list(ys) + ([] if sample_weight is None else [sample_weight])
        devices = list(self.buffers[0]) + list(self.buffers[1]) + \
            ([] if sample_weight is None else [self.buffers[2]])
        for host, device in zip(hosts, devices):
            runtime.upload(device.buffer.address, host.astype("float32", copy=False))
            garray.transfers["upload"] += 1

    def _capture(self):
        """Record the step into a graph; False (and eager from now on) when it cannot be."""
        from kerastutor.gpu import array as garray
        from kerastutor.gpu import fused
        from kerastutor.gpu.graphs import CaptureError
        model, optimizer = self.model, self.model.optimizer
        self.numbers = fused.AdamNumbers(optimizer)
        iterations = optimizer.iterations
        xs, ys, sample_weight = self.buffers
        optimizer.device_step = self.numbers
        try:
            with garray.current_runtime().capturing() as graph:
                self.loss, self.preds = model._descend(xs, ys, sample_weight, self.weights)
        except CaptureError as error:
            optimizer.iterations = iterations  # the step did not happen: run it eagerly
            self.off, self.numbers, self.buffers = str(error), None, None
            self._warn(f"the step could not be captured as a graph: {error}")
            return False
        finally:
            optimizer.device_step = None
        self.graph, self.captured_values = graph, [w.value for w in self.weights]
        return True

    def close(self):
        """Free the graph and its memory (the end of ``fit``, or a weight was replaced)."""
        if self.graph is not None:
            self.graph.close()
        self.graph = self.numbers = self.captured_values = None
        self.loss = self.preds = None
