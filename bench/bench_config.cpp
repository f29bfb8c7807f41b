#include "bench/bench_config.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <regex>
#include <sstream>
#include <vector>

#include "lsgd/error.hpp"

namespace lsgd::bench {

const char* to_string(Preset p) { return p == Preset::quick ? "quick" : "full"; }

double Config::cap_seconds(bool gpu) const {
  if (max_seconds >= 0.0) return max_seconds;
  // quick: CI-sized on 2 CPU cores; full: the reference sweep (CPU minutes, GPU up to 8192^2 and
  // the largest streaming shapes).
  if (preset == Preset::quick) return 0.05;
  return gpu ? 10.0 : 1.0;
}

std::string flags_help() {
  return
      "lsgd flags (removed before Google Benchmark parses the rest):\n"
      "  --lsgd_preset=quick|full        size sweep (default quick)\n"
      "  --lsgd_cold                     flush GPU L2 / CPU caches between iterations (untimed)\n"
      "  --lsgd_filter_solver=REGEX      only solvers whose registry name matches (regex search)\n"
      "  --lsgd_max_seconds=S            skip shapes whose estimated solve time exceeds S seconds\n"
      "                                  (default: quick 0.05; full 1 on CPU, 10 on GPU)\n"
      "  --lsgd_rse=R                    repeat each benchmark until the relative standard error of\n"
      "                                  its mean is below R (default 0.01), or --lsgd_max_time\n"
      "  --lsgd_max_time=S               wall-time cap of one benchmark's repetitions (default:\n"
      "                                  quick 0.25, full 2); --benchmark_min_time is the minimum\n"
      "  --lsgd_ceilings=K=V[,K=V...]    give ceilings instead of measuring them; keys cpu_copy,\n"
      "                                  cpu_read, gpu_copy (GB/s), cpu_gemm_f32, cpu_gemm_f64,\n"
      "                                  cpu_fma_f32, cpu_fma_f64, gpu_gemm_f32, gpu_gemm_f64\n"
      "                                  (GFLOP/s)\n"
      "  --lsgd_list_cases[=FILE]        write the case list (JSON: problems, solvers, algorithm\n"
      "                                  families, flop models, stop rule, skips with reasons) to\n"
      "                                  FILE or stdout, and exit without running\n"
      "  --lsgd_problem=ID               only the cases of this problem (an id of the case list)\n"
      "  --lsgd_write_problem=DIR        with --lsgd_problem: write the problem as DIR/A.npy, b.npy,\n"
      "                                  x_true.npy (what the peers solve) and exit\n";
}

StopRule stop_rule(const Config& c) {
  StopRule r;
  r.min_time_s = c.min_time();
  r.rse = c.rse_target;
  r.max_time_s = c.max_time_s();
  return r;
}

lsgd_stop_rule c_rule(const StopRule& rule) {
  return lsgd_stop_rule{rule.min_reps, rule.min_time_s, rule.rse, rule.max_time_s, rule.max_reps};
}

const char* stop_reason(const StopRule& rule, int reps, double wall_s, double rse) {
  const lsgd_stop_rule c = c_rule(rule);
  const int code = lsgd_stop_code(&c, reps, wall_s, rse);
  if (code == LSGD_STOP_BAD_RULE) {
    throw InvalidInput("benchmark repetition rule: min_reps >= 1, max_reps >= min_reps and "
                       "non-negative times and rse are required");
  }
  return lsgd_stop_name(code);
}

namespace {

double parse_number(const std::string& flag, const std::string& text) {
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || end == nullptr || *end != '\0' || !std::isfinite(v) || v < 0.0) {
    throw InvalidInput(flag + ": expected a non-negative number, got '" + text + "'");
  }
  return v;
}

void parse_ceilings(const std::string& text, CeilingOverrides& c) {
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (item.empty()) continue;
    const auto eq = item.find('=');
    if (eq == std::string::npos) {
      throw InvalidInput("--lsgd_ceilings: expected key=value, got '" + item + "'");
    }
    const std::string key = item.substr(0, eq);
    const double v = parse_number("--lsgd_ceilings " + key, item.substr(eq + 1));
    if (key == "cpu_copy") c.cpu_copy = v;
    else if (key == "cpu_gemm_f32") c.cpu_gemm_f32 = v;
    else if (key == "cpu_gemm_f64") c.cpu_gemm_f64 = v;
    else if (key == "cpu_read") c.cpu_read = v;
    else if (key == "cpu_fma_f32") c.cpu_fma_f32 = v;
    else if (key == "cpu_fma_f64") c.cpu_fma_f64 = v;
    else if (key == "gpu_copy") c.gpu_copy = v;
    else if (key == "gpu_gemm_f32") c.gpu_gemm_f32 = v;
    else if (key == "gpu_gemm_f64") c.gpu_gemm_f64 = v;
    else {
      throw InvalidInput("--lsgd_ceilings: unknown key '" + key +
                         "' (cpu_copy, cpu_read, cpu_gemm_f32, cpu_gemm_f64, cpu_fma_f32, "
                         "cpu_fma_f64, gpu_copy, gpu_gemm_f32, gpu_gemm_f64)");
    }
  }
}

