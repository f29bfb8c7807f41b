// The Gram-matrix gradient-descent kernel (kernels/bgd_gram_device.cuh) through prepare_gram and
// launch_gram (kernels/bgd_gram.cu): G = A^T A / m and c = A^T b / m formed on the host (in
// double, rounded to T, where cuda.bgd.gram uses cuBLAS), then one launch per batch. Every
// configuration: groups of L = 1, 2, 4, 8, 16, 32 lanes (several problems per block of 256, G's row
// in registers) and one problem per block of 64 or 128 threads (n > 32, G in dynamic shared memory,
// up to n = 128: the shared-memory plan at its maximum), float and double, against the reference GD
// in double on A and b. Built twice: emu_bgd_gram, gpu_bgd_gram.
//
// Bounds: tests/emu/gd_kernel_checks.hpp, plus the Gram kernel's own f = x.(G x / 2 - c) +
// ||b||^2 / (2m), whose rounding is relative to its terms, not to f: 4 agree (||b||^2 / (2m) +
// ||x|| ||c|| + ||x||^2 ||G||_F / 2). G and c rounded to T move the minimizer by ~kappa^2 u, inside
// agree_tol's 40 (K + 20) kappa u.
#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/bgd_kernels.cuh"
#include "tests/emu/gd_kernel_checks.hpp"
#include "tests/emu/kernel_test_util.hpp"

