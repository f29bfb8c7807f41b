#pragma once
// Shared test helpers: GPU skip policy, registry iteration.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "lsgd/device.hpp"
#include "lsgd/registry.hpp"

namespace lsgd::test {

// With -DLSGD_REQUIRE_GPU=ON a missing GPU fails the test instead of skipping it.
#ifdef LSGD_REQUIRE_GPU
constexpr bool kRequireGpu = true;
#else
constexpr bool kRequireGpu = false;
#endif

// Use at the top of a test that needs `entry` (or any GPU when entry is null) to run.
#define LSGD_SKIP_IF_UNAVAILABLE(entry_ptr)                                                     \
  do {                                                                                          \
    const ::lsgd::SolverEntry* lsgd_e_ = (entry_ptr);                                          \
    const bool lsgd_ok_ = lsgd_e_ ? lsgd_e_->available() : ::lsgd::gpu_available();            \
    if (!lsgd_ok_) {                                                                            \
      const std::string lsgd_why_ = (lsgd_e_ ? lsgd_e_->name + ": " + lsgd_e_->unavailable_reason \
                                             : ::lsgd::describe_device());                     \
      if (::lsgd::test::kRequireGpu) {                                                          \
        FAIL() << "LSGD_REQUIRE_GPU is ON but the solver cannot run: " << lsgd_why_;           \
      } else {                                                                                  \
        GTEST_SKIP() << lsgd_why_;                                                              \
      }                                                                                         \
    }                                                                                           \
  } while (0)

// Names of registered solvers of a kind, for INSTANTIATE_TEST_SUITE_P.
inline std::vector<std::string> solver_names(Kind kind) {
  std::vector<std::string> out;
  for (const auto& e : default_registry().entries()) {
    // mpi.* solvers run under mpirun in test_mpi, against the same bounds.
    if (e.kind == kind && e.backend != Backend::mpi) out.push_back(e.name);
  }
  return out;
}

// gtest parameter names may hold only [A-Za-z0-9_].
inline std::string param_name(std::string s) {
  for (char& c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return s;
}

}  // namespace lsgd::test
