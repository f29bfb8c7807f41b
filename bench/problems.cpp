#include "bench/problems.hpp"

#include <cmath>
#include <random>
#include <sstream>
#include <vector>

namespace lsgd::bench {
namespace {

struct Slot {
  std::string key;
  std::shared_ptr<const void> problem;
};
Slot& slot() {
  static Slot s;
  return s;
}

template <typename T>
std::string key_of(const ProblemSpec& s) {
  std::ostringstream os;
  os << sizeof(T) << '/' << s.batch << '/' << s.m << '/' << s.n << '/' << to_string(s.gen) << '/'
     << s.kappa_A << '/' << s.noise;
  return os.str();
}

// b += noise * ||b|| / sqrt(m) * N(0,1), in double, then rounded to T (seed 43: independent of A).
template <typename T>
void add_noise(T* b, index_t m, double noise) {
  double norm2 = 0.0;
  for (index_t i = 0; i < m; ++i) norm2 += static_cast<double>(b[i]) * static_cast<double>(b[i]);
  const double scale = noise * std::sqrt(norm2 / static_cast<double>(m));
  std::mt19937_64 rng(43);
  std::normal_distribution<double> normal(0.0, 1.0);
  for (index_t i = 0; i < m; ++i) b[i] = static_cast<T>(static_cast<double>(b[i]) + scale * normal(rng));
}

// Shifts the top n x n diagonal (shifted_gaussian) and recomputes b = A x_true in double from the
// rounded data, so x_true is the exact solution up to the rounding of b.
template <typename T>
void finish(T* A, T* b, const T* x, index_t m, index_t n, bool shift) {
  if (shift) {
    const T s = static_cast<T>(4.0 * std::sqrt(static_cast<double>(m)));
    for (index_t j = 0; j < std::min(m, n); ++j) A[j * m + j] += s;
  }
  std::vector<double> acc(static_cast<size_t>(m), 0.0);
  for (index_t j = 0; j < n; ++j) {
    const double xj = static_cast<double>(x[j]);
    const T* col = A + j * m;
    for (index_t i = 0; i < m; ++i) acc[static_cast<size_t>(i)] += static_cast<double>(col[i]) * xj;
  }
  for (index_t i = 0; i < m; ++i) b[i] = static_cast<T>(acc[static_cast<size_t>(i)]);
}

GenOptions options_of(const ProblemSpec& s) {
  GenOptions o = gen_options(s.m, s.n, 1.0, kProblemSeed);
  if (s.gen == Gen::shifted_gaussian) {
    o.gaussian = true;
  } else {
    o.kappa = s.kappa_A;
  }
  return o;
}

}  // namespace

const char* to_string(Gen g) {
  return g == Gen::shifted_gaussian ? "shifted_gaussian" : "conditioned";
}

void release_problem() { slot() = Slot{}; }

double problem_bytes(const ProblemSpec& s, double elem_bytes) {
  const double batch = s.batch > 0 ? static_cast<double>(s.batch) : 1.0;
  return batch * (static_cast<double>(s.m) * static_cast<double>(s.n) + static_cast<double>(s.m) +
                  static_cast<double>(s.n)) * elem_bytes;
}

template <typename T>
std::shared_ptr<const Problem<T>> get_problem(const ProblemSpec& spec) {
  const std::string key = key_of<T>(spec);
  Slot& s = slot();
  if (s.key == key && s.problem) return std::static_pointer_cast<const Problem<T>>(s.problem);
  release_problem();  // free the previous shape before generating the next one
  auto p = std::make_shared<Problem<T>>(generate<T>(options_of(spec)));
  finish(p->A.data(), p->b.data(), p->x_true.data(), p->m, p->n,
         spec.gen == Gen::shifted_gaussian);
  if (spec.noise > 0.0) add_noise(p->b.data(), p->m, spec.noise);
  s.key = key;
  s.problem = p;
  return p;
}

template <typename T>
std::shared_ptr<const BatchedProblem<T>> get_batch(const ProblemSpec& spec) {
  const std::string key = key_of<T>(spec);
  Slot& s = slot();
  if (s.key == key && s.problem) return std::static_pointer_cast<const BatchedProblem<T>>(s.problem);
  release_problem();
  auto p = std::make_shared<BatchedProblem<T>>(generate_batch<T>(spec.batch, options_of(spec)));
  const bool shift = spec.gen == Gen::shifted_gaussian;
#pragma omp parallel for schedule(static)
  for (index_t q = 0; q < p->batch; ++q) {
    finish(p->a_of(q), p->b_of(q), p->x_true.data() + q * p->n, p->m, p->n, shift);
  }
  s.key = key;
  s.problem = p;
  return p;
}

template std::shared_ptr<const Problem<float>> get_problem<float>(const ProblemSpec&);
template std::shared_ptr<const Problem<double>> get_problem<double>(const ProblemSpec&);
template std::shared_ptr<const BatchedProblem<float>> get_batch<float>(const ProblemSpec&);
template std::shared_ptr<const BatchedProblem<double>> get_batch<double>(const ProblemSpec&);

}  // namespace lsgd::bench
