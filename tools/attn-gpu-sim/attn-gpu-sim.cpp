//===- attn-gpu-sim.cpp - run PTX kernels in the functional simulator -----===//
//
// Two modes:
//
//   attn-gpu-sim FILE.ptx --kernel=NAME --grid=X[,Y[,Z]] --block=X[,Y[,Z]]
//       [--shared-bytes=N] --arg=... [--arg=...] --out-dir=DIR
//       [--racecheck] [--stats] [--no-initcheck]
//
//   one launch; each --arg is one kernel parameter in order:
//     PATH.npy             a buffer (device pointer); after the run it is
//                          written to DIR/argI.npy (I = parameter position)
//     zeros:DTYPE:N0xN1..  a zero-filled buffer of that dtype (f16, bf16,
//                          f32, f64, i8, u8, i32, u32, i64), also written out
//     i32:V i64:V u32:V u64:V f32:V f64:V
//                          a scalar
//     tmap:buf=I,dtype=T,dims=D0xD1..,strides=S1x..,box=B0xB1..,
//          swizzle=none|32B|64B|128B
//                          a TMA tensor map over the buffer of parameter I
//                          (dims innermost first, strides in bytes of dims
//                          1..; by value or by pointer, as the kernel
//                          declares the parameter)
//
//   attn-gpu-sim --manifest=M.json --input=FILE.npy|PARAM=FILE.npy ...
//       --out-dir=DIR [--racecheck] [--stats] [--splits=N]
//
//   runs every kernel of an attn-compile artifact in order, parameters
//   bound by name; inputs in the order of the parameters the kernels read,
//   or by name; written parameters go to DIR/out0.npy, DIR/out1.npy, ... in
//   order of first appearance (and are listed on stdout). --splits launches
//   the split-KV kernels (grid x chosen at launch, up to the manifest's
//   grid_max) with N splits instead of the default.
//
// Exit status: 0 on success, 1 on a fault (the report names the PTX line,
// block and thread), 2 on bad usage or input.
//
//===----------------------------------------------------------------------===//

#include "../attn-runner/Npy.h"
#include "attn/GpuSim/Simulator.h"
#include "attn/runtime/attn_tensor_map.h"

#ifdef ATTN_GPUSIM_HAS_RUNTIME
#include "attn/runtime/attn_kernels.h"
#endif

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <vector>

using namespace attn::gpusim;
using mlir::attn::runner::NpyArray;

namespace {

[[noreturn]] void usage(const std::string &msg) {
  std::fprintf(stderr,
               "attn-gpu-sim: %s\n"
               "usage: attn-gpu-sim FILE.ptx --kernel=NAME --grid=X[,Y[,Z]] "
               "--block=X[,Y[,Z]] [--shared-bytes=N] --arg=... --out-dir=DIR "
               "[--racecheck] [--stats] [--no-initcheck]\n"
               "       attn-gpu-sim --manifest=M.json --input=[PARAM=]FILE.npy "
               "... --out-dir=DIR [--racecheck] [--stats] [--splits=N]\n",
               msg.c_str());
  std::exit(2);
}

[[noreturn]] void die(const std::string &msg) {
  std::fprintf(stderr, "attn-gpu-sim: %s\n", msg.c_str());
  std::exit(2);
}

bool parseU64(const std::string &s, uint64_t &v) {
  if (s.empty())
    return false;
  char *end = nullptr;
  errno = 0;
  unsigned long long x = std::strtoull(s.c_str(), &end, 0);
  if (errno || *end || s[0] == '-')
    return false;
  v = x;
  return true;
}

std::vector<uint64_t> parseList(const std::string &s, char sep,
                                const std::string &what) {
  std::vector<uint64_t> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, sep)) {
    uint64_t v;
    if (!parseU64(item, v))
      die("bad number '" + item + "' in " + what);
    out.push_back(v);
  }
  if (out.empty())
    die("empty " + what);
  return out;
}

Dim3 parseDim3(const std::string &s, const std::string &what) {
  std::vector<uint64_t> v = parseList(s, ',', what);
  if (v.size() > 3)
    die(what + " has more than three dimensions");
  for (uint64_t x : v)
    if (x == 0 || x > 0x7fffffffu)
      die(what + " dimension " + std::to_string(x) + " is out of range");
  Dim3 d;
  d.x = static_cast<uint32_t>(v[0]);
  if (v.size() > 1)
    d.y = static_cast<uint32_t>(v[1]);
  if (v.size() > 2)
    d.z = static_cast<uint32_t>(v[2]);
  return d;
}

