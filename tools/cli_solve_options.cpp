#include "tools/cli_solve_options.hpp"

#include <sched.h>

#include <algorithm>
#include <limits>
#include <string>

namespace lsgd::cli {
namespace {

// More threads than this is a typo (or 2^32 + 2 wrapping to 2), and asking libgomp for thousands
// of threads ends in an abort, not an error.
int max_threads() {
  cpu_set_t set;
  CPU_ZERO(&set);
  const int cores = sched_getaffinity(0, sizeof set, &set) == 0 ? std::max(1, CPU_COUNT(&set)) : 1;
  return std::min(4 * cores, 1024);
}

}  // namespace

std::vector<OptionSpec> solve_options() {
  return {
      {"input", "FILE", "data file: .csv, .txt, .tsv or .mtx (required)"},
      {"solver", "NAME", "solver name from 'lsgd list', or 'all' (required)"},
      {"target", "COL", "CSV target column: header name or 0-based index (default: last)"},
      {"intercept", "", "prepend a column of ones named (intercept)"},
      {"header", "", "the first CSV row is a header (default: detected)"},
      {"no-header", "", "the first CSV row is data"},
      {"delimiter", "C", "CSV field delimiter: one character, 'tab' or 'space' (default ',')"},
      {"b", "FILE", "right-hand side b as a Matrix Market m x 1 file (with an .mtx input)"},
      {"precision", "P", "f32 or f64 (default f64)"},
      {"lambda", "X", "ridge lambda >= 0 (normal equations and gradient descent)"},
      {"rcond", "X", "relative singular-value cutoff of SVD/COD/pivoted QR, >= 0 (default max(m,n)*eps)"},
      {"max-iters", "N", "iterative solvers: iteration limit (default 1000)"},
      {"tol", "X", "iterative solvers: stop at ||grad|| <= tol*||grad(0)||, 0 <= X < 1 (default 1e-6; 0: run all)"},
      {"step", "X", "iterative solvers: step size (default 0: 1/L by power iteration)"},
      {"lipschitz", "X", "iterative solvers: known Lipschitz constant L (skips power iteration)"},
      {"power-iters", "N", "iterative solvers: power iterations for L (default 20)"},
      {"momentum", "X", "iterative solvers: momentum beta in [0, 1) (default 0: solver's choice)"},
      {"sgd-batch", "N", "SGD: mini-batch rows (default 32)"},
      {"schedule", "S", "SGD step schedule: constant, inv_sqrt or inv_time (default constant)"},
      {"seed", "N", "SGD shuffling seed (default 1)"},
      {"history-every", "N", "record the loss every N iterations (shown with --json)"},
      {"inner", "P", "cuda.gels_irs inner precision: tf32, fp16, bf16 or fp32 (default tf32)"},
      {"mode", "M", "GPU timing: resident or end-to-end (default resident)"},
      {"threads", "N", "CPU threads (default 0: OMP_NUM_THREADS or all cores)"},
      {"reference", "FILE", "known solution (one value per line, name,value lines, or .mtx n x 1)"},
      {"output", "FILE", "write the solution (.csv or .mtx); never left partial on error"},
      {"json", "", "print JSON (one object; an array with --solver all)"},
      {"stats", "",
       "also print the OLS statistics (standard errors, t, p-values, R^2, F, condition number) "
       "from a refined QR of A, independent of the solver (one solver only)"},
      {"allow-unconverged", "",
       "iterative solvers: keep the last iterate if --max-iters ends the run before --tol (default: exit 1)"},
  };
}

SolverOptions solver_options(const Args& a) {
  constexpr long long kIntMax = std::numeric_limits<int>::max();
  SolverOptions o;
  o.ridge_lambda = a.number("lambda", 0.0, 0.0);
  if (a.has("rcond")) o.rcond = a.number("rcond", 0.0, 0.0);  // absent: the solver's default
  o.max_iters = static_cast<int>(a.integer("max-iters", o.max_iters, 1, 1000000000));
  o.tol = a.number("tol", o.tol, 0.0);
  if (o.tol >= 1.0) {
    throw UsageError("solve: --tol: must be < 1 (it is relative to the first gradient: " +
                     a.str("tol") + " would stop at once, at x = 0)");
  }
  o.step = a.number("step", 0.0, 0.0);
  o.lipschitz = a.number("lipschitz", 0.0, 0.0);
  o.power_iters = static_cast<int>(a.integer("power-iters", o.power_iters, 1, 1000000));
  o.momentum = a.number("momentum", 0.0, 0.0);
  if (o.momentum >= 1.0) throw UsageError("solve: --momentum: must be < 1");
  o.sgd_batch = static_cast<int>(a.integer("sgd-batch", o.sgd_batch, 1, kIntMax));
  const std::string sched = a.choice("schedule", "constant", {"constant", "inv_sqrt", "inv_time"});
  o.schedule = sched == "inv_sqrt"   ? StepSchedule::inv_sqrt
               : sched == "inv_time" ? StepSchedule::inv_time
                                     : StepSchedule::constant;
  o.seed = static_cast<std::uint64_t>(a.integer("seed", 1, 0));
  o.history_every = static_cast<int>(a.integer("history-every", 0, 0, kIntMax));
  o.inner_precision = a.choice("inner", "tf32", {"tf32", "fp16", "bf16", "fp32"});
  o.gpu_mode = a.choice("mode", "resident", {"resident", "end-to-end"}) == "end-to-end"
                   ? GpuMode::end_to_end
                   : GpuMode::resident;
  o.threads = static_cast<int>(a.integer("threads", 0, 0, max_threads()));
  return o;
}

CsvOptions csv_options(const Args& a, const std::string& command) {
  CsvOptions c;
  c.target = a.str("target");
  c.intercept = a.flag("intercept");
  if (a.flag("header") && a.flag("no-header")) {
    throw UsageError(command + ": --header and --no-header contradict each other");
  }
  if (a.flag("header")) c.header = CsvOptions::Header::present;
  if (a.flag("no-header")) c.header = CsvOptions::Header::absent;
  const std::string d = a.str("delimiter", ",");
  if (d == "tab" || d == "\\t") {
    c.delimiter = '\t';
  } else if (d == "space") {
    c.delimiter = ' ';
  } else if (d.size() == 1 && d != "\"" && d != "#") {
    c.delimiter = d[0];
  } else {
    throw UsageError(command + ": --delimiter: expected one character, 'tab' or 'space', got '" +
                     d + "'");
  }
  return c;
}

}  // namespace lsgd::cli
