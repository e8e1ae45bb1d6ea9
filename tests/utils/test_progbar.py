"""Progbar: Keras 3's progress line, byte for byte, under a fake clock."""
import io
import re
import sys
import types

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kerastutor.utils import progbar
from kerastutor.utils.progbar import Progbar, format_eta, format_time_per_unit, format_value

ANSI = re.compile(r"\x1b\[[0-9;]*m")
BAR = "━"


class FakeClock:
    """Stands in for time.time(); tests move it forward by hand."""

    def __init__(self, now=1000.0):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    # Only the progbar module sees the fake clock.
    monkeypatch.setattr(progbar, "time", types.SimpleNamespace(time=fake))
    return fake


def plain(text):
    return ANSI.sub("", text)


def last_line(text):
    """What the terminal shows at the end: the text after the last carriage return."""
    return plain(text).split("\r")[-1].rstrip("\n")


# ------------------------------------------------------------------ verbose=1
def test_final_line_matches_the_keras_example(capsys, clock):
    bar = Progbar(7, stateless_metrics=set())
    for step in range(1, 8):
        clock.now += 0.000466
        bar.update(step, [("accuracy", 0.38), ("loss", 1.1231)])
    assert last_line(capsys.readouterr().out) == \
        "7/7 ━━━━━━━━━━━━━━━━━━━━ 0s 466us/step - accuracy: 0.3800 - loss: 1.1231"


def test_exact_bytes_of_first_and_final_draw(capsys, clock):
    bar = Progbar(7, stateless_metrics=set())
    for step in range(1, 8):                    # all within 0.05 s: only 1 and 7 drawn
        clock.now += 0.000466
        bar.update(step, [("accuracy", 0.38), ("loss", 1.1231)])
    metrics = " 466us/step - accuracy: 0.3800 - loss: 1.1231"
    first = ("\r\x1b[1m1/7\x1b[0m \x1b[32m" + BAR * 2 + "\x1b[0m\x1b[37m" + BAR * 18
             + "\x1b[0m \x1b[1m0s\x1b[0m" + metrics)
    # The final draw backs over the 72 visible characters of the first one.
    final = ("\b" * 72 + "\r\x1b[1m7/7\x1b[0m \x1b[32m" + BAR * 20 + "\x1b[0m\x1b[37m\x1b[0m"
             " \x1b[1m0s\x1b[0m" + metrics + "\n")
    assert capsys.readouterr().out == first + final


def test_right_aligned_count_and_eta_while_running(capsys, clock):
    bar = Progbar(100)
    clock.now += 1.0
    bar.update(1, [("loss", 0.5)])
    assert last_line(capsys.readouterr().out) == \
        "  1/100 " + BAR * 20 + " 1:39 1s/step - loss: 0.5000"    # 99 steps at 1 s


@pytest.mark.parametrize("target, eta", [(10, "9s"), (100, "1:39"), (10000, "2:46:39")])
def test_eta_format_follows_time_left(capsys, clock, target, eta):
    bar = Progbar(target)
    clock.now += 1.0
    bar.update(1)
    assert f" {eta} 1s/step" in last_line(capsys.readouterr().out)


def test_first_step_is_left_out_of_the_time_per_step(capsys, clock):
    bar = Progbar(3, interval=0.0)
    clock.now += 5.0                  # a slow first step (warm-up)
    bar.update(1)
    clock.now += 0.02
    bar.update(2)
    clock.now += 0.02
    bar.update(3)
    assert last_line(capsys.readouterr().out).endswith(" 5s 20ms/step")


def test_no_redraw_within_the_interval(capsys, clock):
    step_time = 1 / 64                     # binary fractions keep the clock exact
    bar = Progbar(100, interval=4 * step_time)
    for step in range(1, 101):
        clock.now += step_time
        bar.update(step, [("loss", 0.25)])
    out = capsys.readouterr().out
    # Drawn at steps 1, 5, 9, ..., 97 (every 4th) and at the last step: 26 draws.
    assert out.count("\r") == 26
    assert out.count("\n") == 1 and out.endswith("\n")


