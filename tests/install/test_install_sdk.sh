#!/usr/bin/env bash
# soma_install_sdk: the installable SDK end to end (issue 4), on a built build tree.
#   1. `cmake --install` the build tree into a temporary prefix P; check the layout.
#   2. The installed, unchanged P/bin/soma runs with the installed built-in plug-ins and no
#      SOMA_PLUGIN_PATH or LD_LIBRARY_PATH: `soma run --recorder csv` writes its CSV with spikes.
#   3. Configure and build examples/plugins (the `qif` model) against P with find_package(Soma), with
#      the main build's generator and compiler.
#   4. With SOMA_PLUGIN_PATH at the example's output directory, P/bin/soma lists, describes and runs
#      `qif` (the 1 nA step of docs/writing-a-plugin.md: 14 spikes, the first at 55.3602 ms).
#   5. The example's own install rule puts it into P/lib/soma/plugins, where P/bin/soma finds it without
#      SOMA_PLUGIN_PATH.
#   6. If clang++ is there and Soma was built with another compiler family, find_package(Soma) refuses it
#      at configure time with a message naming both compilers.
# Everything happens in a `mktemp -d` directory, removed on exit. Needs the whole build tree built
# (`cmake --build build`, as scripts/test.sh does), since `cmake --install` copies what is built.
#
# usage: test_install_sdk.sh SOURCE_DIR BUILD_DIR CONFIG GENERATOR MAKE_PROGRAM CXX_COMPILER CXX_COMPILER_ID
#                            BINDIR LIBDIR CMAKE
set -euo pipefail

