#include "tools/cli_advise_report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "common/text_format.hpp"

namespace lsgd::cli {
namespace {

using advise::Advice;
using advise::Advisor;
using advise::Candidate;
using advise::format_count;
using advise::format_seconds;
using advise::Measurement;

std::string g3(double v) { return fmt("%.3g", v); }

// "[1] cpu": the device, with the number of its results directory when there are several.
std::string device_tag(const Candidate& c, const Advisor& adv) {
  for (size_t t = 0; t < adv.tables().size(); ++t) {
    if (adv.tables()[t].source == c.source) {
      return adv.tables().size() > 1 ? "[" + std::to_string(t + 1) + "] " + c.device : c.device;
    }
  }
  return c.device;
}

std::string interval(const advise::TimePrediction& p) {
  return format_seconds(p.lo) + " .. " + format_seconds(p.hi);
}

std::string rests_on(const Candidate& c) {
  std::string s;
  if (c.iterative) {
    s = format_count(c.iterations) + " iterations";
    if (!c.iteration_basis.basis.empty()) s += " (" + c.iteration_basis.basis + ")";
    s += "; ";
  }
  if (c.time.measured && !c.time.basis.empty()) {
    const Measurement& b = *c.time.basis[0];
    return s + "measured: " + shape_label(b) + " " + format_seconds(b.time_s) +
           (b.reps > 0 ? " (" + g3(b.reps) + " reps)" : "");
  }
  s += "near:";
  for (size_t i = 0; i < c.time.basis.size() && i < 2; ++i) {
    s += std::string(i ? "," : "") + " " + shape_label(*c.time.basis[i]) + " " +
         format_seconds(c.time.basis[i]->time_s);
  }
  return s;
}

std::string candidate_json(const Candidate& c, int rank) {
  std::string basis = "[";
  for (size_t i = 0; i < c.time.basis.size(); ++i) {
    const Measurement& b = *c.time.basis[i];
    basis += std::string(i ? "," : "") + "{\"m\":" + json_number(b.m) +
             ",\"n\":" + json_number(b.n) +
             ",\"batch\":" + (b.batch > 0 ? json_number(b.batch) : "null") +
             ",\"iterations\":" + (b.iterations > 0 ? json_number(b.iterations) : "null") +
             ",\"time_s\":" + json_number(b.time_s) + ",\"reps\":" + json_number(b.reps) +
             ",\"file\":" + json_string(b.file) + "}";
  }
  basis += "]";
  std::string out = "{";
  if (rank > 0) out += "\"rank\":" + std::to_string(rank) + ",";
  out += "\"solver\":" + json_string(c.solver) + ",\"device\":" + json_string(c.device) +
         ",\"device_label\":" + json_string(c.device_label) +
         ",\"source\":" + json_string(c.source) + ",\"time_s\":" + json_number(c.time.time_s) +
         ",\"interval_s\":[" + json_number(c.time.lo) + "," + json_number(c.time.hi) +
         "],\"measured\":" + json_bool(c.time.measured) +
         ",\"extrapolated\":" + json_bool(c.time.extrapolated) +
         ",\"iterations_extrapolated\":" + json_bool(c.time.iterations_extrapolated) +
         ",\"range_note\":" + json_string(c.time.range_note) +
         ",\"digits\":" + json_number(c.digits.digits, "%.4g") +
         ",\"digits_measured\":" + json_bool(c.digits.measured) +
         ",\"digits_extrapolated\":" + json_bool(c.digits.extrapolated) +
         ",\"digits_basis\":" + json_string(c.digits.basis) +
         ",\"iterations\":" + (c.iterative ? json_number(c.iterations) : "null") +
         ",\"basis\":" + basis;
  if (rank <= 0) out += ",\"why_not\":" + json_string(c.why_not);
  return out + "}";
}

std::string query_line(const advise::Query& q) {
  std::string s = "m = " + format_count(q.m) + ", n = " + format_count(q.n);
  if (q.batch > 0) s += ", batch = " + format_count(q.batch);
  s += ", " + q.precision;
  if (q.iterations > 0) s += ", " + format_count(q.iterations) + " iterations";
  s += "; kappa(A) = " + advise::format_kappa(q.kappa) + " (" + q.kappa_source + "); goal " +
       g3(q.digits) + " digits";
  return s;
}

}  // namespace

std::string shape_label(const Measurement& m) {
  std::string s =
      m.batch > 0 ? format_count(m.batch) + "x(" + format_count(m.m) + "x" + format_count(m.n) + ")"
                  : format_count(m.m) + "x" + format_count(m.n);
  if (m.iterations > 0 && (m.family == "gd" || m.family == "bgd")) {
    s += " i" + format_count(m.iterations);
  }
  return s;
}

std::string advice_text(const Advice& a, const Advisor& adv, const std::string& sources_note) {
  std::string out = "lsgd advise: " + query_line(a.query) + "\n";
  out += "results: " + sources_note + "\n";
  for (size_t t = 0; t < adv.tables().size(); ++t) {
    for (const auto& [dev, label] : adv.tables()[t].device_label) {
      out += (adv.tables().size() > 1 ? "  [" + std::to_string(t + 1) + "] " : "  ") + dev + " = " +
             label + " [" + adv.tables()[t].source + "]\n";
    }
  }
  out += "\n";
  size_t w = 6;
  for (const Candidate& c : a.ranked) w = std::max(w, c.solver.size());
  char line[512];
  std::snprintf(line, sizeof line, "%-4s  %s  %-8s  %-10s  %-24s  %-6s  %s\n", "rank",
                pad("solver", w).c_str(), "device", "time", "interval (90%)", "digits", "rests on");
  out += line;
  bool any_star = false;
  for (size_t i = 0; i < a.ranked.size(); ++i) {
    const Candidate& c = a.ranked[i];
    const bool star =
        c.time.extrapolated || c.digits.extrapolated || c.time.iterations_extrapolated;
    any_star = any_star || star;
    std::snprintf(line, sizeof line, "%-4s  %s  %-8s  %-10s  %-24s  %-6s  %s\n",
                  (std::to_string(i + 1) + (star ? "*" : "")).c_str(), pad(c.solver, w).c_str(),
                  device_tag(c, adv).c_str(), format_seconds(c.time.time_s).c_str(),
                  interval(c.time).c_str(), fmt("%.1f", c.digits.digits).c_str(),
                  one_line(rests_on(c)).c_str());
    out += line;
  }
  if (any_star) {
    out += "* extrapolated:";
    for (size_t i = 0; i < a.ranked.size(); ++i) {
      const Candidate& c = a.ranked[i];
      std::string what;
      if (!c.time.range_note.empty()) what = c.time.range_note;
      if (c.time.extrapolated) what += " (interval doubled)";
      if (c.digits.extrapolated) what += std::string(what.empty() ? "" : "; ") + c.digits.basis;
      if (!what.empty()) out += "\n  " + std::to_string(i + 1) + " " + c.solver + ": " + what;
    }
    out += "\n";
  }
  out += "digits: " + std::string(a.ranked.empty() ? "" : a.ranked[0].solver + ": ") +
         (a.ranked.empty() ? "" : a.ranked[0].digits.basis) + "\n";
  if (!a.rejected.empty()) {
    out += "\nnot advised:\n";
    size_t wr = 6;
    for (const Candidate& c : a.rejected) wr = std::max(wr, c.solver.size());
    for (const Candidate& c : a.rejected) {
      out += "  " + pad(c.solver, wr) + "  " + pad(device_tag(c, adv), 8) + "  " +
             one_line(c.why_not) + "\n";
    }
  }
  for (const std::string& s : a.no_data) out += "no data: " + s + "\n";
  return out;
}

std::string advice_json(const Advice& a, const Advisor& adv, const std::string& sources_note) {
  const advise::Query& q = a.query;
  std::string out = "{\"query\":{\"m\":" + json_number(q.m) + ",\"n\":" + json_number(q.n) +
                    ",\"batch\":" + (q.batch > 0 ? json_number(q.batch) : "null") +
                    ",\"precision\":" + json_string(q.precision) +
                    ",\"kappa\":" + json_number(q.kappa, "%.6g") +
                    ",\"kappa_source\":" + json_string(q.kappa_source) +
                    ",\"digits\":" + json_number(q.digits, "%.6g") +
                    ",\"iterations\":" + (q.iterations > 0 ? json_number(q.iterations) : "null") +
                    ",\"mode\":" + json_string(q.mode) + "},\"results\":[";
  for (size_t t = 0; t < adv.tables().size(); ++t) {
    const advise::Table& tb = adv.tables()[t];
    std::string devs = "{";
    bool first = true;
    for (const auto& [dev, label] : tb.device_label) {
      devs += std::string(first ? "" : ",") + json_string(dev) + ":" + json_string(label);
      first = false;
    }
    out += std::string(t ? "," : "") + "{\"source\":" + json_string(tb.source) +
           ",\"table\":" + json_string(tb.path) + ",\"git\":" + json_string(tb.git) +
           ",\"date\":" + json_string(tb.date) + ",\"devices\":" + devs + "}}";
  }
  out += "],\"results_note\":" + json_string(sources_note) + ",\"ranked\":[";
  for (size_t i = 0; i < a.ranked.size(); ++i) {
    out += (i ? "," : "") + candidate_json(a.ranked[i], static_cast<int>(i) + 1);
  }
  out += "],\"not_advised\":[";
  for (size_t i = 0; i < a.rejected.size(); ++i) {
    out += (i ? "," : "") + candidate_json(a.rejected[i], 0);
  }
  return out + "],\"no_data\":" + json_strings(a.no_data) + "}\n";
}

namespace {

struct SolverErrors {
  std::vector<double> err;
  int inside = 0, extrapolated = 0;
};

double median_of(std::vector<double> v) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  const size_t h = v.size() / 2;
  return v.size() % 2 ? v[h] : 0.5 * (v[h - 1] + v[h]);
}

double p90_of(std::vector<double> v) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(std::ceil(0.9 * v.size())) - 1)];
}

