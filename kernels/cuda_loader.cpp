// CUDA build, static library side: the device queries and the loading of the CUDA backend
// (kernels/cuda_backend.hpp says in which order it is looked for). No CUDA header, no CUDA library:
// a process that never makes a CUDA solver never loads cudart, cuBLAS or cuSOLVER.
#include <dlfcn.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "kernels/cuda_backend.hpp"
#include "lsgd/device.hpp"
#include "lsgd/error.hpp"

// Resolved to the backend's definition when its objects are linked into this executable, null
// otherwise (then liblsgd_cuda.so is loaded with dlopen).
extern "C" const lsgd::cuda_backend::Api* lsgd_cuda_backend_v1() __attribute__((weak));

namespace lsgd {
namespace cuda_backend {
namespace {

constexpr const char* kLibrary = "liblsgd_cuda.so";

std::string dl_error() {
  const char* e = dlerror();
  return e != nullptr ? e : "unknown dlopen error";
}

std::string check_api(const Api* a) {
  if (a == nullptr) return "lsgd_cuda_backend_v1() returned null";
  std::ostringstream os;
  if (a->abi_version != kAbiVersion) {
    os << "backend ABI version " << a->abi_version << ", this program expects " << kAbiVersion;
  } else if (a->sizeof_solver_entry != sizeof(SolverEntry) ||
             a->sizeof_device_info != sizeof(DeviceInfo) ||
             a->sizeof_solver_options != sizeof(SolverOptions)) {
    os << "backend built against other lsgd headers (type sizes differ); rebuild it";
  }
  return os.str();
}

std::string executable_dir() {
  std::vector<char> buf(PATH_MAX + 1, '\0');
  const ssize_t n = readlink("/proc/self/exe", buf.data(), PATH_MAX);
  if (n <= 0) return "";
  std::string path(buf.data(), static_cast<size_t>(n));
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash);
}

std::vector<std::string> candidate_paths() {
  if (const char* env = std::getenv("LSGD_CUDA_BACKEND"); env != nullptr && *env != '\0') {
    return {env};
  }
  std::vector<std::string> out;
  const std::string dir = executable_dir();
  if (!dir.empty()) out.push_back(dir + "/" + kLibrary);
#ifdef LSGD_CUDA_BACKEND_BUILD_PATH
  out.push_back(LSGD_CUDA_BACKEND_BUILD_PATH);
#endif
  out.push_back(kLibrary);  // LD_LIBRARY_PATH, the executable's RUNPATH, the system directories
  return out;
}

struct Loaded {
  const Api* api = nullptr;
  std::string from;
  std::string error;  // why api is null
};

Loaded load() {
  Loaded l;
  if (!driver_problem().empty()) {
    l.error = "no CUDA device: " + driver_problem();
    return l;
  }
  if (lsgd_cuda_backend_v1 != nullptr) {
    l.api = lsgd_cuda_backend_v1();
    l.error = check_api(l.api);
    if (!l.error.empty()) l.api = nullptr;
    l.from = "linked into the executable";
    return l;
  }
  std::ostringstream tried;
  for (const std::string& path : candidate_paths()) {
    std::string why;
    if (const Api* a = load_from(path, &why)) {
      l.api = a;
      l.from = path;
      return l;
    }
    tried << "\n  " << path << ": " << why;
  }
  l.error = std::string("cannot load the CUDA backend ") + kLibrary +
            " (set LSGD_CUDA_BACKEND to its path); tried:" + tried.str();
  return l;
}

const Loaded& loaded() {
  static const Loaded l = load();
  return l;
}

}  // namespace

const std::string& driver_problem() {
  static const std::string problem = [] {
    // RTLD_LAZY: only to learn whether the driver is there; the handle stays open, since the
    // backend's cudart would load the same library again.
    if (dlopen("libcuda.so.1", RTLD_LAZY | RTLD_LOCAL) != nullptr) return std::string();
    return "no CUDA driver (" + dl_error() + ")";
  }();
  return problem;
}

const Api* load_from(const std::string& path, std::string* error) {
  void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (h == nullptr) {
    if (error != nullptr) *error = dl_error();
    return nullptr;
  }
  // Never dlclose: solvers made by the backend live in its code.
  using EntryFn = const Api* (*)();
  auto fn = reinterpret_cast<EntryFn>(dlsym(h, "lsgd_cuda_backend_v1"));
  if (fn == nullptr) {
    if (error != nullptr) *error = "no symbol lsgd_cuda_backend_v1: " + dl_error();
    return nullptr;
  }
  const Api* a = fn();
  const std::string bad = check_api(a);
  if (!bad.empty()) {
    if (error != nullptr) *error = bad;
    return nullptr;
  }
  return a;
}

const Api& api() {
  const Loaded& l = loaded();
  if (l.api == nullptr) throw DeviceError(l.error);
  return *l.api;
}

std::string loaded_from() { return loaded().api != nullptr ? loaded().from : ""; }

}  // namespace cuda_backend

bool built_with_cuda() { return true; }

DeviceInfo device_info() {
  static const DeviceInfo info = [] {
    if (!cuda_backend::driver_problem().empty()) {
      DeviceInfo d;
      d.reason = "no CUDA device: " + cuda_backend::driver_problem();
      return d;
    }
    try {
      return cuda_backend::api().device_info();
    } catch (const Error& e) {
      DeviceInfo d;
      d.reason = std::string("no CUDA device: ") + e.what();
      return d;
    }
  }();
  return info;
}

bool gpu_available() { return device_info().present; }

std::string describe_device() {
  const DeviceInfo d = device_info();
  if (!d.present) return d.reason;
  std::ostringstream os;
  os << d.name << " (sm_" << d.cc_major << d.cc_minor << ", " << d.sm_count << " SMs, " << d.memory_gib
     << " GiB, " << d.sm_clock_mhz << " MHz SM, " << d.mem_clock_mhz << " MHz memory, L2 " << d.l2_mib
     << " MiB, driver " << d.driver_version << ", runtime " << d.runtime_version << ")";
  return os.str();
}

}  // namespace lsgd
