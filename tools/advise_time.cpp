#include "tools/advise_time.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "lsgd/error.hpp"
#include "lsgd/metrics.hpp"
#include "lsgd/registry.hpp"
#include "tools/advise_nnls.hpp"

namespace lsgd::advise {
namespace {

constexpr int kDims = 4;  // m, n, batch, iterations
constexpr double kMinInterval = 0.05;
// Farther than this from every measurement (log2 distance over m, n, batch) is extrapolation.
constexpr double kFarOctaves = 2.0;
constexpr double kFixedPrior = 0.0;  // weight of "no fixed cost" against one measurement  // ln: no
                                     // interval narrower than +-5% away from a measurement

void coords(const Shape& s, double out[kDims]) {
  out[0] = std::log2(s.m);
  out[1] = std::log2(s.n);
  out[2] = std::log2(std::max(1.0, s.batch));
  out[3] = std::log2(std::max(1.0, s.iterations));
}

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const double at = q * static_cast<double>(v.size() - 1);
  const auto i = static_cast<size_t>(at);
  const double frac = at - static_cast<double>(i);
  return i + 1 < v.size() ? v[i] * (1 - frac) + v[i + 1] * frac : v[i];
}

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

}  // namespace

Shape shape_of(const Measurement& mt) { return {mt.m, mt.n, mt.batch, mt.iterations}; }

