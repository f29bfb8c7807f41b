#include "tools/advise.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

#include "lsgd/error.hpp"
#include "lsgd/registry.hpp"

namespace lsgd::advise {
namespace {

bool is_time_family(const std::string& f) {
  return f == "ls" || f == "bls" || f == "gd" || f == "bgd";
}

// Readers treat a GPU entry without a mode as resident (docs/benchmarks.md); CPU entries have none.
std::string mode_of(const Measurement& r) {
  if (r.device != "gpu") return "";
  return r.mode == "e2e" ? "e2e" : "resident";
}

std::string g3(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

std::string kind_words(const Query& q) {
  std::string s = q.batch > 0 ? "batched " : "single-problem ";
  s += q.precision;
  s += q.iterations > 0 ? " iterative" : "";
  return s;
}

}  // namespace

Advisor::Advisor(std::vector<Table> tables) : tables_(std::move(tables)) {
  for (size_t t = 0; t < tables_.size(); ++t) {
    for (const Measurement& r : tables_[t].rows) {
      if (!is_time_family(r.family) || r.failed || r.busy || !(r.time_s > 0)) continue;
      groups_[{t, r.device, r.solver, r.precision, r.family, mode_of(r)}].points.push_back(&r);
    }
  }
}

const TimeModel& Advisor::model_of(const Group& g, size_t table, const std::string& device) const {
  if (!g.model) {
    const auto it = tables_[table].cache.find(device);
    double l2 = 0, l3 = 0;
    if (it != tables_[table].cache.end()) {
      if (it->second.count("l2")) l2 = it->second.at("l2");
      if (it->second.count("l3")) l3 = it->second.at("l3");
    }
    g.model = std::make_unique<TimeModel>(g.points, l2, l3);
  }
  return *g.model;
}

DigitsEstimate Advisor::direct_digits(size_t table, const std::string& device,
                                      const std::string& solver, const std::string& precision,
                                      double kappa_a) const {
  std::vector<const Measurement*> acc;
  for (const Measurement& r : tables_[table].rows) {
    if (r.family == "acc" && r.device == device && r.solver == solver && r.precision == precision) {
      acc.push_back(&r);
    }
  }
  const SolverEntry* e = default_registry().find(solver);
  // Unknown to this build: the worse of the two growths.
  const bool squared = e == nullptr || e->kappa_squared();
  return DigitsModel(acc, precision, squared).at(kappa_a);
}

const IterationModel& Advisor::iteration_model(size_t table, const std::string& device,
                                               const std::string& solver,
                                               const std::string& precision) const {
  auto& slot = iteration_models_[{table, device, solver, precision}];
  if (!slot) {
    std::vector<const Measurement*> tta;
    for (const Measurement& r : tables_[table].rows) {
      if (r.family == "tta" && r.device == device && r.solver == solver &&
          r.precision == precision) {
        tta.push_back(&r);
      }
    }
    slot = std::make_unique<IterationModel>(tta, precision);
  }
  return *slot;
}

Candidate Advisor::evaluate(const GroupKey& key, const Group& g, const Query& q) const {
  const auto& [table, device, solver, precision, family, mode] = key;
  Candidate c;
  c.solver = solver;
  c.device = device;
  c.source = tables_[table].source;
  c.device_label = tables_[table].label(device);
  c.iterative = family == "gd" || family == "bgd";
  const SolverEntry* entry = default_registry().find(solver);
  if (entry != nullptr && entry->max_n > 0 && q.n > static_cast<double>(entry->max_n)) {
    c.reject = Candidate::Reject::unsupported;
    c.why_not = "declines n > " + std::to_string(entry->max_n);
    return c;
  }
  if (q.m < q.n) {
    const bool measured = std::any_of(g.points.begin(), g.points.end(),
                                      [](const Measurement* p) { return p->m < p->n; });
    if (!measured) {
      c.reject = Candidate::Reject::unsupported;
      c.why_not =
          std::string(entry != nullptr && !entry->allows_underdetermined ? "does not solve"
                                                                         : "never measured on") +
          " underdetermined problems (m < n)";
      return c;
    }
  }
  // Accuracy first: it decides the iterations an iterative solver is timed at.
  if (c.iterative) {
    const IterationModel& im = iteration_model(table, device, solver, precision);
    if (q.iterations > 0) {
      c.iterations = q.iterations;
      c.digits = im.digits_after(q.kappa, q.iterations);
    } else {
      c.iteration_basis = im.iterations_for(q.kappa, q.digits);
      if (c.iteration_basis.unreachable) {
        c.reject = Candidate::Reject::accuracy;
        c.why_not = g3(q.digits) + " digits unreachable at kappa(A) = " + format_kappa(q.kappa) +
                    " (" + c.iteration_basis.basis + ")";
        return c;
      }
      c.iterations = c.iteration_basis.iterations;
      c.digits.digits = q.digits;
      c.digits.measured = c.iteration_basis.measured;
      c.digits.extrapolated = c.iteration_basis.extrapolated;
      c.digits.basis =
          format_count(c.iterations) + " iterations for the goal (" + c.iteration_basis.basis + ")";
    }
  } else {
    c.digits = direct_digits(table, device, solver, precision, q.kappa);
  }
  const TimeModel& model = model_of(g, table, device);
  c.time = model.predict({q.m, q.n, q.batch, c.iterations});
  if (c.digits.refused) {
    c.reject = Candidate::Reject::accuracy;
    c.why_not = c.digits.basis;
  } else if (c.digits.digits + 1e-9 < q.digits) {
    c.reject = Candidate::Reject::accuracy;
    c.why_not =
        g3(c.digits.digits) + " digits < goal " + g3(q.digits) + " (" + c.digits.basis + ")";
  } else if (c.time.extrapolated && c.time.beyond > q.max_beyond) {
    c.reject = Candidate::Reject::range;
    c.why_not = "outside the measured range (" + c.time.range_note + ")";
  }
  return c;
}

Advice Advisor::advise(const Query& q) const {
  if (!(q.m >= 1) || !(q.n >= 1)) throw InvalidInput("advise: m and n must be >= 1");
  if (q.precision != "f32" && q.precision != "f64") {
    throw InvalidInput("advise: precision '" + q.precision + "' (f32 or f64)");
  }
  if (!(q.digits > 0)) throw InvalidInput("advise: the digits goal must be > 0");
  if (!(q.kappa >= 1)) throw InvalidInput("advise: kappa(A) must be >= 1");
  const double most = max_digits(q.precision);
  if (q.digits > most) {
    throw InvalidInput("advise: " + g3(q.digits) + " digits are more than " + q.precision +
                       " holds (" + g3(most) + ")" +
                       (q.precision == "f32" ? "; ask for --precision f64" : ""));
  }
  std::set<std::string> families;
  if (q.batch > 0) {
    families =
        q.iterations > 0 ? std::set<std::string>{"bgd"} : std::set<std::string>{"bls", "bgd"};
  } else {
    families = q.iterations > 0 ? std::set<std::string>{"gd"} : std::set<std::string>{"ls", "gd"};
  }
  Advice a;
  a.query = q;
  std::set<std::string> devices_seen;
  for (const auto& [key, g] : groups_) {
    const auto& [table, device, solver, precision, family, mode] = key;
    if (precision != q.precision || families.count(family) == 0) continue;
    if (device == "gpu" && mode != q.mode) continue;
    devices_seen.insert(device);
    Candidate c = evaluate(key, g, q);
    (c.reject == Candidate::Reject::none ? a.ranked : a.rejected).push_back(std::move(c));
  }
  std::string sources;
  for (const Table& t : tables_) sources += (sources.empty() ? "" : ", ") + t.source;
  for (const char* dev : {"cpu", "gpu"}) {
    if (devices_seen.count(dev) == 0) {
      a.no_data.push_back(std::string(dev) + ": no measurements of " + kind_words(q) + " problems" +
                          (std::string(dev) == "gpu" ? " (mode " + q.mode + ")" : "") + " in " +
                          sources);
    }
  }
  if (a.ranked.empty() && a.rejected.empty()) {
    throw InvalidInput("advise: no data: no measurements of " + kind_words(q) + " problems in " +
                       sources);
  }
  std::stable_sort(a.ranked.begin(), a.ranked.end(), [](const Candidate& x, const Candidate& y) {
    return x.time.time_s < y.time.time_s;
  });
  // Rejected before any time was predicted (time 0) last.
  std::stable_sort(a.rejected.begin(), a.rejected.end(),
                   [](const Candidate& x, const Candidate& y) {
                     const double tx = x.time.time_s > 0 ? x.time.time_s : 1e300;
                     const double ty = y.time.time_s > 0 ? y.time.time_s : 1e300;
                     return tx < ty;
                   });
  if (a.ranked.empty()) {
    // Nothing to advise: say why, by the reason that rejected the most promising candidates.
    int range = 0, accuracy = 0;
    const Candidate* best = nullptr;  // the most digits among those rejected for accuracy
    for (const Candidate& c : a.rejected) {
      range += c.reject == Candidate::Reject::range ? 1 : 0;
      if (c.reject == Candidate::Reject::accuracy) {
        ++accuracy;
        if (!c.digits.refused && (best == nullptr || c.digits.digits > best->digits.digits)) {
          best = &c;
        }
      }
    }
    // Range first: a candidate rejected for its range met the goal (accuracy is decided first).
    if (range > 0) {
      const Candidate* c = nullptr;
      for (const Candidate& r : a.rejected) {
        if (r.reject == Candidate::Reject::range && c == nullptr) c = &r;
      }
      throw InvalidInput(
          "advise: out of range: " + c->time.range_note + " for " + c->solver +
          (range > 1 ? ", and " + std::to_string(range - 1) + " more solvers" : "") +
          " (--extrapolate F predicts up to F times beyond the measured sizes)" +
          (accuracy > 0 ? "; " + std::to_string(accuracy) + " others do not reach the goal" : ""));
    }
    if (accuracy > 0) {
      std::string msg = "advise: goal unreachable: no solver reaches " + g3(q.digits) +
                        " digits at kappa(A) = " + format_kappa(q.kappa) + " in " + q.precision;
      if (best != nullptr) {
        msg += " (the most: " + best->solver + ", " + g3(best->digits.digits) + " digits)";
      }
      if (q.precision == "f32") msg += "; try --precision f64";
      throw InvalidInput(msg);
    }
    throw InvalidInput("advise: no measured solver takes this problem: " +
                       a.rejected.front().solver + " " + a.rejected.front().why_not);
  }
  return a;
}

CheckReport Advisor::check(const Table& other, double digits_f64, double digits_f32) const {
  CheckReport rep;
  // Workload -> (predicted, measured) times of the solvers meeting the goal by measurement.
  using Workload =
      std::tuple<std::string, std::string, double, double, double, double, std::string>;
  // Per solver: predicted seconds, measured seconds, "device solver", extrapolated. Workloads as
  // tools/lsgd_results.py keys them: a CPU solver and a resident GPU solver time the same thing,
  // end to end is another workload.
  std::map<Workload, std::vector<std::tuple<double, double, std::string, bool>>> by_workload;
  for (const Measurement& r : other.rows) {
    if (!is_time_family(r.family) || r.failed || r.busy || !(r.time_s > 0)) continue;
    // The model of the same solver, device, precision, family and mode; of the table whose device
    // has the same name when there are several.
    const Group* g = nullptr;
    size_t gt = 0;
    for (size_t t = 0; t < tables_.size(); ++t) {
      const auto it = groups_.find({t, r.device, r.solver, r.precision, r.family, mode_of(r)});
      if (it == groups_.end()) continue;
      const bool same_name =
          tables_[t].device_label.count(r.device) && other.device_label.count(r.device) &&
          tables_[t].device_label.at(r.device) == other.device_label.at(r.device);
      if (g == nullptr || same_name) {
        g = &it->second;
        gt = t;
      }
    }
    if (g == nullptr) {
      ++rep.unmatched;
      continue;
    }
    CheckRow row;
    row.measured = r;
    row.predicted = model_of(*g, gt, r.device).predict(shape_of(r));
    row.predicted.basis.clear();
    row.rel_err = std::abs(row.predicted.time_s - r.time_s) / r.time_s;
    rep.rows.push_back(row);
    const double goal = r.precision == "f32" ? digits_f32 : digits_f64;
    if (std::isfinite(r.rel_err) && r.rel_err <= std::pow(10.0, -goal)) {
      by_workload[{r.family, r.precision, r.batch, r.m, r.n, r.iterations,
                   r.mode == "e2e" ? "e2e" : ""}]
          .emplace_back(row.predicted.time_s, r.time_s, r.device + " " + r.solver,
                        row.predicted.extrapolated);
    }
  }
  for (const auto& [w, list] : by_workload) {
    if (list.size() < 2) continue;
    ++rep.workloads;
    const auto pred = std::min_element(list.begin(), list.end(), [](const auto& a, const auto& b) {
      return std::get<0>(a) < std::get<0>(b);
    });
    const auto meas = std::min_element(list.begin(), list.end(), [](const auto& a, const auto& b) {
      return std::get<1>(a) < std::get<1>(b);
    });
    const bool in_range =
        std::none_of(list.begin(), list.end(), [](const auto& e) { return std::get<3>(e); });
    rep.workloads_in_range += in_range ? 1 : 0;
    if (std::get<1>(*pred) <= 1.05 * std::get<1>(*meas)) ++rep.advised_within_5pct;
    if (pred == meas) {
      ++rep.advised_fastest;
      rep.advised_fastest_in_range += in_range ? 1 : 0;
    } else {
      const auto& [fam, prec, batch, m, n, iters, mode] = w;
      std::string label = fam + "/" + prec + (batch > 0 ? "/batch:" + format_count(batch) : "") +
                          "/m:" + format_count(m) + "/n:" + format_count(n) +
                          (iters > 0 ? "/iters:" + format_count(iters) : "");
      rep.misses.push_back(label + ": advised " + std::get<2>(*pred) + " (" +
                           format_seconds(std::get<1>(*pred)) + " measured), fastest " +
                           std::get<2>(*meas) + " (" + format_seconds(std::get<1>(*meas)) + ", " +
                           g3(std::get<1>(*pred) / std::get<1>(*meas)) + "x faster)");
    }
  }
  return rep;
}

Table every_other_size(const Table& t, int keep) {
  Table out = t;
  out.rows.clear();
  std::map<std::tuple<std::string, std::string, std::string, std::string, std::string>,
           std::vector<const Measurement*>>
      groups;
  for (const Measurement& r : t.rows) {
    // acc and tta rows, and rows no model is fitted to, stay in both halves.
    if (!is_time_family(r.family) || r.failed || r.busy || !(r.time_s > 0)) {
      out.rows.push_back(r);
      continue;
    }
    groups[{r.device, r.solver, r.precision, r.family, mode_of(r)}].push_back(&r);
  }
  for (auto& [key, rows] : groups) {
    // The sizes (n, m, batch) of the group in order, alternating; a size's iteration counts stay
    // together (held out or fitted as one).
    std::set<std::tuple<double, double, double>> sizes;
    for (const Measurement* r : rows) sizes.insert({r->n, r->m, r->batch});
    std::map<std::tuple<double, double, double>, int> parity;
    int i = 0;
    for (const auto& sz : sizes) parity[sz] = i++ % 2;
    for (const Measurement* r : rows) {
      if (parity[{r->n, r->m, r->batch}] == keep) out.rows.push_back(*r);
    }
  }
  return out;
}

}  // namespace lsgd::advise
