# The fuzzers' build rules, shared by fuzz/ (the core's and the simulated world's
# fuzzers) and examples/sim_testing (a user's handler under the simulated world).

# berth_add_fuzzer(<target> LIBRARIES <berth library targets>... [SIMULATOR]
#                  SOURCES <fuzz target sources>...)
#
# A libFuzzer executable (clang only). The libraries' sources are compiled into it
# with coverage instrumentation (-fsanitize=fuzzer-no-link), so the libraries every
# other target links stay uninstrumented; only the link pulls in libFuzzer.
# SIMULATOR adds the simulator's sources from its folder: the fuzz preset builds
# without the sim backend's targets.
function(berth_add_fuzzer target)
  cmake_parse_arguments(PARSE_ARGV 1 arg "SIMULATOR" "" "LIBRARIES;SOURCES")
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "BERTH_BUILD_FUZZERS needs clang (e.g. CXX=clang++-16)")
  endif()
  set(instrumented)
  set(includes)
  foreach(library IN LISTS arg_LIBRARIES)
    get_target_property(library_dir ${library} SOURCE_DIR)
    get_target_property(library_sources ${library} SOURCES)
    foreach(source IN LISTS library_sources)
      cmake_path(ABSOLUTE_PATH source BASE_DIRECTORY ${library_dir} OUTPUT_VARIABLE absolute)
      list(APPEND instrumented ${absolute})
    endforeach()
    list(APPEND includes $<TARGET_PROPERTY:${library},INTERFACE_INCLUDE_DIRECTORIES>)
  endforeach()
  if(arg_SIMULATOR)
    file(GLOB simulator_sources CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/backends/sim/src/*.cpp)
    list(APPEND instrumented ${simulator_sources})
    list(APPEND includes ${PROJECT_SOURCE_DIR}/backends/sim/include)
  endif()
  add_executable(${target} ${arg_SOURCES} ${instrumented})
  target_include_directories(${target} PRIVATE ${includes})
  target_compile_features(${target} PRIVATE cxx_std_20)
  target_compile_options(${target} PRIVATE -fsanitize=fuzzer-no-link)
  target_link_options(${target} PRIVATE -fsanitize=fuzzer)
  target_link_libraries(${target} PRIVATE berth_warnings)
endfunction()

# berth_fuzz_tests(<target> <corpus dir> <runs>)
#
# The two tests every fuzzer gets. fuzz/<target>_corpus_run: the committed corpus,
# each input once (no fuzzing). fuzz/<target>_smoke, the smoke run CI gives every
# fuzzer: real fuzzing from the committed corpus with a fixed seed and a bounded
# number of inputs, so a run is repeatable and short. New inputs go to a scratch
# folder in the build tree (libFuzzer writes to the first corpus folder it is
# given), never into the committed corpus.
function(berth_fuzz_tests target corpus_dir runs)
  add_test(NAME fuzz/${target}_corpus_run COMMAND ${target} -runs=0 ${corpus_dir})
  set(scratch ${CMAKE_CURRENT_BINARY_DIR}/${target}_smoke_corpus)
  file(MAKE_DIRECTORY ${scratch})
  add_test(NAME fuzz/${target}_smoke
           COMMAND ${target} -seed=1 -runs=${runs} -max_total_time=120 -print_final_stats=1
                   ${scratch} ${corpus_dir})
  set_tests_properties(fuzz/${target}_smoke PROPERTIES LABELS fuzz_smoke)
endfunction()
