#pragma once
// The case list of a benchmark binary (--lsgd_list_cases): every problem of the preset with its
// generator, seed and flop/byte models, every case (solver x problem x mode) registered or skipped
// with its reason, the algorithm families and the repetition rule. The peers (bench/peers/common.py)
// read it instead of keeping their own size lists, flop models and stopping rule.
#include <string>
#include <vector>

#include "bench/bench_config.hpp"
#include "bench/ceilings.hpp"
#include "bench/entry_fields.hpp"
#include "bench/problems.hpp"

namespace lsgd::bench {

struct ListedProblem {
  std::string id;
  ProblemSpec spec;
  Precision precision = Precision::f64;
};

struct ListedCase {
  std::string name;
  EntryFields fields;
};

struct CaseList {
  std::vector<ListedProblem> problems;  // in registration order, each id once
  std::vector<ListedCase> registered;
  std::string unavailable;              // solvers not available here, with reasons

  void add_problem(const ProblemSpec& spec, Precision p);
  const ListedProblem* find(const std::string& id) const;
};

// The JSON document (schema "lsgd_cases": 1) of docs/benchmarks.md, "The case list".
std::string case_list_json(const std::string& family, const Config& config, const Ceilings& ceilings,
                           const CaseList& list);

}  // namespace lsgd::bench
