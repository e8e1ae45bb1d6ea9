"""
Lesson 5 -- Forecasting a time series with an LSTM
==================================================

Two tasks, one recipe: cut the series into windows of the last ``L`` values
and teach an ``LSTM(50)`` to predict the next one.

1. A synthetic sine wave -- easy, and a check that the network learns.
2. A small real series shipped with this lesson
   (``lessons/airline_passengers.csv``): the classic monthly totals of
   international airline passengers, 1949-1960, in thousands (Box & Jenkins,
   *Time Series Analysis*, series G). The first 80% of the months train, the
   last 20% test -- a forecast must never peek at the future.

Backpropagation *through time* is the LSTM layer's backward pass: the
gradient walks the time steps in reverse, step by step.
"""
# %%
import argparse
import os

import numpy as np

import kerastutor as keras

parser = argparse.ArgumentParser(description="Lesson 5: time series with an LSTM")
parser.add_argument("--quick", action="store_true", help="few epochs (for CI)")
args, _ = parser.parse_known_args()
quick = args.quick or os.environ.get("KERASTUTOR_DOCS_QUICK") == "1"
if quick:   # say so: these are not the numbers of the full lesson
    print("QUICK MODE (--quick): 3 and 10 epochs instead of 20 and 150;\n"
          "the numbers below are a smoke test, not the full lesson's results.")
keras.utils.set_random_seed(5)
here = os.path.dirname(os.path.abspath(__file__))


def windows(series, length):
    """``x[i] = series[i:i+length]``, ``y[i] = series[i+length]``, shaped for an RNN."""
    idx = np.arange(len(series) - length)[:, None] + np.arange(length)
    return series[idx][..., None].astype("float32"), series[length:, None].astype("float32")


def lstm_model(length):
    model = keras.Sequential([keras.Input((length, 1)), keras.layers.LSTM(50),
                              keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    return model


# %%
# 1. A sine wave
# --------------
t = np.arange(400)
sine = np.sin(2 * np.pi * t / 40)
x, y = windows(sine, 20)
model = lstm_model(20)
history = model.fit(x, y, epochs=3 if quick else 20, batch_size=32, validation_split=0.2,
                    verbose=2)
print(f"sine: final validation MSE {history.history['val_loss'][-1]:.5f}")

# %%
# 2. Airline passengers
# ---------------------
# Scale to [0, 1] with the *training* months only, then window.
raw = np.loadtxt(os.path.join(here, "airline_passengers.csv"), delimiter=",", skiprows=1,
                 usecols=1)
split = int(len(raw) * 0.8)
low, high = raw[:split].min(), raw[:split].max()
scaled = (raw - low) / (high - low)
length = 12
x, y = windows(scaled, length)
train = split - length
model = lstm_model(length)
history = model.fit(x[:train], y[:train], epochs=10 if quick else 150, batch_size=16,
                    verbose=0)
predicted = model.predict(x[train:], verbose=0)[:, 0] * (high - low) + low
actual = raw[split:]
rmse = float(np.sqrt(np.mean((predicted - actual) ** 2)))
naive = float(np.sqrt(np.mean((raw[split - 1:-1] - actual) ** 2)))
print(f"airline passengers: test RMSE {rmse:.1f} thousand "
      f"(repeating last month's value: {naive:.1f})")

# %%
# Plot the forecast against the truth.
history.plot(save_to=os.path.join(here, "output", "05_timeseries_lstm_curves.png"))
try:
    import matplotlib.pyplot as plt
except ImportError:
    pass
else:
    plt.figure(figsize=(8, 3.5))
    plt.plot(np.arange(len(raw)), raw, label="passengers")
    plt.plot(np.arange(split, len(raw)), predicted, label="LSTM forecast")
    plt.legend()
    plt.tight_layout()
    plt.savefig(os.path.join(here, "output", "05_timeseries_lstm_forecast.png"))
