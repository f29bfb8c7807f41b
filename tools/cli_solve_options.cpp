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
      {"input", "FILE", "data file: .csv, .txt, .tsv (each also .gz) or .mtx (required)"},
      {"solver", "NAME", "solver name from 'lsgd list', or 'all' (required)"},
      {"target", "COL",
       "CSV target column: header name or 0-based position, a name matched first (default: last)"},
      {"intercept", "",
       "prepend a column of ones named (intercept); without it no intercept is fitted"},
      {"header", "", "the first CSV row is a header (default: inferred, see above)"},
      {"no-header", "", "the first CSV row is data"},
      {"drop", "COLS", "CSV columns left out of A: names or 0-based positions, comma-separated"},
      {"columns", "COLS", "the only CSV columns of A, in this order (names or positions)"},
      {"index-column", "M",
       "a leading row-index column: detect (left out with a note), first or none (default detect)"},
      {"delimiter", "C",
       "CSV field delimiter: one character, 'tab' or 'space' (default: inferred, usually ',')"},
      {"decimal", "C", "decimal mark: '.' or ',' (default: inferred; ',' needs another delimiter)"},
      {"b", "FILE", "right-hand side b as a Matrix Market m x 1 file (with an .mtx input)"},
      {"precision", "P", "f32 or f64 (default f64)"},
      {"lambda", "X", "ridge lambda >= 0 (normal equations and gradient descent)"},
      {"rcond", "X",
       "relative singular-value cutoff of SVD/COD/pivoted QR, >= 0 (default max(m,n)*eps)"},
      {"max-iters", "N", "iterative solvers: iteration limit (default 1000)"},
      {"tol", "X",
       "iterative solvers: stop when the estimated relative error of the coefficients, "
       "||grad|| / (mu ||x||), is <= X; 0 <= X < 1 (default 1e-6; 0: run --max-iters exactly)"},
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
       "iterative solvers: keep the last iterate when --max-iters ends the run before --tol, or "
       "when the error bound says the coefficients are not accurate to --tol (default: exit 1)"},
      {"standardize", "",
       "solve with every column centred (when there is an intercept) and scaled to unit standard "
       "deviation, then map the coefficients back (a scikit-learn StandardScaler in front of the "
       "solver); for gradient descent on raw data"},
      {"equilibrate", "M",
       "CPU direct solvers: column equilibration, auto, on or off (default auto: see "
       "docs/cpu-backend.md)"},
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
    throw UsageError("solve: --tol: must be < 1 (a relative error of the coefficients; " +
                     a.str("tol") + " would accept anything)");
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
  const std::string eq = a.choice("equilibrate", "auto", {"auto", "on", "off"});
  o.equilibrate = eq == "on"    ? Equilibrate::on
                  : eq == "off" ? Equilibrate::off
                                : Equilibrate::automatic;
  return o;
}

namespace {

// "a,b,3" -> {"a", "b", "3"}; an empty item is a usage error.
std::vector<std::string> column_list(const Args& a, const std::string& name,
                                     const std::string& command) {
  std::vector<std::string> out;
  if (!a.has(name)) return out;
  const std::string v = a.str(name);
  size_t at = 0;
  for (;;) {
    const size_t comma = v.find(',', at);
    std::string item = v.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
    while (!item.empty() && item.front() == ' ') item.erase(item.begin());
    while (!item.empty() && item.back() == ' ') item.pop_back();
    if (item.empty()) {
      throw UsageError(command + ": --" + name + ": empty column name in '" + v +
                       "' (a comma-separated list of header names or 0-based positions)");
    }
    out.push_back(item);
    if (comma == std::string::npos) break;
    at = comma + 1;
  }
  return out;
}

}  // namespace

CsvOptions csv_options(const Args& a, const std::string& command) {
  CsvOptions c;
  c.target = a.str("target");
  c.intercept = a.flag("intercept");
  if (a.flag("header") && a.flag("no-header")) {
    throw UsageError(command + ": --header and --no-header contradict each other");
  }
  if (a.flag("header")) c.header = CsvOptions::Header::present;
  if (a.flag("no-header")) c.header = CsvOptions::Header::absent;
  if (a.has("delimiter")) {
    const std::string d = a.str("delimiter");
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
  }
  if (a.has("decimal")) {
    c.decimal = a.choice("decimal", ".", {".", ","})[0];
    if (c.decimal == ',' && c.delimiter == ',') {
      throw UsageError(command + ": --decimal , needs a delimiter other than ',' (such as --delimiter ';')");
    }
  }
  const std::string index = a.choice("index-column", "detect", {"detect", "first", "none"});
  c.index = index == "first"  ? CsvOptions::Index::first
            : index == "none" ? CsvOptions::Index::none
                              : CsvOptions::Index::detect;
  c.drop = column_list(a, "drop", command);
  c.columns = column_list(a, "columns", command);
  if (!c.drop.empty() && !c.columns.empty()) {
    throw UsageError("solve: --drop and --columns exclude each other (--columns lists the columns "
                     "kept)");
  }
  c.threads = static_cast<int>(a.integer("threads", 0, 0, max_threads()));
  return c;
}

}  // namespace lsgd::cli
