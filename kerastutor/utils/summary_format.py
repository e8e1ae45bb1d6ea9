r"""The table of ``model.summary()``, laid out exactly as Keras 3 prints it.

Keras hands the table to the ``rich`` library, which owns the layout. This
module writes out the handful of rich rules the summary actually uses, so the
text comes out the same without the dependency::

    Model: "sequential"
    ┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
    ┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
    ┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
    │ dense (Dense)                   │ (None, 16)             │           144 │
    ├─────────────────────────────────┼────────────────────────┼───────────────┤
    │ dense_1 (Dense)                 │ (None, 3)              │            51 │
    └─────────────────────────────────┴────────────────────────┴───────────────┘
     Total params: 195 (780.00 B)
     Trainable params: 195 (780.00 B)
     Non-trainable params: 0 (0.00 B)

The steps, in order:

1. **Width.** ``line_length``, else ``min(88, columns - 4)`` for a chain of
   layers and ``min(108, columns - 4)`` for a graph (12 more with
   ``show_trainable``), where ``columns`` is the terminal's width -- 80 when
   the output is not a terminal, hence the 76 above.
2. **Requested widths** (Keras). Column :math:`i` ends at character
   :math:`\lfloor p_i L \rfloor`, so it asks for
   :math:`w_i = \lfloor p_i L \rfloor - \lfloor p_{i-1} L \rfloor`.
3. **Fitting** (rich). Each cell adds one space of padding on either side,
   :math:`w_i + 2`, while the :math:`k + 1` border characters leave only
   :math:`L - (k + 1)` for the :math:`k` cells. The excess (:math:`3k + 1`
   characters when the positions end at 1.0) is taken from the columns in
   turn, an even share of what is left each time (rounded half to even, as
   Python's ``round``); a shortfall is shared out in proportion to the
   widths, rounding up.
4. **Cells.** Text is word-wrapped at spaces to the cell's inner width; a single
   word longer than that is cut and ends in ``…``. ``Param #`` is
   right-aligned; everything else is left-aligned (``Trainable`` is centred).

One character is counted as one column (rich would count East Asian wide
characters as two). Lines are not cut at the terminal's edge when an explicit
``line_length`` is wider than the terminal (rich would cut them).
"""
import numbers
import re
import shutil

from kerastutor.backend import did_you_mean

# Box-drawing characters of rich's HEAVY_HEAD box: a heavy frame around the
# header, light lines between body rows.
HEADER_TOP = ("┏", "━", "┳", "┓")
HEADER_BAR = "┃"
HEADER_BOTTOM = ("┡", "━", "╇", "┩")
ROW_BAR = "│"
ROW_RULE = ("├", "─", "┼", "┤")
TABLE_BOTTOM = ("└", "─", "┴", "┘")

SEQUENTIAL_COLUMNS = (("Layer (type)", "left"), ("Output Shape", "left"),
                      ("Param #", "right"))
GRAPH_COLUMNS = SEQUENTIAL_COLUMNS + (("Connected to", "left"),)
TRAINABLE_COLUMN = ("Trainable", "center")
SEQUENTIAL_POSITIONS = (0.45, 0.80, 1.0)
GRAPH_POSITIONS = (0.3, 0.56, 0.74, 1.0)
SEQUENTIAL_WIDTH, GRAPH_WIDTH, TRAINABLE_EXTRA_WIDTH = 88, 108, 12
CELL_PADDING = 1                      # spaces on each side of a cell's text

_WORD = re.compile(r"\s*\S+\s*")      # a word with the spaces around it (rich's rule)
_TRAINABLE_MARK = {True: "Y", False: "N", None: "-"}


# ------------------------------------------------------------------ sizes
def readable_memory_size(size_in_bytes):
    """``"780.00 B"``, ``"1.17 KB"``, ``"2.56 MB"``: divide by 1024 until below 1024."""
    size = float(size_in_bytes)
    units = ["B", "KB", "MB", "GB", "TB", "PB"]
    for unit in units[:-1]:
        if size / 1024 < 1:
            return f"{size:.2f} {unit}"
        size /= 1024
    return f"{size:.2f} {units[-1]}"


def terminal_columns():
    """Width of the terminal; ``$COLUMNS`` if set, 80 when output is not a terminal."""
    return shutil.get_terminal_size().columns


def default_line_length(sequential_like=True, show_trainable=False):
    """Keras's table width when none is given: 88 (chain) or 108 (graph), capped
    at ``terminal_columns() - 4``; ``show_trainable`` adds 12 before the cap."""
    width = SEQUENTIAL_WIDTH if sequential_like else GRAPH_WIDTH
    if show_trainable:
        width += TRAINABLE_EXTRA_WIDTH
    return min(width, terminal_columns() - 4)


