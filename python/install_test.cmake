# ctest python_install_layout: installs component `python` (what a wheel holds) into PREFIX and runs
# CHECK with PYTHON against it. -D BUILD_DIR, PREFIX, PYTHON, CUDA (ON/OFF), CHECK.
file(REMOVE_RECURSE "${PREFIX}")
execute_process(COMMAND "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --component python
                        --prefix "${PREFIX}"
                RESULT_VARIABLE rc OUTPUT_QUIET)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cmake --install --component python failed (${rc})")
endif()
execute_process(COMMAND "${CMAKE_COMMAND}" -E env --unset=PYTHONPATH --unset=LSGD_CUDA_BACKEND
                        "${PYTHON}" "${CHECK}" "${PREFIX}" "${CUDA}"
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the installed package failed its check (${rc})")
endif()
