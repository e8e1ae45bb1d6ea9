"""The ``Trainer``: ``compile`` -> ``fit`` -> ``train_step``, read top to bottom.

``Model`` is ``Model(Trainer, Layer)``, as in Keras 3: the graph walk
(``forward``/``backward``) comes from the model, the training methods from
this mixin. The whole of ``fit`` is one loop you can read in a minute::

    batches = data_adapters.for_fit(x, ...)   # arrays, a PyDataset or a generator
    on_train_begin
    for epoch in range(initial_epoch, epochs):
        for step, batch in batches.epoch():
            train_step(batch)       # forward, loss, backward, update, metrics
        validation                  # on_test_begin ... on_test_end, as evaluate
        on_epoch_end(logs)          # logs: the epoch's results and val_* results
    on_train_end(last epoch's logs)

and ``train_step`` is the five lines every deep-learning course draws::

    y_pred, tape = model.forward(x, training=True)         # 1. forward
    loss, dloss  = loss_fn.value_and_gradient(y, y_pred)   # 2. loss and dL/dy_pred
    model.backward(tape, dloss)                            # 3. backward: fills W.grad
    optimizer.apply(weights)                               # 4. update
    metric.update_state(y, y_pred)                         # 5. bookkeeping

The step announces each stage with :func:`kerastutor.events.emit` (the
tracer and teaching callbacks listen; with nobody listening an event costs
one function call). The Keras behaviour a user relies on -- batch size 32,
``validation_split`` taking the *last* fraction of the data, the running-mean
loss, ``class_weight``, History keys in alphabetical order -- lives in the
helpers of :mod:`kerastutor.models.training`.

Two more things watch every ``fit``, both switchable in :mod:`kerastutor.config`:
the tutor's cheap checks (:class:`~kerastutor.trace.watch.FitWatch`: inputs far
from -1..1 on the first batch, the first inf/NaN loss, a loss that does not
move in the first epoch -- one line each, at most once) and the debugging caps
``keras.config.set_max_epochs``/``set_max_steps_per_epoch``.
"""
import inspect

import numpy as np

from kerastutor import backend, config, events, keras2, optimizers
from kerastutor import callbacks as callbacks_module
import kerastutor.models.training as training
from kerastutor.models import data_adapters
from kerastutor.metrics.metric import python_floats
from kerastutor.models.custom_steps import CustomSteps
from kerastutor.models.graph_step import GraphStep
from kerastutor.models.training import on_device
from kerastutor.trace.watch import FitWatch


def _capped_epochs(epochs):
    """``epochs``, at most ``keras.config.max_epochs()`` (Keras warns when it cuts)."""
    cap = config.max_epochs()
    if cap and cap < epochs:
        backend.warn_user(f"Limiting epochs to {cap}")
        return cap
    return epochs


def _capped_steps(steps, warn=True):
    """Batches per epoch, at most ``keras.config.max_steps_per_epoch()`` (as Keras)."""
    cap = config.max_steps_per_epoch()
    if cap and (not steps or cap < steps):
        if warn:
            backend.warn_user(f"Limiting steps_per_epoch to {cap}")
        return cap
    return steps


def _verbosity(verbose):
    """``"auto"`` is 1; without interactive logging a bar (1) becomes one line per epoch (2)."""
    verbose = 1 if verbose == "auto" else int(verbose)
    if verbose == 1 and not config.is_interactive_logging_enabled():
        return 2
    return verbose