bool readFile(const std::string &path, std::string &out) {
  std::ifstream f(path, std::ios::binary);
  if (!f)
    return false;
  std::stringstream ss;
  ss << f.rdbuf();
  out = ss.str();
  return true;
}

void makeDir(const std::string &dir) {
  ::mkdir(dir.c_str(), 0777);
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    die("cannot create output directory '" + dir + "'");
}

void writeOut(const std::string &path, const std::string &descr,
              const std::vector<int64_t> &shape, const uint8_t *data,
              size_t bytes) {
  std::string err;
  if (!mlir::attn::runner::writeNpy(
          path, descr, shape,
          llvm::ArrayRef<char>(reinterpret_cast<const char *>(data), bytes),
          err))
    die(err);
}

/// An argument of the single-launch mode.
struct Arg {
  enum Kind { Buffer, Scalar, TensorMap } kind = Buffer;
  NpyArray array;
  uint64_t address = 0;
  std::vector<uint8_t> scalar;
  std::string spec; ///< tmap spec
};

int tmapDtype(const std::string &s, unsigned &bytes) {
  static const struct {
    const char *name;
    int code;
    unsigned bytes;
  } table[] = {{"u8", ATTN_TMAP_U8, 1},     {"u16", ATTN_TMAP_U16, 2},
               {"u32", ATTN_TMAP_U32, 4},   {"i32", ATTN_TMAP_I32, 4},
               {"f16", ATTN_TMAP_F16, 2},   {"bf16", ATTN_TMAP_BF16, 2},
               {"f32", ATTN_TMAP_F32, 4},   {"e4m3", ATTN_TMAP_E4M3, 1},
               {"e5m2", ATTN_TMAP_E5M2, 1}, {"u64", ATTN_TMAP_U64, 8}};
  for (auto &e : table)
    if (s == e.name) {
      bytes = e.bytes;
      return e.code;
    }
  return -1;
}

/// Encodes `tmap:buf=I,dtype=..,dims=..,strides=..,box=..,swizzle=..`.
attn_tensor_map encodeTensorMap(const std::string &spec,
                                const std::vector<Arg> &args) {
  std::map<std::string, std::string> kv;
  std::stringstream ss(spec);
  std::string item;
  while (std::getline(ss, item, ',')) {
    size_t eq = item.find('=');
    if (eq == std::string::npos)
      die("tensor map field '" + item + "' is not KEY=VALUE");
    kv[item.substr(0, eq)] = item.substr(eq + 1);
  }
  for (const char *req : {"buf", "dtype", "dims", "box"})
    if (!kv.count(req))
      die(std::string("tensor map needs ") + req + "=");
  uint64_t buf;
  if (!parseU64(kv["buf"], buf) || buf >= args.size() ||
      args[buf].kind != Arg::Buffer)
    die("tensor map buf=" + kv["buf"] +
        " does not name a buffer parameter before it");
  unsigned eb;
  int dtype = tmapDtype(kv["dtype"], eb);
  if (dtype < 0)
    die("unknown tensor map dtype '" + kv["dtype"] + "'");
  std::vector<uint64_t> dims = parseList(kv["dims"], 'x', "tensor map dims");
  std::vector<uint64_t> box = parseList(kv["box"], 'x', "tensor map box");
  std::vector<uint64_t> strides;
  if (kv.count("strides"))
    strides = parseList(kv["strides"], 'x', "tensor map strides");
  else {
    uint64_t s = dims[0] * eb;
    for (size_t i = 1; i < dims.size(); ++i) {
      strides.push_back(s);
      s *= dims[i];
    }
  }
  std::string sw = kv.count("swizzle") ? kv["swizzle"] : "none";
  int swizzle = sw == "none"   ? ATTN_TMAP_SWIZZLE_NONE
                : sw == "32B"  ? ATTN_TMAP_SWIZZLE_32B
                : sw == "64B"  ? ATTN_TMAP_SWIZZLE_64B
                : sw == "128B" ? ATTN_TMAP_SWIZZLE_128B
                               : -1;
  if (swizzle < 0)
    die("unknown swizzle '" + sw + "' (none, 32B, 64B or 128B)");
  if (box.size() != dims.size() || strides.size() + 1 != dims.size())
    die("tensor map dims, strides and box disagree in rank");
  uint32_t rank = static_cast<uint32_t>(dims.size());
  uint64_t d64[5] = {}, s64[4] = {};
  uint32_t b32[5] = {}, es[5] = {1, 1, 1, 1, 1};
  for (uint32_t i = 0; i < rank && i < 5; ++i) {
    d64[i] = dims[i];
    b32[i] = static_cast<uint32_t>(box[i]);
  }
  for (size_t i = 0; i < strides.size() && i < 4; ++i)
    s64[i] = strides[i];
  // The whole tensor must lie inside the buffer.
  uint64_t extent = dims[0] * eb;
  for (size_t i = 1; i < dims.size(); ++i)
    extent = std::max(extent, (dims[i] - 1) * strides[i - 1] + dims[0] * eb);
  if (extent > args[buf].array.data.size())
    die("tensor map covers " + std::to_string(extent) +
        " bytes but buffer parameter " + std::to_string(buf) + " has " +
        std::to_string(args[buf].array.data.size()));
  attn_tensor_map map;
  char err[256] = {0};
  if (attn_tensor_map_encode(&map, static_cast<attn_tensor_map_dtype>(dtype),
                             rank, args[buf].address, d64, s64, b32, es,
                             ATTN_TMAP_INTERLEAVE_NONE,
                             static_cast<attn_tensor_map_swizzle>(swizzle),
                             ATTN_TMAP_L2_PROMOTION_NONE,
                             ATTN_TMAP_OOB_FILL_NONE, err, sizeof err) != 0)
    die(std::string("bad tensor map: ") + err);
  return map;
}

