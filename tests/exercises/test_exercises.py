"""The graders: the library's solutions and a learner's right answers pass, wrong answers
fail with a report that names the mistake."""
import numpy as np
import pytest

from kerastutor import exercises
from kerastutor.exercises import grading

from answers import RIGHT, WRONG

NAMES = exercises.list_exercises()


def test_at_least_fifteen_exercises_each_with_a_right_answer_here():
    assert len(NAMES) >= 15
    assert sorted(NAMES) == sorted(RIGHT)
    for name in NAMES:
        exercise = exercises.get(name)
        assert exercise.summary and exercise.task and exercise.hints and exercise.library


@pytest.mark.parametrize("name", NAMES)
def test_the_library_solution_passes_every_stage(name):
    exercise = exercises.get(name)
    report = exercises.check(name, exercise.solution)
    assert report.passed, str(report)
    titles = [stage.title for stage in report.stages]
    assert titles[0] == "the fixed example" and titles[-1] == "generated cases"
    assert (exercise.numerical is not None) == (len(titles) == 3)
    assert f"{exercises.DEFAULT_EXAMPLES} cases" in report.stages[-1].detail
    assert str(report).endswith(f"PASSED: {name} agrees with the library on every case.")


@pytest.mark.parametrize("name", NAMES)
def test_an_independent_numpy_answer_passes(name):
    report = exercises.check(name, RIGHT[name])
    assert report.passed, str(report)


@pytest.mark.parametrize("name, answer, code, phrase", WRONG,
                         ids=[f"{w[0]}-{w[2]}" for w in WRONG])
def test_a_typical_wrong_answer_fails_with_its_mistake_named(name, answer, code, phrase):
    report = exercises.check(name, answer)
    assert not report.passed
    assert report.mistake == code, str(report)
    assert phrase in report.failure.problem + " " + report.hint
    text = str(report)
    assert "Hint: " + report.hint[:20] in text
    assert text.endswith(f"FAILED: {name}.")


def test_every_exercise_has_a_wrong_answer_in_the_tests():
    assert {w[0] for w in WRONG} == set(NAMES)


def test_the_report_prints_the_small_example_expected_and_got():
    report = exercises.check("dense_backward", lambda x, W, b, g: (g @ W.T, g.T @ x, g.sum(0)))
    text = str(report)
    assert "In the fixed example, with the inputs" in text
    inputs = exercises.get("dense_backward").example()
    assert "x = shape (3, 2):" in text and "grad_y = shape (3, 4):" in text
    assert "`grad_W`: wrong shape: expected (2, 4), got (4, 2)" in text
    expected_first = f"{(inputs['x'].T @ inputs['grad_y'])[0, 0]:.4g}"
    assert expected_first in text                    # the expected numbers, rounded
    assert "exactly the transpose" in text
    assert [s.passed for s in report.stages] == [False]   # stops at the first failure


def test_a_case_failing_only_on_generated_inputs_is_shrunk_to_a_small_one():
    def dense_backward(x, W, b, grad_y):             # wrong whenever n_in > 2
        grad_b = grad_y.sum(axis=0) * (1.5 if W.shape[0] > 2 else 1.0)
        return grad_y @ W.T, x.T @ grad_y, grad_b

    report = exercises.check("dense_backward", dense_backward)
    assert [s.passed for s in report.stages] == [True, True, False]
    failure = report.failure
    assert failure.output == "grad_b" and failure.mistake == "scale"
    assert "smallest failing one" in failure.case
    # hypothesis shrinks towards the smallest sizes that still fail
    assert failure.inputs["W"].shape[0] == 3 and failure.inputs["x"].shape[0] == 1
    assert "1.5 times the expected one" in str(report)


def test_generated_cases_are_the_same_on_every_run():
    seen = []

    def spy(x, W, b, grad_y):
        seen.append(x.shape)
        return RIGHT["dense_backward"](x, W, b, grad_y)

    exercises.check("dense_backward", spy)
    first, seen[:] = list(seen), []
    exercises.check("dense_backward", spy)
    assert seen == first and len(set(first)) > 3


@pytest.mark.parametrize("answer, code, phrase", [
    (lambda x: None, "returned_none", "return"),
    (lambda x: (_ for _ in ()).throw(NotImplementedError()), "not_written", "not written yet"),
    (lambda x: np.log(-np.abs(x)), "nan", "NaN"),
    (lambda x: np.ones(x.shape[::-1]), "transpose", "transposed shape"),
    (lambda x: np.ones(x.shape[1:]), "shape", "wrong shape"),
    (lambda x: "one", "dtype", "dtype"),
    (lambda x: (1 - np.tanh(x) ** 2).astype(np.float32) + 1e-3, "dtype", "float32"),
])
def test_general_problems_are_named(answer, code, phrase):
    with np.errstate(all="ignore"):
        report = exercises.check("tanh_derivative", answer)
    assert not report.passed and report.mistake == code, str(report)
    assert phrase in str(report)


