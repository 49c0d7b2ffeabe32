# The compiler SDK: what `cmake --install` puts next to the tools so another
# project can build on attn with find_package(Attn CONFIG):
#   include/attn/..., include/attn-c/...   headers, ODS (.td) and the
#                                          generated .inc and attn/Version.h
#   lib/libMLIRAttn*.a, lib/libAttn*.a     static libraries (they link
#                                          Debian's shared libMLIR.so)
#   lib/cmake/Attn/                        AttnConfig.cmake,
#                                          AttnConfigVersion.cmake and
#                                          AttnTargets.cmake (Attn::...)
# Included by the top-level CMakeLists.txt once the libraries exist. The
# libraries are declared with DISABLE_INSTALL so that they are installed here
# alone, into the AttnTargets export set. Every rule is in the AttnSDK
# component, so the SDK alone installs with
#   cmake --install <build> --component AttnSDK --prefix <dir>
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# Build target -> exported name (Attn::<name>).
set(ATTN_SDK_LIBRARIES
  AttnUtils MLIRAttnUtils
  MLIRAttn MLIRAttnDialect
  MLIRAttnTransforms MLIRAttnTransforms
  MLIRAttnConversion MLIRAttnConversion
  AttnRegistration MLIRAttnRegistration
  AttnTarget MLIRAttnTarget
  AttnToolSupport MLIRAttnToolSupport
  AttnCpuJit MLIRAttnCpuJit
  AttnCAPI MLIRAttnCAPI)

set(_attn_sdk_targets)
set(ATTN_SDK_EXPORT_NAMES)
list(LENGTH ATTN_SDK_LIBRARIES _attn_sdk_len)
math(EXPR _attn_sdk_last "${_attn_sdk_len} - 1")
foreach(_attn_i RANGE 0 ${_attn_sdk_last} 2)
  math(EXPR _attn_j "${_attn_i} + 1")
  list(GET ATTN_SDK_LIBRARIES ${_attn_i} _attn_target)
  list(GET ATTN_SDK_LIBRARIES ${_attn_j} _attn_name)
  set_target_properties(${_attn_target} PROPERTIES EXPORT_NAME ${_attn_name})
  # Consumers compile the headers as C++17 (what MLIR 22 needs).
  set_property(TARGET ${_attn_target} APPEND
               PROPERTY INTERFACE_COMPILE_FEATURES cxx_std_17)
  # The same names inside this build (add_subdirectory, FetchContent).
  add_library(Attn::${_attn_name} ALIAS ${_attn_target})
  list(APPEND _attn_sdk_targets ${_attn_target})
  list(APPEND ATTN_SDK_EXPORT_NAMES ${_attn_name})
endforeach()

install(TARGETS ${_attn_sdk_targets}
  EXPORT AttnTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT AttnSDK
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT AttnSDK
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

# Headers and ODS from the source tree (the simulator's headers stay out:
# its library is not part of the SDK).
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/attn
                  ${PROJECT_SOURCE_DIR}/include/attn-c
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT AttnSDK
  FILES_MATCHING PATTERN "*.h" PATTERN "*.td"
  PATTERN "GpuSim" EXCLUDE)
# TableGen output and attn/Version.h from the build tree.
install(DIRECTORY ${PROJECT_BINARY_DIR}/include/attn
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT AttnSDK
  FILES_MATCHING PATTERN "*.inc" PATTERN "*.h"
  PATTERN "CMakeFiles" EXCLUDE)

install(EXPORT AttnTargets
  NAMESPACE Attn::
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/Attn COMPONENT AttnSDK)

set(ATTN_SDK_LLVM_VERSION "${LLVM_VERSION_MAJOR}.${LLVM_VERSION_MINOR}")
configure_package_config_file(
  ${CMAKE_CURRENT_LIST_DIR}/AttnConfig.cmake.in
  ${PROJECT_BINARY_DIR}/sdk/AttnConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/Attn
  PATH_VARS CMAKE_INSTALL_INCLUDEDIR)
# Before 1.0 a minor version may change the API: find_package(Attn 0.4)
# accepts 0.4.x only (as AttnRuntime does).
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(_attn_sdk_compatibility SameMinorVersion)
else()
  set(_attn_sdk_compatibility SameMajorVersion)
endif()
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/sdk/AttnConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY ${_attn_sdk_compatibility})
install(FILES
  ${PROJECT_BINARY_DIR}/sdk/AttnConfig.cmake
  ${PROJECT_BINARY_DIR}/sdk/AttnConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/Attn COMPONENT AttnSDK)
