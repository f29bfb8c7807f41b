#pragma once
// Run-time configuration of the benchmark binaries: the --lsgd_* flags, stripped from argv before
// benchmark::Initialize sees it (Google Benchmark rejects flags it does not know).
#include <string>

#include "bench/stop_rule.h"

namespace lsgd::bench {

enum class Preset { quick, full };
const char* to_string(Preset p);

// Ceilings given on the command line (--lsgd_ceilings=cpu_copy=..,gpu_gemm_f64=..); a negative value
// means "measure it".
struct CeilingOverrides {
  double cpu_copy = -1.0;      // GB/s, bytes read + written
  double cpu_gemm_f32 = -1.0;  // GFLOP/s
  double cpu_gemm_f64 = -1.0;
  double cpu_read = -1.0;      // GB/s, bytes read
  double cpu_fma_f32 = -1.0;   // GFLOP/s
  double cpu_fma_f64 = -1.0;
  double gpu_copy = -1.0;
  double gpu_gemm_f32 = -1.0;
  double gpu_gemm_f64 = -1.0;
};

struct Config {
  Preset preset = Preset::quick;
  bool cold = false;                // flush the caches (GPU L2, CPU last level) between iterations
  std::string filter_solver;        // ECMAScript regex searched in the solver name; empty = all
  double max_seconds = -1.0;        // estimated seconds per solve above which a shape is not
                                    // registered; < 0: the preset's default (see cap_seconds)
  double min_time_flag = -1.0;      // --benchmark_min_time on the command line wins over the preset
  double rse_target = 0.01;         // --lsgd_rse: stop repeating once the mean's relative standard
                                    // error is below this (after min_time and kMinReps)
  double max_time = -1.0;           // --lsgd_max_time: stop repeating after this many seconds of
                                    // one benchmark; < 0: the preset's default (see max_time_s)
  CeilingOverrides ceilings;
  // --lsgd_list_cases[=FILE]: print the case list (JSON, "-" = stdout) instead of running.
  std::string list_cases;
  // --lsgd_problem=ID: register only the cases of this problem (the case list's problem id).
  std::string problem;
  // --lsgd_write_problem=DIR (with --lsgd_problem): write that problem as A.npy, b.npy, x_true.npy
  // into DIR and exit, so that the peers solve exactly lsgd's data.
  std::string write_problem;

  // The cap for a backend: max_seconds if given, else the preset's default.
  double cap_seconds(bool gpu) const;
  // Per-benchmark minimum (manual) time the preset asks for.
  double min_time() const {
    if (min_time_flag >= 0.0) return min_time_flag;
    return preset == Preset::quick ? 0.02 : 0.2;
  }
  // Wall-time cap of one benchmark's repetitions (quick 0.25 s, full 2 s unless given).
  double max_time_s() const {
    if (max_time >= 0.0) return max_time;
    return preset == Preset::quick ? 0.25 : 2.0;
  }
};

// The repetition rule (cases.cpp, bench_mpi, and the peers through the case list; implemented once,
// in bench/stop_rule.cpp): at least
// min_reps timed solves, always (the time cap never undercuts it: a ratio needs repetitions on both
// sides); then stop once min_time has passed and the relative standard error of the mean is below
// rse, or once max_time has passed, or at max_reps solves.
constexpr int kMinReps = 5;
constexpr int kMaxReps = 2000;

struct StopRule {
  int min_reps = kMinReps;
  double min_time_s = 0.0;
  double rse = 0.01;
  double max_time_s = 2.0;
  int max_reps = kMaxReps;
};
StopRule stop_rule(const Config& c);
// The same rule as the C interface the peers load (bench/stop_rule.h, the one implementation).
lsgd_stop_rule c_rule(const StopRule& rule);
// Why to stop after `reps` solves, `wall_s` seconds and relative standard error `rse` (NaN with
// one sample): "rse", "time_cap", "max_reps", or "" to go on (lsgd_stop_code). Throws
// InvalidInput for a rule lsgd_stop_code refuses.
const char* stop_reason(const StopRule& rule, int reps, double wall_s, double rse);

// Parses the --lsgd_* flags and removes them from argv (argc is updated); other flags are left for
// Google Benchmark. --help also prints our flags. Throws InvalidInput naming a malformed flag.
Config parse_flags(int& argc, char** argv);

// The --lsgd_* flags, one per line, for --help.
std::string flags_help();

}  // namespace lsgd::bench
