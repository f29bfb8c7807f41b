#pragma once
// Shared pieces of the CPU gradient-descent solvers (cpu.gd*, cpu.sgd, cpu.bgd): the fused
// residual/gradient pass over A, the power iteration for L, option checks, and the GD driver loop
// with the stopping, history and divergence rules that docs/gradient-descent-cpu.md states (shared with the CUDA
// twins).
#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "cpu/cpu_common.hpp"

namespace lsgd::cpu::gd {

enum class Variant { plain, momentum, nesterov };

constexpr double kDefaultMomentum = 0.9;
// f(x_k) > kDivergenceFactor * max(f(x_0), tiny) counts as divergence.
constexpr double kDivergenceFactor = 1e8;

// Checks the options every GD solver reads; throws InvalidInput naming the solver and the option.
inline void check_options(const std::string& name, const SolverOptions& o) {
  validate_iterative_options(name, o);
  if (!(std::isfinite(o.momentum) && o.momentum >= 0.0 && o.momentum < 1.0)) {
    throw InvalidInput(name + ": momentum must be in [0, 1)");
  }
  if (o.threads < 0) throw InvalidInput(name + ": threads must be >= 0 (0: OpenMP default)");
}

// Rows per chunk of the fused pass: a chunk of A (rows x n) should stay in cache between its two
// uses. 48 KB (about L1 on current x86 cores) measured best of 16 / 48 / 256 KB on Zen 5.
template <typename T>
index_t chunk_rows(index_t n) {
  constexpr index_t kChunkBytes = 48 * 1024;
  const index_t rows = kChunkBytes / (n * static_cast<index_t>(sizeof(T)));
  return std::max<index_t>(16, rows / 16 * 16);
}
// The fused pass needs whole rows of a chunk; when a cache-sized chunk holds fewer rows than this,
// the GEMVs on such short column segments lose more than reading A once saves (measured, see
// bench/NOTES.md (cpugd)), and the pass falls back to two parallel GEMVs.
constexpr index_t kFusedMinChunkRows = 128;

// Below this many entries of A one pass costs a few microseconds and an OpenMP fork-join (a few
// microseconds too) does not pay.
constexpr index_t kParallelMinEntries = 1 << 16;

// r = A x - b and g = A^T r / m + lambda x.
// Tall, narrow A (the usual least-squares shape): ONE pass over A. Each thread owns a block of rows
// and walks it in cache-sized chunks, computing the chunk's residual and at once its contribution
// A_c^T r_c to the gradient, so A is read from memory once per iteration instead of twice.
// Wide A (a cache-sized chunk would hold < kFusedMinChunkRows rows): r = A x - b by row blocks,
// then g = A^T r by column blocks, both in parallel. Partial sums are combined in thread order:
// results are deterministic for a fixed thread count. A is column-major m x n and must outlive the
// pass.
template <typename T>
class GradientPass {
 public:
  GradientPass(const T* A, index_t m, index_t n, int threads)
      : A_(A, m, n),
        m_(m),
        n_(n),
        threads_(m * n >= kParallelMinEntries ? std::max(1, threads) : 1),
        chunk_(std::min(chunk_rows<T>(n), m)),
        fused_(chunk_ >= std::min(m, kFusedMinChunkRows)),
        part_g_(n, fused_ ? threads_ : 0),
        part_f_(static_cast<size_t>(threads_), 0.0),
        rbuf_(static_cast<size_t>(fused_ ? threads_ : 1)) {
    if (fused_) {
      for (auto& r : rbuf_) r.resize(chunk_);
    } else {
      rbuf_[0].resize(m);
    }
  }

  index_t m() const { return m_; }
  index_t n() const { return n_; }
  int threads() const { return threads_; }

  // Returns ||A x - b||^2 (b = nullptr: b = 0). With need_grad, g = A^T (A x - b)/m + lambda x;
  // without, only the residual half of the pass runs and g is left alone.
  double operator()(const T* x, const T* b, T lambda, T* g, bool need_grad) {
    const MapVec<T> xv(x, n_);
    Eigen::Map<Vec<T>> gv(g, n_);
    if (fused_) {
      fused(xv, b, need_grad);
      if (need_grad) {
        gv = part_g_.col(0);
        for (int t = 1; t < threads_; ++t) gv += part_g_.col(t);
      }
    } else {
      two_pass(xv, b, gv, need_grad);
    }
    double f = 0.0;
    for (double v : part_f_) f += v;
    if (need_grad) {
      gv *= T(1) / static_cast<T>(m_);
      if (lambda != T(0)) gv += lambda * xv;
    }
    return f;
  }

 private:
  template <typename F>
  void for_threads(F&& body) {
    if (threads_ > 1) {
#pragma omp parallel for schedule(static) num_threads(threads_)
      for (int t = 0; t < threads_; ++t) body(t);
    } else {
      body(0);
    }
  }

