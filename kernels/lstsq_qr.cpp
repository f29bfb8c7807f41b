// cuda.qr and cuda.qr.augmented: Householder QR least squares on the GPU (m >= n, full rank).
//
//   cuda.qr            A = QR (cusolverDnXgeqrf), c = Q^T b (cusolverDn<t>ormqr, side L, trans T),
//                      R x = c(0:n) (cublas<t>trsm, upper, non-unit).
//   cuda.qr.augmented  QR of the m x (n+1) matrix [A b] (one Xgeqrf): its last column's top n
//                      entries are Q^T b, computed by the same Householder reflectors ormqr would
//                      apply, so ormqr (and its pass over A) disappears; then the same trsm.
//                      Extra cost: one more column in geqrf, about 2/n of its flops.
//
// Both gather the n diagonal entries of R and the norms ||R(0:j, j)|| of its columns (= ||a_j||)
// on the device (two small kernels), copy them to pinned host memory inside the timed region, and
// check() raises NumericalError with cpu.qr's rule (kernels/qr_checks.hpp,
// common/rank_tolerance.hpp): column j is numerically dependent on the columns before it when
// |R_jj| <= 10 sqrt(m) eps ||a_j||, and a non-finite column norm is an overflow. m < n raises
// InvalidInput (use cuda.svd).
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <sstream>
#include <vector>

#include "kernels/cublas_overloads.hpp"
#include "kernels/cusolver_overloads.hpp"
#include "kernels/gpu_solver_base.hpp"
#include "kernels/lstsq_kernels.hpp"
#include "kernels/qr_checks.hpp"
#include "kernels/r_rank_check.hpp"
#include "lsgd/registry.hpp"

namespace lsgd::cuda {
namespace {

template <typename T>
class QrSolver final : public GpuSolver<T> {
 public:
  QrSolver(bool augmented, const SolverOptions& opt)
      : GpuSolver<T>(augmented ? "cuda.qr.augmented" : "cuda.qr", opt), augmented_(augmented) {
    this->reject_ridge();
  }

 private:
  enum Slot : int { kGeqrfInfo = 1, kOrmqrInfo = 2 };

  void check_shape(index_t m, index_t n) const override {
    this->require_overdetermined(m, n);
    if (!augmented_) this->require_int_range(m, n, "cusolverDn<t>ormqr");
  }

  // Columns factored: n, or n + 1 with b appended.
  index_t cols() const { return augmented_ ? this->n() + 1 : this->n(); }

  void prepare(const Problem<T>&) override {
    const index_t m = this->m(), n = this->n(), c = cols();
    W_.resize(static_cast<size_t>(m) * static_cast<size_t>(c));
    tau_.resize(static_cast<size_t>(std::min(m, c)));
    if (!augmented_) bw_.resize(static_cast<size_t>(m));
    rank_.resize(n);

    size_t geqrf_dev = 0, geqrf_host = 0;
    LSGD_CUSOLVER_CHECK(cusolverDnXgeqrf_bufferSize(
        this->cusolver(), params_.get(), m, c, TypeTraits<T>::data_type, W_.data(), m,
        TypeTraits<T>::data_type, tau_.data(), TypeTraits<T>::data_type, &geqrf_dev, &geqrf_host));
    size_t ormqr_bytes = 0;
    if (!augmented_) {
      int lwork = 0;
      LSGD_CUSOLVER_CHECK(ormqr_buffer_size(this->cusolver(), CUBLAS_SIDE_LEFT, CUBLAS_OP_T,
                                            static_cast<int>(m), 1, static_cast<int>(n), W_.data(),
                                            static_cast<int>(m), tau_.data(), bw_.data(),
                                            static_cast<int>(m), &lwork));
      ormqr_lwork_ = lwork;
      ormqr_bytes = static_cast<size_t>(lwork) * sizeof(T);
    }
    // geqrf and ormqr run one after the other on the same stream: one workspace serves both.
    const size_t bytes = std::max(geqrf_dev, ormqr_bytes);
    work_.resize((bytes + sizeof(T) - 1) / sizeof(T));
    geqrf_dev_bytes_ = geqrf_dev;
    work_h_.resize(geqrf_host);
    zero_qr_workspace(work_, tau_, this->stream());
  }

