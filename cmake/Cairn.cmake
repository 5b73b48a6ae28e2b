# Helpers that declare Cairn's libraries and tests the way absl_cc_library does:
# NAME, HDRS (public), SRCS (private), DEPS (public), PRIVATE_DEPS.

# Which cairn libraries each library may depend on: ARCHITECTURE.md's arrows, all pointing
# down. A dependency outside this list fails configuration.
set(CAIRN_ALLOWED_DEPS_base "")
set(CAIRN_ALLOWED_DEPS_raft "base")
set(CAIRN_ALLOWED_DEPS_gossip "base")
set(CAIRN_ALLOWED_DEPS_kv "base")
set(CAIRN_ALLOWED_DEPS_catalog "base")
set(CAIRN_ALLOWED_DEPS_dns "base;catalog")
set(CAIRN_ALLOWED_DEPS_agent "base;raft;gossip;kv;catalog;dns")

set(CAIRN_OWN_WARNINGS -Wall -Wextra -Werror -Wno-unused-parameter)
if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  list(APPEND CAIRN_OWN_WARNINGS -Wthread-safety)
endif()

function(_cairn_check_arrows name)
  foreach(dep IN LISTS ARGN)
    if(dep MATCHES "^cairn::(.+)$")
      set(target_lib "${CMAKE_MATCH_1}")
      if(NOT DEFINED CAIRN_ALLOWED_DEPS_${name})
        message(FATAL_ERROR "cairn::${name} is not in cmake/Cairn.cmake's arrow table")
      endif()
      if(NOT target_lib IN_LIST CAIRN_ALLOWED_DEPS_${name})
        message(FATAL_ERROR
          "cairn::${name} may not depend on cairn::${target_lib}: arrows point down only "
          "(see ARCHITECTURE.md and cmake/Cairn.cmake)")
      endif()
    endif()
  endforeach()
endfunction()

# cairn_cc_library(NAME base HDRS ... SRCS ... DEPS ... PRIVATE_DEPS ...)
# Declares target cairn_<name> with alias cairn::<name>; public headers live in
# lib<name>/include and are included as <cairn/<name>/x.h>.
function(cairn_cc_library)
  cmake_parse_arguments(L "" "NAME" "HDRS;SRCS;DEPS;PRIVATE_DEPS" ${ARGN})
  _cairn_check_arrows(${L_NAME} ${L_DEPS} ${L_PRIVATE_DEPS})
  add_library(cairn_${L_NAME} STATIC ${L_SRCS} ${L_HDRS})
  add_library(cairn::${L_NAME} ALIAS cairn_${L_NAME})
  target_include_directories(cairn_${L_NAME} PUBLIC
    $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include>)
  target_link_libraries(cairn_${L_NAME} PUBLIC ${L_DEPS} PRIVATE ${L_PRIVATE_DEPS})
  target_compile_options(cairn_${L_NAME} PRIVATE ${CAIRN_OWN_WARNINGS})
endfunction()

