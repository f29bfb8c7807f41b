// `lsgd solve --solver mpi.*` under mpirun: distributed input and one report. Every rank learns m
// (a CSV file's data rows by one counting pass; a Matrix Market array's size line), then reads and
// keeps only its own share (row_range: contiguous, sizes differing by at most one), so no rank ever
// holds all of A. The solve is collective; the residuals
// are summed over the ranks; rank 0 prints the same report as a single-process solve. Every step
// that can fail on one rank is agreed on (lsgd::mpi::agree), so all ranks end with the same error,
// which only rank 0 prints (tools/lsgd.cpp), and none waits forever.
#include <type_traits>

#include "lsgd/error.hpp"
#include "lsgd/mpi.hpp"
#include "common/text_format.hpp"
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

}  // namespace

int solve_distributed(const Args& args, const SolverEntry& e, Precision prec,
                      const SolverOptions& opt, const CsvOptions& csv) {
  const std::string input = args.str("input");
  CsvOptions csv_in = csv;  // as read_problem() does: .tsv is tab-separated unless told otherwise
  if (input.size() >= 4 && input.compare(input.size() - 4, 4, ".tsv") == 0 && csv.delimiter == '\0') {
    csv_in.delimiter = '\t';
  }
  const int me = mpi::rank(), P = mpi::size();
  Problem<double> mine;
  index_t m_total = 0;
  std::vector<double> reference;
  std::vector<std::string> notes;
  mpi::agree("lsgd solve", [&] {
    // Matrix Market: the size line gives m; CSV: one counting pass. read_problem() then keeps the
    // share (A and a separate --b alike for .mtx).
    m_total = is_matrix_market(input) ? matrix_market_rows(input) : count_csv_rows(input, csv_in);
    const auto [r0, r1] = mpi::row_range(m_total, me, P);
    CsvOptions share = csv;
    share.row_begin = r0;
    share.row_end = r1;
    mine = read_problem(input, share, args.str("b"), me == 0 ? &notes : nullptr);
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
  print_notes(notes);  // rank 0's (the others keep none)
  Run r;
  r.entry = &e;
  if (prec == Precision::f32) {
    solve_as<float>(e, opt, mine, r);
  } else {
    solve_as<double>(e, opt, mine, r);
  }
  const mpi::Residuals res = mpi::distributed_residuals(mine, r.x);
  r.residual = res.residual_norm;
  r.ne_residual = res.normal_eq_residual;
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
