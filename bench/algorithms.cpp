#include "bench/algorithms.hpp"

#include "lsgd/error.hpp"

namespace lsgd::bench {
namespace {

// "cpu.qr.refined" -> {"qr", "refined"}; "cuda.batched.resident" -> {"resident", ""};
// "cuda.bgd.gram" -> {"bgd", "gram"}.
std::pair<std::string, std::string> family_and_variant(const std::string& name) {
  std::string rest = name.substr(name.find('.') + 1);
  if (rest.rfind("batched.", 0) == 0) rest = rest.substr(8);
  const size_t dot = rest.find('.');
  if (dot == std::string::npos) return {rest, ""};
  return {rest.substr(0, dot), rest.substr(dot + 1)};
}

}  // namespace

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
  const auto [family, variant] = family_and_variant(e.name);
  if (e.normal_equations) return "normal_eq";
  if (e.flop_model == FlopModel::svd) return "svd";
  if (e.is_iterative()) {
    if (family == "sgd") return "sgd";
    if (variant == "momentum") return "momentum";
    if (variant == "nesterov") return "nesterov";
    return "gd";
  }
  if (e.minimum_norm || !e.requires_full_rank) return "rrqr";
  if (family == "tsqr") return "tsqr";
  if (variant == "refined") return "qr_refined";
  if (family == "gels_irs") return "qr_mixed";
  return "qr";
}

}  // namespace lsgd::bench
