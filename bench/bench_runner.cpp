#include "bench/bench_runner.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "bench/algorithms.hpp"
#include "bench/bench_config.hpp"
#include "bench/case_list.hpp"
#include "bench/cases.hpp"
#include "bench/ceilings.hpp"
#include "lsgd/cpu_info.hpp"
#include "bench/context.hpp"
#include "bench/entry_fields.hpp"
#include "bench/json_reporter.hpp"
#include "bench/presets.hpp"
#include "bench/problems.hpp"
#include "lsgd/device.hpp"
#include "lsgd/metrics.hpp"
#include "lsgd/registry.hpp"

namespace lsgd::bench {

const char* to_string(Family f) {
  switch (f) {
    case Family::ls: return "ls";
    case Family::bls: return "bls";
    case Family::gd: return "gd";
    case Family::bgd: return "bgd";
    case Family::tta: return "tta";
    case Family::acc: return "acc";
  }
  return "?";
}

namespace {

// What registration left out, reported on stderr and in the context.
struct Notes {
  std::map<std::string, std::set<std::string>> unavailable;  // reason -> solvers
  int registered = 0;
  int capped_time = 0;
  int capped_memory = 0;
  int capped_max_n = 0;
  int capped_other = 0;
  CaseList list;
};

bool family_takes(Family f, Kind k) {
  switch (f) {
    case Family::ls: return k == Kind::direct;
    case Family::bls: return k == Kind::batched_direct;
    case Family::gd: return k == Kind::iterative;
    case Family::bgd: return k == Kind::batched_iterative;
    case Family::tta:
    case Family::acc: return k == Kind::direct || k == Kind::iterative;
  }
  return false;
}

// Registry entries of the family that pass the solver filter and support precision p; unavailable
// ones are noted, not registered (the JSON holds only what really ran or failed while running).
std::vector<const SolverEntry*> candidates(Family f, Precision p, const Config& config,
                                           Notes& notes) {
  std::vector<const SolverEntry*> out;
  const std::regex filter(config.filter_solver.empty() ? std::string(".") : config.filter_solver);
  for (const SolverEntry& e : default_registry().entries()) {
    if (!family_takes(f, e.kind) || !e.supports(p)) continue;
    if (!config.filter_solver.empty() && !std::regex_search(e.name, filter)) continue;
    if (!e.available()) {
      notes.unavailable[e.unavailable_reason.empty() ? "unavailable" : e.unavailable_reason]
          .insert(e.name);
      continue;
    }
    out.push_back(&e);
  }
  return out;
}

double host_memory_bytes() {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page > 0 ? static_cast<double>(pages) * static_cast<double>(page) : 8e9;
}

std::string kappa_text(double k) {
  std::ostringstream os;
  os << static_cast<long long>(std::llround(k));
  return os.str();
}

std::string target_text(double t) {
  std::ostringstream os;
  os << "1e-" << static_cast<int>(std::lround(-std::log10(t)));
  return os.str();
}

std::string make_name(const Case& c) {
  std::ostringstream os;
  os << to_string(c.family) << '/' << c.entry->name << '/' << to_string(c.precision) << '/';
  if (c.spec.batch > 0) os << "batch:" << c.spec.batch << '/';
  os << "m:" << c.spec.m << "/n:" << c.spec.n;
  if (c.family == Family::gd || c.family == Family::bgd) os << "/iters:" << c.iters;
  if (c.family == Family::tta) {
    os << "/kappa:" << kappa_text(c.kappa_H) << "/target:" << target_text(c.target);
  } else if (c.family == Family::acc) {
    os << "/kappa_A:1e" << std::lround(std::log10(c.spec.kappa_A));
  } else if (c.gpu) {
    os << "/mode:" << (c.mode == GpuMode::resident ? "resident" : "e2e");
  }
  return os.str();
}

EntryFields fields_of(const Case& c) {
  EntryFields f;
  f.family = to_string(c.family);
  f.solver = c.entry->name;
  f.backend = to_string(c.entry->backend);
  f.device = c.gpu ? "gpu" : "cpu";
  f.precision = to_string(c.precision);
  f.m = c.spec.m;
  f.n = c.spec.n;
  f.batch = c.spec.batch;
  if (c.family == Family::gd || c.family == Family::bgd) f.iterations = c.iters;
  if (c.gpu) f.mode = c.mode == GpuMode::resident ? "resident" : "e2e";
  if (c.family == Family::tta) {
    f.kappa = c.kappa_H;
    f.target = c.target;
  }
  if (c.family == Family::acc) {
    f.kappa = c.spec.kappa_A * c.spec.kappa_A;  // kappa(A^T A), as for tta
    f.noise = c.spec.noise;
  }
  f.gen = to_string(c.spec.gen);
  f.seed = static_cast<long long>(kProblemSeed);
  f.algorithm = algorithm_of(*c.entry);
  for (const char* peer : algorithm_info(f.algorithm).pairs_with) f.pairs_with.emplace_back(peer);
  f.problem = problem_id(c.spec, c.precision);
  f.flop_model = flop_model(*c.entry);
  const bool bandwidth_bound = c.entry->is_iterative();
  f.peak_kind = std::string(c.gpu ? "gpu_" : "cpu_") +
                (bandwidth_bound ? "copy" : (c.precision == Precision::f64 ? "gemm_f64" : "gemm_f32"));
  return f;
}

class Registrar {
 public:
  Registrar(const RunEnv& env, Notes& notes) : env_(env), notes_(notes) {}

