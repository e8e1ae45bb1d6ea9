"""Fixtures for the dataset loader tests: an empty Keras cache of their own."""
import pytest


@pytest.fixture
def datasets(tmp_path, monkeypatch):
    """``<KERAS_HOME>/datasets`` of a fresh, empty KERAS_HOME: where the loaders look."""
    folder = tmp_path / "keras_home" / "datasets"
    folder.mkdir(parents=True)
    monkeypatch.setenv("KERAS_HOME", str(folder.parent))
    return folder
