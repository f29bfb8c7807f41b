// The least-squares solvers' kernels (kernels/lstsq_device.cuh: add_to_diagonal, svd_pinv_scale,
// count_nonfinite, gather_strided, r_column_norms; kernels/qr_refined_device.cuh: the double-double
// residuals f and g, split, add) through their launch functions (kernels/lstsq_kernels.hpp,
// kernels/qr_refined.cuh), against host references. Built twice (tests/emu/kernel_test_util.hpp):
// emu_lstsq, gpu_lstsq.
//
// Bounds. Element-wise kernels do one IEEE operation per entry (add, divide, subtract), correctly
// rounded on both builds: equal bits. The column norms of R: a few eps relative (derived at their
// test). The residuals are double-double sums of k = n + 2 (f) or m (g) terms: error <= 8 (k + 2)
// 2^-104 sum|terms| (exact products and sums, one renormalization per term), then one rounding to
// T (<= u_T |f|); the reference is the same sum in double-double on the host
// (common/double_double.hpp, another order), so the bound counts both.
#include <algorithm>
#include <cmath>
#include <iostream>
#include <iterator>
#include <limits>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "common/double_double.hpp"
#include "kernels/cuda_check.hpp"
#include "kernels/lstsq_kernels.hpp"
#include "kernels/qr_refined.cuh"
#include "tests/emu/kernel_test_util.hpp"

