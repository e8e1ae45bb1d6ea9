"""``python -m kerastutor.exercises``: list, show, check, and the exit statuses."""
import os
import pathlib
import subprocess
import sys

import pytest

from kerastutor import exercises
from kerastutor.exercises.__main__ import main

ROOT = pathlib.Path(__file__).resolve().parents[2]

RIGHT_RELU = "import numpy as np\n\ndef relu_derivative(x):\n    return (x > 0).astype(x.dtype)\n"
WRONG_RELU = "import numpy as np\n\ndef relu_derivative(x):\n    return np.maximum(x, 0)\n"


def test_list_prints_one_exercise_per_line_with_its_summary(capsys):
    assert main(["list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == exercises.list_exercises()
    assert lines[0].split(None, 1)[1] == exercises.get(lines[0].split()[0]).summary


@pytest.mark.parametrize("command", ["show", "template"])
def test_show_prints_a_starter_file_that_compiles(command, capsys):
    assert main([command, "adam_step"]) == 0
    text = capsys.readouterr().out
    compile(text, "adam_step.py", "exec")
    assert "def adam_step(w, grad, m, v, t, learning_rate, beta_1, beta_2, epsilon):" in text
    assert 'raise NotImplementedError("adam_step: not written yet")' in text
    assert "alpha = learning_rate * sqrt(1 - beta_2**t) / (1 - beta_1**t)" in text


def test_check_exits_0_on_a_right_answer_and_1_on_a_wrong_one(tmp_path, capsys):
    right, wrong = tmp_path / "right.py", tmp_path / "wrong.py"
    right.write_text(RIGHT_RELU)
    wrong.write_text(WRONG_RELU)
    assert main(["check", "relu_derivative", str(right)]) == 0
    assert "PASSED: relu_derivative" in capsys.readouterr().out
    assert main(["check", "relu_derivative", str(wrong)]) == 1
    out = capsys.readouterr().out
    assert "FAIL  the fixed example" in out and "relu(x) itself" in out


def test_usage_errors_exit_2_with_a_message(tmp_path, capsys):
    assert main(["check", "relu_derivatve", str(tmp_path / "a.py")]) == 2
    assert "Did you mean 'relu_derivative'?" in capsys.readouterr().err
    assert main(["check", "relu_derivative", str(tmp_path / "missing.py")]) == 2
    assert "no file" in capsys.readouterr().err
    assert main(["show", "nothing_like_it"]) == 2
    assert main(["frobnicate"]) == 2
    assert main([]) == 2
    path = tmp_path / "other.py"
    path.write_text(RIGHT_RELU.replace("def relu_derivative", "def mine"))
    assert main(["check", "relu_derivative", str(path)]) == 2
    assert "--function" in capsys.readouterr().err
    assert main(["check", "relu_derivative", str(path), "--function", "mine"]) == 0


def test_a_file_that_does_not_import_exits_1_with_its_error(tmp_path, capsys):
    path = tmp_path / "broken.py"
    path.write_text("def relu_derivative(x):\n    return x +\n")
    assert main(["check", "relu_derivative", str(path)]) == 1
    err = capsys.readouterr().err
    assert "Could not import" in err and "SyntaxError" in err


def test_a_real_run_of_python_m_kerastutor_exercises_check(tmp_path):
    path = tmp_path / "wrong.py"
    path.write_text(WRONG_RELU)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    run = subprocess.run([sys.executable, "-m", "kerastutor.exercises", "check",
                          "relu_derivative", str(path)], capture_output=True, text=True,
                         env=env, cwd=tmp_path, timeout=120)
    assert run.returncode == 1, run.stderr
    assert "FAILED: relu_derivative." in run.stdout
    assert "Hint: that is relu(x) itself" in run.stdout
