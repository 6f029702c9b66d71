# Driver for the CMake consumer tests (registered with CTest by tests/CMakeLists.txt).
#
#   cmake -DMODE=find_package|add_subdirectory -DCXKIT_SOURCE_DIR=... -DCXKIT_BINARY_DIR=...
#         -DWORK_DIR=... [-DCONSUMER_GENERATOR=... -DCONSUMER_MAKE_PROGRAM=...
#         -DCONSUMER_CXX_COMPILER=... -DCONSUMER_BUILD_TYPE=...] -P run_consumer.cmake
#
# find_package:     cmake --install <CXKIT_BINARY_DIR> --prefix <WORK_DIR>/prefix, then configure
#                   tests/cmake/find_package with CMAKE_PREFIX_PATH=<prefix>, build, run.
# add_subdirectory: configure tests/cmake/add_subdirectory with -DCXKIT_SOURCE_DIR, build, run.
# The consumer program must print exactly "0" and exit with 0.
cmake_minimum_required(VERSION 3.21)

foreach(_var IN ITEMS MODE CXKIT_SOURCE_DIR WORK_DIR)
  if(NOT DEFINED ${_var} OR "${${_var}}" STREQUAL "")
    message(FATAL_ERROR "run_consumer.cmake: -D${_var}=... is required")
  endif()
endforeach()
if(NOT MODE MATCHES "^(find_package|add_subdirectory)$")
  message(FATAL_ERROR "run_consumer.cmake: MODE must be find_package or add_subdirectory, got '${MODE}'")
endif()
if(NOT CONSUMER_BUILD_TYPE)
  set(CONSUMER_BUILD_TYPE Release)
endif()

function(run_step what)
  message(STATUS "[consumer ${MODE}] ${what}")
  execute_process(COMMAND ${ARGN}
                  RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _err)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "[consumer ${MODE}] ${what} failed (${_rc}):\n${_out}\n${_err}")
  endif()
endfunction()

set(_src "${CXKIT_SOURCE_DIR}/tests/cmake/${MODE}")
set(_build "${WORK_DIR}/build")
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")

# Same generator / toolchain as the parent build.
set(_configure "${CMAKE_COMMAND}" -S "${_src}" -B "${_build}"
    "-DCMAKE_BUILD_TYPE=${CONSUMER_BUILD_TYPE}"
    -DCMAKE_FIND_PACKAGE_NO_PACKAGE_REGISTRY=ON)
if(CONSUMER_GENERATOR)
  list(APPEND _configure -G "${CONSUMER_GENERATOR}")
endif()
if(CONSUMER_GENERATOR_PLATFORM)
  list(APPEND _configure -A "${CONSUMER_GENERATOR_PLATFORM}")
endif()
if(CONSUMER_GENERATOR_TOOLSET)
  list(APPEND _configure -T "${CONSUMER_GENERATOR_TOOLSET}")
endif()
if(CONSUMER_MAKE_PROGRAM)
  list(APPEND _configure "-DCMAKE_MAKE_PROGRAM=${CONSUMER_MAKE_PROGRAM}")
endif()
if(CONSUMER_CXX_COMPILER)
  list(APPEND _configure "-DCMAKE_CXX_COMPILER=${CONSUMER_CXX_COMPILER}")
endif()

if(MODE STREQUAL "find_package")
  if(NOT CXKIT_BINARY_DIR)
    message(FATAL_ERROR "run_consumer.cmake: find_package mode needs -DCXKIT_BINARY_DIR=<main build dir>")
  endif()
  set(_prefix "${WORK_DIR}/prefix")
  run_step("install cxkit to ${_prefix}"
           "${CMAKE_COMMAND}" --install "${CXKIT_BINARY_DIR}" --prefix "${_prefix}"
           --config "${CONSUMER_BUILD_TYPE}")
  if(NOT EXISTS "${_prefix}/include/cxkit/cxkit.hpp")
    message(FATAL_ERROR "install did not put include/cxkit/cxkit.hpp under ${_prefix}")
  endif()
  list(APPEND _configure "-DCMAKE_PREFIX_PATH=${_prefix}" "-DEXPECTED_CXKIT_PREFIX=${_prefix}")
else()
  list(APPEND _configure "-DCXKIT_SOURCE_DIR=${CXKIT_SOURCE_DIR}")
endif()

run_step("configure ${_src}" ${_configure})
run_step("build" "${CMAKE_COMMAND}" --build "${_build}" --config "${CONSUMER_BUILD_TYPE}")

# Locate the program (single- or multi-config layouts).
set(_exe "")
foreach(_candidate IN ITEMS "${_build}/consumer" "${_build}/consumer.exe"
                            "${_build}/${CONSUMER_BUILD_TYPE}/consumer"
                            "${_build}/${CONSUMER_BUILD_TYPE}/consumer.exe")
  if(EXISTS "${_candidate}" AND NOT IS_DIRECTORY "${_candidate}")
    set(_exe "${_candidate}")
    break()
  endif()
endforeach()
if(NOT _exe)
  message(FATAL_ERROR "[consumer ${MODE}] built program not found in ${_build}")
endif()

execute_process(COMMAND "${_exe}" RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _err)
string(STRIP "${_out}" _stripped)
if(NOT _rc EQUAL 0 OR NOT _stripped STREQUAL "0")
  message(FATAL_ERROR "[consumer ${MODE}] program exit ${_rc}, stdout '${_out}' (expected '0'), stderr '${_err}'")
endif()
message(STATUS "[consumer ${MODE}] OK: printed '${_stripped}'")
