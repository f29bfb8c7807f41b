// `lsgd solve --solver mpi.*` under mpirun: distributed input and one report. Every rank counts the
// CSV file's data rows, then reads and keeps only its own share (row_range: contiguous, sizes
// differing by at most one), so no rank ever holds all of A. The solve is collective; the residuals
// are summed over the ranks; rank 0 prints the same report as a single-process solve. Every step
// that can fail on one rank is agreed on (lsgd::mpi::agree), so all ranks end with the same error,
// which only rank 0 prints (tools/lsgd.cpp), and none waits forever.
#include <cmath>
#include <type_traits>

#include "lsgd/error.hpp"
#include "lsgd/mpi.hpp"
#include "tools/cli_paths.hpp"
#include "tools/cli_solve_report.hpp"

#ifdef LSGD_WITH_MPI
#include "mpi/mpi_common.hpp"
#endif

namespace lsgd::cli {

#ifdef LSGD_WITH_MPI
namespace {

bool is_matrix_market(const std::string& path) {
  return path.size() >= 4 && (path.compare(path.size() - 4, 4, ".mtx") == 0 ||
                              path.compare(path.size() - 4, 4, ".MTX") == 0);
}

template <typename T>
void solve_as(const SolverEntry& e, const SolverOptions& opt, const Problem<double>& mine, Run& r) {
  std::unique_ptr<Solver<T>> s;
  mpi::agree("lsgd solve", [&] { s = e.make<T>(opt); });
  if constexpr (std::is_same_v<T, double>) {
    s->setup(mine);
  } else {
    s->setup(mine.cast<T>());
  }
  r.time_s = s->timed_solve();
  const std::vector<T> x = s->solution();
  r.x.assign(x.begin(), x.end());
  r.info = s->info();
}

// ||b - Ax|| and ||A^T (b - Ax)|| / (||A||_F (||A||_F ||x|| + ||b||)) over all ranks' rows (the
// metrics of lsgd/metrics.hpp, with the sums completed by one allreduce).
void global_residuals(const Problem<double>& p, Run& r) {
  const index_t n = p.n;
  std::vector<double> sums(static_cast<size_t>(n + 3), 0.0);  // [rr, ||A||_F^2, ||b||^2, A^T r]
  for (index_t i = 0; i < p.m; ++i) {
    double ri = p.b[static_cast<size_t>(i)];
    for (index_t j = 0; j < n; ++j) ri -= p.a(i, j) * r.x[static_cast<size_t>(j)];
    sums[0] += ri * ri;
    sums[2] += p.b[static_cast<size_t>(i)] * p.b[static_cast<size_t>(i)];
    for (index_t j = 0; j < n; ++j) {
      sums[1] += p.a(i, j) * p.a(i, j);
      sums[static_cast<size_t>(3 + j)] += p.a(i, j) * ri;
    }
  }
  mpi::CommClock clock;
  mpi::allreduce_sum(sums.data(), n + 3, clock);
  double atr = 0.0, xx = 0.0;
  for (index_t j = 0; j < n; ++j) {
    atr += sums[static_cast<size_t>(3 + j)] * sums[static_cast<size_t>(3 + j)];
    xx += r.x[static_cast<size_t>(j)] * r.x[static_cast<size_t>(j)];
  }
  const double a_f = std::sqrt(sums[1]);
  r.residual = std::sqrt(sums[0]);
  r.ne_residual = std::sqrt(atr) / (a_f * (a_f * std::sqrt(xx) + std::sqrt(sums[2])));
}

}  // namespace

int solve_distributed(const Args& args, const SolverEntry& e, Precision prec,
                      const SolverOptions& opt, const CsvOptions& csv) {
  const std::string input = args.str("input");
  if (args.has("b") || is_matrix_market(input)) {
    throw UsageError("solve: mpi.* solvers read their rows from one CSV file (--b and .mtx "
                     "input are single-process only)");
  }
  CsvOptions csv_in = csv;  // as read_problem() does: .tsv is tab-separated unless told otherwise
  if (input.size() >= 4 && input.compare(input.size() - 4, 4, ".tsv") == 0 && csv.delimiter == ',') {
    csv_in.delimiter = '\t';
  }
  const int me = mpi::rank(), P = mpi::size();
  Problem<double> mine;
  index_t m_total = 0;
  std::vector<double> reference;
  mpi::agree("lsgd solve", [&] {
    m_total = count_csv_rows(input, csv_in);
    const auto [r0, r1] = mpi::row_range(m_total, me, P);
    CsvOptions share = csv_in;
    share.row_begin = r0;
    share.row_end = r1;
    mine = read_csv(input, share);
    if (args.has("reference")) {
      const std::string ref_path = args.str("reference");
      reference = read_vector(ref_path);
      if (reference.size() != static_cast<size_t>(mine.n)) {
        throw InvalidInput(ref_path + ": " + std::to_string(reference.size()) +
                           " values, but the problem has n = " + std::to_string(mine.n) +
                           " coefficients");
      }
    }
  });
  Run r;
  r.entry = &e;
  if (prec == Precision::f32) {
    solve_as<float>(e, opt, mine, r);
  } else {
    solve_as<double>(e, opt, mine, r);
  }
  global_residuals(mine, r);
  r.ok = true;
  if (me != 0) {
    // Rank 0 reports (and fails an unconverged solve); the others end with the same status.
    if (e.is_iterative() && !r.info.converged && !args.flag("allow-unconverged")) {
      throw NumericalError(e.name + ": not converged");
    }
    return 0;
  }
  Problem<double> shape;  // what the report reads: the global shape and the column names
  shape.m = m_total;
  shape.n = mine.n;
  shape.column_names = mine.column_names;
  return report_single(args, e, prec, opt, shape, r, reference);
}

#else

int solve_distributed(const Args&, const SolverEntry& e, Precision, const SolverOptions&,
                      const CsvOptions&) {
  throw DeviceError("solver '" + e.name + "' needs lsgd built with MPI");
}

#endif

}  // namespace lsgd::cli
