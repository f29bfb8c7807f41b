// End-to-end tests of the `lsgd` binary: run it in a temporary directory and check exit status,
// stdout, stderr and the files it writes.
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "lsgd/device.hpp"
#include "lsgd/io.hpp"
#include "lsgd/registry.hpp"
#include "tests/cli_fixture.hpp"

namespace lsgd {
namespace {

namespace fs = std::filesystem;

TEST_F(CliTest, GenThenSolveWithQrRecoversXTrue) {
  const CliResult g = run("gen --m 300 --n 6 --kappa 1e3 --seed 5 --output p.csv --x-output x.csv");
  ASSERT_EQ(g.code, 0) << g.err;
  EXPECT_CONTAINS(g.out, "wrote p.csv");
  const std::vector<double> x_true = read_vector(path("x.csv"));
  ASSERT_EQ(x_true.size(), 6u);

  const CliResult r = run("solve --input p.csv --solver cpu.qr --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(r.err.empty()) << r.err;
  EXPECT_EQ(count_lines(r.out), 1u) << r.out;
  for (const char* key : {"\"solver\":\"cpu.qr\"", "\"precision\":\"f64\"", "\"m\":300", "\"n\":6",
                          "\"residual_norm\":", "\"normal_eq_residual\":", "\"time_s\":",
                          "\"iterations\":", "\"converged\":true", "\"note\":\"\""}) {
    EXPECT_CONTAINS(r.out, key);
  }
  const std::vector<double> x = json_array(r.out, "x");
  ASSERT_EQ(x.size(), 6u) << r.out;
  for (size_t j = 0; j < x.size(); ++j) EXPECT_NEAR(x[j], x_true[j], 1e-10) << "x" << j + 1;

  // The human-readable report names the coefficients and prints them at full precision.
  const CliResult h = run("solve --input p.csv --solver cpu.qr");
  ASSERT_EQ(h.code, 0) << h.err;
  EXPECT_CONTAINS(h.out, "x6");
  EXPECT_CONTAINS(h.out, "residual norm");
  EXPECT_CONTAINS(h.out, "normal-equation residual");
}

TEST_F(CliTest, MatrixMarketInputAndSeparateB) {
  ASSERT_EQ(run("gen --m 80 --n 4 --seed 2 --output a.mtx --b-output b.mtx --x-output x.mtx").code, 0);
  const std::vector<double> x_true = read_vector(path("x.mtx"));
  const CliResult r = run("solve --input a.mtx --b b.mtx --solver cpu.svd --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const std::vector<double> x = json_array(r.out, "x");
  ASSERT_EQ(x.size(), 4u) << r.out;
  for (size_t j = 0; j < x.size(); ++j) EXPECT_NEAR(x[j], x_true[j], 1e-10);

  ASSERT_EQ(run("gen --m 80 --n 4 --seed 2 --output ab.mtx").code, 0);
  const CliResult s = run("solve --input ab.mtx --solver cpu.cod --json");
  ASSERT_EQ(s.code, 0) << s.err;
  const std::vector<double> y = json_array(s.out, "x");
  ASSERT_EQ(y.size(), 4u);
  for (size_t j = 0; j < y.size(); ++j) EXPECT_NEAR(y[j], x_true[j], 1e-10);
}

TEST_F(CliTest, SinglePrecisionSolve) {
  ASSERT_EQ(run("gen --m 200 --n 5 --kappa 10 --output p.csv --x-output x.csv").code, 0);
  const std::vector<double> x_true = read_vector(path("x.csv"));
  const CliResult r = run("solve --input p.csv --solver cpu.qr --precision f32 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "\"precision\":\"f32\"");
  const std::vector<double> x = json_array(r.out, "x");
  ASSERT_EQ(x.size(), 5u);
  for (size_t j = 0; j < x.size(); ++j) EXPECT_NEAR(x[j], x_true[j], 1e-4);
}

TEST_F(CliTest, SolveAllPrintsARowForEveryAvailableSolver) {
  ASSERT_EQ(run("gen --m 120 --n 5 --kappa 10 --noise 0.01 --output p.csv").code, 0);
  const CliResult r = run("solve --input p.csv --solver all --max-iters 20000 --tol 1e-10");
  ASSERT_EQ(r.code, 0) << r.err;
  size_t rows = 0;
  for (const auto& e : default_registry().entries()) {
    if (e.is_batched() || !e.f64 || !e.available()) continue;
    EXPECT_CONTAINS(r.out, "\n" + e.name + " ");
    ++rows;
  }
  EXPECT_GE(rows, 5u);  // the CPU direct solvers at least
  EXPECT_CONTAINS(r.out, "digits: LRE vs the exact least-squares solution");
  EXPECT_CONTAINS(r.out, "kappa(A) = 10");

  const CliResult j = run("solve --input p.csv --solver all --json");
  ASSERT_EQ(j.code, 0) << j.err;
  EXPECT_EQ(j.out.front(), '[');
  EXPECT_CONTAINS(j.out, "\"solver\":\"cpu.cholesky\"");
  EXPECT_CONTAINS(j.out, "\"status\":\"ok\"");
}

// A zero column makes A^T A exactly singular and R(2,2) exactly zero: the normal equations and plain
// QR must report it in their rows, while the rank-revealing solvers still answer.
TEST_F(CliTest, SolveAllShowsEachSolversFailureInItsRow) {
  write("rd.csv", "a,zero,y\n1,0,2\n2,0,4.1\n3,0,5.9\n4,0,8\n");
  const CliResult r = run("solve --input rd.csv --solver all");
  ASSERT_EQ(r.code, 0) << r.err;
  std::istringstream lines(r.out);
  std::string line;
  bool saw_chol = false, saw_svd = false;
  while (std::getline(lines, line)) {
    if (line.rfind("cpu.cholesky ", 0) == 0) {
      saw_chol = true;
      EXPECT_CONTAINS(line, "NumericalError: ");
    }
    if (line.rfind("cpu.svd ", 0) == 0) {
      saw_svd = true;
      EXPECT_CONTAINS(line, " ok");
    }
  }
  EXPECT_TRUE(saw_chol) << r.out;
  EXPECT_TRUE(saw_svd) << r.out;

  // The same failure alone: exit 1, one line naming the solver.
  const CliResult c = run("solve --input rd.csv --solver cpu.cholesky --output sol.csv");
  EXPECT_EQ(c.code, 1);
  EXPECT_EQ(count_lines(c.err), 1u) << c.err;
  EXPECT_CONTAINS(c.err, "lsgd: cpu.cholesky: ");
  EXPECT_FALSE(fs::exists(path("sol.csv")));
  EXPECT_EQ(files(), (std::vector<std::string>{"rd.csv"}));
}

// Longley (NIST StRD, certified to 15 digits, kappa ~ 5e9 with the intercept): the orthogonal
// solvers keep about 16 - 9.7 digits, the normal equations (kappa^2 > 1/eps) fail or lose them all.
TEST_F(CliTest, LongleyAgainstCertifiedValues) {
  const std::string data = std::string(LSGD_TEST_DATA_DIR) + "/longley.csv";
  const std::string cert = std::string(LSGD_TEST_DATA_DIR) + "/longley_certified.csv";
  const CliResult r = run("solve --input '" + data + "' --target y --intercept --solver cpu.qr "
                          "--reference '" + cert + "' --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const size_t k = r.out.find("\"lre\":");
  ASSERT_NE(k, std::string::npos) << r.out;
  const double lre = std::strtod(r.out.c_str() + k + 6, nullptr);
  EXPECT_GE(lre, 5.0) << r.out;  // eps * kappa ~ 1e-6: at least 5 digits by the error bound
  EXPECT_CONTAINS(r.out, "\"columns\":[\"(intercept)\",\"x1\"");

  const CliResult all = run("solve --input '" + data + "' --target y --intercept --solver all "
                            "--reference '" + cert + "'");
  ASSERT_EQ(all.code, 0) << all.err;
  EXPECT_CONTAINS(all.out, "digits: LRE vs --reference");
  EXPECT_CONTAINS(all.out, "cpu.qr ");
}

TEST_F(CliTest, OutputFileIsWrittenAndMatchesJson) {
  ASSERT_EQ(run("gen --m 50 --n 3 --output p.csv").code, 0);
  const CliResult r = run("solve --input p.csv --solver cpu.qr --json --output sol.csv");
  ASSERT_EQ(r.code, 0) << r.err;
  const std::vector<double> written = read_vector(path("sol.csv"));
  EXPECT_EQ(written, json_array(r.out, "x"));
  const CliResult m = run("solve --input p.csv --solver cpu.svd --output sol.mtx");
  ASSERT_EQ(m.code, 0) << m.err;
  EXPECT_EQ(read_vector(path("sol.mtx")).size(), 3u);
  EXPECT_EQ(files(), (std::vector<std::string>{"p.csv", "sol.csv", "sol.mtx"}));
}

TEST_F(CliTest, BadArgumentsExitTwoWithOneLine) {
  write("p.csv", "a,y\n1,2\n2,3\n");
  EXPECT_USAGE_ERROR(run(""));
  EXPECT_USAGE_ERROR(run("frobnicate"));
  EXPECT_USAGE_ERROR(run("solve --input p.csv --solver cpu.qr --bogus"));
  EXPECT_USAGE_ERROR(run("solve --input p.csv --solver"));
  EXPECT_USAGE_ERROR(run("solve --input --solver cpu.qr"));
  EXPECT_USAGE_ERROR(run("solve --input p.csv --solver cpu.qr --max-iters abc"));
  EXPECT_USAGE_ERROR(run("solve --input p.csv --solver cpu.qr --tol 1e-3x"));
  EXPECT_USAGE_ERROR(run("solve --input p.csv --solver cpu.qr --lambda -1"));
  EXPECT_USAGE_ERROR(run("solve --input p.csv --solver cpu.qr --precision f16"));
  EXPECT_USAGE_ERROR(run("solve --solver cpu.qr"));
  EXPECT_USAGE_ERROR(run("solve --input p.csv --solver cpu.qr extra"));
  EXPECT_USAGE_ERROR(run("solve --input p.csv --solver all --output x.csv"));
  EXPECT_USAGE_ERROR(run("gen --m 10 --output p2.csv"));
  EXPECT_USAGE_ERROR(run("gen --m 0 --n 2 --output p2.csv"));
  EXPECT_USAGE_ERROR(run("gen --m 10 --n 2 --rank 3 --output p2.csv"));
  EXPECT_USAGE_ERROR(run("gen --m 10 --n 2 --output p2.xlsx"));
  EXPECT_USAGE_ERROR(run("list --verbose"));
  const CliResult r = run("solve --input p.csv --solver cpu.qr --max-iters abc");
  EXPECT_CONTAINS(r.err, "--max-iters");
  EXPECT_CONTAINS(r.err, "'abc'");
  EXPECT_TRUE(r.out.empty());
  EXPECT_EQ(files(), (std::vector<std::string>{"p.csv"}));
}

TEST_F(CliTest, UnknownSolverListsKnownNames) {
  write("p.csv", "a,y\n1,2\n2,3\n");
  const CliResult r = run("solve --input p.csv --solver cpu.magic");
  EXPECT_USAGE_ERROR(r);
  EXPECT_CONTAINS(r.err, "unknown solver 'cpu.magic'");
  EXPECT_CONTAINS(r.err, "cpu.qr");
  EXPECT_CONTAINS(r.err, "cpu.svd");
}

TEST_F(CliTest, MalformedFileExitsOneNamingTheLine) {
  write("bad.csv", "a,b,y\n1,2,3\n4,five,6\n");
  const CliResult r = run("solve --input bad.csv --solver cpu.qr --output sol.csv");
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(count_lines(r.err), 1u) << r.err;
  EXPECT_EQ(r.err.rfind("lsgd: bad.csv:3: column 2 ('b'): non-numeric field 'five'", 0), 0u) << r.err;
  EXPECT_TRUE(r.out.empty());
  EXPECT_FALSE(fs::exists(path("sol.csv")));

  const CliResult m = run("solve --input missing.csv --solver cpu.qr");
  EXPECT_EQ(m.code, 1);
  EXPECT_CONTAINS(m.err, "lsgd: missing.csv: cannot open file");

  write("x.csv", "x\n1\n");
  write("p.csv", "a,b,y\n1,2,3\n4,5,7\n2,2,2\n");
  const CliResult ref = run("solve --input p.csv --solver cpu.qr --reference x.csv");
  EXPECT_EQ(ref.code, 1);
  EXPECT_CONTAINS(ref.err, "x.csv: 1 values, but the problem has n = 2");
}

TEST_F(CliTest, CudaSolverWithoutGpuExitsOne) {
  if (gpu_available()) GTEST_SKIP() << "a GPU is present: " << describe_device();
  const SolverEntry* cuda = nullptr;
  for (const auto& e : default_registry().entries()) {
    if (e.backend == Backend::cuda && !e.is_batched() && e.f64) {
      cuda = &e;
      break;
    }
  }
  if (cuda == nullptr) GTEST_SKIP() << "no CUDA direct/iterative solver registered";
  ASSERT_EQ(run("gen --m 20 --n 2 --output p.csv").code, 0);
  const CliResult r = run("solve --input p.csv --solver " + cuda->name + " --output sol.csv");
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(count_lines(r.err), 1u) << r.err;
  EXPECT_CONTAINS(r.err, "no CUDA device");
  EXPECT_CONTAINS(r.err, cuda->name);
  EXPECT_FALSE(fs::exists(path("sol.csv")));
}

TEST_F(CliTest, BatchedSolverIsAUsageError) {
  const SolverEntry* batched = nullptr;
  for (const auto& e : default_registry().entries()) {
    if (e.is_batched()) {
      batched = &e;
      break;
    }
  }
  if (batched == nullptr) GTEST_SKIP() << "no batched solver registered";
  write("p.csv", "a,y\n1,2\n2,3\n");
  const CliResult r = run("solve --input p.csv --solver " + batched->name);
  EXPECT_USAGE_ERROR(r);
  EXPECT_CONTAINS(r.err, "batched solvers take generated batches");
}

TEST_F(CliTest, HelpForEveryCommandExitsZero) {
  for (const char* args : {"--help", "-h", "help", "list --help", "solve --help", "gen --help",
                           "solve -h", "solve --input p.csv --help"}) {
    const CliResult r = run(args);
    EXPECT_EQ(r.code, 0) << args;
    EXPECT_TRUE(r.err.empty()) << args << ": " << r.err;
    EXPECT_CONTAINS(r.out, "usage: lsgd");
  }
  const CliResult s = run("solve --help");
  for (const char* opt : {"--input", "--target", "--intercept", "--no-header", "--header", "--b ",
                          "--solver", "--precision", "--lambda", "--rcond", "--max-iters", "--tol",
                          "--step", "--inner", "--mode", "--output", "--json", "--reference"}) {
    EXPECT_CONTAINS(s.out, opt);
  }
  const CliResult g = run("gen --help");
  for (const char* opt : {"--m ", "--n ", "--kappa", "--noise", "--rank", "--seed", "--precision",
                          "--output", "--x-output", "--b-output"}) {
    EXPECT_CONTAINS(g.out, opt);
  }
}

TEST_F(CliTest, ListShowsEverySolverAndTheDevice) {
  const CliResult r = run("list");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "device:");
  EXPECT_CONTAINS(r.out, "OpenMP threads:");
  for (const auto& e : default_registry().entries()) {
    EXPECT_CONTAINS(r.out, "\n" + e.name + " ");
  }
  if (!gpu_available() && !default_registry().entries().empty()) {
    bool any_cuda = false;
    for (const auto& e : default_registry().entries()) any_cuda |= e.backend == Backend::cuda;
    if (any_cuda) {
      EXPECT_CONTAINS(r.out, "not available here (no CUDA device");
    }
  }
  const CliResult j = run("list --json");
  ASSERT_EQ(j.code, 0);
  EXPECT_EQ(j.out.rfind("{\"device\":", 0), 0u) << j.out;
  EXPECT_CONTAINS(j.out, "\"name\":\"cpu.qr\"");
}

}  // namespace
}  // namespace lsgd

namespace lsgd::cli_test {
namespace {

double json_value(const std::string& s, const std::string& key) {
  const size_t k = s.find("\"" + key + "\":");
  if (k == std::string::npos) return std::nan("");
  return std::strtod(s.c_str() + k + key.size() + 3, nullptr);
}

// `--stats` on Longley agrees with NIST's certified standard deviations, residual SD and R^2
// (Longley.dat) to 10 digits, whatever the solver (the statistics come from their own refined QR).
TEST_F(CliTest, StatsOnLongleyMatchNistCertifiedValues) {
  const std::string data = std::string(LSGD_TEST_DATA_DIR) + "/longley.csv";
  const std::vector<double> sd = {890420.383607373,   84.9149257747669,  0.334910077722432E-01,
                                  0.488399681651699,  0.214274163161675, 0.226073200069370,
                                  455.478499142212};
  for (const char* solver : {"cpu.qr", "cpu.cholesky", "cpu.svd"}) {
    const CliResult r = run("solve --input '" + data + "' --target y --intercept --solver " +
                            solver + " --stats --json");
    ASSERT_EQ(r.code, 0) << solver << ": " << r.err;
    const size_t k = r.out.find("\"stats\":{");
    ASSERT_NE(k, std::string::npos) << r.out;
    const std::string stats = r.out.substr(k);
    const std::vector<double> se = json_array(stats, "std_err");
    ASSERT_EQ(se.size(), sd.size()) << stats;
    for (size_t j = 0; j < sd.size(); ++j) EXPECT_NEAR(se[j], sd[j], 1e-10 * sd[j]) << solver << j;
    EXPECT_NEAR(json_value(stats, "residual_sd"), 304.854073561965, 304.854073561965 * 1e-10);
    EXPECT_NEAR(json_value(stats, "r_squared"), 0.995479004577296, 1e-10);
    EXPECT_NEAR(json_value(stats, "f_statistic"), 330.285339234588, 330.285339234588 * 1e-10);
    EXPECT_EQ(json_value(stats, "intercept_column"), 0.0);
    EXPECT_CONTAINS(stats, "\"converged\":true");
    EXPECT_EQ(json_array(stats, "p_value").size(), sd.size());
  }
  const CliResult text = run("solve --input '" + data + "' --target y --intercept --solver cpu.qr "
                             "--stats --precision f32");
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_CONTAINS(text.out, "OLS statistics");
  EXPECT_CONTAINS(text.out, "P>|t|");
  EXPECT_CONTAINS(text.out, "residual standard deviation:  304.854073561965");
  EXPECT_CONTAINS(text.out, "R-squared:                    0.995479004577296  (centered)");
  EXPECT_CONTAINS(text.out, "(kappa_2(A), statsmodels' Cond. No.)");
  EXPECT_CONTAINS(text.out, "solver agreement:");
}

// `--solver all --reference` shows the refined solver with the digits it reaches on Longley (>= 13,
// issue 17) and its refinement steps in the iters column.
TEST_F(CliTest, SolveAllShowsTheRefinedSolver) {
  const std::string data = std::string(LSGD_TEST_DATA_DIR) + "/longley.csv";
  const std::string cert = std::string(LSGD_TEST_DATA_DIR) + "/longley_certified.csv";
  const CliResult j = run("solve --input '" + data + "' --target y --intercept --solver all "
                          "--reference '" + cert + "' --json");
  ASSERT_EQ(j.code, 0) << j.err;
  const size_t k = j.out.find("{\"solver\":\"cpu.qr.refined\"");
  ASSERT_NE(k, std::string::npos) << j.out;
  const std::string row = j.out.substr(k, j.out.find('}', k) - k);
  EXPECT_GE(json_value(row, "digits"), 13.0) << row;
  EXPECT_CONTAINS(row, "\"converged\":true");
  const CliResult t = run("solve --input '" + data + "' --target y --intercept --solver all "
                          "--reference '" + cert + "'");
  ASSERT_EQ(t.code, 0) << t.err;
  const size_t line = t.out.find("\ncpu.qr.refined ");
  ASSERT_NE(line, std::string::npos) << t.out;
  EXPECT_CONTAINS(t.out.substr(line, t.out.find('\n', line + 1) - line), "refinement converged");
}

// Statistics that are undefined are errors (exit 1, one line, no output file), and --stats with
// --solver all is a usage error.
TEST_F(CliTest, StatsUndefinedAreClearErrors) {
  write("few.csv", "x,y\n1,2\n2,3.5\n");  // with the intercept m = p = 2: no residual dof
  CliResult r = run("solve --input few.csv --intercept --solver cpu.qr --stats --output sol.csv");
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_EQ(count_lines(r.err), 1u) << r.err;
  EXPECT_CONTAINS(r.err, "more observations than coefficients");
  EXPECT_FALSE(fs::exists(path("sol.csv")));
  write("dup.csv", "a,b,y\n1,1,2\n2,2,3.5\n3,3,4\n4,4,6\n");  // two equal columns
  r = run("solve --input dup.csv --solver cpu.svd --stats");
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_EQ(count_lines(r.err), 1u) << r.err;
  EXPECT_CONTAINS(r.err, "rank deficient");
  EXPECT_CONTAINS(r.err, "standard errors are undefined");
  // Without --stats the minimum-norm solver answers the same data.
  EXPECT_EQ(run("solve --input dup.csv --solver cpu.svd").code, 0);
  EXPECT_USAGE_ERROR(run("solve --input dup.csv --solver all --stats"));
}

}  // namespace
}  // namespace lsgd::cli_test
