#!/usr/bin/env bash
# Dependency check shared by scripts/test and scripts/bench (sourced, not run).
#   lsgd_ensure_deps [extra Debian packages...]
# Checks the build dependencies; as root installs the missing Debian packages with apt-get, otherwise
# prints the exact apt-get line and returns 1.

lsgd_missing_packages() {
  local missing=()
  command -v cmake >/dev/null 2>&1 || missing+=(cmake)
  command -v ninja >/dev/null 2>&1 || missing+=(ninja-build)
  command -v g++ >/dev/null 2>&1 || missing+=(g++)
  [ -f /usr/include/eigen3/Eigen/Dense ] || missing+=(libeigen3-dev)
  [ -f /usr/include/benchmark/benchmark.h ] || missing+=(libbenchmark-dev)
  [ -f /usr/include/gtest/gtest.h ] || missing+=(libgtest-dev)
  # OpenBLAS (BLAS + LAPACK) under the CPU solvers; also switches Debian's NumPy off the reference BLAS.
  # grep reads to the end (no -q): under the callers' pipefail, -q's early exit could make ldconfig
  # fail on a closed pipe and report OpenBLAS missing when it is installed.
  ldconfig -p 2>/dev/null | grep 'libopenblas\.so ' >/dev/null || missing+=(libopenblas-dev)
  # TBB: our CUDA kernels run on the CPU through HIP-CPU in every test run (LSGD_KERNELS_ON_CPU,
  # ctest label emu); HIP-CPU's blocks run on std::execution::par_unseq, which libstdc++ backs with TBB.
  [ -f /usr/include/tbb/tbb.h ] || [ -f /usr/include/oneapi/tbb.h ] || missing+=(libtbb-dev)
  command -v python3 >/dev/null 2>&1 || [ -x /usr/bin/python3 ] || missing+=(python3)
  # zlib: gzip-compressed data files (.csv.gz). CMake builds without it, and lsgd then refuses such
  # files by name; installed here so that every build reads them.
  [ -f /usr/include/zlib.h ] || missing+=(zlib1g-dev)
  local pkg
  for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  echo "${missing[@]}"
}

lsgd_ensure_deps() {
  local missing
  missing=$(lsgd_missing_packages "$@")
  [ -z "$missing" ] && return 0
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "lsgd: installing missing packages: $missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq $missing || {
      echo "lsgd: apt-get install failed for: $missing" >&2
      return 1
    }
    return 0
  fi
  echo "lsgd: missing build dependencies. Install them with:" >&2
  echo "  sudo apt-get install -y $missing" >&2
  return 1
}

# Optional: the MPI backend (mpi.* solvers, test_mpi, bench_mpi) and its ScaLAPACK peer. Installed
# as root where apt-get works; elsewhere a note, and the build goes on without MPI (CMake turns
# LSGD_ENABLE_MPI off when it finds none).
LSGD_MPI_PACKAGES=(openmpi-bin libopenmpi-dev libscalapack-openmpi-dev)
lsgd_optional_mpi_deps() {
  local missing=() pkg
  for pkg in "${LSGD_MPI_PACKAGES[@]}"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "lsgd: installing the MPI backend's packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null && return 0
  fi
  echo "lsgd: note: without ${missing[*]} the MPI backend is not built (sudo apt-get install -y ${missing[*]})" >&2
  return 0
}

# The Python module's build and test dependencies (docs/python.md): Debian's python3-dev (headers),
# python3-numpy and python3-pytest for /usr/bin/python3, and nanobind, which Debian 12 does not
# package: `pip install --target` into $LSGD_PYDEPS (default ~/.cache/lsgd/pydeps, where CMake looks;
# cmake/lsgd_python.cmake), unless the interpreter already imports it (the GPU machine's python3).
# Without them the build goes on without the module (LSGD_BUILD_PYTHON=AUTO) and says why.
LSGD_NANOBIND_VERSION=3.1.0
lsgd_python_deps() {
  lsgd_ensure_deps python3-dev python3-numpy python3-pytest || return 0
  local py dir
  py=$(lsgd_find_python numpy) || return 0
  "$py" -c "import nanobind" >/dev/null 2>&1 && return 0
  dir=${LSGD_PYDEPS:-${XDG_CACHE_HOME:-$HOME/.cache}/lsgd/pydeps}
  [ -f "$dir/nanobind/cmake/nanobind-config.cmake" ] && return 0
  echo "lsgd: installing nanobind $LSGD_NANOBIND_VERSION into $dir (pip --target) for the Python module"
  "$py" -m pip install -q --disable-pip-version-check --target "$dir" \
    "nanobind==$LSGD_NANOBIND_VERSION" >/dev/null 2>&1 ||
    echo "lsgd: note: pip could not install nanobind; the Python module is not built" >&2
  return 0
}

# The configure preset: cuda when nvcc is found (on PATH or in /usr/local/cuda), else cpu.
lsgd_default_preset() {
  if command -v nvcc >/dev/null 2>&1 || [ -x /usr/local/cuda/bin/nvcc ]; then
    echo cuda
  else
    echo cpu
  fi
}

# An interpreter that can import the given modules: python3 first, then /usr/bin/python3.
lsgd_find_python() {
  local py
  for py in python3 /usr/bin/python3; do
    if command -v "$py" >/dev/null 2>&1 && "$py" -c "import $1" >/dev/null 2>&1; then
      echo "$py"
      return 0
    fi
  done
  return 1
}

# Benchmark runs only (never tests or CI): when OpenBLAS does not know this CPU and fell back to its
# generic kernels, export OPENBLAS_CORETYPE (SkylakeX on AVX-512, Haswell on AVX2) for lsgd and the
# NumPy peers alike, and say so. Both sides load the same OpenBLAS, so the comparison stays fair; the
# JSON context's blas_config names the kernels used.
lsgd_openblas_coretype() {
  [ -n "${OPENBLAS_CORETYPE:-}" ] && return 0
  local py core
  py=$(lsgd_find_python ctypes) || return 0
  core=$("$py" "$(dirname "${BASH_SOURCE[0]}")/../bench/peers/common.py" --openblas-coretype 2>/dev/null) || return 0
  if [ -n "$core" ]; then
    export OPENBLAS_CORETYPE="$core"
    echo "lsgd: OpenBLAS does not recognise this CPU (generic kernels); OPENBLAS_CORETYPE=$core for this run"
  fi
}