  // Registers c once per GPU mode (resident, e2e) or once for CPU solvers, unless a cap applies;
  // a case left out is recorded with its reason (register_skip). With --lsgd_problem only the
  // cases of that problem are looked at.
  void add(Case c, bool cap_by_time = true) {
    const SolverEntry& e = *c.entry;
    c.gpu = e.backend == Backend::cuda;
    if (!env_.config.problem.empty() && problem_id(c.spec, c.precision) != env_.config.problem) {
      return;
    }
    notes_.list.add_problem(c.spec, c.precision);
    if (e.max_n > 0 && c.spec.n > e.max_n) {
      ++notes_.capped_max_n;
      skip(c, "n = " + std::to_string(c.spec.n) + " above the solver's max_n = " +
                  std::to_string(e.max_n));
      return;
    }
    if (c.spec.m < c.spec.n && !e.allows_underdetermined) {
      ++notes_.capped_other;
      skip(c, "m < n: the solver needs m >= n");
      return;
    }
    const double eb = c.precision == Precision::f32 ? 4.0 : 8.0;
    // Generation works in double, and the solver may hold a copy.
    if (3.0 * problem_bytes(c.spec, 8.0) > 0.5 * host_memory_bytes()) {
      ++notes_.capped_memory;
      skip(c, "3 x the problem in double (" + gb(3.0 * problem_bytes(c.spec, 8.0)) +
                  ") above half of host memory (" + gb(0.5 * host_memory_bytes()) + ")");
      return;
    }
    if (c.gpu && 2.5 * problem_bytes(c.spec, eb) > device_info().memory_gib * 1073741824.0) {
      ++notes_.capped_memory;
      skip(c, "2.5 x the problem (" + gb(2.5 * problem_bytes(c.spec, eb)) +
                  ") above device memory");
      return;
    }
    const bool with_modes = c.gpu && c.family != Family::tta && c.family != Family::acc;
    for (GpuMode mode : {GpuMode::resident, GpuMode::end_to_end}) {
      if (!with_modes && mode == GpuMode::end_to_end) break;
      c.mode = mode;
      const double estimate = estimate_seconds(c, env_.ceilings);
      if (cap_by_time && estimate > env_.config.cap_seconds(c.gpu)) {
        ++notes_.capped_time;
        std::ostringstream why;
        why.precision(3);
        why << "estimated " << estimate << " s per solve, above the preset's cap of "
            << env_.config.cap_seconds(c.gpu) << " s (--lsgd_max_seconds)";
        skip(c, why.str());
        continue;
      }
      c.name = make_name(c);
      const EntryFields fields = fields_of(c);
      register_fields(c.name, fields);
      notes_.list.registered.push_back({c.name, fields});
      ++notes_.registered;
      if (!env_.config.list_cases.empty() || !env_.config.write_problem.empty()) continue;
      const RunEnv* env = &env_;
      benchmark::internal::Benchmark* b = benchmark::RegisterBenchmark(
          c.name.c_str(), [c, env](benchmark::State& st) { run_case(st, c, *env); });
      // One Google Benchmark iteration that repeats the solve itself until its median is known
      // (the rule of bench_config.hpp, cases.cpp): the reported time is the median per solve.
      b->UseManualTime()->Iterations(1)->Unit(benchmark::kMillisecond);
    }
  }

  // A case not registered, with why (recorded in the case list and the JSON's lsgd_skipped).
  void skip(Case c, const std::string& reason) {
    c.gpu = c.entry->backend == Backend::cuda;
    if (!env_.config.problem.empty() && problem_id(c.spec, c.precision) != env_.config.problem) {
      return;
    }
    notes_.list.add_problem(c.spec, c.precision);
    c.name = make_name(c);
    register_skip(c.name, fields_of(c), reason);
  }

 private:
  static std::string gb(double bytes) {
    std::ostringstream os;
    os.precision(3);
    os << bytes / 1e9 << " GB";
    return os.str();
  }

