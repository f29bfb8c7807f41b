// Built without CUDA: no GPU ceilings, nothing to flush.
#include "bench/gpu_bench.hpp"
#include "lsgd/device.hpp"
#include "lsgd/error.hpp"

namespace lsgd::bench {

GpuCeilings measure_gpu_ceilings(bool, bool, bool) {
  throw DeviceError("GPU ceilings: " + describe_device());
}

void flush_gpu_l2() {}

}  // namespace lsgd::bench
