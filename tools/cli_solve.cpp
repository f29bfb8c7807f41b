// `lsgd solve`: read a problem from a file, solve it with one solver (or every available one) from the
// registry, and report the coefficients, residuals, time and accuracy.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <new>
#include <system_error>
#include <thread>
#include <type_traits>
#include <vector>

#include <omp.h>

#include "lsgd/device.hpp"
#include "lsgd/error.hpp"
#include "lsgd/io.hpp"
#include "lsgd/metrics.hpp"
#include "lsgd/mpi.hpp"
#include "lsgd/registry.hpp"
#include "tools/cli_args.hpp"
#include "tools/cli_commands.hpp"
#include "common/text_format.hpp"
#include "tools/cli_numerics.hpp"
#include "tools/cli_paths.hpp"
#include "tools/cli_solve_options.hpp"
#include "tools/cli_solve_report.hpp"
#include "common/stats_text.hpp"

namespace lsgd::cli {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

const char* kSummary =
    "usage: lsgd solve --input FILE --solver NAME|all [options]\n\n"
    "Solves min ||Ax - b|| for the data in FILE (.csv/.txt/.tsv: the target column is b, the\n"
    "others A; .mtx: the last column is b unless --b is given) and prints the coefficients at full\n"
    "precision, ||b - Ax||, the relative normal-equation residual, the time and, with --reference,\n"
    "the forward error and the digits correct (LRE). '--solver all' runs every available direct and\n"
    "iterative solver on the same data and prints one comparison table, digits against --reference\n"
    "or else the exact least-squares solution (quad precision; cpu.qr.refined for large data).\n"
    "Iterative solvers report an error bound and exit 1 when it exceeds --tol (see\n"
    "--allow-unconverged, --standardize). 'lsgd list' shows the names.\n"
    "--stats adds the OLS summary (standard errors, t statistics, p-values, residual SD, R^2,\n"
    "F, condition number), computed in double from a QR of A refined in double-double,\n"
    "independently of the solver, whose coefficients it is compared with.\n\n"
    "No intercept is fitted unless --intercept is given (or the data holds a column of ones).\n"
    "CSV files: line 1 is the header when its fields differ in kind from the rows below\n"
    "(text over numbers, a year over decimals; --header / --no-header decide instead); the\n"
    "delimiter (',', ';', tab, '|' or blanks), a decimal comma and a leading row-index column\n"
    "(pandas' to_csv default) are inferred too, each with a note on stderr when it could have\n"
    "gone the other way. Columns are named by header name or 0-based position, a name matched\n"
    "first. True/False read as 1/0; .gz files are decompressed.";

// libgomp aborts the process when it cannot create its threads (a process limit, a container's
// pids cap). Start the threads the solve will want once, here, so that this is an lsgd error.
void check_threads_can_start(int requested) {
  const int n = requested > 0 ? requested : omp_get_max_threads();
  std::vector<std::thread> pool;
  try {
    for (int k = 1; k < n; ++k) pool.emplace_back([] {});
  } catch (const std::system_error& e) {
    for (auto& t : pool) t.join();
    throw Error("cannot start " + std::to_string(n) + " CPU threads (" + e.what() +
                "); lower --threads or OMP_NUM_THREADS");
  }
  for (auto& t : pool) t.join();
}

// A value beyond float's range would become Inf in the f32 copy and fail later with a message that
// names no file: name the file, the data row and the column here instead.
void check_fits_f32(const std::string& input, const std::string& b_path, const Problem<double>& p) {
  constexpr double kMax = std::numeric_limits<float>::max();
  auto fail = [&](const std::string& file, index_t row, const std::string& col, double v) {
    throw InvalidInput(file + ": data row " + std::to_string(row + 1) + ", " + col + ": " +
                       fmt("%.17g", v) + " overflows f32 (largest " + fmt("%.3g", kMax) +
                       "); use --precision f64, or rescale the data");
  };
  for (index_t j = 0; j < p.n; ++j) {
    for (index_t i = 0; i < p.m; ++i) {
      if (std::fabs(p.a(i, j)) > kMax) {
        const std::string name = static_cast<size_t>(j) < p.column_names.size()
                                     ? " ('" + p.column_names[static_cast<size_t>(j)] + "')"
                                     : "";
        fail(input, i, "column " + std::to_string(j + 1) + " of A" + name, p.a(i, j));
      }
    }
  }
  for (index_t i = 0; i < p.m; ++i) {
    if (std::fabs(p.b[static_cast<size_t>(i)]) > kMax) {
      fail(b_path.empty() ? input : b_path, i, "the target b", p.b[static_cast<size_t>(i)]);
    }
  }
}

// Why a registered solver cannot run here, in one line.
std::string unavailable_message(const SolverEntry& e) {
  std::string why = e.backend == Backend::cuda && !gpu_available() ? describe_device()
                                                                   : e.unavailable_reason;
  if (why.empty()) why = "not available on this machine";
  return "solver '" + e.name + "' cannot run here: " + why;
}

std::string known_solvers(const Registry& reg) {
  std::string s;
  for (const auto& e : reg.entries()) s += (s.empty() ? "" : ", ") + e.name;
  return s + ", all";
}

std::string error_kind(const std::exception& e) {
  if (dynamic_cast<const NumericalError*>(&e) != nullptr) return "NumericalError";
  if (dynamic_cast<const InvalidInput*>(&e) != nullptr) return "InvalidInput";
  if (dynamic_cast<const DeviceError*>(&e) != nullptr) return "DeviceError";
  if (dynamic_cast<const Error*>(&e) != nullptr) return "Error";
  return "error";
}

template <typename T>
void solve_as(const SolverEntry& e, const SolverOptions& opt, const Problem<double>& p, Run& r) {
  std::unique_ptr<Solver<T>> s = e.make<T>(opt);
  if constexpr (std::is_same_v<T, double>) {
    s->setup(p);
  } else {
    s->setup(p.cast<T>());
  }
  r.time_s = s->timed_solve();
  const std::vector<T> x = s->solution();
  r.x.assign(x.begin(), x.end());
  r.info = s->info();
  if (r.x.size() != static_cast<size_t>(p.n)) {
    throw Error(e.name + ": solution has " + std::to_string(r.x.size()) + " entries, expected n = " +
                std::to_string(p.n));
  }
}

// What the solvers are given: the data as read, or standardized (--standardize), with the
// conditioning of what they are given when affordable (for the error bounds of iterative solvers).
struct Solved {
  const Problem<double>* problem = nullptr;   // what the solvers see
  const Standardization* standard = nullptr;  // non-null with --standardize
  bool have_conditioning = false;
  Conditioning conditioning;
};

// Solves and measures; the residuals are taken against the data as read (double), so an f32 solve
// is judged on the user's problem, not on its rounded copy (nor on its standardized one).
void solve_one(const SolverEntry& e, Precision prec, const SolverOptions& opt,
               const Problem<double>& p, const Solved& in, Run& r) {
  r.entry = &e;
  const auto solve = [&](const SolverOptions& o) {
    if (prec == Precision::f32) {
      solve_as<float>(e, o, *in.problem, r);
    } else {
      solve_as<double>(e, o, *in.problem, r);
    }
  };
  solve(opt);
  std::vector<double> z = r.x;
  if (in.standard != nullptr) {
    r.x = in.standard->to_original(z);
    // The solver's tol is relative to ||z||; x = T z can amplify it by up to ||T|| ||z|| / ||x||.
    // When that exceeds 1, solve again to tol divided by it (both solves timed).
    const double amp = in.standard->amplification(z, r.x);
    if (e.is_iterative() && opt.tol > 0.0 && amp > 1.0 && std::isfinite(amp)) {
      SolverOptions o = opt;
      o.tol = opt.tol / amp;
      const double first = r.time_s;
      solve(o);
      r.time_s += first;
      r.info.note += std::string(r.info.note.empty() ? "" : "; ") +
                     "standardized: solved again to tol " + fmt("%.3g", o.tol) + " (--tol / " +
                     fmt("%.3g", amp) +
                     ", ||T|| ||z|| / ||x||) for the coefficients in the original units";
      z = r.x;
      r.x = in.standard->to_original(z);
    }
  }
  r.residual = residual_norm(p, r.x);
  r.ne_residual = normal_eq_residual(p, r.x);
  if (e.is_iterative() && in.have_conditioning) {
    r.error_bound = relative_error_bound(*in.problem, z, r.x, opt.ridge_lambda,
                                         in.conditioning.sigma_min, in.standard);
  }
  r.ok = true;
}

// As solve_one, but a failure becomes the row's status instead of ending the program.
void solve_row(const SolverEntry& e, Precision prec, const SolverOptions& opt,
               const Problem<double>& p, const Solved& in, Run& r) {
  r.entry = &e;
  try {
    solve_one(e, prec, opt, p, in, r);
  } catch (const std::bad_alloc&) {
    r.ok = false;
    r.error = "out of memory";
  } catch (const std::exception& ex) {
    r.ok = false;
    r.error = one_line(error_kind(ex) + ": " + with_column_names(ex.what(), p.column_names));
  }
}

// An unconverged solve, said once ("not converged within --max-iters N (why)"): the solvers' notes
// already say "<name>: not converged within max_iters = N (why)"; only their "why" is kept.
std::string not_converged_text(int max_iters, const std::string& note) {
  // The GD family's notes already say "<solver>: not converged within max_iters = N: why": keep
  // them from "not converged" on (the caller names the solver once).
  if (const size_t k = note.find("not converged"); k != std::string::npos) return note.substr(k);
  return "not converged within --max-iters " + std::to_string(max_iters) +
         (note.empty() ? "" : " (" + note + ")");
}

const char* x_format(Precision prec) { return prec == Precision::f32 ? "%.9g" : "%.17g"; }

// Iterations, or the refinement steps of a direct solver that refines (cpu.qr.refined, gels_irs).
// The fields every JSON answer of `lsgd solve` (one solver or --solver all) shares, in this order:
// the solver, then (after each command's own fields) its result.
void json_solver(JsonObject& o, const SolverEntry& e, Precision prec) {
  o.text("solver", e.name)
      .text("backend", to_string(e.backend))
      .text("kind", to_string(e.kind))
      .text("precision", to_string(prec));
}

void json_result(JsonObject& o, const Run& r, const char* xf, bool converged) {
  o.numbers("x", r.x, xf)
      .number("residual_norm", r.residual)
      .number("normal_eq_residual", r.ne_residual)
      .number("time_s", r.time_s)
      .integer("iterations", r.info.iterations)
      .boolean("converged", converged)
      .number("error_estimate", r.info.error_estimate)
      .number("error_bound", r.error_bound);
}

std::string iterations_text(const Run& r) {
  if (!r.entry->is_iterative() && r.info.iterations == 0 && r.info.converged) return "-";
  return std::to_string(r.info.iterations) + (r.info.converged ? "" : "*");
}

int solve_single(const Args& args, const SolverEntry& e, Precision prec, const SolverOptions& opt,
                 const Problem<double>& p, const Solved& in, const std::vector<double>& reference) {
  Run r;
  solve_one(e, prec, opt, p, in, r);
  return report_single(args, e, prec, opt, p, r, reference);
}

// The error of an iterative solution that decides whether it is trusted: the a-posteriori bound
// when computed, else the solver's estimate (NaN: neither).
double iterative_error(const Run& r) {
  return std::isfinite(r.error_bound) || std::isinf(r.error_bound) ? r.error_bound
                                                                   : r.info.error_estimate;
}

// The most --tol lets that error be: 1.01 tol (the slack of tol / (1 - tol), ||x|| against
// ||x*||); with --tol 0 (a fixed iteration count, no accuracy asked) 1: not one correct digit.
double trust_limit(const SolverOptions& opt) { return opt.tol > 0.0 ? 1.01 * opt.tol : 1.0; }

}  // namespace