std::map<std::string, SolverErrors> per_solver(const advise::CheckReport& r) {
  std::map<std::string, SolverErrors> by;
  for (const advise::CheckRow& row : r.rows) {
    const Measurement& m = row.measured;
    SolverErrors& s = by[m.device + " " + m.solver + " " + m.precision + " " + m.family];
    s.err.push_back(row.rel_err);
    s.inside += (m.time_s >= row.predicted.lo && m.time_s <= row.predicted.hi) ? 1 : 0;
    s.extrapolated += row.predicted.extrapolated ? 1 : 0;
  }
  return by;
}

// Every row's error; only the extrapolated ones (1) or only those inside the range (0).
std::vector<double> all_errors(const advise::CheckReport& r, int extrapolated = -1) {
  std::vector<double> v;
  for (const advise::CheckRow& row : r.rows) {
    if (extrapolated < 0 || row.predicted.extrapolated == (extrapolated == 1)) {
      v.push_back(row.rel_err);
    }
  }
  return v;
}

}  // namespace

std::string check_text(const advise::CheckReport& r, const std::string& fitted_on,
                       const std::string& checked_on, double digits_f64, double digits_f32) {
  std::string out = "lsgd advise --check: the model fitted on " + fitted_on +
                    "\n  predicts the time measurements of " + checked_on + "\n\n";
  char line[256];
  std::snprintf(line, sizeof line, "%-36s %5s %12s %10s %16s %13s\n",
                "device solver precision family", "n", "median |err|", "p90 |err|",
                "within interval", "extrapolated");
  out += line;
  int inside = 0;
  for (const auto& [key, s] : per_solver(r)) {
    inside += s.inside;
    std::snprintf(line, sizeof line, "%-36s %5zu %11.1f%% %9.1f%% %15.0f%% %13d\n", key.c_str(),
                  s.err.size(), 100 * median_of(s.err), 100 * p90_of(s.err),
                  100.0 * s.inside / static_cast<double>(s.err.size()), s.extrapolated);
    out += line;
  }
  const std::vector<double> all = all_errors(r);
  std::snprintf(line, sizeof line, "%-36s %5zu %11.1f%% %9.1f%% %15.0f%%\n", "all", all.size(),
                100 * median_of(all), 100 * p90_of(all),
                all.empty() ? 0.0 : 100.0 * inside / static_cast<double>(all.size()));
  out += line;
  const std::vector<double> in = all_errors(r, false), ex = all_errors(r, true);
  std::snprintf(line, sizeof line, "%-36s %5zu %11.1f%% %9.1f%%\n", "  inside the measured range",
                in.size(), 100 * median_of(in), 100 * p90_of(in));
  out += line;
  std::snprintf(line, sizeof line, "%-36s %5zu %11.1f%% %9.1f%%\n", "  extrapolated (m, n, batch)",
                ex.size(), 100 * median_of(ex), 100 * p90_of(ex));
  out += line;
  if (r.unmatched > 0) {
    out += std::to_string(r.unmatched) +
           " measurements had no model (solver, device or family not in the fit)\n";
  }
  const auto pct = [](int a, int b) { return b > 0 ? fmt(" (%.0f%%)", 100.0 * a / b) : ""; };
  out +=
      "\nranking, among the solvers whose measured rel_err meets the goal (f64: " + g3(digits_f64) +
      " digits, f32: " + g3(digits_f32) + "):\n  the advised (predicted " +
      "fastest) solver is the measured fastest in " + std::to_string(r.advised_fastest) + " of " +
      std::to_string(r.workloads) + " workloads" + pct(r.advised_fastest, r.workloads) +
      ", within 5% of it in " + std::to_string(r.advised_within_5pct) +
      pct(r.advised_within_5pct, r.workloads) +
      ";\n  inside the measured range: " + std::to_string(r.advised_fastest_in_range) + " of " +
      std::to_string(r.workloads_in_range) + pct(r.advised_fastest_in_range, r.workloads_in_range) +
      "\n";
  for (const std::string& m : r.misses) out += "  miss: " + m + "\n";
  return out;
}

