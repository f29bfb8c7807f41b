// Library baselines for batched least squares:
//  cuda.batched.gels      cuBLAS <t>gelsBatched (batched Householder QR; overwrites A and b, so the
//                         timed region starts with a device copy from pristine buffers)
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

#include "kernels/cuda_raii.hpp"
#include "lsgd/registry.hpp"

namespace lsgd::cuda {
namespace {

// float / double overloads of the library calls.
cublasStatus_t gels_batched(cublasHandle_t h, int m, int n, float* const A[], float* const C[],
                            int* info, int* dev_info, int batch) {
  return cublasSgelsBatched(h, CUBLAS_OP_N, m, n, 1, A, m, C, m, info, dev_info, batch);
}
cublasStatus_t gels_batched(cublasHandle_t h, int m, int n, double* const A[], double* const C[],
                            int* info, int* dev_info, int batch) {
  return cublasDgelsBatched(h, CUBLAS_OP_N, m, n, 1, A, m, C, m, info, dev_info, batch);
}
// C (rows x cols, stride rows*cols) = A^T B for A (k x rows), B (k x cols), all column-major.
cublasStatus_t gemm_tn_strided(cublasHandle_t h, int rows, int cols, int k, const float* A,
                               long long sa, const float* B, long long sb, float* C, long long sc,
                               int batch) {
  const float one = 1.0f, zero = 0.0f;
  return cublasSgemmStridedBatched(h, CUBLAS_OP_T, CUBLAS_OP_N, rows, cols, k, &one, A, k, sa, B, k,
                                   sb, &zero, C, rows, sc, batch);
}
cublasStatus_t gemm_tn_strided(cublasHandle_t h, int rows, int cols, int k, const double* A,
                               long long sa, const double* B, long long sb, double* C, long long sc,
                               int batch) {
  const double one = 1.0, zero = 0.0;
  return cublasDgemmStridedBatched(h, CUBLAS_OP_T, CUBLAS_OP_N, rows, cols, k, &one, A, k, sa, B, k,
                                   sb, &zero, C, rows, sc, batch);
}
cusolverStatus_t potrf_batched(cusolverDnHandle_t h, int n, float* A[], int* info, int batch) {
  return cusolverDnSpotrfBatched(h, CUBLAS_FILL_MODE_LOWER, n, A, n, info, batch);
}
cusolverStatus_t potrf_batched(cusolverDnHandle_t h, int n, double* A[], int* info, int batch) {
  return cusolverDnDpotrfBatched(h, CUBLAS_FILL_MODE_LOWER, n, A, n, info, batch);
}
cusolverStatus_t potrs_batched(cusolverDnHandle_t h, int n, float* A[], float* B[], int* info,
                               int batch) {
  return cusolverDnSpotrsBatched(h, CUBLAS_FILL_MODE_LOWER, n, 1, A, n, B, n, info, batch);
}
cusolverStatus_t potrs_batched(cusolverDnHandle_t h, int n, double* A[], double* B[], int* info,
                               int batch) {
  return cusolverDnDpotrsBatched(h, CUBLAS_FILL_MODE_LOWER, n, 1, A, n, B, n, info, batch);
}

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
  out.upload(host, s);
  LSGD_CUDA_CHECK(cudaStreamSynchronize(s));  // `host` goes out of scope
}

template <typename T>
class CublasBatchedSolver final : public BatchedSolver<T> {
 public:
  CublasBatchedSolver(Method method, const SolverOptions& opt)
      : method_(method), mode_(opt.gpu_mode) {
    require_gpu();
    if (opt.ridge_lambda != 0.0) throw InvalidInput(name() + ": ridge lambda is not supported");
    stream_ = std::make_unique<Stream>();
    cublas_ = std::make_unique<CublasHandle>(stream_->get());
    cusolver_ = std::make_unique<CusolverHandle>(stream_->get());
  }

  std::string name() const override { return method_name(method_); }
  Backend backend() const override { return Backend::cuda; }

