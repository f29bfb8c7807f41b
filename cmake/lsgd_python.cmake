# The Python module (python/, `import lsgd`): which interpreter it is built for, and nanobind.
#   LSGD_BUILD_PYTHON   AUTO (default): built when an interpreter with NumPy, its headers and nanobind
#                       are found; ON: their absence is an error; OFF: not built.
# Sets LSGD_PYTHON_MODULE (ON/OFF) and, when ON, Python_EXECUTABLE and the nanobind package.
#
# The interpreter: Python_EXECUTABLE when given (scikit-build-core passes the one running
# `pip install .`); otherwise the first of `python3` on PATH and /usr/bin/python3 that imports
# NumPy (on Debian the python3 on PATH may be a separate build without it, while Debian's
# python3-numpy installs into /usr/bin/python3). The module is built for that interpreter's ABI and
# the pytest suite (tests/python) runs under it.
# nanobind: the interpreter's own (`python -m nanobind --cmake_dir`), else nanobind_DIR, else the
# copy scripts/deps.sh installs with `pip install --target` into $LSGD_PYDEPS (default
# ~/.cache/lsgd/pydeps; Debian 12 has no nanobind package).
set(LSGD_BUILD_PYTHON AUTO CACHE STRING "Build the Python module lsgd: AUTO, ON or OFF")
set_property(CACHE LSGD_BUILD_PYTHON PROPERTY STRINGS AUTO ON OFF)
set(LSGD_PYTHON_MODULE OFF)

# Python_EXECUTABLE and nanobind are looked up at this file's scope (not in a function): nanobind's
# package sets variables that nanobind_add_module reads later.
set(_lsgd_py_why "")
if(LSGD_BUILD_PYTHON STREQUAL "OFF")
  set(_lsgd_py_why "LSGD_BUILD_PYTHON=OFF")
endif()
if(NOT _lsgd_py_why AND NOT Python_EXECUTABLE)
  find_program(_lsgd_path_python3 NAMES python3 NO_CACHE)
  foreach(_candidate IN ITEMS "${_lsgd_path_python3}" /usr/bin/python3)
    if(_candidate AND EXISTS "${_candidate}" AND NOT Python_EXECUTABLE)
      execute_process(COMMAND "${_candidate}" -c "import numpy"
                      RESULT_VARIABLE _rc OUTPUT_QUIET ERROR_QUIET)
      if(_rc EQUAL 0)
        set(Python_EXECUTABLE "${_candidate}" CACHE FILEPATH "Interpreter of the Python module")
      endif()
    endif()
  endforeach()
  if(NOT Python_EXECUTABLE)
    set(_lsgd_py_why "no python3 with NumPy found (install python3-numpy, or set Python_EXECUTABLE)")
  endif()
endif()
if(NOT _lsgd_py_why)
  find_package(Python 3.8 COMPONENTS Interpreter Development.Module QUIET)
  if(NOT Python_FOUND)
    set(_lsgd_py_why "no Python headers for ${Python_EXECUTABLE} (Debian: python3-dev)")
  endif()
endif()
if(NOT _lsgd_py_why)
  if(NOT nanobind_DIR)
    execute_process(COMMAND "${Python_EXECUTABLE}" -m nanobind --cmake_dir
                    OUTPUT_VARIABLE _nb_dir OUTPUT_STRIP_TRAILING_WHITESPACE
                    RESULT_VARIABLE _rc ERROR_QUIET)
    if(NOT _rc EQUAL 0)
      if(DEFINED ENV{LSGD_PYDEPS})
        set(_nb_dir "$ENV{LSGD_PYDEPS}/nanobind/cmake")
      elseif(DEFINED ENV{XDG_CACHE_HOME})
        set(_nb_dir "$ENV{XDG_CACHE_HOME}/lsgd/pydeps/nanobind/cmake")
      else()
        set(_nb_dir "$ENV{HOME}/.cache/lsgd/pydeps/nanobind/cmake")
      endif()
    endif()
    if(EXISTS "${_nb_dir}/nanobind-config.cmake")
      # FORCE: a build folder configured before nanobind was installed holds
      # nanobind_DIR-NOTFOUND in its cache, which a plain set(CACHE) would keep for ever.
      set(nanobind_DIR "${_nb_dir}" CACHE PATH "nanobind's CMake package directory" FORCE)
    endif()
  endif()
  find_package(nanobind CONFIG QUIET)
  if(NOT nanobind_FOUND)
    string(CONCAT _lsgd_py_why "nanobind not found for ${Python_EXECUTABLE} (scripts/deps.sh "
                  "installs it: pip install --target ~/.cache/lsgd/pydeps nanobind; or set nanobind_DIR)")
  endif()
endif()
if(_lsgd_py_why)
  if(LSGD_BUILD_PYTHON STREQUAL "ON")
    message(FATAL_ERROR "lsgd: LSGD_BUILD_PYTHON=ON but ${_lsgd_py_why}")
  endif()
  message(STATUS "lsgd: Python module OFF: ${_lsgd_py_why}")
else()
  set(LSGD_PYTHON_MODULE ON)
  message(STATUS "lsgd: Python module ON (${Python_EXECUTABLE}, Python ${Python_VERSION}, "
                 "nanobind ${nanobind_VERSION} from ${nanobind_DIR})")
endif()
