"""Step-through events a person can read, the pause between them, and Lesson 0 in a terminal."""
import io
import os
import pathlib
import pty
import select
import subprocess
import sys
import time

import numpy as np
import pytest

import kerastutor as keras
from kerastutor import events
from kerastutor.trace import stepping

ROOT = pathlib.Path(__file__).resolve().parents[2]
LESSON = ROOT / "lessons" / "00_step_through.py"
CHAPTER = ROOT / "docs" / "concepts" / "dense_backprop.rst"


@pytest.fixture(autouse=True)
def _nobody_left_listening():
    yield
    assert not events.listening(), f"listeners left subscribed: {events._LISTENERS}"


def iris_step_events():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(8, 4)).astype("float32"), np.arange(8) % 3
    model = keras.Sequential([keras.Input(shape=(4,)),
                              keras.layers.Dense(5, activation="relu"),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1),
                  loss="sparse_categorical_crossentropy")
    model.train_on_batch(x, y)            # build first: the step below is an ordinary one
    return list(keras.trace.step_through(model, x, y))


# ============================================================ how events read
def test_every_event_has_a_one_line_repr():
    seen = iris_step_events()
    for event in seen:
        text = repr(event)
        assert "\n" not in text and "object at 0x" not in text and len(text) < 120, text
        assert text.startswith(f"{type(event).__name__}(#{event.number}, ")
    forward, _, loss, backward, first_backward, update = seen[:6]
    assert repr(forward) == (f"Forward(#1, layer='dense', input (8, 4) -> output (8, 5), "
                             f"output mean {forward.output.mean():.3g})")
    assert repr(loss) == f"Loss(#3, L={loss.value:.6g}, dL/dy_pred (8, 3))"
    assert repr(backward) == ("Backward(#4, layer='dense_1', dL/dy (8, 3) -> dL/dx (8, 5), "
                              "dL/dW for kernel, bias)")
    assert "no dL/dx (x is the data)" in repr(first_backward)
    assert repr(update) == (f"Update(#6, weight='dense/kernel' (4, 5), ||update|| "
                            f"{np.linalg.norm(update.delta):.3g}, update/W {update.ratio:.2g})")
    assert repr(keras.trace.Event()) == "Event(#0, kind 'event')"


def test_printed_events_show_their_numbers_within_80_columns():
    seen = iris_step_events()
    texts = [str(event) for event in seen]
    assert all(len(line) <= 80 for text in texts for line in text.splitlines())
    assert texts[0].startswith("  1. forward   dense (relu): x (8,4) -> y (8,5)\n")
    assert "y: mean" in texts[0] and "zeros" in texts[0]
    assert "dL/dW: kernel (5,3) rms" in texts[3] and "; bias (3,) rms" in texts[3]
    bias_update = next(e for e in seen if e.kind == "update" and e.weight.name == "bias")
    if not np.any(bias_update.before):       # a fresh bias: no ratio to speak of
        assert "update/W - (W was 0)" in str(bias_update)
    assert "<pre" in seen[0]._repr_html_() and "dense (relu)" in seen[0]._repr_html_()


# ============================================================ pausing
class Lines(io.StringIO):
    """Input that notes in ``log`` each time it is read."""

    def __init__(self, text, log):
        super().__init__(text)
        self.log = log

    def readline(self, *args):
        self.log.append("wait")
        return super().readline(*args)


def test_pause_waits_after_each_loop_body():
    log, out = [], io.StringIO()
    pause = keras.trace.Pause(enabled=True, stdin=Lines("\n" * 5, log), stdout=out)
    for event in pause(["a", "b", "c"]):
        log.append(event)
    assert log == ["a", "wait", "b", "wait", "c", "wait"]
    assert out.getvalue() == (stepping.PROMPT + "\n") * 3   # no echo in a file: a newline


def test_q_stops_waiting_for_good_and_every_event_still_comes():
    log, out = [], io.StringIO()
    pause = keras.trace.Pause(enabled=True, stdin=Lines("\nq\n\n\n", log), stdout=out)
    first = [event for event in pause(range(4))]
    second = [event for event in pause(range(3))]          # a later loop: no waiting either
    assert first == [0, 1, 2, 3] and second == [0, 1, 2]
    assert log.count("wait") == 2 and not pause.enabled


def test_the_end_of_input_stops_waiting():
    log = []
    pause = keras.trace.Pause(enabled=True, stdin=Lines("", log), stdout=io.StringIO())
    assert list(pause("xyz")) == list("xyz") and log == ["wait"]


class Unreadable:
    def readline(self):
        raise AssertionError("nobody should wait here")

    def isatty(self):
        return False


def test_no_waiting_when_disabled_or_not_in_a_terminal_or_after_break():
    assert list(keras.trace.Pause(enabled=False, stdin=Unreadable())(range(3))) == [0, 1, 2]
    files = keras.trace.Pause(stdin=io.StringIO("\n"), stdout=io.StringIO())
    assert not files.enabled                                  # not a terminal: run through
    always = keras.trace.Pause(enabled=True, stdin=Unreadable(), stdout=io.StringIO())
    for _ in always(range(3)):
        break                                                 # leaving early: no prompt
    assert always.stdout.getvalue() == ""