def test_last_step_is_drawn_even_within_the_interval(capsys, clock):
    bar = Progbar(2, interval=10.0)
    bar.update(1)
    bar.update(2)
    assert last_line(capsys.readouterr().out).startswith("2/2 " + BAR * 20)


def test_shorter_line_wipes_the_rest_of_the_old_one(capsys, clock):
    bar = Progbar(10, interval=0.0, stateless_metrics=set())
    clock.now += 1.0
    bar.update(1, [("loss", 1234.5)])
    first = capsys.readouterr().out
    clock.now += 1.0
    bar.update(2, [("loss", 1.5)])
    second = capsys.readouterr().out
    width = len(plain(first)) - 1                             # minus the leading "\r"
    assert second.startswith("\b" * width + "\r")
    assert plain(second).endswith(" - loss: 1.5000" + " " * 3)  # 1234.5 was 3 wider
    assert len(plain(second)) - width - 1 == width


def test_without_carriage_return_support_each_update_starts_a_line(capsys, clock,
                                                                    monkeypatch):
    monkeypatch.setattr(progbar, "_can_redraw_in_place", lambda: False)
    bar = Progbar(2, interval=0.0)
    bar.update(1)
    bar.update(2)
    out = capsys.readouterr().out
    assert "\r" not in out and "\b" not in out
    assert plain(out).split("\n")[1:] == ["1/2 " + BAR * 20 + " 0s 0s/step",
                                          "2/2 " + BAR * 20 + " 0s 0s/step", ""]


def test_unknown_target(capsys, clock):
    bar = Progbar(None, stateless_metrics=set())
    clock.now += 0.4
    bar.update(1, [("loss", 0.5)])
    assert last_line(capsys.readouterr().out) == "      1/Unknown 0s 400ms/step - loss: 0.5000"
    clock.now += 0.8
    bar.update(3, [("loss", 0.25)], finalize=True)
    out = capsys.readouterr().out
    assert last_line(out) == "      3/Unknown 1s 400ms/step - loss: 0.2500"
    assert out.endswith("\n")


def test_verbose_0_prints_nothing(capsys, clock):
    bar = Progbar(3, verbose=0)
    for step in (1, 2, 3):
        bar.update(step, [("loss", 1.0)])
    assert capsys.readouterr().out == ""


def test_bar_falls_back_to_equals_signs_on_an_ascii_console(monkeypatch, clock):
    ascii_out = io.TextIOWrapper(io.BytesIO(), encoding="ascii", newline="")
    monkeypatch.setattr(sys, "stdout", ascii_out)
    Progbar(1).update(1)
    ascii_out.seek(0)
    assert plain(ascii_out.read()) == "\r1/1 " + "=" * 20 + " 0s 0s/step\n"


# ------------------------------------------------------------------ verbose=2
def test_verbose_2_prints_one_line_at_the_end(capsys, clock):
    bar = Progbar(5, verbose=2, stateless_metrics=set())
    for step in range(1, 5):
        clock.now += 0.318
        bar.update(step, [("loss", 1.1683), ("tiny", 0.0001234)])
    assert capsys.readouterr().out == ""
    clock.now += 0.318
    bar.update(5, [("loss", 1.1683), ("tiny", 0.0001234)])
    assert capsys.readouterr().out == "5/5 - 2s - 318ms/step - loss: 1.1683 - tiny: 1.2340e-04\n"


def test_verbose_2_compares_without_absolute_value(capsys, clock):
    bar = Progbar(12, verbose=2)
    bar.update(12, [("delta", -0.5)])
    assert capsys.readouterr().out == "12/12 - 0s - 0s/step - delta: -5.0000e-01\n"


# ------------------------------------------------------------------ values
def test_values_are_averaged_over_steps_by_default(capsys, clock):
    bar = Progbar(10, interval=0.0)
    bar.update(1, [("loss", 1.0)])
    bar.update(3, [("loss", 4.0)])        # counts for steps 2 and 3
    assert last_line(capsys.readouterr().out).endswith("loss: 3.0000")   # (1 + 2*4) / 3


