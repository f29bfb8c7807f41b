#include "python/src/solve.hpp"

#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <memory>
#include <sstream>

#include "lsgd/device.hpp"
#include "lsgd/error.hpp"
#include "lsgd/metrics.hpp"
#include "lsgd/registry.hpp"
#include "lsgd/stats.hpp"
#include "python/src/arrays.hpp"
#include "common/stats_text.hpp"

namespace lsgd::py {
namespace {

std::string dtype_word(Precision p) { return p == Precision::f32 ? "float32" : "float64"; }

const SolverEntry& find_solver(const std::string& name, const std::string& fn, bool batched,
                               bool iterative_only) {
  const SolverEntry& e = default_registry().get(name);  // InvalidInput listing every name
  if (e.is_batched() != batched) {
    throw nb::value_error((fn + ": '" + name + "' is a " + to_string(e.kind) + " solver; " +
                           (batched ? "use lsgd.lstsq or lsgd.gd for one problem"
                                    : "use lsgd.lstsq_batched or lsgd.gd_batched with a "
                                      "(batch, m, n) stack"))
                              .c_str());
  }
  if (iterative_only && !e.is_iterative()) {
    throw nb::value_error((fn + ": '" + name + "' is a " + to_string(e.kind) +
                           " solver, not gradient descent; use " +
                           (batched ? "lsgd.lstsq_batched" : "lsgd.lstsq") + " for it")
                              .c_str());
  }
  return e;
}

void require_precision(const SolverEntry& e, Precision p, const std::string& fn) {
  if (e.supports(p)) return;
  throw nb::type_error((fn + ": '" + e.name + "' does not support " + dtype_word(p) + " input" +
                        (e.f32 || e.f64 ? " (it takes " + dtype_word(e.f64 ? Precision::f64
                                                                           : Precision::f32) +
                                              ")"
                                        : std::string()))
                           .c_str());
}

// The CLI's message for a solver that cannot run here (tools/cli_solve.cpp).
void require_available(const SolverEntry& e) {
  if (e.available()) return;
  std::string why =
      e.backend == Backend::cuda && !gpu_available() ? describe_device() : e.unavailable_reason;
  if (why.empty()) why = "not available on this machine";
  throw DeviceError("solver '" + e.name + "' cannot run here: " + why);
}

// Host arrays go to every solver; CUDA arrays (DLPack) are refused with the way out.
void require_host(const Input& A, const Input& b, const SolverEntry& e, const std::string& fn) {
  for (const Input* x : {&A, &b}) {
    if (on_host(*x)) continue;
    std::string msg = fn + ": " + x->name + " is ";
    if (on_cuda(*x)) {
      msg += "a CUDA device array; lsgd's solvers take host arrays (copy it with .cpu() / "
             "numpy.asarray(...))";
      if (e.backend == Backend::cuda) {
        msg += ": this build has no device-array input for " + e.name +
               " yet (docs/python.md, 'Device arrays')";
      }
    } else {
      msg += "on DLPack device type " + std::to_string(x->a.device_type()) +
             "; lsgd reads host (CPU) arrays";
    }
    throw nb::value_error(msg.c_str());
  }
}

index_t dim(const Input& x, size_t i) { return static_cast<index_t>(x.a.shape(i)); }

// Per right-hand side, what the result reports.
struct Column {
  double residual = 0.0, ne_residual = 0.0;
  SolveInfo info;
};

template <typename T>
nb::dict solve_host(const Input& A, const Input& b, const SolverEntry& e, const SolverOptions& opt) {
  const index_t m = dim(A, 0), n = dim(A, 1);
  const bool matrix_b = b.a.ndim() == 2;
  const index_t k = matrix_b ? dim(b, 1) : 1;
  std::vector<T> x_all(static_cast<size_t>(n * k));
  std::vector<Column> cols(static_cast<size_t>(k));
  double seconds = 0.0;
  {
    nb::gil_scoped_release release;
    Problem<T> p = host_problem<T>(A, b, m, n, matrix_b ? 0 : -1);
    std::unique_ptr<Solver<T>> s = e.make<T>(opt);
    for (index_t c = 0; c < k; ++c) {
      if (c > 0) copy_column<T>(b, m, c, p.b.data());
      s->setup(p);
      seconds += s->timed_solve();
      const std::vector<T> x = s->solution();
      if (x.size() != static_cast<size_t>(n)) {
        throw Error(e.name + ": solution has " + std::to_string(x.size()) +
                    " entries, expected n = " + std::to_string(n));
      }
      for (index_t j = 0; j < n; ++j) x_all[static_cast<size_t>(j * k + c)] = x[static_cast<size_t>(j)];
      Column& col = cols[static_cast<size_t>(c)];
      col.info = s->info();
      col.residual = residual_norm(p, x);
      col.ne_residual = normal_eq_residual(p, x);
    }
  }
  nb::list residual, ne_residual, iterations, converged, note, history;
  for (const Column& c : cols) {
    residual.append(c.residual);
    ne_residual.append(c.ne_residual);
    iterations.append(c.info.iterations);
    converged.append(c.info.converged);
    note.append(c.info.note);
    history.append(c.info.loss_history);
  }
  nb::dict d;
  d["x"] = matrix_b ? to_numpy<T>(std::move(x_all), {static_cast<size_t>(n), static_cast<size_t>(k)})
                    : to_numpy<T>(std::move(x_all), {static_cast<size_t>(n)});
  d["residual_norm"] = residual;
  d["normal_eq_residual"] = ne_residual;
  d["iterations"] = iterations;
  d["converged"] = converged;
  d["note"] = note;
  d["loss_history"] = history;
  d["history_every"] = cols.empty() ? 0 : cols[0].info.history_every;
  d["threads"] = cols.empty() ? 1 : cols[0].info.threads;
  d["time_s"] = seconds;
  return d;
}

template <typename T>
nb::dict solve_batched_host(const Input& A, const Input& b, const SolverEntry& e,
                            const SolverOptions& opt) {
  const index_t batch = dim(A, 0), m = dim(A, 1), n = dim(A, 2);
  std::vector<T> x;
  std::vector<double> residual(static_cast<size_t>(batch));
  SolveInfo info;
  double seconds = 0.0;
  {
    nb::gil_scoped_release release;
    BatchedProblem<T> p;
    p.batch = batch;
    p.m = m;
    p.n = n;
    p.A.resize(static_cast<size_t>(batch * m * n));
    p.b.resize(static_cast<size_t>(batch * m));
    copy_stack<T>(A, batch, m, n, p.A.data());
    copy_rows<T>(b, batch, m, p.b.data());
    std::unique_ptr<BatchedSolver<T>> s = e.make_batched<T>(opt);
    s->setup(p);
    seconds = s->timed_solve();
    x = s->solution();
    info = s->info();
    if (x.size() != static_cast<size_t>(batch * n)) {
      throw Error(e.name + ": solution has " + std::to_string(x.size()) +
                  " entries, expected batch * n = " + std::to_string(batch * n));
    }
    for (index_t q = 0; q < batch; ++q) {
      const std::vector<T> xq(x.begin() + q * n, x.begin() + (q + 1) * n);
      residual[static_cast<size_t>(q)] = residual_norm(p.extract(q), xq);
    }
  }
  std::vector<std::int32_t> status(static_cast<size_t>(batch), kSolved);
  std::vector<std::int32_t> iters(static_cast<size_t>(batch), 0);
  for (size_t q = 0; q < status.size(); ++q) {
    if (q < info.problem_status.size()) status[q] = info.problem_status[q];
    if (q < info.problem_iterations.size()) iters[q] = info.problem_iterations[q];
  }
  const auto bs = static_cast<size_t>(batch);
  nb::dict d;
  d["x"] = to_numpy<T>(std::move(x), {bs, static_cast<size_t>(n)});
  d["residual_norm"] = to_numpy<double>(std::move(residual), {bs});
  d["status"] = to_numpy<std::int32_t>(std::move(status), {bs});
  d["iterations"] = to_numpy<std::int32_t>(std::move(iters), {bs});
  d["note"] = info.note;
  d["threads"] = info.threads;
  d["time_s"] = seconds;
  return d;
}

void require_same_rows(const Input& b, size_t axis, index_t m, const char* what,
                       const std::string& fn) {
  if (dim(b, axis) == m) return;
  std::ostringstream os;
  os << fn << ": b has " << dim(b, axis) << " rows but A has " << m << " (" << what << ")";
  throw nb::value_error(os.str().c_str());
}

}  // namespace

nb::dict solve(nb::handle A_obj, nb::handle b_obj, const std::string& solver,
               const SolverOptions& opt, const std::string& fn, bool iterative_only) {
  const Input A = as_input(A_obj, "A", fn.c_str());
  const Input b = as_input(b_obj, "b", fn.c_str());
  require_ndim(A, 2, fn.c_str(), "(m, n)");
  if (b.a.ndim() != 1) require_ndim(b, 2, fn.c_str(), "(m,) or (m, k)");
  require_same_rows(b, 0, dim(A, 0), "b needs one row per row of A", fn);
  if (b.a.ndim() == 2 && dim(b, 1) == 0) {
    throw nb::value_error((fn + ": b has no columns (shape (m, 0))").c_str());
  }
  const Precision prec = precision_of(A, b, fn.c_str());
  const SolverEntry& e = find_solver(solver, fn, false, iterative_only);
  require_precision(e, prec, fn);
  require_host(A, b, e, fn);
  require_available(e);
  return prec == Precision::f32 ? solve_host<float>(A, b, e, opt) : solve_host<double>(A, b, e, opt);
}

nb::dict solve_batched(nb::handle A_obj, nb::handle b_obj, const std::string& solver,
                       const SolverOptions& opt, const std::string& fn, bool iterative_only) {
  const Input A = as_input(A_obj, "A", fn.c_str());
  const Input b = as_input(b_obj, "b", fn.c_str());
  require_ndim(A, 3, fn.c_str(), "(batch, m, n)");
  require_ndim(b, 2, fn.c_str(), "(batch, m)");
  if (dim(b, 0) != dim(A, 0)) {
    std::ostringstream os;
    os << fn << ": A holds " << dim(A, 0) << " problems but b " << dim(b, 0)
       << " right-hand sides (b has shape (batch, m))";
    throw nb::value_error(os.str().c_str());
  }
  require_same_rows(b, 1, dim(A, 1), "b[p] needs one entry per row of A[p]", fn);
  const Precision prec = precision_of(A, b, fn.c_str());
  const SolverEntry& e = find_solver(solver, fn, true, iterative_only);
  require_precision(e, prec, fn);
  require_host(A, b, e, fn);
  require_available(e);
  return prec == Precision::f32 ? solve_batched_host<float>(A, b, e, opt)
                                : solve_batched_host<double>(A, b, e, opt);
}

nb::dict stats(nb::handle A_obj, nb::handle b_obj, const std::vector<std::string>& names) {
  const char* fn = "lsgd.stats";
  const Input A = as_input(A_obj, "A", fn);
  const Input b = as_input(b_obj, "b", fn);
  require_ndim(A, 2, fn, "(m, n)");
  require_ndim(b, 1, fn, "(m,)");
  require_same_rows(b, 0, dim(A, 0), "b needs one entry per row of A", fn);
  const Precision prec = precision_of(A, b, fn);
  for (const Input* x : {&A, &b}) {
    if (!on_host(*x)) {
      throw nb::value_error((std::string(fn) + ": " + x->name + " must be a host (CPU) array").c_str());
    }
  }
  const index_t m = dim(A, 0), n = dim(A, 1);
  if (!names.empty() && names.size() != static_cast<size_t>(n)) {
    throw nb::value_error((std::string(fn) + ": names has " + std::to_string(names.size()) +
                           " entries but A has " + std::to_string(n) + " columns")
                              .c_str());
  }
  RegressionStats st;
  std::string text;
  {
    nb::gil_scoped_release release;
    // Always in double from the data as given, as `lsgd solve --stats` does for --precision f32.
    st = regression_stats(prec == Precision::f32
                              ? host_problem<float>(A, b, m, n, -1).cast<double>()
                              : host_problem<double>(A, b, m, n, -1));
    text = cli::stats_text(st, names, "", {});
  }
  nb::dict d;
  const auto p = static_cast<size_t>(st.p);
  d["m"] = st.m;
  d["p"] = st.p;
  d["df_resid"] = st.df_resid;
  d["df_model"] = st.df_model;
  d["intercept_column"] = st.intercept_column >= 0 ? nb::cast(st.intercept_column) : nb::none();
  d["coef"] = to_numpy<double>(std::vector<double>(st.coef), {p});
  d["std_err"] = to_numpy<double>(std::vector<double>(st.std_err), {p});
  d["t"] = to_numpy<double>(std::vector<double>(st.t), {p});
  d["p_value"] = to_numpy<double>(std::vector<double>(st.p_value), {p});
  d["ssr"] = st.ssr;
  d["sst"] = st.sst;
  d["residual_sd"] = st.residual_sd;
  d["r_squared"] = st.r_squared;
  d["adj_r_squared"] = st.adj_r_squared;
  d["f_statistic"] = st.f_statistic;
  d["f_p_value"] = st.f_p_value;
  d["log_likelihood"] = st.log_likelihood;
  d["aic"] = st.aic;
  d["bic"] = st.bic;
  d["condition_number"] = st.condition_number;
  d["scaled_condition_number"] = st.scaled_condition_number;
  d["covariance_refined"] = st.covariance_refined;
  d["refinement_steps"] = st.refinement_steps;
  d["converged"] = st.converged;
  d["correction"] = st.correction;
  d["note"] = st.note;
  d["summary"] = text;
  return d;
}

}  // namespace lsgd::py