Options parseCommonFlag(const std::string &a, Options &opt, bool &handled) {
  handled = true;
  if (a == "--racecheck")
    opt.racecheck = true;
  else if (a == "--stats")
    opt.stats = true;
  else if (a == "--no-initcheck")
    opt.initcheck = false;
  else if (a.rfind("--max-instructions=", 0) == 0) {
    if (!parseU64(a.substr(19), opt.maxInstructions))
      die("bad --max-instructions");
  } else
    handled = false;
  return opt;
}

void reportRun(const Simulator &sim, const Options &opt, double seconds) {
  const Stats &s = sim.stats();
  std::fprintf(stderr,
               "attn-gpu-sim: %llu thread-instructions in %.3f s (%.1f M/s)\n",
               static_cast<unsigned long long>(s.threadInstructions), seconds,
               seconds > 0 ? s.threadInstructions / seconds / 1e6 : 0.0);
  if (opt.stats)
    std::printf("%s", sim.formatStats().c_str());
}

int runSingle(int argc, char **argv) {
  std::string ptxPath, kernel, outDir;
  Dim3 grid, block;
  bool haveGrid = false, haveBlock = false;
  uint64_t sharedBytes = 0;
  std::vector<std::string> argSpecs;
  Options opt;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    bool handled;
    parseCommonFlag(a, opt, handled);
    if (handled)
      continue;
    if (a.rfind("--kernel=", 0) == 0)
      kernel = a.substr(9);
    else if (a.rfind("--grid=", 0) == 0) {
      grid = parseDim3(a.substr(7), "--grid");
      haveGrid = true;
    } else if (a.rfind("--block=", 0) == 0) {
      block = parseDim3(a.substr(8), "--block");
      haveBlock = true;
    } else if (a.rfind("--shared-bytes=", 0) == 0) {
      if (!parseU64(a.substr(15), sharedBytes))
        die("bad --shared-bytes");
    } else if (a.rfind("--arg=", 0) == 0)
      argSpecs.push_back(a.substr(6));
    else if (a.rfind("--out-dir=", 0) == 0)
      outDir = a.substr(10);
    else if (a.rfind("--", 0) == 0)
      usage("unknown option '" + a + "'");
    else if (ptxPath.empty())
      ptxPath = a;
    else
      usage("more than one PTX file");
  }
  if (ptxPath.empty())
    usage("no PTX file");
  if (kernel.empty() || !haveGrid || !haveBlock)
    usage("--kernel, --grid and --block are required");
  std::string text, error;
  if (!readFile(ptxPath, text))
    die("cannot read '" + ptxPath + "'");
  std::unique_ptr<Module> mod = parsePtx(text, ptxPath, error);
  if (!mod)
    die(error);
  const Kernel *k = mod->findKernel(kernel);
  if (!k || !k->isEntry) {
    std::string names;
    for (auto &kk : mod->kernels)
      if (kk->isEntry)
        names += (names.empty() ? "" : ", ") + kk->name;
    die("no kernel '" + kernel + "' in " + ptxPath + " (kernels: " + names +
        ")");
  }
  if (argSpecs.size() != k->params.size())
    die("kernel " + kernel + " takes " + std::to_string(k->params.size()) +
        " parameters, got " + std::to_string(argSpecs.size()) + " --arg");

  Device device;
  std::vector<Arg> args(argSpecs.size());
  std::vector<uint8_t> params(k->paramBytes, 0);
  for (size_t i = 0; i < argSpecs.size(); ++i) {
    const std::string &s = argSpecs[i];
    const Param &p = k->params[i];
    Arg &arg = args[i];
    auto needSize = [&](uint64_t bytes, const std::string &what) {
      if (p.size != bytes)
        die("parameter " + std::to_string(i) + " ('" + p.name + "') is " +
            std::to_string(p.size) + " bytes; " + what + " is " +
            std::to_string(bytes));
    };
    size_t colon = s.find(':');
    std::string kind = colon == std::string::npos ? "" : s.substr(0, colon);
    if (kind == "i32" || kind == "u32" || kind == "i64" || kind == "u64" ||
        kind == "f32" || kind == "f64") {
      arg.kind = Arg::Scalar;
      std::string v = s.substr(colon + 1);
      char *end = nullptr;
      errno = 0;
      uint64_t bits = 0;
      unsigned bytes = kind[1] == '3' ? 4 : 8;
      if (kind[0] == 'f') {
        double d = std::strtod(v.c_str(), &end);
        if (kind == "f32") {
          float f = static_cast<float>(d);
          std::memcpy(&bits, &f, 4);
        } else {
          std::memcpy(&bits, &d, 8);
        }
      } else if (kind[0] == 'i') {
        bits = static_cast<uint64_t>(std::strtoll(v.c_str(), &end, 0));
      } else {
        bits = std::strtoull(v.c_str(), &end, 0);
      }
      if (v.empty() || *end || errno)
        die("bad scalar argument '" + s + "'");
      needSize(bytes, kind);
      std::memcpy(params.data() + p.offset, &bits, bytes);
    } else if (kind == "zeros") {
      arg.kind = Arg::Buffer;
      std::string rest = s.substr(colon + 1);
      size_t c2 = rest.find(':');
      if (c2 == std::string::npos)
        die("expected zeros:DTYPE:SHAPE, got '" + s + "'");
      std::string dtype = rest.substr(0, c2);
      static const std::map<std::string, std::pair<std::string, unsigned>>
          kinds = {
              {"f16", {"<f2", 2}}, {"bf16", {"<u2", 2}}, {"f32", {"<f4", 4}},
              {"f64", {"<f8", 8}}, {"i8", {"|i1", 1}},   {"u8", {"|u1", 1}},
              {"i32", {"<i4", 4}}, {"u32", {"<u4", 4}},  {"i64", {"<i8", 8}}};
      auto it = kinds.find(dtype);
      if (it == kinds.end())
        die("unknown dtype '" + dtype + "' in '" + s + "'");
      uint64_t count = 1;
      for (uint64_t d : parseList(rest.substr(c2 + 1), 'x', "zeros shape")) {
        if (d && count > (uint64_t(1) << 34) / d)
          die("zeros buffer '" + s + "' is too large");
        count *= d;
        arg.array.shape.push_back(static_cast<int64_t>(d));
      }
      arg.array.descr = it->second.first;
      arg.array.data.assign(count * it->second.second, 0);
      needSize(8, "a pointer");
      arg.address = device.allocate(arg.array.data.size(), nullptr,
                                    "parameter " + std::to_string(i) + " '" +
                                        p.name + "'");
      std::memcpy(params.data() + p.offset, &arg.address, 8);
    } else if (kind == "tmap") {
      arg.kind = Arg::TensorMap;
      attn_tensor_map map = encodeTensorMap(s.substr(colon + 1), args);
      if (p.size == sizeof map) {
        std::memcpy(params.data() + p.offset, &map, sizeof map);
      } else if (p.size == 8) {
        uint64_t addr = device.allocate(sizeof map, &map,
                                        "tensor map " + std::to_string(i));
        std::memcpy(params.data() + p.offset, &addr, 8);
      } else {
        needSize(sizeof map, "a tensor map");
      }
    } else {
      arg.kind = Arg::Buffer;
      std::string err;
      if (!mlir::attn::runner::readNpy(s, arg.array, err))
        die(err);
      needSize(8, "a pointer");
      arg.address = device.allocate(
          arg.array.data.size(), arg.array.data.data(),
          "parameter " + std::to_string(i) + " '" + p.name + "'");
      std::memcpy(params.data() + p.offset, &arg.address, 8);
    }
  }
  if (outDir.empty())
    usage("--out-dir is required");
  makeDir(outDir);

  Simulator sim(*mod, device, opt);
  auto t0 = std::chrono::steady_clock::now();
  bool ok = sim.launch(kernel, grid, block, sharedBytes, params, error);
  double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  if (!ok) {
    std::fprintf(stderr, "attn-gpu-sim: fault\n%s\n", error.c_str());
    return 1;
  }
  reportRun(sim, opt, secs);
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i].kind != Arg::Buffer)
      continue;
    std::vector<uint8_t> bytes(args[i].array.data.size());
    device.read(args[i].address, bytes.data(), bytes.size());
    writeOut(outDir + "/arg" + std::to_string(i) + ".npy", args[i].array.descr,
             args[i].array.shape, bytes.data(), bytes.size());
  }
  return 0;
}

