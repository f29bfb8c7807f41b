// Built without CUDA: no GPU ceilings, nothing to flush.
#include "bench/gpu_bench.hpp"
#include "bench/machine_state.hpp"
#include "lsgd/device.hpp"
#include "lsgd/error.hpp"

namespace lsgd::bench {

GpuCeilings measure_gpu_ceilings(bool, bool, bool) {
  throw DeviceError("GPU ceilings: " + describe_device());
}

void flush_gpu_l2() {}

GpuSample sample_gpu() {
  GpuSample g;
  g.error = "built without CUDA";
  return g;
}

}  // namespace lsgd::bench