  void fused(const MapVec<T>& xv, const T* b, bool need_grad) {
    for_threads([&](int t) {
      const index_t r0 = m_ * t / threads_;
      const index_t r1 = m_ * (t + 1) / threads_;
      auto gt = part_g_.col(t);
      gt.setZero();
      double f = 0.0;
      Vec<T>& rbuf = rbuf_[static_cast<size_t>(t)];
      for (index_t i = r0; i < r1; i += chunk_) {
        const index_t len = std::min(chunk_, r1 - i);
        const auto Ac = A_.middleRows(i, len);
        auto rc = rbuf.head(len);
        rc.noalias() = Ac * xv;
        if (b != nullptr) rc -= MapVec<T>(b + i, len);
        f += static_cast<double>(rc.squaredNorm());
        if (need_grad) gt.noalias() += Ac.transpose() * rc;
      }
      part_f_[static_cast<size_t>(t)] = f;
    });
  }

  void two_pass(const MapVec<T>& xv, const T* b, Eigen::Map<Vec<T>>& gv, bool need_grad) {
    Vec<T>& r = rbuf_[0];
    for_threads([&](int t) {
      const index_t r0 = m_ * t / threads_;
      const index_t len = m_ * (t + 1) / threads_ - r0;
      auto rt = r.segment(r0, len);
      rt.noalias() = A_.middleRows(r0, len) * xv;
      if (b != nullptr) rt -= MapVec<T>(b + r0, len);
      part_f_[static_cast<size_t>(t)] = static_cast<double>(rt.squaredNorm());
    });
    if (!need_grad) return;
    for_threads([&](int t) {
      const index_t c0 = n_ * t / threads_;
      const index_t len = n_ * (t + 1) / threads_ - c0;
      gv.segment(c0, len).noalias() = A_.middleCols(c0, len).transpose() * r;
    });
  }

  MapMat<T> A_;
  index_t m_, n_;
  int threads_;
  index_t chunk_;
  bool fused_;
  Mat<T> part_g_;
  std::vector<double> part_f_;
  std::vector<Vec<T>> rbuf_;
};

// Power iteration on A^T A / m from v = ones/sqrt(n): returns ||A^T A v / m|| after `iters` steps
// (a lower estimate of sigma_max^2/m that converges from below), 0 if A v vanished (A = 0, or the
// start vector lies in A's null space).
template <typename T>
double power_iteration(GradientPass<T>& pass, int iters) {
  const index_t n = pass.n();
  Vec<T> v = Vec<T>::Constant(n, T(1) / std::sqrt(static_cast<T>(n)));
  Vec<T> w(n);
  double L = 0.0;
  for (int it = 0; it < iters; ++it) {
    pass(v.data(), nullptr, T(0), w.data(), true);
    L = static_cast<double>(w.norm());
    if (!(L > 0.0) || !std::isfinite(L)) return std::isfinite(L) ? 0.0 : L;
    v = w / static_cast<T>(L);
  }
  return L;
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

inline std::string not_converged_note(const std::string& who, int iters, double rel, double tol) {
  std::ostringstream os;
  os << who << ": not converged within max_iters = " << iters << " (||grad|| / ||grad0|| = " << rel
     << " > tol = " << tol << ")";
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
};

struct Outcome {
  int iterations = 0;
  bool converged = false;
  bool diverged = false;
  double rel_grad = 0.0;  // ||grad f(x_final)|| / ||grad f(x_0)|| (NaN when never evaluated)
  std::vector<double> history;
};

// The GD loop from x_0 = 0 (x is resized and overwritten). Every iteration evaluates r = A x_k - b,
// f(x_k) and grad f(x_k) in one pass; the gradient at the current iterate is therefore always at
// hand, so the stopping test costs nothing extra for any variant. Nesterov's gradient at
// y_k = x_k + mu_k (x_k - x_{k-1}) comes from linearity of the gradient of a quadratic:
// grad f(y_k) = (1 + mu_k) grad f(x_k) - mu_k grad f(x_{k-1}), exact in exact arithmetic, so each
// variant costs one pass per iteration. With tol = 0 the final iterate gets only the residual half
// of the pass (for f, the history and the divergence check).
template <typename T>
Outcome run(GradientPass<T>& pass, const T* b, const Params& p, Vec<T>& x) {
  const index_t n = pass.n();
  const double m = static_cast<double>(pass.m());
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
    const double rr = pass(x.data(), b, lambda, g.data(), need_grad);
    const double f = 0.5 * rr / m + 0.5 * p.lambda * static_cast<double>(x.squaredNorm());
    const double gn = need_grad ? static_cast<double>(g.norm()) : 0.0;
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
    if (need_grad) out.rel_grad = g0 > 0.0 ? gn / g0 : 0.0;
    if (p.tol > 0.0 && gn <= p.tol * g0) {
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

}  // namespace lsgd::cpu::gd
