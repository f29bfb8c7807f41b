// GPU clocks and throttle reasons through NVML (CUDA builds). libnvidia-ml ships with the driver,
// not the toolkit, so it is loaded at run time: a machine without a driver runs the benchmarks and
// records why the GPU state is absent instead of failing to start.
#include <dlfcn.h>

#include <string>

#include "bench/machine_state.hpp"

namespace lsgd::bench {
namespace {

// The few NVML declarations used (nvml.h, stable ABI since NVML 5).
using nvmlReturn_t = int;
using nvmlDevice_t = struct nvmlDevice_st*;
constexpr int kNvmlSuccess = 0;
constexpr int kClockSm = 1;   // NVML_CLOCK_SM
constexpr int kClockMem = 2;  // NVML_CLOCK_MEM

// nvmlClocksEventReasons / ThrottleReasons bits that mean "held back" (idle and application clock
// settings are not throttling).
struct Reason {
  unsigned long long bit;
  const char* name;
};
constexpr Reason kThrottle[] = {
    {0x4ULL, "sw_power_cap"},        {0x8ULL, "hw_slowdown"},
    {0x10ULL, "sync_boost"},         {0x20ULL, "sw_thermal"},
    {0x40ULL, "hw_thermal"},         {0x80ULL, "hw_power_brake"},
};

struct Nvml {
  void* lib = nullptr;
  nvmlReturn_t (*init)() = nullptr;
  nvmlReturn_t (*handle)(unsigned, nvmlDevice_t*) = nullptr;
  nvmlReturn_t (*clock)(nvmlDevice_t, int, unsigned*) = nullptr;
  nvmlReturn_t (*max_clock)(nvmlDevice_t, int, unsigned*) = nullptr;
  nvmlReturn_t (*reasons)(nvmlDevice_t, unsigned long long*) = nullptr;
  std::string error;
  bool ok = false;

  Nvml() {
    lib = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
      error = "libnvidia-ml.so.1 not loadable (no NVIDIA driver)";
      return;
    }
    init = reinterpret_cast<decltype(init)>(dlsym(lib, "nvmlInit_v2"));
    handle = reinterpret_cast<decltype(handle)>(dlsym(lib, "nvmlDeviceGetHandleByIndex_v2"));
    clock = reinterpret_cast<decltype(clock)>(dlsym(lib, "nvmlDeviceGetClockInfo"));
    max_clock = reinterpret_cast<decltype(max_clock)>(dlsym(lib, "nvmlDeviceGetMaxClockInfo"));
    reasons = reinterpret_cast<decltype(reasons)>(
        dlsym(lib, "nvmlDeviceGetCurrentClocksEventReasons"));
    if (!reasons) {
      reasons = reinterpret_cast<decltype(reasons)>(
          dlsym(lib, "nvmlDeviceGetCurrentClocksThrottleReasons"));
    }
    if (!init || !handle || !clock || !reasons) {
      error = "libnvidia-ml lacks the clock functions";
      return;
    }
    if (init() != kNvmlSuccess) {
      error = "nvmlInit failed";
      return;
    }
    ok = true;
  }
  // Not closed: NVML stays initialised until exit (nvmlShutdown at static destruction could run
  // after the driver's own teardown).
};

Nvml& nvml() {
  static Nvml n;
  return n;
}

}  // namespace

GpuSample sample_gpu() {
  GpuSample g;
  Nvml& n = nvml();
  if (!n.ok) {
    g.error = n.error;
    return g;
  }
  nvmlDevice_t dev = nullptr;
  if (n.handle(0, &dev) != kNvmlSuccess) {
    g.error = "NVML: no device 0";
    return g;
  }
  unsigned mhz = 0;
  if (n.clock(dev, kClockSm, &mhz) == kNvmlSuccess) g.sm_mhz = mhz;
  if (n.clock(dev, kClockMem, &mhz) == kNvmlSuccess) g.mem_mhz = mhz;
  if (n.max_clock && n.max_clock(dev, kClockSm, &mhz) == kNvmlSuccess) g.sm_max_mhz = mhz;
  unsigned long long r = 0;
  if (n.reasons(dev, &r) == kNvmlSuccess) {
    g.throttle_reasons = r;
    for (const Reason& x : kThrottle) {
      if (r & x.bit) g.throttle_names.emplace_back(x.name);
    }
  }
  g.present = true;
  return g;
}

}  // namespace lsgd::bench
