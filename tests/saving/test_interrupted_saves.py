"""Kill -9 during saves and backups: nothing is left behind, training resumes exactly.

Each test starts a child process -- this file run as a script -- that saves or
trains in a loop, and ends it with SIGKILL: after a random delay (the delays
come from a seeded generator, so the run checks the same things each time;
only where the kill lands varies), or deterministically just before its n-th
``os.replace``. Then the parent checks the promises of
:mod:`kerastutor.saving.atomic` and :class:`kerastutor.callbacks.BackupAndRestore`:

* after the next save to the same path no ``.<name>.*.tmp`` file remains, and
  a live writer's temporary file is never touched;
* a restarted ``fit`` resumes from the last complete backup (``double_checkpoint``
  both ways) and ends bit-for-bit where an uninterrupted run ends.
"""
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import kerastutor as keras
from kerastutor import layers
from kerastutor.saving import atomic

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL (POSIX)")

EPOCHS = 30
X = np.random.default_rng(0).normal(size=(40, 4)).astype("float32")
Y = np.random.default_rng(1).integers(0, 3, size=40)


def training_model():
    """Dropout and shuffling draw from the RNG, Adam has moments: all must be restored."""
    keras.utils.set_random_seed(11)
    model = keras.Sequential([keras.Input((4,)), layers.Dense(16, activation="relu"),
                              layers.Dropout(0.3), layers.BatchNormalization(),
                              layers.Dense(3, activation="softmax")])
    model.compile(keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy")
    return model


def big_model(units):
    """Large enough that a save spends most of its time writing its temporary file."""
    keras.utils.set_random_seed(3)
    return keras.Sequential([keras.Input((units,)), layers.Dense(units), layers.Dense(3)])


def fit_with_backup(model, backup_dir, double_checkpoint, callbacks=()):
    backup = keras.callbacks.BackupAndRestore(backup_dir, double_checkpoint=double_checkpoint)
    model.fit(X, Y, batch_size=8, epochs=EPOCHS, verbose=0,
              callbacks=[backup, *callbacks])
    return model


# ====================================================================== the child
class Reporter(keras.callbacks.Callback):
    """Tells the parent which epoch training starts at and which backups are committed.

    It comes after BackupAndRestore in the list, so "committed k" is printed only
    once the backup of epoch k is on disk (a kill may still fall just before it).
    """

    def on_epoch_begin(self, epoch, logs=None):
        if not getattr(self, "started", False):
            self.started = True
            print(f"begin {epoch}", flush=True)

    def on_epoch_end(self, epoch, logs=None):
        print(f"committed {epoch + 1}", flush=True)

    def on_train_end(self, logs=None):
        print("done", flush=True)


def die_before_replace(number):
    """Make the ``number``-th call of os.replace kill this process instead (1-based)."""
    real_replace, calls = os.replace, [0]

    def replace(source, target):
        calls[0] += 1
        if calls[0] == number:
            os.kill(os.getpid(), signal.SIGKILL)
        return real_replace(source, target)
    os.replace = replace


def child(mode, *args):
    if mode == "save":                      # save forever, alternating the two formats
        directory, units = args[0], int(args[1])
        model = big_model(units)
        print("ready", flush=True)
        while True:
            model.save(os.path.join(directory, "model.keras"))
            model.save_weights(os.path.join(directory, "model.weights.h5"))
    elif mode == "die-in-save":             # killed inside the body: a temp file is certain
        with atomic.atomic_write(args[0]) as temporary:
            with open(temporary, "wb") as handle:
                handle.write(b"half a model")
            os.kill(os.getpid(), signal.SIGKILL)
    elif mode == "slow-save":               # a live writer that waits for the parent
        with atomic.atomic_write(args[0]) as temporary:
            with open(temporary, "wb") as handle:
                handle.write(b"the live writer's model")
            print("writing", flush=True)
            sys.stdin.readline()
    elif mode == "train":
        backup_dir, double_checkpoint, die_at = args[0], args[1] == "1", int(args[2])
        if die_at:
            die_before_replace(die_at)
        model = training_model()
        print("ready", flush=True)
        fit_with_backup(model, backup_dir, double_checkpoint, [Reporter()])


def start_child(*args, stdin=None):
    return subprocess.Popen([sys.executable, os.path.abspath(__file__), *map(str, args)],
                            stdout=subprocess.PIPE, stdin=stdin, text=True)


def wait_for(process, word):
    line = process.stdout.readline()
    assert line.strip() == word, f"child said {line!r}, expected {word!r}"


def kill(process):
    process.kill()                          # SIGKILL on POSIX
    output = process.stdout.read()
    process.wait()
    return output


def temporaries(directory):
    return sorted(name for name in os.listdir(directory) if name.endswith(".tmp"))


# ====================================================================== temp files
def test_a_writer_killed_mid_save_leaves_a_temp_file_that_the_next_save_removes(tmp_path):
    target = tmp_path / "model.keras"
    process = start_child("die-in-save", target)
    process.communicate()
    assert process.returncode == -signal.SIGKILL
    [leftover] = temporaries(tmp_path)
    assert leftover.startswith(f".model.keras.{process.pid}@")
    assert not target.exists()                       # the old (absent) file is untouched
    big_model(8).save(target)
    assert temporaries(tmp_path) == []
    keras.models.load_model(target)


def test_a_live_writers_temp_file_is_never_removed(tmp_path):
    target = tmp_path / "model.weights.h5"
    writer = start_child("slow-save", target, stdin=subprocess.PIPE)
    try:
        wait_for(writer, "writing")
        big_model(8).save_weights(target)            # our save goes through beside it ...
        assert len(temporaries(tmp_path)) == 1       # ... and leaves the live one alone
    finally:
        writer.communicate("go on\n")
    assert writer.returncode == 0
    assert temporaries(tmp_path) == []
    assert target.read_bytes() == b"the live writer's model"      # the last rename wins


def test_only_dead_writers_on_this_host_count_as_stale(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    host = atomic._host()
    names = {f".m.keras.{dead.pid}@{host}.abc.tmp": False,         # dead here: removed
             f".m.keras.{os.getpid()}@{host}.abc.tmp": True,       # ourselves: kept
             f".m.keras.{dead.pid}@elsewhere-{host}.abc.tmp": True,  # other machine: kept
             ".m.keras.x7q2k9.tmp": True,                         # unknown format: kept
             f".other.keras.{dead.pid}@{host}.abc.tmp": True}       # another target: kept
    for name in names:
        (tmp_path / name).write_bytes(b"")
    removed = atomic.remove_stale_temporaries(tmp_path / "m.keras")
    assert [os.path.basename(p) for p in removed] == \
        [name for name, kept in names.items() if not kept]
    assert sorted(os.listdir(tmp_path)) == sorted(n for n, kept in names.items() if kept)


def test_saves_killed_at_random_instants_leave_nothing_after_the_next_save(tmp_path):
    delays = np.random.default_rng(2024).uniform(0.05, 0.6, size=6)
    left_behind = 0
    for delay in delays:
        process = start_child("save", tmp_path, 400)
        wait_for(process, "ready")
        time.sleep(delay)
        kill(process)
        left_behind += len(temporaries(tmp_path))
        replacement = big_model(8)
        replacement.save(tmp_path / "model.keras")
        replacement.save_weights(tmp_path / "model.weights.h5")
        assert temporaries(tmp_path) == []
        keras.models.load_model(tmp_path / "model.keras")
    # Where each kill lands varies from run to run; reported, not asserted.
    print(f"{left_behind} temporary files of killed writers were cleaned up")


# ====================================================================== backups
@pytest.fixture(scope="module")
def uninterrupted_weights():
    model = training_model()
    model.fit(X, Y, batch_size=8, epochs=EPOCHS, verbose=0)
    return model.get_weights()


def assert_resumes_exactly(backup_dir, double_checkpoint, expected_start, expected_weights):
    started = []
    model = fit_with_backup(training_model(), backup_dir, double_checkpoint,
                            [keras.callbacks.LambdaCallback(
                                on_epoch_begin=lambda epoch, logs: started.append(epoch))])
    start = started[0] if started else EPOCHS     # a complete backup leaves nothing to train
    assert start in expected_start, \
        f"resumed at epoch {start}, expected one of {sorted(expected_start)}"
    for resumed, straight in zip(model.get_weights(), expected_weights):
        np.testing.assert_array_equal(resumed, straight)
    assert temporaries(backup_dir) == []
    assert not os.path.exists(os.path.join(backup_dir, "latest.weights.h5"))


# Kill just before the n-th os.replace of a training run. Each backup renames the new
# weights file into place, then the readable JSON copy; with double_checkpoint, a backup
# that finds an older one first moves that to .bkp. So the renames are:
#   double_checkpoint=False: 1 epoch-1 weights, 2 json | 3 epoch-2 weights, 4 json
#   double_checkpoint=True:  1 epoch-1 weights, 2 json | 3 latest -> .bkp, 4 epoch-2 weights,
#                            5 json
@pytest.mark.parametrize("double_checkpoint, die_at, resume_at", [
    (False, 3, 1), (False, 4, 2),                 # 4: the JSON copy lags; the file knows
    (True, 3, 1), (True, 4, 1), (True, 5, 2),     # 4: only the .bkp exists at that instant
])
def test_a_kill_between_the_renames_resumes_from_the_last_complete_backup(
        tmp_path, uninterrupted_weights, double_checkpoint, die_at, resume_at):
    process = start_child("train", tmp_path, int(double_checkpoint), die_at)
    process.communicate()
    assert process.returncode == -signal.SIGKILL
    assert_resumes_exactly(str(tmp_path), double_checkpoint, {resume_at},
                           uninterrupted_weights)


@pytest.mark.parametrize("double_checkpoint", [False, True])
def test_training_killed_at_random_instants_resumes_bit_identically(
        tmp_path, uninterrupted_weights, double_checkpoint):
    """A chain of restarts, each killed at a random instant, then one that finishes."""
    delays = np.random.default_rng(7 + double_checkpoint).uniform(0.0, 0.5, size=4)
    backup_dir = str(tmp_path / "backup")
    possible_starts = {0}
    for delay in delays:
        process = start_child("train", backup_dir, int(double_checkpoint), 0)
        wait_for(process, "ready")
        time.sleep(delay)
        lines = kill(process).split()
        starts = [int(n) for word, n in zip(lines, lines[1:]) if word == "begin"]
        if not starts:                           # killed before its first epoch: no new backup
            continue
        assert starts[0] in possible_starts
        if "done" in lines:                      # finished, backup deleted: a fresh start next
            possible_starts = {0}
            continue
        committed = [int(n) for word, n in zip(lines, lines[1:]) if word == "committed"]
        # The last announced backup, or the next one if the kill cut off its announcement.
        last = committed[-1] if committed else starts[0]
        possible_starts = {last, last + 1} if last < EPOCHS else {EPOCHS, 0}
    assert_resumes_exactly(backup_dir, double_checkpoint, possible_starts,
                           uninterrupted_weights)



def test_a_damaged_latest_backup_falls_back_to_the_bkp(tmp_path, uninterrupted_weights):
    backup_dir = str(tmp_path)
    first_three = keras.callbacks.BackupAndRestore(backup_dir, double_checkpoint=True,
                                                   delete_checkpoint=False)
    training_model().fit(X, Y, batch_size=8, epochs=3, verbose=0, callbacks=[first_three])
    latest = tmp_path / "latest.weights.h5"
    latest.write_bytes(latest.read_bytes()[:100])          # a torn write, say
    with pytest.warns(UserWarning, match="resumes from the previous backup"):
        assert_resumes_exactly(backup_dir, True, {2}, uninterrupted_weights)
    assert (tmp_path / "latest.weights.h5.damaged").exists()     # kept for a post-mortem


if __name__ == "__main__":
    child(*sys.argv[1:])
