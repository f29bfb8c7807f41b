// bench_mpi: the mpi.* solvers and the ScaLAPACK peer (PDGELS/PSGELS) on rows sharded across the
// ranks of one mpirun, for strong scaling (--m is the global m) or weak scaling (--weak: --m rows
// per rank). One run measures one P; scripts/bench-mpi sweeps P and merges. Rank 0 writes Google
// Benchmark's JSON schema (the one every lsgd binary and peer writes), family "mpi":
//   mpi/<solver>/<prec>/m:<m>/n:<n>/P:<P>/scaling:<strong|weak>[/iters:<k>]
// with counters GFLOP/s, GB/s, rel_err, ne_resid, iters, P, comm_s and compute_s (the slowest
// rank's time in communication calls, and the rest of the solve). At start it measures the MPI
// latency and bandwidth by ping-pong between ranks 0 and 1 and the latency of an 8-byte
// MPI_Allreduce over all ranks (context keys mpi_*), which tools/mpi_model.py uses for its
// alpha-beta-gamma model.
//
//   mpirun -np 2 bench_mpi --m 1048576 --n 32 --iters 100 --reps 5 --out mpi_P2.json
//          [--solvers mpi.tsqr,mpi.cholesky,mpi.gd,scalapack.gels,cpu.tsqr]
//          [--nb auto|NB,NB...] [--grids auto|PRxPC,...]
// ScaLAPACK is tuned, not taken as it comes: every column block nb (auto: 4, 8, 16, 32, 64 up to n)
// on every process grid (auto: each PR x PC = P) is an entry of its own (fields nb, grid), and the
// comparisons (tools/lsgd_pairs.py) take its fastest.
#include <mpi.h>

#include <Eigen/Core>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "bench/algorithms.hpp"
#include "bench/bench_config.hpp"
#include "bench/context.hpp"
#include "bench/entry_fields.hpp"
#include "bench/machine_state.hpp"
#include "bench/scalapack_peer.hpp"
#include "lsgd/cpu_info.hpp"
#include "lsgd/error.hpp"
#include "lsgd/metrics.hpp"
#include "lsgd/mpi.hpp"
#include "lsgd/registry.hpp"
#include "mpi/mpi_common.hpp"
#include "common/text_format.hpp"