def test_interactive_terminal_needs_both_ends_to_be_terminals_and_no_ci(monkeypatch):
    master, slave = pty.openpty()
    with os.fdopen(slave, "r") as terminal_in, os.fdopen(os.dup(slave), "w") as terminal_out:
        monkeypatch.delenv("CI", raising=False)
        assert keras.trace.interactive_terminal(terminal_in, terminal_out)
        assert not keras.trace.interactive_terminal(terminal_in, io.StringIO())
        assert not keras.trace.interactive_terminal(io.StringIO(), terminal_out)
        monkeypatch.setenv("CI", "true")
        assert not keras.trace.interactive_terminal(terminal_in, terminal_out)
    os.close(master)
    assert not keras.trace.interactive_terminal(object(), object())   # no isatty at all


def test_on_a_terminal_the_answered_prompt_is_erased():
    master, slave = pty.openpty()
    with os.fdopen(slave, "w") as terminal:
        pause = keras.trace.Pause(enabled=True, stdin=io.StringIO("\n"), stdout=terminal)
        pause.wait()
    erase = b"\x1b[1A\x1b[2K"
    written = b""
    # A pseudo-terminal may hand the bytes over in more than one read.
    while not written.endswith(erase) and select.select([master], [], [], 5)[0]:
        written += os.read(master, 4096)
    os.close(master)
    assert written.startswith(stepping.PROMPT.encode())
    assert written.endswith(erase)


# ============================================================ Lesson 0
def lesson_env():
    """The environment of a learner's shell: not CI, not the book, not the device suite."""
    env = dict(os.environ)
    for name in ("CI", "KERASTUTOR_DOCS_QUICK", "KERASTUTOR_DEVICE"):
        env.pop(name, None)
    return env


def test_lesson_0_runs_straight_through_in_quick_mode_within_80_columns():
    result = subprocess.run([sys.executable, str(LESSON), "--quick"], capture_output=True,
                            text=True, env=lesson_env(), cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80, max(lines, key=len)
    assert stepping.PROMPT.strip() not in result.stdout
    # The chapter's layer: every number matches the hand-worked one, W_new included ...
    assert sum("matches the chapter's hand-worked one" in line for line in lines) == 7
    chapter = CHAPTER.read_text()
    for row in ("[[ 0.525  -0.9625]", "[ 1.0625  0.6   ]", "[-0.5375  0.925 ]]"):
        assert row in result.stdout and row in chapter
    # ... and the Iris network's 4x3 kernel is printed with its update and the check.
    assert "W_new = W - 0.1 * dL/dW holds: True" in result.stdout
    assert result.stdout.count("gradcheck: OK") == 2


def read_until(fd, marker, timeout=60.0):
    """What the terminal shows until ``marker`` appears (or the program ends)."""
    seen, deadline = b"", time.monotonic() + timeout
    while marker not in seen:
        ready, _, _ = select.select([fd], [], [], max(deadline - time.monotonic(), 0))
        if not ready:
            raise AssertionError(f"no {marker!r} within {timeout}s; the terminal shows "
                                 f"{seen[-1500:]!r}")
        try:
            chunk = os.read(fd, 4096)
        except OSError:                   # the lesson ended and closed the terminal
            chunk = b""
        if not chunk:
            break
        seen += chunk
    return seen


def run_in_a_terminal(*arguments):
    master, slave = pty.openpty()
    process = subprocess.Popen([sys.executable, str(LESSON), *arguments], stdin=slave,
                               stdout=slave, stderr=slave, env=lesson_env(), cwd=ROOT)
    os.close(slave)
    return process, master


def test_lesson_0_waits_for_enter_at_each_event_in_a_terminal():
    process, terminal = run_in_a_terminal()
    try:
        shown = read_until(terminal, b"press Enter")
        assert b"1. forward" in shown and b"2. loss" not in shown
        # Nobody pressed Enter: nothing more appears, the lesson is waiting.
        assert select.select([terminal], [], [], 1.0)[0] == [] and process.poll() is None
        os.write(terminal, b"\n")
        shown = read_until(terminal, b"press Enter")
        assert b"2. loss" in shown and b"3. backward" not in shown
        os.write(terminal, b"q\n")                     # run to the end
        rest = read_until(terminal, b"no such marker: read to the end")
        assert process.wait(timeout=60) == 0
        assert b"Part 2" in rest and b"hints:" in rest and b"press Enter" not in rest
    finally:
        if process.poll() is None:
            process.kill()
        os.close(terminal)


def test_lesson_0_with_no_pause_runs_through_in_a_terminal():
    process, terminal = run_in_a_terminal("--no-pause")
    try:
        shown = read_until(terminal, b"no such marker: read to the end")
        assert process.wait(timeout=60) == 0
        assert b"hints:" in shown and b"press Enter" not in shown
    finally:
        if process.poll() is None:
            process.kill()
        os.close(terminal)
