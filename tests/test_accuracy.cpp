// Accuracy on classic ill-conditioned regression problems with certified answers: the NIST StRD
// linear least-squares datasets (Longley, Filip, Pontius, Wampler1-5; data and certified parameters
// in tests/data/nist, see its README.md for the sources) and generated monomial polynomial fits
// (polynomial_fit_problem, x_true = ones). Every available CPU direct solver runs in double; the
// score is the LRE (log relative error, digits correct, min over the parameters). The table of all
// scores is printed to stdout (LstsqAccuracy.PrintTable) so the numbers appear in the test log.
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "lsgd/error.hpp"
#include "lsgd/metrics.hpp"
#include "lsgd/problem.hpp"
#include "lsgd/reference.hpp"
#include "lsgd/registry.hpp"
#include "lsgd/stats.hpp"

#ifndef LSGD_NIST_DATA_DIR
#error "LSGD_NIST_DATA_DIR must point at tests/data/nist (set in tests/CMakeLists.txt)"
#endif

namespace lsgd {
namespace {

// ---------------------------------------------------------------------------------------------
// Loading: <name>.csv (header, target column last) and <name>.certified (one value per line).

std::string data_path(const std::string& file) {
  return std::string(LSGD_NIST_DATA_DIR) + "/" + file;
}

double parse_double(const std::string& s, const std::string& where) {
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size()) {
    throw InvalidInput(where + ": '" + s + "' is not a number");
  }
  return v;
}

struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<double>> rows;
};

Table read_csv(const std::string& file) {
  std::ifstream in(data_path(file));
  if (!in) throw InvalidInput("cannot open " + data_path(file));
  Table t;
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::vector<std::string> fields;
    std::stringstream ss(line);
    std::string f;
    while (std::getline(ss, f, ',')) fields.push_back(f);
    if (t.header.empty()) {
      t.header = fields;
      continue;
    }
    if (fields.size() != t.header.size()) {
      throw InvalidInput(file + " line " + std::to_string(line_no) + ": " +
                         std::to_string(fields.size()) + " fields, header has " +
                         std::to_string(t.header.size()));
    }
    std::vector<double> row;
    for (const auto& v : fields)
      row.push_back(parse_double(v, file + " line " + std::to_string(line_no)));
    t.rows.push_back(row);
  }
  return t;
}

