#!/usr/bin/env bash
# Times `soma run` against a hand-written loop doing the same work (see docs/performance.md).
#
#   usage: bash bench/run.sh [BUILD_DIR] [N]
#     BUILD_DIR  a Release build of Soma with the benchmark (default ./build)
#     N          runs per case; the best (smallest) wall-clock time is reported (default 5)
#
# Cases, all Hodgkin-Huxley, 1 cell, dc 10 uA/cm^2, 10 s of simulated time at dt = 0.01 ms (1e6 steps),
# forward Euler:
#   1. hand loop, recording off      bin/soma_bench_hh_loop
#   2. soma, recording off           soma run ... --recorder none
#   3. hand loop, recording on       bin/soma_bench_hh_loop --csv DIR
#   4. soma, recording on            soma run ... --recorder csv
#   5. soma start-up only            soma run ... --t-stop 0.01 (1 step): loading and wiring the plug-ins
# Times are of the whole process (start-up included), measured with hyperfine if it is installed,
# else with `date +%s%N` around each run. CSV files go to a temporary directory, removed at the end.
set -euo pipefail

build=${1:-./build}
runs=${2:-5}
soma="$build/bin/soma"
hand="$build/bin/soma_bench_hh_loop"

die() { echo "bench/run.sh: $*" >&2; exit 1; }
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || die "N must be a positive whole number, not '$runs'"
[[ -x "$soma" ]] || die "no $soma; build first: cmake -S . -B $build && cmake --build $build -j2"
[[ -x "$hand" ]] || die "no $hand; build the benchmark target: cmake --build $build --target soma_bench_hh_loop"

# Measure the built-in plug-ins, not whatever SOMA_PLUGIN_PATH points to.
unset SOMA_PLUGIN_PATH

out=$(mktemp -d "${TMPDIR:-/tmp}/soma-bench.XXXXXX")
trap 'rm -rf "$out"' EXIT
mkdir -p "$out/hand" "$out/soma"

run_args=(run --model hh --stimulus dc --set stimulus.amplitude=10 --t-stop 10000 --dt 0.01)
cmd_hand_off=("$hand" --amplitude 10 --t-stop 10000 --dt 0.01)
cmd_soma_off=("$soma" "${run_args[@]}" --recorder none)
cmd_hand_on=("$hand" --amplitude 10 --t-stop 10000 --dt 0.01 --csv "$out/hand")
cmd_soma_on=("$soma" "${run_args[@]}" --recorder csv --output "$out/soma")
# shellcheck disable=SC2034  # read through the nameref cmd_$name in time_cases, as are the others
cmd_soma_start=("$soma" run --model hh --stimulus dc --set stimulus.amplitude=10 --t-stop 0.01 --dt 0.01 --recorder none)

# Number of spikes in the output of one run ("  684 spike(s), first at ..." or "  no spikes").
spikes_of() {
    local text
    text=$("$@" 2>/dev/null) || die "failed: $*"
    if grep -q 'no spikes' <<<"$text"; then echo 0; return; fi
    sed -n 's/^ *\([0-9][0-9]*\) spike(s).*/\1/p' <<<"$text" | head -n 1
}

