#pragma once
// Backend-neutral view of the GPU: works (and reports "no CUDA device") when built without CUDA.
#include <string>

namespace lsgd {

struct DeviceInfo {
  bool present = false;
  std::string reason;  // why not present ("built without CUDA", "no CUDA device", driver error)
  std::string name;
  int sm_count = 0;
  int cc_major = 0, cc_minor = 0;
  double memory_gib = 0.0;
  double sm_clock_mhz = 0.0;
  double mem_clock_mhz = 0.0;
  int mem_bus_bits = 0;
  double l2_mib = 0.0;
  int driver_version = 0;   // e.g. 13000
  int runtime_version = 0;
};

bool built_with_cuda();
bool gpu_available();        // a usable CUDA device is present (cached after the first call)
DeviceInfo device_info();    // device 0
std::string describe_device();  // one line: name, SMs, memory, clocks, versions; or the reason

}  // namespace lsgd
