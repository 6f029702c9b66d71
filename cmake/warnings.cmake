# Compiler warnings for cxkit's own targets (tests, benchmarks, examples, the Python module).
# Never applied to the exported cxkit::cxkit interface: consumers choose their own flags.
include_guard(GLOBAL)

option(CXKIT_WERROR "Treat compiler warnings as errors in cxkit's own targets" OFF)

function(cxkit_enable_warnings target)
  if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow)
    if(CXKIT_WERROR)
      target_compile_options(${target} PRIVATE -Werror)
    endif()
  elseif(MSVC)
    target_compile_options(${target} PRIVATE /W4 /permissive-)
    if(CXKIT_WERROR)
      target_compile_options(${target} PRIVATE /WX)
    endif()
  endif()
endfunction()
