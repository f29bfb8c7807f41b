// Library baselines for batched least squares:
//  cuda.batched.gels      cuBLAS <t>gelsBatched (batched Householder QR; overwrites A and b, so
//                         stage() copies them from the pristine buffers, untimed in resident mode)
//  cuda.batched.cholesky  cuBLAS <t>gemmStridedBatched for A^T A and A^T b, then cuSOLVER
//                         <t>potrfBatched / <t>potrsBatched
// Per-problem failures (cuBLAS devInfoArray, cuSOLVER infoArray, and after the timing the rank
// tests of cpu.qr / cpu.cholesky on the downloaded factors) become problem_status kSingular and NaN
// in x; they never throw. Argument errors do.
#include <algorithm>
#include <climits>
#include <cmath>
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

enum class Method { gels, cholesky };

const char* method_name(Method m) {
  return m == Method::gels ? "cuda.batched.gels" : "cuda.batched.cholesky";
}

// Device pointers base + p*stride for p < batch, as a device array (the pointer-array APIs).
template <typename T>
void make_pointer_array(DeviceBuffer<T*>& out, T* base, index_t stride, index_t batch,
                        cudaStream_t s) {
  std::vector<T*> host(static_cast<size_t>(batch));
  for (index_t p = 0; p < batch; ++p) host[static_cast<size_t>(p)] = base + p * stride;
  out.upload_sync(host, s);  // `host` goes out of scope
}

// The measured modes, setup and refusal after a failed setup come from BatchedGpuSolver
// (kernels/gpu_solver_base.hpp). gels overwrites its inputs: stage() copies the pristine A() and
// b() into the work buffers before the timed region in resident mode, as every solver does.
template <typename T>
class CublasBatchedSolver final : public BatchedGpuSolver<T> {
 public:
  CublasBatchedSolver(Method method, const SolverOptions& opt)
      : BatchedGpuSolver<T>(method_name(method), opt), method_(method) {
    if (opt.ridge_lambda != 0.0) {
      throw InvalidInput(this->name() + ": ridge lambda is not supported");
    }
  }

 private:
  enum Slot : int { kPotrsInfo = 1 };

  void check_shape(index_t m, index_t n) const override {
    if (m < n) {
      std::ostringstream os;
      os << this->name() << ": m = " << m << " < n = " << n << " (underdetermined); needs m >= n";
      throw InvalidInput(os.str());
    }
  }

  void prepare(const BatchedProblem<T>& p) override {
    if (p.m > INT_MAX || p.batch > INT_MAX) {
      throw InvalidInput(this->name() + ": m and batch must fit the 32-bit int of the cuBLAS API");
    }
    const index_t batch = this->batch(), m = this->m(), n = this->n();
    cudaStream_t s = this->stream();
    if (method_ == Method::gels) {
      work_A_.resize(static_cast<size_t>(batch * m * n));
      work_b_.resize(static_cast<size_t>(batch * m));
      factors_.resize(static_cast<size_t>(batch * n * n));
      make_pointer_array(ptr_A_, work_A_.data(), m * n, batch, s);
      make_pointer_array(ptr_b_, work_b_.data(), m, batch, s);
    } else {
      // A^T A (then its factor) in gram_; A^T b, then x, directly in x().
      gram_.resize(static_cast<size_t>(batch * n * n));
      make_pointer_array(ptr_A_, gram_.data(), n * n, batch, s);
      make_pointer_array(ptr_b_, this->x(), n, batch, s);
    }
    dinfo_.resize(static_cast<size_t>(batch));
  }

  void stage() override {
    if (method_ != Method::gels) return;
    // gelsBatched overwrites A with its QR factors and b with Q^T b: start from the inputs.
    cudaStream_t s = this->stream();
    LSGD_CUDA_CHECK(cudaMemcpyAsync(work_A_.data(), this->A(), work_A_.bytes(),
                                    cudaMemcpyDeviceToDevice, s));
    LSGD_CUDA_CHECK(cudaMemcpyAsync(work_b_.data(), this->b(), work_b_.bytes(),
                                    cudaMemcpyDeviceToDevice, s));
  }

  void solve() override {
    if (method_ == Method::gels) {
      solve_gels();
    } else {
      solve_cholesky();
    }
  }

  void solve_gels() {
    const index_t m = this->m(), n = this->n(), batch = this->batch();
    int host_info = 0;  // argument check, done on the host before the launch
    const cublasStatus_t st =
        gels_batched(this->cublas(), static_cast<int>(m), static_cast<int>(n), ptr_A_.data(),
                     ptr_b_.data(), &host_info, dinfo_.data(), static_cast<int>(batch));
    if (host_info != 0) {
      throw InvalidInput(this->name() + ": gelsBatched rejected argument " +
                         std::to_string(-host_info));
    }
    LSGD_CUBLAS_CHECK(st);
    // x of problem p: the first n entries of its b (leading dimension m), packed on the device.
    gather_strided(this->x(), work_b_.data(), n, batch, m, this->stream());
  }

