#pragma once
// Benchmark problems: generated once per shape and kept while consecutive benchmarks use them
// (benchmarks are registered shape-major, so every solver and mode of a shape shares one problem).
#include <cstdint>
#include <memory>
#include <string>

#include "lsgd/problem.hpp"
#include "lsgd/solver.hpp"

namespace lsgd::bench {

enum class Gen {
  // A = G + 4 sqrt(m) [I_n; 0] with G i.i.d. N(0,1): fast to generate at any size, and for m >= n
  // kappa(A) <= 3 (||G|| <= sqrt(m) + sqrt(n) <= 2 sqrt(m) with high probability), so every solver,
  // normal equations in float included, solves it and GD converges in tens of iterations.
  shifted_gaussian,
  // A = U diag(sigma) V^T with kappa(A) = kappa_A (lsgd::generate): the time-to-accuracy sweep.
  conditioned,
};
const char* to_string(Gen g);

struct ProblemSpec {
  index_t batch = 0;  // 0: a single Problem; > 0: a BatchedProblem
  index_t m = 0;
  index_t n = 0;
  Gen gen = Gen::shifted_gaussian;
  double kappa_A = 1.0;  // Gen::conditioned only
  // 0: a consistent problem. > 0: b = A x_true + noise * ||A x_true|| / sqrt(m) * N(0,1) (then x_true
  // is not the least-squares solution; bench_acc grades against lstsq_reference instead).
  double noise = 0.0;
};

// The seed of every benchmark problem (problem q of a batch: as lsgd::generate_batch derives it).
constexpr std::uint64_t kProblemSeed = 42;

// The id of a problem's data in the case list and the JSON ("problem" field), e.g.
// "shifted_gaussian/f64/m:4096/n:64/seed:42", "conditioned/f32/m:512/n:32/kappa_A:1e+06/noise:1e-06/seed:42":
// two entries with the same id solved the same numbers.
std::string problem_id(const ProblemSpec& spec, Precision p);

// Writes the problem of precision T as DIR/A.npy (m x n, or m x n x batch, Fortran order: lsgd's
// column-major, problem-major layout), DIR/b.npy (m, or m x batch), DIR/x_true.npy (n, or
// n x batch) and DIR/problem.json (id, sizes, generator). Creates DIR. Throws Error on I/O failure.
template <typename T>
void write_problem(const ProblemSpec& spec, const std::string& dir);

// Problems with b = A x_true computed in double from the rounded A and x_true (consistent when
// noise = 0), seed kProblemSeed.
template <typename T>
std::shared_ptr<const Problem<T>> get_problem(const ProblemSpec& spec);
template <typename T>
std::shared_ptr<const BatchedProblem<T>> get_batch(const ProblemSpec& spec);

// Drops the cached problem (users holding a shared_ptr keep theirs alive).
void release_problem();

// Bytes of A, b and x_true of a spec in precision T (before generating it).
double problem_bytes(const ProblemSpec& spec, double elem_bytes);

}  // namespace lsgd::bench
