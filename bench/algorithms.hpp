#pragma once
// The algorithm family of every solver: the key on which lsgd is compared with its peers (a solver
// only against peers of its own family, docs/benchmarks.md "Pairing"), and the flop model the
// family's rate is computed with. The peers (bench/peers) name their own family in the same terms.
#include <string>
#include <vector>

#include "lsgd/registry.hpp"

namespace lsgd::bench {

struct AlgorithmInfo {
  const char* id;          // schema value of the "algorithm" field
  const char* label;       // for tables
  const char* flop_model;  // qr, cholesky, svd, gd_iter (core/metrics)
  // The peer families a solver of this family is compared with (itself first): TSQR is an
  // unpivoted QR, so plain unpivoted QR peers are its like for like.
  std::vector<const char*> pairs_with;
};

// Every family, in table order.
const std::vector<AlgorithmInfo>& algorithms();
const AlgorithmInfo& algorithm_info(const std::string& id);  // throws InvalidInput when unknown

// The family of a registry entry: its `algorithm` field (throws InvalidInput when the table above
// does not know it).
const char* algorithm_of(const SolverEntry& e);

}  // namespace lsgd::bench