  void setup(const BatchedProblem<T>& p) override {
    p.validate();
    if (p.m < p.n) {
      std::ostringstream os;
      os << name() << ": m = " << p.m << " < n = " << p.n << " (underdetermined); needs m >= n";
      throw InvalidInput(os.str());
    }
    if (p.m > INT_MAX || p.batch > INT_MAX) {
      throw InvalidInput(name() + ": m and batch must fit the 32-bit int of the cuBLAS API");
    }
    batch_ = p.batch;
    m_ = p.m;
    n_ = p.n;
    cudaStream_t s = stream_->get();
    const size_t a_count = p.A.size(), b_count = p.b.size();
    if (mode_ == GpuMode::end_to_end) {
      hA_ = p.A;
      hb_ = p.b;
    } else {
      dA_.upload(p.A, s);  // pristine copies (gels overwrites its inputs)
      db_.upload(p.b, s);
    }
    if (method_ == Method::gels) {
      work_A_.resize(a_count);
      work_b_.resize(b_count);
      make_pointer_array(ptr_A_, work_A_.data(), m_ * n_, batch_, s);
      make_pointer_array(ptr_b_, work_b_.data(), m_, batch_, s);
    } else {
      if (mode_ == GpuMode::end_to_end) {
        dA_.resize(a_count);
        db_.resize(b_count);
      }
      gram_.resize(static_cast<size_t>(batch_ * n_ * n_));
      rhs_.resize(static_cast<size_t>(batch_ * n_));
      make_pointer_array(ptr_A_, gram_.data(), n_ * n_, batch_, s);
      make_pointer_array(ptr_b_, rhs_.data(), n_, batch_, s);
      potrs_info_.resize(1);
    }
    dinfo_.resize(static_cast<size_t>(batch_));
    x_.assign(static_cast<size_t>(batch_ * n_), T(0));
    stream_->synchronize();
    this->info_ = SolveInfo{};
    this->info_.problem_status.assign(static_cast<size_t>(batch_), kSolved);
  }

  double timed_solve() override {
    if (batch_ == 0) throw InvalidInput(name() + ": timed_solve() before setup()");
    cudaStream_t s = stream_->get();
    GpuTimer timer(s);
    timer.start();
    if (method_ == Method::gels) {
      solve_gels(s);
    } else {
      solve_cholesky(s);
    }
    if (mode_ == GpuMode::end_to_end) download_x(s);
    const double seconds = timer.stop_seconds();

    if (mode_ == GpuMode::resident) download_x(s);
    std::vector<int> info(static_cast<size_t>(batch_));
    dinfo_.download(info.data(), info.size(), s);
    int potrs_info = 0;
    if (method_ == Method::cholesky) potrs_info_.download(&potrs_info, 1, s);
    stream_->synchronize();
    if (potrs_info != 0) {
      throw DeviceError(name() + ": potrsBatched reports illegal argument " +
                        std::to_string(-potrs_info));
    }
    const std::vector<T> factors = download_factors(s);
    const T tol = static_cast<T>(10.0 * std::sqrt(static_cast<double>(m_)) *
                                 static_cast<double>(std::numeric_limits<T>::epsilon()));
    for (index_t p = 0; p < batch_; ++p) {
      T* x = x_.data() + p * n_;
      bool ok = info[static_cast<size_t>(p)] == 0 && passes_rank_test(factors, p, tol);
      for (index_t j = 0; ok && j < n_; ++j) ok = std::isfinite(x[j]);
      this->info_.problem_status[static_cast<size_t>(p)] = ok ? kSolved : kSingular;
      if (!ok) std::fill(x, x + n_, std::numeric_limits<T>::quiet_NaN());
    }
    return seconds;
  }

  std::vector<T> solution() override { return x_; }

 private:
  void solve_gels(cudaStream_t s) {
    // gelsBatched overwrites A with its QR factors and b with Q^T b: start from the inputs.
    if (mode_ == GpuMode::end_to_end) {
      work_A_.upload(hA_.data(), hA_.size(), s);
      work_b_.upload(hb_.data(), hb_.size(), s);
    } else {
      LSGD_CUDA_CHECK(
          cudaMemcpyAsync(work_A_.data(), dA_.data(), dA_.bytes(), cudaMemcpyDeviceToDevice, s));
      LSGD_CUDA_CHECK(
          cudaMemcpyAsync(work_b_.data(), db_.data(), db_.bytes(), cudaMemcpyDeviceToDevice, s));
    }
    int host_info = 0;  // argument check, done on the host before the launch
    const cublasStatus_t st =
        gels_batched(cublas_->get(), static_cast<int>(m_), static_cast<int>(n_), ptr_A_.data(),
                     ptr_b_.data(), &host_info, dinfo_.data(), static_cast<int>(batch_));
    if (host_info != 0) {
      throw InvalidInput(name() + ": gelsBatched rejected argument " + std::to_string(-host_info));
    }
    LSGD_CUBLAS_CHECK(st);
  }

