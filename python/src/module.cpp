// lsgd._lsgd: the compiled half of the Python package (python/lsgd/ is the public half). It holds the
// exception types, the registry as records, SolverOptions, and the solves (solve.cpp).
#include <nanobind/nanobind.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <exception>
#include <string>

#include "lsgd/cpu_info.hpp"
#include "lsgd/device.hpp"
#include "lsgd/error.hpp"
#include "lsgd/mpi.hpp"
#include "lsgd/registry.hpp"
#include "python/src/solve.hpp"

#ifdef LSGD_WITH_CUDA
#include <dlfcn.h>

#include "kernels/cuda_backend.hpp"
#endif

namespace nb = nanobind;

namespace lsgd::py {
namespace {

// Created once at import, never freed (the module cannot be unloaded).
PyObject* g_invalid_input = nullptr;
PyObject* g_numerical = nullptr;
PyObject* g_device = nullptr;

PyObject* new_exception(nb::module_& m, const char* name, PyObject* base, const char* doc) {
  const std::string qualified = std::string("lsgd.") + name;
  PyObject* type = PyErr_NewExceptionWithDoc(qualified.c_str(), doc, base, nullptr);
  if (type == nullptr) throw nb::python_error();
  m.attr(name) = nb::handle(type);
  return type;
}

// lsgd's exception hierarchy as Python exceptions; the message is the CLI's (what()).
void translate(const std::exception_ptr& p, void*) {
  try {
    std::rethrow_exception(p);
  } catch (const InvalidInput& e) {
    PyErr_SetString(g_invalid_input, e.what());
  } catch (const NumericalError& e) {
    PyErr_SetString(g_numerical, e.what());
  } catch (const DeviceError& e) {
    PyErr_SetString(g_device, e.what());
  } catch (const Error& e) {
    PyErr_SetString(PyExc_RuntimeError, e.what());
  }
}

std::string why_not(const SolverEntry& e) {
  if (e.available()) return "";
  std::string why =
      e.backend == Backend::cuda && !gpu_available() ? describe_device() : e.unavailable_reason;
  return why.empty() ? "not available on this machine" : why;
}

nb::list registry_records() {
  nb::list out;
  for (const SolverEntry& e : default_registry().entries()) {
    nb::dict d;
    d["name"] = e.name;
    d["backend"] = to_string(e.backend);
    d["kind"] = to_string(e.kind);
    nb::list precisions;
    if (e.f32) precisions.append("float32");
    if (e.f64) precisions.append("float64");
    d["precisions"] = nb::tuple(precisions);
    d["available"] = e.available();
    d["why_not"] = why_not(e);
    d["description"] = e.description;
    d["error_growth"] = to_string(e.error_growth);
    d["requires_full_rank"] = e.requires_full_rank;
    d["allows_underdetermined"] = e.allows_underdetermined;
    d["minimum_norm"] = e.minimum_norm;
    d["normal_equations"] = e.normal_equations;
    d["max_n"] = e.max_n;
    out.append(d);
  }
  return out;
}

nb::dict build_info() {
  nb::dict d;
  d["cuda_built"] = built_with_cuda();
  d["device"] = describe_device();
  d["gpu_available"] = gpu_available();
  d["mpi_built"] = mpi::enabled();
  d["blas_vendor"] = blas_vendor();
  d["blas_config"] = blas_config();
  d["blas_core_note"] = blas_core_note();
  d["isa_flags"] = isa_flags();
  d["isa_extensions"] = isa_extensions();
  return d;
}

#ifdef LSGD_WITH_CUDA
// Loads liblsgd_cuda.so by name, as the loader's last resort does, from this module's code: the
// dynamic loader then searches this module's RUNPATH ($ORIGIN in the installed package), so the
// answer is the backend an installed wheel finds. No driver check: no GPU is needed. Returns the
// file it loaded, or raises DeviceError with the loader's reason.
std::string backend_probe() {
  std::string why;
  const cuda_backend::Api* api = cuda_backend::load_from("liblsgd_cuda.so", &why);
  if (api == nullptr) throw DeviceError("liblsgd_cuda.so: " + why);
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(api->fill_entry), &info) == 0 || info.dli_fname == nullptr) {
    throw DeviceError("liblsgd_cuda.so loaded, but dladdr cannot name its file");
  }
  return info.dli_fname;
}
#endif

