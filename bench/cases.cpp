#include "bench/cases.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <exception>
#include <limits>
#include <map>
#include <memory>
#include <sstream>
#include <vector>

#include "bench/bench_runner.hpp"
#include "bench/entry_fields.hpp"
#include "bench/gpu_bench.hpp"
#include "bench/machine_state.hpp"
#include "bench/presets.hpp"
#include "lsgd/metrics.hpp"
#include "lsgd/reference.hpp"

namespace lsgd::bench {
namespace {

struct Accuracy {
  double rel_err = 0.0;   // batched: max over the solved problems
  double ne_resid = 0.0;  // batched: max over the solved problems
  int iters = 0;          // batched: max over the batch
  index_t failed = 0;     // batched: problems whose status is not kSolved
  double digits = 0.0;    // acc: -log10 of the forward error against lstsq_reference, in [0, 16]
  bool converged = true;  // acc: the solver's own verdict (iterative: tolerance reached)
};

// The solver of the benchmark now running, kept across Google Benchmark's repeated calls of the
// same benchmark (it calls the body once per iteration-count trial), so setup, warm-up and the
// accuracy check happen once per benchmark. Members are destroyed solver first, then the problem
// it may point to.
struct Prepared {
  std::string key;
  std::shared_ptr<const void> problem;
  std::unique_ptr<SolverBase> solver;
  Accuracy acc;
  double flops = 0.0;  // per solve
  double bytes = 0.0;  // per solve
};

Prepared& prepared() {
  static Prepared p;
  return p;
}

bool batched_family(Family f) { return f == Family::bls || f == Family::bgd; }
double elem_bytes(Precision p) { return p == Precision::f32 ? 4.0 : 8.0; }

std::string fmt(double v) {
  std::ostringstream os;
  os.precision(3);
  os << v;
  return os.str();
}

template <typename T>
Accuracy single_accuracy(const Problem<T>& p, const std::vector<T>& x, const SolveInfo& info) {
  if (x.size() != static_cast<size_t>(p.n)) {
    throw InvalidInput("solution() returned " + std::to_string(x.size()) + " entries for n = " +
                       std::to_string(p.n));
  }
  Accuracy a;
  a.rel_err = forward_error(x, p.x_true);
  a.ne_resid = normal_eq_residual(p, x);
  a.iters = info.iterations;
  if (!std::isfinite(a.rel_err) || !std::isfinite(a.ne_resid)) {
    throw NumericalError("non-finite solution (rel_err = " + fmt(a.rel_err) +
                         ", ne_resid = " + fmt(a.ne_resid) + ")");
  }
  return a;
}

template <typename T>
Accuracy batch_accuracy(const BatchedProblem<T>& p, const std::vector<T>& x, const SolveInfo& info) {
  const index_t batch = p.batch, n = p.n;
  if (x.size() != static_cast<size_t>(batch * n)) {
    throw InvalidInput("solution() returned " + std::to_string(x.size()) + " entries for batch " +
                       std::to_string(batch) + " x n = " + std::to_string(n));
  }
  const std::vector<int>& status = info.problem_status;
  if (!status.empty() && status.size() != static_cast<size_t>(batch)) {
    throw InvalidInput("problem_status has " + std::to_string(status.size()) +
                       " entries for a batch of " + std::to_string(batch));
  }
  std::vector<double> fe(static_cast<size_t>(batch), 0.0), nr(static_cast<size_t>(batch), 0.0);
  std::vector<char> solved(static_cast<size_t>(batch), 1);
#pragma omp parallel for schedule(dynamic, 16)
  for (index_t q = 0; q < batch; ++q) {
    const size_t i = static_cast<size_t>(q);
    if (!status.empty() && status[i] != kSolved) {
      solved[i] = 0;
      continue;
    }
    try {  // nothing may leave an OpenMP region
      const Problem<T> pq = p.extract(q);
      const std::vector<T> xq(x.begin() + q * n, x.begin() + (q + 1) * n);
      fe[i] = forward_error(xq, pq.x_true);
      nr[i] = normal_eq_residual(pq, xq);
    } catch (...) {
      fe[i] = nr[i] = std::numeric_limits<double>::quiet_NaN();
    }
  }
  Accuracy a;
  for (index_t q = 0; q < batch; ++q) {
    const size_t i = static_cast<size_t>(q);
    if (!solved[i]) {
      ++a.failed;
      continue;
    }
    if (!std::isfinite(fe[i]) || !std::isfinite(nr[i])) {
      throw NumericalError("problem " + std::to_string(q) + " is reported solved but its solution " +
                           "is not finite (rel_err = " + fmt(fe[i]) + ")");
    }
    a.rel_err = std::max(a.rel_err, fe[i]);
    a.ne_resid = std::max(a.ne_resid, nr[i]);
  }
  if (a.failed == batch) {
    throw NumericalError("all " + std::to_string(batch) + " problems failed (status " +
                         std::to_string(status.empty() ? 0 : status[0]) + " for problem 0)");
  }
  a.iters = info.iterations;
  for (int k : info.problem_iterations) a.iters = std::max(a.iters, k);
  return a;
}

void set_costs(const Case& c, Prepared& out) {
  const double m = static_cast<double>(c.spec.m), n = static_cast<double>(c.spec.n);
  const double batch = c.spec.batch > 0 ? static_cast<double>(c.spec.batch) : 1.0;
  const double eb = elem_bytes(c.precision);
  if (c.entry->is_iterative()) {
    const double k = out.acc.iters > 0 ? out.acc.iters : c.iters;
    out.flops = batch * flops_gd_iter(m, n) * k;
    out.bytes = batch * m * n * eb * k;
  } else {
    out.flops = batch * model_flops(*c.entry, m, n);
    out.bytes = batch * bytes_ls(m, n, eb);
  }
}

// gd / bgd / ls / bls: setup and one warm-up solve, then the accuracy of that solve.
template <typename T>
void prepare_throughput(const Case& c, Prepared& out) {
  SolverOptions opt;
  opt.gpu_mode = c.mode;
  if (c.entry->is_iterative()) {
    opt.tol = 0.0;  // exactly c.iters iterations
    opt.max_iters = c.iters;
  }
  if (batched_family(c.family)) {
    auto p = get_batch<T>(c.spec);
    auto s = c.entry->make_batched<T>(opt);
    s->setup(*p);
    s->timed_solve();
    out.acc = batch_accuracy(*p, s->solution(), s->info());
    out.problem = p;
    out.solver = std::move(s);
  } else {
    auto p = get_problem<T>(c.spec);
    auto s = c.entry->make<T>(opt);
    s->setup(*p);
    s->timed_solve();
    out.acc = single_accuracy(*p, s->solution(), s->info());
    out.problem = p;
    out.solver = std::move(s);
  }
}

// Forward errors after k iterations, per (solver, precision, problem): the two targets of a
// problem share their probes.
std::map<int, double>& probe_memo(const std::string& key) {
  static std::string memo_key;
  static std::map<int, double> memo;
  if (memo_key != key) {
    memo.clear();
    memo_key = key;
  }
  return memo;
}

template <typename T>
int find_iterations(const Case& c, const Problem<T>& p) {
  std::ostringstream key;
  key << c.entry->name << '/' << sizeof(T) << '/' << c.spec.m << '/' << c.spec.n << '/'
      << c.spec.kappa_A;
  std::map<int, double>& memo = probe_memo(key.str());
  const auto err = [&](int k) {
    const auto it = memo.find(k);
    if (it != memo.end()) return it->second;
    SolverOptions opt;
    opt.tol = 0.0;
    opt.max_iters = k;
    auto s = c.entry->make<T>(opt);
    s->setup(p);
    s->timed_solve();
    double e = forward_error(s->solution(), p.x_true);
    if (!std::isfinite(e)) e = std::numeric_limits<double>::infinity();
    memo[k] = e;
    return e;
  };
  // Doubling to bracket the first power of two that reaches the target, then bisection to ~1.5%.
  const int cap = c.max_iters;
  int lo = 0, hi = 0;
  for (int k = 1;; k = std::min(2 * k, cap)) {
    if (err(k) <= c.target) {
      hi = k;
      break;
    }
    lo = k;
    if (k >= cap) {
      throw NumericalError("target not reached in " + std::to_string(cap) +
                           " iterations (rel_err = " + fmt(err(cap)) + ")");
    }
  }
  while (hi - lo > std::max(1, hi / 64)) {
    const int mid = lo + (hi - lo) / 2;
    if (err(mid) <= c.target) hi = mid;
    else lo = mid;
  }
  return hi;
}

template <typename T>
void prepare_tta(const Case& c, Prepared& out) {
  auto p = get_problem<T>(c.spec);
  SolverOptions opt;
  opt.gpu_mode = GpuMode::resident;
  if (c.entry->is_iterative()) {
    opt.tol = 0.0;
    opt.max_iters = find_iterations(c, *p);
  }
  auto s = c.entry->make<T>(opt);
  s->setup(*p);
  s->timed_solve();
  out.acc = single_accuracy(*p, s->solution(), s->info());
  if (out.acc.rel_err > c.target) {
    throw NumericalError(c.entry->is_iterative()
                             ? "target not reached in " + std::to_string(opt.max_iters) +
                                   " iterations on the timed run (rel_err = " +
                                   fmt(out.acc.rel_err) + ")"
                             : "target not reached by the direct solve (rel_err = " +
                                   fmt(out.acc.rel_err) + ")");
  }
  out.problem = p;
  out.solver = std::move(s);
}

// The quad-precision reference of the acc family's problem (one per problem: kept while the
// consecutive benchmarks of a kappa share the problem).
template <typename T>
const std::vector<double>& acc_reference(const ProblemSpec& spec, const Problem<T>& p) {
  static std::string key;
  static std::vector<double> ref;
  std::ostringstream k;
  k << sizeof(T) << '/' << spec.m << '/' << spec.n << '/' << spec.kappa_A << '/' << spec.noise;
  if (key != k.str()) {
    key.clear();
    ref = lstsq_reference(p);
    key = k.str();
  }
  return ref;
}

// acc: one solve, graded against the exact least-squares solution of the rounded data. Iterative
// solvers run to acc_tol or their cap (c.iters); not converging is a result here, not an error.
template <typename T>
void prepare_acc(const Case& c, Prepared& out) {
  auto p = get_problem<T>(c.spec);
  const std::vector<double>& ref = acc_reference(c.spec, *p);
  SolverOptions opt;
  opt.gpu_mode = GpuMode::resident;
  if (c.entry->is_iterative()) {
    opt.max_iters = c.iters;
    opt.tol = acc_tol(c.precision);
  }
  auto s = c.entry->make<T>(opt);
  s->setup(*p);
  s->timed_solve();
  const std::vector<T> x = s->solution();
  out.acc = single_accuracy(*p, x, s->info());  // throws on a non-finite solution
  out.acc.rel_err = forward_error(x, ref);
  out.acc.digits = std::min(16.0, std::max(0.0, -std::log10(std::max(out.acc.rel_err, 1e-300))));
  out.acc.converged = s->info().converged;
  out.problem = p;
  out.solver = std::move(s);
}

Prepared& prepare(const Case& c) {
  Prepared& p = prepared();
  if (p.key == c.name && p.solver) return p;
  p = Prepared{};  // release the previous benchmark's solver and problem first
  Prepared next;
  const bool f32 = c.precision == Precision::f32;
  if (c.family == Family::tta) {
    if (f32) prepare_tta<float>(c, next);
    else prepare_tta<double>(c, next);
  } else if (c.family == Family::acc) {
    if (f32) prepare_acc<float>(c, next);
    else prepare_acc<double>(c, next);
  } else {
    if (f32) prepare_throughput<float>(c, next);
    else prepare_throughput<double>(c, next);
  }
  set_costs(c, next);
  next.key = c.name;
  p = std::move(next);
  return p;
}

// CPU cold runs: write a buffer of 3x the last-level cache.
void flush_cpu_caches() {
  static std::vector<char> scratch = [] {
    long llc = sysconf(_SC_LEVEL3_CACHE_SIZE);
    if (llc <= 0) llc = 32L << 20;
    return std::vector<char>(static_cast<size_t>(3 * llc));
  }();
  static char value = 0;
  std::memset(scratch.data(), ++value, scratch.size());
  benchmark::ClobberMemory();
}

}  // namespace

// The registry's field (no solver-name sniffing).
const char* flop_model(const SolverEntry& e) { return to_string(e.flop_model); }

double model_flops(const SolverEntry& e, double m, double n) {
  switch (e.flop_model) {
    case FlopModel::cholesky: return flops_cholesky_ls(m, n);
    case FlopModel::svd: return flops_svd_ls(m, n);
    case FlopModel::gd_iter: return flops_gd_iter(m, n);
    case FlopModel::qr: break;
  }
  return flops_qr_ls(m, n);
}

double estimate_seconds(const Case& c, const Ceilings& ce) {
  const bool f64 = c.precision == Precision::f64;
  const double gemm = ce.gemm(c.gpu, f64) * 1e9, copy = ce.copy(c.gpu) * 1e9;
  if (gemm <= 0.0 || copy <= 0.0) return 0.0;
  const double m = static_cast<double>(c.spec.m), n = static_cast<double>(c.spec.n);
  const double batch = c.spec.batch > 0 ? static_cast<double>(c.spec.batch) : 1.0;
  const double eb = elem_bytes(c.precision);
  double s = 0.0;
  if (c.entry->is_iterative()) {
    const double k = c.family == Family::tta ? c.max_iters : c.iters;
    // A read once per iteration at about half the copy rate, or the 4mn flops at a quarter of
    // GEMM speed when A sits in cache.
    s = k * std::max(batch * m * n * eb / (0.5 * copy),
                     batch * flops_gd_iter(m, n) / (0.25 * gemm));
  } else {
    // Factorizations reach a fraction of GEMM speed (0.2 is deliberately pessimistic); SVDs,
    // dominated by their bidiagonalization's matrix-vector work, far less.
    const double efficiency = c.entry->flop_model == FlopModel::svd ? 0.05 : 0.2;
    s = batch * model_flops(*c.entry, m, n) / (efficiency * gemm) +
        batch * bytes_ls(m, n, eb) / copy;
  }
  if (c.gpu && c.mode == GpuMode::end_to_end) s += problem_bytes(c.spec, eb) / 20e9;  // PCIe
  return s;
}

void release_prepared() { prepared() = Prepared{}; }

namespace {

// Times solves until the rule of bench_config.hpp (stop_reason) says stop. Throws what
// timed_solve() throws.
RepStats repeat_solves(Prepared& prep, const Case& c, const Config& config) {
  RepStats st;
  const StopRule rule = stop_rule(config);
  const auto t0 = std::chrono::steady_clock::now();
  for (;;) {
    if (config.cold) {
      if (c.gpu) flush_gpu_l2();
      else flush_cpu_caches();
    }
    const double t = prep.solver->timed_solve();
    if (!(t > 0.0) || !std::isfinite(t)) {
      throw NumericalError("timed_solve() returned " + fmt(t) + " s");
    }
    st.samples.push_back(t);
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const char* why = stop_reason(rule, static_cast<int>(st.samples.size()), wall, st.rse());
    if (*why != '\0') {
      st.stop = why;
      break;
    }
  }
  return st;
}

// The roofline of a GD entry: achieved rates against the compute ceiling (the FMA peak of the
// build on CPU; GPUs have no FMA ceiling measured, their GEMM stands in) and the memory ceilings,
// and the attainable rate min(compute, flops / memory_bytes * read). memory_bytes counts A once
// per iteration, or once per solve for a batched problem that fits a core's L2 (cpu.bgd keeps it
// there across its iterations: bench/NOTES.md (roofline)).
Roofline roofline_of(const Case& c, const RunEnv& env, double flops, double bytes, int iters,
                     double seconds) {
  Roofline r;
  const bool f64 = c.precision == Precision::f64;
  r.gflops = flops / seconds * 1e-9;
  r.gbps = bytes / seconds * 1e-9;
  if (c.gpu) {
    r.compute_kind = f64 ? "gpu_gemm_f64" : "gpu_gemm_f32";
    r.compute_GFLOPs = env.ceilings.gemm(true, f64);
    r.copy_GBps = r.read_GBps = env.ceilings.copy(true);
  } else {
    r.compute_kind = f64 ? "cpu_fma_f64" : "cpu_fma_f32";
    r.compute_GFLOPs = env.ceilings.fma(f64);
    r.copy_GBps = env.ceilings.copy(false);
    r.read_GBps = env.ceilings.cpu_read_GBps;
  }
  static const double l2 = [] {
    const long v = sysconf(_SC_LEVEL2_CACHE_SIZE);
    return v > 0 ? static_cast<double>(v) : 1048576.0;
  }();
  const double problem = static_cast<double>(c.spec.m) * static_cast<double>(c.spec.n) *
                         elem_bytes(c.precision);
  const bool resident = c.family == Family::bgd && !c.gpu && problem <= l2;
  r.memory_bytes = resident || iters <= 0 ? bytes / std::max(1, iters) : bytes;
  const double memory_roof =
      r.memory_bytes > 0.0 && r.read_GBps > 0.0 ? flops / r.memory_bytes * r.read_GBps : 0.0;
  if (r.compute_GFLOPs > 0.0 && (memory_roof <= 0.0 || r.compute_GFLOPs <= memory_roof)) {
    r.roof_GFLOPs = r.compute_GFLOPs;
    r.bound = "compute";
  } else if (memory_roof > 0.0) {
    r.roof_GFLOPs = memory_roof;
    r.bound = "memory";
  }
  return r;
}

}  // namespace

void run_case(benchmark::State& state, const Case& c, const RunEnv& env) {
  EntryResult result;
  if (const EntryFields* f = registered_fields(c.name)) result.fields = *f;
  result.machine.before = sample_cpu();
  // Recorded for every run, failed or not, so that the reporter pairs results with runs in order.
  const auto finish = [&]() {
    EntryMachine& mc = result.machine;
    mc.after = sample_cpu();
    if (c.gpu) mc.gpu = sample_gpu();
    else mc.gpu.error = "CPU solver: not sampled";
    mc.other_cpu = other_cpu_share(mc.before, mc.after);
    const std::string busy = busy_reason(mc.other_cpu);
    if (!busy.empty()) mc.flags.push_back("busy: " + busy);
    const std::string cpu_thr = cpu_throttle_reason(mc.after);
    if (!cpu_thr.empty()) mc.flags.push_back("throttled: " + cpu_thr);
    const std::string gpu_thr = gpu_throttle_reason(mc.gpu);
    if (!gpu_thr.empty()) mc.flags.push_back("throttled: " + gpu_thr);
    push_result(c.name, std::move(result));
  };
  Prepared* prep = nullptr;
  try {
    prep = &prepare(c);
  } catch (const std::exception& e) {
    release_prepared();
    state.SkipWithError(e.what());
    finish();
    return;
  }
  bool failed = false;
  for (auto _ : state) {  // Iterations(1): once
    try {
      result.stats = repeat_solves(*prep, c, env.config);
      result.has_stats = true;
      // The median: the one estimator of every table and ratio (tools/lsgd_results.py).
      state.SetIterationTime(result.stats.median());
    } catch (const std::exception& e) {
      state.SkipWithError(e.what());
      failed = true;
      break;
    }
  }
  if (failed || !result.has_stats) {
    if (failed) release_prepared();
    finish();
    return;
  }
  const double median = result.stats.median();
  const bool f64 = c.precision == Precision::f64;
  const double gflops = prep->flops / median * 1e-9;
  const double gbps = prep->bytes / median * 1e-9;
  // Factorizations are compute-bound (against GEMM); GD streams A (against the copy bandwidth).
  const bool bandwidth_bound = c.entry->is_iterative();
  const double peak = bandwidth_bound ? env.ceilings.copy(c.gpu) : env.ceilings.gemm(c.gpu, f64);
  state.counters["GFLOP/s"] = gflops;
  state.counters["GB/s"] = gbps;
  if (peak > 0.0) state.counters["pct_peak"] = 100.0 * (bandwidth_bound ? gbps : gflops) / peak;
  state.counters["rel_err"] = prep->acc.rel_err;
  state.counters["ne_resid"] = prep->acc.ne_resid;
  state.counters["iters"] = prep->acc.iters;
  state.counters["reps"] = static_cast<double>(result.stats.samples.size());
  state.counters["rse_pct"] = 100.0 * result.stats.rse();
  if (batched_family(c.family)) state.counters["failed"] = static_cast<double>(prep->acc.failed);
  if (c.family == Family::tta) {
    state.counters["target"] = c.target;
    state.counters["kappa"] = c.kappa_H;
  }
  if (c.family == Family::acc) {
    state.counters["digits"] = prep->acc.digits;
    state.counters["kappa_A"] = c.spec.kappa_A;
    state.counters["converged"] = prep->acc.converged ? 1.0 : 0.0;
  }
  result.fields.flops = prep->flops;
  result.fields.bytes = prep->bytes;
  if (c.entry->is_iterative()) result.fields.iterations = prep->acc.iters;
  if (c.family == Family::gd || c.family == Family::bgd) {
    const Roofline& rl = result.fields.roofline =
        roofline_of(c, env, prep->flops, prep->bytes, prep->acc.iters, median);
    if (rl.compute_GFLOPs > 0.0) state.counters["pct_fma"] = 100.0 * rl.gflops / rl.compute_GFLOPs;
    if (rl.read_GBps > 0.0) state.counters["pct_read"] = 100.0 * rl.gbps / rl.read_GBps;
    if (rl.roof_GFLOPs > 0.0) state.counters["pct_roof"] = 100.0 * rl.gflops / rl.roof_GFLOPs;
  }
  finish();
}

}  // namespace lsgd::bench
