#pragma once
// The JSON "context" stanza: machine, versions, ceilings and run settings
// (benchmark::AddCustomContext; every value is a string).
#include <string>

#include "bench/bench_config.hpp"
#include "bench/ceilings.hpp"

namespace lsgd::bench {

// Adds every lsgd context key (see docs/benchmarks.md). `extra` pairs are added too.
void add_context(const Config& config, const Ceilings& ceilings, const std::string& family);

// A context value added later (notes gathered while registering benchmarks).
void add_context_value(const std::string& key, const std::string& value);

std::string git_revision();  // at run time if git answers, else the configure-time revision
std::string cpu_model();     // "model name" of /proc/cpuinfo, or "unknown"

}  // namespace lsgd::bench
