#pragma once
// Shared pieces of the CPU gradient-descent solvers (cpu.gd*, cpu.sgd, cpu.bgd): the fused
// residual/gradient pass over A, the power iteration for L, option checks, and the GD driver loop
// with the history and divergence rules that docs/gradient-descent-cpu.md states (shared with the
// CUDA twins). The stopping rule and the error estimate live in cpu/gd_stop.hpp.
#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "cpu/cpu_common.hpp"
#include "cpu/gd_stop.hpp"

namespace lsgd::cpu::gd {

enum class Variant { plain, momentum, nesterov };

// The registry's algorithm family of a variant (SolverEntry::algorithm).
inline const char* algorithm_family(Variant v) {
  switch (v) {
    case Variant::momentum:
      return "momentum";
    case Variant::nesterov:
      return "nesterov";
    case Variant::plain:
      break;
  }
  return "gd";
}

constexpr double kDefaultMomentum = 0.9;
// f(x_k) > kDivergenceFactor * max(f(x_0), tiny) counts as divergence.
constexpr double kDivergenceFactor = 1e8;

// Checks the options every GD solver reads; throws InvalidInput naming the solver and the option.
inline void check_options(const std::string& name, const SolverOptions& o) {
  validate_iterative_options(name, o);  // momentum included: the rule the CUDA solvers share
  if (o.threads < 0) throw InvalidInput(name + ": threads must be >= 0 (0: OpenMP default)");
}

// Rows per chunk of the fused pass: a chunk of A (rows x n) should stay in cache between its two
// uses. 48 KB (about L1 on current x86 cores) measured best of 16 / 48 / 256 KB on Zen 5; wider A
// gets kFusedMinChunkRows rows as long as that chunk fits kFusedMaxChunkBytes (a quarter of a 1-2 MB
// L2), since the two-GEMV fallback reads A twice from memory.
// Every chunk but a thread's last has a multiple of 16 rows (whole AVX-512 float vectors).
constexpr index_t kFusedMinChunkRows = 128;
constexpr index_t kFusedMaxChunkBytes = 512 * 1024;

template <typename T>
index_t chunk_rows(index_t n) {
  constexpr index_t kChunkBytes = 48 * 1024;
  const index_t row_bytes = n * static_cast<index_t>(sizeof(T));
  index_t rows = kChunkBytes / row_bytes;
  if (rows < kFusedMinChunkRows && kFusedMinChunkRows * row_bytes <= kFusedMaxChunkBytes) {
    rows = kFusedMinChunkRows;
  }
  return std::max<index_t>(16, rows / 16 * 16);
}
// The fused pass needs whole rows of a chunk; when even kFusedMinChunkRows rows overflow
// kFusedMaxChunkBytes, the GEMVs on such short column segments lose more than reading A once saves
// (measured, see bench/NOTES.md (cpugd)), and the pass falls back to two parallel GEMVs.
// Below this many entries of A one pass costs a few microseconds and an OpenMP fork-join (a few
// microseconds too) does not pay.
constexpr index_t kParallelMinEntries = 1 << 16;

// Runs body(t, nt, sync) on `threads` threads in ONE OpenMP parallel region (directly, without a
// region, when threads == 1); sync() is a barrier of that region and nt the threads it really got.
// A parallel region costs ~1 ms and a barrier up to ~0.6 ms on a busy 2-core machine, so solvers
// open one region per solve, never one per iteration.
template <typename F>
void in_region(int threads, F&& body) {
  if (threads <= 1) {
    body(0, 1, [] {});
    return;
  }
#pragma omp parallel num_threads(threads)
  {
    const auto sync = [] {
#pragma omp barrier
    };
    body(omp_get_thread_num(), omp_get_num_threads(), sync);
  }
}

// r = A x - b and g = A^T r / m + lambda x.
// Tall, narrow A (the usual least-squares shape): ONE pass over A. Each thread owns a block of rows
// and walks it in cache-sized chunks, computing the chunk's residual and at once its contribution
// A_c^T r_c to the gradient, so A is read from memory once per iteration instead of twice.
// Wide A (a cache-sized chunk would hold < kFusedMinChunkRows rows): r = A x - b by row blocks,
// then g = A^T r by column blocks.
//
// Inside a region (eval()), every thread of the region calls eval() with the same x and gets the
// same f and g back: the partial sums are combined in a fixed order by every thread redundantly
// (n values; cheaper than another barrier), so the callers' iterations stay in lock step without a
// broadcast. Partials alternate between two slots, so one barrier per evaluation suffices (two for
// the wide variant). Results are deterministic for a fixed thread count. A is column-major m x n
// and must outlive the pass.
template <typename T>
class GradientPass {
 public:
  // m_scale: the m of 1/m in the gradient, when these rows are a part of a larger problem (mpi.gd:
  // each rank's rows; their gradients then sum to the whole one). 0: m.
  GradientPass(const T* A, index_t m, index_t n, int threads, index_t m_scale = 0)
      : A_(A, m, n),
        m_(m),
        m_scale_(m_scale > 0 ? m_scale : m),
        n_(n),
        threads_(m * n >= kParallelMinEntries ? std::max(1, threads) : 1),
        chunk_(std::min(chunk_rows<T>(n), m)),
        fused_(chunk_ >= std::min(m, kFusedMinChunkRows)) {
    for (int s = 0; s < 2; ++s) {
      part_g_[s] = Mat<T>::Zero(n, fused_ ? threads_ : 1);
      part_f_[s].assign(static_cast<size_t>(threads_), 0.0);
    }
    rbuf_.resize(static_cast<size_t>(fused_ ? threads_ : 1));
    if (fused_) {
      for (auto& r : rbuf_) r.resize(chunk_);
    } else {
      rbuf_[0].resize(m);
    }
    calls_.assign(static_cast<size_t>(threads_), 0);
  }