void bind_options(nb::module_& m) {
  nb::class_<SolverOptions>(m, "Options", "lsgd::SolverOptions (filled by lsgd._options)")
      .def(nb::init<>())
      .def_rw("ridge_lambda", &SolverOptions::ridge_lambda)
      .def_rw("rcond", &SolverOptions::rcond)
      .def_rw("inner_precision", &SolverOptions::inner_precision)
      .def_prop_rw(
          "gpu_mode",
          [](const SolverOptions& o) {
            return std::string(o.gpu_mode == GpuMode::resident ? "resident" : "end-to-end");
          },
          [](SolverOptions& o, const std::string& v) {
            o.gpu_mode = v == "end-to-end" ? GpuMode::end_to_end : GpuMode::resident;
          })
      .def_rw("max_iters", &SolverOptions::max_iters)
      .def_rw("tol", &SolverOptions::tol)
      .def_rw("step", &SolverOptions::step)
      .def_rw("lipschitz", &SolverOptions::lipschitz)
      .def_rw("power_iters", &SolverOptions::power_iters)
      .def_rw("momentum", &SolverOptions::momentum)
      .def_rw("history_every", &SolverOptions::history_every)
      .def_rw("sgd_batch", &SolverOptions::sgd_batch)
      .def_prop_rw(
          "schedule",
          [](const SolverOptions& o) {
            return std::string(o.schedule == StepSchedule::inv_sqrt   ? "inv_sqrt"
                               : o.schedule == StepSchedule::inv_time ? "inv_time"
                                                                      : "constant");
          },
          [](SolverOptions& o, const std::string& v) {
            o.schedule = v == "inv_sqrt"   ? StepSchedule::inv_sqrt
                         : v == "inv_time" ? StepSchedule::inv_time
                                           : StepSchedule::constant;
          })
      .def_rw("seed", &SolverOptions::seed)
      .def_rw("threads", &SolverOptions::threads);
}

}  // namespace
}  // namespace lsgd::py

NB_MODULE(_lsgd, m) {
  using namespace lsgd::py;
  m.doc() = "lsgd's compiled core; use the lsgd package";
  g_invalid_input = new_exception(
      m, "InvalidInputError", PyExc_ValueError,
      "Invalid input (lsgd::InvalidInput): shapes, NaN/Inf, unknown solver, unsupported options.");
  g_numerical = new_exception(
      m, "NumericalError", PyExc_ArithmeticError,
      "The numerics failed (lsgd::NumericalError): singular or indefinite matrix, divergence, "
      "no convergence.");
  g_device = new_exception(m, "DeviceError", PyExc_RuntimeError,
                           "CUDA failure or no device (lsgd::DeviceError).");
  nb::register_exception_translator(translate);
  bind_options(m);
  m.def("registry", &registry_records);
  m.def("build_info", &build_info);
  m.def("solve", &solve, nb::arg("A"), nb::arg("b"), nb::arg("solver"), nb::arg("options"),
        nb::arg("fn"), nb::arg("iterative_only"));
  m.def("solve_batched", &solve_batched, nb::arg("A"), nb::arg("b"), nb::arg("solver"),
        nb::arg("options"), nb::arg("fn"), nb::arg("iterative_only"));
  m.def("stats", &stats, nb::arg("A"), nb::arg("b"), nb::arg("names"));
#ifdef LSGD_WITH_CUDA
  m.def("backend_probe", &backend_probe);
#endif
}