  void stage() override {
    const size_t mn = static_cast<size_t>(this->m()) * static_cast<size_t>(this->n());
    const size_t m = static_cast<size_t>(this->m());
    LSGD_CUDA_CHECK(cudaMemcpyAsync(W_.data(), this->A(), mn * sizeof(T), cudaMemcpyDeviceToDevice,
                                    this->stream()));
    T* rhs = augmented_ ? W_.data() + mn : bw_.data();
    LSGD_CUDA_CHECK(
        cudaMemcpyAsync(rhs, this->b(), m * sizeof(T), cudaMemcpyDeviceToDevice, this->stream()));
  }

  void solve() override {
    const index_t m = this->m(), n = this->n(), c = cols();
    const size_t mn = static_cast<size_t>(m) * static_cast<size_t>(n);
    LSGD_CUSOLVER_CHECK(
        cusolverDnXgeqrf(this->cusolver(), params_.get(), m, c, TypeTraits<T>::data_type, W_.data(),
                         m, TypeTraits<T>::data_type, tau_.data(), TypeTraits<T>::data_type,
                         work_.data(), geqrf_dev_bytes_, work_h_.empty() ? nullptr : work_h_.data(),
                         work_h_.size(), this->status_slot(kGeqrfInfo)));
    T* rhs = augmented_ ? W_.data() + mn : bw_.data();
    if (!augmented_) {
      LSGD_CUSOLVER_CHECK(ormqr(this->cusolver(), CUBLAS_SIDE_LEFT, CUBLAS_OP_T,
                                static_cast<int>(m), 1, static_cast<int>(n), W_.data(),
                                static_cast<int>(m), tau_.data(), bw_.data(), static_cast<int>(m),
                                work_.data(), ormqr_lwork_, this->status_slot(kOrmqrInfo)));
    }
    // diag(R) (entry j sits at W[j * (m + 1)]) and the column norms of R, computed on the device
    // next to each other, then one contiguous copy.
    rank_.gather(W_.data(), m, this->stream());
    const T one = T(1);
    LSGD_CUBLAS_CHECK(trsm(this->cublas(), CUBLAS_SIDE_LEFT, CUBLAS_FILL_MODE_UPPER, CUBLAS_OP_N,
                           CUBLAS_DIAG_NON_UNIT, n, 1, &one, W_.data(), m, rhs, m));
    LSGD_CUDA_CHECK(cudaMemcpyAsync(this->x(), rhs, static_cast<size_t>(n) * sizeof(T),
                                    cudaMemcpyDeviceToDevice, this->stream()));
  }

  void check() override {
    check_qr_infos(this->name(), this->status(kGeqrfInfo), this->status(kOrmqrInfo));
    rank_.check(this->name(), this->m());
  }

  bool augmented_;
  CusolverParams params_;
  DeviceBuffer<T> W_;   // A (m x n) or [A b] (m x (n+1)), factored in place
  DeviceBuffer<T> bw_;  // working copy of b (cuda.qr only): Q^T b, then x in its top n entries
  DeviceBuffer<T> tau_;
  DeviceBuffer<T> work_;
  size_t geqrf_dev_bytes_ = 0;
  int ormqr_lwork_ = 0;
  std::vector<char> work_h_;
  RRankCheck<T> rank_;  // diag(R) and R's column norms, gathered in solve(), tested by check()
};

}  // namespace
}  // namespace lsgd::cuda

namespace lsgd {

void register_cuda_qr(SolverEntry& e) {
  e.make_f32 = [](const SolverOptions& o) {
    return std::make_unique<cuda::QrSolver<float>>(false, o);
  };
  e.make_f64 = [](const SolverOptions& o) {
    return std::make_unique<cuda::QrSolver<double>>(false, o);
  };
}

void register_cuda_qr_augmented(SolverEntry& e) {
  e.make_f32 = [](const SolverOptions& o) {
    return std::make_unique<cuda::QrSolver<float>>(true, o);
  };
  e.make_f64 = [](const SolverOptions& o) {
    return std::make_unique<cuda::QrSolver<double>>(true, o);
  };
}

}  // namespace lsgd
