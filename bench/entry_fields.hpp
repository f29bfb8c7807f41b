#pragma once
// The structured description of every benchmark entry: what ran (solver, sizes, precision, mode,
// kappa, flop and byte model), its repetition statistics and the machine state while it ran. The
// JSON reporter (json_reporter.hpp) writes it as the "lsgd" object of each entry; readers use these
// fields and never parse benchmark names (schema: docs/benchmarks.md, "The lsgd object").
#include <string>
#include <vector>

#include "bench/machine_state.hpp"

namespace lsgd::bench {

constexpr int kFieldsSchema = 1;

// Where a GD entry stands against the ceilings measured at start-up (bench/NOTES.md (roofline)).
// Written as the "roofline" object of the lsgd fields when present (gflops > 0).
struct Roofline {
  double gflops = 0.0, gbps = 0.0;   // achieved, from the flop and byte models and the mean time
  std::string compute_kind;          // cpu_fma_f32 / cpu_fma_f64 (GPU: gpu_gemm_*, no FMA ceiling)
  double compute_GFLOPs = 0.0;       // that ceiling
  double copy_GBps = 0.0;            // STREAM triad (cpu_copy / gpu_copy)
  double read_GBps = 0.0;            // sequential read (CPU only; GPU: the copy ceiling)
  double memory_bytes = 0.0;         // bytes that must come from memory per solve: A once per
                                     // iteration, or once per solve when a problem fits L2
  double roof_GFLOPs = 0.0;          // min(compute, flops / memory_bytes * read): the attainable rate
  std::string bound;                 // compute or memory: which term of the min decides
};

struct EntryFields {
  std::string family;     // ls, bls, gd, bgd, tta, acc, mpi
  std::string solver;     // registry name, e.g. cpu.qr
  std::string backend;    // cpu, cuda (the registry's backend)
  std::string device;     // cpu, gpu
  std::string precision;  // f32, f64
  long long m = 0, n = 0;
  long long batch = 0;    // 0: not batched
  int iterations = 0;     // gd/bgd: fixed iterations; tta/acc iterative: done at run time; else 0
  std::string mode;       // resident, e2e; empty for CPU solvers
  double kappa = 0.0;     // tta, acc: condition number of A^T A; 0: not applicable
  double target = 0.0;    // tta: relative forward error to reach; 0: not applicable
  double noise = 0.0;     // acc: relative noise of b (nonzero residual); 0: a consistent problem
  int ranks = 0;          // mpi: MPI ranks P; 0: not an MPI run
  std::string scaling;    // mpi: strong (m is global) or weak (m grows with P); else empty
  int nb = 0;             // mpi, scalapack.gels: ScaLAPACK's column block; 0: not applicable
  std::string grid;       // mpi, scalapack.gels: the process grid PRxPC; else empty
  std::string gen;        // problem generator
  std::string algorithm;  // algorithm family (bench/algorithms.hpp): the pairing key with peers
  std::vector<std::string> pairs_with;  // the peer families it is compared with (algorithm first)
  std::string problem;    // id of the problem's data (problem_id): equal ids, equal numbers
  long long seed = -1;    // the generator's seed; < 0: not recorded
  std::string flop_model; // qr, cholesky, svd, gd_iter
  std::string peak_kind;  // the ceiling pct_peak is against, e.g. cpu_gemm_f64
  double flops = 0.0;     // per solve (model)
  double bytes = 0.0;     // per solve (model)
  Roofline roofline;      // gd, bgd: the distance to the machine's limits (run time)
};

// Repetition statistics of one benchmark run (seconds per solve).
struct RepStats {
  std::vector<double> samples;  // one timed solve each
  std::string stop;             // rse, time_cap, max_reps
  double mean() const;
  double median() const;
  double min() const;
  double stddev() const;        // sample standard deviation (n - 1)
  double rse() const;           // relative standard error of the mean: lsgd_relative_stderr (stop_rule.h)
};

// Machine state over one benchmark run.
struct EntryMachine {
  CpuSample before, after;
  GpuSample gpu;  // at the end of the run
  double other_cpu = -1.0;
  std::vector<std::string> flags;  // busy / throttled reasons; empty when neither
};

// What one run of a benchmark produced (Google Benchmark may run a benchmark several times with
// --benchmark_repetitions: one result per run, in order).
struct EntryResult {
  EntryFields fields;
  RepStats stats;
  EntryMachine machine;
  bool has_stats = false;
};

// Registered fields by benchmark name (the name Google Benchmark reports as run_name).
void register_fields(const std::string& name, const EntryFields& f);
const EntryFields* registered_fields(const std::string& name);
// A case the registration left out (above a cap, a solver's max_n...): recorded with its reason, in
// the case list and as "lsgd_skipped" at the end of the JSON, so that a missing entry says why.
struct SkipRecord {
  std::string name;
  EntryFields fields;
  std::string reason;
};
void register_skip(const std::string& name, const EntryFields& f, const std::string& reason);
const std::vector<SkipRecord>& skipped_cases();
// [{"name", "solver", "algorithm", "precision", "problem", "mode", "reason"}, ...]
std::string skips_json(const std::string& indent);

// Results of the runs of `name`, in order (kept: the console and file reporters both read them).
void push_result(const std::string& name, EntryResult r);
const std::vector<EntryResult>& results_of(const std::string& name);

// JSON text of the lsgd object (no trailing newline); indent is the object's own indentation.
std::string fields_json(const EntryFields& f, const EntryResult* result, const std::string& indent);
std::string cpu_sample_json(const CpuSample& s);
std::string gpu_sample_json(const GpuSample& g);
std::string json_string(const std::string& s);
std::string json_number(double v);  // null for non-finite

}  // namespace lsgd::bench
