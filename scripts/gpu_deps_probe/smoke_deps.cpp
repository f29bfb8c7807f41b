// Smoke test of the GPU check's build dependencies as CMake found them (scripts/gpu_deps.py):
// Eigen, LAPACK from OpenBLAS, TBB and GoogleTest, each used for real; with LSGD_PROBE_EXPECT_PREFIX
// set, the shared libraries loaded must come from under that prefix (the carried ones, not the
// system's).
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include <Eigen/Dense>
#include <gtest/gtest.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_reduce.h>
#include <tbb/version.h>

#include "loaded_library.hpp"

extern "C" void dgels_(const char* trans, const int* m, const int* n, const int* nrhs, double* a,
                       const int* lda, double* b, const int* ldb, double* work, const int* lwork,
                       int* info);

namespace {

TEST(Deps, LapackLeastSquaresMatchesTheKnownSolution) {
  const int m = 40, n = 6;
  std::mt19937 rng(7);
  std::normal_distribution<double> normal;
  Eigen::MatrixXd a(m, n);
  for (int j = 0; j < n; ++j)
    for (int i = 0; i < m; ++i) a(i, j) = normal(rng);
  Eigen::VectorXd x_true = Eigen::VectorXd::LinSpaced(n, 1.0, 2.0);
  Eigen::VectorXd b = a * x_true;  // consistent: the forward error bound has no kappa^2 term
  const Eigen::VectorXd sv = Eigen::JacobiSVD<Eigen::MatrixXd>(a).singularValues();
  const double kappa = sv(0) / sv(n - 1);

  Eigen::MatrixXd a_work = a;
  Eigen::VectorXd b_work = b;
  const int nrhs = 1;
  int info = 0, lwork = -1;
  double query = 0;
  dgels_("N", &m, &n, &nrhs, a_work.data(), &m, b_work.data(), &m, &query, &lwork, &info);
  ASSERT_EQ(info, 0);
  lwork = static_cast<int>(query);
  std::vector<double> work(static_cast<std::size_t>(lwork));
  dgels_("N", &m, &n, &nrhs, a_work.data(), &m, b_work.data(), &m, work.data(), &lwork, &info);
  ASSERT_EQ(info, 0);
  const Eigen::VectorXd x_lapack = b_work.head(n);
  const Eigen::VectorXd x_eigen = a.colPivHouseholderQr().solve(b);
  // Householder QR is backward stable: forward error <= c * kappa * eps, c = 10 m (a generous
  // multiple of the m*n growth of the backward error for n = 6).
  const double bound = 10.0 * m * kappa * 2.220446049250313e-16;
  EXPECT_LE((x_lapack - x_true).norm() / x_true.norm(), bound);
  EXPECT_LE((x_eigen - x_true).norm() / x_true.norm(), bound);
}

TEST(Deps, TbbParallelReduceSumsExactly) {
  const long n = 1000000;
  const long sum = tbb::parallel_reduce(
      tbb::blocked_range<long>(1, n + 1), 0L,
      [](const tbb::blocked_range<long>& r, long acc) {
        for (long i = r.begin(); i != r.end(); ++i) acc += i;
        return acc;
      },
      [](long x, long y) { return x + y; });
  EXPECT_EQ(sum, n * (n + 1) / 2);
  EXPECT_STRNE(TBB_runtime_version(), "");
}

TEST(Deps, SharedLibrariesComeFromTheExpectedPrefix) {
  for (const std::string stem : {"libopenblas", "libtbb.so", "libgfortran"}) {
    const std::string path = loaded_library(stem);
    std::printf("lsgd-smoke: %s from %s\n", stem.c_str(), path.empty() ? "(not loaded)" : path.c_str());
    if (stem == "libopenblas" || stem == "libtbb.so") EXPECT_FALSE(path.empty()) << stem;
    EXPECT_TRUE(path.empty() || under_expected_prefix(path))
        << stem << " was loaded from " << path << ", not from under $LSGD_PROBE_EXPECT_PREFIX";
  }
}

}  // namespace