  void solve_cholesky(cudaStream_t s) {
    if (mode_ == GpuMode::end_to_end) {
      dA_.upload(hA_.data(), hA_.size(), s);
      db_.upload(hb_.data(), hb_.size(), s);
    }
    const int m = static_cast<int>(m_), n = static_cast<int>(n_), batch = static_cast<int>(batch_);
    LSGD_CUBLAS_CHECK(gemm_tn_strided(cublas_->get(), n, n, m, dA_.data(), m_ * n_, dA_.data(),
                                      m_ * n_, gram_.data(), n_ * n_, batch));
    LSGD_CUBLAS_CHECK(gemm_tn_strided(cublas_->get(), n, 1, m, dA_.data(), m_ * n_, db_.data(), m_,
                                      rhs_.data(), n_, batch));
    LSGD_CUSOLVER_CHECK(potrf_batched(cusolver_->get(), n, ptr_A_.data(), dinfo_.data(), batch));
    LSGD_CUSOLVER_CHECK(potrs_batched(cusolver_->get(), n, ptr_A_.data(), ptr_b_.data(),
                                      potrs_info_.data(), batch));
  }

  // gels: the n x n R of every problem (the top of its overwritten A); cholesky: every L.
  std::vector<T> download_factors(cudaStream_t s) {
    std::vector<T> f(static_cast<size_t>(batch_ * n_ * n_));
    if (method_ == Method::gels) {
      // Column k of problem p starts at (p*n + k) * m: one 2D copy of batch*n columns.
      LSGD_CUDA_CHECK(cudaMemcpy2DAsync(
          f.data(), static_cast<size_t>(n_) * sizeof(T), work_A_.data(),
          static_cast<size_t>(m_) * sizeof(T), static_cast<size_t>(n_) * sizeof(T),
          static_cast<size_t>(batch_ * n_), cudaMemcpyDeviceToHost, s));
    } else {
      gram_.download(f.data(), f.size(), s);
    }
    LSGD_CUDA_CHECK(cudaStreamSynchronize(s));
    return f;
  }

  // The rank tests of cpu.qr and cpu.cholesky, which catch numerically dependent columns that the
  // libraries' info (exact zero or negative pivots only) lets through. ||a_j|| = ||R(0:j, j)||
  // (Q is orthogonal) and A^T A (j,j) = ||L(j, 0:j)||^2, so the factors alone suffice.
  bool passes_rank_test(const std::vector<T>& f, index_t p, T tol) const {
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

  // x of problem p: the first n entries of gels' b_p (leading dimension m), or rhs_ (contiguous).
  void download_x(cudaStream_t s) {
    if (method_ == Method::gels) {
      LSGD_CUDA_CHECK(cudaMemcpy2DAsync(x_.data(), static_cast<size_t>(n_) * sizeof(T),
                                        work_b_.data(), static_cast<size_t>(m_) * sizeof(T),
                                        static_cast<size_t>(n_) * sizeof(T),
                                        static_cast<size_t>(batch_), cudaMemcpyDeviceToHost, s));
    } else {
      rhs_.download(x_.data(), x_.size(), s);
    }
  }

  Method method_;
  GpuMode mode_;
  std::unique_ptr<Stream> stream_;
  std::unique_ptr<CublasHandle> cublas_;
  std::unique_ptr<CusolverHandle> cusolver_;
  index_t batch_ = 0, m_ = 0, n_ = 0;
  std::vector<T> hA_, hb_, x_;
  DeviceBuffer<T> dA_, db_;          // inputs (resident mode: pristine)
  DeviceBuffer<T> work_A_, work_b_;  // gels: overwritten copies
  DeviceBuffer<T> gram_, rhs_;       // cholesky: A^T A (then its factor) and A^T b (then x)
  DeviceBuffer<T*> ptr_A_, ptr_b_;
  DeviceBuffer<int> dinfo_, potrs_info_;
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
