#include "cpu/cpu_families.hpp"

namespace lsgd {

void register_cpu_solvers(Registry& r) {
  register_cpu_cholesky(r);
  register_cpu_qr(r);
  register_cpu_refined(r);
  register_cpu_rrqr(r);
  register_cpu_svd(r);
  register_cpu_tsqr(r);
  register_cpu_gd(r);
  register_cpu_sgd(r);
  register_cpu_bgd(r);
  register_cpu_batched(r);
}

}  // namespace lsgd
