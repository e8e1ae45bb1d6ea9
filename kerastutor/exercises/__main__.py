"""``python -m kerastutor.exercises list | show NAME | check NAME FILE``.

Exit status: 0 when the check passes (and for ``list``/``show``), 1 when it
fails or the file cannot be imported, 2 when the command is wrong (an unknown
exercise, a missing file or function, a bad option).
"""
import argparse
import sys
import traceback

from kerastutor import exercises


def _parser():
    parser = argparse.ArgumentParser(
        prog="python -m kerastutor.exercises",
        description="Graded exercises: write a building block of the library, get it graded.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("list", help="list the exercises, one per line")
    for name in ("show", "template"):
        show = commands.add_parser(name, help="print the starter file of an exercise")
        show.add_argument("name", help="the exercise, e.g. dense_backward")
    check = commands.add_parser("check", help="grade your function")
    check.add_argument("name", help="the exercise, e.g. dense_backward")
    check.add_argument("file", help="your .py file")
    check.add_argument("--function", help="the function's name (default: the exercise's)")
    check.add_argument("--examples", type=int, default=exercises.DEFAULT_EXAMPLES,
                       help="generated cases (default %(default)s)")
    return parser


def _list():
    width = max(map(len, exercises.EXERCISES))
    for name, exercise in exercises.EXERCISES.items():
        print(f"{name.ljust(width)}  {exercise.summary}")
    return 0


def _check(args):
    exercises.get(args.name)             # an unknown exercise is a usage error: exit 2
    try:
        function = exercises.load_function(args.file, args.function or args.name)
    except exercises.UsageError:
        raise
    except Exception as error:           # the learner's file failed to import
        print(f"Could not import {args.file}: {type(error).__name__}: {error}",
              file=sys.stderr)
        frames = traceback.extract_tb(error.__traceback__)
        if frames:
            print(f"  (line {frames[-1].lineno}: {frames[-1].line})", file=sys.stderr)
        return 1
    report = exercises.check(args.name, function, max_examples=args.examples)
    print(report)
    return 0 if report.passed else 1


def main(argv=None):
    """Run the command line; returns the exit status."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as stop:           # argparse has printed the usage
        return stop.code
    try:
        if args.command == "list":
            return _list()
        if args.command in ("show", "template"):
            print(exercises.template(args.name), end="")
            return 0
        return _check(args)
    except exercises.UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
