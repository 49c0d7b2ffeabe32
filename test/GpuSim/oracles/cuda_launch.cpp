// cuda_launch: runs one PTX kernel on a real GPU with the same command line as
// attn-gpu-sim, so that run_oracles.py can check the oracles themselves on
// hardware:
//
//   nvcc -O2 -o cuda_launch cuda_launch.cpp -lcuda
//   python3 run_oracles.py --sim ./cuda_launch --hardware
//
//   cuda_launch FILE.ptx --kernel=NAME --grid=X[,Y[,Z]] --block=X[,Y[,Z]]
//               [--shared-bytes=N] --arg=PATH.npy|i32:V|i64:V|f32:V|tmap:SPEC
//               ...
//               --out-dir=DIR [--racecheck] [--stats]
//
// --racecheck and --stats are accepted and ignored. Each .npy argument becomes
// a device buffer; after the launch it is written back as DIR/argI.npy.
// tmap:buf=I,dtype=f16|bf16|f32,dims=D0xD1..,strides=S1x..,box=B0xB1..,swizzle=none|32B|64B|128B
// is encoded with cuTensorMapEncodeTiled over the buffer of parameter I.
#include <cuda.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

static void die(const std::string &msg) {
  fprintf(stderr, "cuda_launch: %s\n", msg.c_str());
  exit(1);
}

#define CK(call)                                                               \
  do {                                                                         \
    CUresult r_ = (call);                                                      \
    if (r_ != CUDA_SUCCESS) {                                                  \
      const char *s_ = nullptr;                                                \
      cuGetErrorString(r_, &s_);                                               \
      die(std::string(#call) + ": " + (s_ ? s_ : "unknown error"));            \
    }                                                                          \
  } while (0)

struct Npy {
  std::string header; // everything before the data, written back unchanged
  std::vector<char> data;
};

static Npy read_npy(const std::string &path) {
  std::ifstream f(path, std::ios::binary);
  if (!f)
    die("cannot open " + path);
  std::vector<char> all((std::istreambuf_iterator<char>(f)),
                        std::istreambuf_iterator<char>());
  if (all.size() < 10 || memcmp(all.data(), "\x93NUMPY", 6) != 0)
    die(path + ": not a .npy file");
  int major = (unsigned char)all[6];
  size_t hlen, off;
  if (major == 1) {
    hlen = (unsigned char)all[8] | ((unsigned char)all[9] << 8);
    off = 10;
  } else {
    hlen = (unsigned char)all[8] | ((unsigned char)all[9] << 8) |
           ((size_t)(unsigned char)all[10] << 16) |
           ((size_t)(unsigned char)all[11] << 24);
    off = 12;
  }
  Npy n;
  n.header.assign(all.data(), off + hlen);
  if (n.header.find("'fortran_order': True") != std::string::npos)
    die(path + ": fortran order unsupported");
  n.data.assign(all.begin() + off + hlen, all.end());
  return n;
}

static std::vector<long long> split_ll(const std::string &s, char sep) {
  std::vector<long long> v;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, sep))
    v.push_back(std::stoll(item));
  return v;
}

