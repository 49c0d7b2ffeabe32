# Writes include/attn/Version.h from Version.h.in, with `git describe` of the
# source tree when it is a git checkout of its own (not a tarball, and not a
# tarball unpacked inside some other repository); otherwise the plain version.
#
# Run as a script (cmake -P) at build time whenever the checkout's HEAD moves,
# and included once at configure time. Inputs: ATTN_SOURCE_DIR, ATTN_VERSION_IN,
# ATTN_VERSION_OUT and ATTN_VERSION_{MAJOR,MINOR,PATCH}. The file is only
# rewritten when its text changes, so a commit rebuilds only what includes it.
#
# Git runs with --no-optional-locks: other people may be committing in the
# same checkout, and a build must never take the index lock.

set(ATTN_VERSION
    "${ATTN_VERSION_MAJOR}.${ATTN_VERSION_MINOR}.${ATTN_VERSION_PATCH}")
set(ATTN_GIT_DESCRIBE "${ATTN_VERSION}")
set(ATTN_HAS_GIT_DESCRIBE 0)

find_package(Git QUIET)
if(GIT_FOUND)
  execute_process(
    COMMAND "${GIT_EXECUTABLE}" --no-optional-locks rev-parse --show-toplevel
    WORKING_DIRECTORY "${ATTN_SOURCE_DIR}"
    RESULT_VARIABLE _attn_rc OUTPUT_VARIABLE _attn_top
    OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(_attn_rc EQUAL 0)
    get_filename_component(_attn_top "${_attn_top}" REALPATH)
    get_filename_component(_attn_src "${ATTN_SOURCE_DIR}" REALPATH)
  endif()
  if(_attn_rc EQUAL 0 AND _attn_top STREQUAL _attn_src)
    execute_process(
      COMMAND "${GIT_EXECUTABLE}" --no-optional-locks describe --tags --always
      WORKING_DIRECTORY "${ATTN_SOURCE_DIR}"
      RESULT_VARIABLE _attn_rc OUTPUT_VARIABLE _attn_describe
      OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    if(_attn_rc EQUAL 0 AND NOT _attn_describe STREQUAL "")
      # Tracked files changed since that commit: say so, as --dirty would.
      execute_process(
        COMMAND "${GIT_EXECUTABLE}" --no-optional-locks status --porcelain
                --untracked-files=no
        WORKING_DIRECTORY "${ATTN_SOURCE_DIR}"
        RESULT_VARIABLE _attn_rc OUTPUT_VARIABLE _attn_status
        OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
      if(_attn_rc EQUAL 0 AND NOT _attn_status STREQUAL "")
        string(APPEND _attn_describe "-dirty")
      endif()
      set(ATTN_GIT_DESCRIBE "${_attn_describe}")
      set(ATTN_HAS_GIT_DESCRIBE 1)
    endif()
  endif()
endif()

configure_file("${ATTN_VERSION_IN}" "${ATTN_VERSION_OUT}" @ONLY)
