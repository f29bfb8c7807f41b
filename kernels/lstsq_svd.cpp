// cuda.svd: minimum-norm least squares by the SVD on the GPU; handles rank deficiency and m < n.
//
// cusolverDnXgesvd needs rows >= columns, so it factors the tall orientation W (r x c, r >= c):
//   m >= n: W = A   = U S V^T          x = V S^+ U^T b    (t = U^T b; x = VT^T t)
//   m <  n: W = A^T = U S V^T, A = V S U^T,  x = U S^+ V^T b  (t = VT b;  x = U t)
// S^+ keeps 1/s_i for s_i > rcond * s_max (rcond from the options, default max(m,n) * eps) and
// zeroes the rest (a small kernel, which also counts the numerical rank reported in info().note).
#include <algorithm>
#include <limits>
#include <memory>
#include <sstream>
#include <vector>

#include "kernels/cublas_overloads.hpp"
#include "kernels/cusolver_overloads.hpp"
#include "kernels/gpu_solver_base.hpp"
#include "kernels/lstsq_kernels.hpp"
#include "lsgd/registry.hpp"

namespace lsgd::cuda {
namespace {

template <typename T>
class SvdSolver final : public GpuSolver<T> {
 public:
  explicit SvdSolver(const SolverOptions& opt) : GpuSolver<T>("cuda.svd", opt) {
    this->reject_ridge();
  }

 private:
  enum Slot : int { kGesvdInfo = 1, kRank = 2 };

  index_t rows() const { return std::max(this->m(), this->n()); }
  index_t cols() const { return std::min(this->m(), this->n()); }
  bool tall() const { return this->m() >= this->n(); }

  T rcond() const {
    const double rc = this->options().rcond >= 0.0
                          ? this->options().rcond
                          : static_cast<double>(rows()) * std::numeric_limits<T>::epsilon();
    return static_cast<T>(rc);
  }

  void prepare(const Problem<T>&) override {
    const index_t r = rows(), c = cols();
    const size_t rc = static_cast<size_t>(r) * static_cast<size_t>(c);
    W_.resize(rc);
    U_.resize(rc);
    VT_.resize(static_cast<size_t>(c) * static_cast<size_t>(c));
    S_.resize(static_cast<size_t>(c));
    t_.resize(static_cast<size_t>(c));
    size_t dev_bytes = 0, host_bytes = 0;
    const cudaDataType_t dt = TypeTraits<T>::data_type;
    LSGD_CUSOLVER_CHECK(cusolverDnXgesvd_bufferSize(
        this->cusolver(), params_.get(), 'S', 'S', r, c, dt, W_.data(), r, dt, S_.data(), dt,
        U_.data(), r, dt, VT_.data(), c, dt, &dev_bytes, &host_bytes));
    work_d_.resize(dev_bytes);
    work_h_.resize(host_bytes);
    // Xgesvd's first step is a Householder QR whose tau lives in this workspace: zeroed for the
    // reason zero_qr_workspace (kernels/r_rank_check.hpp) gives. On the H200 (2026-12-04, second
    // run) initcheck's remaining reports, 88800 in geqr2_smem_domino_fast, all came from here
    // (this zeroing came after that run: not yet checked on a GPU).
    work_d_.zero(this->stream());
  }

  void stage() override {
    if (tall()) {
      const size_t mn = static_cast<size_t>(this->m()) * static_cast<size_t>(this->n());
      LSGD_CUDA_CHECK(cudaMemcpyAsync(W_.data(), this->A(), mn * sizeof(T),
                                      cudaMemcpyDeviceToDevice, this->stream()));
    } else {
      // geam reads its second input (here W itself) even with beta = 0 unless documented
      // otherwise; zeroing W first keeps stale NaNs out of beta * W.
      W_.zero(this->stream());
      LSGD_CUBLAS_CHECK(transpose(this->cublas(), this->m(), this->n(), this->A(), this->m(),
                                  W_.data(), this->n()));
    }
  }

  void solve() override {
    const index_t r = rows(), c = cols();
    const cudaDataType_t dt = TypeTraits<T>::data_type;
    LSGD_CUSOLVER_CHECK(cusolverDnXgesvd(
        this->cusolver(), params_.get(), 'S', 'S', r, c, dt, W_.data(), r, dt, S_.data(), dt,
        U_.data(), r, dt, VT_.data(), c, dt, work_d_.data(), work_d_.bytes(),
        work_h_.empty() ? nullptr : work_h_.data(), work_h_.size(), this->status_slot(kGesvdInfo)));
    const T one = T(1), zero = T(0);
    if (tall()) {  // t = U^T b (U: m x n)
      LSGD_CUBLAS_CHECK(gemv(this->cublas(), CUBLAS_OP_T, r, c, &one, U_.data(), r, this->b(), 1,
                             &zero, t_.data(), 1));
    } else {  // t = VT b (VT: m x m)
      LSGD_CUBLAS_CHECK(gemv(this->cublas(), CUBLAS_OP_N, c, c, &one, VT_.data(), c, this->b(), 1,
                             &zero, t_.data(), 1));
    }
    svd_pinv_scale(t_.data(), S_.data(), c, rcond(), this->status_slot(kRank), this->stream());
    if (tall()) {  // x = VT^T t (VT: n x n)
      LSGD_CUBLAS_CHECK(gemv(this->cublas(), CUBLAS_OP_T, c, c, &one, VT_.data(), c, t_.data(), 1,
                             &zero, this->x(), 1));
    } else {  // x = U t (U: n x m)
      LSGD_CUBLAS_CHECK(gemv(this->cublas(), CUBLAS_OP_N, r, c, &one, U_.data(), r, t_.data(), 1,
                             &zero, this->x(), 1));
    }
  }

  void check() override {
    const int info = this->status(kGesvdInfo);
    if (info < 0) {
      throw DeviceError("cuda.svd: cuSOLVER rejected argument " + std::to_string(-info) +
                        " of cusolverDnXgesvd");
    }
    if (info > 0) {
      throw NumericalError("cuda.svd: the SVD did not converge (" + std::to_string(info) +
                           " superdiagonals of the bidiagonal form did not reach zero)");
    }
    std::ostringstream os;
    os << "numerical rank " << this->status(kRank) << " of " << cols() << " (rcond " << rcond()
       << ")" << (tall() ? "" : "; factored A^T (m < n)");
    this->info_.note = os.str();
  }

  CusolverParams params_;
  DeviceBuffer<T> W_, U_, VT_, S_, t_;
  DeviceBuffer<char> work_d_;
  std::vector<char> work_h_;
};

}  // namespace
}  // namespace lsgd::cuda

namespace lsgd {

void register_cuda_svd(SolverEntry& e) {
  e.make_f32 = [](const SolverOptions& o) { return std::make_unique<cuda::SvdSolver<float>>(o); };
  e.make_f64 = [](const SolverOptions& o) { return std::make_unique<cuda::SvdSolver<double>>(o); };
}

}  // namespace lsgd