int report_single(const Args& args, const SolverEntry& e, Precision prec, const SolverOptions& opt,
                  const Problem<double>& p, Run& r, const std::vector<double>& reference) {
  if (!reference.empty()) {
    r.forward_error = forward_error(r.x, reference);
    r.digits = lre(r.x, reference);
  }
  const bool allow = args.flag("allow-unconverged");
  const std::string unwritten = args.has("output") ? "; nothing was written" : "";
  if (e.is_iterative() && !r.info.converged && !allow) {
    // The solver's note already names the limit and what to do: said once.
    throw NumericalError(e.name + ": " + not_converged_text(opt.max_iters, r.info.note) +
                         "; or pass --allow-unconverged to keep the last iterate" + unwritten);
  }
  const double err = e.is_iterative() ? iterative_error(r) : kNaN;
  const bool untrusted =
      e.is_iterative() && r.info.converged && !(err <= trust_limit(opt)) && !std::isnan(err);
  if (untrusted && !allow) {
    throw NumericalError(
        e.name + ": the coefficients are not trustworthy: the error bound ||x - x*|| / ||x|| <= " +
        fmt("%.3g", err) +
        (opt.tol > 0.0 ? " exceeds --tol " + fmt("%.3g", opt.tol) : " leaves no correct digit") +
        (std::isinf(err) ? " (sigma_min(A) = 0: A is rank deficient)" : "") +
        "; raise --max-iters, lower --tol, use --standardize or a direct solver, or pass "
        "--allow-unconverged to keep them" +
        unwritten);
  }
  // Statistics before any output, so that undefined statistics (m <= p, rank deficiency) leave no
  // file behind either.
  const bool with_stats = args.flag("stats");
  RegressionStats st;
  if (with_stats) st = regression_stats(p);
  // Write the file before printing: a failed write leaves neither output nor a partial file.
  const std::string output = args.str("output");
  if (!output.empty()) write_vector(output, r.x, p.column_names);

  const char* xf = x_format(prec);
  if (args.flag("json")) {
    JsonObject o;
    json_solver(o, e, prec);
    o.text("input", args.str("input"))
        .integer("m", p.m)
        .integer("n", p.n)
        .texts("columns", p.column_names);
    json_result(o, r, xf, r.info.converged);
    o.boolean("trustworthy", !untrusted)
        .boolean("standardized", args.flag("standardize"))
        .integer("threads", r.info.threads)
        .text("note", r.info.note);
    if (!reference.empty()) o.number("forward_error", r.forward_error).number("lre", r.digits, "%.3f");
    if (!r.info.loss_history.empty()) {
      o.integer("history_every", r.info.history_every).numbers("loss_history", r.info.loss_history);
    }
    if (with_stats) o.raw("stats", stats_json(st, r.x));
    if (!output.empty()) o.text("output", output);
    std::fputs((o.dump() + "\n").c_str(), stdout);
    return 0;
  }

  std::printf("solver:    %s (%s, %s, %s)\n", e.name.c_str(), to_string(e.backend),
              to_string(e.kind), to_string(prec));
  std::printf("data:      %s (m = %lld, n = %lld)\n", args.str("input").c_str(),
              static_cast<long long>(p.m), static_cast<long long>(p.n));
  std::printf("coefficients:\n");
  size_t w = 1;
  for (const auto& name : p.column_names) w = std::max(w, name.size());
  for (index_t j = 0; j < p.n; ++j) {
    const std::string name = static_cast<size_t>(j) < p.column_names.size()
                                 ? p.column_names[static_cast<size_t>(j)]
                                 : "x" + std::to_string(j + 1);
    std::printf("  %s  %s\n", pad(name, w).c_str(), fmt(xf, r.x[static_cast<size_t>(j)]).c_str());
  }
  std::printf("residual norm ||b - Ax||:    %.6e\n", r.residual);
  std::printf("normal-equation residual:    %.3e  (||A^T(b - Ax)|| / (||A||_F (||A||_F ||x|| + ||b||)))\n",
              r.ne_residual);
  std::string timing = "timed_solve, ";
  if (e.backend == Backend::cuda) {
    timing += opt.gpu_mode == GpuMode::resident ? "GPU resident" : "GPU end-to-end";
  } else {
    timing += std::to_string(r.info.threads) + (r.info.threads == 1 ? " thread" : " threads");
  }
  std::printf("time:                        %.6g s (%s)\n", r.time_s, timing.c_str());
  if (e.is_iterative()) {
    std::printf("iterations:                  %d (%s)\n", r.info.iterations,
                r.info.converged ? "converged"
                                 : ("NOT converged within --max-iters " + std::to_string(opt.max_iters))
                                       .c_str());
    if (std::isfinite(r.info.error_estimate)) {
      std::printf(
          "error estimate:              %.3e  (the solver's: ||grad f|| / (mu ||x||), mu "
          "by Lanczos)\n",
          r.info.error_estimate);
    }
    if (!std::isnan(r.error_bound)) {
      std::printf(
          "error bound:                 %.3e  (||x - x*|| / ||x|| <= ||grad f|| / (mu ||x||), "
          "mu = sigma_min(A)^2/m + lambda by SVD)%s\n",
          r.error_bound, untrusted ? "  NOT TRUSTWORTHY" : "");
    }
    if (args.flag("standardize")) {
      std::printf(
          "standardized:                columns centred and scaled for the solver, "
          "coefficients mapped back (x = T z)\n");
    }
  }
  if (!r.info.note.empty()) std::printf("note:                        %s\n", r.info.note.c_str());
  if (!reference.empty()) {
    std::printf("forward error vs reference:  %.3e  (||x - x_ref|| / ||x_ref||)\n", r.forward_error);
    std::printf("digits correct (LRE):        %.1f  (min over components)\n", r.digits);
  }
  if (!output.empty()) std::printf("solution written to:         %s\n", output.c_str());
  if (with_stats) std::fputs(stats_text(st, p.column_names, e.name, r.x).c_str(), stdout);
  return 0;
}

