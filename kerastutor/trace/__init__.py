r"""The tracer: watch forward, loss, backward and update as they happen.

Three ways in, from the smallest to the longest run:

* :func:`step_through` -- one training step, paused at every event
  (``for event in keras.trace.step_through(model, x, y): print(event)``);
  wrapped in a :class:`Pause`, it also waits for Enter between events when a
  person is at a terminal;
* :func:`record` -- a few training steps (``train_on_batch``) recorded into a
  :class:`Trace`: ``print(trace)``, ``trace.hints()``, ``trace.plot_histograms()``;
* :class:`TraceCallback` -- every ``every``-th step of a ``fit``, so long runs
  stay cheap (the steps in between pay nothing).

Everything listens to :mod:`kerastutor.events`; nothing stays subscribed
afterwards. The tutor hints (:mod:`kerastutor.trace.hints`) turn the numbers
into advice, causes first, each with its fix: a learning rate too high (or too
low), inputs left unscaled, labels counted from 1, an output layer and a loss
that disagree about logits and probabilities; then the symptoms -- dead ReLUs,
saturated sigmoid/tanh units, vanishing or exploding gradients -- with the
cause the trace points to. An ordinary ``fit`` runs the cheapest of these
checks by itself (:mod:`kerastutor.trace.watch`: one short line, once;
``keras.config.disable_tutor_hints()`` silences it).

Example
-------
>>> import numpy as np, kerastutor as keras
>>> keras.backend.clear_session()          # layer names start again at "dense"
>>> keras.utils.set_random_seed(0)
>>> model = keras.Sequential([keras.Input(shape=(4,)),
...                          keras.layers.Dense(4, activation="relu"),
...                          keras.layers.Dense(3, activation="softmax")])
>>> model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
>>> x, y = np.random.rand(8, 4), np.arange(8) % 3
>>> trace = keras.trace.record(model, x, y)
>>> [r.name for r in trace[0].layers]
['dense', 'dense_1']
>>> [w.path for w in trace[0].weights][:2]
['dense/kernel', 'dense/bias']
"""
from kerastutor.trace.hints import CHECKS, Hint, find_hints
from kerastutor.trace.recorder import (LayerRecord, OutputRecord, Recorder, Stats, StepRecord,
                                       Trace, TraceCallback, WeightRecord, record)
from kerastutor.trace.stepping import (Backward, Event, Forward, Loss, Pause, Update,
                                       interactive_terminal, step_through)

__all__ = ["record", "step_through", "Trace", "TraceCallback", "Recorder", "Hint",
           "find_hints", "CHECKS", "Stats", "StepRecord", "LayerRecord", "WeightRecord",
           "OutputRecord", "Event", "Forward", "Loss", "Backward", "Update", "Pause",
           "interactive_terminal"]
