// The two measured modes of the GPU single-problem solvers (see gpu_solver_base.hpp).
#include "kernels/gpu_solver_base.hpp"

#include <algorithm>
#include <climits>
#include <sstream>

#include "kernels/lstsq_kernels.hpp"

namespace lsgd::cuda {

template <typename T>
Stream GpuSolver<T>::make_stream() {
  require_gpu();
  return Stream();
}

template <typename T>
GpuSolver<T>::GpuSolver(std::string name, const SolverOptions& opt)
    : name_(std::move(name)),
      opt_(opt),
      stream_(make_stream()),
      cublas_(stream_.get()),
      cusolver_(stream_.get()),
      timer_(stream_.get()),
      status_d_(kStatusSlots),
      status_h_(kStatusSlots) {
  std::fill(status_h_.data(), status_h_.data() + kStatusSlots, 0);
}

template <typename T>
void GpuSolver<T>::require_int_range(index_t m, index_t n, const char* api) const {
  if (m > INT_MAX || n > INT_MAX) {
    std::ostringstream os;
    os << name_ << ": m = " << m << ", n = " << n << " exceed the int range of " << api;
    throw InvalidInput(os.str());
  }
}

template <typename T>
void GpuSolver<T>::setup(const Problem<T>& p) {
  p.validate();
  check_shape(p.m, p.n);
  m_ = 0;
  n_ = 0;
  this->info_ = SolveInfo{};
  this->info_.threads = 1;
  const size_t mn = static_cast<size_t>(p.m) * static_cast<size_t>(p.n);
  const size_t m = static_cast<size_t>(p.m), n = static_cast<size_t>(p.n);
  A_.resize(mn);
  b_.resize(m);
  x_.resize(n);
  if (opt_.gpu_mode == GpuMode::resident) {
    A_.upload(p.A.data(), mn, stream_.get());
    b_.upload(p.b.data(), m, stream_.get());
  } else {
    // The timed upload reads pinned memory, as a pipeline that owns its host buffers would.
    A_h_.resize(mn);
    b_h_.resize(m);
    x_h_.resize(n);
    std::copy(p.A.begin(), p.A.end(), A_h_.data());
    std::copy(p.b.begin(), p.b.end(), b_h_.data());
    std::fill(x_h_.data(), x_h_.data() + n, T(0));
  }
  x_.zero(stream_.get());
  m_ = p.m;
  n_ = p.n;
  try {
    prepare(p);
    stream_.synchronize();
  } catch (...) {
    m_ = 0;  // half-prepared: timed_solve() must refuse until a setup() succeeds
    n_ = 0;
    throw;
  }
}

template <typename T>
void GpuSolver<T>::zero_status() {
  LSGD_CUDA_CHECK(cudaMemsetAsync(status_d_.data(), 0, status_d_.bytes(), stream_.get()));
}

template <typename T>
void GpuSolver<T>::finish_solve() {
  count_nonfinite(x_.data(), n_, status_d_.data(), stream_.get());
  LSGD_CUDA_CHECK(cudaMemcpyAsync(status_h_.data(), status_d_.data(), status_d_.bytes(),
                                  cudaMemcpyDeviceToHost, stream_.get()));
}

template <typename T>
int GpuSolver<T>::fetch_status_now(int i) {
  LSGD_CUDA_CHECK(cudaMemcpyAsync(status_h_.data() + i, status_d_.data() + i, sizeof(int),
                                  cudaMemcpyDeviceToHost, stream_.get()));
  stream_.synchronize();
  return status_h_[static_cast<size_t>(i)];
}

template <typename T>
double GpuSolver<T>::timed_solve() {
  if (m_ == 0) throw InvalidInput(name_ + ": timed_solve() before setup()");
  this->info_.iterations = 0;
  this->info_.converged = true;
  this->info_.note.clear();
  const size_t mn = static_cast<size_t>(m_) * static_cast<size_t>(n_);
  const size_t m = static_cast<size_t>(m_), n = static_cast<size_t>(n_);
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
    A_.upload(A_h_.data(), mn, stream_.get());
    b_.upload(b_h_.data(), m, stream_.get());
    zero_status();
    stage();
    solve();
    finish_solve();
    x_.download(x_h_.data(), n, stream_.get());
    seconds = timer_.stop_seconds();
  }
  stream_.synchronize();  // the stop event already implies it; kept for clarity of ordering
  check();
  if (status(0) > 0) {
    std::ostringstream os;
    os << name_ << ": the solution has " << status(0)
       << " non-finite entries (A is singular to working precision or the data overflow in this "
          "precision)";
    throw NumericalError(os.str());
  }
  return seconds;
}

template <typename T>
std::vector<T> GpuSolver<T>::solution() {
  const size_t n = static_cast<size_t>(n_);
  if (opt_.gpu_mode == GpuMode::end_to_end) return std::vector<T>(x_h_.data(), x_h_.data() + n);
  return x_.to_host(n, stream_.get());
}

template class GpuSolver<float>;
template class GpuSolver<double>;

}  // namespace lsgd::cuda
