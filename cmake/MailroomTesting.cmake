# mailroom_test(NAME name SOURCES a.cc b.cc LIBS lib1 lib2 [LABELS unit])
# Builds one GoogleTest binary and registers each of its tests with CTest.
include(GoogleTest)
enable_testing()

function(mailroom_test)
  cmake_parse_arguments(T "" "NAME" "SOURCES;LIBS;LABELS" ${ARGN})
  if(NOT T_LABELS)
    set(T_LABELS unit)
  endif()
  add_executable(${T_NAME} ${T_SOURCES})
  target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} GTest::gtest GTest::gmock GTest::gtest_main)
  gtest_discover_tests(${T_NAME} PROPERTIES LABELS "${T_LABELS}" DISCOVERY_TIMEOUT 60)
endfunction()

# mailroom_fuzzer(NAME name SOURCES a.cc LIBS lib1): libFuzzer target, only with MAILROOM_FUZZ.
# Without it the same source is built as a replay binary over its seed corpus (tests/fuzz/main.cc),
# so fuzz targets keep compiling and their seeds run in ordinary test runs.
function(mailroom_fuzzer)
  cmake_parse_arguments(F "" "NAME;CORPUS" "SOURCES;LIBS" ${ARGN})
  if(MAILROOM_FUZZ)
    add_executable(${F_NAME} ${F_SOURCES})
    target_compile_options(${F_NAME} PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_options(${F_NAME} PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_libraries(${F_NAME} PRIVATE ${F_LIBS})
  else()
    add_executable(${F_NAME} ${F_SOURCES} ${PROJECT_SOURCE_DIR}/tests/fuzz/replay_main.cc)
    target_link_libraries(${F_NAME} PRIVATE ${F_LIBS})
    if(F_CORPUS)
      add_test(NAME ${F_NAME}.replay COMMAND ${F_NAME} ${F_CORPUS})
      set_tests_properties(${F_NAME}.replay PROPERTIES LABELS "unit;fuzz")
    endif()
  endif()
endfunction()
