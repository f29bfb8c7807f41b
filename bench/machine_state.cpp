#include "bench/machine_state.hpp"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

namespace lsgd::bench {
namespace {

double read_number(const std::string& path) {
  std::ifstream in(path);
  double v = -1.0;
  if (!(in >> v)) return -1.0;
  return v;
}

std::string read_word(const std::string& path) {
  std::ifstream in(path);
  std::string w;
  in >> w;
  return w;
}

std::string percent(double share) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f%%", 100.0 * share);
  return buf;
}

}  // namespace

CpuSample sample_cpu() {
  CpuSample s;
  s.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
                 .count();
  {
    std::ifstream in("/proc/stat");
    std::string label;
    unsigned long long v[8] = {};
    if (in >> label && label == "cpu") {
      for (auto& x : v) in >> x;
      if (in) {
        // user nice system idle iowait irq softirq steal
        s.busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
        s.total = s.busy + v[3] + v[4];
      }
    }
  }
  {
    // /proc/self/stat: "pid (comm) state ..." with utime, stime the 14th and 15th fields; comm may
    // hold spaces, so count from the closing parenthesis.
    std::ifstream in("/proc/self/stat");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto close = text.rfind(')');
    if (close != std::string::npos) {
      std::istringstream rest(text.substr(close + 2));
      std::string field;
      unsigned long long utime = 0, stime = 0;
      for (int i = 3; i <= 15 && rest >> field; ++i) {
        if (i == 14) utime = std::stoull(field);
        if (i == 15) stime = std::stoull(field);
      }
      s.own = utime + stime;
    }
  }
  s.loadavg1 = read_number("/proc/loadavg");
  {
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    double sum = 0.0;
    int count = 0;
    while (std::getline(in, line)) {
      if (line.rfind("cpu MHz", 0) == 0) {
        const auto colon = line.find(':');
        if (colon != std::string::npos) {
          sum += std::strtod(line.c_str() + colon + 1, nullptr);
          ++count;
        }
      }
    }
    if (count > 0) s.cpu_mhz = sum / count;
  }
  const std::string cf = "/sys/devices/system/cpu/cpu0/cpufreq/";
  const double max_khz = read_number(cf + "cpuinfo_max_freq");
  const double cur_khz = read_number(cf + "scaling_cur_freq");
  if (max_khz > 0) s.cpu_max_mhz = max_khz / 1000.0;
  if (cur_khz > 0) s.cpu_cur_mhz = cur_khz / 1000.0;
  s.governor = read_word(cf + "scaling_governor");
  return s;
}

double other_cpu_share(const CpuSample& a, const CpuSample& b) {
  if (b.total <= a.total || b.busy < a.busy) return -1.0;
  if (b.total - a.total < kMinShareJiffies) return -1.0;  // too short to tell
  const double busy = static_cast<double>(b.busy - a.busy);
  const double own = b.own >= a.own ? static_cast<double>(b.own - a.own) : 0.0;
  const double share = (busy - own) / static_cast<double>(b.total - a.total);
  return share < 0.0 ? 0.0 : share;
}

std::string busy_reason(double other_share) {
  if (other_share <= kBusyOtherCpuShare) return "";
  return "other processes used " + percent(other_share) + " of the CPUs";
}

std::string cpu_throttle_reason(const CpuSample& s) {
  if (s.cpu_max_mhz <= 0 || s.cpu_cur_mhz <= 0) return "";
  if (s.cpu_cur_mhz >= kCpuThrottleRatio * s.cpu_max_mhz) return "";
  char buf[96];
  std::snprintf(buf, sizeof buf, "CPU clock %.0f MHz below 90%% of its %.0f MHz maximum",
                s.cpu_cur_mhz, s.cpu_max_mhz);
  return buf;
}

std::string gpu_throttle_reason(const GpuSample& g) {
  if (!g.present || g.throttle_names.empty()) return "";
  std::string out = "GPU clocks held back:";
  for (const auto& n : g.throttle_names) out += " " + n;
  return out;
}

}  // namespace lsgd::bench