  index_t m() const { return m_; }
  index_t n() const { return n_; }
  int threads() const { return threads_; }

  // Called by thread t of nt (nt <= threads()) of one region, every thread with the same x: returns
  // ||A x - b||^2 (b = nullptr: b = 0). With need_grad, g = A^T (A x - b)/m + lambda x (g is the
  // calling thread's own vector); without, only the residual half of the pass runs.
  template <typename Sync>
  double eval(int t, int nt, const T* x, const T* b, T lambda, T* g, bool need_grad, Sync&& sync) {
    const int slot = static_cast<int>(calls_[static_cast<size_t>(t)]++ & 1);
    const MapVec<T> xv(x, n_);
    // Partition p of threads_ is done by thread p % nt (nt < threads_ only when OpenMP gave the
    // region fewer threads than asked for).
    for (int p = t; p < threads_; p += nt) {
      if (fused_) {
        fused_part(p, slot, xv, b, need_grad);
      } else {
        residual_part(p, slot, xv, b);
      }
    }
    sync();
    if (!fused_ && need_grad) {
      for (int p = t; p < threads_; p += nt) gradient_part(p, slot);
      sync();
    }
    double f = 0.0;
    for (double v : part_f_[slot]) f += v;
    if (need_grad) {
      const Mat<T>& pg = part_g_[slot];
      const T inv_m = T(1) / static_cast<T>(m_scale_);
      for (index_t j = 0; j < n_; ++j) {
        T s = pg(j, 0);
        for (index_t c = 1; c < pg.cols(); ++c) s += pg(j, c);
        g[j] = s * inv_m + lambda * x[j];
      }
    }
    return f;
  }

  // The same evaluation in a region of its own (for callers outside one: cpu.sgd's epoch ends).
  double operator()(const T* x, const T* b, T lambda, T* g, bool need_grad) {
    double f = 0.0;
    in_region(threads_, [&](int t, int nt, auto&& sync) {
      const double ft = eval(t, nt, x, b, lambda, g_scratch(t, g), need_grad, sync);
      if (t == 0) f = ft;
    });
    return f;
  }

 private:
  // Thread 0 writes the caller's g; the others a scratch vector of theirs with the same values.
  T* g_scratch(int t, T* g) {
    if (t == 0) return g;
    if (scratch_.size() < static_cast<size_t>(threads_)) scratch_.resize(static_cast<size_t>(threads_));
    Vec<T>& v = scratch_[static_cast<size_t>(t)];
    if (v.size() != n_) v.resize(n_);
    return v.data();
  }

