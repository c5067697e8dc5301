# What a consumer of berth gets: the libraries under their export names, object code
# any toolchain links, and (with BERTH_INSTALL) the install rules: headers, static
# libraries, berth-config.cmake with its version file and one exported target set
# per component, and one relocatable pkg-config file per component.
# docs/install.md is the user's side of this file.

# Every library berth may build, in dependency order, with what each needs of berth.
# The components a consumer asks for are core, sim, asio and uv; engine (the portable
# handler API) and posix come with the components that need them, and may be asked
# for on their own too.
set(berth_components core engine posix sim asio uv)
set(berth_core_needs "")
set(berth_engine_needs core)
set(berth_posix_needs engine core)
set(berth_sim_needs engine core)
set(berth_asio_needs posix engine core)
set(berth_uv_needs posix engine core)

set(berth_built_components)
foreach(component IN LISTS berth_components)
  if(NOT TARGET berth_${component})
    continue()
  endif()
  list(APPEND berth_built_components ${component})
  # berth_asio is berth::asio in the build tree (an ALIAS) and once installed.
  set_target_properties(berth_${component} PROPERTIES EXPORT_NAME ${component})
  # CMake compiles GCC's LTO objects slim (-fno-fat-lto-objects): an archive of them
  # links only with the very same GCC, never with clang. Fat objects carry machine
  # code besides, so any consumer links the archives, and berth's own programs
  # still get link-time optimisation. GCC takes the last of the two flags: the
  # target's options come after CMake's IPO flags.
  if(berth_ipo_supported AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(berth_${component} PRIVATE $<$<CONFIG:Release>:-ffat-lto-objects>)
  endif()
endforeach()

if(NOT BERTH_INSTALL)
  return()
endif()

include(CMakePackageConfigHelpers)

set(berth_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/berth)
set(berth_pkgconfig_dir ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# pkg-config files find the prefix from where they lie (${pcfiledir}), so that an
# installed tree can be moved. The climb from the pkg-config folder to the prefix
# depends only on the relative libdir (lib, or lib/x86_64-linux-gnu for /usr).
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}" OR IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  message(WARNING "berth: an absolute CMAKE_INSTALL_LIBDIR or CMAKE_INSTALL_INCLUDEDIR makes "
                  "the pkg-config files name those absolute folders: the installed tree "
                  "cannot be moved")
  set(berth_pc_prefix "${CMAKE_INSTALL_PREFIX}")
  set(berth_pc_libdir "${CMAKE_INSTALL_FULL_LIBDIR}")
  set(berth_pc_includedir "${CMAKE_INSTALL_FULL_INCLUDEDIR}")
else()
  file(RELATIVE_PATH berth_pc_climb "/prefix/${berth_pkgconfig_dir}" "/prefix")
  string(REGEX REPLACE "/$" "" berth_pc_climb "${berth_pc_climb}")
  set(berth_pc_prefix "\${pcfiledir}/${berth_pc_climb}")
  set(berth_pc_libdir "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
  set(berth_pc_includedir "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()

# What each component's pkg-config file adds to its berth requirements. The
# libraries are static, so whatever they call must be on the consumer's link line:
# that is Requires and Libs, not Requires.private. Boost.Asio is header-only and
# has no pkg-config file on Debian (its headers are in /usr/include); it needs
# threads. libuv's headers are part of berth/uv/server.hpp and its library is
# called by libberth_uv.a: a public requirement.
set(berth_core_description "berth's sans-IO server core (C++20)")
set(berth_engine_description "berth's portable handler API and engine (C++20)")
set(berth_posix_description "berth's POSIX listener and socket I/O (C++20)")
set(berth_sim_description "berth's deterministic simulator backend (C++20)")
set(berth_asio_description "berth's Boost.Asio backend (C++20)")
set(berth_uv_description "berth's libuv backend (C++20)")
set(berth_asio_pc_cflags " -pthread")
set(berth_asio_pc_libs " -pthread")
set(berth_uv_pc_requires "libuv >= ${BERTH_LIBUV_MIN_VERSION}")

foreach(component IN LISTS berth_built_components)
  install(TARGETS berth_${component} EXPORT berth-${component}-targets
          ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
          LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
          RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  # The headers with their detail/ folders: public headers include them.
  get_target_property(source_dir berth_${component} SOURCE_DIR)
  install(DIRECTORY ${source_dir}/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
          FILES_MATCHING PATTERN "*.hpp")
  # One target file per component: berth-config.cmake loads only the ones asked
  # for (and what they need), so asking for core never looks for Boost or libuv.
  install(EXPORT berth-${component}-targets NAMESPACE berth::
          FILE berth-${component}-targets.cmake DESTINATION ${berth_cmake_dir})

  set(berth_pc_name berth-${component})
  set(berth_pc_description "${berth_${component}_description}")
  set(berth_pc_library berth_${component})
  list(TRANSFORM berth_${component}_needs PREPEND berth- OUTPUT_VARIABLE berth_pc_requires)
  if(DEFINED berth_${component}_pc_requires)
    list(APPEND berth_pc_requires "${berth_${component}_pc_requires}")
  endif()
  list(JOIN berth_pc_requires ", " berth_pc_requires)
  set(berth_pc_cflags "${berth_${component}_pc_cflags}")
  set(berth_pc_libs "${berth_${component}_pc_libs}")
  configure_file(${CMAKE_CURRENT_LIST_DIR}/berth.pc.in
                 ${PROJECT_BINARY_DIR}/pkgconfig/berth-${component}.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/pkgconfig/berth-${component}.pc
          DESTINATION ${berth_pkgconfig_dir})
endforeach()

# The simulator's explorer, for running berth's own scenarios by seed.
if(TARGET berth-sim)
  install(TARGETS berth-sim RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()

configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/berth-config.cmake.in
                              ${PROJECT_BINARY_DIR}/berth-config.cmake
                              INSTALL_DESTINATION ${berth_cmake_dir})
# Before 1.0 a minor version may break the API (0.2 is not a drop-in for 0.1), and
# patch releases do not: a consumer asking for 0.1 accepts 0.1.x only. From 1.0 on
# this becomes SameMajorVersion.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/berth-config-version.cmake
                                 VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/berth-config.cmake
              ${PROJECT_BINARY_DIR}/berth-config-version.cmake
        DESTINATION ${berth_cmake_dir})

install(FILES ${PROJECT_SOURCE_DIR}/LICENSE ${PROJECT_SOURCE_DIR}/CHANGELOG.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
