"""get, serialize, deserialize, names and the Keras functions and aliases."""
import numpy as np
import pytest

from kerastutor import losses
from loss_cases import CCE_LOGITS, CCE_PROBS, F, MSE_PRED, MSE_TRUE


# ========================================================= get and names
@pytest.mark.parametrize("identifier, cls", [
    ("mse", losses.MeanSquaredError), ("MAE", losses.MeanAbsoluteError),
    ("mape", losses.MeanAbsolutePercentageError), ("msle", losses.MeanSquaredLogarithmicError),
    ("kld", losses.KLDivergence), ("BCE", losses.BinaryCrossentropy),
    ("huber", losses.Huber), ("log_cosh", losses.LogCosh),
    ("categorical_crossentropy", losses.CategoricalCrossentropy),
    ("sparse_categorical_crossentropy", losses.SparseCategoricalCrossentropy),
    ("cosine_similarity", losses.CosineSimilarity), ("poisson", losses.Poisson),
    ("hinge", losses.Hinge), ("squared_hinge", losses.SquaredHinge),
    ("categorical_hinge", losses.CategoricalHinge)])
def test_get_function_names_take_the_identifier_as_name(identifier, cls):
    loss = losses.get(identifier)
    assert type(loss) is cls and loss.name == identifier


def test_get_other_identifiers():
    assert losses.get("CategoricalCrossentropy").name == "categorical_crossentropy"
    instance = losses.Huber(delta=2.0)
    assert losses.get(instance) is instance and losses.get(None) is None
    assert isinstance(losses.get(losses.Poisson), losses.Poisson)
    from_function = losses.get(losses.binary_crossentropy)
    assert type(from_function) is losses.BinaryCrossentropy
    assert losses.get(losses.mse).name == "mean_squared_error"
    assert losses.get(losses.serialize(instance)).delta == 2.0
    with pytest.raises(ValueError, match="Could not interpret loss identifier 3"):
        losses.get(3)


def test_unknown_names_suggest_the_closest():
    with pytest.raises(ValueError, match="Unknown loss 'binary_crossentropi'. Did you mean "
                                         "'binary_crossentropy'"):
        losses.get("binary_crossentropi")
    for name in ("crossentropy", "ce", "huber_loss", "logcosh"):    # not names, as in Keras
        with pytest.raises(ValueError, match=f"Unknown loss '{name}'"):
            losses.get(name)
    with pytest.raises(ValueError, match="picks binary, categorical or sparse"):
        losses.get("crossentropy")


@pytest.mark.parametrize("identifier, cls", [
    ("binary_focal_crossentropy", losses.BinaryFocalCrossentropy),
    ("categorical_focal_crossentropy", losses.CategoricalFocalCrossentropy),
    ("dice", losses.Dice), ("tversky", losses.Tversky)])
def test_focal_and_overlap_names(identifier, cls):
    loss = losses.get(identifier)
    assert type(loss) is cls and loss.name == identifier
    assert type(losses.get(cls.__name__)) is cls and cls().name == identifier
    assert identifier in losses.__all__ and cls.__name__ in losses.__all__
    assert type(losses.get(getattr(losses, identifier))) is cls
    assert not cls.has_kinks


def test_resolve_crossentropy_by_shapes():
    assert losses.resolve_crossentropy((8,), (None, 3)) == "sparse_categorical_crossentropy"
    assert losses.resolve_crossentropy((8, 1), (None, 3)) == "sparse_categorical_crossentropy"
    assert losses.resolve_crossentropy((8, 3), (None, 3)) == "categorical_crossentropy"
    assert losses.resolve_crossentropy((8,), (None, 1)) == "binary_crossentropy"
    assert losses.resolve_crossentropy(np.zeros((8, 1)), np.zeros((8, 1))) == \
        "binary_crossentropy"


def test_functions_and_aliases_return_per_sample_values():
    y, p = np.eye(3, dtype=F), CCE_PROBS
    np.testing.assert_array_equal(losses.categorical_crossentropy(y, p),
                                  losses.CategoricalCrossentropy(reduction=None)(y, p))
    np.testing.assert_allclose(losses.sparse_categorical_crossentropy([0, 1, 2], CCE_LOGITS,
                                                                      from_logits=True),
                               [0.001822, 0.000459, 0.169846], rtol=1e-3)
    assert losses.binary_crossentropy(y, p).shape == (3,)
    assert losses.mse is losses.MSE is losses.mean_squared_error
    assert losses.bce is losses.BCE is losses.binary_crossentropy
    np.testing.assert_allclose(losses.mae(MSE_TRUE, MSE_PRED), [14 / 3, 19 / 3], rtol=1e-6)


