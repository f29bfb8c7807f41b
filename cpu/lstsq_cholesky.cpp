// cpu.cholesky: the normal equations (A^T A + lambda I) x = A^T b by SYRK (half the flops of a GEMM
// on A^T A), GEMV, and LAPACK's POTRF/POTRS. Float and double. Forward error ~ kappa^2 eps.
// A^T A and A^T b are formed in ONE read of A: each thread walks its own row range in L2-sized
// chunks, SYRK and GEMV on each chunk while it is in cache, into private sums added at the end (a
// SYRK then a GEMV over all of A read a tall A twice; measured in bench/NOTES.md, cpucap).
#include <algorithm>
#include <memory>
#include <sstream>

#include "cpu/cpu_families.hpp"
#include "cpu/lstsq_common.hpp"
#include "cpu/normal_equations.hpp"

namespace lsgd::cpu {
namespace normal {

template <typename T>
void gram_rows(const T* A, index_t lda, index_t r0, index_t r1, index_t n_, const T* b,
               index_t chunk, T* G, T* c) {
  const int n = static_cast<int>(n_);
  std::fill(G, G + static_cast<size_t>(n) * static_cast<size_t>(n), T(0));
  std::fill(c, c + n, T(0));
  for (index_t i = r0; i < r1; i += chunk) {
    const int len = static_cast<int>(std::min(chunk, r1 - i));
    lapack::syrk_upper_t(n, len, T(1), A + i, static_cast<int>(lda), T(1), G, n);
    lapack::gemv('T', len, n, T(1), A + i, static_cast<int>(lda), b + i, T(1), c);
  }
}

template <typename T>
void solve_gram(const std::string& who, index_t m, index_t n_, T lambda, T* G, T* x, T* diag,
                const T* scales) {
  const int n = static_cast<int>(n_);
  for (int j = 0; j < n; ++j) {
    const T dj = scales != nullptr ? scales[j] : T(1);
    G[j * n + j] += lambda * dj * dj;
    diag[j] = G[j * n + j];
    if (!std::isfinite(diag[j])) throw_overflow(who, j);
  }
  // POTRF fails only on a non-positive pivot, but rounding in forming A^T A leaves the pivots of
  // a singular A^T A at about +-sqrt(m) eps G(j,j), positive half the time. A pivot below that
  // noise means column j is numerically dependent on the ones before it (scale-invariant:
  // pivot / G(j,j) is the squared sine of its angle to their span).
  const int info = lapack::potrf_upper(n, G, n);
  const T tol = rank_tolerance<T>(m);
  int bad = info > 0 ? info - 1 : -1;
  for (int j = 0; j < n && bad < 0; ++j) {
    if (gram_pivot_dependent(G[j * n + j], diag[j], tol)) bad = j;  // common/rank_tolerance.hpp
  }
  if (bad >= 0) {
    std::ostringstream os;
    os << who << ": A^T A" << (lambda > T(0) ? " + lambda I" : "")
       << " is not numerically positive definite at column " << bad + 1
       << " (A is rank deficient or too ill-conditioned for the normal equations, whose error "
          "grows like kappa^2); use cpu.qr, or cpu.cod / cpu.svd for rank-deficient A";
    throw NumericalError(os.str());
  }
  lapack::potrs_upper(n, 1, G, n, x, n);
}

#define LSGD_NORMAL_INSTANTIATE(T)                                                                \
  template void gram_rows<T>(const T*, index_t, index_t, index_t, index_t, const T*, index_t, T*, \
                             T*);                                                                 \
  template void solve_gram<T>(const std::string&, index_t, index_t, T, T*, T*, T*, const T*);
LSGD_NORMAL_INSTANTIATE(float)
LSGD_NORMAL_INSTANTIATE(double)
#undef LSGD_NORMAL_INSTANTIATE

}  // namespace normal

namespace {

// Bytes of A per chunk: a quarter of a 1-2 MB L2, so the chunk stays there between SYRK and GEMV.
constexpr index_t kChunkBytes = 512 * 1024;
// Entries of A per thread below which a second thread costs more than it saves.
constexpr index_t kMinEntriesPerThread = index_t{1} << 18;
// m / n from which A counts as tall.
constexpr index_t kTallRatio = 128;

template <typename T>
class CholeskySolver final : public DirectSolverBase<T> {
 public:
  explicit CholeskySolver(const SolverOptions& opt)
      : DirectSolverBase<T>("cpu.cholesky", opt, false) {}

