#include "bench/case_list.hpp"

#include <dlfcn.h>

#include <filesystem>
#include <sstream>

#include "bench/algorithms.hpp"
#include "bench/context.hpp"
#include "bench/stop_rule.h"
#include "lsgd/error.hpp"
#include "lsgd/metrics.hpp"

namespace lsgd::bench {
namespace {

// The absolute path of the liblsgd_stop_rule.so this binary loaded (where lsgd_stop_code lives):
// the peers load the same file, so both sides run the rule of this build. Throws Error when the
// dynamic loader cannot say (a statically linked rule would have no file for the peers).
std::string stop_rule_library() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&lsgd_stop_code), &info) == 0 || info.dli_fname == nullptr ||
      info.dli_fname[0] == '\0') {
    throw Error("--lsgd_list_cases: cannot find the file of the repetition rule "
                "(liblsgd_stop_rule.so) that this binary loaded");
  }
  return std::filesystem::absolute(info.dli_fname).string();
}

std::string quoted_list(const std::vector<const char*>& v) {
  std::ostringstream os;
  os << '[';
  for (size_t i = 0; i < v.size(); ++i) os << (i ? ", " : "") << json_string(v[i]);
  os << ']';
  return os.str();
}

std::string opt_text(const std::string& s) { return s.empty() ? "null" : json_string(s); }

std::string case_json(const std::string& name, const EntryFields& f, const char* status,
                      const std::string& reason) {
  std::ostringstream os;
  os << "{\"name\": " << json_string(name) << ", \"status\": " << json_string(status)
     << ", \"problem\": " << opt_text(f.problem) << ", \"solver\": " << json_string(f.solver)
     << ", \"algorithm\": " << opt_text(f.algorithm) << ", \"backend\": " << json_string(f.backend)
     << ", \"device\": " << json_string(f.device) << ", \"precision\": " << json_string(f.precision)
     << ", \"mode\": " << opt_text(f.mode)
     << ", \"iterations\": " << (f.iterations > 0 ? std::to_string(f.iterations) : "null")
     << ", \"kappa\": " << (f.kappa > 0 ? json_number(f.kappa) : "null")
     << ", \"target\": " << (f.target > 0 ? json_number(f.target) : "null")
     << ", \"flop_model\": " << opt_text(f.flop_model);
  if (!reason.empty()) os << ", \"reason\": " << json_string(reason);
  os << '}';
  return os.str();
}

}  // namespace

void CaseList::add_problem(const ProblemSpec& spec, Precision p) {
  const std::string id = problem_id(spec, p);
  if (find(id) == nullptr) problems.push_back({id, spec, p});
}

const ListedProblem* CaseList::find(const std::string& id) const {
  for (const ListedProblem& p : problems) {
    if (p.id == id) return &p;
  }
  return nullptr;
}

std::string case_list_json(const std::string& family, const Config& config, const Ceilings& ce,
                           const CaseList& list) {
  const StopRule rule = stop_rule(config);
  std::ostringstream os;
  os << "{\n  \"lsgd_cases\": 1,\n  \"family\": " << json_string(family)
     << ",\n  \"preset\": " << json_string(to_string(config.preset))
     << ",\n  \"git_revision\": " << json_string(git_revision())
     << ",\n  \"filter_solver\": " << opt_text(config.filter_solver)
     << ",\n  \"stop_rule\": {\"min_reps\": " << rule.min_reps
     << ", \"min_time_s\": " << json_number(rule.min_time_s) << ", \"rse\": " << json_number(rule.rse)
     << ", \"max_time_s\": " << json_number(rule.max_time_s) << ", \"max_reps\": " << rule.max_reps
     << ", \"warmup\": 1, \"estimator\": \"median\", \"library\": "
     << json_string(stop_rule_library()) << "}"
     << ",\n  \"ceilings\": {\"cpu_copy_GBps\": " << json_number(ce.cpu_copy_GBps)
     << ", \"cpu_gemm_f32_GFLOPs\": " << json_number(ce.cpu_gemm_f32_GFLOPs)
     << ", \"cpu_gemm_f64_GFLOPs\": " << json_number(ce.cpu_gemm_f64_GFLOPs)
     << ", \"gpu_copy_GBps\": " << json_number(ce.gpu_copy_GBps)
     << ", \"gpu_gemm_f32_GFLOPs\": " << json_number(ce.gpu_gemm_f32_GFLOPs)
     << ", \"gpu_gemm_f64_GFLOPs\": " << json_number(ce.gpu_gemm_f64_GFLOPs) << "}"
     << ",\n  \"unavailable\": " << opt_text(list.unavailable) << ",\n  \"algorithms\": {";
  bool first = true;
  for (const AlgorithmInfo& a : algorithms()) {
    os << (first ? "" : ",") << "\n    " << json_string(a.id) << ": {\"label\": "
       << json_string(a.label) << ", \"flop_model\": " << json_string(a.flop_model)
       << ", \"pairs_with\": " << quoted_list(a.pairs_with) << "}";
    first = false;
  }
  os << "\n  },\n  \"problems\": [";
  first = true;
  for (const ListedProblem& p : list.problems) {
    const ProblemSpec& s = p.spec;
    const double m = static_cast<double>(s.m), n = static_cast<double>(s.n);
    const double batch = s.batch > 0 ? static_cast<double>(s.batch) : 1.0;
    const double eb = p.precision == Precision::f32 ? 4.0 : 8.0;
    // Per solve (gd_iter: per iteration), times the batch: what every rate divides by.
    os << (first ? "" : ",") << "\n    {\"id\": " << json_string(p.id)
       << ", \"precision\": " << json_string(to_string(p.precision))
       << ", \"batch\": " << (s.batch > 0 ? std::to_string(s.batch) : "null") << ", \"m\": " << s.m
       << ", \"n\": " << s.n << ", \"gen\": " << json_string(to_string(s.gen))
       << ", \"seed\": " << kProblemSeed << ", \"kappa_A\": " << json_number(s.kappa_A)
       << ", \"noise\": " << json_number(s.noise)
       << ",\n     \"flops\": {\"qr\": " << json_number(batch * flops_qr_ls(m, n))
       << ", \"cholesky\": " << json_number(batch * flops_cholesky_ls(m, n))
       << ", \"svd\": " << json_number(batch * flops_svd_ls(m, n))
       << ", \"gd_iter\": " << json_number(batch * flops_gd_iter(m, n)) << "}"
       << ", \"bytes\": {\"solve\": " << json_number(batch * bytes_ls(m, n, eb))
       << ", \"gd_iter\": " << json_number(batch * m * n * eb) << "}}";
    first = false;
  }
  os << "\n  ],\n  \"cases\": [";
  first = true;
  for (const ListedCase& c : list.registered) {
    os << (first ? "" : ",") << "\n    " << case_json(c.name, c.fields, "registered", "");
    first = false;
  }
  for (const SkipRecord& r : skipped_cases()) {
    os << (first ? "" : ",") << "\n    " << case_json(r.name, r.fields, "skipped", r.reason);
    first = false;
  }
  os << "\n  ]\n}\n";
  return os.str();
}

}  // namespace lsgd::bench
