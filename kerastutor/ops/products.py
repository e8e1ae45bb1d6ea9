r"""Products and contractions: ``matmul``, ``dot``, ``einsum``, ``tensordot``, ...

Each is a sum of products, so it is linear in each operand. The gradient of
one operand is the same kind of contraction of the upstream gradient with
the *other* operands -- for a matrix product :math:`C = AB`,
:math:`\bar A = \bar C B^\top` and :math:`\bar B = A^\top \bar C`.
"""
import numpy as np

from kerastutor.tape import _record, _value, matmul

dot = matmul


def einsum(subscripts, *operands):
    r"""Einstein summation, e.g. ``einsum("ij,jk->ik", a, b)`` is a matmul.

    The gradient of operand :math:`k` is itself an einsum: contract the
    upstream gradient (with the output's letters) against the *other*
    operands, producing operand :math:`k`'s letters. Letters that only
    operand :math:`k` has were summed away in the forward pass, so every
    entry along them gets the same gradient (broadcast back).
    """
    if "->" not in subscripts or "." in subscripts:
        raise ValueError(f"ops.einsum: write the output explicitly and without '...', e.g. "
                         f"'ij,jk->ik'; got {subscripts!r}.")
    inputs, out_subs = subscripts.replace(" ", "").split("->")
    subs = inputs.split(",")
    values = [_value(o) for o in operands]

    def vjp(g):
        grads = []
        for k, (own, a) in enumerate(zip(subs, values)):
            others = [(values[j], subs[j]) for j in range(len(values)) if j != k]
            present = set(out_subs).union(*[set(letters) for _, letters in others])
            kept = "".join(c for c in own if c in present)
            expression = ",".join([out_subs] + [letters for _, letters in others]) + "->" + kept
            partial = np.einsum(expression, g, *[v for v, _ in others])
            for axis, letter in enumerate(own):
                if letter not in present:              # summed only here: broadcast back
                    partial = np.expand_dims(partial, axis)
            grads.append(np.broadcast_to(partial, a.shape).copy())
        return tuple(grads)
    return _record(np.einsum(subscripts, *values), tuple(operands), vjp)


__all__ = ["matmul", "dot", "einsum"]
