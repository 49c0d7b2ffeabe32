# The attn version: the one place to bump it. Included by the top-level
# CMakeLists.txt (project(attn VERSION ...)) and by runtime/CMakeLists.txt,
# which also builds standalone, so the compiler, its manifests and the
# runtime always carry the same number.
set(ATTN_VERSION_MAJOR 0)
set(ATTN_VERSION_MINOR 4)
set(ATTN_VERSION_PATCH 0)
set(ATTN_VERSION
    "${ATTN_VERSION_MAJOR}.${ATTN_VERSION_MINOR}.${ATTN_VERSION_PATCH}")
