// cuda.batched.resident: batched least squares with our own kernel. One thread block per problem
// streams the problem's rows once through shared memory, accumulating a Householder QR of the rows
// seen so far (a per-problem TSQR), then solves R x = Q^T b on chip. QR accuracy, one read of A.
// The kernel is in kernels/streaming_qr_device.cuh (shared with cuda.tsqr).
#include <memory>
#include <sstream>
#include <vector>

#include "kernels/batched_resident.cuh"
#include "kernels/gpu_solver_base.hpp"
#include "lsgd/registry.hpp"

namespace lsgd::cuda {
namespace {

// The solver: the measured modes, setup and refusal after a failed setup come from
// BatchedGpuSolver (kernels/gpu_solver_base.hpp). The kernel writes x (NaN for failed problems)
// and a per-problem status, read after the timed region.
template <typename T>
class BatchedResidentSolver final : public BatchedGpuSolver<T> {
 public:
  explicit BatchedResidentSolver(const SolverOptions& opt)
      : BatchedGpuSolver<T>("cuda.batched.resident", opt) {
    if (opt.ridge_lambda != 0.0) {
      throw InvalidInput("cuda.batched.resident: ridge lambda is not supported");
    }
  }

 private:
  void check_shape(index_t m, index_t n) const override {
    if (m < n) {
      std::ostringstream os;
      os << this->name() << ": m = " << m << " < n = " << n
         << " (underdetermined); needs m >= n";
      throw InvalidInput(os.str());
    }
    if (n > kStreamingQrMaxN) {
      std::ostringstream os;
      os << this->name() << ": n = " << n
         << " exceeds the largest supported n = " << kStreamingQrMaxN
         << " (R and a row panel are held in shared memory); use cuda.batched.gels or "
            "cuda.batched.cholesky";
      throw InvalidInput(os.str());
    }
  }

  void prepare(const BatchedProblem<T>&) override {
    streaming_qr_prepare<T>(this->n());
    dstatus_.resize(static_cast<size_t>(this->batch()));
  }

  void solve() override {
    const StreamingQrArgs<T> args = batched_solve_args<T>(this->A(), this->b(), this->m(),
                                                          this->n(), this->x(), dstatus_.data());
    streaming_qr_launch(args, this->batch(), this->stream());
  }

  void check() override {
    std::vector<int>& status = this->info_.problem_status;
    status.resize(static_cast<size_t>(this->batch()));
    dstatus_.download(status.data(), status.size(), this->stream());
    LSGD_CUDA_CHECK(cudaStreamSynchronize(this->stream()));
  }

  DeviceBuffer<int> dstatus_;
};

}  // namespace
}  // namespace lsgd::cuda

namespace lsgd {

void register_cuda_batched_resident(SolverEntry& e) {
  e.make_batched_f32 = [](const SolverOptions& o) {
    return std::make_unique<cuda::BatchedResidentSolver<float>>(o);
  };
  e.make_batched_f64 = [](const SolverOptions& o) {
    return std::make_unique<cuda::BatchedResidentSolver<double>>(o);
  };
}

}  // namespace lsgd
