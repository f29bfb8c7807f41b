#pragma once
// Host-side input rule of the batched gradient-descent solvers, shared by the CPU (cpu/bgd.cpp)
// and CUDA (kernels/bgd_engine.hpp) backends so that the two reject the same batches with the same
// message. The option rules every GD solver shares are validate_iterative_options
// (include/lsgd/solver.hpp, core/options.cpp).
#include <algorithm>
#include <sstream>
#include <string>

#include "lsgd/error.hpp"
#include "lsgd/problem.hpp"

namespace lsgd::gd_input {

// Throws InvalidInput("<solver>: problem q: A is zero ...") for the first problem of the batch
// whose A is all zeros: f has no Lipschitz constant, so there is no step 1/L to take. Checked on
// the host data at setup (untimed), whatever options.lipschitz says, so a batch is accepted or
// refused as a whole before anything runs.
template <typename T>
void reject_zero_problems(const std::string& solver, const BatchedProblem<T>& p) {
  for (index_t q = 0; q < p.batch; ++q) {
    const T* a = p.a_of(q);
    if (std::all_of(a, a + p.m * p.n, [](T v) { return v == T(0); })) {
      std::ostringstream os;
      os << solver << ": problem " << q << ": A is zero (no Lipschitz constant, no step)";
      throw InvalidInput(os.str());
    }
  }
}

}  // namespace lsgd::gd_input