namespace lsgd {
namespace {


template <typename T>
std::vector<T> uniform(size_t count, unsigned seed, double lo = -1.0, double hi = 1.0) {
  std::mt19937_64 gen(seed);
  std::uniform_real_distribution<double> d(lo, hi);
  std::vector<T> v(count);
  for (T& e : v) e = static_cast<T>(d(gen));
  return v;
}

template <typename T>
class LstsqKernels : public ::testing::Test {};
using Precisions = ::testing::Types<float, double>;
TYPED_TEST_SUITE(LstsqKernels, Precisions);

TYPED_TEST(LstsqKernels, AddToDiagonalTouchesTheDiagonalOnly) {
  using T = TypeParam;
  LSGD_KERNEL_TEST_NEEDS_DEVICE();
  cuda::Stream stream;
  const int64_t n = 300, lda = 307;  // lda > n: the rows below n must stay as they were
  const std::vector<T> A = uniform<T>(static_cast<size_t>(lda * n), 1);
  auto dA = to_device(A, stream.get());
  const T value = static_cast<T>(0.375);
  cuda::add_to_diagonal(dA.data(), lda, n, value, stream.get());
  std::vector<T> want = A;
  for (int64_t i = 0; i < n; ++i) want[static_cast<size_t>(i * (lda + 1))] += value;
  EXPECT_EQ(to_host(dA, stream.get()), want);
}

// s descending with entries at, above and below the cut-off rcond * s[0], and zeros; k beyond one
// grid of 1024 blocks x 256 threads, so threads take several entries and blocks add to the rank.
TYPED_TEST(LstsqKernels, SvdPinvScaleKeepsValuesAboveTheCutoff) {
  using T = TypeParam;
  LSGD_KERNEL_TEST_NEEDS_DEVICE();
  cuda::Stream stream;
  for (const int64_t k : {int64_t{1}, int64_t{5}, int64_t{1024 * 256 + 777}}) {
    std::vector<T> s(static_cast<size_t>(k));
    const T rcond = static_cast<T>(1e-3);
    for (int64_t i = 0; i < k; ++i) {
      const double frac = static_cast<double>(i) / static_cast<double>(k);
      s[static_cast<size_t>(i)] =
          frac < 0.6 ? static_cast<T>(2.0 - frac) : (frac < 0.8 ? T(1e-6) : T(0));
    }
    s[0] = T(2);
    if (k > 2)
      s[static_cast<size_t>(k / 2)] = rcond * s[0];  // at the cut-off: dropped (s > cutoff)
    const std::vector<T> c = uniform<T>(static_cast<size_t>(k), 2);
    auto dc = to_device(c, stream.get());
    auto ds = to_device(s, stream.get());
    auto drank = filled<int>(1, 0, stream.get());
    cuda::svd_pinv_scale(dc.data(), ds.data(), k, rcond, drank.data(), stream.get());
    std::vector<T> want(static_cast<size_t>(k));
    int rank = 0;
    const T cutoff = rcond * s[0];
    for (size_t i = 0; i < want.size(); ++i) {
      if (s[i] > cutoff) {
        want[i] = c[i] / s[i];
        ++rank;
      } else {
        want[i] = T(0);
      }
    }
    EXPECT_EQ(to_host(dc, stream.get()), want) << "k = " << k;
    EXPECT_EQ(to_host(drank, stream.get())[0], rank) << "k = " << k;
  }
  // A = 0: every singular value is 0 = the cut-off; the minimum-norm answer is x = 0.
  auto dc = to_device(uniform<T>(7, 3), stream.get());
  auto ds = filled<T>(7, T(0), stream.get());
  auto drank = filled<int>(1, 0, stream.get());
  cuda::svd_pinv_scale(dc.data(), ds.data(), 7, T(1e-3), drank.data(), stream.get());
  EXPECT_EQ(to_host(dc, stream.get()), std::vector<T>(7, T(0)));
  EXPECT_EQ(to_host(drank, stream.get())[0], 0);
}

TYPED_TEST(LstsqKernels, CountNonfiniteCountsNaNAndBothInfinities) {
  using T = TypeParam;
  LSGD_KERNEL_TEST_NEEDS_DEVICE();
  cuda::Stream stream;
  const int64_t n = 1024 * 256 * 2 + 13;  // beyond two grid strides
  std::vector<T> x = uniform<T>(static_cast<size_t>(n), 4, -1e30, 1e30);
  const int64_t bad[] = {0, 1, 255, 256, 1024 * 256, 1024 * 256 + 1, n - 1};
  for (size_t i = 0; i < std::size(bad); ++i) {
    const T v = i % 3 == 0 ? std::numeric_limits<T>::quiet_NaN()
                           : (i % 3 == 1 ? std::numeric_limits<T>::infinity()
                                         : -std::numeric_limits<T>::infinity());
    x[static_cast<size_t>(bad[i])] = v;
  }
  x[77] = std::numeric_limits<T>::max();  // finite
  auto dx = to_device(x, stream.get());
  auto dcount = filled<int>(1, 0, stream.get());
  cuda::count_nonfinite(dx.data(), n, dcount.data(), stream.get());
  EXPECT_EQ(to_host(dcount, stream.get())[0], static_cast<int>(std::size(bad)));
}

TYPED_TEST(LstsqKernels, GatherStridedPacksDiagonalsAndTopRows) {
  using T = TypeParam;
  LSGD_KERNEL_TEST_NEEDS_DEVICE();
  cuda::Stream stream;
  // diag(R) of a 40 x 33 matrix (lda 40): count 1, stride lda + 1, 33 groups.
  const std::vector<T> R = uniform<T>(40 * 33, 5);
  auto dR = to_device(R, stream.get());
  cuda::DeviceBuffer<T> diag(33);
  cuda::gather_strided(diag.data(), dR.data(), 1, 33, 41, stream.get());
  std::vector<T> want_diag(33);
  for (size_t j = 0; j < 33; ++j) want_diag[j] = R[j * 41];
  EXPECT_EQ(to_host(diag, stream.get()), want_diag);
  // The top n = 7 rows of 3000 columns of m = 50 rows: more entries than one grid of threads.
  const int64_t m = 50, n = 7, groups = 3000;
  const std::vector<T> B = uniform<T>(static_cast<size_t>(m * groups), 6);
  auto dB = to_device(B, stream.get());
  cuda::DeviceBuffer<T> top(static_cast<size_t>(n * groups));
  cuda::gather_strided(top.data(), dB.data(), n, groups, m, stream.get());
  std::vector<T> want_top(static_cast<size_t>(n * groups));
  for (int64_t g = 0; g < groups; ++g) {
    for (int64_t k = 0; k < n; ++k)
      want_top[static_cast<size_t>(g * n + k)] = B[static_cast<size_t>(g * m + k)];
  }
  EXPECT_EQ(to_host(top, stream.get()), want_top);
}

// ---- Column norms of R for the rank checks (r_column_norms: cuda.qr, cuda.qr.augmented,
// cuda.qr.refined, cuda.gels, cuda.gels_irs).
//
// Reference: the same scaled sum, ||c|| = big sqrt(sum (c_i / big)^2) with big = max |c_i|, in long
// double. Bound, relative, for column j (rows = j + 1): the kernel rounds each c_i / big once (the
// square then carries 2u), accumulates the squares with fma over k = ceil(rows / B) terms per
// thread and then a tree of log2(B) levels (B = kRColumnNormBlock = 256: log2 = 8): a sum of
// non-negative terms with error <= gamma_(k + 8) (Higham, ASNA 2nd ed., eq. 4.4), then one sqrt
// (half the sum's relative error, plus u) and one product by big (u). First order:
// (k + 8 + 6) u / 2; the threshold takes twice that (higher-order terms; 8 eps for 300 rows), plus
// the reference's own (rows + 3) u_ref, plus denorm_min absolute (a subnormal norm's last
// rounding). Columns scaled to 1e300 (double) / 1e30 (float) would overflow an unscaled
// sum of squares; a zero column has norm 0, entries below the diagonal (NaN here) are never read.
template <typename T>
long double reference_norm(const T* col, int64_t rows) {
  long double big = 0.0L;
  for (int64_t i = 0; i < rows; ++i) {
    big = std::max(big, std::fabs(static_cast<long double>(col[i])));
  }
  if (!(big > 0.0L)) return big;
  long double sum = 0.0L;
  for (int64_t i = 0; i < rows; ++i) {
    const long double t = static_cast<long double>(col[i]) / big;
    sum += t * t;
  }
  return big * std::sqrt(sum);
}

int log2_exact(int v) {
  int l = 0;
  while ((1 << l) < v) ++l;
  return l;
}

TYPED_TEST(LstsqKernels, RColumnNormsMatchAScaledReference) {
  using T = TypeParam;
  LSGD_KERNEL_TEST_NEEDS_DEVICE();
  cuda::Stream stream;
  const T huge = static_cast<T>(sizeof(T) == sizeof(double) ? 1e300 : 1e30);
  const T tiny = std::numeric_limits<T>::denorm_min() * T(1000);  // subnormal entries
  const T nan = std::numeric_limits<T>::quiet_NaN();
  const double u = test::unit_roundoff<T>();
  const double u_ref = static_cast<double>(std::numeric_limits<long double>::epsilon()) / 2.0;
  const int B = cuda::kRColumnNormBlock;
  // n = 1; 33 (a column longer than a warp); 300 (longer than a block: threads take 2 entries);
  // 1030 (more columns than the grid's 1024 blocks: blocks take two columns, rows up to 5 per
  // thread). ldr > n: rows n..ldr-1 (NaN) must not be read either.
  unsigned seed = 40;
  for (const int64_t n : {int64_t{1}, int64_t{33}, int64_t{300}, int64_t{1030}}) {
    const int64_t ldr = n + 3;
    std::vector<T> R(static_cast<size_t>(ldr * n), nan);
    const std::vector<T> vals = uniform<T>(R.size(), ++seed);
    for (int64_t j = 0; j < n; ++j) {
      for (int64_t i = 0; i <= j; ++i) {
        T v = vals[static_cast<size_t>(j * ldr + i)];
        if (j % 7 == 1) v *= huge;                // every entry huge
        if (j % 7 == 2) v = T(0);                 // a zero column
        if (j % 7 == 3 && i == j / 2) v = -huge;  // one huge entry among ordinary ones
        if (j % 7 == 4 && i % 3 == 0) v = T(0);   // zeros inside the column
        if (j % 7 == 5) v *= tiny;                // subnormal (or zero) entries only
        R[static_cast<size_t>(j * ldr + i)] = v;
      }
    }
    if (n == 1) R[0] = T(-0.75);
    auto dR = to_device(R, stream.get());
    cuda::DeviceBuffer<T> dnorms(static_cast<size_t>(n));
    cuda::r_column_norms(dR.data(), ldr, n, dnorms.data(), stream.get());
    const std::vector<T> got = to_host(dnorms, stream.get());
    std::vector<double> want(static_cast<size_t>(n)), tol(static_cast<size_t>(n));
    for (int64_t j = 0; j < n; ++j) {
      const int64_t rows = j + 1;
      const long double ref = reference_norm(R.data() + j * ldr, rows);
      const double k = static_cast<double>((rows + B - 1) / B);
      const double rel = (k + log2_exact(B) + 6) * u + static_cast<double>(rows + 3) * u_ref;
      want[static_cast<size_t>(j)] = static_cast<double>(ref);
      const double abs_floor = static_cast<double>(std::numeric_limits<T>::denorm_min());
      tol[static_cast<size_t>(j)] = rel * static_cast<double>(ref) + abs_floor;
    }
    EXPECT_TRUE(all_within(got, want, tol)) << "n = " << n;
    for (int64_t j = 0; j < n; ++j) {
      ASSERT_TRUE(std::isfinite(got[static_cast<size_t>(j)])) << "n = " << n << ", column " << j;
    }
  }
}

// A NaN or Inf in a column makes its norm non-finite (the checks then report an overflow, never a
// full-rank column); so does a column whose norm exceeds the largest finite T.
TYPED_TEST(LstsqKernels, RColumnNormsAreNonFiniteForNonFiniteColumns) {
  using T = TypeParam;
  LSGD_KERNEL_TEST_NEEDS_DEVICE();
  cuda::Stream stream;
  const T inf = std::numeric_limits<T>::infinity();
  const T nan = std::numeric_limits<T>::quiet_NaN();
  const size_t n = 6;
  std::vector<T> R(n * n, T(0));
  auto at = [&](size_t i, size_t j) -> T& { return R[j * n + i]; };
  for (size_t j = 0; j < n; ++j) {
    for (size_t i = 0; i <= j; ++i) at(i, j) = T(0.5);
  }
  at(0, 1) = nan;  // NaN first, then ordinary entries
  at(2, 2) = inf;
  at(1, 3) = -inf;
  for (size_t i = 0; i <= 4; ++i) at(i, 4) = std::numeric_limits<T>::max();
  at(4, 5) = nan;  // NaN after an ordinary maximum
  at(5, 5) = T(3);
  auto dR = to_device(R, stream.get());
  cuda::DeviceBuffer<T> dnorms(static_cast<size_t>(n));
  cuda::r_column_norms(dR.data(), static_cast<int64_t>(n), static_cast<int64_t>(n), dnorms.data(),
                       stream.get());
  const std::vector<T> got = to_host(dnorms, stream.get());
  EXPECT_EQ(got[0], T(0.5));
  for (size_t j = 1; j < n; ++j) {
    EXPECT_FALSE(std::isfinite(got[j])) << "column " << j << ": " << got[j];
  }
  EXPECT_EQ(got[2], inf);
  EXPECT_EQ(got[3], inf);
  EXPECT_EQ(got[4], inf);  // sqrt(5) max: beyond the largest finite T
}

// ---- Double-double residuals of cuda.qr.refined.

// f = b - r - A x and g = -A^T r for A m x n; b = r + A x rounded to T in every other row, so f is
// tiny there (the rounding of b) and only a double-double sum gets it right.
template <typename T>
struct RefineCase {
  int64_t m = 0, n = 0;
  std::vector<T> A, b, r, x;
  std::vector<double> f_ref, f_tol, g_ref, g_tol;

