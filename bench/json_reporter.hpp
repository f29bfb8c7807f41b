#pragma once
// The --benchmark_out file reporter: Google Benchmark's JSON, with an "lsgd" object in every entry
// (entry_fields.hpp) and a top-level "lsgd_machine" object (machine state at start and end, OpenMP
// costs, flags). Readers of the standard fields see Google Benchmark's schema unchanged.
#include <vector>

#include <benchmark/benchmark.h>

#include "bench/machine_state.hpp"
#include "lsgd/cpu_info.hpp"

namespace lsgd::bench {

class LsgdJsonReporter : public benchmark::JSONReporter {
 public:
  bool ReportContext(const Context& context) override;
  void ReportRuns(const std::vector<Run>& reports) override;
  void Finalize() override;

 private:
  CpuSample start_cpu_;
  GpuSample start_gpu_;
  OmpCosts start_omp_;
  int entries_ = 0, busy_ = 0, throttled_ = 0;
};

}  // namespace lsgd::bench