@pytest.mark.parametrize("kwargs", [{"stateless_metrics": set()},
                                    {"stateful_metrics": ["loss"]}])
def test_stateful_values_are_shown_as_given(capsys, clock, kwargs):
    bar = Progbar(10, interval=0.0, **kwargs)
    bar.update(1, [("loss", 1.0)])
    bar.update(3, [("loss", 4.0)])
    assert last_line(capsys.readouterr().out).endswith("loss: 4.0000")


def test_final_update_shows_the_given_value(capsys, clock):
    bar = Progbar(3, interval=0.0)
    bar.update(1, [("loss", 1.0)])
    bar.update(3, [("loss", 9.0)])
    assert last_line(capsys.readouterr().out).endswith("loss: 9.0000")


def test_values_keep_first_seen_order_and_arrays_are_averaged(capsys, clock):
    bar = Progbar(2, interval=0.0, stateless_metrics=set())
    bar.update(1, [("b", 1.0), ("a", np.array([0.5, 1.0], dtype=np.float32))])
    bar.update(2, [("a", 2.0), ("b", 3.0)])
    assert last_line(capsys.readouterr().out).endswith(" - b: 3.0000 - a: 2.0000")
    bar2 = Progbar(1, stateless_metrics=set())
    bar2.update(1, [("a", np.array([0.5, 1.0]))])
    assert last_line(capsys.readouterr().out).endswith(" - a: 0.7500")


def test_add_advances_by_n(capsys, clock):
    bar = Progbar(4, interval=0.0)
    bar.add(2)
    bar.add(2)
    assert last_line(capsys.readouterr().out).startswith("4/4 ")


# ------------------------------------------------------------------ formats
def test_number_formats():
    assert format_value(0.38) == " 0.3800"
    assert format_value(-0.5) == " -0.5000"
    assert format_value(0.001) == " 1.0000e-03"          # the test is strict: > 1e-3
    assert format_value(0.0) == " 0.0000e+00"
    assert format_value(12345.678) == " 12345.6780"


@given(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False))
@settings(max_examples=25, deadline=None)
def test_format_value_round_trips(value):
    text = format_value(value)
    assert text.startswith(" ")
    assert ("e" in text) == (abs(value) <= 1e-3)
    assert float(text) == pytest.approx(value, rel=1e-4, abs=5e-5)


def test_time_per_unit_formats():
    assert format_time_per_unit(0) == "0s/step"
    assert format_time_per_unit(2.0) == "2s/step"
    assert format_time_per_unit(0.0031) == "3ms/step"
    assert format_time_per_unit(0.000466) == "466us/step"
    assert format_time_per_unit(0.5, "sample") == "500ms/sample"


@given(st.floats(min_value=0, max_value=1e6, allow_nan=False))
@settings(max_examples=25, deadline=None)
def test_eta_reads_back_as_whole_seconds(seconds):
    text = format_eta(seconds)
    if seconds > 3600:
        hours, minutes, secs = (int(part) for part in text.split(":"))
        assert minutes < 60 and secs < 60
        assert 3600 * hours + 60 * minutes + secs == int(seconds)
    elif seconds > 60:
        minutes, secs = (int(part) for part in text.split(":"))
        assert secs < 60 and 60 * minutes + secs == int(seconds)
    else:
        assert text == f"{int(seconds)}s"


# ------------------------------------------------------------------ errors
def test_bad_arguments_are_explained():
    with pytest.raises(ValueError, match=r"verbose must be 0.*got verbose=3"):
        Progbar(10, verbose=3)
    with pytest.raises(ValueError, match="width .* positive int; got width=0"):
        Progbar(10, width=0)
    with pytest.raises(ValueError, match="stateful_metrics or stateless_metrics, not both"):
        Progbar(10, stateful_metrics=["a"], stateless_metrics=["b"])
