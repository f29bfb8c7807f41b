// CUDA build, static library side: registers every solver of kernels/cuda_solvers.def. Registering
// loads nothing: the factories load the CUDA backend (kernels/cuda_backend.hpp) the first time a CUDA
// solver is made, and `available()` asks the device only when a CUDA driver is present.
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "kernels/catalog_entry.hpp"
#include "kernels/cuda_backend.hpp"
#include "lsgd/device.hpp"
#include "lsgd/error.hpp"
#include "lsgd/registry.hpp"

namespace lsgd {
namespace {

// The backend's entry for `name`, factories set; loads the backend on first use (DeviceError if it
// cannot: no driver, no backend library).
const SolverEntry& backend_entry(const std::string& name) {
  static std::mutex mu;
  static std::map<std::string, SolverEntry> cache;  // node-based: references stay valid
  std::lock_guard<std::mutex> lock(mu);
  if (auto it = cache.find(name); it != cache.end()) return it->second;
  const cuda_backend::Api& api = cuda_backend::api();
  SolverEntry e;
  if (!api.fill_entry(name.c_str(), e)) {
    throw DeviceError("the CUDA backend (" + cuda_backend::loaded_from() + ") has no solver '" +
                      name + "': it was built from another catalog; rebuild it");
  }
  return cache.emplace(name, std::move(e)).first->second;
}

template <typename Factory>
const Factory& require(const Factory& f, const std::string& name, const char* what) {
  if (!f) throw InvalidInput("solver '" + name + "': the CUDA backend has no " + what + " factory");
  return f;
}

void set_lazy_factories(SolverEntry& e) {
  const std::string name = e.name;
  if (e.is_batched()) {
    if (e.f32) {
      e.make_batched_f32 = [name](const SolverOptions& o) {
        return require(backend_entry(name).make_batched_f32, name, "batched f32")(o);
      };
    }
    if (e.f64) {
      e.make_batched_f64 = [name](const SolverOptions& o) {
        return require(backend_entry(name).make_batched_f64, name, "batched f64")(o);
      };
    }
  } else {
    if (e.f32) {
      e.make_f32 = [name](const SolverOptions& o) {
        return require(backend_entry(name).make_f32, name, "f32")(o);
      };
    }
    if (e.f64) {
      e.make_f64 = [name](const SolverOptions& o) {
        return require(backend_entry(name).make_f64, name, "f64")(o);
      };
    }
  }
}

// Why the CUDA solvers cannot run, without loading the backend: the driver's absence when that is
// the reason; otherwise the device query decides, and describe_device() says more.
std::string unavailable_reason() {
  if (!cuda_backend::driver_problem().empty()) {
    return "no CUDA device: " + cuda_backend::driver_problem();
  }
  return "no CUDA device usable by lsgd (the device line of 'lsgd list' says why)";
}

}  // namespace

void register_cuda_solvers(Registry& r) {
  const std::string reason = unavailable_reason();
#define LSGD_CUDA_SOLVER(NAME, REGISTER_FN, FIELDS, DESC)                                          \
  {                                                                                                \
    SolverEntry e =                                                                                \
        catalog_entry(NAME, FIELDS, DESC);                                                         \
    e.available = [] { return gpu_available(); };                                                  \
    e.unavailable_reason = reason;                                                                 \
    set_lazy_factories(e);                                                                         \
    r.add(std::move(e));                                                                           \
  }
#include "kernels/cuda_solvers.def"
#undef LSGD_CUDA_SOLVER
}

}  // namespace lsgd
