// cuda.qr.refined: cpu.qr.refined on the GPU (issue 17, item 2). Householder QR (cusolverDnXgeqrf)
// once, then Björck's iterative refinement of the augmented system
//   [ I   A ] [r]   [b]
//   [ A^T 0 ] [x] = [0]
// reusing the factorization for every correction, with the residuals f = b - r - A x and
// g = -A^T r accumulated in double-double in our own kernels (kernels/qr_refined.cu, the arithmetic
// of common/double_double.hpp). Each step, as in cpu.qr.refined:
//   h = R^-T g (trsm),  d = Q^T f (ormqr),  dx = R^-1 (d(0:n) - h) (trsm),  dr = Q [h; d(n:m)]
//   (ormqr),  x += dx,  r += dr.
// The stopping rule is cpu.qr.refined's: the correction fell to rounding (converged), stopped
// shrinking by half (kappa eps too close to 1), or kMaxSteps. The host reads ||x|| and ||dx||
// (cublas<t>nrm2, which returns once the result is written) after each step: the refinement is a
// loop with a data-dependent exit, and its few synchronizations are part of its time.
// The rank check is cuda.qr's (diag(R) and R's column norms from the device; cpu.qr's rule
// |R_jj| <= 10 sqrt(m) eps ||a_j||, kernels/qr_checks.hpp).
// m < n raises InvalidInput (use cuda.svd); m, n must fit in int (ormqr).
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <sstream>
#include <vector>

#include "common/refinement.hpp"
#include "kernels/cublas_overloads.hpp"
#include "kernels/cusolver_overloads.hpp"
#include "kernels/gpu_solver_base.hpp"
#include "kernels/lstsq_kernels.hpp"
#include "kernels/qr_checks.hpp"
#include "kernels/r_rank_check.hpp"
#include "kernels/qr_refined.cuh"
#include "lsgd/registry.hpp"

namespace lsgd::cuda {
namespace {

constexpr int kMaxSteps = 10;

template <typename T>
class RefinedQrSolver final : public GpuSolver<T> {
 public:
  explicit RefinedQrSolver(const SolverOptions& opt) : GpuSolver<T>("cuda.qr.refined", opt) {
    this->reject_ridge();
  }

 private:
  enum Slot : int { kGeqrfInfo = 1, kOrmqrInfo = 2 };

  void check_shape(index_t m, index_t n) const override {
    this->require_overdetermined(m, n);
    this->require_int_range(m, n, "cusolverDn<t>ormqr");
  }

  void prepare(const Problem<T>&) override {
    const index_t m = this->m(), n = this->n();
    const size_t ms = static_cast<size_t>(m), ns = static_cast<size_t>(n);
    W_.resize(ms * ns);
    tau_.resize(ns);
    r_.resize(ms);
    f_.resize(ms);
    h_.resize(ns);
    dx_.resize(ns);
    rank_.resize(this->n());
    size_t geqrf_dev = 0, geqrf_host = 0;
    LSGD_CUSOLVER_CHECK(cusolverDnXgeqrf_bufferSize(
        this->cusolver(), params_.get(), m, n, TypeTraits<T>::data_type, W_.data(), m,
        TypeTraits<T>::data_type, tau_.data(), TypeTraits<T>::data_type, &geqrf_dev, &geqrf_host));
    int lwork = 0;
    for (const cublasOperation_t op : {CUBLAS_OP_T, CUBLAS_OP_N}) {
      int lw = 0;
      LSGD_CUSOLVER_CHECK(ormqr_buffer_size(this->cusolver(), CUBLAS_SIDE_LEFT, op,
                                            static_cast<int>(m), 1, static_cast<int>(n),
                                            W_.data(), static_cast<int>(m), tau_.data(),
                                            r_.data(), static_cast<int>(m), &lw));
      lwork = std::max(lwork, lw);
    }
    ormqr_lwork_ = lwork;
    // geqrf and the ormqr calls run one after the other on the one stream: one workspace.
    const size_t bytes = std::max(geqrf_dev, static_cast<size_t>(lwork) * sizeof(T));
    work_.resize((bytes + sizeof(T) - 1) / sizeof(T));
    geqrf_dev_bytes_ = geqrf_dev;
    work_h_.resize(geqrf_host);
    zero_qr_workspace(work_, tau_, this->stream());
  }

  void stage() override {
    const size_t mn = static_cast<size_t>(this->m()) * static_cast<size_t>(this->n());
    LSGD_CUDA_CHECK(cudaMemcpyAsync(W_.data(), this->A(), mn * sizeof(T),
                                    cudaMemcpyDeviceToDevice, this->stream()));
  }

  // c <- Q^T c (trans T) or Q c (trans N), c of m entries.
  void apply_q(cublasOperation_t trans, T* c) {
    const int m = static_cast<int>(this->m()), n = static_cast<int>(this->n());
    LSGD_CUSOLVER_CHECK(ormqr(this->cusolver(), CUBLAS_SIDE_LEFT, trans, m, 1, n, W_.data(), m,
                              tau_.data(), c, m, work_.data(), ormqr_lwork_,
                              this->status_slot(kOrmqrInfo)));
  }
  // v <- R^-1 v (trans N) or R^-T v (trans T), v of n entries.
  void solve_r(cublasOperation_t trans, T* v) {
    const T one = T(1);
    LSGD_CUBLAS_CHECK(trsm(this->cublas(), CUBLAS_SIDE_LEFT, CUBLAS_FILL_MODE_UPPER, trans,
                           CUBLAS_DIAG_NON_UNIT, this->n(), 1, &one, W_.data(), this->m(), v,
                           this->n()));
  }
  double norm(const T* v, index_t count) {
    T result = T(0);
    LSGD_CUBLAS_CHECK(nrm2(this->cublas(), count, v, 1, &result));  // blocks until written
    return static_cast<double>(result);
  }