if [ $# -ne 10 ]; then
  echo "usage: $0 SOURCE_DIR BUILD_DIR CONFIG GENERATOR MAKE_PROGRAM CXX_COMPILER CXX_COMPILER_ID BINDIR LIBDIR CMAKE" >&2
  exit 2
fi
source_dir=$1 build_dir=$2 config=$3 generator=$4 make_program=$5 cxx=$6 cxx_id=$7 bindir=$8 libdir=$9
cmake=${10}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/soma-install-sdk.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix
soma=$prefix/$bindir/soma
# The build configuration (empty for a single-configuration generator without CMAKE_BUILD_TYPE).
config_args=() build_type_args=()
if [ -n "$config" ]; then config_args=(--config "$config"); build_type_args=(-DCMAKE_BUILD_TYPE="$config"); fi
# The main build's generator, make program and compiler, for the example too.
generator_args=(-G "$generator" -DCMAKE_CXX_COMPILER="$cxx")
if [ -n "$make_program" ]; then generator_args+=(-DCMAKE_MAKE_PROGRAM="$make_program"); fi
plugin_dir=$prefix/$libdir/soma/plugins

step() { echo "== $*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
# run LOG CMD...: runs CMD with its output in LOG; on failure prints LOG and fails.
run() {
  local log=$1 status=0; shift
  "$@" >"$log" 2>&1 || status=$?
  if [ "$status" -ne 0 ]; then
    cat "$log" >&2
    fail "exit status $status from: $*"
  fi
}
# installed_soma ARGS...: the installed runner with neither SOMA_PLUGIN_PATH nor LD_LIBRARY_PATH
# (add SOMA_PLUGIN_PATH=... in front with env to set it).
installed_soma() { env -u SOMA_PLUGIN_PATH -u LD_LIBRARY_PATH "$@"; }
# spike_count FILE: the data lines of a spikes CSV (after the # metadata and the header).
spike_count() { grep -v '^#' "$1" | tail -n +2 | grep -c . || true; }

step "install $build_dir into $prefix"
run "$tmp/install.log" "$cmake" --install "$build_dir" --prefix "$prefix" "${config_args[@]}"
for f in "$bindir/soma" "$libdir/libsoma.so" include/soma/plugin.hpp include/soma/model.hpp \
         include/soma/version.hpp "$libdir/cmake/Soma/SomaConfig.cmake" "$libdir/cmake/Soma/SomaTargets.cmake" \
         "$libdir/cmake/Soma/SomaPlugin.cmake" "$libdir/soma/plugins/soma_model_hh.so" \
         "$libdir/soma/plugins/soma_recorder_csv.so" "$libdir/soma/soma_fit_optimizer.so"; do
  [ -e "$prefix/$f" ] || fail "not installed: $prefix/$f"
done

step "installed soma with its installed plug-ins, no SOMA_PLUGIN_PATH"
mkdir -p "$tmp/run"
cd "$tmp/run"
run "$tmp/describe-hh.log" installed_soma "$soma" describe hh
# The built-in plug-in directory is found relative to the libsoma that was loaded: the installed one.
hh_file=$(sed -n 's/^  file: //p' "$tmp/describe-hh.log")
[ "$(realpath "$hh_file")" = "$(realpath "$plugin_dir/soma_model_hh.so")" ] ||
  fail "installed soma loaded hh from '$hh_file', not from $plugin_dir"
run "$tmp/run-builtin.log" installed_soma "$soma" run --recorder csv --name builtin --output "$tmp/run/out"
cat "$tmp/run-builtin.log"
[ -s "$tmp/run/out/builtin.csv" ] || fail "no $tmp/run/out/builtin.csv"
[ "$(spike_count "$tmp/run/out/builtin_spikes.csv")" -ge 1 ] || fail "no spikes in builtin_spikes.csv"
# The installed examples run as they are: hh-step.ini is the default run (its three spikes), and a
# scenario with a model file finds it beside itself.
run "$tmp/run-example.log" installed_soma "$soma" run "$prefix/share/soma/examples/hh-step.ini" --recorder csv \
  --output "$tmp/run/out"
[ "$(spike_count "$tmp/run/out/hh-step_spikes.csv")" -eq 3 ] || fail "examples/hh-step.ini: not 3 spikes"
[ -f "$prefix/share/soma/examples/models/hh.eq" ] || fail "not installed: examples/models/hh.eq"
[ -f "$prefix/share/soma/examples/plugins/CMakeLists.txt" ] || fail "not installed: examples/plugins"
[ -f "$prefix/share/doc/soma/docs/equations.md" ] || fail "not installed: docs/equations.md"
[ -f "$prefix/share/doc/soma/README.md" ] || fail "not installed: README.md"

step "build examples/plugins against $prefix"
run "$tmp/configure.log" "$cmake" -S "$source_dir/examples/plugins" -B "$tmp/b" "${generator_args[@]}" "${build_type_args[@]}" \
  -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_FIND_PACKAGE_NO_PACKAGE_REGISTRY=ON
soma_dir=$(sed -n 's/^Soma_DIR:PATH=//p' "$tmp/b/CMakeCache.txt")
[ "$(realpath "$soma_dir")" = "$(realpath "$prefix/$libdir/cmake/Soma")" ] ||
  fail "find_package(Soma) found '$soma_dir', not the temporary prefix"
run "$tmp/build.log" "$cmake" --build "$tmp/b" "${config_args[@]}"
qif=$tmp/b/plugins/soma_model_qif.so
[ -f "$qif" ] || fail "the example did not produce $qif"

step "installed soma with SOMA_PLUGIN_PATH=$tmp/b/plugins"
run "$tmp/list.log" installed_soma SOMA_PLUGIN_PATH="$tmp/b/plugins" "$soma" list
grep -q '^  qif ' "$tmp/list.log" || { cat "$tmp/list.log"; fail "'soma list' does not show qif"; }
! grep -q 'warning' "$tmp/list.log" || { cat "$tmp/list.log"; fail "'soma list' rejected a file"; }
run "$tmp/describe-qif.log" installed_soma SOMA_PLUGIN_PATH="$tmp/b/plugins" "$soma" describe qif
grep -qx "  file: $qif" "$tmp/describe-qif.log" || { cat "$tmp/describe-qif.log"; fail "'soma describe qif' not from $qif"; }
grep -q '^  V_peak ' "$tmp/describe-qif.log" || { cat "$tmp/describe-qif.log"; fail "'soma describe qif' lists no V_peak"; }
run "$tmp/run-qif.log" installed_soma SOMA_PLUGIN_PATH="$tmp/b/plugins" "$soma" run --model qif --stimulus step \
  --integrator rk4 --set stimulus.amplitude=1 --set stimulus.offset=520 --t-stop 600 --recorder csv \
  --name qif-rk4 --output "$tmp/run/out"
cat "$tmp/run-qif.log"
[ -s "$tmp/run/out/qif-rk4.csv" ] || fail "no $tmp/run/out/qif-rk4.csv"
spikes=$(spike_count "$tmp/run/out/qif-rk4_spikes.csv")
[ "$spikes" -eq 14 ] || fail "qif-rk4_spikes.csv has $spikes spikes, docs/writing-a-plugin.md says 14"
first=$(grep -v '^#' "$tmp/run/out/qif-rk4_spikes.csv" | sed -n 2p | cut -d, -f2)
awk -v t="$first" 'BEGIN { d = t - 55.3601677; exit !(d < 1e-6 && d > -1e-6) }' ||
  fail "first qif spike at $first ms; the analytic value is 55.3601677 ms"

step "the example's install rule: into $plugin_dir, found without SOMA_PLUGIN_PATH"
run "$tmp/install-qif.log" "$cmake" --install "$tmp/b" --prefix "$prefix" "${config_args[@]}"
[ -f "$plugin_dir/soma_model_qif.so" ] || fail "the example did not install into $plugin_dir"
run "$tmp/describe-qif2.log" installed_soma "$soma" describe qif
qif_file=$(sed -n 's/^  file: //p' "$tmp/describe-qif2.log")
[ "$(realpath "$qif_file")" = "$(realpath "$plugin_dir/soma_model_qif.so")" ] ||
  fail "installed qif loaded from '$qif_file'"

if [ "$cxx_id" != Clang ] && command -v clang++ >/dev/null; then
  step "find_package(Soma) refuses clang++ (Soma was built with $cxx_id)"
  if "$cmake" -S "$source_dir/examples/plugins" -B "$tmp/b-clang" "${generator_args[@]}" -DCMAKE_CXX_COMPILER=clang++ \
       -DCMAKE_PREFIX_PATH="$prefix" >"$tmp/clang.log" 2>&1; then
    fail "find_package(Soma) accepted clang++"
  fi
  grep -q "compiles with Clang" "$tmp/clang.log" || { cat "$tmp/clang.log"; fail "no clear compiler message"; }
fi

echo "soma_install_sdk: all checks passed"