namespace lsgd::bench {
namespace {

using cli::fmt;
using cli::json_string;

struct Options {
  index_t m = index_t{1} << 20;
  index_t n = 32;
  bool weak = false;
  int iters = 100;
  int reps = 5;            // at least this many timed repetitions, then until rse < --rse
  double rse = 0.01;       // relative standard error of the mean to stop at
  double max_time = 2.0;   // seconds of repetitions after which it stops anyway
  std::vector<int> nbs;                      // empty: auto (4..64 up to n)
  std::vector<std::pair<int, int>> grids;    // empty: auto (every PR x PC = P)
  std::string prec = "f64";
  std::string preset = "full";
  std::vector<std::string> solvers = {"mpi.tsqr", "mpi.cholesky", "mpi.gd", "scalapack.gels"};
  std::string out;
};

[[noreturn]] void usage(const std::string& why) {
  if (mpi::rank() == 0) {
    std::fprintf(stderr,
                 "bench_mpi: %s\nusage: mpirun -np P bench_mpi [--m M] [--n N] [--weak] [--iters K] "
                 "[--reps R] [--rse X] [--max-time S] [--nb auto|NB,...] [--grids auto|PRxPC,...] "
                 "[--precision f32|f64] [--preset quick|full] "
                 "[--solvers a,b,...] --out FILE.json\n",
                 why.c_str());
  }
  MPI_Finalize();
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(a + " needs a value");
      return argv[++i];
    };
    try {
      if (a == "--m") o.m = std::stoll(value());
      else if (a == "--n") o.n = std::stoll(value());
      else if (a == "--weak") o.weak = true;
      else if (a == "--iters") o.iters = std::stoi(value());
      else if (a == "--reps") o.reps = std::stoi(value());
      else if (a == "--rse") o.rse = std::stod(value());
      else if (a == "--max-time") o.max_time = std::stod(value());
      else if (a == "--nb") {
        const std::string v = value();
        std::stringstream ss(v);
        for (std::string t; v != "auto" && std::getline(ss, t, ',');) o.nbs.push_back(std::stoi(t));
      } else if (a == "--grids") {
        const std::string v = value();
        std::stringstream ss(v);
        for (std::string t; v != "auto" && std::getline(ss, t, ',');) {
          const size_t x = t.find('x');
          if (x == std::string::npos) usage("--grids: PRxPC, e.g. 2x1");
          o.grids.emplace_back(std::stoi(t.substr(0, x)), std::stoi(t.substr(x + 1)));
        }
      }
      else if (a == "--precision") o.prec = value();
      else if (a == "--preset") o.preset = value();
      else if (a == "--out") o.out = value();
      else if (a == "--solvers") {
        o.solvers.clear();
        std::stringstream ss(value());
        for (std::string s; std::getline(ss, s, ',');) if (!s.empty()) o.solvers.push_back(s);
      } else usage("unknown option " + a);
    } catch (const std::logic_error&) {
      usage("bad value for " + a);
    }
  }
  if (o.m <= 0 || o.n <= 0 || o.iters <= 0 || o.reps <= 0) usage("sizes must be > 0");
  for (int nb : o.nbs) {
    if (nb <= 0) usage("--nb values must be > 0");
  }
  if (!(o.rse > 0.0) || !(o.max_time > 0.0)) usage("--rse and --max-time must be > 0");
  if (o.prec != "f32" && o.prec != "f64") usage("--precision f32 or f64");
  if (o.preset != "quick" && o.preset != "full") usage("--preset quick or full");
  if (o.out.empty()) usage("--out is required");
  return o;
}