# cairn_cc_test(NAME base_duration SRCS ... DEPS ... LABELS unit)
# One Catch2 binary; every TEST_CASE becomes a ctest test carrying LABELS. Labels: unit
# (fast, no sleeps), sim (deterministic simulations), process (real processes on
# 127.0.0.x), slow (minutes; run by scripts/test.sh --slow only).
function(cairn_cc_test)
  if(NOT CAIRN_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(T "" "NAME;TIMEOUT" "SRCS;DEPS;LABELS" ${ARGN})
  if(NOT T_LABELS)
    set(T_LABELS unit)
  endif()
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  add_executable(${T_NAME}_test ${T_SRCS})
  target_link_libraries(${T_NAME}_test PRIVATE cairn_test_main ${T_DEPS})
  target_compile_options(${T_NAME}_test PRIVATE ${CAIRN_OWN_WARNINGS})
  target_precompile_headers(${T_NAME}_test REUSE_FROM cairn_test_pch)
  # `unit_tests` builds every fast test binary (the sanitizer build in scripts/test.sh).
  if("unit" IN_LIST T_LABELS)
    if(NOT TARGET unit_tests)
      add_custom_target(unit_tests)
    endif()
    add_dependencies(unit_tests ${T_NAME}_test)
  endif()
  # --warn NoTests: a ctest entry whose name matches no test case fails instead of passing
  # silently (a ';' in a TEST_CASE name splits it into two such entries). Catch2 v2 takes
  # only one --warn, so NoAssertions is left to review.
  catch_discover_tests(${T_NAME}_test
    TEST_PREFIX "${T_NAME}: "
    EXTRA_ARGS --warn NoTests
    PROPERTIES LABELS "${T_LABELS}" TIMEOUT ${T_TIMEOUT})
endfunction()

# cairn_fuzz_target(NAME config_reader SRCS ... DEPS ...): a libFuzzer binary
# fuzz_<name>, built only with -DCAIRN_FUZZ=ON.
function(cairn_fuzz_target)
  cmake_parse_arguments(F "" "NAME" "SRCS;DEPS" ${ARGN})
  add_executable(fuzz_${F_NAME} ${F_SRCS})
  target_link_libraries(fuzz_${F_NAME} PRIVATE ${F_DEPS})
  target_compile_options(fuzz_${F_NAME} PRIVATE ${CAIRN_OWN_WARNINGS})
  target_link_options(fuzz_${F_NAME} PRIVATE -fsanitize=fuzzer)
endfunction()

# cairn_proto_library(NAME raft_proto PROTOS proto/raft.proto [GRPC] [DEPS ...])
# Generates C++ from .proto files (and gRPC stubs with GRPC) into the build tree and
# builds them as static library <NAME>. Include the generated headers by the proto file's
# path relative to the calling folder, e.g. #include "proto/raft.pb.h". Generated code is
# built without our -Werror warnings.
function(cairn_proto_library)
  cmake_parse_arguments(P "GRPC" "NAME" "PROTOS;DEPS" ${ARGN})
  set(out_dir "${CMAKE_CURRENT_BINARY_DIR}/gen")
  set(srcs "")
  foreach(proto IN LISTS P_PROTOS)
    get_filename_component(abs "${proto}" ABSOLUTE)
    file(RELATIVE_PATH rel "${CMAKE_CURRENT_SOURCE_DIR}" "${abs}")
    string(REGEX REPLACE "\\.proto$" "" stem "${rel}")
    set(gen "${out_dir}/${stem}.pb.cc" "${out_dir}/${stem}.pb.h")
    set(plugin_args "")
    if(P_GRPC)
      list(APPEND gen "${out_dir}/${stem}.grpc.pb.cc" "${out_dir}/${stem}.grpc.pb.h")
      set(plugin_args "--grpc_out=${out_dir}"
                      "--plugin=protoc-gen-grpc=${CAIRN_GRPC_CPP_PLUGIN}")
    endif()
    add_custom_command(
      OUTPUT ${gen}
      COMMAND ${CMAKE_COMMAND} -E make_directory "${out_dir}"
      COMMAND ${CAIRN_PROTOC} "--proto_path=${CMAKE_CURRENT_SOURCE_DIR}"
              "--cpp_out=${out_dir}" ${plugin_args} "${rel}"
      DEPENDS "${abs}" ${CAIRN_PROTOC}
      WORKING_DIRECTORY "${CMAKE_CURRENT_SOURCE_DIR}"
      COMMENT "protoc ${rel}"
      VERBATIM)
    list(APPEND srcs ${gen})
  endforeach()
  add_library(${P_NAME} STATIC ${srcs})
  target_include_directories(${P_NAME} PUBLIC "${out_dir}")
  target_link_libraries(${P_NAME} PUBLIC protobuf::libprotobuf ${P_DEPS})
  if(P_GRPC)
    target_link_libraries(${P_NAME} PUBLIC gRPC::grpc++)
  endif()
endfunction()
