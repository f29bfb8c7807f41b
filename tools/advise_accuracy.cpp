#include "tools/advise_accuracy.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "tools/advise_format.hpp"

namespace lsgd::advise {
namespace {

// Unit roundoff u = eps / 2 of the working precision.
double unit_roundoff(const std::string& precision) {
  return precision == "f32" ? 5.9604644775390625e-8 : 1.1102230246251565e-16;
}

// Linear interpolation of y over sorted x (clamped to the ends).
double interp(const std::vector<std::pair<double, double>>& xy, double x) {
  if (x <= xy.front().first) return xy.front().second;
  if (x >= xy.back().first) return xy.back().second;
  for (size_t i = 1; i < xy.size(); ++i) {
    if (x <= xy[i].first) {
      const double t = (x - xy[i - 1].first) / (xy[i].first - xy[i - 1].first);
      return xy[i - 1].second + t * (xy[i].second - xy[i - 1].second);
    }
  }
  return xy.back().second;
}

}  // namespace

double max_digits(const std::string& precision) { return -std::log10(unit_roundoff(precision)); }

double bound_digits(const std::string& precision, double kappa_a, bool kappa_squared) {
  const double k = std::max(1.0, kappa_a);
  const double err = (kappa_squared ? k * k : k) * unit_roundoff(precision);
  return std::clamp(-std::log10(err), 0.0, max_digits(precision));
}

DigitsModel::DigitsModel(std::vector<const Measurement*> acc, std::string precision,
                         bool kappa_squared)
    : precision_(std::move(precision)), kappa_squared_(kappa_squared) {
  for (const Measurement* r : acc) {
    const double ka = r->kappa_a();
    if (!(ka > 0)) continue;
    if (r->failed) {
      if (refused_at_ == 0 || ka < refused_at_) {
        refused_at_ = ka;
        refused_why_ = r->error;
      }
    } else if (std::isfinite(r->digits)) {
      ok_.emplace_back(std::log10(ka), r->digits);
    }
  }
  std::sort(ok_.begin(), ok_.end());
}

DigitsEstimate DigitsModel::at(double kappa_a) const {
  DigitsEstimate e;
  const double lk = std::log10(std::max(1.0, kappa_a));
  const double slope = kappa_squared_ ? 2.0 : 1.0;
  const std::string growth = kappa_squared_ ? "kappa^2 eps" : "kappa eps";
  if (refused_at_ > 0 && kappa_a >= refused_at_) {
    e.refused = true;
    e.measured = true;
    e.basis = "refused at kappa(A) = " + format_kappa(refused_at_) + " in the acc run";
    return e;
  }
  if (ok_.empty()) {
    e.digits = bound_digits(precision_, kappa_a, kappa_squared_);
    e.basis = "bound " + growth + " (no acc measurement)";
    return e;
  }
  e.measured = true;
  if (lk <= ok_.front().first) {
    e.digits = ok_.front().second;
    e.basis = "acc: " + format_digits(e.digits) +
              " at kappa(A) = " + format_kappa(std::pow(10.0, ok_.front().first)) +
              " (the lowest measured; at least this)";
  } else if (lk <= ok_.back().first) {
    e.digits = interp(ok_, lk);
    e.basis =
        "acc: interpolated between kappa(A) = " + format_kappa(std::pow(10.0, ok_.front().first)) +
        " and " + format_kappa(std::pow(10.0, ok_.back().first));
  } else {
    e.digits = std::clamp(ok_.back().second - slope * (lk - ok_.back().first), 0.0,
                          max_digits(precision_));
    e.extrapolated = true;
    e.basis = "acc up to kappa(A) = " + format_kappa(std::pow(10.0, ok_.back().first)) + ", then " +
              growth + " (extrapolated)";
    if (refused_at_ > 0) e.basis += "; refused at " + format_kappa(refused_at_);
  }
  return e;
}

IterationModel::IterationModel(std::vector<const Measurement*> tta, std::string precision)
    : precision_(std::move(precision)) {
  std::map<double, std::vector<std::pair<double, double>>> by_kappa;  // kappa -> (D, k)
  for (const Measurement* r : tta) {
    if (!(r->kappa > 0) || !(r->target > 0) || r->target >= 1) continue;
    const double d = -std::log10(r->target);
    if (r->failed || !(r->iterations > 0)) {
      unreached_.emplace_back(r->kappa, d);
    } else {
      by_kappa[r->kappa].emplace_back(d, r->iterations);
      reached_.emplace_back(r->kappa, d);
      max_measured_digits_ = std::max(max_measured_digits_, d);
    }
  }
  for (auto& [kh, pts] : by_kappa) {
    std::sort(pts.begin(), pts.end());
    Rate rt{std::log10(kh), 0, 0};
    const auto& lo = pts.front();
    const auto& hi = pts.back();
    double r = 0;
    if (pts.size() >= 2 && hi.first > lo.first) r = (hi.second - lo.second) / (hi.first - lo.first);
    if (r > 0) {
      rt.k0 = lo.second - r * lo.first;
    } else {
      r = hi.second / hi.first;  // one target (or a flat pair): proportional to the digits
      rt.k0 = 0;
    }
    rt.log_r = std::log10(r);
    rates_.push_back(rt);
  }
}

void IterationModel::rate_at(double kh, double* k0, double* r, bool* extrapolated) const {
  const double lk = std::log10(std::max(1.0, kh));
  const Rate& first = rates_.front();
  const Rate& last = rates_.back();
  *extrapolated = false;
  if (lk <= first.log_kappa) {
    // Below the lowest measured kappa: its rate (more iterations than needed, not fewer).
    *r = std::pow(10.0, first.log_r);
    *k0 = first.k0;
    return;
  }
  if (lk >= last.log_kappa) {
    // The last measured slope of log r against log kappa, held within [1/2, 1]; plain GD's 1
    // with a single measured kappa.
    double slope = 1.0;
    if (rates_.size() >= 2) {
      const Rate& a = rates_[rates_.size() - 2];
      slope = std::clamp((last.log_r - a.log_r) / (last.log_kappa - a.log_kappa), 0.5, 1.0);
    }
    *extrapolated = lk > last.log_kappa + 1e-12;
    *r = std::pow(10.0, last.log_r + slope * (lk - last.log_kappa));
    *k0 = last.k0 * *r / std::pow(10.0, last.log_r);
    return;
  }
  for (size_t i = 1; i < rates_.size(); ++i) {
    if (lk <= rates_[i].log_kappa) {
      const Rate& a = rates_[i - 1];
      const Rate& b = rates_[i];
      const double t = (lk - a.log_kappa) / (b.log_kappa - a.log_kappa);
      *r = std::pow(10.0, a.log_r + t * (b.log_r - a.log_r));
      *k0 = a.k0 + t * (b.k0 - a.k0);
      return;
    }
  }
}

double IterationModel::floor_digits(double kappa_a) const {
  return bound_digits(precision_, kappa_a, true);
}

IterationEstimate IterationModel::iterations_for(double kappa_a, double digits) const {
  IterationEstimate e;
  const double kh = std::max(1.0, kappa_a) * std::max(1.0, kappa_a);
  for (const auto& [k, d] : unreached_) {
    if (kh >= k * (1 - 1e-9) && digits >= d - 1e-9) {
      e.unreachable = true;
      e.measured = true;
      e.basis = "tta: a target of " + format_kappa(std::pow(10.0, -d)) +
                " not reached at kappa(A^T A) = " + format_kappa(k);
      return e;
    }
  }
  const double floor = floor_digits(kappa_a);
  // A measured success at this kappa or a worse one, to as many digits or more, overrides the
  // bound.
  bool reached = false;
  for (const auto& [k, d] : reached_) reached = reached || (k >= kh * (1 - 1e-9) && d >= digits);
  if (digits > floor && !reached) {
    e.unreachable = true;
    e.basis = "beyond the kappa^2 eps floor (" + format_digits(floor) +
              " digits at kappa(A) = " + format_kappa(kappa_a) + ")";
    return e;
  }
  if (rates_.empty()) {
    // Plain gradient descent with step 1/L: the error shrinks at least by (1 - 1/kappa) per step
    // in the A^T A norm; kappa(A) converts it to the 2-norm.
    e.iterations = std::ceil(kh * std::log(10.0) * (digits + std::log10(std::max(1.0, kappa_a))));
    e.basis = "bound (1 - 1/kappa)^k of plain GD (no tta measurement)";
    return e;
  }
  double k0 = 0, r = 0;
  bool extra = false;
  rate_at(kh, &k0, &r, &extra);
  // The iterations to reach the goal, rounded up (less 1e-9: the targets' digits are -log10 of
  // 1e-3 and 1e-6 in binary, a hair below 3 and 6).
  e.iterations = std::max(1.0, std::ceil(k0 + r * digits - 1e-9));
  e.measured = true;
  e.extrapolated = extra || digits > max_measured_digits_ + 1e-9;
  e.basis =
      std::string("tta: ") + (extra ? "extrapolated beyond" : "within") +
      " the measured kappa(A^T A) = " + format_kappa(std::pow(10.0, rates_.front().log_kappa)) +
      ".." + format_kappa(std::pow(10.0, rates_.back().log_kappa)) +
      (digits > max_measured_digits_ + 1e-9 ? ", beyond the measured digits" : "");
  return e;
}

DigitsEstimate IterationModel::digits_after(double kappa_a, double iterations) const {
  DigitsEstimate e;
  const double kh = std::max(1.0, kappa_a) * std::max(1.0, kappa_a);
  const double floor = floor_digits(kappa_a);
  double d = 0;
  if (rates_.empty()) {
    d = iterations / (kh * std::log(10.0)) - std::log10(std::max(1.0, kappa_a));
    e.basis = "bound (1 - 1/kappa)^k of plain GD (no tta measurement)";
  } else {
    double k0 = 0, r = 0;
    bool extra = false;
    rate_at(kh, &k0, &r, &extra);
    d = (iterations - k0) / r;
    e.measured = true;
    e.extrapolated = extra || d > max_measured_digits_ + 1e-9;
    e.basis = std::string("tta") + (e.extrapolated ? " (extrapolated)" : "");
  }
  for (const auto& [k, dd] : unreached_) {
    if (kh >= k * (1 - 1e-9) && d >= dd) {
      d = std::min(d, dd);  // measured not to get there
      e.basis += "; a target of " + format_kappa(std::pow(10.0, -dd)) +
                 " not reached at kappa(A^T A) = " + format_kappa(k);
    }
  }
  // The floor, unless a measurement at this kappa or a worse one got further.
  double reached = 0;
  for (const auto& [k, dd] : reached_)
    reached = k >= kh * (1 - 1e-9) ? std::max(reached, dd) : reached;
  if (d > std::max(floor, reached)) {
    d = std::max(floor, reached);
    e.basis += "; capped by the kappa^2 eps floor";
  }
  e.digits = std::max(0.0, d);
  return e;
}

}  // namespace lsgd::advise