  const RunEnv& env_;
  Notes& notes_;
};

template <typename T>
void register_precision(Family f, const RunEnv& env, Notes& notes) {
  const Precision p = precision_of<T>();
  const Preset preset = env.config.preset;
  const std::vector<const SolverEntry*> solvers = candidates(f, p, env.config, notes);
  Registrar reg(env, notes);
  Case c;
  c.family = f;
  c.precision = p;
  switch (f) {
    case Family::ls:
      for (const LsShape& s : ls_shapes(preset)) {
        c.spec = ProblemSpec{0, s.m, s.n, Gen::shifted_gaussian, 1.0};
        for (const SolverEntry* e : solvers) {
          c.entry = e;
          reg.add(c);
        }
      }
      break;
    case Family::bls:
      for (const BatchShape& s : bls_shapes(preset)) {
        c.spec = ProblemSpec{s.batch, s.m, s.n, Gen::shifted_gaussian, 1.0};
        for (const SolverEntry* e : solvers) {
          c.entry = e;
          reg.add(c);
        }
      }
      break;
    case Family::gd:
    case Family::bgd:
      for (const GdShape& s : f == Family::gd ? gd_shapes(preset) : bgd_shapes(preset)) {
        c.spec = ProblemSpec{s.batch, s.m, s.n, Gen::shifted_gaussian, 1.0};
        c.iters = s.iters;
        for (const SolverEntry* e : solvers) {
          c.entry = e;
          reg.add(c);
        }
      }
      break;
    case Family::tta:
      c.max_iters = tta_max_iters(preset);
      for (const TtaShape& s : tta_shapes(preset)) {
        for (double kappa : tta_kappas(preset)) {
          c.spec = ProblemSpec{0, s.m, s.n, Gen::conditioned, std::sqrt(kappa)};
          c.kappa_H = kappa;
          for (const SolverEntry* e : solvers) {
            c.entry = e;
            if (s.gpu_only && e->backend != Backend::cuda) {
              ++notes.capped_time;
              for (double target : tta_targets()) {
                c.target = target;
                reg.skip(c, "GPU solvers only at this shape (the CPU's iteration search is too "
                            "slow)");
              }
              continue;
            }
            for (double target : tta_targets()) {
              c.target = target;
              reg.add(c, /*cap_by_time=*/false);
            }
          }
        }
      }
      break;
    case Family::acc:
      // kappa(A) eps(T) >= 1 is beyond what the data of precision T can carry: not registered.
      for (const AccShape& s : acc_shapes(preset)) {
        for (double kappa : acc_kappas(preset)) {
          c.spec = ProblemSpec{0, s.m, s.n, Gen::conditioned, kappa, acc_noise()};
          if (kappa * eps<T>() >= 1.0) {
            for (const SolverEntry* e : solvers) {
              c.entry = e;
              ++notes.capped_other;
              reg.skip(c, "kappa(A) eps >= 1: beyond what data of this precision carry");
            }
            continue;
          }
          for (const SolverEntry* e : solvers) {
            c.entry = e;
            c.iters = e->is_iterative() ? acc_max_iters(preset) : 0;
            reg.add(c);
          }
        }
      }
      break;
  }
}

std::string describe_unavailable(const Notes& notes) {
  std::ostringstream os;
  bool first_reason = true;
  for (const auto& [reason, names] : notes.unavailable) {
    if (!first_reason) os << "; ";
    first_reason = false;
    bool first = true;
    for (const auto& n : names) {
      os << (first ? "" : ", ") << n;
      first = false;
    }
    os << ": " << reason;
  }
  return os.str();
}

int write_case_list(Family family, const RunEnv& env, const CaseList& list) {
  const std::string text = case_list_json(to_string(family), env.config, env.ceilings, list);
  if (env.config.list_cases == "-") {
    std::fputs(text.c_str(), stdout);
    return 0;
  }
  std::FILE* f = std::fopen(env.config.list_cases.c_str(), "w");
  const bool ok = f != nullptr && std::fputs(text.c_str(), f) >= 0;
  if (f != nullptr && std::fclose(f) != 0) return 1;
  if (!ok) {
    std::fprintf(stderr, "cannot write %s\n", env.config.list_cases.c_str());
    return 1;
  }
  return 0;
}

int write_problem_files(const Config& config, const CaseList& list) {
  const ListedProblem* p = list.find(config.problem);
  if (p == nullptr) {
    std::fprintf(stderr, "--lsgd_problem=%s: no such problem in this binary's %s preset "
                 "(--lsgd_list_cases lists them)\n", config.problem.c_str(),
                 to_string(config.preset));
    return 2;
  }
  try {
    if (p->precision == Precision::f32) write_problem<float>(p->spec, config.write_problem);
    else write_problem<double>(p->spec, config.write_problem);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "--lsgd_write_problem: %s\n", e.what());
    return 1;
  }
  release_problem();
  std::fprintf(stderr, "wrote %s to %s\n", p->id.c_str(), config.write_problem.c_str());
  return 0;
}

}  // namespace

