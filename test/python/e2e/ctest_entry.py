"""ctest entry of the end-to-end paged KV-cache suite: skips (exit 77, the
SKIP_RETURN_CODE of test/python/CMakeLists.txt) with a clear message when the
interpreter lacks numpy/ml_dtypes/pytest, or when the runtime library
(ATTN_RUNTIME_LIB) or attn-runner (ATTN_RUNNER) is not available; else runs
pytest on this directory."""

import importlib
import os
import sys

SKIP = 77


def main():
    missing = []
    for mod in ("numpy", "ml_dtypes", "pytest"):
        try:
            importlib.import_module(mod)
        except ImportError:
            missing.append(mod)
    if missing:
        print(f"SKIPPED: {sys.executable} lacks {', '.join(missing)}; "
              "install requirements-test.txt into a venv and configure with "
              "-DATTN_PYTHON=<venv>/bin/python")
        return SKIP
    lib = os.environ.get("ATTN_RUNTIME_LIB", "")
    if not lib or not os.path.isfile(lib):
        print(f"SKIPPED: runtime library not found (ATTN_RUNTIME_LIB={lib!r});"
              " configure with -DATTN_BUILD_RUNTIME=ON and build "
              "attn_runtime_shared")
        return SKIP
    runner = os.environ.get("ATTN_RUNNER", "")
    if not runner or not os.access(runner, os.X_OK):
        print(f"SKIPPED: attn-runner not found (ATTN_RUNNER={runner!r}); "
              "build the attn-runner target")
        return SKIP
    import pytest
    here = os.path.dirname(os.path.abspath(__file__))
    return pytest.main(["-q", "-rs", "-p", "no:cacheprovider", here] +
                       sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
