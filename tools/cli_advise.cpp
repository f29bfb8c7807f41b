// `lsgd advise`: for an m x n problem (or a batch of them), the solvers that reach a digits goal at
// a condition number, ranked by the time predicted from measured results, with an interval, the
// device, and the measurements the prediction rests on (docs/advise.md). Also --check (the model
// against measurements it was not fitted on) and --map (the grid tools/crossover.py draws).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>

#include "lsgd/error.hpp"
#include "lsgd/io.hpp"
#include "lsgd/metrics.hpp"
#include "tools/advise.hpp"
#include "tools/cli_advise_report.hpp"
#include "tools/cli_args.hpp"
#include "tools/cli_commands.hpp"
#include "common/text_format.hpp"
#include "tools/cli_solve_options.hpp"

namespace lsgd::cli {
namespace {

using advise::Advisor;
using advise::Query;

const char* kSummary =
    "usage: lsgd advise --m M --n N [--batch B] [--precision f32|f64] [--kappa K | --input FILE]\n"
    "                   [--digits D] [--iterations K] [--results DIR]... [--json]\n"
    "       lsgd advise --check DIR [--holdout] [--results DIR]... [--json]\n"
    "       lsgd advise --map single|batched [--precision P] [--digits D] [--kappa K] ...\n\n"
    "Which solver, on which device, for this problem: the solvers that reach D digits at\n"
    "kappa(A) = K, ranked by the time predicted from measured results (results/<device>-<date>/\n"
    "advise_table.tsv, written by tools/advise_table.py), with a 90% interval, the device and the\n"
    "measurements the prediction rests on. A device without measurements is 'no data', never a\n"
    "guess; a prediction outside the measured range is marked. --input reads the data (as lsgd\n"
    "solve does) for m, n and kappa(A). --check DIR predicts the measurements of DIR with the "
    "model\n"
    "fitted on --results (with --holdout: fitted on every other size of DIR, checked on the rest)\n"
    "and prints the error per solver. --map prints the grid of fastest solvers that\n"
    "tools/crossover.py draws. Details: docs/advise.md.";

std::vector<OptionSpec> advise_options() {
  std::vector<OptionSpec> o = {
      {"m", "M", "rows of A"},
      {"n", "N", "columns of A"},
      {"batch", "B", "B problems of m x n (batched solvers); default: one problem"},
      {"precision", "P", "f32 or f64 (default f64)"},
      {"kappa", "K", "condition number of A (default 100, assumed and said so)"},
      {"input", "FILE",
       "the data (.csv/.txt/.tsv/.mtx, as lsgd solve reads it): m, n and kappa(A) from it"},
  };
  // --input is read as lsgd solve reads it: the same CSV / Matrix Market options.
  for (const OptionSpec& s : solve_options()) {
    for (const char* csv : {"target", "intercept", "header", "no-header", "delimiter", "b"}) {
      if (s.name == csv) o.push_back(s);
    }
  }
  const std::vector<OptionSpec> rest = {
      {"digits", "D", "goal: digits correct (default 6 in f64, 3 in f32)"},
      {"iterations", "K", "rank iterative solvers at exactly K iterations (digits predicted)"},
      {"mode", "M", "GPU solvers: end-to-end (data in host memory; default) or resident"},
      {"results", "DIR",
       "a results directory with advise_table.tsv (repeatable; default: every committed one)", true},
      {"extrapolate", "F", "predict up to F times beyond a solver's measured sizes (default 4)"},
      {"json", "", "print one JSON object"},
      {"check", "DIR", "validate the model on the measurements of DIR"},
      {"holdout", "", "with --check: fit on every other size of DIR, check on the others"},
      {"map", "KIND", "single ((m, n) plane) or batched ((batch, n) plane): the grid as TSV"},
      {"grid", "N", "with --map: points per axis (default 25)"},
  };
  o.insert(o.end(), rest.begin(), rest.end());
  return o;
}

double default_digits(const std::string& precision) { return precision == "f32" ? 3.0 : 6.0; }

struct Loaded {
  std::vector<advise::Table> tables;
  std::string note;
};

Loaded load_results(const Args& args) {
  Loaded l;
  std::vector<std::string> dirs = args.all("results");
  bool defaulted = false;
  if (dirs.empty()) {
    dirs = advise::default_results_dirs();
    defaulted = true;
    if (dirs.empty()) {
      throw InvalidInput(
          "advise: no results directory with an advise_table.tsv was found next to this binary "
          "or its source tree; give --results DIR (tools/advise_table.py DIR writes the table)");
    }
  }
  std::set<std::string> seen;
  for (const std::string& d : dirs) {
    advise::Table t = advise::read_table(d);
    if (!seen.insert(t.source).second) {
      throw UsageError("advise: --results names the run '" + t.source + "' twice");
    }
    l.note += (l.note.empty() ? "" : ", ") + t.source;
    l.tables.push_back(std::move(t));
  }
  if (defaulted) {
    l.note += " (default: the committed results in " +
              std::filesystem::path(dirs.front()).parent_path().string() +
              "; --results DIR to choose)";
  }
  return l;
}

std::string ratio_text(double x) { return fmt("%.6g", x); }

// Sizes that must be whole and positive, given as numbers (1e6 is accepted).
double size_option(const Args& args, const char* name, double def) {
  const double v = args.number(name, def, 1.0);
  if (v != std::floor(v) || v > 1e15) {
    throw UsageError(std::string("advise: --") + name + ": expected a whole number, got '" +
                     args.str(name) + "'");
  }
  return v;
}

Query query_from(const Args& args) {
  Query q;
  q.precision = args.choice("precision", "f64", {"f32", "f64"});
  q.mode = args.choice("mode", "end-to-end", {"end-to-end", "resident"}) == "resident" ? "resident"
                                                                                       : "e2e";
  q.digits = args.number("digits", default_digits(q.precision), 0.0, true);
  q.iterations = args.has("iterations") ? size_option(args, "iterations", 0) : 0;
  q.batch = args.has("batch") ? size_option(args, "batch", 0) : 0;
  q.max_beyond = args.number("extrapolate", 4.0, 1.0);
  if (args.has("input")) {
    for (const char* clash : {"m", "n", "kappa"}) {
      if (args.has(clash)) {
        throw UsageError(std::string("advise: --input gives m, n and kappa(A); drop --") + clash);
      }
    }
    const auto t0 = std::chrono::steady_clock::now();
    const Problem<double> p =
        read_problem(args.str("input"), csv_options(args, "advise"), args.str("b"));
    q.m = static_cast<double>(p.m);
    q.n = static_cast<double>(p.n);
    q.kappa = condition_number(p);
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!std::isfinite(q.kappa)) {
      throw NumericalError("advise: " + args.str("input") +
                           ": A is singular (a zero singular value): no solver of full-rank "
                           "least squares applies; see cpu.cod / cpu.svd in lsgd solve");
    }
    q.kappa_source = "kappa_2 of " + args.str("input") + " by SVD, " + advise::format_seconds(secs);
  } else {
    if (!args.has("m") || !args.has("n")) {
      throw UsageError("advise: give --m and --n (or --input FILE)");
    }
    q.m = size_option(args, "m", 0);
    q.n = size_option(args, "n", 0);
    q.kappa = args.number("kappa", 100.0, 1.0);
    q.kappa_source = args.has("kappa") ? "--kappa" : "assumed: give --kappa or --input";
  }
  return q;
}

int run_check(const Args& args) {
  const std::string dir = args.str("check");
  const advise::Table other = advise::read_table(dir);
  const double d64 = args.number("digits", 6.0, 0.0, true);
  const double d32 = args.has("digits") ? d64 : 3.0;
  std::string fitted_on, checked_on;
  advise::CheckReport rep;
  if (args.flag("holdout")) {
    if (args.has("results"))
      throw UsageError("advise: --holdout fits on DIR itself; drop --results");
    const Advisor adv({advise::every_other_size(other, 0)});
    rep = adv.check(advise::every_other_size(other, 1), d64, d32);
    fitted_on = other.source + " (every other size: the 1st, 3rd, ... of each solver)";
    checked_on = other.source + " (the sizes held out: 2nd, 4th, ...)";
  } else {
    const Loaded l = load_results(args);
    for (const advise::Table& t : l.tables) {
      if (t.source == other.source) {
        throw UsageError("advise: --check " + dir +
                         " is also in --results: check on a run the "
                         "model was not fitted on, or use --holdout");
      }
    }
    const Advisor adv(l.tables);
    rep = adv.check(other, d64, d32);
    fitted_on = l.note;
    checked_on = other.source;
  }
  if (rep.rows.empty()) {
    throw InvalidInput("advise: no data: no measurement of " + other.source +
                       " matches a solver, device and precision of the fitted results");
  }
  const std::string out = args.flag("json") ? check_json(rep, fitted_on, checked_on, d64, d32)
                                            : check_text(rep, fitted_on, checked_on, d64, d32);
  std::fputs(out.c_str(), stdout);
  return 0;
}

// The measured box of the map's axes over every solver of the family kind and precision.
struct Axis {
  double lo = 1e300, hi = 0;
};

std::vector<double> log_grid(const Axis& a, int points) {
  std::vector<double> v;
  if (!(a.hi >= a.lo)) return v;
  const double l0 = std::log2(a.lo), l1 = std::log2(a.hi);
  for (int i = 0; i < points; ++i) {
    const double t = points == 1 ? 0.0 : static_cast<double>(i) / (points - 1);
    v.push_back(std::round(std::exp2(l0 + t * (l1 - l0))));
  }
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

int run_map(const Args& args) {
  const std::string kind = args.choice("map", "single", {"single", "batched"});
  const Loaded l = load_results(args);
  const Advisor adv(l.tables);
  Query base;
  base.precision = args.choice("precision", "f64", {"f32", "f64"});
  base.mode = args.choice("mode", "end-to-end", {"end-to-end", "resident"}) == "resident"
                  ? "resident"
                  : "e2e";
  base.digits = args.number("digits", default_digits(base.precision), 0.0, true);
  base.kappa = args.number("kappa", 100.0, 1.0);
  base.kappa_source = args.has("kappa") ? "--kappa" : "assumed";
  base.max_beyond = args.number("extrapolate", 1.0, 1.0);
  const int points = static_cast<int>(args.integer("grid", 25, 2, 200));
  const bool batched = kind == "batched";
  Axis ax, ay;
  std::map<double, std::map<double, int>> shapes;  // batched: n -> m -> entries measured
  for (const advise::Table& t : l.tables) {
    for (const advise::Measurement& r : t.rows) {
      if (r.failed || r.busy || r.precision != base.precision) continue;
      const bool fam = batched ? (r.family == "bls" || r.family == "bgd")
                               : (r.family == "ls" || r.family == "gd");
      if (!fam) continue;
      const double x = batched ? r.batch : r.m;
      ax.lo = std::min(ax.lo, x);
      ax.hi = std::max(ax.hi, x);
      ay.lo = std::min(ay.lo, r.n);
      ay.hi = std::max(ay.hi, r.n);
      if (batched) ++shapes[r.n][r.m];
    }
  }
  // batched: the m measured most often with each n (the shapes of the batched benchmarks).
  std::map<double, double> m_of_n;
  for (const auto& [n, ms] : shapes) {
    m_of_n[n] = std::max_element(ms.begin(), ms.end(), [](const auto& a, const auto& b) {
                  return a.second < b.second;
                })->first;
  }
  if (ax.hi == 0) {
    throw InvalidInput(std::string("advise: no data: no measurements of ") +
                       (batched ? "batched " : "single-problem ") + base.precision +
                       " problems in " + l.note);
  }
  std::string out = "#@\tmap\t" + kind + "\t" + base.precision + "\tdigits\t" +
                    ratio_text(base.digits) + "\tkappa\t" + ratio_text(base.kappa) + "\tmode\t" +
                    base.mode + "\n";
  out += "#@\tresults\t" + l.note + "\n";
  for (size_t t = 0; t < l.tables.size(); ++t) {
    for (const auto& [dev, label] : l.tables[t].device_label) {
      out += "#@\tdevice\t" + l.tables[t].source + ":" + dev + "\t" + label + "\n";
    }
  }
  out += "x\ty\tm\tn\tbatch\tdevice\tsolver\ttime_s\textrapolated\trunner_up\trunner_time_s\twhy\n";
  for (const double y : log_grid(ay, points)) {
    double m = 0;
    if (batched) {
      // m follows the measured shapes: log-linear in n between them, clamped at the ends.
      auto hi = m_of_n.lower_bound(y);
      if (hi == m_of_n.end()) {
        m = std::prev(hi)->second;
      } else if (hi == m_of_n.begin() || hi->first == y) {
        m = hi->second;
      } else {
        const auto lo = std::prev(hi);
        const double t = std::log(y / lo->first) / std::log(hi->first / lo->first);
        m = std::round(std::exp(std::log(lo->second) + t * std::log(hi->second / lo->second)));
      }
    }
    for (const double x : log_grid(ax, points)) {
      Query q = base;
      q.n = y;
      q.m = batched ? m : x;
      q.batch = batched ? x : 0;
      if (q.m < q.n) continue;
      std::map<std::string, std::vector<const advise::Candidate*>> by_device;
      advise::Advice a;
      std::string why;
      try {
        a = adv.advise(q);
      } catch (const Error& e) {
        why = one_line(e.what());
      }
      for (const advise::Candidate& c : a.ranked) {
        by_device[c.source + ":" + c.device].push_back(&c);
      }
      const std::string prefix = fmt("%.17g", x) + "\t" + fmt("%.17g", y) + "\t" +
                                 fmt("%.17g", q.m) + "\t" + fmt("%.17g", q.n) + "\t" +
                                 fmt("%.17g", q.batch) + "\t";
      if (by_device.empty()) {
        out += prefix + "\t\t\t\t\t\t" + (why.empty() ? "no solver meets the goal" : why) + "\n";
        continue;
      }
      for (const auto& [dev, list] : by_device) {
        const advise::Candidate& b = *list[0];
        const bool extra =
            b.time.extrapolated || b.time.iterations_extrapolated || b.digits.extrapolated;
        out += prefix + dev + "\t" + b.solver + "\t" + fmt("%.6g", b.time.time_s) + "\t" +
               (extra ? "1" : "0") + "\t" + (list.size() > 1 ? list[1]->solver : "") + "\t" +
               (list.size() > 1 ? fmt("%.6g", list[1]->time.time_s) : "") + "\t\n";
      }
    }
  }
  std::fputs(out.c_str(), stdout);
  return 0;
}

}  // namespace

int run_advise(const std::vector<std::string>& argv) {
  Args args("advise", kSummary, advise_options());
  if (!args.parse(argv)) {
    std::fputs(args.usage().c_str(), stdout);
    return 0;
  }
  if (args.has("check") && args.has("map")) {
    throw UsageError("advise: --check and --map are two different commands; give one");
  }
  if (args.has("check")) return run_check(args);
  if (args.flag("holdout")) throw UsageError("advise: --holdout goes with --check DIR");
  if (args.has("map")) return run_map(args);
  if (args.has("kappa") && args.has("input")) {
    throw UsageError("advise: --kappa and --input both give kappa(A); give one");
  }
  const Query q = query_from(args);
  const Loaded l = load_results(args);
  const Advisor adv(l.tables);
  const advise::Advice a = adv.advise(q);
  const std::string out =
      args.flag("json") ? advice_json(a, adv, l.note) : advice_text(a, adv, l.note);
  std::fputs(out.c_str(), stdout);
  return 0;
}

}  // namespace lsgd::cli
