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
"""

import contextlib
import threading

_LISTENERS = []
_OWNERS = threading.local()      # per thread: step_through trains in a worker thread


def listening():
    """True when at least one listener is subscribed."""
    return bool(_LISTENERS)


def subscribe(listener):
    """Call ``listener(name, data)`` for every event until :func:`unsubscribe`."""
    _LISTENERS.append(listener)
    return listener


def unsubscribe(listener):
    if listener in _LISTENERS:
        _LISTENERS.remove(listener)


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
