// GdEngine: per-problem device state, the fused / resident / Gram drivers, and SolveInfo assembly
// for the CUDA gradient-descent solvers. The cuBLAS baseline's driver is in kernels/bgd_cublas.cpp.
#include "kernels/bgd_engine.hpp"
#include "kernels/cublas_overloads.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <sstream>

#include "lsgd/error.hpp"

namespace lsgd::cuda::gd {

template <typename T>
GdEngine<T>::GdEngine(std::string solver_name, const SolverOptions& opt)
    : name_(std::move(solver_name)), opt_(opt), active_h_(2) {
  validate_iterative_options(name_, opt);
  active_h_[0] = active_h_[1] = 1;
}

template <typename T>
void GdEngine<T>::check_shape(Variant variant, std::int64_t m, std::int64_t n) const {
  if (m > INT_MAX || n > INT_MAX) {
    throw InvalidInput(name_ + ": m, n and batch must each fit in a 32-bit int (cuBLAS)");
  }
  const bool streamed = variant == Variant::fused ||
                        (variant == Variant::resident &&
                         (n > kResidentMaxN || m > resident_max_m<T>(n)));
  if (streamed && n > kStreamMaxN) {
    throw InvalidInput(name_ + ": n = " + std::to_string(n) + " exceeds the limit " +
                       std::to_string(kStreamMaxN) +
                       " of the streamed gradient kernel (tile of R x n in shared memory); use "
                       "cuda.bgd.cublas");
  }
  if (variant == Variant::gram && n > kGramMaxN) {
    throw InvalidInput(name_ + ": n = " + std::to_string(n) + " exceeds the limit " +
                       std::to_string(kGramMaxN) +
                       " (G = A^T A/m must fit in shared memory); use cuda.bgd.fused");
  }
}

template <typename T>
void GdEngine<T>::prepare(Variant variant, const T* A, const T* b, T* x, std::int64_t m,
                          std::int64_t n, std::int64_t batch, cudaStream_t stream,
                          cublasHandle_t cublas) {
  check_shape(variant, m, n);
  if (m < 1 || n < 1 || batch < 1) {
    throw InvalidInput(name_ + ": empty problem (m = " + std::to_string(m) + ", n = " +
                       std::to_string(n) + ", batch = " + std::to_string(batch) + ")");
  }
  if (batch > INT_MAX) {
    throw InvalidInput(name_ + ": m, n and batch must each fit in a 32-bit int (cuBLAS)");
  }
  variant_ = variant;
  resident_fits_ = variant == Variant::resident && n <= kResidentMaxN && m <= resident_max_m<T>(n);
  A_ = A;
  b_ = b;
  stream_ = stream;
  cublas_ = cublas;

  prm_ = make_gd_params(m, n, batch, opt_);
  st_ = bufs_.allocate(prm_, x);
  allocate_workspace();  // and the kernels' shared-memory limits
}

template <typename T>
void GdEngine<T>::allocate_workspace() {
  const size_t bs = static_cast<size_t>(prm_.batch);
  const size_t n = static_cast<size_t>(prm_.n);
  const size_t m = static_cast<size_t>(prm_.m);
  switch (variant_) {
    case Variant::cublas:
      work_a_.resize(bs * m);  // r
      work_b_.resize(bs * n);  // A^T r
      break;
    case Variant::fused:
    case Variant::resident:
      if (resident_fits_) break;
      plan_ = plan_stream<T>(prm_.m, prm_.n, prm_.batch);
      prepare_stream_gradient<T>(plan_);
      work_a_.resize(bs * static_cast<size_t>(plan_.chunks) * n);  // gradient partials
      work_b_.resize(bs * static_cast<size_t>(plan_.chunks));      // ||r||^2 partials
      break;
    case Variant::gram:
      work_a_.resize(bs * n * n);  // G
      work_b_.resize(bs * n);      // c
      prepare_gram<T>(prm_.n);
      break;
  }
}

template <typename T>
bool GdEngine<T>::poll_stopped() {
  const int slot = polls_ & 1;
  LSGD_CUDA_CHECK(cudaMemcpyAsync(active_h_.data() + slot, st_.active, sizeof(int),
                                  cudaMemcpyDeviceToHost, stream_));
  poll_done_[slot].record(stream_);
  ++polls_;
  if (polls_ == 1) return false;  // nothing read yet
  // The previous poll's copy: done once the device finished the chunk before the current one.
  const int prev = slot ^ 1;
  poll_done_[prev].synchronize();
  return active_h_[static_cast<size_t>(prev)] == 0;
}

template <typename T>
void GdEngine<T>::run_fused() {
  launch_fused_solve<T>(A_, b_, prm_, st_, plan_, work_a_.data(), work_b_.data(), stream_,
                        [this](int k) {
                          return k % kCheckEvery == kCheckEvery - 1 && k < prm_.max_iters &&
                                 poll_stopped();
                        });
}

template <typename T>
void GdEngine<T>::run_gram() {
  const int m = static_cast<int>(prm_.m);
  const int n = static_cast<int>(prm_.n);
  const int batch = static_cast<int>(prm_.batch);
  const long long smn = static_cast<long long>(m) * n;
  const T inv_m = T(1) / static_cast<T>(m);
  const T zero = T(0);
  T* G = work_a_.data();
  T* c = work_b_.data();
  // G = A^T A / m and c = A^T b / m (b as an m x 1 matrix), one strided-batched GEMM each.
  LSGD_CUBLAS_CHECK(gemm_strided(cublas_, CUBLAS_OP_T, CUBLAS_OP_N, n, n, m, &inv_m, A_, m, smn,
                                 A_, m, smn, &zero, G, n,
                                 static_cast<long long>(n) * n, batch));
  LSGD_CUBLAS_CHECK(gemm_strided(cublas_, CUBLAS_OP_T, CUBLAS_OP_N, n, 1, m, &inv_m, A_, m, smn,
                                 b_, m, m, &zero, c, n, n, batch));
  launch_gram<T>(G, c, b_, prm_, st_, stream_);
}

template <typename T>
void GdEngine<T>::reset() {
  launch_reset(prm_, st_, stream_);
}

template <typename T>
void GdEngine<T>::run() {
  polls_ = 0;
  switch (variant_) {
    case Variant::cublas:
      run_cublas_iterations(*this, work_a_.data(), work_b_.data());
      break;
    case Variant::fused:
      run_fused();
      break;
    case Variant::resident:
      if (resident_fits_) {
        launch_resident<T>(A_, b_, prm_, st_, stream_);
      } else {
        run_fused();
      }
      break;
    case Variant::gram:
      run_gram();
      break;
  }
}

template <typename T>
SolveInfo GdEngine<T>::collect_info() {
  cudaStream_t s = stream_;
  const std::vector<int> status = bufs_.status.to_host(0, s);
  const std::vector<int> iters = bufs_.iters.to_host(0, s);
  const std::vector<T> f_last = bufs_.f_last.to_host(0, s);
  SolveInfo info;
  const size_t bs = status.size();
  info.problem_status.resize(bs);
  info.problem_iterations = iters;
  info.iterations = 0;
  info.converged = true;
  size_t diverged = 0, not_converged = 0;
  for (size_t p = 0; p < bs; ++p) {
    int code = kNotConverged;
    if (status[p] == kDoneOk) code = kSolved;
    if (status[p] == kDoneDiverged) code = kDiverged;
    info.problem_status[p] = code;
    info.converged = info.converged && code == kSolved;
    diverged += code == kDiverged;
    not_converged += code == kNotConverged;
    info.iterations = std::max(info.iterations, iters[p]);
  }
  // History: slot j holds f(x_{j*every}) summed over the problems still running at that iteration
  // (device atomics); problems that stopped earlier (converged or at max_iters, not diverged)
  // contribute their final f. Entry j is the mean over the non-diverged problems.
  const int every = opt_.history_every;
  info.history_every = every;
  if (every > 0) {
    const std::vector<double> hsum = bufs_.hist_sum.to_host(0, s);
    const std::vector<int> hcnt = bufs_.hist_cnt.to_host(0, s);
    const size_t slots = hsum.size();
    std::vector<double> add_sum(slots + 1, 0.0);
    std::vector<long long> add_cnt(slots + 1, 0);
    double final_sum = 0.0;
    long long final_cnt = 0;
    for (size_t p = 0; p < bs; ++p) {
      if (status[p] == kDoneDiverged) continue;
      final_sum += static_cast<double>(f_last[p]);
      ++final_cnt;
      const size_t first = static_cast<size_t>(iters[p] / every + 1);
      if (first < slots) {
        add_sum[first] += static_cast<double>(f_last[p]);
        add_cnt[first] += 1;
      }
    }
    double run_sum = 0.0;
    long long run_cnt = 0;
    int last_k = -1;
    for (size_t j = 0; j < slots; ++j) {
      run_sum += add_sum[j];
      run_cnt += add_cnt[j];
      const int k = static_cast<int>(j) * every;
      const long long cnt = hcnt[j] + run_cnt;
      if (k > info.iterations || cnt == 0) break;
      info.loss_history.push_back((hsum[j] + run_sum) / static_cast<double>(cnt));
      last_k = k;
    }
    // The final iterate, as the CPU solvers record it.
    if (last_k >= 0 && last_k != info.iterations && final_cnt > 0) {
      info.loss_history.push_back(final_sum / static_cast<double>(final_cnt));
    }
  }
  std::ostringstream note;
  switch (variant_) {
    case Variant::cublas:
      note << "cuBLAS strided-batched GEMVs + update kernel; the host polls for completion every "
           << kCheckEvery << " iterations, one poll behind (no stall)";
      break;
    case Variant::fused:
      note << "one pass over A per iteration (" << plan_.chunks << " block(s) of "
           << plan_.chunk_rows << " rows per problem, tiles of " << plan_.tile_rows
           << " rows); the host polls for completion every " << kCheckEvery
           << " iterations, one poll behind (no stall)";
      break;
    case Variant::resident:
      if (resident_fits_) {
        note << "single launch, A resident in registers";
      } else {
        note << "shape beyond the register-resident limit: streamed fallback, one pass over A per "
                "iteration";
      }
      break;
    case Variant::gram:
      note << "G = A^T A/m by cuBLAS, then a single launch with G in shared memory";
      break;
  }
  if (diverged > 0 || not_converged > 0) {
    note << "; " << diverged << " diverged, " << not_converged
         << " not converged within max_iters (see problem_status)";
  }
  info.note = note.str();
  return info;
}

template class GdEngine<float>;
template class GdEngine<double>;

}  // namespace lsgd::cuda::gd
