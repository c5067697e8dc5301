# The simulator's soak (docs/reliability.md): berth-sim explores SEEDS seeds, each
# with its own faults, options, clients and close, and checks the server's rules
# after every step. Passes when every seed passed and the connections the servers
# accepted add up to at least MIN_ACCEPTS.
# cmake -DBERTH_SIM=<berth-sim> -DSEEDS=<n> -DMIN_ACCEPTS=<n> -P soak_sim_connections.cmake
execute_process(COMMAND ${BERTH_SIM} --seeds ${SEEDS} --quiet
                OUTPUT_VARIABLE out RESULT_VARIABLE status)
message("${out}")
if(NOT status EQUAL 0)
  message(FATAL_ERROR "berth-sim failed (exit status ${status})")
endif()
if(NOT out MATCHES "accepts +([0-9]+)")
  message(FATAL_ERROR "berth-sim printed no accepts count")
endif()
set(accepts ${CMAKE_MATCH_1})
if(accepts LESS MIN_ACCEPTS)
  message(FATAL_ERROR "${accepts} connections accepted over ${SEEDS} seeds, fewer than ${MIN_ACCEPTS}")
endif()
message("soak: ${accepts} simulated connections accepted over ${SEEDS} seeds, every seed passed")
