// Seeded, reproducible problem generators. Everything is generated in double with our own RNG
// (xoshiro256** + Box-Muller), so the same seed gives the same problem on every machine and compiler,
// then rounded to the requested precision.
#include <algorithm>
#include <cmath>
#include <sstream>

#include <Eigen/Dense>

#include "lsgd/error.hpp"
#include "lsgd/problem.hpp"

namespace lsgd {
namespace {

using MatD = Eigen::MatrixXd;
using VecD = Eigen::VectorXd;

class Rng {
 public:
  explicit Rng(std::uint64_t seed) {
    std::uint64_t z = seed;
    for (auto& s : s_) s = splitmix(z);
  }
  double uniform() {  // (0, 1)
    return (static_cast<double>(next() >> 11) + 0.5) * 0x1.0p-53;
  }
  double normal() {
    if (have_spare_) {
      have_spare_ = false;
      return spare_;
    }
    const double u1 = uniform(), u2 = uniform();
    const double r = std::sqrt(-2.0 * std::log(u1));
    const double t = 6.283185307179586 * u2;
    spare_ = r * std::sin(t);
    have_spare_ = true;
    return r * std::cos(t);
  }

 private:
  static std::uint64_t splitmix(std::uint64_t& x) {
    std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t next() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  std::uint64_t s_[4];
  double spare_ = 0.0;
  bool have_spare_ = false;
};

MatD gaussian(Rng& rng, index_t rows, index_t cols) {
  MatD g(rows, cols);
  for (index_t j = 0; j < cols; ++j)
    for (index_t i = 0; i < rows; ++i) g(i, j) = rng.normal();
  return g;
}

// Orthonormal columns spanning a Gaussian matrix's range. For tall matrices, CholeskyQR2 (a Gaussian
// matrix with rows >= 4 cols has condition number below 3, so two passes give orthogonality to
// working precision at BLAS-3 speed); otherwise Householder QR.
MatD orthonormal(Rng& rng, index_t rows, index_t cols) {
  MatD g = gaussian(rng, rows, cols);
  if (rows >= 4 * cols && cols > 0) {
    for (int pass = 0; pass < 2; ++pass) {
      MatD gram = MatD::Zero(cols, cols);
      gram.selfadjointView<Eigen::Lower>().rankUpdate(g.transpose());
      Eigen::LLT<MatD> llt(gram);
      if (llt.info() != Eigen::Success) break;  // practically impossible; fall through to Householder
      // g <- g * L^{-T}, i.e. g^T <- L^{-1} g^T
      MatD gt = g.transpose();
      llt.matrixL().solveInPlace(gt);
      g = gt.transpose();
      if (pass == 1) return g;
    }
  }
  Eigen::HouseholderQR<MatD> qr(g);
  MatD q = qr.householderQ() * MatD::Identity(rows, cols);
  return q;
}

std::string describe(const GenOptions& o) {
  std::ostringstream os;
  os << "m = " << o.m << ", n = " << o.n << ", kappa = " << o.kappa << ", rank = " << o.rank;
  return os.str();
}

struct DoubleProblem {
  MatD A;
  VecD b;
  VecD x_true;
};

DoubleProblem generate_double(const GenOptions& o) {
  if (o.m <= 0 || o.n <= 0) throw InvalidInput("generate: empty shape (" + describe(o) + ")");
  if (!(o.kappa >= 1.0) || !std::isfinite(o.kappa)) {
    throw InvalidInput("generate: kappa must be a finite number >= 1 (" + describe(o) + ")");
  }
  if (o.noise < 0.0 || !std::isfinite(o.noise)) throw InvalidInput("generate: noise must be >= 0");
  const index_t k = std::min(o.m, o.n);
  if (o.rank < 0 || o.rank > k) {
    throw InvalidInput("generate: rank must be in [0, min(m,n)] (" + describe(o) + ")");
  }
  const index_t r = o.rank == 0 ? k : o.rank;
  Rng rng(o.seed);
  DoubleProblem p;
  if (o.gaussian && r == k) {
    p.A = gaussian(rng, o.m, o.n);
  } else {
    MatD U = orthonormal(rng, o.m, k);
    MatD V = orthonormal(rng, o.n, k);
    // Geometric over the first r values (sigma_0 = 1, sigma_{r-1} = 1/kappa), zero beyond.
    VecD sigma = VecD::Zero(k);
    for (index_t i = 0; i < r; ++i) {
      const double t = r > 1 ? static_cast<double>(i) / static_cast<double>(r - 1) : 0.0;
      sigma(i) = std::pow(o.kappa, -t);
    }
    p.A = U * sigma.asDiagonal() * V.transpose();
    VecD x0(o.n);
    for (index_t i = 0; i < o.n; ++i) x0(i) = rng.normal();
    if (r < o.n) {
      // Project onto the row space, so x_true is the minimum-norm solution of the consistent system.
      MatD Vr = V.leftCols(r);
      x0 = Vr * (Vr.transpose() * x0);
    }
    p.x_true = x0 / x0.norm();
  }
  if (p.x_true.size() == 0) {
    VecD x0(o.n);
    for (index_t i = 0; i < o.n; ++i) x0(i) = rng.normal();
    p.x_true = x0 / x0.norm();
  }
  p.b = p.A * p.x_true;
  if (o.noise > 0.0) {
    const double scale = o.noise * p.b.norm() / std::sqrt(static_cast<double>(o.m));
    for (index_t i = 0; i < o.m; ++i) p.b(i) += scale * rng.normal();
  }
  return p;
}

template <typename T, typename Derived>
void copy_out(const Eigen::MatrixBase<Derived>& src, T* dst) {
  const index_t size = src.size();
  const double* s = src.derived().data();
  for (index_t i = 0; i < size; ++i) dst[i] = static_cast<T>(s[i]);
}

}  // namespace

template <typename T>
Problem<T> generate(const GenOptions& opt) {
  DoubleProblem d = generate_double(opt);
  Problem<T> p;
  p.m = opt.m;
  p.n = opt.n;
  p.A.resize(static_cast<size_t>(opt.m * opt.n));
  p.b.resize(static_cast<size_t>(opt.m));
  p.x_true.resize(static_cast<size_t>(opt.n));
  copy_out(d.A, p.A.data());
  copy_out(d.b, p.b.data());
  copy_out(d.x_true, p.x_true.data());
  return p;
}

template <typename T>
BatchedProblem<T> generate_batch(index_t batch, const GenOptions& opt, double kappa_max) {
  if (batch <= 0) throw InvalidInput("generate_batch: batch must be positive");
  BatchedProblem<T> bp;
  bp.batch = batch;
  bp.m = opt.m;
  bp.n = opt.n;
  bp.A.resize(static_cast<size_t>(batch * opt.m * opt.n));
  bp.b.resize(static_cast<size_t>(batch * opt.m));
  bp.x_true.resize(static_cast<size_t>(batch * opt.n));
  // Validate once outside the parallel region, so errors are thrown on the calling thread.
  {
    GenOptions o = opt;
    o.m = std::min<index_t>(opt.m, 2);
    o.n = std::min<index_t>(opt.n, 2);
    o.rank = 0;
    generate_double(o);
    if (opt.rank < 0 || opt.rank > std::min(opt.m, opt.n)) {
      throw InvalidInput("generate_batch: rank must be in [0, min(m,n)] (" + describe(opt) + ")");
    }
  }
#pragma omp parallel for schedule(dynamic)
  for (index_t p = 0; p < batch; ++p) {
    GenOptions o = opt;
    o.seed = opt.seed + static_cast<std::uint64_t>(p);
    if (kappa_max > opt.kappa && batch > 1) {
      const double t = static_cast<double>(p) / static_cast<double>(batch - 1);
      o.kappa = opt.kappa * std::pow(kappa_max / opt.kappa, t);
    }
    DoubleProblem d = generate_double(o);
    copy_out(d.A, bp.a_of(p));
    copy_out(d.b, bp.b_of(p));
    copy_out(d.x_true, bp.x_true.data() + p * opt.n);
  }
  return bp;
}

Problem<double> polynomial_fit_problem(index_t m, index_t degree) {
  if (m <= degree || degree < 0) {
    throw InvalidInput("polynomial_fit_problem: need m > degree >= 0 (m = " + std::to_string(m) +
                       ", degree = " + std::to_string(degree) + ")");
  }
  Problem<double> p;
  p.m = m;
  p.n = degree + 1;
  p.A.resize(static_cast<size_t>(p.m * p.n));
  p.b.assign(static_cast<size_t>(m), 0.0);
  p.x_true.assign(static_cast<size_t>(p.n), 1.0);
  for (index_t i = 0; i < m; ++i) {
    const long double t = static_cast<long double>(i) / static_cast<long double>(m - 1);
    long double tp = 1.0L, sum = 0.0L;
    for (index_t j = 0; j <= degree; ++j) {
      p.a(i, j) = static_cast<double>(tp);
      sum += static_cast<long double>(p.a(i, j));  // b = A * ones exactly for the stored A
      tp *= t;
    }
    p.b[static_cast<size_t>(i)] = static_cast<double>(sum);
  }
  for (index_t j = 0; j <= degree; ++j) p.column_names.push_back("t^" + std::to_string(j));
  return p;
}

template Problem<float> generate<float>(const GenOptions&);
template Problem<double> generate<double>(const GenOptions&);
template BatchedProblem<float> generate_batch<float>(index_t, const GenOptions&, double);
template BatchedProblem<double> generate_batch<double>(index_t, const GenOptions&, double);

}  // namespace lsgd
