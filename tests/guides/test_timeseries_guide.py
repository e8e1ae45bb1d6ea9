"""Keras's example "Timeseries forecasting for weather prediction", scaled down.

The example (keras.io/examples/timeseries/timeseries_weather_forecasting)
reads the Jena climate record (7 chosen features, one row every 10 minutes),
normalizes each feature with the mean and standard deviation of the training
part, cuts windows of the past 720 rows sampled every 6th row
(``sequence_length = 720 // 6 = 120``) whose target is the temperature 72 rows
*after* the window's span (``targets`` shifted by ``past + future``), and trains
``LSTM(32) -> Dense(1)`` with ``EarlyStopping`` and a ``ModelCheckpoint`` of
the best weights, then predicts on validation windows.

Here a synthetic 7-feature "weather" series with a daily cycle stands in for
Jena (no network, no pandas: ``df.iloc[a:b][[1]]`` becomes ``features[a:b, 1:2]``),
and the sizes are divided down: ``past=48, future=12, step=2`` (so
``sequence_length = 24``), 1000 rows, batches of 64. ``dataset.take(1)``
(tf.data) becomes the first item of a ``for`` loop.
"""
import numpy as np

import kerastutor as keras

split_fraction = 0.715
step = 2
past = 48
future = 12
learning_rate = 0.001
batch_size = 64
epochs = 10
DAY = 48                                   # rows per simulated day


def synthetic_weather(n=1000, seed=0):
    """Seven columns; column 1 is the temperature, with a daily cycle."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    phase = 2 * np.pi * t / DAY
    temperature = 10 + 6 * np.sin(phase) + np.cumsum(rng.normal(0, 0.05, n))
    pressure = 1000 + np.cumsum(rng.normal(0, 0.1, n))
    vapour_max = 6.1 * np.exp(0.07 * temperature)
    humidity = 70 - 2 * (temperature - 10) + rng.normal(0, 2, n)
    deficit = vapour_max * (1 - humidity / 100)
    density = 1.2 - 0.004 * temperature + rng.normal(0, 0.002, n)
    wind = np.abs(3 + np.cos(phase) + rng.normal(0, 0.5, n))
    return np.stack([pressure, temperature, vapour_max, deficit, humidity, density, wind],
                    axis=1).astype("float32")


def normalize(data, train_split):
    data_mean = data[:train_split].mean(axis=0)
    data_std = data[:train_split].std(axis=0)
    return (data - data_mean) / data_std


def test_timeseries_weather_forecasting(tmp_path):
    keras.utils.set_random_seed(1337)
    raw = synthetic_weather()
    train_split = int(split_fraction * int(raw.shape[0]))
    features = normalize(raw, train_split)
    np.testing.assert_allclose(features[:train_split].mean(axis=0), 0, atol=1e-4)
    np.testing.assert_allclose(features[:train_split].std(axis=0), 1, atol=1e-4)
    train_data = features[0:train_split]
    val_data = features[train_split:]

    # Training dataset: the label of the window starting at row p is the
    # temperature at row p + past + future.
    start = past + future
    end = start + train_split
    x_train = train_data[:, :7]
    y_train = features[start:end, 1:2]
    sequence_length = int(past / step)
    dataset_train = keras.preprocessing.timeseries_dataset_from_array(
        x_train,
        y_train,
        sequence_length=sequence_length,
        sampling_rate=step,
        batch_size=batch_size,
    )

    # Validation dataset: the last past + future rows have no label.
    x_end = len(val_data) - past - future
    label_start = train_split + past + future
    x_val = val_data[:x_end, :7]
    y_val = features[label_start:, 1:2]
    dataset_val = keras.preprocessing.timeseries_dataset_from_array(
        x_val,
        y_val,
        sequence_length=sequence_length,
        sampling_rate=step,
        batch_size=batch_size,
    )

    for batch in dataset_train:
        inputs, targets = batch
        break
    assert inputs.shape == (batch_size, sequence_length, 7)       # "Input shape: (256, 120, 7)"
    assert targets.shape == (batch_size, 1)                       # "Target shape: (256, 1)"
    # Window 5: rows 5, 7, ..., 5 + 2 * 23; its target: the temperature 60 rows later.
    np.testing.assert_array_equal(inputs[5], features[5:5 + past:step])
    assert targets[5, 0] == features[5 + past + future, 1]
    assert dataset_train.num_samples == train_split - (sequence_length - 1) * step

    # Training
    inputs = keras.layers.Input(shape=(inputs.shape[1], inputs.shape[2]))
    lstm_out = keras.layers.LSTM(32)(inputs)
    outputs = keras.layers.Dense(1)(lstm_out)

    model = keras.Model(inputs=inputs, outputs=outputs)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate), loss="mse")

    path_checkpoint = str(tmp_path / "model_checkpoint.weights.h5")
    es_callback = keras.callbacks.EarlyStopping(monitor="val_loss", min_delta=0, patience=5)
    modelckpt_callback = keras.callbacks.ModelCheckpoint(
        monitor="val_loss",
        filepath=path_checkpoint,
        verbose=0,
        save_weights_only=True,
        save_best_only=True,
    )
    history = model.fit(
        dataset_train,
        epochs=epochs,
        validation_data=dataset_val,
        callbacks=[es_callback, modelckpt_callback],
        verbose=0,
    )
    val_loss = history.history["val_loss"]
    assert 1 <= len(val_loss) <= epochs
    assert min(val_loss) < 0.5 * val_loss[0]            # it learns the daily cycle
    if es_callback.stopped_epoch:                       # stopped 5 epochs after the best
        assert int(np.argmin(val_loss)) == len(val_loss) - 1 - 5

    # The checkpoint holds the weights of the best epoch.
    best = keras.models.clone_model(model)
    best.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate), loss="mse")
    best.load_weights(path_checkpoint)
    np.testing.assert_allclose(best.evaluate(dataset_val, verbose=0), min(val_loss),
                               rtol=1e-5)

    # Prediction on validation windows, as the guide's plots show them.
    for x, y in dataset_val:
        prediction = model.predict(x, verbose=0)
        assert prediction.shape == y.shape == (len(x), 1)
        break