TimeModel::TimeModel(std::vector<const Measurement*> points, double l2, double l3)
    : points_(std::move(points)), l2_(l2), l3_(l3) {
  if (points_.empty()) throw InvalidInput("advise: a time model needs at least one measurement");
  family_ = points_[0]->family;
  precision_ = points_[0]->precision;
  flop_model_ = points_[0]->flop_model;
  FlopModel fm{};
  if ((family_ == "ls" || family_ == "bls") && !flop_model_from_string(flop_model_, &fm)) {
    throw InvalidInput("advise: " + points_[0]->solver + ": unknown flop model '" + flop_model_ +
                       "' in the table");
  }
  for (int d = 0; d < kDims; ++d) {
    lo_[d] = 1e300;
    hi_[d] = 0;
  }
  for (const Measurement* p : points_) {
    const Shape s = shape_of(*p);
    const double v[kDims] = {s.m, s.n, std::max(1.0, s.batch), std::max(1.0, s.iterations)};
    for (int d = 0; d < kDims; ++d) {
      lo_[d] = std::min(lo_[d], v[d]);
      hi_[d] = std::max(hi_[d], v[d]);
    }
  }
  std::vector<size_t> all(points_.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = i;
  full_ = fit(all);
  // Leave-one-out: each measurement predicted from the others (trend refitted, correction from
  // the rest), as a new workload would be.
  if (points_.size() >= 2) {
    for (size_t i = 0; i < points_.size(); ++i) {
      std::vector<size_t> rest;
      for (size_t j = 0; j < points_.size(); ++j) {
        if (j != i) rest.push_back(j);
      }
      const Fit f = fit(rest);
      bool exact = false;
      const double t = predict_with(f, shape_of(*points_[i]), &exact);
      loo_.push_back(std::abs(std::log(t / points_[i]->time_s)));
    }
  }
  // Few points say little about the error: then no narrower than a factor 2.
  q90_ = points_.size() >= 5 ? std::max(kMinInterval, quantile(loo_, 0.9))
                             : std::max(std::log(2.0), quantile(loo_, 1.0));
}

int TimeModel::level(const Shape& s) const {
  // 0: A's bytes fit in the L2; 1: in the last-level cache; 2: beyond (a cache size of 0 is
  // unknown: no level boundary there).
  const double eb = precision_ == "f32" ? 4.0 : 8.0;
  const double ws = std::max(1.0, s.batch) * s.m * s.n * eb;
  if (l3_ > 0 && ws > l3_) return 2;
  if (l2_ > 0 && ws > l2_) return 1;
  return 0;
}

std::vector<double> TimeModel::features(const Shape& s) const {
  const double eb = precision_ == "f32" ? 4.0 : 8.0;
  const double batch = std::max(1.0, s.batch);
  const double iters = std::max(1.0, s.iterations);
  // Cumulative by cache level: a base rate, plus what it costs more once A's bytes leave the L2,
  // plus more once they leave the last-level cache. With coefficients >= 0 a byte never gets
  // cheaper as the problem grows, and a level without measurements adds nothing to the one below.
  const int lv = level(s);
  std::vector<double> f;
  const auto by_level = [&](double v) {
    for (int k = 0; k < 3; ++k) f.push_back(lv >= k ? v : 0.0);
  };
  if (family_ == "ls" || family_ == "bls") {
    FlopModel fm{};
    flop_model_from_string(flop_model_, &fm);
    f.push_back(1.0);
    if (family_ == "bls") f.push_back(batch);
    f.push_back(batch * model_flops(fm, s.m, s.n));
    by_level(batch * bytes_ls(s.m, s.n, eb));
  } else {
    const double a_bytes = batch * s.m * s.n * eb;
    f.push_back(1.0);
    f.push_back(iters);
    if (family_ == "bgd") {
      f.push_back(batch);
      f.push_back(batch * iters);
    }
    by_level(a_bytes);          // before the loop: the step's power iteration, set-up
    by_level(iters * a_bytes);  // one pass over A per iteration (4mn flops, mn elements)
  }
  return f;
}

TimeModel::Fit TimeModel::fit(const std::vector<size_t>& use) const {
  Fit out;
  const size_t nf = features(shape_of(*points_[use[0]])).size();
  const auto rows = static_cast<Eigen::Index>(use.size());
  Eigen::MatrixXd X(rows, static_cast<Eigen::Index>(nf));
  Eigen::VectorXd y(rows);
  for (size_t r = 0; r < use.size(); ++r) {
    const Measurement& p = *points_[use[r]];
    const std::vector<double> f = features(shape_of(p));
    // Relative errors: each row divided by its time, so small and large problems weigh the same.
    for (size_t c = 0; c < nf; ++c) {
      X(static_cast<Eigen::Index>(r), static_cast<Eigen::Index>(c)) = f[c] / p.time_s;
    }
    y(static_cast<Eigen::Index>(r)) = 1.0;
  }
  const Eigen::VectorXd c = nnls(X, y);
  out.coef.assign(c.data(), c.data() + c.size());
  for (const size_t i : use) {
    const Measurement& p = *points_[i];
    double x[kDims];
    coords(shape_of(p), x);
    out.pos.insert(out.pos.end(), x, x + kDims);
    const std::vector<double> f = features(shape_of(p));
    double t = 0;
    for (size_t k = 0; k < nf; ++k) t += out.coef[k] * f[k];
    // A trend of zero (every coefficient zero, e.g. one point in a zero column): the points speak.
    out.log_res.push_back(t > 0 ? std::log(p.time_s / t) : 0.0);
    out.log_time.push_back(std::log(p.time_s));
  }
  return out;
}

double TimeModel::predict_with(const Fit& f, const Shape& s, bool* exact) const {
  const std::vector<double> feat = features(s);
  double t = 0;
  for (size_t k = 0; k < feat.size(); ++k) t += f.coef[k] * feat[k];
  double x[kDims];
  coords(s, x);
  double num = 0, den = 0, exact_sum = 0;
  int exact_count = 0;
  const size_t npts = f.log_res.size();
  for (size_t i = 0; i < npts; ++i) {
    double d2 = 0;
    for (int d = 0; d < kDims; ++d) {
      const double dx = x[d] - f.pos[i * kDims + static_cast<size_t>(d)];
      d2 += dx * dx;
    }
    if (d2 < 1e-18) {
      exact_sum += f.log_time[i];
      ++exact_count;
      continue;
    }
    num += f.log_res[i] / d2;
    den += 1.0 / d2;
  }
  *exact = exact_count > 0;
  if (exact_count > 0) return std::exp(exact_sum / exact_count);
  if (!(t > 0)) {
    // No trend: the geometric mean of the measurements, weighted the same way.
    double lt = 0, w = 0;
    for (size_t i = 0; i < npts; ++i) {
      double d2 = 0;
      for (int d = 0; d < kDims; ++d) {
        const double dx = x[d] - f.pos[i * kDims + static_cast<size_t>(d)];
        d2 += dx * dx;
      }
      lt += f.log_time[i] / d2;
      w += 1.0 / d2;
    }
    return std::exp(lt / w);
  }
  return den > 0 ? t * std::exp(num / den) : t;
}

double TimeModel::trend(const Shape& s) const {
  const std::vector<double> feat = features(s);
  double t = 0;
  for (size_t k = 0; k < feat.size(); ++k) t += full_.coef[k] * feat[k];
  return t;
}

size_t TimeModel::fixed_features() const {
  // The features that do not grow with the problem come first: the fixed cost, and for GD the
  // per-iteration overhead.
  return family_ == "gd" || family_ == "bgd" ? 2 : 1;
}

double TimeModel::work(const Shape& s) const {
  // The trend without the terms that do not grow with the problem.
  const std::vector<double> feat = features(s);
  const size_t fixed = fixed_features();
  double w = 0;
  for (size_t k = fixed; k < feat.size(); ++k) w += full_.coef[k] * feat[k];
  return w;
}

TimePrediction TimeModel::predict(const Shape& s) const {
  if (!(s.m >= 1 && s.n >= 1)) throw InvalidInput("advise: m and n must be >= 1");
  TimePrediction p;
  // Below the measured range (in m, n or batch) the fixed costs fitted to larger problems are
  // not to be trusted: the time is bracketed instead, between the time at the smallest measured
  // size (time grows with the problem) and that time scaled down by the work, as if nothing were
  // fixed. The prediction is the bracket's geometric middle.
  Shape up = s;
  bool below = false;
  if (s.m < lo_[0]) up.m = lo_[0], below = true;
  if (s.n < lo_[1]) up.n = lo_[1], below = true;
  if (std::max(1.0, s.batch) < lo_[2]) up.batch = lo_[2], below = true;
  bool exact = false;
  double upper = predict_with(full_, up, &exact);
  double lower = upper;
  if (below) {
    exact = false;
    const double wq = work(s), wu = work(up);
    const double ratio = wq > 0 && wu > 0 ? wq / wu
                                          : (s.m * s.n * std::max(1.0, s.batch)) /
                                                (up.m * up.n * std::max(1.0, up.batch));
    lower = upper * std::min(1.0, ratio);
    p.time_s = std::sqrt(upper * lower);
  } else {
    p.time_s = upper;
  }
  p.measured = exact;
  // The range: each dimension against the measured box.
  static const char* names[kDims] = {"m", "n", "batch", "iterations"};
  const double v[kDims] = {s.m, s.n, std::max(1.0, s.batch), std::max(1.0, s.iterations)};
  for (int d = 0; d < kDims; ++d) {
    const double f = v[d] < lo_[d] ? lo_[d] / v[d] : v[d] > hi_[d] ? v[d] / hi_[d] : 1.0;
    if (f <= 1.0 + 1e-12) continue;
    if (!p.range_note.empty()) p.range_note += ", ";
    p.range_note += std::string(names[d]) + " = " + num(v[d]) + " outside the measured " +
                    num(lo_[d]) + ".." + num(hi_[d]);
    if (d == 3) {
      p.iterations_extrapolated = true;  // linear in the iterations by construction: predicted
    } else {
      p.extrapolated = true;
      p.beyond = std::max(p.beyond, f);
    }
  }
  // Inside the box but far from every measurement (the box of scattered shapes is generous):
  // extrapolated too, and said so.
  if (!exact && !p.extrapolated) {
    double x[kDims], best = 1e300;
    coords(s, x);
    const Measurement* nearest = nullptr;
    for (const Measurement* q : points_) {
      double y[kDims];
      coords(shape_of(*q), y);
      double d2 = 0;
      for (int d = 0; d < 3; ++d) d2 += (x[d] - y[d]) * (x[d] - y[d]);  // not the iterations
      if (d2 < best) best = d2, nearest = q;
    }
    if (std::sqrt(best) > kFarOctaves) {
      p.extrapolated = true;
      p.range_note = (p.range_note.empty() ? "" : p.range_note + ", ") +
                     "no measurement within a factor " + num(std::exp2(kFarOctaves)) +
                     " (nearest: " + num(nearest->m) + "x" + num(nearest->n) +
                     (nearest->batch > 0 ? " batch " + num(nearest->batch) : "") + ")";
    }
  }
  double half = q90_;
  if (exact) {
    // A measured workload: its own repetitions' spread.
    const Measurement* hit = nullptr;
    for (const Measurement* q : points_) {
      const Shape qs = shape_of(*q);
      if (qs.m == s.m && qs.n == s.n && std::max(1.0, qs.batch) == std::max(1.0, s.batch) &&
          std::max(1.0, qs.iterations) == std::max(1.0, s.iterations)) {
        hit = q;
      }
    }
    const double spread = hit != nullptr && std::isfinite(hit->spread) ? hit->spread : 0.0;
    half = std::log1p(std::min(0.5, std::max(spread, 0.01)));
  } else if (p.extrapolated) {
    half *= 2;  // not calibrated out there: wider, and said so
  }
  p.lo = lower * std::exp(-half);
  p.hi = upper * std::exp(half);
  // The measurements it rests on: the nearest three.
  double x[kDims];
  coords(s, x);
  std::vector<std::pair<double, const Measurement*>> near;
  for (const Measurement* q : points_) {
    double y[kDims];
    coords(shape_of(*q), y);
    double d2 = 0;
    for (int d = 0; d < kDims; ++d) d2 += (x[d] - y[d]) * (x[d] - y[d]);
    near.emplace_back(d2, q);
  }
  std::stable_sort(near.begin(), near.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (size_t i = 0; i < near.size() && i < 3; ++i) p.basis.push_back(near[i].second);
  return p;
}

}  // namespace lsgd::advise