// The value of "--name=value" or "--name value" (consuming the next argument), if arg is --name.
bool match(const std::string& arg, const char* name, int& i, int argc, char** argv,
           std::string& value) {
  const std::string n(name);
  if (arg.rfind(n + "=", 0) == 0) {
    value = arg.substr(n.size() + 1);
    return true;
  }
  if (arg == n) {
    if (i + 1 >= argc) throw InvalidInput(n + " needs a value");
    value = argv[++i];
    return true;
  }
  return false;
}

}  // namespace

Config parse_flags(int& argc, char** argv) {
  Config c;
  std::vector<char*> kept;
  kept.push_back(argv[0]);
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    std::string v;
    if (match(arg, "--lsgd_preset", i, argc, argv, v)) {
      if (v == "quick") c.preset = Preset::quick;
      else if (v == "full") c.preset = Preset::full;
      else throw InvalidInput("--lsgd_preset: expected quick or full, got '" + v + "'");
    } else if (arg == "--lsgd_cold" || arg == "--lsgd_cold=true" || arg == "--lsgd_cold=1") {
      c.cold = true;
    } else if (arg == "--lsgd_cold=false" || arg == "--lsgd_cold=0") {
      c.cold = false;
    } else if (match(arg, "--lsgd_filter_solver", i, argc, argv, v)) {
      try {
        std::regex check(v);
      } catch (const std::regex_error& e) {
        throw InvalidInput("--lsgd_filter_solver: invalid regex '" + v + "': " + e.what());
      }
      c.filter_solver = v;
    } else if (match(arg, "--lsgd_max_seconds", i, argc, argv, v)) {
      c.max_seconds = parse_number("--lsgd_max_seconds", v);
    } else if (match(arg, "--lsgd_rse", i, argc, argv, v)) {
      c.rse_target = parse_number("--lsgd_rse", v);
      if (!(c.rse_target > 0.0)) throw InvalidInput("--lsgd_rse: must be positive, got '" + v + "'");
    } else if (match(arg, "--lsgd_max_time", i, argc, argv, v)) {
      c.max_time = parse_number("--lsgd_max_time", v);
    } else if (match(arg, "--lsgd_ceilings", i, argc, argv, v)) {
      parse_ceilings(v, c.ceilings);
    } else if (arg == "--lsgd_list_cases") {
      c.list_cases = "-";
    } else if (arg.rfind("--lsgd_list_cases=", 0) == 0) {
      c.list_cases = arg.substr(std::strlen("--lsgd_list_cases="));
      if (c.list_cases.empty()) throw InvalidInput("--lsgd_list_cases=: empty file name");
    } else if (match(arg, "--lsgd_problem", i, argc, argv, v)) {
      if (v.empty()) throw InvalidInput("--lsgd_problem: empty problem id");
      c.problem = v;
    } else if (match(arg, "--lsgd_write_problem", i, argc, argv, v)) {
      if (v.empty()) throw InvalidInput("--lsgd_write_problem: empty directory");
      c.write_problem = v;
    } else if (arg.rfind("--lsgd_", 0) == 0) {
      throw InvalidInput("unknown flag '" + arg + "'\n" + flags_help());
    } else {
      if (arg.rfind("--benchmark_min_time=", 0) == 0) {
        std::string t = arg.substr(std::strlen("--benchmark_min_time="));
        if (!t.empty() && t.back() == 's') t.pop_back();  // newer Google Benchmark: "0.5s"
        c.min_time_flag = parse_number("--benchmark_min_time", t);
      }
      if (arg == "--help" || arg == "-h") std::fputs(flags_help().c_str(), stdout);
      kept.push_back(argv[i]);
    }
  }
  if (!c.write_problem.empty() && c.problem.empty()) {
    throw InvalidInput("--lsgd_write_problem needs --lsgd_problem=ID (an id of --lsgd_list_cases)");
  }
  for (size_t i = 0; i < kept.size(); ++i) argv[i] = kept[i];
  argc = static_cast<int>(kept.size());
  argv[argc] = nullptr;
  return c;
}

}  // namespace lsgd::bench