struct Link {
  double alpha_s = NAN;       // half round trip of 8 bytes (ranks 0 and 1)
  double beta_Bps = NAN;      // bytes per second of a 4 MiB message
  double allreduce8_s = NAN;  // one 8-byte MPI_Allreduce over all ranks
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Ping-pong between ranks 0 and 1 (the others wait at the barrier).
Link measure_link() {
  Link l;
  const int me = mpi::rank(), P = mpi::size();
  auto pingpong = [&](int bytes, int reps) {
    std::vector<char> buf(static_cast<size_t>(bytes));
    std::vector<double> t;
    for (int r = 0; r < reps; ++r) {
      MPI_Barrier(MPI_COMM_WORLD);
      const double t0 = MPI_Wtime();
      if (me == 0) {
        MPI_Send(buf.data(), bytes, MPI_CHAR, 1, 0, MPI_COMM_WORLD);
        MPI_Recv(buf.data(), bytes, MPI_CHAR, 1, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      } else if (me == 1) {
        MPI_Recv(buf.data(), bytes, MPI_CHAR, 0, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        MPI_Send(buf.data(), bytes, MPI_CHAR, 0, 0, MPI_COMM_WORLD);
      }
      t.push_back((MPI_Wtime() - t0) / 2);
    }
    double m = median(t);
    MPI_Bcast(&m, 1, MPI_DOUBLE, 0, MPI_COMM_WORLD);
    return m;
  };
  if (P >= 2) {
    l.alpha_s = pingpong(8, 200);
    const int big = 4 << 20;
    l.beta_Bps = big / std::max(1e-12, pingpong(big, 20) - l.alpha_s);
  }
  std::vector<double> t;
  double v = 1.0;
  for (int r = 0; r < 200; ++r) {
    const double t0 = MPI_Wtime();
    MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    t.push_back(MPI_Wtime() - t0);
  }
  l.allreduce8_s = mpi::max_over_ranks(median(t));
  return l;
}

// This rank's rows of the benchmark problem: i.i.d. N(0,1) entries (seeded by rank), b = A x0 with
// x0 = ones / sqrt(n): consistent, so rel_err measures the solve. ScaLAPACK's layout: rank r holds
// rows [r mb, (r+1) mb) of the global m, mb = ceil(m / P).
template <typename T>
Problem<T> local_rows(index_t m_global, index_t n) {
  const int P = mpi::size(), me = mpi::rank();
  const index_t mb = (m_global + P - 1) / P;
  const index_t rows = std::max<index_t>(0, std::min(mb, m_global - mb * me));
  Problem<T> p;
  p.m = rows;
  p.n = n;
  if (rows > 0) {
    GenOptions g = gen_options(rows, n);
    g.gaussian = true;
    g.seed = 1000 + static_cast<std::uint64_t>(me);
    p = generate<T>(g);
  }
  p.x_true.assign(static_cast<size_t>(n), static_cast<T>(1.0 / std::sqrt(static_cast<double>(n))));
  p.b.assign(static_cast<size_t>(rows), T(0));
  for (index_t j = 0; j < n; ++j) {
    for (index_t i = 0; i < rows; ++i) p.b[static_cast<size_t>(i)] += p.a(i, j) * p.x_true[0];
  }
  return p;
}

// sigma_max(A)^2 / m by power iteration over the ranks (untimed): the step GD gets, so that the
// timed GD runs exactly `iters` iterations without its own power iteration.
template <typename T>
double lipschitz(const Problem<T>& p, index_t m_global) {
  using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
  using Vec = Eigen::Matrix<T, Eigen::Dynamic, 1>;
  const Eigen::Map<const Mat> A(p.A.data(), p.m, p.n);
  Vec v = Vec::Constant(p.n, T(1) / std::sqrt(static_cast<T>(p.n)));
  Vec w(p.n);
  double L = 0.0;
  for (int it = 0; it < 30; ++it) {
    w.noalias() = A.transpose() * (A * v);
    std::vector<double> s(w.data(), w.data() + p.n);
    mpi::CommClock c;
    mpi::allreduce_sum(s.data(), p.n, c);
    double nn = 0.0;
    for (double x : s) nn += x * x;
    L = std::sqrt(nn);
    for (index_t j = 0; j < p.n; ++j) v[j] = static_cast<T>(s[static_cast<size_t>(j)] / L);
  }
  return L / static_cast<double>(m_global);
}

struct Result {
  std::string name, solver;
  int nb = 0;            // scalapack.gels: column block
  std::string grid;      // scalapack.gels: PRxPC
  double time_s = 0.0, comm_s = 0.0, compute_s = 0.0, rel_err = NAN, ne_resid = NAN;
  double flops = 0.0, bytes = 0.0;
  int iters = 0;
  std::string error;
  RepStats stats;         // the timed repetitions (rank 0's view; every rank ran the same count)
  EntryMachine machine;   // rank 0's samples; own CPU time summed over all ranks
};

// Repeats one collective timed call after a warm-up, as the Google Benchmark families do
// (bench/cases.cpp): at least o.reps repetitions, then until the relative standard error of the mean
// is below o.rse, or o.max_time seconds, or 2000 repetitions. Rank 0 decides and broadcasts, so every
// rank makes the same number of collective calls. once() returns (seconds, communication seconds).
template <typename F>
void repeat(const Options& o, F once, RepStats& st, std::vector<double>& comms) {
  once();  // warm-up
  const double t0 = MPI_Wtime();
  for (;;) {
    const std::pair<double, double> tc = once();
    st.samples.push_back(tc.first);
    comms.push_back(tc.second);
    int stop = 0;
    if (mpi::rank() == 0) {
      StopRule rule;  // the binaries' rule (bench_config.hpp): min_reps never undercut by the cap
      rule.min_reps = o.reps;
      rule.min_time_s = 0.0;
      rule.rse = o.rse;
      rule.max_time_s = o.max_time;
      st.stop = stop_reason(rule, static_cast<int>(st.samples.size()), MPI_Wtime() - t0,
                            st.rse());
      stop = st.stop.empty() ? 0 : 1;
    }
    MPI_Bcast(&stop, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (stop) break;
  }
}

// Machine state over a run: other processes' CPU share, counting all ranks' CPU time as ours.
void finish_machine(EntryMachine& mc) {
  const CpuSample after = sample_cpu();
  unsigned long long own = after.own >= mc.before.own ? after.own - mc.before.own : 0, all = 0;
  MPI_Reduce(&own, &all, 1, MPI_UNSIGNED_LONG_LONG, MPI_SUM, 0, MPI_COMM_WORLD);
  mc.after = after;
  mc.after.own = mc.before.own + all;
  mc.gpu.error = "CPU ranks: not sampled";
  mc.other_cpu = other_cpu_share(mc.before, mc.after);
  const std::string busy = busy_reason(mc.other_cpu);
  if (!busy.empty()) mc.flags.push_back("busy: " + busy);
  const std::string thr = cpu_throttle_reason(mc.after);
  if (!thr.empty()) mc.flags.push_back("throttled: " + thr);
}

template <typename T>
Result run_solver(const Options& o, const std::string& solver, const Problem<T>& p, index_t m_global,
                  double L, int nb = 0, std::pair<int, int> grid = {0, 0}) {
  const int P = mpi::size();
  Result r;
  r.solver = solver;
  r.nb = nb;
  if (nb > 0) r.grid = std::to_string(grid.first) + "x" + std::to_string(grid.second);
  const bool gd = solver.find(".gd") != std::string::npos;
  std::ostringstream name;
  name << "mpi/" << solver << "/" << o.prec << "/m:" << m_global << "/n:" << o.n << "/P:" << P
       << "/scaling:" << (o.weak ? "weak" : "strong");
  if (gd) name << "/iters:" << o.iters;
  if (nb > 0) name << "/nb:" << nb << "/grid:" << r.grid;
  r.name = name.str();
  const double md = static_cast<double>(m_global), nd = static_cast<double>(o.n);
  const double elem = static_cast<double>(sizeof(T));
  r.flops = gd ? o.iters * flops_gd_iter(md, nd)
               : solver.find("cholesky") != std::string::npos ? flops_cholesky_ls(md, nd)
                                                             : flops_qr_ls(md, nd);
  r.bytes = gd ? o.iters * md * nd * elem : bytes_ls(md, nd, elem);
  std::vector<double> comms;
  std::vector<double> x;
  r.machine.before = sample_cpu();
  try {
    if (solver == "scalapack.gels") {
      std::vector<T> xs;
      repeat(o, [&] {
        return std::make_pair(scalapack_gels(p, m_global, nb, grid.first, grid.second, xs),
                              double(NAN));
      }, r.stats, comms);
      x.assign(xs.begin(), xs.end());
    } else {
      const SolverEntry& e = default_registry().get(solver);
      if (e.backend != Backend::mpi && P > 1) throw InvalidInput("single-process solver: P = 1 only");
      SolverOptions opt;
      opt.threads = 1;  // one thread per rank
      if (gd) {
        opt.tol = 0.0;
        opt.max_iters = o.iters;
        opt.lipschitz = L;
      }
      auto s = e.make<T>(opt);
      s->setup(p);
      const auto* d = dynamic_cast<const mpi::Distributed*>(s.get());
      repeat(o, [&] {
        const double t = s->timed_solve();
        return std::make_pair(t, d ? d->comm_seconds() : 0.0);
      }, r.stats, comms);
      r.iters = s->info().iterations;
      const std::vector<T> xs = s->solution();
      x.assign(xs.begin(), xs.end());
    }
  } catch (const Error& e) {
    r.error = e.what();
    finish_machine(r.machine);
    return r;
  }
  finish_machine(r.machine);
  // Medians, as the other families report: the time per solve, its communication part, and the
  // rest (the median of each repetition's time minus its communication, never negative).
  r.time_s = r.stats.median();
  if (!comms.empty() && std::isfinite(comms.front())) {
    std::vector<double> rest(comms.size());
    for (size_t i = 0; i < comms.size(); ++i) rest[i] = r.stats.samples[i] - comms[i];
    r.comm_s = median(comms);
    r.compute_s = median(rest);
  } else {
    r.comm_s = NAN;
    r.compute_s = r.time_s;
  }
  r.rel_err = forward_error(x, p.x_true);
  r.ne_resid = mpi::distributed_residuals(p, x).normal_eq_residual;
  return r;
}

std::string number(double v) { return std::isfinite(v) ? fmt("%.9g", v) : "null"; }

void write_json(const Options& o, const Link& link, index_t m_global,
                const std::vector<Result>& results, const EntryMachine& run) {
  const int P = mpi::size();
  const double gemm = measure_blas_gemm_gflops(o.prec == "f64", 512, 3);
  std::ostringstream js;
  auto ctx = [&](const std::string& k, const std::string& v, bool last = false) {
    js << "    " << json_string(k) << ": " << json_string(v) << (last ? "\n" : ",\n");
  };
  js << "{\n  \"context\": {\n";
  ctx("lsgd_family", "mpi");
  ctx("lsgd_device", "cpu (MPI ranks, one thread each)");
  ctx("gpu_name", "none");
  ctx("gpu_sms", "0");
  ctx("gpu_sm_clock_mhz", "0");
  ctx("cuda_runtime", "none");
  ctx("cuda_driver", "none");
  ctx("cpu_model", cpu_model());
  ctx("omp_threads", "1");
  ctx("eigen_version", std::to_string(EIGEN_WORLD_VERSION) + "." +
                           std::to_string(EIGEN_MAJOR_VERSION) + "." +
                           std::to_string(EIGEN_MINOR_VERSION));
  ctx("git_revision", git_revision());
  ctx("lsgd_preset", o.preset);
  ctx("blas_config", blas_config());
  ctx("ceiling_cpu_copy_GBps", "0");
  ctx("ceiling_cpu_gemm_f32_GFLOPs", o.prec == "f32" ? fmt("%.3f", gemm) : "0");
  ctx("ceiling_cpu_gemm_f64_GFLOPs", o.prec == "f64" ? fmt("%.3f", gemm) : "0");
  ctx("ceiling_note", "one thread of rank 0 (512^3 GEMM), measured while the other ranks idle");
  ctx("ceiling_gpu_copy_GBps", "0");
  ctx("ceiling_gpu_gemm_f32_GFLOPs", "0");
  ctx("ceiling_gpu_gemm_f64_GFLOPs", "0");
  ctx("mpi_library", mpi::describe());
  ctx("mpi_ranks", std::to_string(P));
  ctx("mpi_scaling", o.weak ? "weak" : "strong");
  ctx("mpi_pingpong_alpha_us", number(link.alpha_s * 1e6));
  ctx("mpi_pingpong_beta_GBps", number(link.beta_Bps / 1e9));
  ctx("mpi_allreduce8_us", number(link.allreduce8_s * 1e6));
  ctx("mpi_gpu_staging", "none (CPU ranks)");
  ctx("scalapack_tuning", "every nb x grid of the run is an entry (fields nb, grid); comparisons "
      "use the fastest", true);
  js << "  },\n  \"benchmarks\": [\n";
  bool first = true;
  for (const Result& r : results) {
    // The parameters as fields (bench/entry_fields.hpp): what every reader uses.
    const bool gd = r.solver.find(".gd") != std::string::npos;
    EntryFields f;
    f.family = "mpi";
    f.solver = r.solver;
    f.backend = r.solver.substr(0, r.solver.find('.'));
    f.device = "cpu";
    f.precision = o.prec;
    f.m = m_global;
    f.n = o.n;
    if (gd) f.iterations = o.iters;
    f.ranks = P;
    f.scaling = o.weak ? "weak" : "strong";
    f.gen = "gaussian";
    // Every solver of the run solves the same rows (seeded per rank): one problem.
    f.seed = 1000;
    f.problem = "rank_gaussian/" + o.prec + "/m:" + std::to_string(m_global) + "/n:" +
                std::to_string(o.n) + "/P:" + std::to_string(P) + "/seed:1000+rank";
    if (r.solver == "scalapack.gels") {
      f.algorithm = "qr";
    } else if (const SolverEntry* e = default_registry().find(r.solver)) {
      f.algorithm = algorithm_of(*e);
    }
    if (!f.algorithm.empty() && r.solver.rfind("scalapack.", 0) != 0) {
      for (const char* a : algorithm_info(f.algorithm).pairs_with) f.pairs_with.emplace_back(a);
    }
    f.nb = r.nb;
    f.grid = r.grid;
    f.flop_model = gd ? "gd_iter" : r.solver.find("cholesky") != std::string::npos ? "cholesky" : "qr";
    f.peak_kind = std::string("cpu_") + (gd ? "copy" : "gemm_" + o.prec);
    f.flops = r.flops;
    f.bytes = r.bytes;
    EntryResult er;
    er.fields = f;
    er.stats = r.stats;
    er.machine = r.machine;
    er.has_stats = r.error.empty();
    js << (first ? "" : ",\n") << "    {\"name\": " << json_string(r.name)
       << ", \"run_name\": " << json_string(r.name)
       << ", \"run_type\": \"iteration\", \"repetitions\": 1, \"repetition_index\": 0, "
       << "\"threads\": 1, \"iterations\": 1,\n     \"lsgd\": " << fields_json(f, &er, "     ");
    first = false;
    if (!r.error.empty()) {
      js << ", \"error_occurred\": true, \"error_message\": " << json_string(r.error)
         << ", \"real_time\": 0, \"cpu_time\": 0, \"time_unit\": \"ms\"}";
      continue;
    }
    const double comm = std::isfinite(r.comm_s) ? r.comm_s : 0.0;
    // As the other families: factorizations against GEMM (P ranks of one thread each), GD against
    // the copy bandwidth (not measured here: no pct_peak).
    if (!gd && gemm > 0) js << ", \"pct_peak\": " << number(100.0 * r.flops / r.time_s / 1e9 / (P * gemm));
    js << ", \"real_time\": " << number(r.time_s * 1e3) << ", \"cpu_time\": "
       << number(r.time_s * 1e3) << ", \"time_unit\": \"ms\""
       << ", \"GFLOP/s\": " << number(r.flops / r.time_s / 1e9)
       << ", \"GB/s\": " << number(r.bytes / r.time_s / 1e9)
       << ", \"rel_err\": " << number(r.rel_err) << ", \"ne_resid\": " << number(r.ne_resid)
       << ", \"iters\": " << r.iters << ", \"P\": " << P << ", \"comm_s\": " << number(comm)
       << ", \"compute_s\": " << number(r.compute_s)
       << ", \"comm_measured\": " << (std::isfinite(r.comm_s) ? 1 : 0)
       << ", \"reps\": " << r.stats.samples.size()
       << ", \"rse_pct\": " << number(100.0 * r.stats.rse()) << "}";
  }
  // The run's machine state (as json_reporter.cpp writes for the Google Benchmark families): rank
  // 0's samples, all ranks' CPU time counted as ours; no OpenMP (one thread per rank), no GPU.
  int busy = 0;
  for (const Result& r : results) busy += r.machine.flags.empty() ? 0 : 1;
  const double other = other_cpu_share(run.before, run.after);
  std::string flags;
  if (!busy_reason(other).empty()) flags = json_string("busy: " + busy_reason(other) + " over the whole run");
  js << "\n  ],\n  \"lsgd_machine\": {\n"
     << "    \"schema\": " << kFieldsSchema << ",\n"
     << "    \"thresholds\": {\"busy_other_cpu\": " << json_number(kBusyOtherCpuShare) << "},\n"
     << "    \"start\": {\"cpu\": " << cpu_sample_json(run.before) << ", \"omp\": null, \"gpu\": null},\n"
     << "    \"end\": {\"cpu\": " << cpu_sample_json(run.after) << ", \"omp\": null, \"gpu\": null},\n"
     << "    \"other_cpu\": " << (other >= 0 ? json_number(other) : "null") << ",\n"
     << "    \"entries\": " << results.size() << ", \"busy_entries\": " << busy
     << ", \"throttled_entries\": 0,\n"
     << "    \"flags\": [" << flags << "]\n  }\n}\n";
  std::ofstream f(o.out);
  f << js.str();
  if (!f) throw Error("cannot write " + o.out);
}

template <typename T>
int run(const Options& o) {
  const int P = mpi::size(), me = mpi::rank();
  const Link link = measure_link();
  const index_t m_global = o.weak ? o.m * P : o.m;
  const Problem<T> p = local_rows<T>(m_global, o.n);
  const double L = lipschitz(p, m_global);
  std::vector<Result> results;
  EntryMachine whole;  // the run from the first solver to the last
  whole.before = sample_cpu();
  for (const std::string& s : o.solvers) {
    if (s == "scalapack.gels" && !scalapack_available()) continue;
    if (s.rfind("cpu.", 0) == 0 && P > 1) continue;  // single-process baselines at P = 1 only
    std::vector<int> nbs = o.nbs;
    std::vector<std::pair<int, int>> grids = o.grids;
    if (s == "scalapack.gels") {
      if (nbs.empty()) {
        for (int nb : {4, 8, 16, 32, 64}) {
          if (nb <= o.n) nbs.push_back(nb);
        }
        if (nbs.empty()) nbs.push_back(static_cast<int>(o.n));
      }
      if (grids.empty()) {
        for (int pr = P; pr >= 1; --pr) {
          if (P % pr == 0) grids.emplace_back(pr, P / pr);
        }
      }
    } else {
      nbs = {0};
      grids = {{0, 0}};
    }
    for (int nb : nbs) {
      for (const auto& grid : grids) {
        Result r = run_solver<T>(o, s, p, m_global, L, nb, grid);
        if (me == 0) {
          if (r.error.empty()) {
            std::printf("%-55s %10.3f ms  comm %8.3f ms  rel_err %.2e\n", r.name.c_str(),
                        r.time_s * 1e3, std::isfinite(r.comm_s) ? r.comm_s * 1e3 : NAN,
                        r.rel_err);
          } else {
            std::printf("%-55s error: %s\n", r.name.c_str(), r.error.c_str());
          }
          std::fflush(stdout);
        }
        results.push_back(std::move(r));
      }
    }
  }
  finish_machine(whole);  // collective
  if (me == 0) {
    std::printf("ping-pong alpha %.2f us, beta %.2f GB/s; 8-byte allreduce %.2f us (P = %d)\n",
                link.alpha_s * 1e6, link.beta_Bps / 1e9, link.allreduce8_s * 1e6, P);
    write_json(o, link, m_global, results, whole);
  }
  return 0;
}

}  // namespace
}  // namespace lsgd::bench

int main(int argc, char** argv) {
  lsgd::mpi::init();
  const lsgd::bench::Options o = lsgd::bench::parse(argc, argv);
  try {
    return o.prec == "f32" ? lsgd::bench::run<float>(o) : lsgd::bench::run<double>(o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_mpi: %s\n", e.what());
    lsgd::mpi::abort_all(1);
  }
}