std::string check_json(const advise::CheckReport& r, const std::string& fitted_on,
                       const std::string& checked_on, double digits_f64, double digits_f32) {
  std::string out = "{\"fitted_on\":" + json_string(fitted_on) +
                    ",\"checked_on\":" + json_string(checked_on) + ",\"solvers\":[";
  bool first = true;
  int inside = 0;
  for (const auto& [key, s] : per_solver(r)) {
    inside += s.inside;
    out += std::string(first ? "" : ",") + "{\"key\":" + json_string(key) +
           ",\"n\":" + std::to_string(s.err.size()) +
           ",\"median_rel_err\":" + json_number(median_of(s.err), "%.4g") +
           ",\"p90_rel_err\":" + json_number(p90_of(s.err), "%.4g") +
           ",\"within_interval\":" + std::to_string(s.inside) +
           ",\"extrapolated\":" + std::to_string(s.extrapolated) + "}";
    first = false;
  }
  const std::vector<double> all = all_errors(r);
  out += "],\"n\":" + std::to_string(all.size()) +
         ",\"median_rel_err\":" + json_number(median_of(all), "%.4g") +
         ",\"median_rel_err_in_range\":" + json_number(median_of(all_errors(r, 0)), "%.4g") +
         ",\"median_rel_err_extrapolated\":" + json_number(median_of(all_errors(r, 1)), "%.4g") +
         ",\"p90_rel_err\":" + json_number(p90_of(all), "%.4g") +
         ",\"within_interval\":" + std::to_string(inside) +
         ",\"unmatched\":" + std::to_string(r.unmatched) +
         ",\"ranking\":{\"digits_f64\":" + json_number(digits_f64, "%.4g") +
         ",\"digits_f32\":" + json_number(digits_f32, "%.4g") +
         ",\"workloads\":" + std::to_string(r.workloads) +
         ",\"advised_fastest\":" + std::to_string(r.advised_fastest) +
         ",\"advised_within_5pct\":" + std::to_string(r.advised_within_5pct) +
         ",\"workloads_in_range\":" + std::to_string(r.workloads_in_range) +
         ",\"advised_fastest_in_range\":" + std::to_string(r.advised_fastest_in_range) +
         ",\"misses\":" + json_strings(r.misses) + "},\"rows\":[";
  for (size_t i = 0; i < r.rows.size(); ++i) {
    const advise::CheckRow& row = r.rows[i];
    const Measurement& m = row.measured;
    out += std::string(i ? "," : "") + "{\"solver\":" + json_string(m.solver) +
           ",\"device\":" + json_string(m.device) + ",\"family\":" + json_string(m.family) +
           ",\"precision\":" + json_string(m.precision) + ",\"m\":" + json_number(m.m) +
           ",\"n\":" + json_number(m.n) +
           ",\"batch\":" + (m.batch > 0 ? json_number(m.batch) : "null") +
           ",\"iterations\":" + (m.iterations > 0 ? json_number(m.iterations) : "null") +
           ",\"measured_s\":" + json_number(m.time_s) +
           ",\"predicted_s\":" + json_number(row.predicted.time_s) + ",\"interval_s\":[" +
           json_number(row.predicted.lo) + "," + json_number(row.predicted.hi) +
           "],\"rel_err\":" + json_number(row.rel_err, "%.4g") +
           ",\"extrapolated\":" + json_bool(row.predicted.extrapolated) + "}";
  }
  return out + "]}\n";
}

}  // namespace lsgd::cli
