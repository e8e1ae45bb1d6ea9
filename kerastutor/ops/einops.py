r"""``keras.ops.rearrange``: einops-style reshapes and transposes written as a pattern.

A pattern such as ``"b (h h1) (w w1) c -> b h w (c h1 w1)"`` names every axis.
A parenthesised group on the left *splits* one axis into several (row-major:
the last name varies fastest), on the right it *merges* several into one.
Read left to right, ``rearrange`` is three recorded ops:

1. :func:`~kerastutor.ops.shapes.reshape` the input to one axis per name;
2. :func:`~kerastutor.tape.transpose` the names into the output's order;
3. reshape to the output's groups.

Each is a relabelling of entries, so the gradient runs through their vjps
backwards -- reshape, inverse permutation, reshape -- with nothing new to derive.
Keras's subset of einops: names and groups only (no ``...``, no ``1``, no repeats).
"""
import math
import re

from kerastutor.ops.shapes import reshape
from kerastutor.tape import _value, transpose

_TOKEN = re.compile(r"\(|\)|[A-Za-z_]\w*|\S")


def _groups(side, pattern):
    """``"b (h w) c"`` -> ``[["b"], ["h", "w"], ["c"]]``, with kind errors for bad syntax."""
    groups, current = [], None
    for token in _TOKEN.findall(side):
        if token == "(":
            if current is not None:
                raise ValueError(f"ops.rearrange: nested parentheses in {pattern!r}. "
                                 f"Fix: one level of grouping, e.g. '(h w)'.")
            current = []
        elif token == ")":
            if current is None:
                raise ValueError(f"ops.rearrange: unmatched ')' in {pattern!r}.")
            groups.append(current)
            current = None
        elif re.fullmatch(r"[A-Za-z_]\w*", token):
            (groups if current is None else current).append(
                token if current is not None else [token])
        else:
            raise ValueError(f"ops.rearrange: unsupported token {token!r} in {pattern!r}. "
                             f"Fix: Keras's rearrange takes axis names and (groups) only "
                             f"(no '...', no '1').")
    if current is not None:
        raise ValueError(f"ops.rearrange: unclosed '(' in {pattern!r}.")
    return groups


def _lengths(groups, shape, axes_lengths, pattern):
    """The length of every name: read from the shape, given, or inferred (one per group)."""
    lengths = {}
    for group, dim in zip(groups, shape):
        unknown = [n for n in group if n not in axes_lengths]
        if len(group) == 1 and unknown:
            lengths[group[0]] = dim
            continue
        if len(unknown) > 1:
            raise ValueError(f"ops.rearrange: cannot infer both {unknown} from one axis of "
                             f"length {dim} in {pattern!r}. Fix: pass all but one of them, "
                             f"e.g. {unknown[0]}=....")
        known = math.prod(int(axes_lengths[n]) for n in group if n in axes_lengths)
        if unknown:
            if known == 0 or dim % known:
                raise ValueError(f"ops.rearrange: axis of length {dim} cannot be split into "
                                 f"{group} with the given lengths (product {known}).")
            lengths[unknown[0]] = dim // known
        elif known != dim:
            raise ValueError(f"ops.rearrange: {group} has length {known} by the given "
                             f"lengths, but the axis has length {dim}. Fix: correct the "
                             f"lengths passed as keywords.")
        lengths.update({n: int(axes_lengths[n]) for n in group if n in axes_lengths})
    return lengths


def rearrange(tensor, pattern, **axes_lengths):
    r"""Reorder, split and merge axes as ``pattern`` says (``"b h w c -> b (h w) c"``).

    Only a reshape and a transpose: the output holds the same entries, and the
    gradient is :math:`g` reshaped, transposed back with the inverse permutation
    and reshaped to the input's shape.
    """
    if pattern.count("->") != 1:
        raise ValueError(f"ops.rearrange: `pattern` must have one '->' between the input and "
                         f"the output axes; got {pattern!r}. Fix: e.g. 'b h w c -> b c h w'.")
    left, right = pattern.split("->")
    inputs, outputs = _groups(left, pattern), _groups(right, pattern)
    shape = _value(tensor).shape
    if len(inputs) != len(shape):
        raise ValueError(f"ops.rearrange: the left side of {pattern!r} names {len(inputs)} "
                         f"axes, but the tensor has {len(shape)} (shape {shape}). Fix: one "
                         f"name or (group) per axis.")
    names_in = [n for g in inputs for n in g]
    names_out = [n for g in outputs for n in g]
    if len(set(names_in)) != len(names_in) or sorted(names_in) != sorted(names_out):
        raise ValueError(f"ops.rearrange: both sides of {pattern!r} must name the same axes, "
                         f"each once; got {names_in} and {names_out}.")
    lengths = _lengths(inputs, shape, axes_lengths, pattern)
    split = reshape(tensor, tuple(lengths[n] for n in names_in))
    moved = transpose(split, tuple(names_in.index(n) for n in names_out))
    return reshape(moved, tuple(math.prod(lengths[n] for n in g) for g in outputs))


__all__ = ["rearrange"]
