"""format_summary: Keras 3's model.summary() table, character for character.

SPEC_EXAMPLE is keras-spec section 5 verbatim (observed from Keras 3.15.1). The
other expected tables were rendered by rich's own Table code (rich 14.3, run from
its source) fed exactly what Keras's summary_utils.print_summary feeds it: the
same Column widths, justify, Table(width=line_length, show_lines=True) and rich
markup. They were not produced by kerastutor.
"""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kerastutor.utils.summary_format import (column_widths, default_line_length,
                                             format_summary, format_table,
                                             readable_memory_size, requested_widths,
                                             wrap_cell)

SPEC_EXAMPLE = """\
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
"""

FUNCTIONAL_108 = "\n".join([     # 108 columns: each line is split in two halves
    'Model: "functional"',
    "┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━"
    "━━━━━━┳━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━┓",
    "┃ Layer (type)                  ┃ Output Shape        "
    "      ┃         Param # ┃ Connected to               ┃",
    "┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━"
    "━━━━━━╇━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━┩",
    "│ input_layer (InputLayer)      │ (None, 8)           "
    "      │               0 │ -                          │",
    "├───────────────────────────────┼─────────────────────"
    "──────┼─────────────────┼────────────────────────────┤",
    "│ dense (Dense)                 │ (None, 16)          "
    "      │             144 │ input_layer[0][0]          │",
    "├───────────────────────────────┼─────────────────────"
    "──────┼─────────────────┼────────────────────────────┤",
    "│ input_layer_1 (InputLayer)    │ (None, 4)           "
    "      │               0 │ -                          │",
    "├───────────────────────────────┼─────────────────────"
    "──────┼─────────────────┼────────────────────────────┤",
    "│ concatenate (Concatenate)     │ (None, 20)          "
    "      │               0 │ dense[0][0],               │",
    "│                               │                     "
    "      │                 │ input_layer_1[0][0]        │",
    "├───────────────────────────────┼─────────────────────"
    "──────┼─────────────────┼────────────────────────────┤",
    "│ dense_1 (Dense)               │ (None, 1)           "
    "      │              21 │ concatenate[0][0]          │",
    "└───────────────────────────────┴─────────────────────"
    "──────┴─────────────────┴────────────────────────────┘",
    ' Total params: 165 (660.00 B)',
    ' Trainable params: 165 (660.00 B)',
    ' Non-trainable params: 0 (0.00 B)',
])



FUNCTIONAL_76 = """\
Model: "functional"
┏━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┓
┃ Layer (type)        ┃ Output Shape      ┃    Param # ┃ Connected to      ┃
┡━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━┩
│ input_layer         │ (None, 8)         │          0 │ -                 │
│ (InputLayer)        │                   │            │                   │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ dense (Dense)       │ (None, 16)        │        144 │ input_layer[0][0] │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ input_layer_1       │ (None, 4)         │          0 │ -                 │
│ (InputLayer)        │                   │            │                   │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ concatenate         │ (None, 20)        │          0 │ dense[0][0],      │
│ (Concatenate)       │                   │            │ input_layer_1[0]… │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ dense_1 (Dense)     │ (None, 1)         │         21 │ concatenate[0][0] │
└─────────────────────┴───────────────────┴────────────┴───────────────────┘
 Total params: 165 (660.00 B)
 Trainable params: 165 (660.00 B)
 Non-trainable params: 0 (0.00 B)
"""


CNN_AFTER_FIT = """\
Model: "sequential"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
│ conv2d (Conv2D)                 │ (None, 26, 26, 8)      │            80 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ batch_normalization             │ (None, 26, 26, 8)      │            32 │
│ (BatchNormalization)            │                        │               │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ max_pooling2d (MaxPooling2D)    │ (None, 13, 13, 8)      │             0 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ flatten (Flatten)               │ (None, 1352)           │             0 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dense (Dense)                   │ (None, 10)             │        13,530 │
└─────────────────────────────────┴────────────────────────┴───────────────┘
 Total params: 40,896 (159.75 KB)
 Trainable params: 13,626 (53.23 KB)
 Non-trainable params: 16 (64.00 B)
 Optimizer params: 27,254 (106.46 KB)
"""


