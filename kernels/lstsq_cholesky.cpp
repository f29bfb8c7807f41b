// cuda.cholesky: least squares through the normal equations on the GPU.
//   G = A^T A [+ lambda I: a diagonal kernel], c = A^T b (gemv),
//   G = L L^T (cusolverDnXpotrf, lower), x = G^{-1} c (cusolverDnXpotrs, in place in x).
// G comes from cublas<t>syrk (n^2 m flops, lower triangle) when n > kGemmMaxN. For n <= kGemmMaxN
// forming A^T A is memory-bound on an H100 (GEMM reads 8 m n bytes for 2 n^2 m flops: n/4 flops
// per byte, below the FP64 ridge of 56 TFLOP/s / 2.98 TB/s ~ 19 for n < ~75), so the doubled flops
// of a full GEMM cost nothing there, and cuBLAS's GEMM heuristics split the long k = m dimension
// across the GPU, which a SYRK with a 64 x 64 output may not do. The cut-off is a prediction to
// measure (bench/NOTES.md (gpuls)); tests cover both paths.
// A is only read, so no working copy of it is staged. The forward error scales with kappa(A)^2.
// Rank test: cpu.cholesky's (common/rank_tolerance.hpp). potrf fails only on a non-positive pivot,
// but rounding in forming A^T A leaves the pivots of a singular A^T A at about +-sqrt(m) eps
// G(j,j), positive half the time; so diag(G) (before potrf) and diag(L) (after) are gathered on
// the device and copied to pinned memory inside the timed region (two small kernels and one copy
// of 2n entries), and check() raises NumericalError when L(j,j)^2 <= 10 sqrt(m) eps G(j,j), or
// when G(j,j) is not finite (overflow).
#include <cmath>
#include <memory>
#include <sstream>
#include <vector>

#include "common/rank_tolerance.hpp"
#include "kernels/cublas_overloads.hpp"
#include "kernels/cusolver_overloads.hpp"
#include "kernels/gpu_solver_base.hpp"
#include "kernels/lstsq_kernels.hpp"
#include "kernels/qr_checks.hpp"
#include "lsgd/registry.hpp"

namespace lsgd::cuda {
namespace {

template <typename T>
class CholeskySolver final : public GpuSolver<T> {
 public:
  explicit CholeskySolver(const SolverOptions& opt) : GpuSolver<T>("cuda.cholesky", opt) {
    if (!(opt.ridge_lambda >= 0.0) || !std::isfinite(opt.ridge_lambda)) {
      throw InvalidInput("cuda.cholesky: ridge lambda must be finite and >= 0");
    }
  }

 private:
  enum Slot : int { kPotrfInfo = 1, kPotrsInfo = 2 };
  static constexpr index_t kGemmMaxN = 128;

  void prepare(const Problem<T>&) override {
    const index_t n = this->n();
    G_.resize(static_cast<size_t>(n) * static_cast<size_t>(n));
    size_t dev_bytes = 0, host_bytes = 0;
    LSGD_CUSOLVER_CHECK(cusolverDnXpotrf_bufferSize(
        this->cusolver(), params_.get(), CUBLAS_FILL_MODE_LOWER, n, TypeTraits<T>::data_type,
        G_.data(), n, TypeTraits<T>::data_type, &dev_bytes, &host_bytes));
    work_d_.resize(dev_bytes);
    work_h_.resize(host_bytes);
    diag_d_.resize(2 * static_cast<size_t>(n));
    diag_.resize(2 * static_cast<size_t>(n));
  }

