"""Run every lesson script (``python lessons/run_all.py --quick`` in CI).

Each lesson runs in its own process, exactly as a learner would start it;
the first failure stops the run with the lesson's output. Every file named
``NN_*.py`` in this folder is a lesson (``00_step_through.py`` to
``08_text_classification.py``), so a new lesson is registered by its name
alone -- here and in the book's gallery (``filename_pattern`` in docs/conf.py).
"""
import pathlib
import subprocess
import sys


def main():
    here = pathlib.Path(__file__).parent
    lessons = sorted(p for p in here.glob("[0-9][0-9]_*.py"))
    extra = sys.argv[1:]
    for lesson in lessons:
        print(f"=== {lesson.name} {' '.join(extra)}", flush=True)
        result = subprocess.run([sys.executable, str(lesson), *extra])
        if result.returncode:
            print(f"lesson {lesson.name} failed with exit code {result.returncode}")
            return result.returncode
    print(f"{len(lessons)} lessons ran")
    return 0


if __name__ == "__main__":
    sys.exit(main())
