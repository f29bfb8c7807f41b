#pragma once
// The one registry of solvers. Tests, benchmarks and the CLI iterate over it; a solver registered here
// is tested, timed and usable by name everywhere.
//
// Backends register through explicit functions (register_cpu_solvers, register_cuda_solvers, called by
// default_registry()), never through static self-registration, which static libraries silently drop.
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "lsgd/error.hpp"
#include "lsgd/solver.hpp"

namespace lsgd {

template <typename T>
using SolverFactory = std::function<std::unique_ptr<Solver<T>>(const SolverOptions&)>;
template <typename T>
using BatchedSolverFactory = std::function<std::unique_ptr<BatchedSolver<T>>(const SolverOptions&)>;

// How the forward error of a solver grows with kappa(A) on a full-rank problem (tests scale their
// bounds by it and skip kappa^2 eps >= 1; bench/ and the CLI report it):
//   kappa          backward-stable least squares (QR, SVD, COD, TSQR): ~ kappa eps, plus
//                  kappa^2 eps ||r|| / (||A|| ||x||) for inconsistent systems
//   kappa_squared  forms or iterates on A^T A (normal equations, gradient descent): ~ kappa^2 eps
enum class ErrorGrowth { kappa, kappa_squared };
// The flop model of one solve (bench/ rates; core/metrics: flops_*_ls, flops_gd_iter).
enum class FlopModel { qr, cholesky, svd, gd_iter };

const char* to_string(ErrorGrowth g);
const char* to_string(FlopModel f);
// The model named by to_string(f) ("qr", "cholesky", "svd", "gd_iter"); false for another name.
bool flop_model_from_string(const std::string& name, FlopModel* f);
// Flops of one solve of an m x n problem under model f (core/metrics: flops_qr_ls,
// flops_cholesky_ls, flops_svd_ls; gd_iter: one iteration, flops_gd_iter).
double model_flops(FlopModel f, double m, double n);

// The algorithm families a SolverEntry may name: normal_eq (Cholesky of A^T A), qr (Householder,
// unpivoted), tsqr, rrqr (column-pivoted QR / complete orthogonal decomposition), svd, qr_refined
// (QR + refinement in extra precision), qr_mixed (QR in lower precision + refinement), gd,
// momentum, nesterov, sgd. bench/algorithms.cpp describes each for the benchmarks.
const std::vector<std::string>& algorithm_families();

struct SolverEntry {
  std::string name;         // backend.family[.variant], e.g. "cpu.qr", "cuda.bgd.resident"
  Backend backend = Backend::cpu;
  Kind kind = Kind::direct;
  std::string description;  // one line for `lsgd list`
  bool f32 = true;
  bool f64 = true;
  // Largest supported shapes (0 = no limit), so tests and benchmarks skip what a solver declines.
  index_t max_n = 0;
  bool requires_full_rank = true;  // false for rank-revealing / minimum-norm solvers
  bool allows_underdetermined = false;  // m < n accepted (minimum-norm solution)
  // Forms A^T A (ridge lambda goes on its diagonal). Accuracy is error_growth, not this.
  bool normal_equations = false;
  ErrorGrowth error_growth = ErrorGrowth::kappa;
  // Returns the minimum-norm solution when A is rank deficient or m < n (SVD, COD).
  bool minimum_norm = false;
  FlopModel flop_model = FlopModel::qr;
  // The algorithm family, one of algorithm_families(): what a benchmark pairs it with (a peer of
  // the same family) and what tests select variants by. Registry::add refuses an entry without one.
  std::string algorithm;

  SolverFactory<float> make_f32;
  SolverFactory<double> make_f64;
  BatchedSolverFactory<float> make_batched_f32;
  BatchedSolverFactory<double> make_batched_f64;

  // Whether the solver can run on this machine now (GPU present, built with CUDA).
  std::function<bool()> available = [] { return true; };
  std::string unavailable_reason = "";  // shown by `lsgd list` when !available()

  bool supports(Precision p) const { return p == Precision::f32 ? f32 : f64; }
  bool is_batched() const { return kind == Kind::batched_direct || kind == Kind::batched_iterative; }
  bool is_iterative() const { return kind == Kind::iterative || kind == Kind::batched_iterative; }
  bool kappa_squared() const { return error_growth == ErrorGrowth::kappa_squared; }

  // Throws InvalidInput if the precision or kind does not match, DeviceError if unavailable.
  template <typename T>
  std::unique_ptr<Solver<T>> make(const SolverOptions& opt = {}) const;
  template <typename T>
  std::unique_ptr<BatchedSolver<T>> make_batched(const SolverOptions& opt = {}) const;

  // The fields every registration sets first; the rest keep their defaults until set.
  static SolverEntry make(std::string name, Backend backend, Kind kind, std::string description) {
    SolverEntry e;
    e.name = std::move(name);
    e.backend = backend;
    e.kind = kind;
    e.description = std::move(description);
    return e;
  }
};

class Registry {
 public:
  void add(SolverEntry entry);  // throws InvalidInput on a duplicate name
  const std::vector<SolverEntry>& entries() const { return entries_; }
  const SolverEntry* find(const std::string& name) const;  // nullptr if absent
  const SolverEntry& get(const std::string& name) const;   // throws InvalidInput listing names

 private:
  std::vector<SolverEntry> entries_;
};

// Registration functions, one per backend; each family adds itself inside them.
void register_cpu_solvers(Registry& r);
void register_cuda_solvers(Registry& r);  // without CUDA: entries that report themselves unavailable
// Without MPI (LSGD_ENABLE_MPI=OFF): nothing. With it: mpi.* entries, available once MPI is
// initialized in the process (lsgd/mpi.hpp).
void register_mpi_solvers(Registry& r);

// The registry with every built-in solver, built once on first use.
const Registry& default_registry();

}  // namespace lsgd
