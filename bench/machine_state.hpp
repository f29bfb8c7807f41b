#pragma once
// What the machine was doing while the benchmarks ran, so that a result taken on a busy or throttled
// machine says so (docs/benchmarks.md, "Machine state"). Linux /proc and /sys where readable; the GPU
// side through NVML (gpu_nvml.cpp, loaded at run time) or absent (gpu_absent.cpp).
#include <string>
#include <vector>

namespace lsgd::bench {

// A point-in-time reading. Values that cannot be read are negative (numbers) or empty (strings).
struct CpuSample {
  double wall_s = 0.0;               // steady clock
  unsigned long long busy = 0;       // /proc/stat "cpu": user+nice+system+irq+softirq+steal jiffies
  unsigned long long total = 0;      // busy + idle + iowait
  unsigned long long own = 0;        // this process's utime+stime (all threads), jiffies
  double loadavg1 = -1.0;            // /proc/loadavg
  double cpu_mhz = -1.0;             // mean "cpu MHz" of /proc/cpuinfo
  double cpu_max_mhz = -1.0;         // cpufreq cpuinfo_max_freq (cpu0), when exposed
  double cpu_cur_mhz = -1.0;         // cpufreq scaling_cur_freq (mean), when exposed
  std::string governor;              // cpufreq scaling_governor (cpu0), when exposed
};

struct GpuSample {
  bool present = false;              // NVML answered for device 0
  double sm_mhz = -1.0;
  double mem_mhz = -1.0;
  double sm_max_mhz = -1.0;
  unsigned long long throttle_reasons = 0;  // NVML clocks-event reasons bit mask
  std::vector<std::string> throttle_names;  // the reasons that count as throttling (not idle)
  std::string error;                 // why it is absent ("no NVML", "built without CUDA", ...)
};

CpuSample sample_cpu();
GpuSample sample_gpu();  // gpu_nvml.cpp or gpu_absent.cpp

// Share of the machine's CPU time (0..1) that other processes (and the hypervisor: steal) used
// between two samples; negative (unknown) when /proc/stat is unreadable or the interval is shorter
// than kMinShareJiffies of machine time: the counters tick at 100 Hz and this process's own time is
// accounted at other instants than /proc/stat's, so a few-millisecond interval reads 0% or 100% at
// random (measured: 2 false "busy" flags among 94 bls entries of an idle run, both under 5 ms).
double other_cpu_share(const CpuSample& before, const CpuSample& after);

// The thresholds of the flags (documented in docs/benchmarks.md).
constexpr double kBusyOtherCpuShare = 0.25;  // other processes used > 25% of all CPUs
constexpr unsigned long long kMinShareJiffies = 50;  // summed over CPUs: 0.25 s wall on 2 CPUs
constexpr double kSlowOmpBarrierUs = 100.0;  // an OpenMP region or barrier above 100 us: threads
                                             // descheduled (idle: a few us)
constexpr double kCpuThrottleRatio = 0.9;    // cpufreq current below 90% of its maximum

// Why an interval or a state counts as busy / throttled ("" when it does not).
std::string busy_reason(double other_share);
std::string cpu_throttle_reason(const CpuSample& s);
std::string gpu_throttle_reason(const GpuSample& g);

}  // namespace lsgd::bench
