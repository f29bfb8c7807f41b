// cuda.gels and cuda.gels_irs: cuSOLVER's own least-squares drivers (QR, m >= n, full rank).
//
//   cuda.gels      cusolverDnDDgels / SSgels: factorization and solve in working precision. The
//                  library baseline the other GPU solvers are measured against.
//   cuda.gels_irs  cusolverDnIRSXgels: QR in a lower inner precision (options.inner_precision: fp32
//                  for double only, tf32, fp16, bf16) plus classical iterative refinement to
//                  working precision, cuSOLVER's own fallback to working precision enabled. It
//                  never returns a less accurate answer than working precision would: after the
//                  solve it measures the residual on the device and accepts x only if
//                    ||b - Ax|| <= tol (||A||_F ||x|| + ||b||)       (x solves a nearby consistent
//                                                                      system), or
//                    ||A^T (b - Ax)|| <= tol ||A||_F ||b - Ax||       (x is the exact least-squares
//                                                                      solution for A + dA with
//                                                                      ||dA|| <= tol ||A||_F),
//                  tol = 32 sqrt(max(m,n)) eps(T): a backward error at the level of a
//                  backward-stable working-precision solver. Otherwise, and when cuSOLVER reports a
//                  refinement failure, it re-solves with DDgels / SSgels and says so in
//                  info().note.
//
// Both write x to a separate buffer but may overwrite A and b, so both work on staged copies.
//
// Rank check. cuSOLVER's gels exposes no R and reports only an exactly zero R(j,j), so a
// numerically rank-deficient A (rounding leaves |R_jj| ~ sqrt(m) eps ||a_j||) would be solved
// silently. After the timed region, check() therefore factors a copy of A once more with
// cusolverDnXgeqrf (into the staged copy, free until the next stage()), computes diag(R) and the
// column norms of R on the device, and applies cpu.qr's rule (kernels/qr_checks.hpp): column j is
// numerically dependent when |R_jj| <= 10 sqrt(m) eps ||a_j||; NumericalError then. The check costs
// about one more QR of A (2 m n^2 - 2 n^3 / 3 flops) and a synchronization per solve, outside the
// timed region: the reported times are the library's call alone, and a rank-revealing answer
// is cuda.svd's.
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <sstream>
#include <string>
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

const char* niters_meaning(int niters) {
  switch (niters) {
    case -1:
      return "not worth refining for these sizes";
    case -2:
      return "an entry overflowed when converted to the lower precision";
    case -3:
      return "the lower-precision factorization failed";
    case -5:
      return "overflow during the computation";
    case -50:
      return "the refinement reached its iteration limit";
    default:
      break;
  }
  return niters <= -100 ? "the refinement diverged or an internal step failed"
                        : "refinement failed";
}

// Shared by both drivers: staged working copies of A and b, the working-precision DDgels / SSgels,
// the rank check after the timed region.
template <typename T>
class GelsBase : public GpuSolver<T> {
 protected:
  enum Slot : int { kIrsInfo = 1, kGelsInfo = 2, kRankGeqrfInfo = 3 };

  GelsBase(std::string name, const SolverOptions& opt) : GpuSolver<T>(std::move(name), opt) {
    this->reject_ridge();
  }

  void check_shape(index_t m, index_t n) const override {
    if (m < n) {
      std::ostringstream os;
      os << this->name() << ": m = " << m << " < n = " << n
         << " (underdetermined; cuSOLVER's gels needs m >= n); use cuda.svd";
      throw InvalidInput(os.str());
    }
    this->require_int_range(m, n, "cusolverDn<t><t>gels");
  }

  // Allocates the working copies and returns the bytes DDgels / SSgels need.
  size_t prepare_working_precision() {
    const index_t m = this->m(), n = this->n();
    Aw_.resize(static_cast<size_t>(m) * static_cast<size_t>(n));
    bw_.resize(static_cast<size_t>(m));
    size_t bytes = 0;
    LSGD_CUSOLVER_CHECK(gels_buffer_size(this->cusolver(), static_cast<int>(m), static_cast<int>(n),
                                         1, Aw_.data(), static_cast<int>(m), bw_.data(),
                                         static_cast<int>(m), this->x(), static_cast<int>(n),
                                         &bytes));
    return bytes;
  }

