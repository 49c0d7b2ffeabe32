# -*- Python -*-
import os

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "ATTN"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test", ".ptx"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.attn_obj_root, "test")
config.excludes = ["CMakeLists.txt", "README.txt", "lit.cfg.py", "lit.site.cfg.py",
                   "unittests", "Inputs", "python", "oracles"]

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%attn_src_root", config.attn_src_root))
config.substitutions.append(("%attn_lib_dir", config.attn_lib_dir))
config.substitutions.append(("%attn_version", config.attn_version))

llvm_config.with_system_environment(["HOME", "INCLUDE", "LIB", "TMP", "TEMP"])
llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)

tool_dirs = [config.attn_tools_dir, config.llvm_tools_dir]
tools = ["attn-opt", "attn-capi-test", "attn-capi-run-test", ToolSubst("attn-runner", unresolved="ignore"),
         ToolSubst("attn-translate", unresolved="ignore"),
         ToolSubst("attn-gpu-sim", unresolved="ignore")]
llvm_config.add_tool_substitutions(tools, tool_dirs)

# The CPU's vector extensions (code lowered for AVX-512 runs only with it).
try:
    with open("/proc/cpuinfo") as cpuinfo:
        if " avx512f" in cpuinfo.read():
            config.available_features.add("avx512")
except OSError:
    pass

if config.attn_has_ptxas:
    config.available_features.add("ptxas")
    config.substitutions.append(("%ptxas", config.attn_ptxas))
else:
    lit_config.note("ptxas not found: GPU compile checks (REQUIRES: ptxas) are skipped")
