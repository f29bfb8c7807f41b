// The two measured modes of every CUDA solver, written once (see gpu_solver_base.hpp).
#include "kernels/gpu_solver_base.hpp"

#include <algorithm>
#include <climits>
#include <sstream>

#include "kernels/lstsq_kernels.hpp"

namespace lsgd::cuda {

GpuContext::GpuContext()
    : gpu_checked((require_gpu(), true)), stream(), cublas(stream.get()), cusolver(stream.get()) {}

template <typename T, typename I>
GpuSolverBase<T, I>::GpuSolverBase(std::string name, const SolverOptions& opt)
    : name_(std::move(name)),
      opt_(opt),
      ctx_(),
      timer_(ctx_.stream.get()),
      status_d_(kStatusSlots),
      status_h_(kStatusSlots) {
  std::fill(status_h_.data(), status_h_.data() + kStatusSlots, 0);
}

template <typename T, typename I>
void GpuSolverBase<T, I>::require_int_range(index_t m, index_t n, const char* api) const {
  if (m > INT_MAX || n > INT_MAX) {
    std::ostringstream os;
    os << name_ << ": m = " << m << ", n = " << n << " exceed the int range of " << api;
    throw InvalidInput(os.str());
  }
}

template <typename T, typename I>
void GpuSolverBase<T, I>::reject_ridge() const {
  if (opt_.ridge_lambda != 0.0) {
    throw InvalidInput(name_ + ": ridge lambda is supported by cuda.cholesky (and the GD solvers) only");
  }
}

template <typename T, typename I>
void GpuSolverBase<T, I>::require_overdetermined(index_t m, index_t n) const {
  if (m < n) {
    std::ostringstream os;
    os << name_ << ": m = " << m << " < n = " << n
       << " (underdetermined); use cuda.svd for the minimum-norm solution";
    throw InvalidInput(os.str());
  }
}

template <typename T, typename I>
void GpuSolverBase<T, I>::setup_step(const ProblemType& p) {
  // lsgd::Solver::setup marks the solver ready only when this returns normally.
  p.validate();
  check_shape(p.m, p.n);
  this->info_ = SolveInfo{};
  this->info_.threads = 1;
  index_t batch = 1;
  if constexpr (kBatched) batch = p.batch;
  const size_t bs = static_cast<size_t>(batch);
  const size_t mn = bs * static_cast<size_t>(p.m) * static_cast<size_t>(p.n);
  const size_t m = bs * static_cast<size_t>(p.m), n = bs * static_cast<size_t>(p.n);
  cudaStream_t s = stream();
  A_.resize(mn);
  b_.resize(m);
  x_.resize(n);
  if (opt_.gpu_mode == GpuMode::resident) {
    A_.upload(p.A.data(), mn, s);
    b_.upload(p.b.data(), m, s);
  } else {
    // The timed upload reads pinned memory, as a pipeline that owns its host buffers would.
    A_h_.resize(mn);
    b_h_.resize(m);
    x_h_.resize(n);
    std::copy(p.A.begin(), p.A.end(), A_h_.data());
    std::copy(p.b.begin(), p.b.end(), b_h_.data());
    std::fill(x_h_.data(), x_h_.data() + n, T(0));
  }
  x_.zero(s);
  m_ = p.m;
  n_ = p.n;
  batch_ = batch;
  if constexpr (kBatched) this->info_.problem_status.assign(bs, kSolved);
  prepare(p);
  ctx_.stream.synchronize();  // uploads from the caller's pageable memory are complete
}

template <typename T, typename I>
void GpuSolverBase<T, I>::zero_status() {
  status_d_.zero(stream());
}

template <typename T, typename I>
void GpuSolverBase<T, I>::finish_solve() {
  if constexpr (!kBatched) count_nonfinite(x_.data(), n_, status_d_.data(), stream());
  status_d_.download(status_h_.data(), static_cast<size_t>(kStatusSlots), stream());
}

template <typename T, typename I>
int GpuSolverBase<T, I>::fetch_status_now(int i) {
  LSGD_CUDA_CHECK(cudaMemcpyAsync(status_h_.data() + i, status_d_.data() + i, sizeof(int),
                                  cudaMemcpyDeviceToHost, stream()));
  ctx_.stream.synchronize();
  return status_h_[static_cast<size_t>(i)];
}

template <typename T, typename I>
double GpuSolverBase<T, I>::timed_solve_step() {
  this->info_.iterations = 0;
  this->info_.converged = true;
  this->info_.note.clear();
  cudaStream_t s = stream();
  double seconds = 0.0;
  if (opt_.gpu_mode == GpuMode::resident) {
    // Untimed: the working copies (stage) cost 2 * bytes(A) of device traffic, about 0.36 ms for a
    // double 8192^2 A at 2.98 TB/s; a caller with its own copy of A would not pay them.
    zero_status();
    stage();
    timer_.start();
    solve();
    finish_solve();
    seconds = timer_.stop_seconds();
  } else {
    timer_.start();
    A_.upload(A_h_.data(), A_.size(), s);
    b_.upload(b_h_.data(), b_.size(), s);
    zero_status();
    stage();
    solve();
    finish_solve();
    x_.download(x_h_.data(), x_.size(), s);
    seconds = timer_.stop_seconds();
  }
  ctx_.stream.synchronize();  // the stop event already implies it; kept for clarity of ordering
  check();
  if constexpr (!kBatched) {
    if (status(0) > 0) {
      std::ostringstream os;
      os << name_ << ": the solution has " << status(0)
         << " non-finite entries (A is singular to working precision or the data overflow in "
            "this precision)";
      throw NumericalError(os.str());
    }
  }
  return seconds;
}

template <typename T, typename I>
std::vector<T> GpuSolverBase<T, I>::solution() {
  std::vector<T> out;
  if (opt_.gpu_mode == GpuMode::end_to_end) {
    out.assign(x_h_.data(), x_h_.data() + x_h_.size());
  } else {
    out = x_.to_host(0, stream());
  }
  finish_solution(out);
  return out;
}

template class GpuSolverBase<float, Solver<float>>;
template class GpuSolverBase<double, Solver<double>>;
template class GpuSolverBase<float, BatchedSolver<float>>;
template class GpuSolverBase<double, BatchedSolver<double>>;

}  // namespace lsgd::cuda