# ------------------------------------------------------------------ geometry
def requested_widths(line_length, positions):
    """Keras's column widths from the right edges ``positions`` (step 2 above).

    A position up to 1 is a fraction of ``line_length``; a larger one is a
    character count (the meaning Keras documents).
    """
    widths, right_edge_so_far = [], 0
    for index, position in enumerate(positions):
        right_edge = int(position * line_length) if position <= 1 else int(position)
        width = right_edge - right_edge_so_far
        if width < 4:
            raise ValueError(
                f"summary: column {index + 1} would be {width} characters wide, but each "
                f"needs at least 4; got line_length={line_length} and positions="
                f"{list(positions)}. Give a larger line_length, or increasing positions "
                "(fractions of the line, ending at 1.0).")
        widths.append(width)
        right_edge_so_far += width
    return widths


def _reduce_evenly(excess, widths):
    """Take ``excess`` characters from the columns, an even share of what is left each."""
    result, columns_left = [], len(widths)
    for width in widths:
        taken = min(width, round(excess / columns_left))
        result.append(width - taken)
        excess -= taken
        columns_left -= 1
    return result


def _distribute_by_width(extra, widths):
    """Give ``extra`` characters to the columns in proportion to their widths, rounding up."""
    result, total = [], sum(widths)
    for width in widths:
        given = -(-width * extra // total) if total > 0 else extra   # ceil division
        result.append(width + given)
        extra -= given
        total -= width
    return result


def column_widths(line_length, positions):
    """Rendered width of each cell, padding included and borders not (steps 2-3).

    >>> column_widths(76, [0.45, 0.80, 1.0])
    [33, 24, 15]
    """
    available = line_length - (len(positions) + 1)          # minus the vertical borders
    widths = [min(width + 2 * CELL_PADDING, available)
              for width in requested_widths(line_length, positions)]
    if sum(widths) > available:
        return _reduce_evenly(sum(widths) - available, widths)
    if sum(widths) < available:
        return _distribute_by_width(available - sum(widths), widths)
    return widths


# ------------------------------------------------------------------ cells
def _break_offsets(text, width):
    """Where to start new lines so that words fit in ``width`` (rich's word wrap).

    A word too long for any line is not split: it gets a line of its own and is
    cut later with an ellipsis.
    """
    offsets, used = [], 0
    for word in _WORD.finditer(text):
        start, length = word.start(), len(word.group().rstrip())
        if length <= width - used:
            used += len(word.group())
        else:                                   # start the word on a fresh line
            if start:
                offsets.append(start)
            used = len(word.group())
    return offsets


def _fit(line, width):
    """Cut a line longer than ``width`` to ``width - 1`` characters and ``…``."""
    return line if len(line) <= width else line[:width - 1] + "…"


def _justify(line, width, align):
    if align == "left":
        return _fit(line, width).ljust(width)
    line = _fit(line.rstrip(), width)
    if align == "right":
        return line.rjust(width)
    left = (width - len(line)) // 2                        # centre, odd space on the right
    return " " * left + line.ljust(width - left)


def wrap_cell(text, width, align="left"):
    """The lines of one cell's text, each exactly ``width`` characters.

    >>> wrap_cell("batch_normalization (BatchNormalization)", 31)
    ['batch_normalization            ', '(BatchNormalization)           ']
    """
    if width < 1:
        return [""]                       # a column squeezed down to its padding
    lines = []
    for paragraph in str(text).split("\n"):
        cuts = [0] + _break_offsets(paragraph, width) + [len(paragraph)]
        for start, end in zip(cuts, cuts[1:]):
            lines.append(_justify(_trim_end(paragraph[start:end], width), width, align))
    return lines


def _trim_end(line, width):
    """Drop trailing spaces that stick out past ``width``, but no more than that."""
    excess = len(line) - width
    if excess <= 0:
        return line
    spaces = len(line) - len(line.rstrip())
    return line[:len(line) - min(spaces, excess)]


# ------------------------------------------------------------------ table
def _rule(widths, corners):
    left, fill, middle, right = corners
    return left + middle.join(fill * width for width in widths) + right


def _table_row(cells, widths, aligns, bar, header=False):
    """One table row; a cell that wraps makes the whole row taller.

    Shorter cells are filled with blank lines: below the text in body rows,
    above it in the header (so header names sit on the header's bottom line).
    """
    pad = " " * CELL_PADDING
    inner = [width - 2 * CELL_PADDING for width in widths]
    columns = [wrap_cell(cell, w, a) for cell, w, a in zip(cells, inner, aligns)]
    height = max(len(lines) for lines in columns)
    columns = [[" " * w] * (height - len(lines)) + lines if header
               else lines + [" " * w] * (height - len(lines))
               for lines, w in zip(columns, inner)]
    return [bar + bar.join(pad + line + pad for line in row) + bar for row in zip(*columns)]


def format_table(headers, rows, widths, aligns):
    """Lines of a rich ``HEAVY_HEAD`` table with a rule between rows.

    Parameters
    ----------
    headers : list of str
    rows : list of list of str
    widths : list of int
        Cell widths, padding included (see :func:`column_widths`).
    aligns : list of {"left", "right", "center"}
    """
    lines = [_rule(widths, HEADER_TOP)]
    lines += _table_row(headers, widths, aligns, HEADER_BAR, header=True)
    lines.append(_rule(widths, HEADER_BOTTOM))
    for index, cells in enumerate(rows):
        if index:
            lines.append(_rule(widths, ROW_RULE))
        lines += _table_row(cells, widths, aligns, ROW_BAR)
    lines.append(_rule(widths, TABLE_BOTTOM))
    return lines


# ------------------------------------------------------------------ summary
_ROW_KEYS = ("name", "output_shape", "params", "connected_to", "trainable")


def _check_row(index, row):
    missing = [key for key in ("name", "output_shape", "params") if key not in row]
    unknown = [key for key in row if key not in _ROW_KEYS]
    if missing or unknown:
        hint = "".join(did_you_mean(key, _ROW_KEYS) for key in unknown)
        raise ValueError(
            f"format_summary: row {index} must be a dict with keys name, output_shape, "
            f"params (and optionally connected_to, trainable); got keys {sorted(row)}"
            f"{f', missing {missing}' if missing else ''}"
            f"{f', unknown {unknown}' if unknown else ''}.{hint}")


def _row_cells(row, sequential_like, show_trainable):
    params = row["params"]
    cells = [row["name"], row["output_shape"],
             f"{params:,}" if isinstance(params, numbers.Integral) else str(params)]
    if not sequential_like:
        sources = row.get("connected_to") or ["-"]
        cells.append(sources if isinstance(sources, str) else ", ".join(sources))
    if show_trainable:
        cells.append(_TRAINABLE_MARK[row.get("trainable")])
    return cells


def _count_line(label, count, param_bytes):
    return f" {label}: {count:,} ({readable_memory_size(count * param_bytes)})"


def format_summary(model_name, rows, trainable_count, non_trainable_count,
                   optimizer_count=None, line_length=None, positions=None,
                   show_trainable=False, sequential_like=True, param_bytes=4):
    """The text ``model.summary()`` prints (no final newline).

    Parameters
    ----------
    model_name : str
    rows : list of dict
        One per layer: ``name`` (``"dense (Dense)"``), ``output_shape``
        (``"(None, 16)"``), ``params`` (an int, or text such as
        ``"0 (unbuilt)"``), and optionally ``connected_to`` (a list such as
        ``["input_layer[0][0]"]``, used when not ``sequential_like``) and
        ``trainable`` (True, False, or None for a layer without weights).
    trainable_count, non_trainable_count : int
        Numbers of model parameters.
    optimizer_count : int, optional
        Number of optimizer variables, once the optimizer is built. Adds an
        ``Optimizer params`` line and counts into ``Total params``.
    line_length : int, optional
        Table width; defaults to :func:`default_line_length`.
    positions : list of float, optional
        Right edge of each column as a fraction of the line; defaults to
        ``[0.45, 0.80, 1.0]`` (sequential-like) or ``[0.3, 0.56, 0.74, 1.0]``.
    show_trainable : bool, default False
        Add a ``Trainable`` column (``Y``/``N``/``-``).
    sequential_like : bool, default True
        False adds the ``Connected to`` column of a graph model.
    param_bytes : int, default 4
        Bytes per parameter (4 for float32) for the memory sizes.
    """
    columns = list(SEQUENTIAL_COLUMNS if sequential_like else GRAPH_COLUMNS)
    positions = list(positions or (SEQUENTIAL_POSITIONS if sequential_like
                                   else GRAPH_POSITIONS))
    if line_length is None:
        line_length = default_line_length(sequential_like, show_trainable)
    if show_trainable:
        # Keras squeezes the given columns into 90% of the line to make room.
        positions = [position * 0.90 for position in positions] + [1.0]
        columns.append(TRAINABLE_COLUMN)
    if len(positions) != len(columns):
        raise ValueError(
            f"format_summary: positions needs one right edge per column ({len(columns)}: "
            f"{', '.join(name for name, _ in columns)}); got {len(positions)} "
            f"positions {positions}.")
    for index, row in enumerate(rows):
        _check_row(index, row)

    headers, aligns = [name for name, _ in columns], [align for _, align in columns]
    table = format_table(headers, [_row_cells(row, sequential_like, show_trainable)
                                   for row in rows],
                         column_widths(line_length, positions), aligns)

    total = trainable_count + non_trainable_count + (optimizer_count or 0)
    footer = [_count_line("Total params", total, param_bytes),
              _count_line("Trainable params", trainable_count, param_bytes),
              _count_line("Non-trainable params", non_trainable_count, param_bytes)]
    if optimizer_count is not None:
        footer.append(_count_line("Optimizer params", optimizer_count, param_bytes))
    return "\n".join([f'Model: "{model_name}"'] + table + footer)


__all__ = ["format_summary", "format_table", "column_widths", "requested_widths",
           "wrap_cell", "readable_memory_size", "default_line_length", "terminal_columns"]