# ========================================================= serialization
ALL_LOSSES = [
    losses.MeanSquaredError(reduction="sum", name="custom"),
    losses.MeanAbsoluteError(), losses.MeanAbsolutePercentageError(),
    losses.MeanSquaredLogarithmicError(), losses.Huber(delta=0.5), losses.LogCosh(),
    losses.Hinge(), losses.SquaredHinge(), losses.CategoricalHinge(), losses.KLDivergence(),
    losses.Poisson(), losses.CosineSimilarity(axis=1),
    losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.2),
    losses.CategoricalCrossentropy(label_smoothing=0.1, axis=1),
    losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=255, reduction=None)]


@pytest.mark.parametrize("loss", ALL_LOSSES, ids=lambda loss: type(loss).__name__)
def test_serialize_round_trip(loss):
    config = losses.serialize(loss)
    assert config["module"] == "keras.losses" and config["class_name"] == type(loss).__name__
    clone = losses.deserialize(config)
    assert type(clone) is type(loss) and clone.get_config() == loss.get_config()


def test_configs_have_keras_keys():
    assert losses.MeanSquaredError().get_config() == {"name": "mean_squared_error",
                                                      "reduction": "sum_over_batch_size"}
    assert losses.SparseCategoricalCrossentropy().get_config() == {
        "name": "sparse_categorical_crossentropy", "reduction": "sum_over_batch_size",
        "from_logits": False, "ignore_class": None, "axis": -1}
    assert set(losses.BinaryCrossentropy().get_config()) == {
        "name", "reduction", "from_logits", "label_smoothing", "axis"}
    assert losses.Huber().get_config()["delta"] == 1.0


@pytest.mark.parametrize("loss", [
    losses.BinaryFocalCrossentropy(True, 0.4, 3.0, True, 0.1, name="bfce"),
    losses.CategoricalFocalCrossentropy(alpha=[0.1, 0.9], gamma=1.0, name="cfce"),
    losses.Dice(name="mydice", axis=(1, 2)),
    losses.Tversky(alpha=0.2, beta=0.8, name="mytversky", reduction="sum")],
    ids=lambda loss: type(loss).__name__)
def test_focal_and_overlap_round_trip(loss):
    clone = losses.deserialize(losses.serialize(loss))
    assert type(clone) is type(loss) and clone.get_config() == loss.get_config()


def test_focal_and_overlap_configs_have_keras_keys():
    assert losses.BinaryFocalCrossentropy().get_config() == {
        "name": "binary_focal_crossentropy", "reduction": "sum_over_batch_size",
        "from_logits": False, "label_smoothing": 0.0, "axis": -1,
        "apply_class_balancing": False, "alpha": 0.25, "gamma": 2.0}
    assert set(losses.CategoricalFocalCrossentropy().get_config()) == {
        "name", "reduction", "from_logits", "label_smoothing", "axis", "alpha", "gamma"}
    assert losses.Dice().get_config() == {"name": "dice", "reduction": "sum_over_batch_size",
                                          "axis": None}
    assert losses.Tversky().get_config() == {"name": "tversky",
                                             "reduction": "sum_over_batch_size",
                                             "axis": None, "alpha": 0.5, "beta": 0.5}


def test_deserialize_functions_wrappers_and_custom_objects():
    assert losses.serialize(losses.mae)["config"] == "mean_absolute_error"
    assert isinstance(losses.deserialize(losses.serialize(losses.mae)),
                      losses.MeanAbsoluteError)

    def doubled(y_true, y_pred):
        return 2 * np.mean(np.abs(y_true - y_pred), axis=-1)

    config = losses.serialize(losses.LossFunctionWrapper(doubled))
    with pytest.raises(ValueError, match="custom_objects"):
        losses.deserialize(config)
    assert losses.deserialize(config, custom_objects={"doubled": doubled}).fn is doubled
    with pytest.raises(ValueError, match="Unknown loss 'MeanSquaredEror'. Did you mean 'MeanSquaredError'"):
        losses.deserialize({"class_name": "MeanSquaredEror", "config": {}})
