"""The course exercises in Python: the Hodgkin-Huxley and the leaky integrate-and-fire cell driven by
step, ramp and sinusoidal currents, the same runs as examples/hh-step.ini, hh-ramp.ini, hh-sine.ini,
lif-step.ini and lif-sine.ini with `soma run`. Each figure shows the membrane potential and the
injected current and is written as PNG into the output directory (default: ./soma-output).

    python3 examples/python/course.py [OUTPUT_DIR] [EXERCISE ...]

needs the soma module on the path (docs/python.md) and matplotlib; a few seconds in all.
"""

import os
import pathlib
import sys

import matplotlib

if not os.environ.get("DISPLAY"):
    matplotlib.use("Agg")  # no display: write files only
import matplotlib.pyplot as plt

import soma

# Each exercise: the keyword arguments of soma.run, the settings of the .ini file of the same name.
EXERCISES = {
    "hh-step": dict(model="hh", stimulus="step", integrator="euler", t_stop=100, dt=0.01,
                    params={"stimulus.amplitude": 7, "stimulus.onset": 20, "stimulus.offset": 70},
                    title="Hodgkin-Huxley, step current"),
    "hh-ramp": dict(model="hh", stimulus="ramp", integrator="euler", t_stop=200, dt=0.01,
                    params={"stimulus.amplitude": 20, "stimulus.onset": 30, "stimulus.offset": 170},
                    title="Hodgkin-Huxley, ramp current"),
    "hh-sine": dict(model="hh", stimulus="sine", integrator="euler", t_stop=600, dt=0.01,
                    params={"stimulus.amplitude": 7, "stimulus.frequency": 10, "stimulus.offset": 0.5,
                            "stimulus.phase": 0},
                    title="Hodgkin-Huxley, sinusoidal current"),
    "lif-step": dict(model="lif", stimulus="step", integrator="euler", t_stop=100, dt=0.1,
                     params={"integrator.locate_spikes": 0, "stimulus.amplitude": 1.005, "stimulus.onset": 20,
                             "stimulus.offset": 70},
                     title="LIF, step current"),
    "lif-sine": dict(model="lif", stimulus="sine", integrator="euler", t_stop=100, dt=0.1,
                     params={"integrator.locate_spikes": 0, "stimulus.amplitude": 0.4, "stimulus.frequency": 100,
                             "stimulus.offset": 0.5, "stimulus.phase": 0},
                     title="LIF, sinusoidal current"),
}


def plot(result, title, path):
    """Membrane potential over the injected current, with the spikes marked; written to `path`."""
    fig, (ax_v, ax_i) = plt.subplots(2, 1, sharex=True, figsize=(8, 5), gridspec_kw={"height_ratios": [3, 1]})
    ax_v.plot(result.t, result["v"][:, 0], lw=1)
    if len(result.spike_times):
        ax_v.plot(result.spike_times, [result["v"].max()] * len(result.spike_times), "|", color="C3", ms=10)
    ax_v.set_ylabel(f"v ({result.units['v']})")
    ax_v.set_title(f"{title}: {len(result.spike_times)} spike(s)")
    current = result.info["current"]["name"]
    ax_i.plot(result.t, result[current][:, 0], color="C1", lw=1)
    ax_i.set_ylabel(f"{current} ({result.units[current]})")
    ax_i.set_xlabel("t (ms)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv):
    out = pathlib.Path(argv[1] if len(argv) > 1 else "soma-output")
    out.mkdir(parents=True, exist_ok=True)
    names = argv[2:] or list(EXERCISES)
    for name in names:
        options = EXERCISES[name]
        result = soma.run(**options)
        path = out / f"{name}.png"
        plot(result, options["title"], path)
        first = f", first at {result.spike_times[0]:.6g} ms" if len(result.spike_times) else ""
        print(f"{name}: {len(result.spike_times)} spike(s){first}; {path}")


if __name__ == "__main__":
    main(sys.argv)