 private:
  void allocate() override {
    const index_t m = this->m_, n = this->n_;
    // Tall A (m >= 128 n): SYRK is memory-bound, so chunks that are read once pay; otherwise one SYRK
    // over all of A on the BLAS's threads is compute-bound and needs the long inner dimension.
    chunked_ = m >= kTallRatio * n;
    threads_ = chunked_ ? static_cast<int>(std::max<index_t>(
                              1, std::min<index_t>(this->info_.threads, m * n / kMinEntriesPerThread)))
                        : 1;
    if (chunked_) this->info_.threads = threads_;
    chunk_ = std::max<index_t>(4 * n, kChunkBytes / (n * static_cast<index_t>(sizeof(T))));
    G_.assign(static_cast<size_t>(n * n), T(0));
    diag_.assign(static_cast<size_t>(n), T(0));
    partial_G_.assign(static_cast<size_t>(std::max(0, threads_ - 1)) * static_cast<size_t>(n * n),
                      T(0));
    partial_c_.assign(static_cast<size_t>(std::max(0, threads_ - 1)) * static_cast<size_t>(n), T(0));
  }

  void gram_rows(index_t r0, index_t r1, T* G, T* c) const {
    normal::gram_rows(this->A_.data(), this->m_, r0, r1, this->n_, this->b_.data(), chunk_, G, c);
  }

  // On A D (A_ holds it): G = D (A^T A) D, and lambda I becomes lambda D^2.
  index_t solve_equilibrated() override {
    const int n = static_cast<int>(this->n_);
    const index_t m = this->m_;
    T* G = G_.data();
    T* x = this->x_.data();
    const int P = threads_;
    if (!chunked_) {
      const int mi = static_cast<int>(m);
      lapack::syrk_upper_t(n, mi, T(1), this->A_.data(), mi, T(0), G, n);
      lapack::gemv('T', mi, n, T(1), this->A_.data(), mi, this->b_.data(), T(0), x);
    } else {
      for_each_partition(P, [&](int t) {
        T* Gt = t == 0 ? G : partial_G_.data() + static_cast<size_t>(t - 1) * n * n;
        T* ct = t == 0 ? x : partial_c_.data() + static_cast<size_t>(t - 1) * n;
        gram_rows(m * t / P, m * (t + 1) / P, Gt, ct);
      });
      for (int t = 1; t < P; ++t) {  // thread order: deterministic for a given thread count
        const T* Gt = partial_G_.data() + static_cast<size_t>(t - 1) * n * n;
        const T* ct = partial_c_.data() + static_cast<size_t>(t - 1) * n;
        for (int j = 0; j < n; ++j) {
          for (int i = 0; i <= j; ++i) G[j * n + i] += Gt[j * n + i];
          x[j] += ct[j];
        }
      }
    }
    normal::solve_gram(this->name_, this->m_, this->n_, static_cast<T>(this->opt_.ridge_lambda), G,
                       x, diag_.data(), this->scales().empty() ? nullptr : this->scales().data());
    return this->n_;
  }

  bool chunked_ = false;
  int threads_ = 1;
  index_t chunk_ = 0;
  std::vector<T> G_, diag_, partial_G_, partial_c_;
};

}  // namespace
}  // namespace lsgd::cpu

namespace lsgd {

void register_cpu_cholesky(Registry& r) {
  r.add(cpu::direct_entry<cpu::CholeskySolver>(
      "cpu.cholesky", "normal_eq",
      "normal equations A^T A x = A^T b: chunked SYRK + GEMV (one read of A) + Cholesky (LAPACK); "
      "ridge lambda",
      true, false, true));
}

}  // namespace lsgd