  void solve_cholesky() {
    const index_t m_ = this->m(), n_ = this->n();
    const int m = static_cast<int>(m_), n = static_cast<int>(n_);
    const int batch = static_cast<int>(this->batch());
    const T one = T(1), zero = T(0);
    // A_p^T A_p (n x n) and A_p^T b_p (n x 1) for every problem.
    LSGD_CUBLAS_CHECK(gemm_strided(this->cublas(), CUBLAS_OP_T, CUBLAS_OP_N, n, n, m, &one,
                                   this->A(), m, m_ * n_, this->A(), m, m_ * n_, &zero,
                                   gram_.data(), n, n_ * n_, batch));
    LSGD_CUBLAS_CHECK(gemm_strided(this->cublas(), CUBLAS_OP_T, CUBLAS_OP_N, n, 1, m, &one,
                                   this->A(), m, m_ * n_, this->b(), m, m_, &zero, this->x(), n,
                                   n_, batch));
    LSGD_CUSOLVER_CHECK(potrf_batched(this->cusolver(), n, ptr_A_.data(), dinfo_.data(), batch));
    LSGD_CUSOLVER_CHECK(potrs_batched(this->cusolver(), n, ptr_A_.data(), ptr_b_.data(),
                                      this->status_slot(kPotrsInfo), batch));
  }

  // After the timed region: per-problem library info, the rank tests on the factors, and finite x.
  void check() override {
    const index_t batch = this->batch(), n = this->n();
    if (method_ == Method::cholesky && this->status(kPotrsInfo) != 0) {
      throw DeviceError(this->name() + ": potrsBatched reports illegal argument " +
                        std::to_string(-this->status(kPotrsInfo)));
    }
    cudaStream_t s = this->stream();
    const std::vector<int> info = dinfo_.to_host(0, s);
    const std::vector<T> factors = download_factors();
    std::vector<int>& status = this->info_.problem_status;
    status.assign(static_cast<size_t>(batch), kSolved);  // before solution(): no NaN rows yet
    const std::vector<T> x = this->solution();
    const T tol = static_cast<T>(10.0 * std::sqrt(static_cast<double>(this->m())) *
                                 static_cast<double>(std::numeric_limits<T>::epsilon()));
    for (index_t p = 0; p < batch; ++p) {
      const T* xp = x.data() + p * n;
      bool ok = info[static_cast<size_t>(p)] == 0 && passes_rank_test(factors, p, tol);
      for (index_t j = 0; ok && j < n; ++j) ok = std::isfinite(xp[j]);
      status[static_cast<size_t>(p)] = ok ? kSolved : kSingular;
    }
  }

  // Failed problems read NaN, as in the other batched solvers.
  void finish_solution(std::vector<T>& x) const override {
    const index_t n = this->n();
    const std::vector<int>& status = this->info_.problem_status;
    for (size_t p = 0; p < status.size(); ++p) {
      if (status[p] == kSolved) continue;
      T* xp = x.data() + static_cast<index_t>(p) * n;
      std::fill(xp, xp + n, std::numeric_limits<T>::quiet_NaN());
    }
  }

  // gels: the n x n R of every problem (the top of its overwritten A, gathered on the device);
  // cholesky: every L.
  std::vector<T> download_factors() {
    const index_t m = this->m(), n = this->n(), batch = this->batch();
    cudaStream_t s = this->stream();
    if (method_ == Method::gels) {
      // Column k of problem p starts at (p*n + k) * m: its top n entries, for batch*n columns.
      gather_strided(factors_.data(), work_A_.data(), n, batch * n, m, s);
      return factors_.to_host(0, s);
    }
    return gram_.to_host(0, s);
  }

  // The rank tests of cpu.qr and cpu.cholesky, which catch numerically dependent columns that the
  // libraries' info (exact zero or negative pivots only) lets through. ||a_j|| = ||R(0:j, j)||
  // (Q is orthogonal) and A^T A (j,j) = ||L(j, 0:j)||^2, so the factors alone suffice.
  bool passes_rank_test(const std::vector<T>& f, index_t p, T tol) const {
    const index_t n_ = this->n();
    const T* F = f.data() + p * n_ * n_;
    for (index_t j = 0; j < n_; ++j) {
      T sq = T(0);
      for (index_t i = 0; i <= j; ++i) {
        const T v = method_ == Method::gels ? F[j * n_ + i] : F[i * n_ + j];
        sq += v * v;
      }
      const T d = std::abs(F[j * n_ + j]);
      const bool ok = method_ == Method::gels ? d > tol * std::sqrt(sq) : d * d > tol * sq;
      if (!ok) return false;
    }
    return true;
  }

  Method method_;
  DeviceBuffer<T> work_A_, work_b_;  // gels: overwritten copies
  DeviceBuffer<T> factors_;          // gels: the R factors, packed on the device
  DeviceBuffer<T> gram_;             // cholesky: A^T A, then its factor
  DeviceBuffer<T*> ptr_A_, ptr_b_;
  DeviceBuffer<int> dinfo_;
};

}  // namespace
}  // namespace lsgd::cuda

namespace lsgd {

void register_cuda_batched_gels(SolverEntry& e) {
  using cuda::CublasBatchedSolver;
  using cuda::Method;
  e.make_batched_f32 = [](const SolverOptions& o) {
    return std::make_unique<CublasBatchedSolver<float>>(Method::gels, o);
  };
  e.make_batched_f64 = [](const SolverOptions& o) {
    return std::make_unique<CublasBatchedSolver<double>>(Method::gels, o);
  };
}

void register_cuda_batched_cholesky(SolverEntry& e) {
  using cuda::CublasBatchedSolver;
  using cuda::Method;
  e.make_batched_f32 = [](const SolverOptions& o) {
    return std::make_unique<CublasBatchedSolver<float>>(Method::cholesky, o);
  };
  e.make_batched_f64 = [](const SolverOptions& o) {
    return std::make_unique<CublasBatchedSolver<double>>(Method::cholesky, o);
  };
}

}  // namespace lsgd
