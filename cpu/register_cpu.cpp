#include "cpu/cpu_families.hpp"

namespace lsgd {

void register_cpu_solvers(Registry& r) {
  register_cpu_lstsq(r);
  register_cpu_gd(r);
  register_cpu_sgd(r);
  register_cpu_bgd(r);
  register_cpu_batched(r);
}

}  // namespace lsgd