  void solve() override {
    const index_t m = this->m(), n = this->n();
    const T one = T(1), zero = T(0);
    if (n <= kGemmMaxN) {
      LSGD_CUBLAS_CHECK(gemm(this->cublas(), CUBLAS_OP_T, CUBLAS_OP_N, n, n, m, &one, this->A(), m,
                             this->A(), m, &zero, G_.data(), n));
    } else {
      LSGD_CUBLAS_CHECK(syrk(this->cublas(), CUBLAS_FILL_MODE_LOWER, CUBLAS_OP_T, n, m, &one,
                             this->A(), m, &zero, G_.data(), n));
    }
    if (this->options().ridge_lambda > 0.0) {
      add_to_diagonal(G_.data(), n, n, static_cast<T>(this->options().ridge_lambda),
                      this->stream());
    }
    LSGD_CUBLAS_CHECK(gemv(this->cublas(), CUBLAS_OP_T, m, n, &one, this->A(), m, this->b(), 1,
                           &zero, this->x(), 1));
    // diag(G) for the rank test in check(), before potrf overwrites it with diag(L).
    gather_strided(diag_d_.data(), G_.data(), 1, n, n + 1, this->stream());
    LSGD_CUSOLVER_CHECK(cusolverDnXpotrf(
        this->cusolver(), params_.get(), CUBLAS_FILL_MODE_LOWER, n, TypeTraits<T>::data_type,
        G_.data(), n, TypeTraits<T>::data_type, work_d_.data(), work_d_.bytes(),
        work_h_.empty() ? nullptr : work_h_.data(), work_h_.size(), this->status_slot(kPotrfInfo)));
    gather_strided(diag_d_.data() + n, G_.data(), 1, n, n + 1, this->stream());  // diag(L)
    diag_d_.download(diag_.data(), 2 * static_cast<size_t>(n), this->stream());
    LSGD_CUSOLVER_CHECK(cusolverDnXpotrs(
        this->cusolver(), params_.get(), CUBLAS_FILL_MODE_LOWER, n, 1, TypeTraits<T>::data_type,
        G_.data(), n, TypeTraits<T>::data_type, this->x(), n, this->status_slot(kPotrsInfo)));
  }

  void check() override {
    const int potrf = this->status(kPotrfInfo), potrs = this->status(kPotrsInfo);
    if (potrf < 0 || potrs < 0) {
      std::ostringstream os;
      os << "cuda.cholesky: cuSOLVER rejected argument " << -(potrf < 0 ? potrf : potrs) << " of "
         << (potrf < 0 ? "cusolverDnXpotrf" : "cusolverDnXpotrs");
      throw DeviceError(os.str());
    }
    const bool ridge = this->options().ridge_lambda > 0.0;
    const index_t n = this->n();
    const T* gdiag = diag_.data();      // diag(G), lambda included
    const T* ldiag = diag_.data() + n;  // diag(L)
    for (index_t j = 0; j < n; ++j) {
      if (!std::isfinite(gdiag[j])) cpu::throw_overflow(this->name(), j);
    }
    if (potrf > 0) {
      std::ostringstream os;
      os << "cuda.cholesky: A^T A" << (ridge ? " + lambda I" : "")
         << " is not positive definite: the leading minor of order " << potrf
         << " is not positive definite (column " << potrf
         << " of A is numerically dependent on the columns before it, or A is too "
            "ill-conditioned for the normal equations); use cuda.qr or cuda.svd";
      throw NumericalError(os.str());
    }
    const T tol = cpu::rank_tolerance<T>(this->m());
    for (index_t j = 0; j < n; ++j) {
      if (!cpu::gram_pivot_dependent(ldiag[j], gdiag[j], tol)) continue;
      std::ostringstream os;
      os << "cuda.cholesky: A^T A" << (ridge ? " + lambda I" : "")
         << " is not numerically positive definite at column " << j + 1 << " (L(" << j + 1
         << "," << j + 1 << ")^2 = " << ldiag[j] * ldiag[j] << " <= 10 sqrt(m) eps G(" << j + 1
         << "," << j + 1 << ") = " << tol * gdiag[j]
         << "; A is rank deficient or too ill-conditioned for the normal equations, whose error "
            "grows like kappa^2); use cuda.qr, or cuda.svd for rank-deficient A";
      throw NumericalError(os.str());
    }
  }

  CusolverParams params_;
  DeviceBuffer<T> G_;
  DeviceBuffer<char> work_d_;
  std::vector<char> work_h_;
  DeviceBuffer<T> diag_d_;  // diag(G) before potrf, then diag(L) after it
  PinnedBuffer<T> diag_;    // their host copy, read by check()
};

}  // namespace
}  // namespace lsgd::cuda

namespace lsgd {

void register_cuda_cholesky(SolverEntry& e) {
  e.make_f32 = [](const SolverOptions& o) {
    return std::make_unique<cuda::CholeskySolver<float>>(o);
  };
  e.make_f64 = [](const SolverOptions& o) {
    return std::make_unique<cuda::CholeskySolver<double>>(o);
  };
}

}  // namespace lsgd