  // After prepare_working_precision(): the rank check's buffers (tau, diag(R) and the column
  // norms on the device and in pinned memory, Xgeqrf's host workspace). Returns the device bytes
  // Xgeqrf needs on the m x n copy of A; the caller sizes work_ for it too (the check runs after
  // the solve, so one workspace serves both).
  size_t prepare_rank_check() {
    const index_t m = this->m(), n = this->n();
    tau_.resize(static_cast<size_t>(n));
    rank_.resize(n);
    size_t dev_bytes = 0, host_bytes = 0;
    LSGD_CUSOLVER_CHECK(cusolverDnXgeqrf_bufferSize(
        this->cusolver(), qr_params_.get(), m, n, TypeTraits<T>::data_type, Aw_.data(), m,
        TypeTraits<T>::data_type, tau_.data(), TypeTraits<T>::data_type, &dev_bytes, &host_bytes));
    rank_work_h_.resize(host_bytes);
    return dev_bytes;
  }

  // The rank check of the file comment, in check() (after the timed region). Synchronizes.
  void check_rank() {
    const index_t m = this->m(), n = this->n();
    cudaStream_t s = this->stream();
    LSGD_CUDA_CHECK(
        cudaMemcpyAsync(Aw_.data(), this->A(), Aw_.bytes(), cudaMemcpyDeviceToDevice, s));
    LSGD_CUSOLVER_CHECK(cusolverDnXgeqrf(
        this->cusolver(), qr_params_.get(), m, n, TypeTraits<T>::data_type, Aw_.data(), m,
        TypeTraits<T>::data_type, tau_.data(), TypeTraits<T>::data_type, work_.data(),
        work_.bytes(), rank_work_h_.empty() ? nullptr : rank_work_h_.data(), rank_work_h_.size(),
        this->status_slot(kRankGeqrfInfo)));
    rank_.gather(Aw_.data(), m, s);
    const int info = this->fetch_status_now(kRankGeqrfInfo);  // synchronizes: rank_ is copied
    check_qr_infos(this->name(), info, 0);
    rank_.check(this->name(), m);
  }

  void stage() override {
    const size_t m = static_cast<size_t>(this->m());
    const size_t mn = m * static_cast<size_t>(this->n());
    LSGD_CUDA_CHECK(cudaMemcpyAsync(Aw_.data(), this->A(), mn * sizeof(T), cudaMemcpyDeviceToDevice,
                                    this->stream()));
    LSGD_CUDA_CHECK(cudaMemcpyAsync(bw_.data(), this->b(), m * sizeof(T), cudaMemcpyDeviceToDevice,
                                    this->stream()));
  }

  // DDgels / SSgels on the staged copies; returns cuSOLVER's iteration count. Throws
  // NumericalError for a singular R and DeviceError for any other failure.
  int solve_working_precision() {
    const int m = static_cast<int>(this->m()), n = static_cast<int>(this->n());
    int niters = 0;
    const cusolverStatus_t st =
        gels(this->cusolver(), m, n, 1, Aw_.data(), m, bw_.data(), m, this->x(), n, work_.data(),
             work_.bytes(), &niters, this->status_slot(kGelsInfo));
    if (st == CUSOLVER_STATUS_IRS_MATRIX_SINGULAR) throw_rank_deficient(-1);
    if (st != CUSOLVER_STATUS_SUCCESS) {
      throw_device_error("cusolverDn<t><t>gels (working precision)", cusolver_status_name(st),
                         __FILE__, __LINE__);
    }
    return niters;
  }

  void check_gels_info(int info) const {
    if (info < 0) {
      throw DeviceError(this->name() + ": cuSOLVER rejected argument " + std::to_string(-info) +
                        " of cusolverDn<t><t>gels");
    }
    if (info > 0) throw_rank_deficient(info);
  }

  // work_ sized to `bytes`, and zeroed with tau_ (zero_qr_workspace, kernels/r_rank_check.hpp).
  void size_workspace(size_t bytes) {
    work_.resize(bytes);
    zero_qr_workspace(work_, tau_, this->stream());
  }

  [[noreturn]] void throw_rank_deficient(int info) const {
    std::ostringstream os;
    os << this->name() << ": A is rank deficient to working precision";
    if (info > 0) os << " (R(" << info - 1 << "," << info - 1 << ") is zero)";
    os << "; use cuda.svd";
    throw NumericalError(os.str());
  }

  DeviceBuffer<T> Aw_, bw_;
  DeviceBuffer<char> work_;  // gels (and IRS) during the solve, the rank check's Xgeqrf after it

 private:
  CusolverParams qr_params_;
  DeviceBuffer<T> tau_;
  RRankCheck<T> rank_;  // diag(R) and the column norms of R (the rank check)
  std::vector<char> rank_work_h_;
};

template <typename T>
class GelsSolver final : public GelsBase<T> {
 public:
  explicit GelsSolver(const SolverOptions& opt) : GelsBase<T>("cuda.gels", opt) {}

 private:
  void prepare(const Problem<T>&) override {
    const size_t gels_bytes = this->prepare_working_precision();
    this->size_workspace(std::max(gels_bytes, this->prepare_rank_check()));
  }