std::vector<double> read_certified(const std::string& file) {
  std::ifstream in(data_path(file));
  if (!in) throw InvalidInput("cannot open " + data_path(file));
  std::vector<double> out;
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    out.push_back(parse_double(line, file + " line " + std::to_string(line_no)));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Datasets.

struct Dataset {
  std::string name;
  Problem<double> problem;
  std::vector<double> certified;
  double kappa = 0.0;  // 2-norm condition number of the design matrix as used (unscaled)
};

// degree 0: a multiple regression on all predictor columns plus an intercept; degree k > 0: a
// polynomial in the single predictor column x, columns 1, x, ..., x^k (the NIST model order), or
// x, ..., x^k without the intercept (NoInt1/2: y = B1 x).
Dataset load_nist(const std::string& name, index_t degree, index_t rows, index_t params,
                  bool intercept = true) {
  const Table t = read_csv(name + ".csv");
  Dataset d;
  d.name = name;
  d.certified = read_certified(name + ".certified");
  const index_t m = static_cast<index_t>(t.rows.size());
  const index_t predictors = static_cast<index_t>(t.header.size()) - 1;
  const index_t off = intercept ? 1 : 0;
  const index_t n = degree > 0 ? degree + off : predictors + 1;
  // The files must match what the NIST model says, or the certified values mean nothing.
  if (m != rows || n != params || static_cast<index_t>(d.certified.size()) != n ||
      (degree > 0 && predictors != 1)) {
    throw InvalidInput(name + ": expected " + std::to_string(rows) + " observations and " +
                       std::to_string(params) + " parameters, files give " + std::to_string(m) +
                       " x " + std::to_string(n) + " with " + std::to_string(d.certified.size()) +
                       " certified values");
  }
  Problem<double>& p = d.problem;
  p.m = m;
  p.n = n;
  p.A.resize(static_cast<size_t>(m * n));
  p.b.resize(static_cast<size_t>(m));
  for (index_t i = 0; i < m; ++i) {
    const auto& row = t.rows[static_cast<size_t>(i)];
    p.b[static_cast<size_t>(i)] = row.back();
    if (intercept) p.a(i, 0) = 1.0;
    if (degree > 0) {
      double power = 1.0;
      for (index_t j = 1; j <= degree; ++j) {
        power *= row[0];
        p.a(i, j - 1 + off) = power;
      }
    } else {
      for (index_t j = 1; j < n; ++j) p.a(i, j) = row[static_cast<size_t>(j - 1)];
    }
  }
  p.validate();
  d.kappa = condition_number(p);
  return d;
}

Dataset polynomial_case(index_t m, index_t degree) {
  Dataset d;
  d.name = "poly" + std::to_string(degree) + "_m" + std::to_string(m);
  d.problem = polynomial_fit_problem(m, degree);
  d.certified = d.problem.x_true;  // ones; b = A * ones summed in long double
  d.kappa = condition_number(d.problem);
  return d;
}

const std::vector<Dataset>& datasets() {
  static const std::vector<Dataset> all = [] {
    std::vector<Dataset> v;
    v.push_back(load_nist("Norris", 1, 36, 2));
    v.push_back(load_nist("Pontius", 2, 40, 3));
    v.push_back(load_nist("NoInt1", 1, 11, 1, false));
    v.push_back(load_nist("NoInt2", 1, 3, 1, false));
    v.push_back(load_nist("Longley", 0, 16, 7));
    v.push_back(load_nist("Wampler1", 5, 21, 6));
    v.push_back(load_nist("Wampler2", 5, 21, 6));
    v.push_back(load_nist("Wampler3", 5, 21, 6));
    v.push_back(load_nist("Wampler4", 5, 21, 6));
    v.push_back(load_nist("Wampler5", 5, 21, 6));
    v.push_back(load_nist("Filip", 10, 82, 11));
    for (index_t deg : {8, 10, 12}) v.push_back(polynomial_case(50, deg));
    return v;
  }();
  return all;
}

// ---------------------------------------------------------------------------------------------
// Results: LRE per (solver, dataset), or the NumericalError the solver raised.

struct Outcome {
  bool failed = false;  // raised NumericalError
  double lre = 0.0;
  std::string error;
};

// A solver with its options, as a table column: every available CPU direct solver in double with
// default options, plus cpu.cod and cpu.svd with rcond = 0 (no truncation), for Filip.
struct Column {
  const SolverEntry* entry;
  SolverOptions options;
  std::string label;
};

std::vector<Column> columns() {
  std::vector<Column> out;
  for (const auto& e : default_registry().entries()) {
    if (e.backend == Backend::cpu && e.kind == Kind::direct && e.f64 && e.available()) {
      out.push_back(Column{&e, SolverOptions{}, e.name});
    }
  }
  for (const char* name : {"cpu.cod", "cpu.svd"}) {
    SolverOptions opt;
    opt.rcond = 0.0;
    out.push_back(Column{&default_registry().get(name), opt, std::string(name) + "/rc0"});
  }
  return out;
}

using Results = std::map<std::string, std::map<std::string, Outcome>>;  // [dataset][label]

const Results& results() {
  static const Results all = [] {
    Results r;
    for (const Dataset& d : datasets()) {
      for (const Column& col : columns()) {
        Outcome o;
        try {
          auto s = col.entry->make<double>(col.options);
          s->setup(d.problem);
          s->timed_solve();
          o.lre = lre(s->solution(), d.certified);
        } catch (const NumericalError& err) {
          o.failed = true;
          o.error = err.what();
        }
        r[d.name][col.label] = o;
      }
    }
    return r;
  }();
  return all;
}

const Outcome& outcome(const std::string& dataset, const std::string& solver) {
  return results().at(dataset).at(solver);
}

const Dataset& dataset(const std::string& name) {
  for (const Dataset& d : datasets()) {
    if (d.name == name) return d;
  }
  throw InvalidInput("no dataset " + name);
}

const std::vector<std::string> kStable = {"cpu.qr", "cpu.colpiv_qr", "cpu.cod", "cpu.svd"};

// ---------------------------------------------------------------------------------------------

TEST(LstsqAccuracy, DataFilesMatchTheNistModels) {
  // Loading checks shapes against the NIST descriptions (throws otherwise); spot-check a few
  // values against the .dat files' text, so a shifted column or row fails here.
  ASSERT_NO_THROW(datasets());
  const Problem<double>& longley = dataset("Longley").problem;
  EXPECT_EQ(longley.a(0, 1), 83.0);     // GNP deflator 1947
  EXPECT_EQ(longley.a(15, 6), 1962.0);  // year, last row
  EXPECT_EQ(longley.b[15], 70551.0);    // employment 1962
  EXPECT_EQ(dataset("Longley").certified[0], -3482258.63459582);
  EXPECT_EQ(dataset("Filip").problem.b[81], 0.9228);
  EXPECT_EQ(dataset("Filip").problem.a(0, 1), -6.860120914);
  EXPECT_EQ(dataset("Filip").certified[10], -0.402962525080404E-04);
  EXPECT_EQ(dataset("Pontius").certified[2], -0.316081871345029E-14);
  EXPECT_EQ(dataset("Wampler5").problem.b[1], -20479994.0);
  EXPECT_EQ(dataset("Wampler2").certified[5], 1e-5);
  EXPECT_EQ(dataset("Norris").problem.a(35, 1), 0.5);
  EXPECT_EQ(dataset("Norris").problem.b[3], 888.0);
  EXPECT_EQ(dataset("NoInt1").problem.a(10, 0), 70.0);
  EXPECT_EQ(dataset("NoInt2").problem.b[2], 4.0);
}

// The printed table: rows are datasets, columns solvers; "NE" = NumericalError raised.
TEST(LstsqAccuracy, PrintTable) {
  const auto cols = columns();
  ASSERT_GT(cols.size(), 2u);
  std::ostringstream os;
  os << "\nLRE (digits correct, min over parameters) against certified values, double:\n";
  os << std::left << std::setw(16) << "dataset" << std::right << std::setw(10) << "kappa";
  for (const Column& col : cols) os << std::setw(15) << col.label;
  os << "\n";
  for (const Dataset& d : datasets()) {
    os << std::left << std::setw(16) << d.name << std::right << std::setw(10)
       << std::setprecision(2) << std::scientific << d.kappa << std::fixed << std::setprecision(1);
    for (const Column& col : cols) {
      const Outcome& o = outcome(d.name, col.label);
      if (o.failed) {
        os << std::setw(15) << "NE";
      } else {
        os << std::setw(15) << o.lre;
      }
    }
    os << "\n";
  }
  std::cout << os.str() << std::defaultfloat;
}

// Backward-stable solvers reach the digits the conditioning allows. The thresholds are what the
// literature reports for careful QR/SVD codes in double (McCullough 1998; NIST's own notes) and
// what these solvers measured with a margin of about one digit (docs/least-squares-tests.md).
TEST(LstsqAccuracy, LongleyAndWampler1to4) {
  for (const char* name : {"Longley", "Wampler1", "Wampler2", "Wampler3", "Wampler4"}) {
    for (const std::string& s : kStable) {
      const Outcome& o = outcome(name, s);
      EXPECT_FALSE(o.failed) << s << " on " << name << ": " << o.error;
      EXPECT_GE(o.lre, 7.0) << s << " on " << name;
    }
  }
}

TEST(LstsqAccuracy, Wampler5) {
  // y is dominated by noise of size 1e7, yet the certified estimates are exactly 1: the answer is
  // well-determined by the design; the data's noise only enters through kappa * ||r|| terms.
  for (const std::string& s : kStable) {
    const Outcome& o = outcome("Wampler5", s);
    EXPECT_FALSE(o.failed) << s << ": " << o.error;
    EXPECT_GE(o.lre, 6.0) << s;
  }
}

TEST(LstsqAccuracy, Pontius) {
  for (const std::string& s : kStable) {
    const Outcome& o = outcome("Pontius", s);
    EXPECT_FALSE(o.failed) << s << ": " << o.error;
    EXPECT_GE(o.lre, 7.0) << s;
  }
}

// Iterative refinement with double-double residuals (cpu.qr.refined) recovers nearly every digit the
// data hold where kappa eps is well below 1: >= 13 digits on every set but Filip (measured 13.2 to
// 17.0, i.e. exact to the certified values' 15 printed digits on Wampler1 and 3-5). On Filip
// (kappa 1.8e15 as given, far less after column scaling, to which QR is immune) refinement converges
// (estimated error ~4e-17) to the least-squares solution of the data as rounded to double, which
// agrees with the certified values to 7.9 digits: the bound the rounded design allows.
TEST(LstsqAccuracy, RefinedQrCertifiedDigits) {
  for (const char* name : {"Norris", "NoInt1", "NoInt2", "Longley", "Pontius", "Wampler1",
                           "Wampler2", "Wampler3", "Wampler4", "Wampler5"}) {
    const Outcome& o = outcome(name, "cpu.qr.refined");
    EXPECT_FALSE(o.failed) << name << ": " << o.error;
    EXPECT_GE(o.lre, 13.0) << "cpu.qr.refined on " << name;
  }
  const Outcome& filip = outcome("Filip", "cpu.qr.refined");
  EXPECT_FALSE(filip.failed) << filip.error;
  EXPECT_GE(filip.lre, 7.0);
  auto s = default_registry().get("cpu.qr.refined").make<double>();
  s->setup(dataset("Longley").problem);
  s->timed_solve();
  EXPECT_TRUE(s->info().converged) << s->info().note;
  EXPECT_GE(s->info().iterations, 1);
  EXPECT_LE(s->info().iterations, 5);
}

// Filip: kappa 1.8e15 as given, far less after column scaling, which Householder QR is immune to.
// At their default cutoff rcond = max(m,n) eps = 82 eps = 1.8e-14 the rank-revealing solvers
// (colpiv QR, COD, SVD) rightly call Filip numerically rank deficient and return a truncated
// solution (0 digits of the certified values; R's lm() does the same). Without truncation
// (rcond = 0) COD, like plain QR, gets the ~7.5 digits careful codes report; the SVD is not
// column-scaling invariant and keeps about 4.
TEST(LstsqAccuracy, Filip) {
  for (const char* s : {"cpu.qr", "cpu.cod/rc0"}) {
    const Outcome& o = outcome("Filip", s);
    EXPECT_FALSE(o.failed) << s << ": " << o.error;
    EXPECT_GE(o.lre, 6.0) << s;
  }
  const Outcome& svd = outcome("Filip", "cpu.svd/rc0");
  EXPECT_FALSE(svd.failed) << svd.error;
  EXPECT_GE(svd.lre, 3.0);
}

// The normal equations square the condition number: on the hard sets they either refuse with
// NumericalError or keep visibly fewer digits than the best backward-stable solver. (Not Wampler5:
// its huge residual costs every method its digits through the kappa^2 ||r|| term, measured 6.3
// for Cholesky against 6.6-7.3 for the others.)
TEST(LstsqAccuracy, NormalEquationsLoseDigitsOrRefuse) {
  for (const char* name : {"Longley", "Filip", "Wampler1", "Wampler2", "Wampler3", "Wampler4"}) {
    double best = 0.0;
    for (const std::string& s : kStable) {
      const Outcome& o = outcome(name, s);
      if (!o.failed) best = std::max(best, o.lre);
    }
    const Outcome& ne = outcome(name, "cpu.cholesky");
    if (ne.failed) {
      EXPECT_NE(ne.error.find("positive definite"), std::string::npos) << ne.error;
    } else {
      EXPECT_LE(ne.lre, best - 1.0) << "cpu.cholesky on " << name << " keeps as many digits as QR";
    }
  }
}

// Generated monomial fits: consistent systems with x_true = ones, so the forward-error bound
// c * kappa * eps (c = 30, as in test_lstsq) predicts the digits: LRE >= -log10(30 kappa eps).
TEST(LstsqAccuracy, PolynomialFitWithinKappaBound) {
  for (const Dataset& d : datasets()) {
    if (d.name.rfind("poly", 0) != 0) continue;
    const double digits = -std::log10(30.0 * d.kappa * eps<double>());
    for (const std::string& s : kStable) {
      const Outcome& o = outcome(d.name, s);
      EXPECT_FALSE(o.failed) << s << " on " << d.name << ": " << o.error;
      EXPECT_GE(o.lre, digits) << s << " on " << d.name << " (kappa " << d.kappa << ")";
    }
    const Outcome& ne = outcome(d.name, "cpu.cholesky");
    if (d.kappa * d.kappa * eps<double>() < 0.1) {
      EXPECT_FALSE(ne.failed) << d.name << ": " << ne.error;
      EXPECT_GE(ne.lre, -std::log10(30.0 * d.kappa * d.kappa * eps<double>())) << d.name;
    }  // else no correct digit is predicted: NumericalError or a finite answer are both fine
  }
}

// ---------------------------------------------------------------------------------------------
// Regression statistics (lsgd solve --stats) against NIST's certified standard deviations of the
// estimates, residual standard deviation and R^2 (<name>.certified_sd, <name>.certified_fit).

struct CertifiedFit {
  std::vector<double> sd;
  double residual_sd = 0.0;
  double r_squared = 0.0;
};

CertifiedFit certified_fit(const std::string& name) {
  CertifiedFit c;
  c.sd = read_certified(name + ".certified_sd");
  std::ifstream in(data_path(name + ".certified_fit"));
  if (!in) throw InvalidInput("cannot open " + data_path(name + ".certified_fit"));
  std::string key, value;
  while (in >> key >> value) {
    const double v = parse_double(value, name + ".certified_fit");
    if (key == "residual_sd") {
      c.residual_sd = v;
    } else if (key == "r_squared") {
      c.r_squared = v;
    } else {
      throw InvalidInput(name + ".certified_fit: unknown key " + key);
    }
  }
  return c;
}

struct StatsDigits {
  double sd = 0.0, residual_sd = 0.0, r_squared = 0.0;
};

StatsDigits stats_digits(const std::string& name, RegressionStats* out = nullptr) {
  const Dataset& d = dataset(name);
  const CertifiedFit c = certified_fit(name);
  const RegressionStats st = regression_stats(d.problem);
  if (st.std_err.size() != c.sd.size()) throw InvalidInput(name + ": SD count differs");
  if (out != nullptr) *out = st;
  // lre(): relative digits, absolute where the certified value is 0 (Wampler1/2: exact fits).
  return StatsDigits{lre(st.std_err, c.sd), lre({st.residual_sd}, {c.residual_sd}),
                     lre({st.r_squared}, {c.r_squared})};
}

const std::vector<std::string> kNistSets = {"Norris",   "Pontius",  "NoInt1",   "NoInt2",
                                            "Longley",  "Wampler1", "Wampler2", "Wampler3",
                                            "Wampler4", "Wampler5", "Filip"};

TEST(RegressionStatsNist, PrintTable) {
  std::ostringstream os;
  os << "\nregression_stats: LRE against NIST's certified SDs (min), residual SD and R^2:\n";
  os << std::left << std::setw(10) << "dataset" << std::right << std::setw(8) << "SD" << std::setw(8)
     << "res.SD" << std::setw(8) << "R^2" << std::setw(7) << "steps" << std::setw(12)
     << "kappa(AD)" << "\n";
  for (const std::string& name : kNistSets) {
    RegressionStats st;
    const StatsDigits g = stats_digits(name, &st);
    os << std::left << std::setw(10) << name << std::right << std::fixed << std::setprecision(1)
       << std::setw(8) << g.sd << std::setw(8) << g.residual_sd << std::setw(8) << g.r_squared
       << std::setw(7) << st.refinement_steps << std::setw(12) << std::scientific
       << std::setprecision(2) << st.scaled_condition_number << "\n";
  }
  std::cout << os.str() << std::defaultfloat;
}

// The target: at least 10 digits on every set but Filip.
TEST(RegressionStatsNist, TenDigitsOnEverySetButFilip) {
  for (const std::string& name : kNistSets) {
    if (name == "Filip") continue;
    RegressionStats st;
    const StatsDigits g = stats_digits(name, &st);
    EXPECT_GE(g.sd, 10.0) << name;
    EXPECT_GE(g.residual_sd, 10.0) << name;
    EXPECT_GE(g.r_squared, 10.0) << name;
    EXPECT_TRUE(st.converged) << name << ": " << st.note;
  }
}

// Filip: the refinement converges for the data as rounded to double, whose least-squares problem
// differs from NIST's (exact decimal data) in the 8th digit; the statistics inherit that bound.
TEST(RegressionStatsNist, FilipKeepsTheDigitsTheRoundedDataAllow) {
  RegressionStats st;
  const StatsDigits g = stats_digits("Filip", &st);
  EXPECT_GE(g.sd, 8.0);  // measured 8.6
  EXPECT_GE(g.residual_sd, 8.0);  // measured 8.5
  EXPECT_GE(g.r_squared, 10.0);  // measured 10.7
}

// The conventions: NoInt1/2 have no constant column, so R^2 is uncentered (NIST's and statsmodels'
// convention for a model through the origin), and the F test has p - 0 model degrees of freedom.
TEST(RegressionStatsNist, InterceptDetectionAndConventions) {
  const RegressionStats longley = regression_stats(dataset("Longley").problem);
  EXPECT_EQ(longley.intercept_column, 0);
  EXPECT_EQ(longley.df_model, 6);
  EXPECT_EQ(longley.df_resid, 9);
  // NIST's certified F statistic for Longley (ANOVA table of Longley.dat).
  EXPECT_GE(lre({longley.f_statistic}, {330.285339234588}), 10.0);
  const RegressionStats noint = regression_stats(dataset("NoInt1").problem);
  EXPECT_EQ(noint.intercept_column, -1);
  EXPECT_EQ(noint.df_model, 1);
  // NIST's certified F for NoInt1 (15750.25) and the adjusted R^2 without a constant.
  EXPECT_GE(lre({noint.f_statistic}, {15750.25}), 10.0);
  EXPECT_NEAR(noint.adj_r_squared, 1.0 - 11.0 / 10.0 * (1.0 - noint.r_squared), 1e-15);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// The quad-precision reference (lsgd/reference.hpp): the exact least-squares solution of the data
// as rounded to double. Where the data are exact in double (Longley's integers, Wampler1 and 3-5) it
// reproduces NIST's certified digits; where decimal data round (Pontius, Wampler2: 13.2-13.5 digits)
// and above all on Filip (7.9 digits, kappa 1.8e15), the rounding of the data to double already
// moves the solution, and the reference measures by how much: the bound no solver working on the
// double data can beat (issue 17: Filip "as many digits as the rounded data allow"). cpu.qr.refined
// reaches that exact solution to the last printed digit on every set, Filip included.

TEST(QuadReference, NistCertifiedDigitsAndTheRoundedDataBound) {
  if (!has_quad_reference()) GTEST_SKIP() << "no 113-bit floating-point type in this build";
  std::printf("\n%-9s  %12s  %22s\n", "dataset", "LRE(ref)", "LRE(cpu.qr.refined, ref)");
  for (const char* name : {"Longley", "Pontius", "Wampler1", "Wampler2", "Wampler3", "Wampler4",
                           "Wampler5", "Filip"}) {
    const Dataset& d = dataset(name);
    const std::vector<double> ref = lstsq_reference(d.problem);
    const double bound = lre(ref, d.certified);
    auto s = default_registry().get("cpu.qr.refined").make<double>();
    s->setup(d.problem);
    s->timed_solve();
    const double refined = lre(s->solution(), ref);
    std::printf("%-9s  %12.1f  %22.1f\n", name, bound, refined);
    const std::string n = name;
    if (n != "Filip") {
      EXPECT_GE(bound, 13.0) << name;
    }
    // Filip's data rounded to double allow about 8 digits of NIST's values; no solver in double
    // gets more (cpu.qr.refined keeps the digits of the rounded data's own solution, below).
    if (n == "Filip") {
      EXPECT_GE(bound, 7.0);
      EXPECT_LE(bound, 9.5);
    }
    // The refined solver agrees with the exact solution of the data it was given.
    EXPECT_GE(refined, 13.0) << name;
  }
}

TEST(QuadReference, ExactOnAnExactlyRepresentableSystem) {
  if (!has_quad_reference()) GTEST_SKIP() << "no 113-bit floating-point type in this build";
  // Small integers: b = A x is exact in double, so the reference must be x exactly (after QR in
  // quad and rounding to double); the last column is nearly dependent on the first (dyadic
  // perturbation 2^-20, so every product and sum stays exact).
  Problem<double> p;
  p.m = 12;
  p.n = 4;
  p.A.resize(48);
  p.b.assign(12, 0.0);
  const std::vector<double> x = {3.0, -7.0, 11.0, 0.5};
  for (index_t i = 0; i < p.m; ++i) {
    for (index_t j = 0; j < p.n; ++j) p.a(i, j) = static_cast<double>((i * 7 + j * 13 + i * j) % 17) - 8.0;
    p.a(i, 3) = p.a(i, 0) + p.a(i, 1) * std::ldexp(1.0, -20) + static_cast<double>(i % 3);
  }
  for (index_t i = 0; i < p.m; ++i) {
    for (index_t j = 0; j < p.n; ++j) p.b[static_cast<size_t>(i)] += p.a(i, j) * x[static_cast<size_t>(j)];
  }
  const std::vector<double> ref = lstsq_reference(p);
  for (size_t j = 0; j < x.size(); ++j) EXPECT_NEAR(ref[j], x[j], 4e-16 * std::abs(x[j])) << j;
}

TEST(QuadReference, RejectsWhatItCannotSolve) {
  if (!has_quad_reference()) GTEST_SKIP() << "no 113-bit floating-point type in this build";
  Problem<double> p;
  p.m = 5;
  p.n = 2;
  p.A = {1, 2, 3, 4, 5, 2, 4, 6, 8, 10};  // column 2 = 2 * column 1
  p.b = {1, 1, 1, 1, 1};
  EXPECT_THROW(lstsq_reference(p), NumericalError);
  p.m = 2;
  p.n = 5;
  p.b = {1, 1};
  EXPECT_THROW(lstsq_reference(p), InvalidInput);
  Problem<float> q;
  q.m = 3;
  q.n = 1;
  q.A = {1, 2, std::nanf("")};
  q.b = {1, 1, 1};
  EXPECT_THROW(lstsq_reference(q), InvalidInput);
}

}  // namespace lsgd
