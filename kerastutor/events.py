"""A tiny event bus: the fit loop and the model announce what they do.

Events are ``(name, data)`` pairs such as ``("layer_forward", {...})``. The
tracer and teaching callbacks subscribe; when nobody is subscribed,
:func:`listening` is ``False`` and the emitting code skips building the
event altogether, so training pays nothing for the feature.

Event names (in the order one training step emits them):

``train_batch_begin`` -> ``layer_forward`` (one per layer) -> ``loss`` ->
``layer_backward`` (one per layer, in reverse) -> ``gradients`` (every weight's
final ``grad``, before the optimizer moves it) -> ``update`` -> ``train_batch_end``.
"""

_LISTENERS = []


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
    """Send one event to every listener (callers check :func:`listening` first)."""
    for listener in list(_LISTENERS):
        listener(name, data)
