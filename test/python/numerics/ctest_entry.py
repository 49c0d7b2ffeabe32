"""ctest entry of the numerics suite: skips (exit 77) with a clear message
when the interpreter lacks the pinned test packages, else runs pytest."""

import importlib
import os
import sys

SKIP = 77  # SKIP_RETURN_CODE in test/python/CMakeLists.txt


def main():
    missing = []
    for mod in ("numpy", "ml_dtypes", "onnx", "onnxruntime", "pytest"):
        try:
            importlib.import_module(mod)
        except ImportError:
            missing.append(mod)
    if missing:
        print(f"SKIPPED: {sys.executable} lacks {', '.join(missing)}; "
              "install requirements-test.txt into a venv and configure with "
              "-DATTN_PYTHON=<venv>/bin/python (scripts/attn.sh test does "
              "both)")
        return SKIP
    import pytest
    here = os.path.dirname(os.path.abspath(__file__))
    return pytest.main(["-q", "-rs", "-p", "no:cacheprovider", here] +
                       sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
