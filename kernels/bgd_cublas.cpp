// cuda.bgd.cublas: batched gradient descent as a user would write it with cuBLAS. Per iteration
// r = b; r = A x - r (cublas<t>gemvStridedBatched), g = A^T r (gemvStridedBatched), then our small
// update kernel (one block per problem: f, ||grad||, the stopping rule, x -= alpha g). A is read
// twice per iteration. The host polls the count of running problems every kCheckEvery iterations,
// one poll behind through pinned memory (GdEngine::poll_stopped: no stall); stopped problems are
// frozen on the device at once, so results match a per-iteration check and only launches are
// wasted.
#include <cmath>
#include <memory>

#include "kernels/bgd_engine.hpp"
#include "kernels/cublas_overloads.hpp"
#include "lsgd/registry.hpp"

namespace lsgd::cuda::gd {

template <typename T>
void run_cublas_iterations(GdEngine<T>& e, T* r, T* g) {
  const GdParams& prm = e.params();
  const GdState<T>& st = e.state();
  cudaStream_t s = e.stream();
  cublasHandle_t h = e.cublas();
  const int m = static_cast<int>(prm.m);
  const int n = static_cast<int>(prm.n);
  const int batch = static_cast<int>(prm.batch);
  const long long smn = static_cast<long long>(m) * n;
  const T one = T(1), zero = T(0), minus_one = T(-1);
  const int threads = cublas_update_threads(n);

  if (prm.lipschitz > 0.0) {
    launch_set_given_lipschitz(prm, st, s);
  } else {
    launch_fill_x(prm, st, T(1) / std::sqrt(static_cast<T>(n)), s);
    for (int it = 0; it < prm.power_iters; ++it) {
      LSGD_CUBLAS_CHECK(gemv_strided(h, CUBLAS_OP_N, m, n, &one, e.A(), m, smn, st.x, n, &zero, r,
                                     m, batch));
      LSGD_CUBLAS_CHECK(gemv_strided(h, CUBLAS_OP_T, m, n, &one, e.A(), m, smn, r, m, &zero, g, n,
                                     batch));
      launch_power_update(prm, st, g, 1, threads, it + 1 == prm.power_iters, s);
    }
    launch_fill_x(prm, st, T(0), s);
  }
  const size_t rbytes = static_cast<size_t>(prm.batch) * static_cast<size_t>(m) * sizeof(T);
  for (int k = 0; k <= prm.max_iters; ++k) {
    LSGD_CUDA_CHECK(cudaMemcpyAsync(r, e.b(), rbytes, cudaMemcpyDeviceToDevice, s));
    LSGD_CUBLAS_CHECK(gemv_strided(h, CUBLAS_OP_N, m, n, &one, e.A(), m, smn, st.x, n, &minus_one,
                                   r, m, batch));
    LSGD_CUBLAS_CHECK(gemv_strided(h, CUBLAS_OP_T, m, n, &one, e.A(), m, smn, r, m, &zero, g, n,
                                   batch));
    launch_update<T>(k, prm, st, g, nullptr, r, 1, threads, s);
    if (k % kCheckEvery == kCheckEvery - 1 && k < prm.max_iters && e.poll_stopped()) break;
  }
}

template void run_cublas_iterations<float>(GdEngine<float>&, float*, float*);
template void run_cublas_iterations<double>(GdEngine<double>&, double*, double*);

}  // namespace lsgd::cuda::gd

namespace lsgd {

void register_cuda_bgd_cublas(SolverEntry& e) {
  using cuda::gd::BatchedGdSolver;
  using cuda::gd::Variant;
  e.make_batched_f32 = [](const SolverOptions& o) {
    return std::make_unique<BatchedGdSolver<float>>("cuda.bgd.cublas", o, Variant::cublas);
  };
  e.make_batched_f64 = [](const SolverOptions& o) {
    return std::make_unique<BatchedGdSolver<double>>("cuda.bgd.cublas", o, Variant::cublas);
  };
}

}  // namespace lsgd
