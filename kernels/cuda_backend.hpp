#pragma once
// The seam between the static lsgd library and the CUDA backend (liblsgd_cuda.so).
//
// The static library holds the catalog (register_cuda.cpp: every entry of cuda_solvers.def, so
// `lsgd list` shows them all) and this loader; it links no CUDA library. The backend (kernels/*
// solvers, device queries, our kernels) links cudart, cuBLAS and cuSOLVER and is reached only when
// a CUDA solver is made or the device is queried on a machine that has a CUDA driver:
//   1. the driver check: dlopen("libcuda.so.1"); without it there is no device and nothing loads;
//   2. the backend linked into this executable (GPU test binaries and the benchmarks link the
//      backend's objects directly), else liblsgd_cuda.so loaded with dlopen from, in order:
//      $LSGD_CUDA_BACKEND (a path; when set, the only one tried), the executable's directory, the
//      build tree's path (compiled in), then the dynamic loader's search path.
// No CUDA header here: this file is compiled into the static library.
#include <cstddef>
#include <string>

#include "lsgd/device.hpp"
#include "lsgd/registry.hpp"

namespace lsgd::cuda_backend {

// Bumped whenever Api or the types it passes (SolverEntry, DeviceInfo, SolverOptions, Solver) change
// layout; the loader refuses a backend built with another version or other sizes.
constexpr int kAbiVersion = 1;

struct Api {
  int abi_version;
  std::size_t sizeof_solver_entry;
  std::size_t sizeof_device_info;
  std::size_t sizeof_solver_options;
  DeviceInfo (*device_info)();  // the backend's own query of device 0 (cudaGetDeviceCount, ...)
  // Sets the factories (make_* / make_batched_*) of the catalog entry `name`; false if the backend
  // does not know the name.
  bool (*fill_entry)(const char* name, SolverEntry& e);
};

// "" when a CUDA driver (libcuda.so.1) can be loaded here, else why not ("no CUDA driver (...)").
// Cached; loads nothing of lsgd's.
const std::string& driver_problem();

// The backend, loaded on first use (after the driver check). Throws DeviceError saying why not:
// no driver, backend not found (with every path tried), or a backend of another ABI.
const Api& api();

// Loads the backend from `path` now, uncached, without the driver check (tests). Returns nullptr
// and sets *error when it cannot.
const Api* load_from(const std::string& path, std::string* error);

// Where the backend comes from: "linked into the executable" or the .so's path; "" if it cannot be
// loaded. Loads it (after the driver check) if that has not happened yet.
std::string loaded_from();

}  // namespace lsgd::cuda_backend

// Defined by the backend (kernels/backend_entry.cpp); the one symbol the loader looks up.
extern "C" const lsgd::cuda_backend::Api* lsgd_cuda_backend_v1();