  void solve() override { this->info_.iterations = std::max(this->solve_working_precision(), 0); }

  void check() override {
    this->check_gels_info(this->status(this->kGelsInfo));
    this->check_rank();
  }
};

template <typename T>
class GelsIrsSolver final : public GelsBase<T> {
 public:
  explicit GelsIrsSolver(const SolverOptions& opt) : GelsBase<T>("cuda.gels_irs", opt) {
    const std::string& p = opt.inner_precision;
    cusolverPrecType_t lowest;
    if (p == "fp32") {
      if (sizeof(T) == sizeof(float)) {
        throw InvalidInput(
            "cuda.gels_irs: inner precision fp32 needs double working precision (float is fp32 "
            "already: use cuda.gels, or tf32 / fp16 / bf16)");
      }
      lowest = CUSOLVER_R_32F;
    } else if (p == "tf32") {
      lowest = CUSOLVER_R_TF32;
    } else if (p == "fp16") {
      lowest = CUSOLVER_R_16F;
    } else if (p == "bf16") {
      lowest = CUSOLVER_R_16BF;
    } else {
      throw InvalidInput("cuda.gels_irs: unknown inner precision '" + p +
                         "' (fp32 for double only, tf32, fp16, bf16)");
    }
    LSGD_CUSOLVER_CHECK(
        cusolverDnIRSParamsSetSolverPrecisions(params_.get(), TypeTraits<T>::irs_main, lowest));
    // NOT_SET, the default of a fresh params object, makes every IRS call fail.
    LSGD_CUSOLVER_CHECK(
        cusolverDnIRSParamsSetRefinementSolver(params_.get(), CUSOLVER_IRS_REFINE_CLASSICAL));
    LSGD_CUSOLVER_CHECK(cusolverDnIRSParamsSetMaxIters(params_.get(), kMaxIters));
    // The refinement tolerance stays at cuSOLVER's documented default (LAPACK's criterion
    // ||r||_inf < sqrt(n) ||x||_inf ||A||_inf eps); our own residual check below decides.
    LSGD_CUSOLVER_CHECK(cusolverDnIRSParamsEnableFallback(params_.get()));
  }

 private:
  static constexpr int kMaxIters = 50;
  static constexpr double kTolFactor = 32.0;

  void prepare(const Problem<T>& p) override {
    const index_t m = this->m(), n = this->n();
    const size_t gels_bytes = this->prepare_working_precision();
    size_t irs_bytes = 0;
    LSGD_CUSOLVER_CHECK(cusolverDnIRSXgels_bufferSize(
        this->cusolver(), params_.get(), static_cast<int>(m), static_cast<int>(n), 1, &irs_bytes));
    // The IRS call, the working-precision fallback and the rank check never overlap: one
    // workspace serves all three.
    const size_t rank_bytes = this->prepare_rank_check();
    this->size_workspace(std::max({irs_bytes, gels_bytes, rank_bytes}));
    r_.resize(static_cast<size_t>(m));
    g_.resize(static_cast<size_t>(n));
    // Norms of the inputs, in double on the host (setup is not timed).
    double sa = 0.0, sb = 0.0;
    for (const T v : p.A) sa += static_cast<double>(v) * static_cast<double>(v);
    for (const T v : p.b) sb += static_cast<double>(v) * static_cast<double>(v);
    norm_A_ = std::sqrt(sa);
    norm_b_ = std::sqrt(sb);
  }

  // Residual check of the current x (see the file comment). Synchronizes (nrm2 to the host).
  bool accurate(std::string* detail) {
    const index_t m = this->m(), n = this->n();
    const T one = T(1), minus_one = T(-1), zero = T(0);
    LSGD_CUDA_CHECK(cudaMemcpyAsync(r_.data(), this->b(), static_cast<size_t>(m) * sizeof(T),
                                    cudaMemcpyDeviceToDevice, this->stream()));
    LSGD_CUBLAS_CHECK(gemv(this->cublas(), CUBLAS_OP_N, m, n, &minus_one, this->A(), m, this->x(),
                           1, &one, r_.data(), 1));
    LSGD_CUBLAS_CHECK(gemv(this->cublas(), CUBLAS_OP_T, m, n, &one, this->A(), m, r_.data(), 1,
                           &zero, g_.data(), 1));
    T nr = T(0), ng = T(0), nx = T(0);
    LSGD_CUBLAS_CHECK(nrm2(this->cublas(), m, r_.data(), 1, &nr));
    LSGD_CUBLAS_CHECK(nrm2(this->cublas(), n, g_.data(), 1, &ng));
    LSGD_CUBLAS_CHECK(nrm2(this->cublas(), n, this->x(), 1, &nx));
    const double tol = kTolFactor * std::sqrt(static_cast<double>(std::max(m, n))) *
                       static_cast<double>(std::numeric_limits<T>::epsilon());
    const double r = nr, g = ng, xn = nx;
    std::ostringstream os;
    if (!(std::isfinite(r) && std::isfinite(g) && std::isfinite(xn))) {
      *detail = "non-finite residual or solution";
      return false;
    }
    const double consistent = r / (norm_A_ * xn + norm_b_);
    const double normal = r > 0.0 ? g / (norm_A_ * r) : 0.0;
    const double backward = std::min(consistent, normal);
    const bool ok = consistent <= tol || normal <= tol;
    os << "backward error estimate " << backward << ", tolerance " << tol;
    *detail = os.str();
    return ok;
  }

