// The benchmarks' machine-state flags and repetition statistics (bench/machine_state.hpp,
// bench/entry_fields.hpp) on fixed samples: a quiet interval is not flagged, a busy one is, and the
// GPU and CPU throttle readings name their reasons.
#include <cmath>
#include <string>

#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "bench/algorithms.hpp"
#include "bench/bench_config.hpp"
#include "bench/entry_fields.hpp"
#include "bench/machine_state.hpp"
#include "lsgd/error.hpp"
#include "lsgd/registry.hpp"

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

// The rule (bench/stop_rule.cpp, the one implementation), on the cases of
// tests/data/bench/stop_rule.json, through the binaries' stop_reason (the Python peers call the
// same library on the same file in test_case_list).
TEST(BenchStopRule, CasesSharedWithThePeers) {
  std::ifstream f(std::string(LSGD_SOURCE_DIR) + "/tests/data/bench/stop_rule.json");
  ASSERT_TRUE(f.good());
  std::stringstream text;
  text << f.rdbuf();
  const std::string doc = text.str();
  lsgd::bench::StopRule rule;
  rule.min_reps = 5;
  rule.min_time_s = 0.2;
  rule.rse = 0.01;
  rule.max_time_s = 2.0;
  rule.max_reps = 2000;
  ASSERT_NE(doc.find("\"rule\": {\"min_reps\": 5, \"min_time_s\": 0.2, \"rse\": 0.01, "
                     "\"max_time_s\": 2.0, \"max_reps\": 2000}"),
            std::string::npos);
  const std::regex row(R"re(\{"reps": (\d+), "wall_s": ([0-9.]+), "rse": (null|[0-9.]+), "stop": "(\w*)")re");
  int n = 0;
  for (auto it = std::sregex_iterator(doc.begin(), doc.end(), row); it != std::sregex_iterator();
       ++it, ++n) {
    const std::smatch& m = *it;
    const double rse = m[3] == "null" ? NAN : std::stod(m[3]);
    EXPECT_EQ(lsgd::bench::stop_reason(rule, std::stoi(m[1]), std::stod(m[2]), rse), m[4].str())
        << m[0];
  }
  EXPECT_EQ(n, 8);
}

// Every registered solver has an algorithm family the pairing knows, with a flop model.
TEST(BenchAlgorithms, EveryRegistryEntryHasAFamily) {
  for (const lsgd::SolverEntry& e : lsgd::default_registry().entries()) {
    const std::string algo = lsgd::bench::algorithm_of(e);
    const lsgd::bench::AlgorithmInfo& info = lsgd::bench::algorithm_info(algo);
    EXPECT_STREQ(info.pairs_with.front(), info.id) << e.name;
    if (e.is_iterative()) {
      EXPECT_STREQ(info.flop_model, "gd_iter") << e.name;
    }
  }
  const lsgd::Registry& r = lsgd::default_registry();
  EXPECT_STREQ(lsgd::bench::algorithm_of(r.get("cpu.cholesky")), "normal_eq");
  EXPECT_STREQ(lsgd::bench::algorithm_of(r.get("cpu.qr")), "qr");
  EXPECT_STREQ(lsgd::bench::algorithm_of(r.get("cpu.tsqr")), "tsqr");
  EXPECT_STREQ(lsgd::bench::algorithm_of(r.get("cpu.colpiv_qr")), "rrqr");
  EXPECT_STREQ(lsgd::bench::algorithm_of(r.get("cpu.cod")), "rrqr");
  EXPECT_STREQ(lsgd::bench::algorithm_of(r.get("cpu.svd")), "svd");
  EXPECT_STREQ(lsgd::bench::algorithm_of(r.get("cpu.qr.refined")), "qr_refined");
  EXPECT_STREQ(lsgd::bench::algorithm_of(r.get("cpu.gd.momentum")), "momentum");
  EXPECT_STREQ(lsgd::bench::algorithm_of(r.get("cpu.gd.nesterov")), "nesterov");
  EXPECT_STREQ(lsgd::bench::algorithm_of(r.get("cpu.sgd")), "sgd");
  EXPECT_STREQ(lsgd::bench::algorithm_of(r.get("cpu.bgd")), "gd");
  EXPECT_STREQ(lsgd::bench::algorithm_of(r.get("cpu.batched.cholesky")), "normal_eq");
  EXPECT_STREQ(lsgd::bench::algorithm_of(r.get("cpu.batched.qr")), "qr");
  EXPECT_STREQ(lsgd::bench::algorithm_of(r.get("cuda.gels_irs")), "qr_mixed");
  EXPECT_STREQ(lsgd::bench::algorithm_of(r.get("cuda.tsqr")), "tsqr");
  EXPECT_STREQ(lsgd::bench::algorithm_of(r.get("cuda.bgd.gram")), "gd");
}

// The benchmarks' table describes exactly the families the registry accepts.
TEST(BenchAlgorithms, TableMatchesTheRegistrysFamilies) {
  std::vector<std::string> table;
  for (const lsgd::bench::AlgorithmInfo& a : lsgd::bench::algorithms()) table.emplace_back(a.id);
  EXPECT_EQ(table, lsgd::algorithm_families());
}

// The C interface the peers load: the relative standard error the rule uses is RepStats::rse, a
// refused rule is an error and not a decision, and the decision from samples is the decision from
// their rse.
TEST(BenchStopRule, CInterface) {
  const double samples[] = {1.0, 3.0, 1.0, 3.0};
  // mean 2, sample sd sqrt(4/3): rse = sqrt(4/3) / 2 / 2.
  EXPECT_NEAR(lsgd_relative_stderr(samples, 4), std::sqrt(4.0 / 3.0) / 4.0, 1e-15);
  EXPECT_TRUE(std::isnan(lsgd_relative_stderr(samples, 1)));
  lsgd::bench::RepStats st;
  st.samples.assign(samples, samples + 4);
  EXPECT_EQ(st.rse(), lsgd_relative_stderr(samples, 4));

  lsgd_stop_rule r{2, 0.0, 0.5, 10.0, 100};
  EXPECT_EQ(lsgd_stop_after(&r, samples, 4, 1.0), LSGD_STOP_RSE);  // rse 0.29 < 0.5
  r.rse = 0.1;
  EXPECT_EQ(lsgd_stop_after(&r, samples, 4, 1.0), LSGD_GO_ON);
  EXPECT_EQ(lsgd_stop_after(&r, samples, 4, 10.0), LSGD_STOP_TIME_CAP);
  EXPECT_STREQ(lsgd_stop_name(LSGD_STOP_TIME_CAP), "time_cap");

  for (lsgd_stop_rule bad : {lsgd_stop_rule{0, 0.0, 0.1, 1.0, 10}, lsgd_stop_rule{5, 0.0, 0.1, 1.0, 4},
                             lsgd_stop_rule{5, NAN, 0.1, 1.0, 10}, lsgd_stop_rule{5, 0.0, -1.0, 1.0, 10}}) {
    EXPECT_EQ(lsgd_stop_code(&bad, 5, 1.0, 0.0), LSGD_STOP_BAD_RULE);
  }
  EXPECT_EQ(lsgd_stop_code(nullptr, 5, 1.0, 0.0), LSGD_STOP_BAD_RULE);
  lsgd::bench::StopRule cpp;
  cpp.min_reps = 0;
  EXPECT_THROW(lsgd::bench::stop_reason(cpp, 5, 1.0, 0.0), lsgd::InvalidInput);
}
