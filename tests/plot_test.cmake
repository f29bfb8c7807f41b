# tests/test_plot.py (tools/plot.py on committed fixtures) as a ctest test. It needs NumPy and
# matplotlib: the python3 on PATH may lack them while Debian's /usr/bin/python3 has them, so pick
# the first interpreter that imports both. Where none does, the test still runs and exits 77, which
# ctest reports as skipped, with the reason in its output.
find_package(Python3 COMPONENTS Interpreter)
set(_lsgd_plot_python "")
foreach(_candidate IN ITEMS "${Python3_EXECUTABLE}" /usr/bin/python3)
  if(_candidate AND EXISTS "${_candidate}" AND NOT _lsgd_plot_python)
    execute_process(COMMAND "${_candidate}" -c "import numpy, matplotlib"
                    RESULT_VARIABLE _lsgd_plot_rc OUTPUT_QUIET ERROR_QUIET)
    if(_lsgd_plot_rc EQUAL 0)
      set(_lsgd_plot_python "${_candidate}")
    endif()
  endif()
endforeach()
if(NOT _lsgd_plot_python)
  set(_lsgd_plot_python "${Python3_EXECUTABLE}")
  message(STATUS "lsgd: no python with numpy + matplotlib: test_plot will be skipped")
endif()
if(_lsgd_plot_python)
  message(STATUS "lsgd: test_plot runs with ${_lsgd_plot_python}")
  add_test(NAME test_plot COMMAND "${_lsgd_plot_python}" "${CMAKE_CURRENT_SOURCE_DIR}/test_plot.py")
  set_tests_properties(test_plot PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 900 LABELS "cpu;python")
else()
  message(STATUS "lsgd: no python3 interpreter: test_plot not registered")
endif()