  void solve() override {
    const int m = static_cast<int>(this->m()), n = static_cast<int>(this->n());
    SolveInfo& info = this->info_;
    std::ostringstream note;
    note << "inner precision " << this->options().inner_precision;

    int niters = 0;
    const cusolverStatus_t st =
        cusolverDnIRSXgels(this->cusolver(), params_.get(), infos_.get(), m, n, 1, this->Aw_.data(),
                           m, this->bw_.data(), m, this->x(), n, this->work_.data(),
                           this->work_.bytes(), &niters, this->status_slot(this->kIrsInfo));
    bool need_fallback = false;
    if (st == CUSOLVER_STATUS_IRS_OUT_OF_RANGE || st == CUSOLVER_STATUS_IRS_MATRIX_SINGULAR) {
      // A numerical failure of the mixed-precision path: the working-precision solve decides.
      need_fallback = true;
      info.converged = false;
      note << "; mixed-precision solve failed (" << cusolver_status_name(st) << ", niters "
           << niters << ")";
    } else if (st != CUSOLVER_STATUS_SUCCESS) {
      throw_device_error("cusolverDnIRSXgels", cusolver_status_name(st), __FILE__, __LINE__);
    }
    const int dinfo = this->fetch_status_now(this->kIrsInfo);
    if (dinfo < 0) {
      throw DeviceError("cuda.gels_irs: cuSOLVER rejected argument " + std::to_string(-dinfo) +
                        " of cusolverDnIRSXgels");
    }
    if (dinfo > 0 && !need_fallback) {
      need_fallback = true;
      info.converged = false;
      note << "; mixed-precision solve reported info " << dinfo;
    }

    if (!need_fallback) {
      if (niters >= 0) {
        info.iterations = niters;
        note << ", " << niters << " refinement iterations";
      } else {
        int outer = 0;
        LSGD_CUSOLVER_CHECK(cusolverDnIRSInfosGetOuterNiters(infos_.get(), &outer));
        info.iterations = std::max(outer, 0);
        info.converged = false;
        note << "; refinement did not converge (niters " << niters << ": " << niters_meaning(niters)
             << "); cuSOLVER fell back to working precision";
      }
      std::string detail;
      if (accurate(&detail)) {
        info.note = note.str();
        return;
      }
      note << "; residual check failed (" << detail << ")";
      info.converged = false;
    }

    // Working-precision fallback on fresh copies: the IRS call may have overwritten them.
    this->stage();
    const int wp_iters = this->solve_working_precision();
    (void)wp_iters;
    this->check_gels_info(this->fetch_status_now(this->kGelsInfo));
    note << "; fell back to working precision (cusolverDn"
         << (sizeof(T) == sizeof(double) ? "DDgels" : "SSgels") << ")";
    std::string detail;
    if (!accurate(&detail)) note << "; its " << detail;
    info.note = note.str();
  }

  void check() override {
    // The solver's decisions (and their NumericalErrors) happen inside solve(); the rank check
    // (file comment) here, after the timed region; then the base checks x.
    this->check_rank();
  }

  IrsParams params_;
  IrsInfos infos_;
  DeviceBuffer<T> r_, g_;
  double norm_A_ = 0.0, norm_b_ = 0.0;
};

}  // namespace
}  // namespace lsgd::cuda

namespace lsgd {

void register_cuda_gels(SolverEntry& e) {
  e.make_f32 = [](const SolverOptions& o) { return std::make_unique<cuda::GelsSolver<float>>(o); };
  e.make_f64 = [](const SolverOptions& o) { return std::make_unique<cuda::GelsSolver<double>>(o); };
}

void register_cuda_gels_irs(SolverEntry& e) {
  e.make_f32 = [](const SolverOptions& o) {
    return std::make_unique<cuda::GelsIrsSolver<float>>(o);
  };
  e.make_f64 = [](const SolverOptions& o) {
    return std::make_unique<cuda::GelsIrsSolver<double>>(o);
  };
}

}  // namespace lsgd