namespace {

int solve_all(const Args& args, Precision prec, const SolverOptions& opt, const Problem<double>& p,
              const Solved& in, const std::vector<double>& reference) {
  if (args.has("output")) {
    throw UsageError("solve: --output needs one solver (it writes one solution), not --solver all");
  }
  if (args.flag("stats")) {
    throw UsageError("solve: --stats needs one solver (the statistics do not depend on it), not "
                     "--solver all");
  }
  const Registry& reg = default_registry();
  std::vector<const SolverEntry*> run_list;
  std::vector<std::string> skipped;
  for (const auto& e : reg.entries()) {
    if (e.is_batched() || !e.supports(prec)) continue;
    if (!e.available()) {
      skipped.push_back(e.name);
      continue;
    }
    run_list.push_back(&e);
  }

  // Digits: against the given reference, else against the exact least-squares solution (issue 25:
  // grading against cpu.svd showed cpu.qr.refined with 0.0 digits where it had 16).
  std::vector<double> ref = reference;
  std::string ref_label = "LRE vs --reference " + args.str("reference");
  std::string ref_source = "reference";
  std::string ref_failure;
  if (ref.empty()) {
    DefaultReference d = default_reference(p, opt);
    ref = std::move(d.x);
    ref_label = d.label;
    ref_source = d.source;
    ref_failure = d.failure;
    if (ref.empty()) ref_label = "no reference";
  }

  std::vector<Run> runs(run_list.size());
  for (size_t k = 0; k < run_list.size(); ++k) {
    solve_row(*run_list[k], prec, opt, p, in, runs[k]);
    Run& r = runs[k];
    if (r.ok && !ref.empty()) {
      r.digits = lre(r.x, ref);
      r.forward_error = forward_error(r.x, ref);
    }
  }
  const bool any_ok = std::any_of(runs.begin(), runs.end(), [](const Run& r) { return r.ok; });

  const char* xf = x_format(prec);
  if (args.flag("json")) {
    std::string out = "[";
    for (size_t k = 0; k < runs.size(); ++k) {
      const Run& r = runs[k];
      JsonObject o;
      json_solver(o, *r.entry, prec);
      o.integer("m", p.m)
          .integer("n", p.n)
          .text("status", r.ok ? "ok" : "error")
          .text("error", r.error);
      json_result(o, r, xf, r.ok && r.info.converged);
      o.integer("threads", r.info.threads)
          .text("note", r.info.note)
          .number("digits", r.digits, "%.3f")
          .text("digits_vs", ref_source)
          .number("forward_error", r.forward_error);
      out += std::string(k ? ",\n " : "") + o.dump();
    }
    out += "]\n";
    std::fputs(out.c_str(), stdout);
  } else {
    std::printf("data: %s (m = %lld, n = %lld), precision %s\n", args.str("input").c_str(),
                static_cast<long long>(p.m), static_cast<long long>(p.n), to_string(prec));
    // Conditioning explains the digits column (lsgd::conditioning: the one definition and
    // computation, also behind --stats); cheap next to the solves unless A is huge.
    if (conditioning_affordable(p)) {
      const Conditioning c =
          in.problem == &p && in.have_conditioning ? in.conditioning : conditioning(p);
      if (c.sigma_min > 0.0) {
        const double lk = std::log10(c.kappa_scaled);
        std::printf(
            "kappa(A) = %.4g, %.4g with unit-norm columns: backward-stable and "
            "column-equilibrated solvers may lose about %.1f digits (more with a large "
            "residual), the normal equations and gradient descent (kappa^2) about %.1f, of "
            "%.1f (%s).\n",
            c.kappa, c.kappa_scaled, lk, 2 * lk,
            -std::log10(prec == Precision::f32 ? eps<float>() : eps<double>()), to_string(prec));
      } else {
        std::printf("kappa(A) = inf: A is rank deficient (minimum-norm / basic solutions differ).\n");
      }
      if (in.standard != nullptr && in.have_conditioning) {
        std::printf("standardized (--standardize): kappa = %.4g, %.4g with unit-norm columns.\n",
                    in.conditioning.kappa, in.conditioning.kappa_scaled);
      }
    }
    std::printf("\n");
    size_t w = 6;
    for (const auto& r : runs) w = std::max(w, r.entry->name.size());
    std::printf("%s  %-10s  %-12s  %-12s  %-6s  %-7s  %s\n", pad("solver", w).c_str(), "time (s)",
                "||b-Ax||", "normal-eq", "digits", "iters", "status");
    for (const auto& r : runs) {
      std::string digits = "-";
      if (r.ok && std::isfinite(r.digits)) digits = fmt("%.1f", r.digits);
      std::string status = !r.ok ? r.error : r.info.converged ? "ok" : "not converged";
      if (r.ok && r.entry->is_iterative() && r.info.converged) {
        const double err = iterative_error(r);
        if (!std::isnan(err)) {
          status = err <= trust_limit(opt) ? "ok; error bound " + fmt("%.1e", err)
                                           : "NOT TRUSTWORTHY: error bound " + fmt("%.1e", err);
        }
      }
      if (r.ok && !r.info.converged) {
        status = one_line(not_converged_text(opt.max_iters, r.info.note));
      } else if (r.ok && !r.info.note.empty()) {
        status += "; " + one_line(r.info.note);
      }
      std::printf("%s  %-10s  %-12s  %-12s  %-6s  %-7s  %s\n", pad(r.entry->name, w).c_str(),
                  r.ok ? fmt("%.3e", r.time_s).c_str() : "-",
                  r.ok ? fmt("%.4e", r.residual).c_str() : "-",
                  r.ok ? fmt("%.3e", r.ne_residual).c_str() : "-", digits.c_str(),
                  r.ok ? iterations_text(r).c_str() : "-", status.c_str());
    }
    std::printf("\ndigits: %s", ref_label.c_str());
    if (!ref_failure.empty()) std::printf(" -- unavailable: %s", ref_failure.c_str());
    std::printf(".\nnormal-eq: ||A^T(b - Ax)|| / (||A||_F (||A||_F ||x|| + ||b||)), about eps for a "
                "backward-stable solver. iters: iterations, or refinement steps of a direct solver; * = not "
                "converged.\n");
    if (!skipped.empty()) {
      std::string names;
      for (const auto& s : skipped) names += (names.empty() ? "" : ", ") + s;
      std::printf("not run (not available here: %s): %s\n", one_line(describe_device()).c_str(),
                  names.c_str());
    }
  }
  if (runs.empty()) throw InvalidInput("no available solver supports " + std::string(to_string(prec)));
  if (!any_ok) throw NumericalError("every solver failed on " + args.str("input") + " (see the table)");
  return 0;
}

}  // namespace