  RefineCase(int64_t m_, int64_t n_, unsigned seed) : m(m_), n(n_) {
    A = uniform<T>(static_cast<size_t>(m * n), seed);
    r = uniform<T>(static_cast<size_t>(m), seed + 1, -1e-3, 1e-3);
    x = uniform<T>(static_cast<size_t>(n), seed + 2);
    b = uniform<T>(static_cast<size_t>(m), seed + 3);
    for (int64_t i = 0; i < m; i += 2) {
      cpu::DoubleDouble s;
      s.hi = static_cast<double>(r[static_cast<size_t>(i)]);
      for (int64_t j = 0; j < n; ++j) {
        cpu::dd_add_prod(s, static_cast<double>(A[static_cast<size_t>(j * m + i)]),
                         static_cast<double>(x[static_cast<size_t>(j)]));
      }
      b[static_cast<size_t>(i)] = static_cast<T>(cpu::to_double(s));
    }
    const double u = test::unit_roundoff<T>();
    const double dd = std::ldexp(1.0, -104);
    for (int64_t i = 0; i < m; ++i) {
      cpu::DoubleDouble s;
      s.hi = static_cast<double>(b[static_cast<size_t>(i)]);
      cpu::dd_add_prod(s, static_cast<double>(r[static_cast<size_t>(i)]), -1.0);
      double mag = std::fabs(static_cast<double>(b[static_cast<size_t>(i)])) +
                   std::fabs(static_cast<double>(r[static_cast<size_t>(i)]));
      for (int64_t j = 0; j < n; ++j) {
        const double a = static_cast<double>(A[static_cast<size_t>(j * m + i)]);
        const double xj = static_cast<double>(x[static_cast<size_t>(j)]);
        cpu::dd_add_prod(s, a, -xj);
        mag += std::fabs(a * xj);
      }
      const double f = cpu::to_double(s);
      f_ref.push_back(f);
      f_tol.push_back(u * std::fabs(f) + 8.0 * static_cast<double>(n + 4) * dd * mag +
                      std::numeric_limits<T>::denorm_min());
    }
    for (int64_t j = 0; j < n; ++j) {
      cpu::DoubleDouble s;
      double mag = 0.0;
      for (int64_t i = 0; i < m; ++i) {
        const double a = static_cast<double>(A[static_cast<size_t>(j * m + i)]);
        const double ri = static_cast<double>(r[static_cast<size_t>(i)]);
        cpu::dd_add_prod(s, a, -ri);
        mag += std::fabs(a * ri);
      }
      const double g = cpu::to_double(s);
      g_ref.push_back(g);
      g_tol.push_back(u * std::fabs(g) + 8.0 * static_cast<double>(m + 2) * dd * mag +
                      std::numeric_limits<T>::denorm_min());
    }
  }
};

template <typename T>
struct RefineRun {
  std::vector<T> f, g;
};

template <typename T>
RefineRun<T> run_refine_residuals(const RefineCase<T>& c, cudaStream_t s) {
  auto dA = to_device(c.A, s);
  auto db = to_device(c.b, s);
  auto dr = to_device(c.r, s);
  auto dx = to_device(c.x, s);
  cuda::DeviceBuffer<T> df(static_cast<size_t>(c.m)), dg(static_cast<size_t>(c.n));
  cuda::refine_residuals(dA.data(), c.m, c.n, db.data(), dr.data(), dx.data(), df.data(), dg.data(),
                         s);
  return {to_host(df, s), to_host(dg, s)};
}

TYPED_TEST(LstsqKernels, RefineResidualsInDoubleDouble) {
  using T = TypeParam;
  LSGD_KERNEL_TEST_NEEDS_DEVICE();
  cuda::Stream stream;
  // One row and column; m beyond one block of 256 (threads take several rows of g's column); a
  // square case; m beyond four blocks of f.
  const int64_t shapes[][2] = {{1, 1}, {1000, 7}, {300, 300}, {2000, 3}};
  unsigned seed = 10;
  for (const auto& sh : shapes) {
    const RefineCase<T> c(sh[0], sh[1], seed += 10);
    const RefineRun<T> got = run_refine_residuals(c, stream.get());
    EXPECT_TRUE(all_within(got.f, c.f_ref, c.f_tol)) << "f, m = " << sh[0] << ", n = " << sh[1];
    EXPECT_TRUE(all_within(got.g, c.g_ref, c.g_tol)) << "g, m = " << sh[0] << ", n = " << sh[1];
  }
}

TYPED_TEST(LstsqKernels, RefineSplitAndAddAreExact) {
  using T = TypeParam;
  LSGD_KERNEL_TEST_NEEDS_DEVICE();
  cuda::Stream stream;
  const int64_t n = 4096 * 256 + 31;  // beyond one grid of 4096 blocks x 256 threads
  const std::vector<T> d = uniform<T>(static_cast<size_t>(n), 7);
  const std::vector<T> h = uniform<T>(static_cast<size_t>(n), 8);
  auto dd = to_device(d, stream.get());
  auto dh = to_device(h, stream.get());
  cuda::DeviceBuffer<T> ddx(static_cast<size_t>(n));
  cuda::refine_split(dd.data(), dh.data(), ddx.data(), n, stream.get());
  std::vector<T> want_dx(d.size());
  for (size_t i = 0; i < d.size(); ++i) want_dx[i] = d[i] - h[i];
  EXPECT_EQ(to_host(ddx, stream.get()), want_dx);
  EXPECT_EQ(to_host(dd, stream.get()), h);
  cuda::add_in_place(dd.data(), ddx.data(), n, stream.get());
  std::vector<T> want_y(d.size());
  for (size_t i = 0; i < d.size(); ++i) want_y[i] = h[i] + want_dx[i];
  EXPECT_EQ(to_host(dd, stream.get()), want_y);
}

#if defined(LSGD_DEVICE_EMULATION)
// ---- Negative control: the emulation sees a missing barrier.
// residual_g_kernel of kernels/qr_refined_device.cuh, copied with the barrier between the
// partial sums' stores and the tree reduction removed. Launched with the real kernel's
// configuration (one block of kRefineBlock threads per column), checked like the real one: it must
// fail that check. Thread 0 runs alone up to its first barrier, so it reads partial sums no thread
// has stored yet (this block's static shared memory still holds the previous block's).
template <typename T>
__global__ void residual_g_missing_barrier(const T* A, int64_t m, const T* r, T* g) {
  constexpr int kBlock = 256;
  __shared__ double s_hi[kBlock];
  __shared__ double s_lo[kBlock];
  const int64_t j = blockIdx.x;
  const int tid = static_cast<int>(threadIdx.x);
  const T* a = A + j * m;
  cpu::DoubleDouble acc;
  for (int64_t i = tid; i < m; i += kBlock) {
    cpu::dd_add_prod(acc, static_cast<double>(a[i]), -static_cast<double>(r[i]));
  }
  s_hi[tid] = acc.hi;
  s_lo[tid] = acc.lo;
  // (the real kernel synchronizes here)
  for (int half = kBlock / 2; half > 0; half /= 2) {
    if (tid < half) {
      cpu::DoubleDouble v;
      v.hi = s_hi[tid];
      v.lo = s_lo[tid];
      cpu::dd_add(v, s_hi[tid + half]);
      cpu::dd_add(v, s_lo[tid + half]);
      s_hi[tid] = v.hi;
      s_lo[tid] = v.lo;
    }
    __syncthreads();
  }
  if (tid == 0) g[j] = static_cast<T>(s_hi[0] + s_lo[0]);
}

TEST(NegativeControl, RefineResidualGWithoutItsFirstBarrierFailsItsCheck) {
  using T = double;
  cuda::Stream stream;
  const RefineCase<T> c(1000, 7, 77);
  // The real kernel passes the check ...
  EXPECT_TRUE(all_within(run_refine_residuals(c, stream.get()).g, c.g_ref, c.g_tol));
  // ... the copy without the barrier fails the same check.
  auto dA = to_device(c.A, stream.get());
  auto dr = to_device(c.r, stream.get());
  cuda::DeviceBuffer<T> dg(static_cast<size_t>(c.n));
  LSGD_CUDA_CHECK(cuda::launch_kernel(residual_g_missing_barrier<T>, static_cast<unsigned>(c.n),
                                      256, 0, stream.get(), dA.data(), c.m, dr.data(), dg.data()));
  const ::testing::AssertionResult broken = all_within(to_host(dg, stream.get()), c.g_ref, c.g_tol);
  EXPECT_FALSE(broken) << "the emulation did not notice the missing barrier";
  std::cout << "negative control (expected to fail): " << broken.message() << "\n";
}
#endif

}  // namespace
}  // namespace lsgd