# Best wall-clock times, in seconds, of `runs` runs of each case; sets t[case].
# hyperfine (if installed) times each case in turn. The fallback interleaves the cases (run k of
# every case, then run k+1, ...), so that a burst of load from other processes is less likely to
# favour one case, and keeps the smallest time of each: the run least disturbed by other processes.
declare -A t
time_cases() {
    local name
    if command -v hyperfine >/dev/null 2>&1; then
        local csv="$out/hyperfine.csv" quoted
        for name in "${cases[@]}"; do
            local -n cmd="cmd_$name"
            printf -v quoted '%q ' "${cmd[@]}"
            hyperfine --style none --warmup 1 --runs "$runs" --export-csv "$csv" "$quoted" >/dev/null 2>&1 ||
                die "hyperfine failed on: ${cmd[*]}"
            # columns: command,mean,stddev,median,user,system,min,max
            t[$name]=$(awk -F, 'NR == 2 { printf "%.4f\n", $(NF - 1) }' "$csv")
            unset -n cmd
        done
        return
    fi
    local -A best
    local k start end ns
    for ((k = 0; k <= runs; ++k)); do  # k = 0 is a warm-up (page cache, dynamic loader), not counted
        for name in "${cases[@]}"; do
            local -n cmd="cmd_$name"
            start=$(date +%s%N)
            "${cmd[@]}" >/dev/null 2>&1 || die "failed: ${cmd[*]}"
            end=$(date +%s%N)
            unset -n cmd
            ns=$((end - start))
            if ((k > 0)) && [[ -z "${best[$name]:-}" || $ns -lt ${best[$name]} ]]; then best[$name]=$ns; fi
        done
    done
    for name in "${cases[@]}"; do t[$name]=$(awk -v ns="${best[$name]}" 'BEGIN { printf "%.4f\n", ns / 1e9 }'); done
}

echo "Checking that both compute the same run..."
s_hand=$(spikes_of "${cmd_hand_off[@]}")
s_soma=$(spikes_of "${cmd_soma_off[@]}")
s_hand_on=$(spikes_of "${cmd_hand_on[@]}")
s_soma_on=$(spikes_of "${cmd_soma_on[@]}")
echo "  spikes: hand loop $s_hand, soma $s_soma (recording off); hand loop $s_hand_on, soma $s_soma_on (on)"
if [[ -z "$s_hand" || "$s_hand" != "$s_soma" || "$s_hand" != "$s_hand_on" || "$s_hand" != "$s_soma_on" ]]; then
    die "spike counts differ; the two programs do not compute the same run"
fi
# The sample files must agree too (the csv recorder's '#' metadata lines aside).
if cmp -s <(grep -v '^#' "$out/hand/hh-dc.csv") <(grep -v '^#' "$out/soma/hh-dc.csv") &&
    cmp -s <(grep -v '^#' "$out/hand/hh-dc_spikes.csv") <(grep -v '^#' "$out/soma/hh-dc_spikes.csv"); then
    echo "  CSV samples and spike times: identical"
else
    echo "  warning: the CSV files differ (not bit-identical arithmetic?)" >&2
fi

tool=$(command -v hyperfine >/dev/null 2>&1 && echo hyperfine || echo "date +%s%N")
echo "Timing, best of $runs runs each ($tool)..."
cases=(hand_off soma_off hand_on soma_on soma_start)
time_cases
t_hand_off=${t[hand_off]} t_soma_off=${t[soma_off]} t_hand_on=${t[hand_on]} t_soma_on=${t[soma_on]}
t_soma_start=${t[soma_start]}
echo
echo "HH, 1 cell, dc 10 uA/cm^2, 10000 ms at dt = 0.01 ms (1e6 steps, forward Euler), $s_soma spikes"
echo "CPU: $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n 1), $(nproc) cores"
echo
printf '| %-34s | %9s |\n' "case" "time (s)"
printf '|%s|%s|\n' "------------------------------------" "-----------"
printf '| %-34s | %9s |\n' "1. hand loop, recording off" "$t_hand_off"
printf '| %-34s | %9s |\n' "2. soma run, recording off" "$t_soma_off"
printf '| %-34s | %9s |\n' "3. hand loop, CSV" "$t_hand_on"
printf '| %-34s | %9s |\n' "4. soma run, CSV recorder" "$t_soma_on"
printf '| %-34s | %9s |\n' "5. soma start-up (1 step)" "$t_soma_start"
echo
awk -v ho="$t_hand_off" -v so="$t_soma_off" -v hn="$t_hand_on" -v sn="$t_soma_on" 'BEGIN {
    printf "soma / hand loop, recording off: %.2f\n", so / ho
    printf "soma / hand loop, recording on:  %.2f\n", sn / hn
    printf "cost of recording: hand loop +%.3f s, soma +%.3f s\n", hn - ho, sn - so
}'