  void solve() override {
    const index_t m = this->m(), n = this->n();
    const size_t ns = static_cast<size_t>(n);
    cudaStream_t s = this->stream();
    T* x = this->x();
    LSGD_CUSOLVER_CHECK(
        cusolverDnXgeqrf(this->cusolver(), params_.get(), m, n, TypeTraits<T>::data_type,
                         W_.data(), m, TypeTraits<T>::data_type, tau_.data(),
                         TypeTraits<T>::data_type, work_.data(), geqrf_dev_bytes_,
                         work_h_.empty() ? nullptr : work_h_.data(), work_h_.size(),
                         this->status_slot(kGeqrfInfo)));
    // diag(R) and R's column norms for the rank check in check(): computed on the device next to
    // each other, one contiguous copy.
    rank_.gather(W_.data(), m, s);
    // The plain QR solution x0 = R^-1 (Q^T b)(0:n) and its residual r0 = Q [0; (Q^T b)(n:m)].
    LSGD_CUDA_CHECK(cudaMemcpyAsync(r_.data(), this->b(), static_cast<size_t>(m) * sizeof(T),
                                    cudaMemcpyDeviceToDevice, s));
    apply_q(CUBLAS_OP_T, r_.data());
    LSGD_CUDA_CHECK(cudaMemcpyAsync(x, r_.data(), ns * sizeof(T), cudaMemcpyDeviceToDevice, s));
    solve_r(CUBLAS_OP_N, x);
    LSGD_CUDA_CHECK(cudaMemsetAsync(r_.data(), 0, ns * sizeof(T), s));
    apply_q(CUBLAS_OP_N, r_.data());

    const double eps_t = static_cast<double>(std::numeric_limits<T>::epsilon());
    refinement_ = cpu::Refinement(norm(x, n));
    overflow_ = false;
    for (int k = 1; k <= kMaxSteps; ++k) {
      refine_residuals(this->A(), m, n, this->b(), r_.data(), x, f_.data(), h_.data(), s);
      solve_r(CUBLAS_OP_T, h_.data());             // h = R^-T g
      apply_q(CUBLAS_OP_T, f_.data());             // d = Q^T f
      refine_split(f_.data(), h_.data(), dx_.data(), n, s);  // dx = d(0:n) - h, d(0:n) = h
      solve_r(CUBLAS_OP_N, dx_.data());            // dx = R^-1 (d(0:n) - h)
      apply_q(CUBLAS_OP_N, f_.data());             // dr = Q [h; d(n:m)]
      add_in_place(x, dx_.data(), n, s);
      add_in_place(r_.data(), f_.data(), m, s);
      const double xn = norm(x, n);
      const double dn = norm(dx_.data(), n);
      if (!std::isfinite(xn) || !std::isfinite(dn)) {
        overflow_ = true;  // check(): rank deficient (diag(R)) or overflow
        break;
      }
      if (!refinement_.keep_going(k, xn, dn, eps_t)) break;
    }
  }

  void check() override {
    check_qr_infos(this->name(), this->status(kGeqrfInfo), this->status(kOrmqrInfo));
    rank_.check(this->name(), this->m());
    if (overflow_) {
      throw NumericalError(this->name() +
                           ": the refined solution overflowed (the data overflow in this "
                           "precision; rescale the columns of A)");
    }
    SolveInfo& info = this->info_;
    info.iterations = refinement_.steps;
    info.converged = refinement_.converged;
    info.note = refinement_.note();
  }

  CusolverParams params_;
  DeviceBuffer<T> W_;    // A, factored in place (R on top, the reflectors below)
  DeviceBuffer<T> tau_;
  DeviceBuffer<T> r_;    // the residual r of the augmented system
  DeviceBuffer<T> f_;    // f = b - r - A x, then Q^T f, then the correction dr
  DeviceBuffer<T> h_;    // g = -A^T r, then R^-T g
  DeviceBuffer<T> dx_;   // the correction of x
  DeviceBuffer<T> work_;
  RRankCheck<T> rank_;  // diag(R) and R's column norms, gathered in solve(), tested by check()
  size_t geqrf_dev_bytes_ = 0;
  int ormqr_lwork_ = 0;
  std::vector<char> work_h_;
  cpu::Refinement refinement_{0.0};  // cpu.qr.refined's stopping rule and note
  bool overflow_ = false;
};

}  // namespace
}  // namespace lsgd::cuda

namespace lsgd {

void register_cuda_qr_refined(SolverEntry& e) {
  e.make_f32 = [](const SolverOptions& o) {
    return std::make_unique<cuda::RefinedQrSolver<float>>(o);
  };
  e.make_f64 = [](const SolverOptions& o) {
    return std::make_unique<cuda::RefinedQrSolver<double>>(o);
  };
}

}  // namespace lsgd
