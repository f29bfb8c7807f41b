// The benchmarks' machine-state flags and repetition statistics (bench/machine_state.hpp,
// bench/entry_fields.hpp) on fixed samples: a quiet interval is not flagged, a busy one is, and the
// GPU and CPU throttle readings name their reasons.
#include <cmath>
#include <string>

#include <gtest/gtest.h>

#include "bench/entry_fields.hpp"
#include "bench/machine_state.hpp"

namespace lsgd::bench {
namespace {

CpuSample at(unsigned long long busy, unsigned long long total, unsigned long long own) {
  CpuSample s;
  s.busy = busy;
  s.total = total;
  s.own = own;
  return s;
}

TEST(BenchMachine, QuietIntervalIsNotBusy) {
  // Two CPUs, 200 jiffies of machine time; this process used 100 (one core), nobody else 4.
  const double share = other_cpu_share(at(1000, 5000, 300), at(1104, 5200, 400));
  EXPECT_NEAR(share, 0.02, 1e-12);
  EXPECT_EQ(busy_reason(share), "");
}

TEST(BenchMachine, BusyLoopOnOneOfTwoCoresIsBusy) {
  // The same interval with another process spinning on the second core: 100 more busy jiffies.
  const double share = other_cpu_share(at(1000, 5000, 300), at(1200, 5200, 400));
  EXPECT_NEAR(share, 0.5, 1e-12);
  EXPECT_EQ(busy_reason(share), "other processes used 50% of the CPUs");
}

TEST(BenchMachine, UnreadableOrBackwardsSamplesAreUnknownNotBusy) {
  EXPECT_LT(other_cpu_share(at(0, 0, 0), at(0, 0, 0)), 0.0);
  EXPECT_LT(other_cpu_share(at(10, 100, 0), at(5, 200, 0)), 0.0);
  EXPECT_EQ(busy_reason(-1.0), "");
  // Own time above the machine's busy time (counter granularity) clamps at 0.
  EXPECT_EQ(other_cpu_share(at(0, 0, 0), at(10, 100, 20)), 0.0);
}

TEST(BenchMachine, IntervalTooShortToTellIsUnknownNotBusy) {
  // 4 jiffies of machine time (a 2000-repetition run of a 2 us solve): one jiffy of someone else
  // would read 25% and two 50%. Below kMinShareJiffies the share is unknown, and not flagged.
  EXPECT_LT(other_cpu_share(at(1000, 5000, 300), at(1004, 5004, 300)), 0.0);
  EXPECT_EQ(busy_reason(other_cpu_share(at(1000, 5000, 300), at(1004, 5004, 300))), "");
  // At the threshold the share is measured again.
  EXPECT_NEAR(other_cpu_share(at(1000, 5000, 300), at(1025, 5000 + kMinShareJiffies, 300)), 0.5,
              1e-12);
}

TEST(BenchMachine, CpuThrottleOnlyWhereCpufreqIsReadable) {
  CpuSample s;
  EXPECT_EQ(cpu_throttle_reason(s), "");  // no cpufreq (this VM): never flagged
  s.cpu_max_mhz = 3000;
  s.cpu_cur_mhz = 2950;
  EXPECT_EQ(cpu_throttle_reason(s), "");
  s.cpu_cur_mhz = 1500;
  EXPECT_NE(cpu_throttle_reason(s).find("1500 MHz"), std::string::npos);
}

TEST(BenchMachine, GpuThrottleNamesItsReasons) {
  GpuSample g;
  EXPECT_EQ(gpu_throttle_reason(g), "");  // absent GPU: not flagged
  g.present = true;
  EXPECT_EQ(gpu_throttle_reason(g), "");
  g.throttle_names = {"sw_power_cap", "hw_thermal"};
  EXPECT_EQ(gpu_throttle_reason(g), "GPU clocks held back: sw_power_cap hw_thermal");
}

TEST(BenchMachine, RepetitionStatistics) {
  RepStats s;
  EXPECT_TRUE(std::isnan(s.rse()));
  s.samples = {1.0, 1.01, 0.99, 1.02, 0.98};
  EXPECT_DOUBLE_EQ(s.mean(), 1.0);
  EXPECT_DOUBLE_EQ(s.median(), 1.0);
  EXPECT_DOUBLE_EQ(s.min(), 0.98);
  EXPECT_NEAR(s.stddev(), std::sqrt(2.5e-4), 1e-12);
  EXPECT_NEAR(s.rse(), std::sqrt(2.5e-4) / std::sqrt(5.0), 1e-12);
}

TEST(BenchMachine, FieldsJsonEscapesAndNullsWhatDoesNotApply) {
  EntryFields f;
  f.family = "ls";
  f.solver = "cpu.\"q\"";
  f.m = 4;
  f.n = 2;
  const std::string j = fields_json(f, nullptr, "");
  EXPECT_NE(j.find("\"solver\": \"cpu.\\\"q\\\"\""), std::string::npos) << j;
  EXPECT_NE(j.find("\"batch\": null"), std::string::npos) << j;
  EXPECT_NE(j.find("\"kappa\": null"), std::string::npos) << j;
  EXPECT_EQ(j.find("\"stats\""), std::string::npos) << j;
  EXPECT_EQ(json_number(NAN), "null");
}

}  // namespace
}  // namespace lsgd::bench