int run_solve(const std::vector<std::string>& argv) {
  Args args("solve", kSummary, solve_options());
  if (!args.parse(argv)) {
    std::fputs(args.usage().c_str(), stdout);
    return 0;
  }
  const std::string input = args.required("input");
  const std::string name = args.required("solver");
  const Precision prec = args.choice("precision", "f64", {"f32", "f64"}) == "f32" ? Precision::f32
                                                                                   : Precision::f64;
  const SolverOptions opt = solver_options(args);
  const CsvOptions csv = csv_options(args);
  // mpi.* solvers: MPI first, so that every later error is reported once (by rank 0).
  if (const SolverEntry* e = default_registry().find(name);
      e != nullptr && e->backend == Backend::mpi && mpi::enabled()) {
    mpi::init();
  }

  // Everything the command line alone can rule out is a usage error, checked before any reading.
  check_distinct_files("solve",
                       {{"input", input}, {"b", args.str("b")}, {"reference", args.str("reference")}},
                       {{"output", args.str("output")}});
  const Registry& reg = default_registry();
  const SolverEntry* entry = nullptr;
  if (name != "all") {
    entry = reg.find(name);
    if (entry == nullptr) {
      throw UsageError("solve: unknown solver '" + name + "'; known: " + known_solvers(reg));
    }
    if (entry->is_batched()) {
      throw UsageError("solve: '" + name + "' is a " + to_string(entry->kind) +
                       " solver: batched solvers take generated batches; see lsgd gen/bench");
    }
    if (!entry->supports(prec)) {
      throw UsageError("solve: '" + name + "' does not support " + to_string(prec) +
                       (entry->f32 || entry->f64 ? std::string(" (try --precision ") +
                                                       (entry->f64 ? "f64)" : "f32)")
                                                 : std::string()));
    }
    if (!entry->available()) throw DeviceError(unavailable_message(*entry));
  }

  const bool standardize = args.flag("standardize");
  if (standardize && opt.ridge_lambda > 0.0) {
    throw UsageError(
        "solve: --standardize with --lambda: the penalty would fall on the "
        "standardized coefficients, another problem than the one asked; drop one");
  }
  if (standardize && entry != nullptr && entry->backend == Backend::mpi) {
    throw UsageError(
        "solve: --standardize needs the whole data in one process, not an mpi.* "
        "solver (each rank holds only its rows)");
  }

  check_threads_can_start(opt.threads);
  if (entry != nullptr && entry->backend == Backend::mpi) {
    return solve_distributed(args, *entry, prec, opt, csv);
  }
  std::vector<std::string> notes;
  const Problem<double> p = read_problem(input, csv, args.str("b"), &notes);
  print_notes(notes);
  if (prec == Precision::f32) check_fits_f32(input, args.str("b"), p);
  std::vector<double> reference;
  if (args.has("reference")) {
    const std::string ref_path = args.str("reference");
    reference = read_vector(ref_path);
    if (reference.size() != static_cast<size_t>(p.n)) {
      throw InvalidInput(ref_path + ": " + std::to_string(reference.size()) +
                         " values, but the problem has n = " + std::to_string(p.n) +
                         " coefficients" + (csv.intercept ? " (including the intercept)" : ""));
    }
  }
  check_constant_columns(p, csv.intercept);
  Solved in;
  Standardization standard;
  in.problem = &p;
  if (standardize) {
    standard = standardize_problem(p);
    in.problem = &standard.problem;
    in.standard = &standard;
  }
  // sigma_min for the error bounds of iterative solvers and the kappa line of --solver all.
  if ((entry == nullptr || entry->is_iterative()) && conditioning_affordable(p)) {
    try {
      in.conditioning = conditioning(*in.problem);
      in.have_conditioning = true;
    } catch (const NumericalError&) {
      in.have_conditioning = false;  // the solvers' own estimates decide
    }
  }
  if (entry == nullptr) return solve_all(args, prec, opt, p, in, reference);
  try {
    return solve_single(args, *entry, prec, opt, p, in, reference);
  } catch (const NumericalError& e) {
    throw NumericalError(with_column_names(e.what(), p.column_names));
  }
}

}  // namespace lsgd::cli