  void fused_part(int p, int slot, const MapVec<T>& xv, const T* b, bool need_grad) {
    const index_t r0 = m_ * p / threads_;
    const index_t r1 = m_ * (p + 1) / threads_;
    auto gt = part_g_[slot].col(p);
    gt.setZero();
    double f = 0.0;
    Vec<T>& rbuf = rbuf_[static_cast<size_t>(p)];
    for (index_t i = r0; i < r1; i += chunk_) {
      const index_t len = std::min(chunk_, r1 - i);
      const auto Ac = A_.middleRows(i, len);
      auto rc = rbuf.head(len);
      rc.noalias() = Ac * xv;
      if (b != nullptr) rc -= MapVec<T>(b + i, len);
      f += static_cast<double>(rc.squaredNorm());
      if (need_grad) gt.noalias() += Ac.transpose() * rc;
    }
    part_f_[slot][static_cast<size_t>(p)] = f;
  }

  void residual_part(int p, int slot, const MapVec<T>& xv, const T* b) {
    const index_t r0 = m_ * p / threads_;
    const index_t len = m_ * (p + 1) / threads_ - r0;
    auto rt = rbuf_[0].segment(r0, len);
    rt.noalias() = A_.middleRows(r0, len) * xv;
    if (b != nullptr) rt -= MapVec<T>(b + r0, len);
    part_f_[slot][static_cast<size_t>(p)] = static_cast<double>(rt.squaredNorm());
  }

  void gradient_part(int p, int slot) {
    const index_t c0 = n_ * p / threads_;
    const index_t len = n_ * (p + 1) / threads_ - c0;
    part_g_[slot].col(0).segment(c0, len).noalias() =
        A_.middleCols(c0, len).transpose() * rbuf_[0];
  }

  MapMat<T> A_;
  index_t m_, m_scale_, n_;
  int threads_;
  index_t chunk_;
  bool fused_;
  Mat<T> part_g_[2];
  std::vector<double> part_f_[2];
  std::vector<Vec<T>> rbuf_;
  std::vector<std::uint64_t> calls_;
  std::vector<Vec<T>> scratch_;
};

// ||v|| accumulated in double by a plain loop: the same value in every thread of a region (the
// threads' stopping decisions must agree exactly, or they would part at the next barrier).
template <typename T>
double norm_of(const T* v, index_t n) {
  double s = 0.0;
  for (index_t i = 0; i < n; ++i) s += static_cast<double>(v[i]) * static_cast<double>(v[i]);
  return std::sqrt(s);
}

// The evaluation of GradientPass for one small problem on one thread (cpu.bgd): A (column-major,
// in L1/L2 for the whole solve) is walked once per evaluation in blocks of W rows, W = one 64-byte
// vector: the block's residual r_blk = A_blk x - b_blk stays in a register while it is used at once
// for f and for the n partial gradients acc_j += A_j,blk * r_blk (lane-wise; summed across lanes at
// the end). Plain loops vectorized by the compiler (omp simd), without Eigen's per-call dispatch.
// Measured on 4096 x (64 x 8) float: 2x faster than an axpy pass for r followed by n dot products,
// 1.5x on 1024 x (256 x 32) (bench/NOTES.md, cpucap).
template <typename T>
class SmallPass {
 public:
  static constexpr int W = 64 / static_cast<int>(sizeof(T));

  explicit SmallPass(index_t max_n) : acc_(static_cast<size_t>(max_n * W)) {}

  void bind(const T* A, index_t m, index_t n) {
    A_ = A;
    m_ = m;
    n_ = n;
    if (acc_.size() < static_cast<size_t>(n * W)) acc_.resize(static_cast<size_t>(n * W));
  }
  index_t m() const { return m_; }
  index_t n() const { return n_; }

  double operator()(const T* x, const T* b, T lambda, T* g, bool need_grad) {
    // A compile-time n lets the compiler keep the accumulators in registers and unroll the column
    // loops (measured at 64 x 8 float: 100 ns per evaluation against 162 with n at run time).
    switch (n_) {
      case 8:
        return eval<8>(x, b, lambda, g, need_grad);
      case 16:
        return eval<16>(x, b, lambda, g, need_grad);
      case 32:
        return eval<32>(x, b, lambda, g, need_grad);
      default:
        return eval<0>(x, b, lambda, g, need_grad);
    }
  }

