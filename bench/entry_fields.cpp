#include "bench/entry_fields.hpp"

#include "bench/stop_rule.h"
#include "common/text_format.hpp"  // the project's JSON string and number formatting

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <numeric>
#include <sstream>

namespace lsgd::bench {
namespace {

std::map<std::string, EntryFields>& fields_map() {
  static std::map<std::string, EntryFields> m;
  return m;
}
std::map<std::string, std::vector<EntryResult>>& results_map() {
  static std::map<std::string, std::vector<EntryResult>> m;
  return m;
}

// Optional numbers and strings: null when not applicable.
std::string opt_number(double v, bool present) { return present ? json_number(v) : "null"; }
std::string opt_string(const std::string& s) { return s.empty() ? "null" : json_string(s); }

}  // namespace

double RepStats::mean() const {
  if (samples.empty()) return NAN;
  return std::accumulate(samples.begin(), samples.end(), 0.0) / static_cast<double>(samples.size());
}

double RepStats::median() const {
  if (samples.empty()) return NAN;
  std::vector<double> s = samples;
  std::sort(s.begin(), s.end());
  const size_t k = s.size() / 2;
  return s.size() % 2 ? s[k] : 0.5 * (s[k - 1] + s[k]);
}

double RepStats::min() const {
  return samples.empty() ? NAN : *std::min_element(samples.begin(), samples.end());
}

double RepStats::stddev() const {
  if (samples.size() < 2) return 0.0;
  const double mu = mean();
  double ss = 0.0;
  for (double x : samples) ss += (x - mu) * (x - mu);
  return std::sqrt(ss / static_cast<double>(samples.size() - 1));
}

double RepStats::rse() const { return lsgd_relative_stderr(samples.data(), samples.size()); }

void register_fields(const std::string& name, const EntryFields& f) { fields_map()[name] = f; }

const EntryFields* registered_fields(const std::string& name) {
  const auto it = fields_map().find(name);
  return it == fields_map().end() ? nullptr : &it->second;
}

static std::vector<SkipRecord>& skips() {
  static std::vector<SkipRecord> v;
  return v;
}

void register_skip(const std::string& name, const EntryFields& f, const std::string& reason) {
  skips().push_back({name, f, reason});
}

const std::vector<SkipRecord>& skipped_cases() { return skips(); }

std::string skips_json(const std::string& ind) {
  std::ostringstream os;
  os << "[";
  for (size_t i = 0; i < skips().size(); ++i) {
    const SkipRecord& r = skips()[i];
    os << (i ? "," : "") << "\n" << ind << "  {\"name\": " << json_string(r.name)
       << ", \"solver\": " << json_string(r.fields.solver)
       << ", \"algorithm\": " << opt_string(r.fields.algorithm)
       << ", \"precision\": " << json_string(r.fields.precision)
       << ", \"problem\": " << opt_string(r.fields.problem)
       << ", \"mode\": " << opt_string(r.fields.mode)
       << ", \"reason\": " << json_string(r.reason) << "}";
  }
  os << (skips().empty() ? "]" : "\n" + ind + "]");
  return os.str();
}

void push_result(const std::string& name, EntryResult r) {
  results_map()[name].push_back(std::move(r));
}

const std::vector<EntryResult>& results_of(const std::string& name) {
  return results_map()[name];
}

std::string json_string(const std::string& s) { return cli::json_string(s); }

std::string json_number(double v) { return cli::json_number(v, "%.9g"); }

std::string cpu_sample_json(const CpuSample& s) {
  std::ostringstream os;
  os << "{\"loadavg1\": " << opt_number(s.loadavg1, s.loadavg1 >= 0)
     << ", \"cpu_mhz\": " << opt_number(s.cpu_mhz, s.cpu_mhz > 0)
     << ", \"cpufreq_cur_mhz\": " << opt_number(s.cpu_cur_mhz, s.cpu_cur_mhz > 0)
     << ", \"cpufreq_max_mhz\": " << opt_number(s.cpu_max_mhz, s.cpu_max_mhz > 0)
     << ", \"governor\": " << opt_string(s.governor) << "}";
  return os.str();
}

std::string gpu_sample_json(const GpuSample& g) {
  std::ostringstream os;
  if (!g.present) {
    os << "{\"present\": false, \"why\": " << json_string(g.error) << "}";
    return os.str();
  }
  os << "{\"present\": true, \"sm_mhz\": " << opt_number(g.sm_mhz, g.sm_mhz >= 0)
     << ", \"sm_max_mhz\": " << opt_number(g.sm_max_mhz, g.sm_max_mhz >= 0)
     << ", \"mem_mhz\": " << opt_number(g.mem_mhz, g.mem_mhz >= 0)
     << ", \"throttle_reasons\": " << g.throttle_reasons << ", \"throttled_by\": [";
  for (size_t i = 0; i < g.throttle_names.size(); ++i) {
    os << (i ? ", " : "") << json_string(g.throttle_names[i]);
  }
  os << "]}";
  return os.str();
}

std::string fields_json(const EntryFields& f, const EntryResult* r, const std::string& ind) {
  std::ostringstream os;
  const std::string in = ind + "  ";
  os << "{\n"
     << in << "\"schema\": " << kFieldsSchema << ",\n"
     << in << "\"family\": " << json_string(f.family) << ",\n"
     << in << "\"solver\": " << json_string(f.solver) << ",\n"
     << in << "\"backend\": " << json_string(f.backend) << ",\n"
     << in << "\"device\": " << json_string(f.device) << ",\n"
     << in << "\"precision\": " << json_string(f.precision) << ",\n"
     << in << "\"m\": " << f.m << ", \"n\": " << f.n << ", \"batch\": "
     << opt_number(static_cast<double>(f.batch), f.batch > 0) << ",\n"
     << in << "\"iterations\": " << opt_number(f.iterations, f.iterations > 0) << ",\n"
     << in << "\"mode\": " << opt_string(f.mode) << ",\n"
     << in << "\"kappa\": " << opt_number(f.kappa, f.kappa > 0) << ", \"target\": "
     << opt_number(f.target, f.target > 0) << ", \"noise\": " << opt_number(f.noise, f.noise > 0)
     << ",\n"
     << in << "\"ranks\": " << opt_number(f.ranks, f.ranks > 0) << ", \"scaling\": "
     << opt_string(f.scaling) << ",\n"
     << in << "\"gen\": " << opt_string(f.gen) << ", \"seed\": "
     << opt_number(static_cast<double>(f.seed), f.seed >= 0) << ",\n"
     << in << "\"algorithm\": " << opt_string(f.algorithm) << ", \"pairs_with\": [";
  for (size_t i = 0; i < f.pairs_with.size(); ++i) {
    os << (i ? ", " : "") << json_string(f.pairs_with[i]);
  }
  os << "], \"problem\": " << opt_string(f.problem) << ",\n"
     << in << "\"flop_model\": " << opt_string(f.flop_model) << ", \"flops\": "
     << opt_number(f.flops, f.flops > 0) << ", \"bytes\": " << opt_number(f.bytes, f.bytes > 0)
     << ",\n"
     << in << "\"peak_kind\": " << opt_string(f.peak_kind);
  if (f.roofline.gflops > 0.0) {
    const Roofline& rl = f.roofline;
    const auto pct = [](double v, double ceiling) { return ceiling > 0.0 ? 100.0 * v / ceiling : NAN; };
    os << ",\n"
       << in << "\"roofline\": {\"gflops\": " << json_number(rl.gflops)
       << ", \"gbps\": " << json_number(rl.gbps)
       << ", \"compute_kind\": " << opt_string(rl.compute_kind)
       << ", \"compute_GFLOPs\": " << opt_number(rl.compute_GFLOPs, rl.compute_GFLOPs > 0)
       << ", \"pct_compute\": " << json_number(pct(rl.gflops, rl.compute_GFLOPs)) << ",\n"
       << in << "  \"copy_GBps\": " << opt_number(rl.copy_GBps, rl.copy_GBps > 0)
       << ", \"pct_copy\": " << json_number(pct(rl.gbps, rl.copy_GBps))
       << ", \"read_GBps\": " << opt_number(rl.read_GBps, rl.read_GBps > 0)
       << ", \"pct_read\": " << json_number(pct(rl.gbps, rl.read_GBps)) << ",\n"
       << in << "  \"memory_bytes\": " << json_number(rl.memory_bytes)
       << ", \"roof_GFLOPs\": " << opt_number(rl.roof_GFLOPs, rl.roof_GFLOPs > 0)
       << ", \"pct_roof\": " << json_number(pct(rl.gflops, rl.roof_GFLOPs))
       << ", \"bound\": " << opt_string(rl.bound) << "}";
  }
  if (f.nb > 0) os << ",\n" << in << "\"nb\": " << f.nb << ", \"grid\": " << opt_string(f.grid);
  if (r && r->has_stats) {
    const RepStats& s = r->stats;
    os << ",\n"
       << in << "\"stats\": {\"reps\": " << s.samples.size() << ", \"mean_s\": "
       << json_number(s.mean()) << ", \"median_s\": " << json_number(s.median())
       << ", \"min_s\": " << json_number(s.min()) << ", \"stddev_s\": " << json_number(s.stddev())
       << ", \"rse\": " << json_number(s.rse()) << ", \"stop\": " << json_string(s.stop)
       << ",\n"
       << in << "  \"samples_s\": [";
    for (size_t i = 0; i < s.samples.size(); ++i) {
      os << (i ? ", " : "") << json_number(s.samples[i]);
    }
    os << "]}";
  }
  if (r) {
    const EntryMachine& mc = r->machine;
    os << ",\n"
       << in << "\"machine\": {\"other_cpu\": " << opt_number(mc.other_cpu, mc.other_cpu >= 0)
       << ", \"busy\": "
       << (std::any_of(mc.flags.begin(), mc.flags.end(),
                       [](const std::string& x) { return x.rfind("busy", 0) == 0; })
               ? "true"
               : "false")
       << ", \"throttled\": "
       << (std::any_of(mc.flags.begin(), mc.flags.end(),
                       [](const std::string& x) { return x.rfind("throttled", 0) == 0; })
               ? "true"
               : "false")
       << ",\n"
       << in << "  \"flags\": [";
    for (size_t i = 0; i < mc.flags.size(); ++i) os << (i ? ", " : "") << json_string(mc.flags[i]);
    os << "],\n"
       << in << "  \"cpu_end\": " << cpu_sample_json(mc.after) << ",\n"
       << in << "  \"gpu_end\": " << gpu_sample_json(mc.gpu) << "}";
  }
  os << "\n" << ind << "}";
  return os.str();
}

}  // namespace lsgd::bench
