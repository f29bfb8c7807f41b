#pragma once
// Error types: every failure the library reports derives from lsgd::Error, so callers (the CLI, the
// tests, the benchmarks) can catch one type and print one line.
#include <stdexcept>
#include <string>

namespace lsgd {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Bad input: wrong shapes, NaN/Inf, empty data, malformed files, unknown solver names, shapes a solver
// does not support. The message names the offending entry.
class InvalidInput : public Error {
 public:
  using Error::Error;
};

// The numerics failed: singular or indefinite matrix, divergence, refinement failure without fallback.
class NumericalError : public Error {
 public:
  using Error::Error;
};

// CUDA / cuBLAS / cuSOLVER failure, device out of memory, no device present.
class DeviceError : public Error {
 public:
  using Error::Error;
};

}  // namespace lsgd