def test_an_error_in_the_learners_code_is_reported_with_its_line(tmp_path):
    path = tmp_path / "mine.py"
    path.write_text("def tanh_derivative(x):\n    return x @ x\n")
    report = exercises.check("tanh_derivative", str(path))
    assert report.mistake == "error"
    assert "raised ValueError" in str(report) and "mine.py, line 2: return x @ x" in str(report)


def test_the_wrong_number_of_results_is_named():
    report = exercises.check("dense_backward", lambda x, W, b, g: (g @ W.T, x.T @ g))
    assert report.mistake == "outputs"
    assert "expected 3 results (grad_x, grad_W, grad_b), got 2 values" in str(report)


def test_the_learners_inputs_are_copies():
    def sgd_momentum_step(w, grad, velocity, learning_rate, momentum):
        velocity *= momentum                      # in place: harmless to the grader
        velocity -= learning_rate * grad
        w += velocity
        return w, velocity

    assert exercises.check("sgd_momentum_step", sgd_momentum_step).passed


def test_the_central_difference_stage_catches_a_wrong_gradient_of_ones_own_loss():
    # a loss and gradient that disagree with each other; the grader's oracle is bypassed
    mse = exercises.get("mse")
    lenient = grading.Exercise(**{**mse.__dict__, "rtol": 10.0, "atol": 10.0})
    report = grading.grade(lenient, lambda t, p: (np.mean((p - t) ** 2), (p - t) / p.size))
    assert [s.passed for s in report.stages] == [True, False]
    assert report.mistake == "numerical" and "central-difference derivative" in str(report)


def test_unknown_names_and_missing_functions_suggest_the_fix(tmp_path):
    with pytest.raises(exercises.UsageError, match="Did you mean 'dense_backward'"):
        exercises.check("dense_backwards", RIGHT["dense_backward"])
    path = tmp_path / "answer.py"
    path.write_text("def dense_backwrd(x, W, b, grad_y):\n    pass\n")
    with pytest.raises(exercises.UsageError, match="Did you mean 'dense_backwrd'"):
        exercises.check("dense_backward", path)
    with pytest.raises(exercises.UsageError, match="no file"):
        exercises.check("dense_backward", str(tmp_path / "missing.py"))
    with pytest.raises(exercises.UsageError, match="expected your function"):
        exercises.check("dense_backward", 3)


def test_a_function_with_another_name_is_graded_with_function_name(tmp_path):
    path = tmp_path / "answer.py"
    path.write_text("import numpy as np\n\ndef mine(x):\n    return (x > 0).astype(x.dtype)\n")
    assert exercises.check("relu_derivative", path, function_name="mine").passed


@pytest.mark.parametrize("name", NAMES)
def test_the_template_is_a_starter_that_is_not_written_yet(name, tmp_path):
    text = exercises.template(name, "answer.py")
    exercise = exercises.get(name)
    assert f"def {name}({', '.join(exercise.arguments)}):" in text
    assert f"python -m kerastutor.exercises check {name} answer.py" in text
    path = tmp_path / "answer.py"
    path.write_text(text)
    report = exercises.check(name, path)
    assert report.mistake == "not_written" and "not written yet" in str(report)


def test_without_hypothesis_seeded_numpy_draws_are_used(monkeypatch):
    import builtins
    real_import = builtins.__import__

    def no_hypothesis(name, *args, **kwargs):
        if name == "hypothesis" or name.startswith("hypothesis."):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_hypothesis)
    report = exercises.check("dense_backward", RIGHT["dense_backward"], max_examples=5)
    assert report.passed and report.stages[-1].detail == "5 cases, seeded NumPy draws"
    bad = exercises.check("dense_backward",
                          lambda x, W, b, g: (g @ W.T, x.T @ g, g.sum(0) * (len(x) != 2)),
                          max_examples=20)
    assert not bad.passed and bad.failure.case.startswith("generated case")


def test_an_integer_gradient_is_named_as_a_dtype_problem():
    def embedding_backward(ids, grad_y, input_dim):
        grad = np.zeros((input_dim, grad_y.shape[-1]), dtype=ids.dtype)
        np.add.at(grad, ids.ravel(), grad_y.reshape(-1, grad_y.shape[-1]).astype(ids.dtype))
        return grad

    report = exercises.check("embedding_backward", embedding_backward)
    assert report.mistake == "dtype" and "integer dtype" in str(report)