class Trainer(CustomSteps):
    """``compile``, ``fit``, ``evaluate``, ``predict`` and the ``*_on_batch`` methods.

    A mixin: it uses the model's ``forward``/``backward``, ``inputs``/``outputs``
    and ``trainable_weights``, and keeps what ``compile`` chose in
    ``self._compiled`` (a :class:`~kerastutor.models.training.CompiledState`).
    Keras's public steps (``train_step(data)``, ``compute_loss``, ...) come from
    :class:`~kerastutor.models.custom_steps.CustomSteps`; a model that overrides
    one has its loop run through it, every other model runs the loop below.
    """

    # ================================================================ compile
    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None,
                weighted_metrics=None, run_eagerly=False, steps_per_execution=1,
                jit_compile="auto", auto_scale_loss=True):
        """Choose the optimizer, the loss(es) and the metrics.

        Names such as ``"accuracy"`` are resolved against the shapes of the
        first data ``fit``/``evaluate`` sees, as Keras does; unknown names fail
        here, with a suggestion.

        ``jit_compile=True`` on a GPU makes ``fit`` capture its step as a CUDA graph
        and replay it for each full batch (:mod:`kerastutor.models.graph_step`); on
        the CPU, and with the default ``"auto"``, every step runs eagerly.
        ``run_eagerly`` and ``steps_per_execution`` are accepted and kept for the
        compile config.
        """
        # loss=None is fine when the model adds its own losses (add_loss); fit says
        # "No loss to compute" otherwise, as Keras does (training.require_a_loss).
        training.require_backward(self)
        training.check_names(loss, metrics, weighted_metrics)
        self.optimizer = optimizers.get(optimizer)
        self._compiled = training.CompiledState(loss, loss_weights, metrics, weighted_metrics)
        self._compiled.trainable_state = training.trainable_state(self)   # what compile saw
        self._compile_config = {"optimizer": optimizer, "loss": loss,
                                "loss_weights": loss_weights, "metrics": metrics,
                                "weighted_metrics": weighted_metrics}
        self._compile_args = dict(run_eagerly=run_eagerly,
                                  steps_per_execution=steps_per_execution,
                                  jit_compile=jit_compile)
        self.compiled = True

    # ==================================================================== fit
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq=1, **keras2_arguments):
        """Train the model on ``(x, y)``; returns a :class:`~kerastutor.callbacks.History`.

        Epochs run from ``initial_epoch`` to ``epochs - 1``; as in Keras,
        ``epochs=0`` (or ``epochs <= initial_epoch``) trains nothing and returns an
        empty History. Counts that are negative, zero where a step is needed, or not
        whole numbers fail before any work.

        An exception from a step or a callback leaves ``fit`` at once, with no
        further callback hook (Keras 3.15.1 does not call ``on_train_end`` then
        either); ``model.history`` holds the epochs finished so far, and no event
        listener subscribed during the call stays subscribed.
        """
        _refuse_keras2_arguments("fit", keras2_arguments, self.fit)
        (batch_size, epochs, initial_epoch, steps_per_epoch, validation_steps,
         validation_batch_size) = training.checked_counts(
            "fit", batch_size=batch_size, epochs=epochs, initial_epoch=initial_epoch,
            steps_per_epoch=steps_per_epoch, validation_steps=validation_steps,
            validation_batch_size=validation_batch_size)
        state = training.require_compiled(self, "fit")
        epochs, steps_per_epoch = _capped_epochs(epochs), _capped_steps(steps_per_epoch)
        if validation_data is not None or validation_split:
            validation_steps = _capped_steps(validation_steps, warn=False)   # warned once
        training.warn_if_trainable_changed(self, state)      # once per fit, not per step
        batches, split = data_adapters.for_fit(             # batches from any source
            self, state, x, y, sample_weight, class_weight, batch_size, steps_per_epoch,
            shuffle, validation_split if validation_data is None else 0.0,
            custom=self._overrides("train_step"))
        validation = data_adapters.validation_batches(
            self, state, validation_data, split,
            validation_batch_size or getattr(batches, "batch_size", None) or batch_size,
            validation_steps)
        verbose = _verbosity(verbose)
        cbs = callbacks_module.CallbackList(
            callbacks, add_history=True, add_progbar=verbose != 0, model=self,
            verbose=verbose, epochs=epochs, steps=batches.steps)   # None: unknown length
        self.history = cbs.history       # set first, as Keras does: a fit that raises keeps it
        watch = FitWatch.start(self)     # the tutor's cheap checks (None when switched off)
        # jit_compile=True on a GPU: the step captured as a graph (None otherwise)
        self._graph_step = GraphStep.for_fit(self)
        try:
            with events.closing_scope():  # no listener a callback subscribed outlives fit
                self._fit_loop(cbs, batches, initial_epoch, epochs, validation,
                               validation_freq, watch)
        finally:                         # the graph's memory back to the pool, even on error
            if self._graph_step is not None:
                self._graph_step.close()
            self._graph_step = None
        return self.history

    def _fit_loop(self, cbs, batches, initial_epoch, epochs, validation, validation_freq,
                  watch=None):
        """Epochs of training, each followed by validation and ``on_epoch_end``.

        No ``try``/``finally`` calls ``on_train_end`` here on purpose: when a step
        or a callback raises, Keras 3.15.1 lets the exception out of ``fit`` with
        no further hook, and so do we (``fit`` still unsubscribes listeners).
        """
        self.stop_training = False
        self._initial_epoch = None
        cbs.on_train_begin()                 # BackupAndRestore may set where to start
        initial_epoch = self._initial_epoch or initial_epoch
        self._initial_epoch = None
        training_logs = {}                   # what on_train_end gets: {} if no epoch ran
        for epoch in range(initial_epoch, epochs):
            epoch_logs = self._train_epoch(cbs, epoch, batches, watch)
            if validation is not None and training.validate_now(epoch, validation_freq):
                val_logs = self._run_evaluation(validation, cbs)
                epoch_logs.update({f"val_{k}": v for k, v in val_logs.items()})
            cbs.on_epoch_end(epoch, epoch_logs)
            if watch is not None:            # after the epoch's last progress-bar line
                watch.end_of_epoch(epoch)
            training_logs = epoch_logs
            if self.stop_training:
                break
        cbs.on_train_end(training_logs)

    def _train_epoch(self, cbs, epoch, batches, watch=None):
        """One epoch: reset the metrics, then the epoch's batches; returns the epoch's logs.

        ``watch`` (a :class:`~kerastutor.trace.watch.FitWatch`, or ``None``) sees
        the first batch of the fit and, when the epoch ends, each step's loss.
        Nothing in the loop reads a number unless a callback asks for the batch
        logs: on a GPU the losses and the metrics stay there until the epoch's end.
        """
        if self._overrides("train_step"):          # your own train_step(data)
            return self._custom_train_epoch(cbs, epoch, batches)
        state = self._compiled
        weights = self.trainable_weights
        graph_step = getattr(self, "_graph_step", None)
        training.reset_metrics(state)
        cbs.on_epoch_begin(epoch)
        step_losses = []                 # for the watch, read once when the epoch ends
        for step, (x, y, sample_weight) in batches.epoch():
            if watch is not None and watch.first_epoch is None:
                watch.before_first_step(epoch, x)
            cbs.on_train_batch_begin(step)
            if graph_step is None:
                loss = self._train_step_arrays(x, y, sample_weight, weights)
            else:                        # jit_compile=True on a GPU: replay the captured step
                loss = graph_step.run(x, y, sample_weight, keep_loss=watch is not None)
            if watch is not None:
                step_losses.append((step, loss))
            # the running means, made only if a callback reads them (see CallbackList)
            cbs.on_train_batch_end(step, lambda: training.current_logs(state))
            if self.stop_training:
                break
        if watch is not None and step_losses:
            steps, losses = zip(*step_losses)
            for step, loss in zip(steps, python_floats(list(losses))):
                watch.after_step(epoch, step, loss)
        # on a GPU the loss and metrics stayed there during the epoch: one read, here
        return training.read_logs(training.current_logs(state))

    def _train_step_arrays(self, x, y, sample_weight, weights):
        """Forward, loss, backward, update, metrics: one step of gradient descent.

        ``x`` and ``y`` are lists (one array per model input/output);
        ``weights`` are the weights the optimizer updates. Returns the loss.
        """
        x, y, sample_weight = on_device(x), on_device(y), backend.to_device(sample_weight)
        total, preds = self._descend(x, y, sample_weight, weights)
        training.update_metrics(self._compiled, total, y, preds, sample_weight,  # 5.
                                batch=len(y[0]))
        events.emit("train_batch_end", model=self, loss=total)
        return total

    def _descend(self, x, y, sample_weight, weights):
        """Steps 1-4 of :meth:`_train_step_arrays` (the metrics are step 5); returns the
        loss and the predictions. What ``jit_compile=True`` captures as a graph on a GPU
        (:mod:`kerastutor.models.graph_step`)."""
        state = self._compiled
        events.emit("train_batch_begin", model=self, x=x, y=y)
        y_pred, tape = self.forward(x if len(x) > 1 else x[0], training=True)   # 1. forward
        preds = y_pred if len(self.outputs) > 1 else [y_pred]
        total, grads = training.losses_and_gradients(state, y, preds, sample_weight,  # 2. loss
                                                     getattr(tape, "output_masks", None))
        total = training.with_penalties(total, weights, tape)
        events.emit("loss", model=self, value=total, y_true=y, y_pred=preds, grads=grads)
        self.zero_grad()
        self.backward(tape, grads if len(grads) > 1 else grads[0], input_grads=False)  # 3.
        training.add_regularization_gradients(weights)
        events.emit("gradients", model=self, weights=weights)   # final, not yet applied
        self.optimizer.apply(weights)                                            # 4. update
        events.emit("update", model=self, weights=weights, optimizer=self.optimizer)
        return total, preds

    # =============================================================== evaluate
    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 steps=None, callbacks=None, return_dict=False, **keras2_arguments):
        """Loss and metrics on ``(x, y)``: the loss alone, ``[loss, metric1, ...]``, or a dict."""
        _refuse_keras2_arguments("evaluate", keras2_arguments, self.evaluate)
        batch_size, steps = training.checked_counts("evaluate", batch_size=batch_size,
                                                    steps=steps)
        steps = _capped_steps(steps)
        state = training.require_compiled(self, "evaluate")
        training.warn_if_trainable_changed(self, state)
        batches = data_adapters.for_evaluation(self, state, x, y, sample_weight, batch_size,
                                               steps, custom=self._overrides("test_step"))
        data_adapters.start(batches, self, state)    # a stream: Keras's peek, then reset
        verbose = _verbosity(verbose)
        cbs = callbacks_module.CallbackList(callbacks, add_progbar=verbose != 0, model=self,
                                            verbose=verbose, epochs=1, steps=batches.steps)
        with events.closing_scope():     # no listener a callback subscribed outlives it
            logs = self._run_evaluation(batches, cbs, started=True)
        return logs if return_dict else training.in_compile_order(state, logs)

    def _run_evaluation(self, batches, cbs, started=False):
        """``on_test_begin``, the batches, ``on_test_end``: ``evaluate`` and ``fit``'s
        validation both run this, with their callbacks (the logs have no ``val_``)."""
        if not started:
            data_adapters.start(batches, self, self._compiled)
        self.stop_evaluating = False
        cbs.on_test_begin()
        logs = self._evaluate_batches(batches, callbacks=cbs)
        cbs.on_test_end(logs)
        return logs

    def _evaluate_batches(self, batches, callbacks=None):
        """Loss and metrics over the batches with ``training=False`` (weights do not change).

        A callback may set ``model.stop_evaluating = True`` to end after this batch.
        """
        if self._overrides("test_step"):           # your own test_step(data)
            return self._custom_evaluate_batches(batches, callbacks)
        state = self._compiled
        training.reset_metrics(state)
        weights = self.trainable_weights
        for step, (x_batch, y_batch, sw_batch) in batches.epoch():
            if callbacks is not None:
                callbacks.on_test_batch_begin(step)
            self._test_step_arrays(x_batch, y_batch, sw_batch, weights)
            if callbacks is not None:
                callbacks.on_test_batch_end(step, lambda: training.current_logs(state))
                if getattr(self, "stop_evaluating", False):
                    break
        return training.read_logs(training.current_logs(state))    # one read on a GPU

    def _test_step_arrays(self, x_batch, y_batch, sw_batch, weights):
        """Forward with ``training=False``, the loss, the metrics: one evaluation step."""
        state = self._compiled
        x_batch, y_batch = on_device(x_batch), on_device(y_batch)
        y_pred, tape = self.forward(x_batch if len(x_batch) > 1 else x_batch[0],
                                    training=False)
        preds = y_pred if len(self.outputs) > 1 else [y_pred]
        sw_batch = backend.to_device(sw_batch)
        total = training.losses_only(state, y_batch, preds, sw_batch,
                                     getattr(tape, "output_masks", None))
        total = training.with_penalties(total, weights, tape)
        training.update_metrics(state, total, y_batch, preds, sw_batch,
                                batch=len(y_batch[0]))

    # ================================================================ predict
    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None,
                **keras2_arguments):
        """Outputs for ``x``, computed batch by batch with ``training=False``.

        ``x`` may be arrays, a PyDataset or a generator; batches of different
        sizes are joined along the first axis.
        """
        _refuse_keras2_arguments("predict", keras2_arguments, self.predict)
        batch_size, steps = training.checked_counts("predict", batch_size=batch_size,
                                                    steps=steps)
        steps = _capped_steps(steps)
        if x is None:
            raise ValueError("predict: x is required (the input data), e.g. "
                             "model.predict(x_test).")
        batches = data_adapters.for_prediction(self, x, batch_size, steps,
                                               custom=self._overrides("predict_step"))
        verbose = _verbosity(verbose)
        cbs = callbacks_module.CallbackList(callbacks, add_progbar=verbose != 0, model=self,
                                            verbose=verbose, epochs=1, steps=batches.steps)
        with events.closing_scope():     # no listener a callback subscribed outlives it
            outputs = self._predict_batches(batches, cbs)
        joined = [np.concatenate([o[i] for o in outputs]) for i in range(len(outputs[0]))]
        return self._pack_outputs(joined)      # a dict for Model(..., outputs={...})

    def _predict_batches(self, batches, cbs):
        """The outputs of every batch, as lists of host arrays (one per model output).

        Each batch's predictions go to the callbacks as ``{"outputs": ...}``, as in
        Keras; a callback may set ``model.stop_predicting = True`` to stop early.
        """
        self.stop_predicting = False
        cbs.on_predict_begin()
        outputs = []
        for step, (x_batch, _, _) in batches.epoch():
            cbs.on_predict_batch_begin(step)
            batch = on_device(x_batch)
            if self._overrides("predict_step"):   # your own predict_step(data)
                y = self.predict_step((batch[0] if len(batch) == 1 else batch,))
            else:
                y, _ = self.forward(batch if len(batch) > 1 else batch[0], training=False)
            y = [backend.to_host(o) for o in y] if isinstance(y, list) else backend.to_host(y)
            outputs.append(y if isinstance(y, list) else [y])
            cbs.on_predict_batch_end(step, {"outputs": y})
            if self.stop_predicting:
                break
        cbs.on_predict_end()
        return outputs

    def _checked_inputs(self, x):
        """``x`` as a list of arrays, the model built for them and their shapes checked."""
        xs = training.to_arrays(self, x, "x", "input", warn=self.built)
        if not self.built:            # build, then convert again with the model's input names
            self._ensure_built_for(xs if len(xs) > 1 else xs[0])
            xs = training.to_arrays(self, x, "x", "input")
        self._check_input([a.shape for a in xs])
        return xs

    # ============================================================= *_on_batch
    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None,
                       return_dict=False):
        """One training step on exactly this batch; returns the logs (metrics not reset)."""
        state = training.require_compiled(self, "train_on_batch")
        xs, ys, sw = training.prepare_data(self, state, x, y, sample_weight, "fit")
        if class_weight is not None:
            training.check_class_weight(self, class_weight, ys, "train_on_batch")
            sw = training.class_weight_to_sample_weights(ys[0], class_weight)
        training.reset_metrics(state)
        self._train_step_arrays(xs, ys, sw, self.trainable_weights)
        logs = training.read_logs(training.current_logs(state))
        return logs if return_dict else training.in_compile_order(state, logs)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """Loss and metrics on exactly this batch, without training."""
        state = training.require_compiled(self, "test_on_batch")
        xs, ys, sw = training.prepare_data(self, state, x, y, sample_weight, "evaluate")
        batches = data_adapters.ArrayBatches(xs, ys, sw, batch_size=len(xs[0]))
        logs = self._evaluate_batches(batches)
        return logs if return_dict else training.in_compile_order(state, logs)

    def predict_on_batch(self, x):
        """The outputs for exactly this batch, as NumPy arrays."""
        xs = training.to_arrays(self, x, "x", "input")
        self._ensure_built_for(xs if len(xs) > 1 else xs[0])
        y, _ = self.forward(on_device(xs) if len(xs) > 1 else on_device(xs)[0], training=False)
        return self._pack_outputs([backend.to_host(o) for o in y] if isinstance(y, list)
                                  else backend.to_host(y))

    # ================================================================ metrics
    @property
    def metrics_names(self):
        """``["loss"]``, ``"compile_metrics"`` once compiled metrics exist, then each
        output's loss tracker (Keras 3: ``['loss', 'compile_metrics', 'p_loss', ...]``)."""
        state = getattr(self, "_compiled", None)
        if state is None or not state.resolved:
            return ["loss"] if state is not None else []
        names = ["loss", "compile_metrics"] if state.metrics or state.weighted else ["loss"]
        return names + [tracker.name for tracker in state.output_loss_trackers]


def _refuse_keras2_arguments(method, kwargs, bound_method):
    """An unknown keyword fails as in Keras 3 (``fit``/``predict``: ``TypeError``;
    ``evaluate``, which takes ``**kwargs`` there: ``ValueError``), naming the Keras 3
    way when Keras 2 had the argument (``nb_epoch=5`` -> ``epochs=5``)."""
    if not kwargs:
        return                                   # every call but a mistaken one
    accepted = inspect.signature(bound_method).parameters
    error = ValueError if method == "evaluate" else TypeError
    keras2.refuse_arguments(method, kwargs, keras2.TRAINING_ARGUMENTS, accepted, error)
