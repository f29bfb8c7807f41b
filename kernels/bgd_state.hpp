#pragma once
// The device side of the GD conventions' per-problem state (GdParams, GdState of
// kernels/bgd_kernels.cuh) from a solver's options, owned by RAII buffers: the GD engine
// (kernels/bgd_engine.cpp) and the kernel tests (tests/emu) set up the kernels the same way.
// Compiles for CUDA and for the CPU emulation of the kernels.
#include <cstdint>

#include "kernels/bgd_kernels.cuh"
#include "kernels/cuda_raii.hpp"
#include "lsgd/solver.hpp"

namespace lsgd::cuda::gd {

inline GdParams make_gd_params(std::int64_t m, std::int64_t n, std::int64_t batch,
                               const SolverOptions& opt) {
  GdParams prm;
  prm.m = m;
  prm.n = n;
  prm.batch = batch;
  prm.lambda = opt.ridge_lambda;
  prm.tol = opt.tol;
  prm.step = opt.step;
  prm.lipschitz = opt.lipschitz;
  prm.max_iters = opt.max_iters;
  prm.power_iters = opt.power_iters;
  prm.history_every = opt.history_every;
  return prm;
}

// Every per-problem buffer of GdState but x (the solver's), and the history slots.
template <typename T>
struct GdStateBuffers {
  DeviceBuffer<T> lip, alpha, f0, g0, f_last;
  DeviceBuffer<int> status, iters, active, hist_cnt;
  DeviceBuffer<double> hist_sum;

  // Sizes the buffers for prm (prm.max_iters / prm.history_every + 1 history slots when
  // prm.history_every > 0) and returns the state over them and x (batch * n).
  GdState<T> allocate(const GdParams& prm, T* x) {
    const size_t bs = static_cast<size_t>(prm.batch);
    lip.resize(bs);
    alpha.resize(bs);
    f0.resize(bs);
    g0.resize(bs);
    f_last.resize(bs);
    status.resize(bs);
    iters.resize(bs);
    active.resize(1);
    if (prm.history_every > 0) {
      const size_t slots = static_cast<size_t>(prm.max_iters / prm.history_every + 1);
      hist_sum.resize(slots);
      hist_cnt.resize(slots);
    }
    return GdState<T>{x,
                      lip.data(),
                      alpha.data(),
                      f0.data(),
                      g0.data(),
                      f_last.data(),
                      status.data(),
                      iters.data(),
                      hist_sum.data(),
                      hist_cnt.data(),
                      active.data()};
  }
};

}  // namespace lsgd::cuda::gd
