// `lsgd list`: every registered solver, whether it can run here and why not, the device and threads.
#include <algorithm>
#include <cstdio>
#include <map>

#include <omp.h>

#include "lsgd/device.hpp"
#include "lsgd/registry.hpp"
#include "tools/cli_args.hpp"
#include "tools/cli_commands.hpp"
#include "common/text_format.hpp"

namespace lsgd::cli {
namespace {

std::string precisions(const SolverEntry& e) {
  std::string s;
  if (e.f32) s += "f32";
  if (e.f64) s += s.empty() ? "f64" : " f64";
  return s.empty() ? "-" : s;
}

std::string reason_of(const SolverEntry& e) {
  if (e.backend == Backend::cuda && !gpu_available()) return describe_device();
  return e.unavailable_reason.empty() ? "not available" : e.unavailable_reason;
}

}  // namespace

int run_list(const std::vector<std::string>& argv) {
  Args args("list", "usage: lsgd list [--json]\n\nEvery registered solver: name, backend, kind, "
                    "precisions, whether it can run on this machine\n(and why not), description; "
                    "plus the CUDA device and the OpenMP thread count.",
            {{"json", "", "print one JSON object instead of the table"}});
  if (!args.parse(argv)) {
    std::fputs(args.usage().c_str(), stdout);
    return 0;
  }
  const Registry& reg = default_registry();
  const int threads = omp_get_max_threads();
  if (args.flag("json")) {
    std::string solvers = "[";
    for (const auto& e : reg.entries()) {
      const bool ok = e.available();
      JsonObject o;
      o.text("name", e.name)
          .text("backend", to_string(e.backend))
          .text("kind", to_string(e.kind))
          .boolean("f32", e.f32)
          .boolean("f64", e.f64)
          .boolean("available", ok)
          .text("reason", ok ? "" : reason_of(e))
          .integer("max_n", e.max_n)
          .boolean("requires_full_rank", e.requires_full_rank)
          .boolean("allows_underdetermined", e.allows_underdetermined)
          .boolean("normal_equations", e.normal_equations)
          .text("error_growth", to_string(e.error_growth))
          .boolean("minimum_norm", e.minimum_norm)
          .text("flop_model", to_string(e.flop_model))
          .text("algorithm", e.algorithm)
          .text("description", e.description);
      solvers += (solvers.size() > 1 ? "," : "") + o.dump();
    }
    JsonObject doc;
    doc.text("device", describe_device())
        .boolean("gpu_available", gpu_available())
        .boolean("built_with_cuda", built_with_cuda())
        .integer("omp_threads", threads)
        .raw("solvers", solvers + "]");
    const std::string out = doc.dump() + "\n";
    std::fputs(out.c_str(), stdout);
    return 0;
  }

  std::printf("device:         %s\n", describe_device().c_str());
  std::printf("OpenMP threads: %d (set OMP_NUM_THREADS or --threads to change)\n\n", threads);
  size_t w = 6;
  for (const auto& e : reg.entries()) w = std::max(w, e.name.size());
  std::printf("%s  %-7s %-18s %-10s %-10s %s\n", pad("solver", w).c_str(), "backend", "kind",
              "precision", "available", "description");
  // Solvers that cannot run, grouped by reason, so a missing GPU is one line and not one per row.
  std::map<std::string, std::string> unavailable;
  for (const auto& e : reg.entries()) {
    const bool ok = e.available();
    std::printf("%s  %-7s %-18s %-10s %-10s %s\n", pad(e.name, w).c_str(), to_string(e.backend),
                to_string(e.kind), precisions(e).c_str(), ok ? "yes" : "no", e.description.c_str());
    if (!ok) {
      std::string& names = unavailable[reason_of(e)];
      names += (names.empty() ? "" : ", ") + e.name;
    }
  }
  std::printf("\n%zu solvers registered.\n", reg.entries().size());
  for (const auto& [reason, names] : unavailable) {
    std::printf("not available here (%s): %s\n", reason.c_str(), names.c_str());
  }
  return 0;
}

}  // namespace lsgd::cli
