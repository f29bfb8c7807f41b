#include "cpu/cpu_families.hpp"

namespace lsgd {

void register_cpu_solvers(Registry& r) {
  register_cpu_lstsq(r);
}

}  // namespace lsgd
