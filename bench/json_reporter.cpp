#include "bench/json_reporter.hpp"

#include <algorithm>
#include <chrono>
#include <sstream>
#include <string>
#include <thread>

#include "bench/entry_fields.hpp"

namespace lsgd::bench {
namespace {

std::string omp_json(const OmpCosts& c) {
  return "{\"threads\": " + std::to_string(c.threads) +
         ", \"region_us\": " + json_number(c.region_us) +
         ", \"barrier_us\": " + json_number(c.barrier_us) + "}";
}

// OpenBLAS's threads spin for a while after a BLAS call before they sleep; measured right after the
// ceilings (start) or the last benchmark (end), the OpenMP costs would count that spin as load.
OmpCosts omp_costs_after_quiet() {
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  return measure_omp_costs();
}

bool flagged(const EntryResult& r, const char* prefix) {
  for (const auto& f : r.machine.flags) {
    if (f.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

}  // namespace

bool LsgdJsonReporter::ReportContext(const Context& context) {
  start_cpu_ = sample_cpu();
  start_gpu_ = sample_gpu();
  start_omp_ = omp_costs_after_quiet();
  return JSONReporter::ReportContext(context);
}

void LsgdJsonReporter::ReportRuns(const std::vector<Run>& reports) {
  std::ostream& out = GetOutputStream();
  // Results of the iteration runs, in order; aggregates carry the fields without statistics.
  for (size_t i = 0; i < reports.size(); ++i) {
    const Run& run = reports[i];
    const std::string name = run.run_name.function_name;
    const std::vector<EntryResult>& results = results_of(name);
    std::ostringstream text;
    SetOutputStream(&text);
    JSONReporter::ReportRuns({run});
    SetOutputStream(&out);
    std::string entry = text.str();
    const EntryFields* f = registered_fields(name);
    const auto close = entry.rfind("\n    }");
    if (f != nullptr && close != std::string::npos) {
      const EntryResult* r = nullptr;
      if (run.run_type == Run::RT_Iteration && run.repetition_index >= 0 &&
          static_cast<size_t>(run.repetition_index) < results.size()) {
        r = &results[static_cast<size_t>(run.repetition_index)];
      }
      EntryFields fields = r ? r->fields : *f;
      entry.insert(close, ",\n      \"lsgd\": " + fields_json(fields, r, "      "));
      if (r) {
        ++entries_;
        if (flagged(*r, "busy")) ++busy_;
        if (flagged(*r, "throttled")) ++throttled_;
      }
    }
    out << entry;
  }
}

void LsgdJsonReporter::Finalize() {
  const CpuSample end_cpu = sample_cpu();
  const GpuSample end_gpu = sample_gpu();
  const OmpCosts end_omp = omp_costs_after_quiet();
  const double other = other_cpu_share(start_cpu_, end_cpu);
  std::ostringstream flags;
  int nflags = 0;
  const auto flag = [&](const std::string& f) {
    if (f.empty()) return;
    flags << (nflags++ ? ", " : "") << json_string(f);
  };
  if (!busy_reason(other).empty()) flag("busy: " + busy_reason(other) + " over the whole run");
  for (const OmpCosts* c : {static_cast<const OmpCosts*>(&start_omp_), &end_omp}) {
    const double worst = std::max(c->barrier_us, c->region_us);
    if (worst > kSlowOmpBarrierUs) {
      flag(std::string("busy: OpenMP ") + (c->region_us >= c->barrier_us ? "region " : "barrier ") +
           std::to_string(static_cast<long long>(worst)) + " us at the " +
           (c == &start_omp_ ? "start" : "end") + " (threads descheduled)");
    }
  }
  if (!cpu_throttle_reason(end_cpu).empty()) flag("throttled: " + cpu_throttle_reason(end_cpu));
  if (!gpu_throttle_reason(end_gpu).empty()) flag("throttled: " + gpu_throttle_reason(end_gpu));
  std::ostream& out = GetOutputStream();
  out << "\n  ],\n  \"lsgd_machine\": {\n"
      << "    \"schema\": " << kFieldsSchema << ",\n"
      << "    \"thresholds\": {\"busy_other_cpu\": " << json_number(kBusyOtherCpuShare)
      << ", \"slow_omp_barrier_us\": " << json_number(kSlowOmpBarrierUs)
      << ", \"cpu_throttle_ratio\": " << json_number(kCpuThrottleRatio) << "},\n"
      << "    \"start\": {\"cpu\": " << cpu_sample_json(start_cpu_)
      << ",\n              \"omp\": " << omp_json(start_omp_)
      << ",\n              \"gpu\": " << gpu_sample_json(start_gpu_) << "},\n"
      << "    \"end\": {\"cpu\": " << cpu_sample_json(end_cpu)
      << ",\n            \"omp\": " << omp_json(end_omp)
      << ",\n            \"gpu\": " << gpu_sample_json(end_gpu) << "},\n"
      << "    \"other_cpu\": " << (other >= 0 ? json_number(other) : "null") << ",\n"
      << "    \"entries\": " << entries_ << ", \"busy_entries\": " << busy_
      << ", \"throttled_entries\": " << throttled_ << ",\n"
      << "    \"flags\": [" << flags.str() << "]\n  },\n"
      << "  \"lsgd_skipped\": " << skips_json("  ") << "\n}\n";
}

}  // namespace lsgd::bench
