#pragma once
// The measurements `lsgd advise` fits its model to: a results directory's advise_table.tsv, written
// by tools/advise_table.py from the directory's bench_*.json through tools/lsgd_results.py (the one
// reader of the benchmark schema). Format in that script and docs/advise.md: '#@' metadata lines, a
// header row naming the columns, one benchmark entry per row, empty cells for unknown values.
#include <map>
#include <string>
#include <vector>

namespace lsgd::advise {

inline constexpr const char* kTableFile = "advise_table.tsv";

struct Measurement {
  std::string family;     // ls, bls, gd, bgd (time), acc (digits against kappa), tta (iterations)
  std::string solver;     // registry name
  std::string device;     // cpu or gpu
  std::string mode;       // GPU: resident or e2e; empty on the CPU
  std::string precision;  // f32 or f64
  double m = 0, n = 0;
  double batch = 0;       // 0: a single problem
  double iterations = 0;  // gd/bgd: the fixed count; tta: the count found; acc: the count run
  double kappa = 0;       // tta/acc: kappa(A^T A) = kappa(A)^2; 0 when not given
  double target = 0;      // tta: the target relative error
  std::string flop_model;
  double flops = 0, bytes = 0;  // per solve, as the benchmark computed them
  double time_s = 0;            // NaN when the entry failed
  double rse = 0;               // relative standard error of the time (NaN: unknown)
  double spread = 0;            // relative standard deviation of one repetition (NaN: unknown)
  double reps = 0;
  double rel_err = 0;  // forward error against x_true (NaN: unknown)
  double digits = 0;   // acc: digits correct against the quad-precision reference (NaN: unknown)
  int converged =
      -1;             // acc: 1 the iterative solver met its tolerance, 0 it hit its cap; -1 unknown
  bool busy = false;  // the machine was busy or throttled: not fitted
  bool failed = false;
  std::string file;   // the benchmark JSON it came from
  std::string error;  // why it failed
  int line = 0;       // in the table, for messages

  bool batched() const { return batch > 0; }
  double kappa_a() const;  // kappa(A) = sqrt(kappa)
};

struct Table {
  std::string path;    // the .tsv file
  std::string source;  // the results directory's name (e.g. cpu-2core-20261129)
  std::string git, date;
  std::map<std::string, std::string> device_label;  // cpu/gpu -> e.g. "Intel Xeon (2 CPUs, ...)"
  std::map<std::string, std::map<std::string, double>> cache;  // cpu -> {l2: bytes, l3: bytes}
  std::vector<Measurement> rows;

  std::string label(const std::string& device) const;  // "cpu: <label> [source]"
};

// Reads a table file, or DIR/advise_table.tsv when `path` is a directory. Throws InvalidInput
// naming the file and line of anything malformed, and the command that writes a missing table.
Table read_table(const std::string& path);

// The committed results directories holding a table: <source tree>/results/*/ (the tree this binary
// was built from, else the one found next to the executable), leaving out directories that contain
// a file named SUPERSEDED. Sorted; empty when none is found.
std::vector<std::string> default_results_dirs();

}  // namespace lsgd::advise