#ifdef ATTN_GPUSIM_HAS_RUNTIME
std::string descrOf(const std::string &dtype) {
  if (dtype == "f16")
    return "<f2";
  if (dtype == "f32")
    return "<f4";
  if (dtype == "f64")
    return "<f8";
  if (dtype == "bf16")
    return "<u2"; // bit patterns
  if (dtype == "i32")
    return "<i4";
  if (dtype == "i64")
    return "<i8";
  if (dtype == "i8")
    return "|i1";
  if (dtype == "u8" || dtype == "e4m3" || dtype == "e5m2" || dtype == "f8")
    return "|u1";
  return "";
}

int runManifest(int argc, char **argv) {
  std::string manifestPath, outDir;
  std::vector<std::string> inputs;
  uint32_t splits = 0;
  Options opt;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    bool handled;
    parseCommonFlag(a, opt, handled);
    if (handled)
      continue;
    if (a.rfind("--manifest=", 0) == 0)
      manifestPath = a.substr(11);
    else if (a.rfind("--input=", 0) == 0)
      inputs.push_back(a.substr(8));
    else if (a.rfind("--out-dir=", 0) == 0)
      outDir = a.substr(10);
    else if (a.rfind("--splits=", 0) == 0) {
      char *end = nullptr;
      unsigned long n = std::strtoul(a.c_str() + 9, &end, 10);
      if (*end || n < 1 || n > 0x7fffffff)
        usage("--splits expects a positive count, got '" + a.substr(9) + "'");
      splits = static_cast<uint32_t>(n);
    } else
      usage("unknown argument '" + a + "' in manifest mode");
  }
  if (outDir.empty())
    usage("--out-dir is required");
  attn_kernel_manifest *m = nullptr;
  if (attn_kernel_manifest_load(manifestPath.c_str(), &m) != ATTN_KERNEL_OK)
    die("cannot load manifest '" + manifestPath + "'");
  std::string base =
      manifestPath.substr(0, manifestPath.find_last_of('/') == std::string::npos
                                 ? 0
                                 : manifestPath.find_last_of('/') + 1);
  // Parameters by name across kernels.
  struct Buf {
    std::string name, dtype;
    std::vector<int64_t> shape;
    uint64_t bytes = 0, address = 0;
    bool written = false, readFirst = false, bound = false;
  };
  std::vector<Buf> bufs;
  std::map<std::string, size_t> byName;
  int nk = attn_kernel_manifest_num_kernels(m);
  std::vector<attn_kernel_info> infos(nk);
  for (int ki = 0; ki < nk; ++ki) {
    attn_kernel_manifest_kernel(m, ki, &infos[ki]);
    for (int pi = 0; pi < infos[ki].num_params; ++pi) {
      attn_kernel_param_info p;
      attn_kernel_manifest_param(m, infos[ki].name, pi, &p);
      if (p.kind == ATTN_KERNEL_PARAM_TENSOR_MAP)
        continue; // encoded over its tensor at launch
      auto it = byName.find(p.name);
      if (it == byName.end()) {
        Buf b;
        b.name = p.name;
        b.dtype = p.dtype;
        b.shape.assign(p.shape, p.shape + p.rank);
        b.bytes = p.bytes;
        b.readFirst = !p.written;
        byName[p.name] = bufs.size();
        bufs.push_back(b);
        it = byName.find(p.name);
      }
      Buf &b = bufs[it->second];
      b.bytes = std::max(b.bytes, p.bytes);
      if (p.written)
        b.written = true;
    }
  }
  // Bind inputs.
  Device device;
  size_t nextPositional = 0;
  std::vector<size_t> readOrder;
  for (size_t i = 0; i < bufs.size(); ++i)
    if (bufs[i].readFirst)
      readOrder.push_back(i);
  for (const std::string &in : inputs) {
    size_t eq = in.find('=');
    size_t idx;
    std::string path = in;
    if (eq != std::string::npos && in.find(".npy") > eq) {
      std::string name = in.substr(0, eq);
      path = in.substr(eq + 1);
      auto it = byName.find(name);
      if (it == byName.end())
        die("the manifest has no parameter '" + name + "'");
      idx = it->second;
    } else {
      while (nextPositional < readOrder.size() &&
             bufs[readOrder[nextPositional]].bound)
        ++nextPositional;
      if (nextPositional >= readOrder.size())
        die("more --input files than parameters the kernels read");
      idx = readOrder[nextPositional++];
    }
    Buf &b = bufs[idx];
    if (b.bound)
      die("parameter '" + b.name + "' is given twice");
    NpyArray arr;
    std::string err;
    if (!mlir::attn::runner::readNpy(path, arr, err))
      die(err);
    if (arr.data.size() != b.bytes)
      die("'" + path + "' has " + std::to_string(arr.data.size()) +
          " bytes but parameter '" + b.name + "' (" + b.dtype + ") needs " +
          std::to_string(b.bytes));
    b.address = device.allocate(b.bytes, arr.data.data(), b.name);
    b.bound = true;
  }
  for (Buf &b : bufs) {
    if (b.bound)
      continue;
    if (b.readFirst)
      die("no --input for parameter '" + b.name + "', which the kernels read");
    // Outputs start as NaN (floats) or 0xAB bytes so unwritten elements
    // show.
    std::vector<uint8_t> fill(b.bytes, 0xff);
    b.address = device.allocate(b.bytes, fill.data(), b.name);
    b.bound = true;
  }
  makeDir(outDir);
  double secs = 0;
  uint64_t total = 0;
  for (int ki = 0; ki < nk; ++ki) {
    const attn_kernel_info &info = infos[ki];
    std::string text, error;
    std::string ptxPath = base + info.ptx;
    if (!readFile(ptxPath, text))
      die("cannot read '" + ptxPath + "'");
    std::unique_ptr<Module> mod = parsePtx(text, ptxPath, error);
    if (!mod)
      die(error);
    const Kernel *k = mod->findKernel(info.name);
    if (!k)
      die("no kernel '" + std::string(info.name) + "' in " + ptxPath);
    if (static_cast<int>(k->params.size()) != info.num_params)
      die("kernel " + std::string(info.name) + " declares " +
          std::to_string(k->params.size()) + " parameters; the manifest " +
          std::to_string(info.num_params));
    std::vector<uint8_t> params(k->paramBytes, 0);
    for (int pi = 0; pi < info.num_params; ++pi) {
      attn_kernel_param_info p;
      attn_kernel_manifest_param(m, info.name, pi, &p);
      if (p.kind == ATTN_KERNEL_PARAM_TENSOR_MAP) {
        // The manifest's cuTensorMapEncodeTiled arguments over the buffer
        // of the mapped parameter, passed by value.
        attn_kernel_param_info t;
        attn_kernel_manifest_param(m, info.name, p.tensor_index, &t);
        unsigned eb = 0;
        int dtype = tmapDtype(p.dtype, eb);
        if (dtype < 0)
          die("tensor map " + std::string(p.name) + ": unsupported dtype " +
              p.dtype);
        std::vector<uint32_t> es(p.map_rank, 1);
        attn_tensor_map map;
        char err[256] = {0};
        if (attn_tensor_map_encode(
                &map, static_cast<attn_tensor_map_dtype>(dtype),
                static_cast<uint32_t>(p.map_rank), bufs[byName[t.name]].address,
                p.map_dims, p.map_strides, p.map_box, es.data(),
                ATTN_TMAP_INTERLEAVE_NONE,
                p.map_swizzle_bytes == 128  ? ATTN_TMAP_SWIZZLE_128B
                : p.map_swizzle_bytes == 64 ? ATTN_TMAP_SWIZZLE_64B
                : p.map_swizzle_bytes == 32 ? ATTN_TMAP_SWIZZLE_32B
                                            : ATTN_TMAP_SWIZZLE_NONE,
                ATTN_TMAP_L2_PROMOTION_128B, ATTN_TMAP_OOB_FILL_NONE, err,
                sizeof err) != 0)
          die("tensor map " + std::string(p.name) + ": " + err);
        if (k->params[pi].size != sizeof map)
          die("parameter " + std::string(p.name) +
              " is not a 128-byte tensor map");
        std::memcpy(params.data() + k->params[pi].offset, &map, sizeof map);
        continue;
      }
      uint64_t addr = bufs[byName[p.name]].address;
      if (k->params[pi].size != 8)
        die("parameter " + std::string(p.name) + " is not a pointer");
      std::memcpy(params.data() + k->params[pi].offset, &addr, 8);
    }
    Simulator sim(*mod, device, opt);
    Dim3 grid{info.grid[0], info.grid[1], info.grid[2]};
    if (splits && info.max_splits) {
      if (splits > info.max_splits)
        die("--splits=" + std::to_string(splits) + ": kernel " +
            std::string(info.name) + " takes 1 to " +
            std::to_string(info.max_splits) + " splits");
      grid.x = splits;
    }
    Dim3 block{info.block[0], info.block[1], info.block[2]};
    // The manifest's shared memory is the dynamic shared memory of the
    // launch (what cuLaunchKernel takes).
    uint64_t dyn = info.shared_memory_bytes;
    auto t0 = std::chrono::steady_clock::now();
    bool ok = sim.launch(info.name, grid, block, dyn, params, error);
    secs += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
                .count();
    if (!ok) {
      std::fprintf(stderr, "attn-gpu-sim: fault\n%s\n", error.c_str());
      attn_kernel_manifest_free(m);
      return 1;
    }
    total += sim.stats().threadInstructions;
    if (opt.stats)
      std::printf("kernel %s:\n%s", info.name, sim.formatStats().c_str());
  }
  std::fprintf(stderr,
               "attn-gpu-sim: %llu thread-instructions in %.3f s (%.1f M/s)\n",
               static_cast<unsigned long long>(total), secs,
               secs > 0 ? total / secs / 1e6 : 0.0);
  unsigned outIndex = 0;
  for (Buf &b : bufs) {
    if (!b.written)
      continue;
    std::string descr = descrOf(b.dtype);
    if (descr.empty())
      die("cannot write parameter '" + b.name + "' of dtype " + b.dtype);
    std::vector<uint8_t> bytes(b.bytes);
    device.read(b.address, bytes.data(), bytes.size());
    std::string path = outDir + "/out" + std::to_string(outIndex++) + ".npy";
    writeOut(path, descr, b.shape, bytes.data(), bytes.size());
    std::printf("%s: %s\n", path.c_str(), b.name.c_str());
  }
  attn_kernel_manifest_free(m);
  return 0;
}
#endif

} // namespace

int main(int argc, char **argv) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::printf("attn-gpu-sim: functional PTX simulator (see docs/gpusim)\n");
      usage("help");
    }
    if (a.rfind("--manifest=", 0) == 0) {
#ifdef ATTN_GPUSIM_HAS_RUNTIME
      return runManifest(argc, argv);
#else
      die("--manifest needs the attn runtime (configure with "
          "ATTN_BUILD_RUNTIME=ON)");
#endif
    }
  }
  return runSingle(argc, argv);
}
