#pragma once
// Run-time configuration of the benchmark binaries: the --lsgd_* flags, stripped from argv before
// benchmark::Initialize sees it (Google Benchmark rejects flags it does not know).
#include <string>

namespace lsgd::bench {

enum class Preset { quick, full };
const char* to_string(Preset p);

// Ceilings given on the command line (--lsgd_ceilings=cpu_copy=..,gpu_gemm_f64=..); a negative value
// means "measure it".
struct CeilingOverrides {
  double cpu_copy = -1.0;      // GB/s, bytes read + written
  double cpu_gemm_f32 = -1.0;  // GFLOP/s
  double cpu_gemm_f64 = -1.0;
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
  bool min_time_given = false;      // --benchmark_min_time on the command line wins over the preset
  CeilingOverrides ceilings;

  // The cap for a backend: max_seconds if given, else the preset's default.
  double cap_seconds(bool gpu) const;
  // Per-benchmark minimum (manual) time the preset asks for.
  double min_time() const { return preset == Preset::quick ? 0.02 : 0.2; }
};

// Parses the --lsgd_* flags and removes them from argv (argc is updated); other flags are left for
// Google Benchmark. --help also prints our flags. Throws InvalidInput naming a malformed flag.
Config parse_flags(int& argc, char** argv);

// The --lsgd_* flags, one per line, for --help.
std::string flags_help();

}  // namespace lsgd::bench