SHOW_TRAINABLE = """\
Model: "frozen"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━┓
┃ Layer (type)                ┃ Output Shape          ┃    Param # ┃ Trai… ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━┩
│ dense (Dense)               │ (None, 64)            │      2,112 │   Y   │
├─────────────────────────────┼───────────────────────┼────────────┼───────┤
│ dropout (Dropout)           │ (None, 64)            │          0 │   -   │
├─────────────────────────────┼───────────────────────┼────────────┼───────┤
│ dense_1 (Dense)             │ (None, 10)            │        650 │   N   │
└─────────────────────────────┴───────────────────────┴────────────┴───────┘
 Total params: 2,762 (10.79 KB)
 Trainable params: 2,112 (8.25 KB)
 Non-trainable params: 650 (2.54 KB)
"""


UNBUILT = """\
Model: "sequential_1"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
│ dense_2 (Dense)                 │ ?                      │   0 (unbuilt) │
└─────────────────────────────────┴────────────────────────┴───────────────┘
 Total params: 0 (0.00 B)
 Trainable params: 0 (0.00 B)
 Non-trainable params: 0 (0.00 B)
"""


def row(name, shape, params, connected_to=None, trainable=None):
    entry = {"name": name, "output_shape": shape, "params": params, "trainable": trainable}
    if connected_to is not None:
        entry["connected_to"] = connected_to
    return entry


TWO_INPUT_ROWS = [
    row("input_layer (InputLayer)", "(None, 8)", 0, []),
    row("dense (Dense)", "(None, 16)", 144, ["input_layer[0][0]"]),
    row("input_layer_1 (InputLayer)", "(None, 4)", 0, []),
    row("concatenate (Concatenate)", "(None, 20)", 0, ["dense[0][0]", "input_layer_1[0][0]"]),
    row("dense_1 (Dense)", "(None, 1)", 21, ["concatenate[0][0]"]),
]


@pytest.fixture
def columns(monkeypatch):
    """Set the terminal width the default line length is taken from."""
    def set_columns(count):
        monkeypatch.setenv("COLUMNS", str(count))
    set_columns(80)                       # what a non-terminal reports
    return set_columns


# ------------------------------------------------------------------ whole tables
def test_spec_example_byte_for_byte(columns):
    text = format_summary("sequential", [row("dense (Dense)", "(None, 16)", 144),
                                         row("dense_1 (Dense)", "(None, 3)", 51)],
                          trainable_count=195, non_trainable_count=0)
    assert text == SPEC_EXAMPLE.rstrip("\n")


def test_functional_on_a_wide_terminal_is_108_wide(columns):
    columns(200)
    text = format_summary("functional", TWO_INPUT_ROWS, 165, 0, sequential_like=False)
    assert text == FUNCTIONAL_108


def test_functional_off_a_terminal_is_capped_at_76(columns):
    text = format_summary("functional", TWO_INPUT_ROWS, 165, 0, sequential_like=False)
    assert text == FUNCTIONAL_76.rstrip("\n")
    assert text == format_summary("functional", TWO_INPUT_ROWS, 165, 0,
                                  sequential_like=False, line_length=76)


def test_long_names_wrap_and_optimizer_params_count_in_the_total(columns):
    rows = [row("conv2d (Conv2D)", "(None, 26, 26, 8)", 80),
            row("batch_normalization (BatchNormalization)", "(None, 26, 26, 8)", 32),
            row("max_pooling2d (MaxPooling2D)", "(None, 13, 13, 8)", 0),
            row("flatten (Flatten)", "(None, 1352)", 0),
            row("dense (Dense)", "(None, 10)", 13530)]
    text = format_summary("sequential", rows, 13626, 16, optimizer_count=27254)
    assert text == CNN_AFTER_FIT.rstrip("\n")


def test_show_trainable_column(columns):
    rows = [row("dense (Dense)", "(None, 64)", 2112, trainable=True),
            row("dropout (Dropout)", "(None, 64)", 0, trainable=None),
            row("dense_1 (Dense)", "(None, 10)", 650, trainable=False)]
    text = format_summary("frozen", rows, 2112, 650, show_trainable=True)
    assert text == SHOW_TRAINABLE.rstrip("\n")


def test_unbuilt_layer(columns):
    text = format_summary("sequential_1", [row("dense_2 (Dense)", "?", "0 (unbuilt)")], 0, 0)
    assert text == UNBUILT.rstrip("\n")


def test_every_table_line_has_the_line_length(columns):
    text = format_summary("m", TWO_INPUT_ROWS, 165, 0, sequential_like=False, line_length=90)
    table = text.split("\n")[1:-3]
    assert table and all(len(line) == 90 for line in table)


def test_param_bytes_sets_the_memory_sizes(columns):
    text = format_summary("m", [row("d (Dense)", "(None, 2)", 6)], 6, 0, param_bytes=8)
    assert " Total params: 6 (48.00 B)" in text


