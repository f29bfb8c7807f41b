#include <algorithm>
#include <sstream>

#include "lsgd/metrics.hpp"
#include "lsgd/registry.hpp"

namespace lsgd {

const char* to_string(Backend b) {
  switch (b) {
    case Backend::cpu: return "cpu";
    case Backend::cuda: return "cuda";
    case Backend::mpi: return "mpi";
  }
  return "?";
}
const char* to_string(Kind k) {
  switch (k) {
    case Kind::direct: return "direct";
    case Kind::iterative: return "iterative";
    case Kind::batched_direct: return "batched-direct";
    case Kind::batched_iterative: return "batched-iterative";
  }
  return "?";
}
const char* to_string(Precision p) { return p == Precision::f32 ? "f32" : "f64"; }
const char* to_string(Equilibrate e) {
  switch (e) {
    case Equilibrate::automatic: return "auto";
    case Equilibrate::on: return "on";
    case Equilibrate::off: return "off";
  }
  return "?";
}
const char* to_string(ErrorGrowth g) {
  return g == ErrorGrowth::kappa ? "kappa" : "kappa^2";
}
const char* to_string(FlopModel f) {
  switch (f) {
    case FlopModel::qr: return "qr";
    case FlopModel::cholesky: return "cholesky";
    case FlopModel::svd: return "svd";
    case FlopModel::gd_iter: return "gd_iter";
  }
  return "?";
}

bool flop_model_from_string(const std::string& name, FlopModel* f) {
  for (const FlopModel m : {FlopModel::qr, FlopModel::cholesky, FlopModel::svd, FlopModel::gd_iter}) {
    if (name == to_string(m)) {
      *f = m;
      return true;
    }
  }
  return false;
}

double model_flops(FlopModel f, double m, double n) {
  switch (f) {
    case FlopModel::cholesky: return flops_cholesky_ls(m, n);
    case FlopModel::svd: return flops_svd_ls(m, n);
    case FlopModel::gd_iter: return flops_gd_iter(m, n);
    case FlopModel::qr: break;
  }
  return flops_qr_ls(m, n);
}

std::vector<index_t> failed_indices(const SolveInfo& info) {
  std::vector<index_t> out;
  for (size_t i = 0; i < info.problem_status.size(); ++i) {
    if (info.problem_status[i] != kSolved) out.push_back(static_cast<index_t>(i));
  }
  return out;
}

namespace {
template <typename T>
void check_make(const SolverEntry& e, bool batched) {
  if (e.is_batched() != batched) {
    throw InvalidInput("solver '" + e.name + "' is " + to_string(e.kind) + "; use " +
                       (e.is_batched() ? "make_batched" : "make"));
  }
  if (!e.supports(precision_of<T>())) {
    throw InvalidInput("solver '" + e.name + "' does not support " + to_string(precision_of<T>()));
  }
  if (!e.available()) {
    throw DeviceError("solver '" + e.name + "' is not available on this machine: " +
                      e.unavailable_reason);
  }
}
}  // namespace

template <>
std::unique_ptr<Solver<float>> SolverEntry::make<float>(const SolverOptions& opt) const {
  check_make<float>(*this, false);
  if (!make_f32) throw InvalidInput("solver '" + name + "' has no f32 factory");
  return make_f32(opt);
}
template <>
std::unique_ptr<Solver<double>> SolverEntry::make<double>(const SolverOptions& opt) const {
  check_make<double>(*this, false);
  if (!make_f64) throw InvalidInput("solver '" + name + "' has no f64 factory");
  return make_f64(opt);
}
template <>
std::unique_ptr<BatchedSolver<float>> SolverEntry::make_batched<float>(const SolverOptions& opt) const {
  check_make<float>(*this, true);
  if (!make_batched_f32) throw InvalidInput("solver '" + name + "' has no f32 factory");
  return make_batched_f32(opt);
}
template <>
std::unique_ptr<BatchedSolver<double>> SolverEntry::make_batched<double>(
    const SolverOptions& opt) const {
  check_make<double>(*this, true);
  if (!make_batched_f64) throw InvalidInput("solver '" + name + "' has no f64 factory");
  return make_batched_f64(opt);
}

const std::vector<std::string>& algorithm_families() {
  static const std::vector<std::string> ids = {"normal_eq", "qr",  "tsqr", "rrqr",     "svd",
                                               "qr_refined", "qr_mixed", "gd", "momentum",
                                               "nesterov",  "sgd"};
  return ids;
}

void Registry::add(SolverEntry entry) {
  if (find(entry.name) != nullptr) throw InvalidInput("duplicate solver name '" + entry.name + "'");
  const auto& ids = algorithm_families();
  if (std::find(ids.begin(), ids.end(), entry.algorithm) == ids.end()) {
    std::string known;
    for (const std::string& id : ids) known += (known.empty() ? "" : ", ") + id;
    throw InvalidInput("solver '" + entry.name + "': algorithm family '" + entry.algorithm +
                       "' is not one of " + known);
  }
  entries_.push_back(std::move(entry));
}

const SolverEntry* Registry::find(const std::string& name) const {
  for (const auto& e : entries_) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

const SolverEntry& Registry::get(const std::string& name) const {
  if (const SolverEntry* e = find(name)) return *e;
  std::ostringstream os;
  os << "unknown solver '" << name << "'; known:";
  for (const auto& e : entries_) os << ' ' << e.name;
  throw InvalidInput(os.str());
}

const Registry& default_registry() {
  static const Registry r = [] {
    Registry reg;
    register_cpu_solvers(reg);
    register_cuda_solvers(reg);
    register_mpi_solvers(reg);
    return reg;
  }();
  return r;
}

}  // namespace lsgd