namespace lsgd {
namespace {


template <typename T>
class BgdGramKernel : public ::testing::Test {};
using Precisions = ::testing::Types<float, double>;
TYPED_TEST_SUITE(BgdGramKernel, Precisions);

template <typename T>
struct Gram {
  std::vector<T> G, c;
  std::vector<double> f_terms;  // per problem: ||b||^2/(2m) + ||x|| ||c|| + ||x||^2 ||G||_F / 2
};

template <typename T>
Gram<T> gram_of(const GdBatch<T>& g) {
  const index_t m = g.shape.m, n = g.shape.n;
  Gram<T> out;
  for (index_t p = 0; p < g.shape.batch; ++p) {
    const T* A = g.A_of(p);
    const T* b = g.b_of(p);
    double gg = 0.0, cc = 0.0, bb = 0.0, xx = 0.0;
    for (index_t j = 0; j < n; ++j) {
      for (index_t i = 0; i < n; ++i) {
        double s = 0.0;
        for (index_t r = 0; r < m; ++r) {
          s += static_cast<double>(A[i * m + r]) * static_cast<double>(A[j * m + r]);
        }
        out.G.push_back(static_cast<T>(s / static_cast<double>(m)));
        gg += (s / m) * (s / m);
      }
    }
    for (index_t j = 0; j < n; ++j) {
      double s = 0.0;
      for (index_t r = 0; r < m; ++r) s += static_cast<double>(A[j * m + r]) * b[r];
      out.c.push_back(static_cast<T>(s / static_cast<double>(m)));
      cc += (s / m) * (s / m);
    }
    for (index_t r = 0; r < m; ++r) bb += static_cast<double>(b[r]) * b[r];
    if (!g.ref[static_cast<size_t>(p)].diverged) {
      for (const double v : g.ref[static_cast<size_t>(p)].x) xx += v * v;
    }
    out.f_terms.push_back(bb / (2.0 * m) + std::sqrt(xx * cc) + 0.5 * xx * std::sqrt(gg));
  }
  return out;
}

// Whether this process raised the kernel's shared-memory limit for T already (it is never lowered).
template <typename T>
bool& limit_raised() {
  static bool raised = false;
  return raised;
}

template <typename T>
test::GdOutcome<T> run_gram(const GdBatch<T>& g, const Gram<T>& gram, cudaStream_t s) {
  GdDevice<T> d(g, s);
  auto G = to_device(gram.G, s);
  auto c = to_device(gram.c, s);
  cuda::gd::prepare_gram<T>(g.shape.n);
  limit_raised<T>() = limit_raised<T>() || g.shape.n > 64;
  cuda::gd::launch_reset(d.prm, d.st, s);
  cuda::gd::launch_gram<T>(G.data(), c.data(), d.b.data(), d.prm, d.st, s);
  return test::download(d, s);
}

// Shapes: every group width (n up to 1, 2, 4, 8, 16, 32; n between powers of two pads G's rows),
// the two block sizes of one problem per block (n <= 64, n <= 128), m < n (G singular, GD still
// converges to a minimizer), a tail block with one problem.
TYPED_TEST(BgdGramKernel, EveryConfigurationMatchesReferenceGd) {
  using T = TypeParam;
  LSGD_KERNEL_TEST_NEEDS_DEVICE();
  cuda::Stream stream;
  const index_t ns[] = {1, 2, 3, 4, 6, 8, 12, 16, 20, 32, 33, 64, 65, 128};
  std::uint64_t seed = 3000;
  int step = 0;
  for (const index_t n : ns) {
    for (const Setting st : {Setting::natural, Setting::fixed_step, Setting::given_l}) {
      ++step;
      index_t lanes = 1;
      while (lanes < n) lanes *= 2;
      const index_t per_block = n <= 32 ? 256 / lanes : 1;
      const index_t m = step % 4 == 3 ? std::max<index_t>(1, n / 2) : 3 * n + 5;
      const GdShape sh{m, n, n <= 32 ? per_block + 1 : 3};
      const GdBatch<T> g = test::make_case<T>(sh, st, seed += 17);
      const Gram<T> gram = gram_of(g);
      SCOPED_TRACE("n " + std::to_string(n));
      test::check_gd_outcome(g, run_gram(g, gram, stream.get()), st == Setting::fixed_step,
                             [&](index_t p, double agree) {
                               return 4.0 * agree * gram.f_terms[static_cast<size_t>(p)];
                             });
    }
  }
}

// n = 128 needs more than the default 48 KB of shared memory (66 KB in float, 132 KB in double):
// the launch is refused until prepare_gram raised the kernel's limit, as on the GPU. (ctest runs
// each test in a process of its own; where an earlier test of the process raised it, only the
// launch after prepare_gram is checked.)
TYPED_TEST(BgdGramKernel, LargestNNeedsTheRaisedSharedMemoryLimit) {
  using T = TypeParam;
  LSGD_KERNEL_TEST_NEEDS_DEVICE();
  cuda::Stream stream;
  SolverOptions o;
  o.max_iters = 3;
  o.power_iters = 2;
  o.history_every = 0;
  const GdBatch<T> g = test::make_gd_batch<T>({300, 128, 1}, o, 2.0, 2.0, {}, 7, "limit");
  const Gram<T> gram = gram_of(g);
  GdDevice<T> d(g, stream.get());
  auto G = to_device(gram.G, stream.get());
  auto c = to_device(gram.c, stream.get());
  cuda::gd::launch_reset(d.prm, d.st, stream.get());
  if (!limit_raised<T>()) {
    try {
      cuda::gd::launch_gram<T>(G.data(), c.data(), d.b.data(), d.prm, d.st, stream.get());
      stream.synchronize();
      ADD_FAILURE() << "launched with " << (128 * 128 + 128) * sizeof(T)
                    << " bytes of shared memory before prepare_gram (" << test::kKernelBuild << ")";
    } catch (const DeviceError& e) {
      EXPECT_NE(std::string(e.what()).find("cudaErrorInvalidValue"), std::string::npos) << e.what();
    }
  }
  test::check_gd_outcome(g, run_gram(g, gram, stream.get()), false, [&](index_t p, double agree) {
    return 4.0 * agree * gram.f_terms[static_cast<size_t>(p)];
  });
}

TEST(BgdGramLimits, NBeyondTheLimitIsRefused) {
  LSGD_KERNEL_TEST_NEEDS_DEVICE();  // host checks only, but in the gpu set: skip with it
  cuda::gd::GdParams prm;
  prm.n = cuda::gd::kGramMaxN + 1;
  cuda::gd::GdState<double> st;
  EXPECT_THROW(cuda::gd::launch_gram<double>(nullptr, nullptr, nullptr, prm, st, nullptr),
               InvalidInput);
}

}  // namespace
}  // namespace lsgd