 private:
  template <int N>
  double eval(const T* x, const T* b, T lambda, T* g, bool need_grad) {
    const index_t m = m_, n = N > 0 ? N : n_;
    T fixed[N > 0 ? N * W : 1];
    T* __restrict acc = N > 0 ? fixed : acc_.data();
    std::fill(acc, acc + n * W, T(0));
    double fv[W] = {};
    index_t i = 0;
    for (; i + W <= m; i += W) {
      T rv[W];
      if (b != nullptr) {
#pragma omp simd
        for (int l = 0; l < W; ++l) rv[l] = -b[i + l];
      } else {
#pragma omp simd
        for (int l = 0; l < W; ++l) rv[l] = T(0);
      }
      for (index_t j = 0; j < n; ++j) {
        const T* __restrict a = A_ + j * m + i;
        const T xj = x[j];
#pragma omp simd
        for (int l = 0; l < W; ++l) rv[l] += a[l] * xj;
      }
#pragma omp simd
      for (int l = 0; l < W; ++l) fv[l] += static_cast<double>(rv[l]) * static_cast<double>(rv[l]);
      if (need_grad) {
        for (index_t j = 0; j < n; ++j) {
          const T* __restrict a = A_ + j * m + i;
          T* __restrict aj = acc + j * W;
#pragma omp simd
          for (int l = 0; l < W; ++l) aj[l] += a[l] * rv[l];
        }
      }
    }
    double f = 0.0;
    for (int l = 0; l < W; ++l) f += fv[l];
    for (; i < m; ++i) {  // the last m mod W rows
      T ri = b != nullptr ? -b[i] : T(0);
      for (index_t j = 0; j < n; ++j) ri += A_[j * m + i] * x[j];
      f += static_cast<double>(ri) * static_cast<double>(ri);
      if (need_grad) {
        for (index_t j = 0; j < n; ++j) acc[j * W] += A_[j * m + i] * ri;
      }
    }
    if (need_grad) {
      const T inv_m = T(1) / static_cast<T>(m);
      for (index_t j = 0; j < n; ++j) {
        T s = T(0);
        for (int l = 0; l < W; ++l) s += acc[j * W + l];
        g[j] = s * inv_m + lambda * x[j];
      }
    }
    return f;
  }

  const T* A_ = nullptr;
  index_t m_ = 0, n_ = 0;
  std::vector<T> acc_;
};

// Power iteration on A^T A / m from v = ones/sqrt(n): returns ||A^T A v / m|| after `iters` steps
// (a lower estimate of sigma_max^2/m that converges from below), 0 if A v vanished (A = 0, or the
// start vector lies in A's null space). eval(x, b, lambda, g, need_grad) is a GradientPass
// evaluation (GradientPass::eval bound to a thread of a region, or GradientPass::operator()).
template <typename T, typename Eval>
double power_iteration(Eval&& eval, index_t n, int iters) {
  Vec<T> v = Vec<T>::Constant(n, T(1) / std::sqrt(static_cast<T>(n)));
  Vec<T> w(n);
  double L = 0.0;
  for (int it = 0; it < iters; ++it) {
    eval(v.data(), static_cast<const T*>(nullptr), T(0), w.data(), true);
    L = norm_of(w.data(), n);
    if (!(L > 0.0) || !std::isfinite(L)) return std::isfinite(L) ? 0.0 : L;
    v = w / static_cast<T>(L);
  }
  return L;
}

template <typename T>
double power_iteration(GradientPass<T>& pass, int iters) {
  return power_iteration<T>(
      [&](const T* x, const T* b, T lambda, T* g, bool need) { return pass(x, b, lambda, g, need); },
      pass.n(), iters);
}

[[noreturn]] inline void throw_bad_lipschitz(const std::string& who, double L) {
  std::ostringstream os;
  os << who << ": power iteration gave L = " << L
     << " (A is zero, its start vector ones/sqrt(n) lies in the null space of A, or A overflows); "
        "pass options.lipschitz";
  throw InvalidInput(os.str());
}

// L as the conventions fix it: options.lipschitz if > 0, else power iteration + lambda. Throws
// InvalidInput (naming `who`) when the estimate is 0 or not finite.
template <typename T>
double lipschitz(GradientPass<T>& pass, const SolverOptions& o, const std::string& who) {
  if (o.lipschitz > 0.0) return o.lipschitz;
  const double L = power_iteration(pass, o.power_iters);
  if (!(L > 0.0) || !std::isfinite(L)) throw_bad_lipschitz(who, L);
  return L + o.ridge_lambda;
}

inline bool is_divergent(double f, double gnorm, double f0) {
  return !std::isfinite(f) || !std::isfinite(gnorm) ||
         f > kDivergenceFactor * std::max(f0, std::numeric_limits<double>::min());
}

inline std::string divergence_message(const std::string& who, int k, double alpha, double L) {
  std::ostringstream os;
  os << who << ": diverged at iteration " << k << " (step alpha = " << alpha
     << ", 2/L = " << 2.0 / L << ")";
  return os.str();
}

// Records f(x_k) every `every` iterations (k = 0, every, 2 every, ...) plus the final iterate.
class History {
 public:
  explicit History(int every) : every_(every) {}
  void at(int k, double f) {
    if (every_ > 0 && k % every_ == 0) {
      values_.push_back(f);
      last_ = k;
    }
  }
  void at_end(int k, double f) {
    if (every_ > 0 && last_ != k) values_.push_back(f);
  }
  std::vector<double> take() { return std::move(values_); }

