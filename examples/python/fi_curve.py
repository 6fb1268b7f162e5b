"""An f-I curve of the Hodgkin-Huxley cell: 41 amplitudes of a 500 ms step, run as one population
(soma.fi, the same as `soma fi --amplitude 'linspace(0,20,41)'`), the steady-state rate (1000 / mean
inter-spike interval in the second half of the step) against the amplitude, with the onset of firing
marked. Written as PNG into the output directory (default: ./soma-output); about a second.

    python3 examples/python/fi_curve.py [OUTPUT_DIR]
"""

import os
import pathlib
import sys

import matplotlib

if not os.environ.get("DISPLAY"):
    matplotlib.use("Agg")
import matplotlib.pyplot as plt

import soma


def main(argv):
    out = pathlib.Path(argv[1] if len(argv) > 1 else "soma-output")
    out.mkdir(parents=True, exist_ok=True)
    sweep = soma.fi("linspace(0, 20, 41)", model="hh", t_stop=500,
                    params={"stimulus.onset": 0, "stimulus.offset": 500})
    cells = sweep.cells
    amplitude, rate = cells["stimulus.amplitude"], cells["rate_Hz"]
    below, first = sweep.firing_onset
    unit = sweep.axes[0]["unit"]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(amplitude, rate, "o-", ms=3)
    if first == first and below == below:  # not NaN: firing starts inside the range
        ax.axvspan(below, first, color="C3", alpha=0.2, label=f"onset of firing: {below:g} to {first:g} {unit}")
        ax.legend()
    ax.set_xlabel(f"step amplitude ({unit})")
    ax.set_ylabel("rate (Hz)")
    ax.set_title(f"Hodgkin-Huxley f-I curve, rates in [{sweep.window[0]:g}, {sweep.window[1]:g}) ms")
    fig.tight_layout()
    path = out / "hh-fi.png"
    fig.savefig(path, dpi=100)
    print(f"f-I curve of {len(rate)} amplitudes: firing from {first:g} {unit}, {max(rate):.4g} Hz at most; {path}")


if __name__ == "__main__":
    main(sys.argv)
