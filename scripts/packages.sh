# Sourced by setup.sh and fuzz.sh: install_missing, and the Debian 12 packages that building Soma needs.
# install_missing PACKAGE...: apt-get install those of the Debian packages that are not installed.
install_missing() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  echo "soma setup: installing ${missing[*]}"
  local as_root=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "soma setup: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
    as_root=(sudo)
  fi
  "${as_root[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

soma_packages=(g++ cmake make libboost-dev libboost-filesystem-dev libboost-iostreams-dev \
  libboost-program-options-dev libboost-test-dev libfmt-dev libgnuplot-iostream-dev gnuplot-nox libsundials-dev \
  librandom123-dev libhdf5-dev libssl-dev nlohmann-json3-dev libopenmpi-dev openmpi-bin libpagmo-dev python3-dev \
  pybind11-dev python3-pytest python3-numpy)

