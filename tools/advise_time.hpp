#pragma once
// Time of one solver on one device, in one precision, for one family of benchmarks (ls: direct,
// gd: iterative, bls / bgd: batched), fitted to its measurements (docs/advise.md, "The time
// model").
//
// Trend: a fixed cost plus flops / achieved rate plus bytes / achieved bandwidth, the bandwidth
// piecewise by where A's bytes fit (L2, last-level cache, memory: a base cost per byte and what
// each level beyond the L2 adds to it, none negative), plus per-problem and
// per-iteration costs for batched and iterative families; coefficients >= 0 by nonnegative least
// squares on relative errors. The flops and bytes are the registry's models (model_flops, bytes_ls,
// 4mn and mn per GD iteration), the same the benchmarks report.
// Correction: the trend's log-residuals at the measured points, interpolated by inverse squared
// distance in (log m, log n, log batch, log iterations): a measured workload is predicted as
// measured, and the trend is corrected by its nearest measurements elsewhere.
// Interval: the 90% quantile of the leave-one-out errors of the solver's own measurements.
// Below the measured sizes: bracketed between the time at the smallest measured size and that time
// scaled by the work (predict()); above them and between, the trend with its correction.
#include <string>
#include <vector>

#include "tools/advise_table.hpp"

namespace lsgd::advise {

// What a model is asked: sizes, problems per batch (0 = a single problem), GD iterations (0 for a
// direct solver).
struct Shape {
  double m = 0, n = 0, batch = 0, iterations = 0;
};

struct TimePrediction {
  double time_s = 0, lo = 0, hi = 0;      // prediction and its interval (seconds)
  bool measured = false;                  // this very workload was measured: time_s is its mean
  bool extrapolated = false;              // outside the measured range in m, n or batch
  bool iterations_extrapolated = false;   // outside the measured iteration counts (cost is linear)
  double beyond = 1.0;                    // largest factor beyond the measured range (1 inside)
  std::string range_note;                 // what is outside, e.g. "m = 4e+06 > measured 1048576"
  std::vector<const Measurement*> basis;  // the nearest measurements, nearest first (up to 3)
};

class TimeModel {
 public:
  // `points`: non-failed rows of one solver / device / precision / family (at least one), each with
  // time_s > 0. `l2`, `l3`: cache bytes of the device (0 when unknown: one bandwidth).
  TimeModel(std::vector<const Measurement*> points, double l2, double l3);

  TimePrediction predict(const Shape& s) const;
  // The parametric trend alone (no correction from the measurements), seconds.
  double trend(const Shape& s) const;
  // ln of the interval's half-width factor (leave-one-out, 90%), and the errors behind it.
  double interval_log() const { return q90_; }
  const std::vector<double>& loo_errors() const { return loo_; }
  const std::vector<const Measurement*>& points() const { return points_; }
  const std::string& family() const { return family_; }
  const std::string& precision() const { return precision_; }

 private:
  struct Fit {
    std::vector<double> coef;
    std::vector<double> pos;       // coordinates of the points used, 4 per point
    std::vector<double> log_res;   // ln(measured / trend) at those points
    std::vector<double> log_time;  // ln(measured)
  };
  std::vector<double> features(const Shape& s) const;
  int level(const Shape& s) const;
  double work(const Shape& s) const;  // the trend's size-dependent part
  size_t fixed_features() const;      // features that do not grow with the problem (first ones)
  Fit fit(const std::vector<size_t>& use) const;
  double predict_with(const Fit& f, const Shape& s, bool* exact) const;

  std::vector<const Measurement*> points_;
  std::string family_, precision_, flop_model_;
  double l2_ = 0, l3_ = 0;
  Fit full_;
  double q90_ = 0;
  std::vector<double> loo_;
  double lo_[4] = {0, 0, 0, 0}, hi_[4] = {0, 0, 0, 0};  // measured box of (m, n, batch, iters)
};

Shape shape_of(const Measurement& mt);

}  // namespace lsgd::advise
