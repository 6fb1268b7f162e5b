#!/usr/bin/python3
"""Write hh-fi.csv: the Hodgkin-Huxley f-I curve computed with NEURON, as reference data for Soma.

The model, the NEURON set-up and the spike detection are those of tests/compare/compare.py, imported
from there: Gerstner & Kistler 2002, p.36 (rest at 0 mV), NEURON's hh mechanism in one section whose
area makes 1 nA = 1 uA/cm^2, CVODE at atol 1e-8 (rtol 0), spikes from a NetCon at 50 mV above rest
with condition_order 2. Each current is constant from t = 0 (Soma's `dc` stimulus), the cell starts
at rest, and the run lasts 2000 ms. The rate is taken over the spikes in [1000, 2000) ms:
1000 (n-1)/(t_last - t_first) Hz when n >= 2, else n per second (0 without spikes).

Currents within 0.2 uA/cm^2 of the onset of repetitive firing are left out, since there the result
depends on integration details. The onset is the smallest current at which the cell still fires at the
end of the window (at least two spikes in the window, one of them in its last 100 ms; just below the
onset, a train of spikes can last several hundred ms and then stop). It is found by bisection to
1e-4 uA/cm^2 and written as a comment.

Needs Debian's `neuron` and `python3-neuron`, which install into /usr/bin/python3. Run from anywhere:

    /usr/bin/python3 tests/data/make_hh_fi.py            # writes tests/data/hh-fi.csv
"""

import argparse
import os
import sys
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ in tests/compare
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "compare"))
import compare  # noqa: E402  (tests/compare/compare.py)

CURRENTS = [0, 1, 2, 3, 4, 5, 5.5, 6, 6.5, 7, 8, 9, 10, 12, 14, 15, 16, 18, 20]  # uA/cm^2
T_STOP = 2000.0             # ms
WINDOW = (compare.FI_T_FROM, T_STOP)  # [1000, 2000) ms
ONSET_MARGIN = 0.2          # uA/cm^2: currents this close to the onset are left out
ONSET_RESOLUTION = 1e-4     # uA/cm^2
SUSTAINED = 100.0           # ms: repetitive firing has a spike in the last SUSTAINED ms of the window
SCALE = round(1 / ONSET_RESOLUTION)  # the bisection works on integer multiples of the resolution


def window_spikes(h, sec, amp):
    """Spike times (ms) in WINDOW of a constant current `amp` (uA/cm^2) from t = 0, from rest."""
    spikes = compare.neuron_run(h, sec, amp, 0.0, 1e9, T_STOP, "cvode")
    return [t for t in spikes if WINDOW[0] <= t < WINDOW[1]]


def rate(spikes):
    """Hz: 1000 (n-1)/(t_last - t_first) for n >= 2 spikes, else n per second of the window."""
    n = len(spikes)
    if n >= 2:
        return 1000.0 * (n - 1) / (spikes[-1] - spikes[0])
    return 1000.0 * n / (WINDOW[1] - WINDOW[0])


def repetitive(spikes):
    """Whether the spikes in the window show repetitive firing that lasts to the end of the window."""
    return len(spikes) >= 2 and spikes[-1] >= WINDOW[1] - SUSTAINED


def onset(h, sec, rows):
    """Smallest current (a multiple of ONSET_RESOLUTION) with repetitive firing, by bisection between
    the grid currents around the onset; checks that the grid itself fires repetitively above it only."""
    firing = [amp for amp, spikes in rows if repetitive(spikes)]
    if not firing:
        raise SystemExit("make_hh_fi.py: no grid current fires repetitively")
    hi = min(firing)
    below = [amp for amp, _ in rows if amp < hi]
    if not below:
        raise SystemExit(f"make_hh_fi.py: the smallest grid current, {hi:g}, already fires repetitively")
    if any(amp not in firing for amp, _ in rows if amp > hi):
        raise SystemExit("make_hh_fi.py: repetitive firing is not monotone in I on the grid")
    lo, hi = round(max(below) * SCALE), round(hi * SCALE)  # lo does not fire repetitively, hi does
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if repetitive(window_spikes(h, sec, mid / SCALE)):
            hi = mid
        else:
            lo = mid
    return hi / SCALE


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", default=str(HERE / "hh-fi.csv"),
                        help="the CSV to write (default: hh-fi.csv next to this script)")
    args = parser.parse_args()

    os.environ.setdefault("NEURON_MODULE_OPTIONS", "-nogui")
    from neuron import h, __version__
    h.load_file("stdrun.hoc")
    sec = compare.neuron_section(h)

    rows = [(amp, window_spikes(h, sec, amp)) for amp in CURRENTS]
    i_onset = onset(h, sec, rows)
    dropped = [amp for amp, _ in rows if abs(amp - i_onset) < ONSET_MARGIN]
    rows = [(amp, spikes) for amp, spikes in rows if amp not in dropped]

    g = compare.G_K
    threshold = compare.V_SPIKE + compare.V_REST_NEURON
    lines = [
        "# Hodgkin-Huxley f-I curve computed with NEURON, reference data for Soma's `soma sweep`.",
        f"# Made by tests/data/make_hh_fi.py with NEURON {__version__}; regenerate with",
        "#   /usr/bin/python3 tests/data/make_hh_fi.py",
        f"# Model: Gerstner & Kistler 2002, p.36, rest at 0 mV: C_m = {g['C_m']:g} uF/cm^2, "
        f"g_Na = {g['g_Na']:g}, g_K = {g['g_K']:g}, g_L = {g['g_L']:g} mS/cm^2, E_Na = {g['E_Na']:g}, "
        f"E_K = {g['E_K']:g}, E_L = {g['E_L']:g} mV.",
        f"# NEURON: hh mechanism (V = u - 65 mV, usetable_hh = 0, celsius = {h.celsius:g}), one section of "
        f"area 1e5 um^2 (1 nA = 1 uA/cm^2), started at rest (finitialize({compare.V_REST_NEURON:g})).",
        "# Stimulus: constant current I from t = 0 (IClamp with delay 0; Soma's `dc` stimulus), "
        f"run to {T_STOP:g} ms.",
        f"# Integration: CVODE, atol {compare.NEURON_ATOL:g}, rtol 0. Spikes: NetCon threshold "
        f"{threshold:g} mV ({compare.V_SPIKE:g} mV above rest), condition_order 2.",
        f"# Window [{WINDOW[0]:g}, {WINDOW[1]:g}) ms; `spikes in window` counts the spikes with "
        f"{WINDOW[0]:g} <= t < {WINDOW[1]:g}.",
        "# Rate: 1000 (n-1)/(t_last - t_first) Hz over those n spikes when n >= 2, else 1000 n / "
        f"{WINDOW[1] - WINDOW[0]:g} ms (0 without spikes); 9 significant digits.",
        f"# repetitive firing from I = {i_onset:.4f} uA/cm^2 (bisection to 1e-4)",
        f"# (repetitive: at least two spikes in the window, one of them at t >= {WINDOW[1] - SUSTAINED:g} ms)",
        f"# Currents within {ONSET_MARGIN:g} uA/cm^2 of the onset are left out"
        + (f" ({', '.join(f'{a:g}' for a in dropped)})." if dropped else " (none on this grid)."),
        "I (uA/cm^2),spikes in window,rate (Hz)",
    ]
    lines += [f"{amp:g},{len(spikes)},{rate(spikes):.9g}" for amp, spikes in rows]
    Path(args.output).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