 private:
  int every_;
  int last_ = -1;
  std::vector<double> values_;
};

struct Params {
  Variant variant = Variant::plain;
  int max_iters = 0;
  double tol = 0.0;
  double alpha = 0.0;
  double beta = 0.0;  // heavy-ball momentum
  double lambda = 0.0;
  double L = 0.0;  // for the divergence message
  int history_every = 0;
  double mu = 0.0;  // estimate of H's smallest eigenvalue (gd_stop.hpp); 0: relative-gradient rule
};

struct Outcome {
  int iterations = 0;
  bool converged = false;
  bool diverged = false;
  double rel_grad = 0.0;  // ||grad f(x_final)|| / ||grad f(x_0)|| (NaN when never evaluated)
  // ||x - x*|| / ||x|| <= ||grad f(x_final)|| / (mu ||x_final||) (gd_stop.hpp); NaN without mu.
  double error_estimate = std::numeric_limits<double>::quiet_NaN();
  std::vector<double> history;
};

// The GD loop from x_0 = 0 (x is resized and overwritten). Every iteration evaluates r = A x_k - b,
// f(x_k) and grad f(x_k) in one pass; the gradient at the current iterate is therefore always at
// hand, so the stopping test costs nothing extra for any variant. Nesterov's gradient at
// y_k = x_k + mu_k (x_k - x_{k-1}) comes from linearity of the gradient of a quadratic:
// grad f(y_k) = (1 + mu_k) grad f(x_k) - mu_k grad f(x_{k-1}), exact in exact arithmetic, so each
// variant costs one pass per iteration. With tol = 0 the final iterate gets only the residual half
// of the pass (for f, the history and the divergence check).
//
// eval is a GradientPass evaluation as in power_iteration(); inside a region every thread runs this
// loop in lock step with its own x (identical values) and its own Outcome.
template <typename T, typename Eval>
Outcome run(Eval&& eval, index_t m_rows, index_t n, const T* b, const Params& p, Vec<T>& x) {
  const double m = static_cast<double>(m_rows);
  const T alpha = static_cast<T>(p.alpha);
  const T beta = static_cast<T>(p.beta);
  const T lambda = static_cast<T>(p.lambda);
  x.setZero(n);
  Vec<T> x_prev = Vec<T>::Zero(n);
  Vec<T> g(n), g_prev = Vec<T>::Zero(n), x_next(n);
  History history(p.history_every);
  Outcome out;
  double f0 = 0.0, g0 = 0.0;
  int k = 0;
  for (;; ++k) {
    const bool last = k == p.max_iters;
    const bool need_grad = !(last && p.tol == 0.0);
    const double rr = eval(x.data(), b, lambda, g.data(), need_grad);
    const double xn = p.lambda != 0.0 || p.mu > 0.0 ? norm_of(x.data(), n) : 0.0;
    const double f = 0.5 * rr / m + 0.5 * p.lambda * xn * xn;
    const double gn = need_grad ? norm_of(g.data(), n) : 0.0;
    if (k == 0) {
      f0 = f;
      g0 = gn;
    }
    if (is_divergent(f, gn, f0)) {
      out.diverged = true;
      out.iterations = k;
      return out;
    }
    history.at(k, f);
    if (need_grad) {
      out.rel_grad = g0 > 0.0 ? gn / g0 : 0.0;
      if (p.mu > 0.0) out.error_estimate = forward_error_estimate(gn, xn, p.mu);
    }
    if (need_grad && stop_test(p.tol, gn, g0, xn, p.mu)) {
      out.converged = true;
      history.at_end(k, f);
      break;
    }
    if (last) {
      out.converged = p.tol == 0.0;
      history.at_end(k, f);
      break;
    }
    switch (p.variant) {
      case Variant::plain:
        x -= alpha * g;
        break;
      case Variant::momentum:
        x_next = x - alpha * g + beta * (x - x_prev);
        x_prev = x;
        x.swap(x_next);
        break;
      case Variant::nesterov: {
        const T mu = k == 0 ? T(0) : static_cast<T>(k - 1) / static_cast<T>(k + 2);
        // y = x + mu (x - x_prev); x_next = y - alpha grad f(y)
        x_next = x + mu * (x - x_prev) - alpha * ((T(1) + mu) * g - mu * g_prev);
        x_prev = x;
        x.swap(x_next);
        g_prev = g;
        break;
      }
    }
  }
  out.iterations = k;
  out.history = history.take();
  return out;
}

// A whole single-problem solve as each thread of a region (cpu.gd*) or each rank (mpi.gd*) runs it,
// in lock step with the others: L (options.lipschitz, else the power iteration + lambda), the step,
// with tol > 0 the Lanczos estimate of mu for the stopping rule (gd_stop.hpp), then run() from
// x = 0. When the power iteration gives no usable L (the same value everywhere), it returns that L
// without running; finish() then throws.
struct Solve {
  double L = 0.0;
  Spectrum spectrum;
  Params params;
  Outcome out;
};

template <typename T, typename Eval>
Solve solve_from_zero(Eval&& eval, Variant v, const SolverOptions& o, index_t m, index_t n,
                      const T* b, Vec<T>& x) {
  Solve s;
  double L = o.lipschitz;
  if (!(L > 0.0)) {
    L = power_iteration<T>(eval, n, o.power_iters);
    if (!(L > 0.0) || !std::isfinite(L)) {
      s.L = L;
      return s;
    }
    L += o.ridge_lambda;
  }
  s.L = L;
  Params& p = s.params;
  p.variant = v;
  p.max_iters = o.max_iters;
  p.tol = o.tol;
  p.alpha = o.step > 0.0 ? o.step : 1.0 / L;
  p.beta = o.momentum > 0.0 ? o.momentum : kDefaultMomentum;
  p.lambda = o.ridge_lambda;
  p.L = L;
  p.history_every = o.history_every;
  if (o.tol > 0.0) {
    s.spectrum = lanczos<T>(eval, n, b, o.ridge_lambda, kLanczosSteps);
    p.mu = s.spectrum.mu;
  }
  s.out = run<T>(eval, m, n, b, p, x);
  return s;
}

// Throws for an unusable L or divergence (naming `who`); otherwise fills info from the solve.
inline void finish(const std::string& who, const SolverOptions& o, Solve& s, int threads,
                   SolveInfo& info) {
  if (!(s.L > 0.0) || !std::isfinite(s.L)) throw_bad_lipschitz(who, s.L);
  if (s.out.diverged) {
    throw NumericalError(divergence_message(who, s.out.iterations, s.params.alpha, s.L));
  }
  info.threads = threads;
  info.iterations = s.out.iterations;
  info.converged = s.out.converged;
  info.loss_history = std::move(s.out.history);
  info.history_every = o.history_every;
  info.error_estimate = s.out.error_estimate;
  info.note.clear();
  if (!s.out.converged) {
    info.note = not_converged_note(who, s.out.iterations, s.params.tol, s.out.error_estimate,
                                   s.out.rel_grad, s.L, s.params.mu);
  } else if (s.params.mu > 0.0 && !s.spectrum.exhausted) {
    info.note = "error estimate from " + std::to_string(s.spectrum.steps) +
                " Lanczos steps, fewer than n: mu is a Ritz value, possibly above the smallest "
                "eigenvalue of H, so the estimate may be low";
  }
}

template <typename T>
Outcome run(GradientPass<T>& pass, const T* b, const Params& p, Vec<T>& x) {
  return run<T>(
      [&](const T* xx, const T* bb, T lambda, T* g, bool need) {
        return pass(xx, bb, lambda, g, need);
      },
      pass.m(), pass.n(), b, p, x);
}

}  // namespace lsgd::cpu::gd