int run_main(int argc, char** argv, Family family) {
  static RunEnv env;  // referenced by the registered lambdas until exit
  try {
    env.config = parse_flags(argc, argv);
  } catch (const Error& e) {
    std::fprintf(stderr, "%s: %s\n", argv[0], e.what());
    return 2;
  }
  std::vector<char*> args(argv, argv + argc);
  bool out_given = false, out_not_json = false, json_console = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a.rfind("--benchmark_out=", 0) == 0) out_given = true;
    if (a == "--benchmark_format=json") json_console = true;
    // A file in another format (csv, console) is Google Benchmark's own.
    if (a.rfind("--benchmark_out_format=", 0) == 0) out_not_json = a != "--benchmark_out_format=json";
  }
  const bool file_out = out_given && !out_not_json;
  int nargs = static_cast<int>(args.size());
  args.push_back(nullptr);
  benchmark::Initialize(&nargs, args.data());
  if (benchmark::ReportUnrecognizedArguments(nargs, args.data())) return 2;

  try {
    env.ceilings = obtain_ceilings(env.config.ceilings);
  } catch (const Error& e) {
    std::fprintf(stderr, "%s: measuring the ceilings failed: %s\n", argv[0], e.what());
    return 1;
  }
  std::fprintf(stderr,
               "lsgd bench %s: preset %s; ceilings (%s): CPU copy %.1f GB/s, read %.1f GB/s, GEMM "
               "f32 %.1f / f64 %.1f GFLOP/s, FMA peak f32 %.1f / f64 %.1f GFLOP/s; GPU copy %.1f "
               "GB/s, GEMM f32 %.1f / f64 %.1f GFLOP/s\n",
               to_string(family), to_string(env.config.preset), env.ceilings.source.c_str(),
               env.ceilings.cpu_copy_GBps, env.ceilings.cpu_read_GBps,
               env.ceilings.cpu_gemm_f32_GFLOPs, env.ceilings.cpu_gemm_f64_GFLOPs,
               env.ceilings.cpu_fma_f32_GFLOPs, env.ceilings.cpu_fma_f64_GFLOPs,
               env.ceilings.gpu_copy_GBps,
               env.ceilings.gpu_gemm_f32_GFLOPs, env.ceilings.gpu_gemm_f64_GFLOPs);
  if (!env.ceilings.note.empty()) std::fprintf(stderr, "  %s\n", env.ceilings.note.c_str());
  if (!blas_core_note().empty()) std::fprintf(stderr, "  warning: %s\n", blas_core_note().c_str());
  add_context(env.config, env.ceilings, to_string(family));

  Notes notes;
  register_precision<float>(family, env, notes);
  register_precision<double>(family, env, notes);
  const std::string unavailable = describe_unavailable(notes);
  std::ostringstream capped;
  capped << notes.capped_time << " above the time cap, " << notes.capped_memory
         << " above memory, " << notes.capped_max_n << " above the solver's max_n, "
         << notes.capped_other << " other (each with its reason in lsgd_skipped)";
  add_context_value("lsgd_unavailable", unavailable.empty() ? "none" : unavailable);
  add_context_value("lsgd_capped", capped.str());
  std::fprintf(stderr, "  %d benchmarks registered; not registered: %s\n", notes.registered,
               capped.str().c_str());
  if (!unavailable.empty()) std::fprintf(stderr, "  unavailable: %s\n", unavailable.c_str());
  notes.list.unavailable = unavailable;
  if (!env.config.list_cases.empty()) return write_case_list(family, env, notes.list);
  if (!env.config.write_problem.empty()) return write_problem_files(env.config, notes.list);
  if (!env.config.problem.empty() && notes.list.problems.empty()) {
    std::fprintf(stderr, "%s: --lsgd_problem=%s: no such problem in this binary's %s preset "
                 "(--lsgd_list_cases lists them)\n", argv[0], env.config.problem.c_str(),
                 to_string(env.config.preset));
    return 2;
  }

  {
    // JSON on stdout (--benchmark_format=json) and in --benchmark_out files gets the lsgd fields;
    // Google Benchmark opens the file. Other formats are Google Benchmark's own.
    static LsgdJsonReporter console_json, file_json;
    benchmark::BenchmarkReporter* display = json_console ? &console_json : nullptr;
    if (file_out) benchmark::RunSpecifiedBenchmarks(display, &file_json);
    else if (display) benchmark::RunSpecifiedBenchmarks(display);
    else benchmark::RunSpecifiedBenchmarks();
  }
  release_prepared();
  release_problem();
  benchmark::Shutdown();
  return 0;
}

}  // namespace lsgd::bench
