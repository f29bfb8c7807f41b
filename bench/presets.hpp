#pragma once
// The size sweeps of the presets, per family. CPU entries are further capped at registration by the
// estimated solve time (Config::cap_seconds) and by memory.
#include <vector>

#include "bench/bench_config.hpp"
#include "lsgd/problem.hpp"
#include "lsgd/solver.hpp"

namespace lsgd::bench {

struct LsShape {
  index_t m, n;
};
struct BatchShape {
  index_t batch, m, n;
};
struct GdShape {
  index_t batch, m, n;  // batch 0 for the unbatched family
  int iters;
};
struct AccShape {
  index_t m, n;
};
struct TtaShape {
  index_t m, n;
  bool gpu_only;  // too slow to search on the CPU
};

std::vector<LsShape> ls_shapes(Preset p);
std::vector<BatchShape> bls_shapes(Preset p);
std::vector<GdShape> gd_shapes(Preset p);
std::vector<GdShape> bgd_shapes(Preset p);
std::vector<TtaShape> tta_shapes(Preset p);
std::vector<double> tta_kappas(Preset p);   // condition numbers of the Hessian A^T A / m
std::vector<double> tta_targets();          // 1e-3, 1e-6
int tta_max_iters(Preset p);                // iteration cap of the search
// Accuracy against kappa (bench_acc): shapes, condition numbers of A (not A^T A), the relative noise
// of b (so the residual is not zero and the kappa^2 ||r|| term of QR's error shows), and the
// iteration cap of the iterative solvers (with tolerance acc_tol).
std::vector<AccShape> acc_shapes(Preset p);
std::vector<double> acc_kappas(Preset p);
double acc_noise();
int acc_max_iters(Preset p);
double acc_tol(Precision p);

}  // namespace lsgd::bench
