"""The book's exercise pages are generated from the package and committed: they must be
current, state the task with its formulas, and not show the solution."""
import importlib.util
import pathlib

import pytest

from kerastutor import exercises

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "docs" / "tools" / "make_exercise_pages.py"


def _pages_module():
    spec = importlib.util.spec_from_file_location("make_exercise_pages", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_pages_are_current(capsys):
    stale = _pages_module().main(["--check"])
    assert stale == 0, ("docs/exercises is out of date; run "
                        "python docs/tools/make_exercise_pages.py\n" + capsys.readouterr().out)


@pytest.mark.parametrize("name", exercises.list_exercises())
def test_each_page_has_the_task_the_starter_and_the_command_but_no_solution(name):
    exercise = exercises.get(name)
    text = _pages_module().page_text(exercise)
    assert ".. math::" in text
    assert f"python -m kerastutor.exercises check {name} {name}.py" in text
    assert f"def {name}({', '.join(exercise.arguments)}):" in text
    assert "<details><summary>Hints</summary>" in text
    for library_name in exercise.library:
        assert f":py:obj:`{library_name}`" in text
    assert text.count("def ") == 1                 # the starter's signature, nothing more
    assert "    return " not in text                 # no code that returns an answer


def test_the_index_lists_every_exercise_and_explains_the_grading():
    module = _pages_module()
    text = module.index_text(exercises)
    for name in exercises.list_exercises():
        assert f":ref:`{name} <exercise-{name}>`" in text and f"   {name}\n" in text
    for phrase in ("The fixed example", "Central differences", "Generated cases",
                   "exits with status 0"):
        assert phrase in text
    assert "   `grad_W`: wrong shape: expected (2, 4), got (4, 2)" in text   # a real report
