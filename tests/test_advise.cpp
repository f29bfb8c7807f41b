// `lsgd advise` (issue 26): the table reader, the nonnegative fit, the time, digits and iteration
// models, the refusals, and the model against the committed reference CPU run: reproduction of the
// entries it was fitted on, and the error on entries held out of the fit (every other size).
#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "lsgd/error.hpp"
#include "lsgd/metrics.hpp"
#include "lsgd/registry.hpp"
#include "tests/cli_fixture.hpp"
#include "tools/advise.hpp"
#include "tools/advise_nnls.hpp"

namespace lsgd::advise {
namespace {

namespace fs = std::filesystem;

const std::string kReference = std::string(LSGD_SOURCE_DIR) + "/results/cpu-2core-20261129";

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t h = v.size() / 2;
  return v.size() % 2 ? v[h] : 0.5 * (v[h - 1] + v[h]);
}

// A table file in a fresh directory; rows are tab-separated lines under the given header.
class TableFile {
 public:
  TableFile(const std::string& name, const std::string& header,
            const std::vector<std::string>& rows, const std::string& meta = "") {
    dir_ =
        fs::temp_directory_path() / ("lsgd_test_advise_" + name + "_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    std::ofstream out(dir_ / kTableFile);
    out << "# test table\n#@\tformat\t1\n#@\tsource\t" << name << "\n"
        << "#@\tdevice\tcpu\ttest CPU\n"
        << meta << header << "\n";
    for (const std::string& r : rows) out << r << "\n";
  }
  ~TableFile() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string dir() const { return dir_.string(); }

 private:
  fs::path dir_;
};

const char* kHeader =
    "family\tsolver\tdevice\tmode\tprecision\tm\tn\tbatch\titerations\tkappa\t"
    "target\tflop_model\tflops\tbytes\ttime_s\tspread\trel_err\tdigits\tfailed";

std::string row(const std::string& family, const std::string& solver, double m, double n,
                double batch, double iters, double time_s, const std::string& flop_model = "qr",
                double rel_err = 1e-15, const std::string& precision = "f64",
                const std::string& device = "cpu", const std::string& mode = "") {
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "%s\t%s\t%s\t%s\t%s\t%.17g\t%.17g\t%s\t%s\t\t\t%s\t\t\t%.17g\t0.01\t%g\t\t0",
                family.c_str(), solver.c_str(), device.c_str(), mode.c_str(), precision.c_str(), m,
                n, batch > 0 ? std::to_string(static_cast<long long>(batch)).c_str() : "",
                iters > 0 ? std::to_string(static_cast<long long>(iters)).c_str() : "",
                flop_model.c_str(), time_s, rel_err);
  return buf;
}

TEST(AdviseNnls, RecoversANonnegativeSolutionExactly) {
  // Columns of very different scales, as a fixed cost, flops and bytes are.
  Eigen::MatrixXd A(6, 3);
  A << 1, 1e9, 3e6, 1, 4e9, 1e7, 1, 2e10, 2e7, 1, 5e10, 9e7, 1, 1e11, 1e8, 1, 3e11, 6e8;
  const Eigen::Vector3d x_true(2e-5, 1e-11, 4e-10);
  const Eigen::VectorXd x = nnls(A, A * x_true);
  for (int j = 0; j < 3; ++j) EXPECT_NEAR(x(j), x_true(j), 1e-8 * x_true(j)) << j;
}

TEST(AdviseNnls, MatchesTheBestNonnegativeSubsetWhereLeastSquaresGoesNegative) {
  // b is fitted better with a negative second coefficient: the constrained optimum has it at 0.
  Eigen::MatrixXd A(5, 2);
  A << 1, 1, 1, 2, 1, 3, 1, 4, 1, 5;
  const Eigen::VectorXd b = (Eigen::VectorXd(5) << 5, 4, 3, 2, 1).finished();
  const Eigen::VectorXd x = nnls(A, b);
  EXPECT_NEAR(x(0), 3.0, 1e-12);  // the mean of b, with the slope at its bound
  EXPECT_EQ(x(1), 0.0);
  // No nonnegative point does better (a grid around it).
  const double best = (A * x - b).norm();
  for (double a = 0; a <= 6; a += 0.05) {
    for (double s = 0; s <= 2; s += 0.05) {
      EXPECT_GE((A * Eigen::Vector2d(a, s) - b).norm(), best - 1e-12);
    }
  }
}

TEST(AdviseTable, ReadsTheCommittedReferenceTable) {
  const Table t = read_table(kReference);
  EXPECT_EQ(t.source, "cpu-2core-20261129");
  EXPECT_GT(t.rows.size(), 700u);
  ASSERT_TRUE(t.device_label.count("cpu"));
  EXPECT_GT(t.cache.at("cpu").at("l2"), 0);
  // The table's flops and bytes are the benchmark's; the model recomputes them for any size from
  // the same registry models. Equal on every timed row (rounding of the 9 digits written).
  int checked = 0;
  for (const Measurement& r : t.rows) {
    if (r.failed || r.flops == 0) continue;
    const double eb = r.precision == "f32" ? 4 : 8;
    const double batch = std::max(1.0, r.batch);
    double flops = 0, bytes = 0;
    if (r.family == "ls" || r.family == "bls" ||
        ((r.family == "acc" || r.family == "tta") && r.flop_model != "gd_iter")) {
      FlopModel fm{};
      ASSERT_TRUE(flop_model_from_string(r.flop_model, &fm)) << r.flop_model;
      flops = batch * model_flops(fm, r.m, r.n);
      bytes = batch * bytes_ls(r.m, r.n, eb);
    } else if (r.family == "gd" || r.family == "bgd") {
      flops = batch * flops_gd_iter(r.m, r.n) * r.iterations;
      bytes = batch * r.m * r.n * eb * r.iterations;
    } else {
      continue;
    }
    EXPECT_NEAR(r.flops, flops, 1e-8 * flops) << r.solver << " line " << r.line;
    EXPECT_NEAR(r.bytes, bytes, 1e-8 * bytes) << r.solver << " line " << r.line;
    ++checked;
  }
  EXPECT_GT(checked, 500);
}

TEST(AdviseTable, MalformedTablesAreClearErrors) {
  const auto message = [](const std::string& dir) {
    try {
      read_table(dir);
    } catch (const InvalidInput& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  {
    const TableFile t("badnum", kHeader, {row("ls", "cpu.qr", 100, 10, 0, 0, 1e-3)});
    std::ofstream(fs::path(t.dir()) / kTableFile, std::ios::app)
        << "ls\tcpu.qr\tcpu\t\tf64\t12x\t10\t\t\t\t\tqr\t\t\t0.1\t\t\t\t0\n";
    EXPECT_NE(message(t.dir()).find(":7: column 'm'"), std::string::npos) << message(t.dir());
  }
  {
    const TableFile t("nocol", "family\tsolver\tdevice\tprecision\tm\tn\tfailed", {});
    EXPECT_NE(message(t.dir()).find("no column 'time_s'"), std::string::npos) << message(t.dir());
  }
  {
    const TableFile t("empty", kHeader, {});
    EXPECT_NE(message(t.dir()).find("no measurements"), std::string::npos);
  }
  const std::string missing = (fs::temp_directory_path() / "lsgd_no_such_results_dir").string();
  EXPECT_NE(message(missing).find("no such results directory"), std::string::npos);
  // A results directory without a table says how to write one.
  const fs::path bare =
      fs::temp_directory_path() / ("lsgd_advise_bare_" + std::to_string(::getpid()));
  fs::create_directories(bare);
  EXPECT_NE(message(bare.string()).find("tools/advise_table.py"), std::string::npos);
  fs::remove_all(bare);
}

// Rows whose times follow the trend exactly: every held-out size is predicted to rounding, and
// the coefficients are recovered (the fit can fail only by a wrong feature or a wrong solver).
TEST(AdviseTime, AModelOfTheTrendsFormIsRecoveredExactly) {
  const double c0 = 20e-6, per_flop = 1.0 / 40e9, per_byte = 1.0 / 10e9;
  std::vector<std::string> rows;
  for (const double n : {8.0, 16.0, 32.0, 64.0, 128.0}) {
    for (const double m : {1024.0, 4096.0, 16384.0, 65536.0}) {
      const double t = c0 + per_flop * flops_qr_ls(m, n) + per_byte * bytes_ls(m, n, 8);
      rows.push_back(row("ls", "cpu.qr", m, n, 0, 0, t));
    }
  }
  const TableFile tf("exact", kHeader, rows);  // no cache sizes: one bandwidth
  const Table t = read_table(tf.dir());
  const Advisor fit(std::vector<Table>{every_other_size(t, 0)});
  const CheckReport rep = fit.check(every_other_size(t, 1), 6, 3);
  ASSERT_EQ(rep.rows.size(), 10u);
  for (const CheckRow& r : rep.rows)
    EXPECT_LT(r.rel_err, 1e-6) << r.measured.m << "x" << r.measured.n;
}

TEST(AdviseTime, ReproducesEveryEntryItWasFittedOnWithinItsSpread) {
  const Table t = read_table(kReference);
  const Advisor adv(std::vector<Table>{t});
  const CheckReport rep = adv.check(t, 6, 3);  // fitted on the same entries
  ASSERT_GT(rep.rows.size(), 500u);
  for (const CheckRow& r : rep.rows) {
    const double spread = std::isfinite(r.measured.spread) ? r.measured.spread : 0.0;
    EXPECT_LE(r.rel_err, std::max(spread, 1e-9))
        << r.measured.solver << " line " << r.measured.line;
    EXPECT_TRUE(r.predicted.measured);
    EXPECT_LE(r.predicted.lo, r.measured.time_s);
    EXPECT_GE(r.predicted.hi, r.measured.time_s);
  }
}

// The parametric part alone (no correction from the measurements) on the entries it was fitted on:
// median relative error 14.9% on the reference run (2026-12-04); bounded at 25%.
TEST(AdviseTime, TheTrendAloneFollowsTheMeasurements) {
  const Table t = read_table(kReference);
  std::map<std::string, std::vector<const Measurement*>> groups;
  for (const Measurement& r : t.rows) {
    if ((r.family == "ls" || r.family == "bls" || r.family == "gd" || r.family == "bgd") &&
        !r.failed && !r.busy) {
      groups[r.family + r.solver + r.precision].push_back(&r);
    }
  }
  std::vector<double> err;
  for (const auto& [key, pts] : groups) {
    const TimeModel m(pts, t.cache.at("cpu").at("l2"), t.cache.at("cpu").at("l3"));
    for (const Measurement* p : pts) err.push_back(std::abs(m.trend(shape_of(*p)) / p->time_s - 1));
  }
  EXPECT_LT(median(err), 0.25) << "median " << median(err);
}

// Held out of the fit (every other size of each solver): the median prediction error on the
// reference CPU run is 18.5% over all 276 held-out entries (16.0% on the 153 inside the fitted
// range and near a fitted size; 2026-12-04). Bounded at the target, 20%; inside the
// range at 18%.
TEST(AdviseTime, HeldOutEntriesMedianErrorIsBounded) {
  const Table t = read_table(kReference);
  const Advisor adv(std::vector<Table>{every_other_size(t, 0)});
  const CheckReport rep = adv.check(every_other_size(t, 1), 6, 3);
  std::vector<double> all, inside;
  for (const CheckRow& r : rep.rows) {
    all.push_back(r.rel_err);
    if (!r.predicted.extrapolated) inside.push_back(r.rel_err);
  }
  ASSERT_GT(all.size(), 250u);
  EXPECT_LE(median(all), 0.20) << "median of " << all.size();
  EXPECT_LE(median(inside), 0.18) << "median of " << inside.size();
  // The advised solver: the measured fastest, or within 5% of it, in >= 90% of the workloads.
  ASSERT_GT(rep.workloads, 40);
  EXPECT_GE(rep.advised_within_5pct, 0.9 * rep.workloads);
}

TEST(AdviseTime, BelowTheMeasuredSizesTheTimeIsBracketed) {
  const Table t = read_table(kReference);
  std::vector<const Measurement*> pts;
  for (const Measurement& r : t.rows) {
    if (r.family == "ls" && r.solver == "cpu.qr" && r.precision == "f64" && !r.failed) {
      pts.push_back(&r);
    }
  }
  const TimeModel m(pts, t.cache.at("cpu").at("l2"), t.cache.at("cpu").at("l3"));
  const TimePrediction at_edge = m.predict({64, 64, 0, 0});  // the smallest measured
  const TimePrediction below = m.predict({32, 32, 0, 0});
  EXPECT_TRUE(below.extrapolated);
  EXPECT_NE(below.range_note.find("outside the measured"), std::string::npos);
  EXPECT_LE(below.time_s, at_edge.time_s);
  EXPECT_LE(below.lo, below.time_s);
  EXPECT_GE(below.hi, below.time_s);
  // Above: never faster than the largest measured.
  const TimePrediction above = m.predict({4 * 1048576.0, 64, 0, 0});
  EXPECT_TRUE(above.extrapolated);
  EXPECT_GE(above.time_s, m.predict({1048576, 64, 0, 0}).time_s);
}

// Expectations from the table's own rows, so that the test holds for a re-taken reference run.
const Measurement* find_row(const Table& t, const std::string& family, const std::string& solver,
                            const std::string& precision, double kappa, double target = 0) {
  for (const Measurement& r : t.rows) {
    if (r.family == family && r.solver == solver && r.precision == precision &&
        std::abs(r.kappa / kappa - 1) < 1e-9 && (target == 0 || r.target == target)) {
      return &r;
    }
  }
  return nullptr;
}

TEST(AdviseAccuracy, DirectDigitsInterpolateTheAccMeasurementsAndRefuseWhereTheyFailed) {
  const Table t = read_table(kReference);
  std::vector<const Measurement*> acc;
  for (const Measurement& r : t.rows) {
    if (r.family == "acc" && r.solver == "cpu.cholesky" && r.precision == "f64") acc.push_back(&r);
  }
  const DigitsModel dm(acc, "f64", true);
  // bench_acc's cpu.cholesky f64 at kappa(A) = 1e2 and 1e4 (kappa(A^T A) = 1e4, 1e8), refused at
  // 1e8 (12.59, 8.67 digits; refused on the 2026-11-29 run).
  const Measurement* k2 = find_row(t, "acc", "cpu.cholesky", "f64", 1e4);
  const Measurement* k4 = find_row(t, "acc", "cpu.cholesky", "f64", 1e8);
  const Measurement* k8 = find_row(t, "acc", "cpu.cholesky", "f64", 1e16);
  ASSERT_TRUE(k2 && k4 && k8);
  ASSERT_FALSE(k2->failed || k4->failed);
  EXPECT_NEAR(dm.at(1e4).digits, k4->digits, 1e-9);
  EXPECT_NEAR(dm.at(1e3).digits, 0.5 * (k2->digits + k4->digits), 1e-9);  // linear in log kappa
  EXPECT_NEAR(dm.at(10).digits, k2->digits, 1e-9);  // below: the lowest measured (at least)
  EXPECT_EQ(dm.at(1e8).refused, k8->failed);
  EXPECT_TRUE(dm.at(1e9).refused || !k8->failed);
  // Without measurements: the bound with constant 1 (kappa^2 u, u = 2^-53).
  const DigitsModel none({}, "f64", true);
  EXPECT_NEAR(none.at(1e4).digits, -std::log10(1e8 * std::ldexp(1.0, -53)), 1e-12);
  EXPECT_FALSE(none.at(1e4).measured);
}

TEST(AdviseAccuracy, IterationsReproduceTheTtaMeasurements) {
  const Table t = read_table(kReference);
  std::vector<const Measurement*> tta;
  for (const Measurement& r : t.rows) {
    if (r.family == "tta" && r.solver == "cpu.gd" && r.precision == "f64") tta.push_back(&r);
  }
  const IterationModel im(tta, "f64");
  // bench_tta's cpu.gd f64 at kappa(A^T A) = 100: the iterations to 1e-3 and 1e-6 (536 and 1232 on
  // the 2026-11-29 run), reproduced.
  const Measurement* t3 = find_row(t, "tta", "cpu.gd", "f64", 100, 1e-3);
  const Measurement* t6 = find_row(t, "tta", "cpu.gd", "f64", 100, 1e-6);
  ASSERT_TRUE(t3 && t6 && !t3->failed && !t6->failed);
  EXPECT_EQ(im.iterations_for(10, 3).iterations, t3->iterations);
  EXPECT_EQ(im.iterations_for(10, 6).iterations, t6->iterations);
  EXPECT_FALSE(im.iterations_for(10, 6).extrapolated);
  EXPECT_NEAR(im.digits_after(10, t6->iterations).digits, 6.0, 1e-9);
  EXPECT_TRUE(im.iterations_for(1e3, 6).extrapolated);  // kappa(A^T A) = 1e6 > 1e3 measured
  // Beyond the kappa^2 u floor: unreachable at any iteration count.
  EXPECT_TRUE(im.iterations_for(1e8, 6).unreachable);
  // f32: 1e-6 was not reached at kappa(A^T A) = 100 (measured), so neither at 1000.
  std::vector<const Measurement*> tta32;
  for (const Measurement& r : t.rows) {
    if (r.family == "tta" && r.solver == "cpu.gd" && r.precision == "f32") tta32.push_back(&r);
  }
  EXPECT_TRUE(IterationModel(tta32, "f32").iterations_for(std::sqrt(1000.0), 6).unreachable);
  EXPECT_FALSE(IterationModel(tta32, "f32").iterations_for(std::sqrt(10.0), 6).unreachable);
}

std::string error_of(const Advisor& adv, const Query& q) {
  try {
    adv.advise(q);
  } catch (const InvalidInput& e) {
    return e.what();
  }
  return "no error";
}

TEST(Advise, RanksByPredictedTimeAndSaysWhatItRestsOn) {
  const Advisor adv(std::vector<Table>{read_table(kReference)});
  Query q;
  q.m = 262144;
  q.n = 64;
  q.kappa = 100;
  q.digits = 6;
  const Advice a = adv.advise(q);
  ASSERT_GE(a.ranked.size(), 5u);
  for (size_t i = 1; i < a.ranked.size(); ++i) {
    EXPECT_LE(a.ranked[i - 1].time.time_s, a.ranked[i].time.time_s);
  }
  // A measured workload: the measurement itself is the prediction and its basis.
  const Candidate& top = a.ranked[0];
  EXPECT_TRUE(top.time.measured);
  ASSERT_FALSE(top.time.basis.empty());
  EXPECT_EQ(top.time.basis[0]->m, 262144);
  // The measured fastest at 262144 x 64 f64 (cpu.cholesky on the 2026-11-29 run).
  const Measurement* fastest = nullptr;
  for (const Measurement& r : adv.tables()[0].rows) {
    if (r.family == "ls" && r.precision == "f64" && r.m == 262144 && r.n == 64 && !r.failed &&
        (fastest == nullptr || r.time_s < fastest->time_s)) {
      fastest = &r;
    }
  }
  ASSERT_NE(fastest, nullptr);
  EXPECT_EQ(top.solver, fastest->solver);
  EXPECT_NEAR(top.time.time_s, fastest->time_s, 1e-12 * fastest->time_s);
  EXPECT_GE(top.digits.digits, 6);
  // GPU: never measured here, so no data, not a guess.
  ASSERT_EQ(a.no_data.size(), 1u);
  EXPECT_EQ(a.no_data[0].rfind("gpu:", 0), 0u);
  for (const Candidate& c : a.ranked) EXPECT_EQ(c.device, "cpu");
}

TEST(Advise, RefusalsAreClearErrors) {
  const Advisor adv(std::vector<Table>{read_table(kReference)});
  Query q;
  q.m = 4096;
  q.n = 64;
  // Goal unreachable: 7 digits at kappa(A) = 1e6 in f32.
  q.precision = "f32";
  q.kappa = 1e6;
  q.digits = 7;
  EXPECT_NE(error_of(adv, q).find("goal unreachable"), std::string::npos) << error_of(adv, q);
  q.digits = 9;  // more than f32 holds at all
  EXPECT_NE(error_of(adv, q).find("more than f32 holds"), std::string::npos);
  // Out of range: 1e9 rows, 1000 times beyond every solver's largest measured m.
  q.precision = "f64";
  q.kappa = 100;
  q.digits = 6;
  q.m = 1e9;
  EXPECT_NE(error_of(adv, q).find("out of range"), std::string::npos) << error_of(adv, q);
  q.max_beyond = 1e4;  // --extrapolate 1e4: predicted, and flagged
  const Advice a = adv.advise(q);
  EXPECT_TRUE(a.ranked[0].time.extrapolated);
  // No data: a table of single-problem solvers asked about a batch.
  const TableFile tf(
      "nodata", kHeader,
      {row("ls", "cpu.qr", 1000, 10, 0, 0, 1e-4), row("ls", "cpu.qr", 4000, 10, 0, 0, 4e-4)});
  const Advisor small(std::vector<Table>{read_table(tf.dir())});
  Query b;
  b.m = 1000;
  b.n = 10;
  b.batch = 100;
  EXPECT_NE(error_of(small, b).find("no data"), std::string::npos) << error_of(small, b);
  // Underdetermined: never measured.
  Query u;
  u.m = 10;
  u.n = 1000;
  EXPECT_NE(error_of(small, u).find("underdetermined"), std::string::npos) << error_of(small, u);
}

// A CPU and a GPU of one run: both ranked, each GPU time from the mode asked (end to end by
// default: the data starts in host memory), and no "no data" line.
TEST(Advise, RanksAcrossDevicesInTheModeAsked) {
  std::vector<std::string> rows;
  for (const double m : {4096.0, 16384.0, 65536.0, 262144.0}) {
    rows.push_back(row("ls", "cpu.qr", m, 64, 0, 0, 4e-9 * m * 64));
    rows.push_back(
        row("ls", "cuda.qr", m, 64, 0, 0, 2e-3 + 1e-9 * m * 64, "qr", 1e-15, "f64", "gpu", "e2e"));
    rows.push_back(row("ls", "cuda.qr", m, 64, 0, 0, 1e-4 + 1e-10 * m * 64, "qr", 1e-15, "f64",
                       "gpu", "resident"));
  }
  const TableFile tf("devices", kHeader, rows, "#@\tdevice\tgpu\ttest GPU\n");
  const Advisor adv(std::vector<Table>{read_table(tf.dir())});
  Query q;
  q.m = 65536;
  q.n = 64;
  const Advice e2e = adv.advise(q);
  EXPECT_TRUE(e2e.no_data.empty());
  ASSERT_EQ(e2e.ranked.size(), 2u);
  // cpu.qr 16.8 ms, cuda.qr end to end 6.2 ms: the GPU first, at its e2e time.
  EXPECT_EQ(e2e.ranked[0].device, "gpu");
  EXPECT_NEAR(e2e.ranked[0].time.time_s, 2e-3 + 1e-9 * 65536 * 64, 1e-9);
  EXPECT_EQ(e2e.ranked[0].device_label, "gpu: test GPU [devices]");
  q.mode = "resident";
  EXPECT_NEAR(adv.advise(q).ranked[0].time.time_s, 1e-4 + 1e-10 * 65536 * 64, 1e-9);
  // Small problems: the transfer does not pay, the CPU comes first end to end.
  q.mode = "e2e";
  q.m = 4096;
  EXPECT_EQ(adv.advise(q).ranked[0].device, "cpu");
}

TEST(Advise, EveryOtherSizeSplitsTheTimeRowsInTwo) {
  const Table t = read_table(kReference);
  const Table a = every_other_size(t, 0), b = every_other_size(t, 1);
  size_t timed = 0, timed_a = 0, timed_b = 0;
  const auto is_timed = [](const Measurement& r) {
    return (r.family == "ls" || r.family == "bls" || r.family == "gd" || r.family == "bgd") &&
           !r.failed && !r.busy;
  };
  for (const Measurement& r : t.rows) timed += is_timed(r);
  for (const Measurement& r : a.rows) timed_a += is_timed(r);
  for (const Measurement& r : b.rows) timed_b += is_timed(r);
  EXPECT_EQ(timed_a + timed_b, timed);
  EXPECT_GT(timed_b, timed / 3);
  EXPECT_EQ(a.rows.size() - timed_a, t.rows.size() - timed);  // acc, tta, failed rows: in both
}

// The binary: exit status 0, 1 (data: no data, out of range, unreachable) or 2 (usage), one line
// on stderr for an error.
class AdviseCli : public cli_test::CliTest {};

TEST_F(AdviseCli, AnswersWithTheDefaultResultsAndInJson) {
  const auto r = run("advise --m 65536 --n 32");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("cpu.cholesky"), std::string::npos);
  // Which results were used: the newest reference (the older one holds a SUPERSEDED file).
  EXPECT_NE(r.out.find("cpu-2core-20261204"), std::string::npos);
  EXPECT_EQ(r.out.find("cpu-2core-20261129"), std::string::npos);
  EXPECT_NE(r.out.find("assumed"), std::string::npos);             // kappa(A) was not given
  EXPECT_NE(r.out.find("no data: gpu"), std::string::npos);
  const auto j = run("advise --m 65536 --n 32 --results '" + kReference + "' --json");
  ASSERT_EQ(j.code, 0) << j.err;
  EXPECT_EQ(j.out.rfind("{\"query\":", 0), 0u);
  EXPECT_NE(j.out.find("\"ranked\":[{\"rank\":1,"), std::string::npos);
  EXPECT_EQ(cli_test::count_lines(j.out), 1u);
}

// --results is repeatable: a CPU run and a GPU run ranked together (the GPU table: the second H200
// run's quick preset, named with its parent folder); the same run twice is a usage error.
TEST_F(AdviseCli, SeveralResultsAreRankedTogether) {
  const std::string gpu = std::string(LSGD_SOURCE_DIR) + "/results/h200-20261204-2/quick";
  const auto r = run("advise --m 16384 --n 32 --results '" + kReference + "' --results '" + gpu + "'");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("results: cpu-2core-20261129, h200-20261204-2/quick"), std::string::npos)
      << r.out.substr(0, 400);
  EXPECT_NE(r.out.find("NVIDIA H200"), std::string::npos);
  EXPECT_NE(r.out.find("cuda.tsqr"), std::string::npos);
  EXPECT_NE(r.out.find("cpu.tsqr"), std::string::npos);
  const auto twice = run("advise --m 16384 --n 32 --results '" + gpu + "' --results '" + gpu + "'");
  EXPECT_EQ(twice.code, 2) << twice.out;
  EXPECT_NE(twice.err.find("twice"), std::string::npos) << twice.err;
  EXPECT_EQ(cli_test::count_lines(twice.err), 1u) << twice.err;
}

TEST_F(AdviseCli, RefusalsExitOneWithOneLine) {
  for (const std::string& args :
       {std::string("advise --m 4096 --n 64 --precision f32 --kappa 1e6 --digits 7"),
        std::string("advise --m 1e9 --n 64"),
        std::string("advise --m 64 --n 8 --batch 10 --results '") + kReference + "/no_such_dir'"}) {
    const auto r = run(args);
    EXPECT_EQ(r.code, 1) << args << ": " << r.out;
    EXPECT_EQ(cli_test::count_lines(r.err), 1u) << r.err;
    EXPECT_EQ(r.out, "");
  }
}

TEST_F(AdviseCli, UsageErrorsExitTwo) {
  for (const std::string& args :
       {std::string("advise --n 64"), std::string("advise --m 10.5 --n 2"),
        std::string("advise --m 100 --n 2 --kappa 10 --input x.csv"),
        std::string("advise --m 100 --n 2 --precision f16"), std::string("advise --holdout"),
        std::string("advise --check '") + kReference + "' --results '" + kReference + "'"}) {
    const auto r = run(args);
    EXPECT_EQ(r.code, 2) << args << ": " << r.out;
    EXPECT_EQ(cli_test::count_lines(r.err), 1u) << r.err;
  }
}

TEST_F(AdviseCli, InputGivesTheShapeAndKappa) {
  // A polynomial fit: columns 1, x, ..., x^8 on [0, 1] (kappa(A) ~ 1e7), b = sum of the columns.
  std::string csv;
  for (int i = 0; i < 200; ++i) {
    const double x = i / 199.0;
    double p = 1, b = 0;
    for (int k = 0; k <= 8; ++k) {
      csv += std::to_string(p) + ",";
      b += p;
      p *= x;
    }
    csv += std::to_string(b) + "\n";
  }
  write("poly.csv", csv);
  const auto r = run("advise --input poly.csv --digits 12 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("\"m\":200,\"n\":9"), std::string::npos) << r.out.substr(0, 200);
  EXPECT_NE(r.out.find("kappa_2 of poly.csv"), std::string::npos);
  // kappa(A) of this basis: 6.6e5; there the normal equations lose half the digits (refused at
  // 1e8 in bench_acc, 4.7 digits at 1e6) and 12 digits leave the QR family: every solver ranked
  // reaches 12, cpu.cholesky is not among them.
  const size_t k = r.out.find("\"kappa\":");
  ASSERT_NE(k, std::string::npos);
  const double kappa = std::stod(r.out.substr(k + 8));
  EXPECT_GT(kappa, 1e5);
  EXPECT_LT(kappa, 1e7);
  const std::string ranked = r.out.substr(0, r.out.find("\"not_advised\""));
  EXPECT_NE(ranked.find("\"solver\":\"cpu.qr.refined\""), std::string::npos);
  EXPECT_EQ(ranked.find("\"solver\":\"cpu.cholesky\""), std::string::npos);
  for (size_t at = ranked.find("\"digits\":"); at != std::string::npos;
       at = ranked.find("\"digits\":", at + 1)) {
    EXPECT_GE(std::stod(ranked.substr(at + 9)), 12.0) << ranked.substr(at, 40);
  }
}

TEST_F(AdviseCli, CheckHoldoutPrintsTheErrorPerSolver) {
  const auto r = run("advise --check '" + kReference + "' --holdout");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("cpu cpu.qr f64 ls"), std::string::npos);
  EXPECT_NE(r.out.find("inside the measured range"), std::string::npos);
  EXPECT_NE(r.out.find("ranking"), std::string::npos);
}

}  // namespace
}  // namespace lsgd::advise