int main(int argc, char **argv) {
  if (argc < 2)
    die("usage: cuda_launch FILE.ptx --kernel=NAME --grid=.. --block=.. "
        "--arg=.. --out-dir=DIR");
  std::string ptx_path = argv[1], kernel, out_dir;
  std::vector<long long> grid{1, 1, 1}, block{1, 1, 1};
  long long shared = 0;
  std::vector<std::string> args;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    auto val = [&](const char *p) { return a.substr(strlen(p)); };
    if (a.rfind("--kernel=", 0) == 0)
      kernel = val("--kernel=");
    else if (a.rfind("--grid=", 0) == 0) {
      auto v = split_ll(val("--grid="), ',');
      for (size_t k = 0; k < v.size() && k < 3; ++k)
        grid[k] = v[k];
    } else if (a.rfind("--block=", 0) == 0) {
      auto v = split_ll(val("--block="), ',');
      for (size_t k = 0; k < v.size() && k < 3; ++k)
        block[k] = v[k];
    } else if (a.rfind("--shared-bytes=", 0) == 0)
      shared = std::stoll(val("--shared-bytes="));
    else if (a.rfind("--arg=", 0) == 0)
      args.push_back(val("--arg="));
    else if (a.rfind("--out-dir=", 0) == 0)
      out_dir = val("--out-dir=");
    else if (a == "--racecheck" || a == "--stats") {
    } else
      die("unknown option " + a);
  }
  if (kernel.empty() || out_dir.empty())
    die("--kernel and --out-dir are required");

  std::ifstream pf(ptx_path);
  if (!pf)
    die("cannot open " + ptx_path);
  std::string ptx((std::istreambuf_iterator<char>(pf)),
                  std::istreambuf_iterator<char>());

  CK(cuInit(0));
  CUdevice dev;
  CK(cuDeviceGet(&dev, 0));
  CUcontext ctx;
  CK(cuDevicePrimaryCtxRetain(&ctx, dev));
  CK(cuCtxSetCurrent(ctx));
  CUmodule mod;
  char log[8192] = {0};
  CUjit_option opts[] = {CU_JIT_ERROR_LOG_BUFFER,
                         CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES};
  void *optv[] = {log, (void *)(uintptr_t)sizeof(log)};
  if (cuModuleLoadDataEx(&mod, ptx.c_str(), 2, opts, optv) != CUDA_SUCCESS)
    die(std::string("PTX load failed: ") + log);
  CUfunction fn;
  CK(cuModuleGetFunction(&fn, mod, kernel.c_str()));

  size_t n = args.size();
  std::vector<Npy> npys(n);
  std::vector<CUdeviceptr> ptrs(n, 0);
  std::vector<int32_t> i32s(n);
  std::vector<int64_t> i64s(n);
  std::vector<float> f32s(n);
  std::vector<CUtensorMap> maps(n);
  std::vector<void *> params(n);
  // Pass 1: buffers and scalars. Pass 2: tensor maps (they refer to buffers).
  for (size_t i = 0; i < n; ++i) {
    const std::string &a = args[i];
    if (a.size() > 4 && a.substr(a.size() - 4) == ".npy") {
      npys[i] = read_npy(a);
      size_t bytes = npys[i].data.size();
      CK(cuMemAlloc(&ptrs[i], bytes ? bytes : 1));
      if (bytes)
        CK(cuMemcpyHtoD(ptrs[i], npys[i].data.data(), bytes));
      params[i] = &ptrs[i];
    } else if (a.rfind("i32:", 0) == 0) {
      i32s[i] = (int32_t)std::stoll(a.substr(4));
      params[i] = &i32s[i];
    } else if (a.rfind("i64:", 0) == 0) {
      i64s[i] = std::stoll(a.substr(4));
      params[i] = &i64s[i];
    } else if (a.rfind("f32:", 0) == 0) {
      f32s[i] = std::stof(a.substr(4));
      params[i] = &f32s[i];
    } else if (a.rfind("tmap:", 0) != 0)
      die("bad --arg " + a);
  }
  for (size_t i = 0; i < n; ++i) {
    const std::string &a = args[i];
    if (a.rfind("tmap:", 0) != 0)
      continue;
    std::map<std::string, std::string> kv;
    std::stringstream ss(a.substr(5));
    std::string item;
    while (std::getline(ss, item, ',')) {
      auto eq = item.find('=');
      if (eq == std::string::npos)
        die("bad tmap field " + item);
      kv[item.substr(0, eq)] = item.substr(eq + 1);
    }
    int buf = std::stoi(kv["buf"]);
    if (buf < 0 || buf >= (int)n || !ptrs[buf])
      die("tmap buf= does not name a .npy argument");
    CUtensorMapDataType dt;
    if (kv["dtype"] == "f16")
      dt = CU_TENSOR_MAP_DATA_TYPE_FLOAT16;
    else if (kv["dtype"] == "bf16")
      dt = CU_TENSOR_MAP_DATA_TYPE_BFLOAT16;
    else if (kv["dtype"] == "f32")
      dt = CU_TENSOR_MAP_DATA_TYPE_FLOAT32;
    else
      die("tmap dtype " + kv["dtype"]);
    auto dims = split_ll(kv["dims"], 'x');
    auto strides = kv["strides"].empty() ? std::vector<long long>{}
                                         : split_ll(kv["strides"], 'x');
    auto box = split_ll(kv["box"], 'x');
    size_t rank = dims.size();
    if (strides.size() != rank - 1 || box.size() != rank)
      die("tmap rank mismatch");
    CUtensorMapSwizzle sw;
    if (kv["swizzle"] == "none")
      sw = CU_TENSOR_MAP_SWIZZLE_NONE;
    else if (kv["swizzle"] == "32B")
      sw = CU_TENSOR_MAP_SWIZZLE_32B;
    else if (kv["swizzle"] == "64B")
      sw = CU_TENSOR_MAP_SWIZZLE_64B;
    else if (kv["swizzle"] == "128B")
      sw = CU_TENSOR_MAP_SWIZZLE_128B;
    else
      die("tmap swizzle " + kv["swizzle"]);
    std::vector<cuuint64_t> gdim(dims.begin(), dims.end()),
        gstr(strides.begin(), strides.end());
    std::vector<cuuint32_t> bdim(box.begin(), box.end()), estr(rank, 1);
    CK(cuTensorMapEncodeTiled(&maps[i], dt, (cuuint32_t)rank, (void *)ptrs[buf],
                              gdim.data(), gstr.data(), bdim.data(),
                              estr.data(), CU_TENSOR_MAP_INTERLEAVE_NONE, sw,
                              CU_TENSOR_MAP_L2_PROMOTION_NONE,
                              CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE));
    params[i] = &maps[i];
  }

  if (shared > 0)
    CK(cuFuncSetAttribute(fn, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                          (int)shared));
  CK(cuLaunchKernel(fn, (unsigned)grid[0], (unsigned)grid[1], (unsigned)grid[2],
                    (unsigned)block[0], (unsigned)block[1], (unsigned)block[2],
                    (unsigned)shared, nullptr, params.data(), nullptr));
  CK(cuCtxSynchronize());

  for (size_t i = 0; i < n; ++i) {
    if (!ptrs[i])
      continue;
    size_t bytes = npys[i].data.size();
    if (bytes)
      CK(cuMemcpyDtoH(npys[i].data.data(), ptrs[i], bytes));
    std::string path = out_dir + "/arg" + std::to_string(i) + ".npy";
    std::ofstream o(path, std::ios::binary);
    if (!o)
      die("cannot write " + path);
    o.write(npys[i].header.data(), npys[i].header.size());
    o.write(npys[i].data.data(), bytes);
    cuMemFree(ptrs[i]);
  }
  return 0;
}