# ------------------------------------------------------------------ geometry
def test_default_line_length_follows_the_terminal(columns):
    assert default_line_length(sequential_like=True) == 76
    columns(200)
    assert default_line_length(sequential_like=True) == 88
    assert default_line_length(sequential_like=False) == 108
    assert default_line_length(sequential_like=False, show_trainable=True) == 120
    columns(100)
    assert default_line_length(sequential_like=False) == 96


def test_requested_widths_are_keras_positions():
    assert requested_widths(76, [0.45, 0.80, 1.0]) == [34, 26, 16]
    assert requested_widths(76, [30, 60, 76]) == [30, 30, 16]      # absolute positions


def test_column_widths_of_the_spec_table():
    # 34+2, 26+2, 16+2 = 78 wanted, 72 available: 2 taken from each column.
    assert column_widths(76, [0.45, 0.80, 1.0]) == [33, 24, 15]


@given(line_length=st.integers(30, 200),
       cuts=st.lists(st.integers(1, 99), min_size=1, max_size=4, unique=True),
       last=st.sampled_from([0.8, 0.95, 1.0]))
@settings(max_examples=25, deadline=None)
def test_cells_and_borders_always_fill_the_line(line_length, cuts, last):
    positions = [cut / 100 * last for cut in sorted(cuts)] + [last]
    try:
        widths = column_widths(line_length, positions)
    except ValueError:
        return                                        # a column narrower than 4
    assert sum(widths) + len(widths) + 1 == line_length
    assert all(width >= 2 for width in widths)


# ------------------------------------------------------------------ cells
def test_wrap_cell_breaks_at_spaces():
    assert wrap_cell("batch_normalization (BatchNormalization)", 31) == [
        "batch_normalization".ljust(31), "(BatchNormalization)".ljust(31)]
    assert wrap_cell("a b c", 3) == ["a b", "c  "]


def test_wrap_cell_cuts_a_word_too_long_for_any_line():
    assert wrap_cell("abcdefghij klm", 6) == ["abcde…", "klm   "]
    assert wrap_cell("x abcdefghij", 6) == ["x     ", "abcde…"]


def test_wrap_cell_alignment():
    assert wrap_cell("144", 7, "right") == ["    144"]
    assert wrap_cell("Y", 4, "center") == [" Y  "]


@given(st.lists(st.text("abcxyz_()", min_size=1, max_size=8), min_size=1, max_size=8),
       st.integers(8, 30))
@settings(max_examples=25, deadline=None)
def test_wrap_cell_keeps_every_word_in_order(words, width):
    lines = wrap_cell(" ".join(words), width)
    assert all(len(line) == width for line in lines)
    assert " ".join(lines).split() == words


def test_header_text_sits_on_the_bottom_line_of_the_header():
    lines = format_table(["a long header", "b"], [["x", "y"]], [6, 5], ["left", "left"])
    assert lines == ["┏━━━━━━┳━━━━━┓",
                     "┃ a    ┃     ┃",
                     "┃ long ┃     ┃",
                     "┃ hea… ┃ b   ┃",
                     "┡━━━━━━╇━━━━━┩",
                     "│ x    │ y   │",
                     "└──────┴─────┘"]


# ------------------------------------------------------------------ sizes
@pytest.mark.parametrize("size, text", [(0, "0.00 B"), (780, "780.00 B"),
                                        (1023, "1023.00 B"), (1024, "1.00 KB"),
                                        (1200, "1.17 KB"), (3 * 1024 ** 2, "3.00 MB"),
                                        (5.5 * 1024 ** 3, "5.50 GB")])
def test_readable_memory_size(size, text):
    assert readable_memory_size(size) == text


# ------------------------------------------------------------------ errors
def test_too_narrow_a_column_is_explained():
    with pytest.raises(ValueError, match=r"column 2 would be 2 .* line_length=20"):
        format_summary("m", [], 0, 0, line_length=20, positions=[0.5, 0.6, 1.0])


def test_positions_must_match_the_columns():
    with pytest.raises(ValueError, match=r"one right edge per column \(4: .*Connected to"):
        format_summary("m", [], 0, 0, line_length=80, sequential_like=False,
                       positions=[0.5, 1.0])


def test_bad_row_keys_get_a_suggestion():
    with pytest.raises(ValueError, match=r"row 0 .* missing \['output_shape'\].*"
                                         r"Did you mean 'output_shape'\?"):
        format_summary("m", [{"name": "d (Dense)", "output_shap": "(None, 2)", "params": 6}],
                       6, 0, line_length=76)
