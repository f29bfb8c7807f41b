#include "bench/algorithms.hpp"

#include "lsgd/error.hpp"

namespace lsgd::bench {

const std::vector<AlgorithmInfo>& algorithms() {
  static const std::vector<AlgorithmInfo> table = {
      {"normal_eq", "normal equations (Cholesky of A^T A)", "cholesky", {"normal_eq"}},
      {"qr", "Householder QR, unpivoted", "qr", {"qr"}},
      {"tsqr", "tall-skinny QR (unpivoted, tree)", "qr", {"tsqr", "qr"}},
      {"rrqr", "column-pivoted QR / complete orthogonal decomposition", "qr", {"rrqr"}},
      {"svd", "SVD", "svd", {"svd"}},
      {"qr_refined", "QR + iterative refinement in extra precision", "qr", {"qr_refined"}},
      {"qr_mixed", "QR in lower precision + refinement", "qr", {"qr_mixed"}},
      {"gd", "gradient descent, step 1/L", "gd_iter", {"gd"}},
      {"momentum", "heavy-ball gradient descent", "gd_iter", {"momentum"}},
      {"nesterov", "Nesterov accelerated gradient", "gd_iter", {"nesterov"}},
      {"sgd", "mini-batch stochastic gradient descent", "gd_iter", {"sgd"}},
  };
  return table;
}

const AlgorithmInfo& algorithm_info(const std::string& id) {
  for (const AlgorithmInfo& a : algorithms()) {
    if (id == a.id) return a;
  }
  throw InvalidInput("unknown algorithm family '" + id + "'");
}

const char* algorithm_of(const SolverEntry& e) {
  if (e.algorithm.empty()) throw InvalidInput("solver '" + e.name + "' names no algorithm family");
  return algorithm_info(e.algorithm).id;
}

}  // namespace lsgd::bench
