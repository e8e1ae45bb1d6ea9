"""A tiny event bus: the fit loop and the model announce what they do.

Events are ``(name, data)`` pairs such as ``("layer_forward", {...})``. The
tracer and teaching callbacks subscribe. The emitting code simply calls
:func:`emit` -- no ``if`` around it: with nobody subscribed, ``emit`` returns
at once, and every event carries only references to arrays that already exist
(no copies, no statistics), so training pays one function call per event. The
listeners do the costly work (copies, norms) themselves.

Event names (in the order one training step emits them):

``train_batch_begin`` -> ``layer_forward`` (one per layer) -> ``loss`` ->
``layer_backward`` (one per layer, in reverse) -> ``gradients`` (every weight's
final ``grad``, before the optimizer moves it) -> ``update`` -> ``train_batch_end``.

``fit``, ``evaluate`` and ``predict`` each run inside :func:`closing_scope`: a
listener that a callback subscribes while they run (the
:class:`~kerastutor.trace.TraceCallback` does, around the steps it samples) is
unsubscribed when they return *or raise*, so an exception in a step or in a
callback never leaves a listener behind to slow down, or record, later work.
"""

import contextlib
import threading

_LISTENERS = []
_OWNERS = threading.local()      # per thread: step_through trains in a worker thread
_SCOPES = threading.local()      # per thread: the open closing_scope blocks


def listening():
    """True when at least one listener is subscribed."""
    return bool(_LISTENERS)


def subscribe(listener):
    """Call ``listener(name, data)`` for every event until :func:`unsubscribe`.

    Inside a :func:`closing_scope` (of this thread) the subscription ends with
    the scope at the latest.
    """
    _LISTENERS.append(listener)
    scopes = getattr(_SCOPES, "stack", None)
    if scopes:
        scopes[-1].append(listener)
    return listener


def unsubscribe(listener):
    """Stop calling ``listener``; unsubscribing one that is not subscribed does nothing."""
    if listener in _LISTENERS:
        _LISTENERS.remove(listener)


def subscribers():
    """A copy of the listeners subscribed now, oldest first (for tests and debugging)."""
    return list(_LISTENERS)


@contextlib.contextmanager
def closing_scope():
    """Listeners subscribed by this thread inside the block are unsubscribed when it ends.

    ``fit``/``evaluate``/``predict`` run in one, so that however they end -- a
    normal return, ``stop_training``, or an exception from a step or a callback --
    no listener a callback subscribed outlives them. Only this thread's
    subscriptions are tracked: a ``step_through`` running in another thread, or a
    listener subscribed before the block began, is left alone.
    """
    stack = _SCOPES.__dict__.setdefault("stack", [])
    opened = []
    stack.append(opened)
    try:
        yield
    finally:
        stack.pop()
        for listener in opened:
            unsubscribe(listener)


def emit(name, **data):
    """Send one event to every listener; with none subscribed, return at once."""
    if not _LISTENERS:
        return
    for listener in list(_LISTENERS):
        listener(name, data)


# A subclassed model runs its ``call`` on the op tape, where its sub-layers are ops
# rather than graph nodes; while it does, it is the "owner" that those sub-layers
# announce their ``layer_forward``/``layer_backward`` for (Layer._call_on_tape).

@contextlib.contextmanager
def owned_by(model):
    """Within the block, layers called on the op tape announce themselves as ``model``'s."""
    stack = _OWNERS.__dict__.setdefault("stack", [])
    stack.append(model)
    try:
        yield
    finally:
        stack.pop()


def owner():
    """The subclassed model whose ``call`` is running now, or ``None``."""
    stack = getattr(_OWNERS, "stack", None)
    return stack[-1] if stack else None
