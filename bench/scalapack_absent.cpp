// bench_mpi without ScaLAPACK: the peer reports itself unavailable (and is skipped).
#include "bench/scalapack_peer.hpp"
#include "lsgd/error.hpp"

namespace lsgd::bench {

bool scalapack_available() { return false; }

template <typename T>
double scalapack_gels(const Problem<T>&, index_t, int, int, int, std::vector<T>&) {
  throw DeviceError("bench_mpi was built without ScaLAPACK");
}
template double scalapack_gels<float>(const Problem<float>&, index_t, int, int, int,
                                      std::vector<float>&);
template double scalapack_gels<double>(const Problem<double>&, index_t, int, int, int,
                                       std::vector<double>&);

}  // namespace lsgd::bench
