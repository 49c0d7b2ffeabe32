//===- KernelLoader.cpp - load and launch attn-compile kernels ------------===//
//
// Manifest parsing and validation (plain C++), and the CUDA driver API calls
// (libcuda.so.1 opened with dlopen, so the library links and runs where
// there is no driver). See attn_kernels.h.
//
//===----------------------------------------------------------------------===//

#include "attn/runtime/attn_kernels.h"

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#ifdef ATTN_RUNTIME_HAS_CUDA
#include "CudaDriver.h"
#endif

namespace {

thread_local std::string lastError;

attn_kernel_status fail(attn_kernel_status status, const std::string &msg) {
  lastError = msg;
  return status;
}

//===----------------------------------------------------------------------===//
// A small JSON reader (objects, arrays, strings, numbers, literals).
//===----------------------------------------------------------------------===//

struct Json {
  enum Kind { Null, Bool, Number, String, Array, Object } kind = Null;
  bool boolean = false;
  double number = 0;
  std::string string;
  std::vector<Json> array;
  std::map<std::string, Json> object;

  const Json *get(const std::string &key) const {
    auto it = object.find(key);
    return kind == Object && it != object.end() ? &it->second : nullptr;
  }
};

class JsonParser {
public:
  JsonParser(const char *text, size_t size) : p(text), end(text + size) {}

  bool parse(Json &out, std::string &error) {
    if (!value(out, 0)) {
      error = message;
      return false;
    }
    skip();
    if (p != end) {
      error = "trailing characters after the JSON value";
      return false;
    }
    return true;
  }

private:
  const char *p, *end;
  std::string message;

  bool err(const std::string &m) {
    if (message.empty())
      message = m;
    return false;
  }
  void skip() {
    while (p != end && (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r'))
      ++p;
  }
  bool literal(const char *word) {
    size_t n = std::strlen(word);
    if (static_cast<size_t>(end - p) < n || std::strncmp(p, word, n) != 0)
      return err(std::string("invalid JSON literal, expected ") + word);
    p += n;
    return true;
  }
  bool str(std::string &out) {
    if (p == end || *p != '"')
      return err("expected a JSON string");
    ++p;
    while (p != end && *p != '"') {
      char c = *p++;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (p == end)
        return err("unterminated JSON string escape");
      char e = *p++;
      switch (e) {
      case 'n':
        out += '\n';
        break;
      case 't':
        out += '\t';
        break;
      case 'r':
        out += '\r';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'u': {
        if (end - p < 4)
          return err("bad \\u escape in a JSON string");
        unsigned code = 0;
        for (int i = 0; i < 4; ++i) {
          char h = *p++;
          code <<= 4;
          if (h >= '0' && h <= '9')
            code |= h - '0';
          else if (h >= 'a' && h <= 'f')
            code |= h - 'a' + 10;
          else if (h >= 'A' && h <= 'F')
            code |= h - 'A' + 10;
          else
            return err("bad \\u escape in a JSON string");
        }
        if (code < 0x80) {
          out += static_cast<char>(code);
        } else if (code < 0x800) {
          out += static_cast<char>(0xC0 | (code >> 6));
          out += static_cast<char>(0x80 | (code & 0x3F));
        } else {
          out += static_cast<char>(0xE0 | (code >> 12));
          out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
          out += static_cast<char>(0x80 | (code & 0x3F));
        }
        break;
      }
      default:
        out += e;
        break;
      }
    }
    if (p == end)
      return err("unterminated JSON string");
    ++p;
    return true;
  }
  bool value(Json &out, int depth) {
    if (depth > 64)
      return err("JSON nested too deeply");
    skip();
    if (p == end)
      return err("unexpected end of JSON");
    char c = *p;
    if (c == '{') {
      ++p;
      out.kind = Json::Object;
      skip();
      if (p != end && *p == '}') {
        ++p;
        return true;
      }
      while (true) {
        skip();
        std::string key;
        if (!str(key))
          return false;
        skip();
        if (p == end || *p != ':')
          return err("expected ':' in a JSON object");
        ++p;
        Json v;
        if (!value(v, depth + 1))
          return false;
        out.object[key] = std::move(v);
        skip();
        if (p != end && *p == ',') {
          ++p;
          continue;
        }
        if (p != end && *p == '}') {
          ++p;
          return true;
        }
        return err("expected ',' or '}' in a JSON object");
      }
    }
    if (c == '[') {
      ++p;
      out.kind = Json::Array;
      skip();
      if (p != end && *p == ']') {
        ++p;
        return true;
      }
      while (true) {
        Json v;
        if (!value(v, depth + 1))
          return false;
        out.array.push_back(std::move(v));
        skip();
        if (p != end && *p == ',') {
          ++p;
          continue;
        }
        if (p != end && *p == ']') {
          ++p;
          return true;
        }
        return err("expected ',' or ']' in a JSON array");
      }
    }
    if (c == '"') {
      out.kind = Json::String;
      return str(out.string);
    }
    if (c == 't') {
      out.kind = Json::Bool;
      out.boolean = true;
      return literal("true");
    }
    if (c == 'f') {
      out.kind = Json::Bool;
      return literal("false");
    }
    if (c == 'n') {
      out.kind = Json::Null;
      return literal("null");
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
      std::string num;
      while (p != end && (std::strchr("+-.eE", *p) || (*p >= '0' && *p <= '9')))
        num += *p++;
      char *stop = nullptr;
      out.kind = Json::Number;
      out.number = std::strtod(num.c_str(), &stop);
      if (!stop || *stop != '\0')
        return err("invalid JSON number '" + num + "'");
      return true;
    }
    return err(std::string("unexpected character '") + c + "' in JSON");
  }
};

//===----------------------------------------------------------------------===//
// Manifest
//===----------------------------------------------------------------------===//

struct Param {
  std::string name, dtype;
  std::vector<int64_t> shape;
  uint64_t bytes = 0;
  bool written = false;
  /// A TMA tensor map over the pointer parameter `tensorIndex`.
  bool tensorMap = false;
  std::string mapTensor;
  int tensorIndex = -1;
  std::vector<uint64_t> mapDims, mapStrides;
  std::vector<uint32_t> mapBox;
  uint32_t swizzleBytes = 0;
};

struct Kernel {
  std::string name, cubin, ptx;
  bool hasCubin = false;
  uint32_t grid[3], block[3], smem = 0;
  /// A split-KV kernel (manifest "grid_max"): grid x, its split count, may
  /// be 1 to maxSplits at launch. 0 otherwise.
  uint32_t maxSplits = 0;
  std::vector<Param> params;
};

} // namespace

struct attn_kernel_manifest {
  std::string chip, cacheKey, baseDir;
  std::vector<Kernel> kernels;

  const Kernel *find(const char *name) const {
    for (const Kernel &k : kernels)
      if (name && k.name == name)
        return &k;
    return nullptr;
  }
};

namespace {

/// Bytes per element of a manifest dtype (0: unknown).
uint64_t dtypeBytes(const std::string &dtype) {
  if (dtype == "i8" || dtype == "u8" || dtype == "i1" || dtype == "e4m3" ||
      dtype == "e5m2")
    return 1;
  if (dtype == "f16" || dtype == "bf16" || dtype == "i16")
    return 2;
  if (dtype == "f32" || dtype == "i32")
    return 4;
  if (dtype == "f64" || dtype == "i64")
    return 8;
  return 0;
}

bool getString(const Json &obj, const char *key, std::string &out,
               std::string &error, const std::string &where) {
  const Json *v = obj.get(key);
  if (!v || v->kind != Json::String) {
    error = where + ": expected a string \"" + key + "\"";
    return false;
  }
  out = v->string;
  return true;
}

bool getCount(const Json &obj, const char *key, double max, uint64_t &out,
              std::string &error, const std::string &where) {
  const Json *v = obj.get(key);
  if (!v || v->kind != Json::Number || v->number < 0 || v->number > max ||
      v->number != static_cast<double>(static_cast<uint64_t>(v->number))) {
    error = where + ": expected a non-negative integer \"" + key + "\"";
    return false;
  }
  out = static_cast<uint64_t>(v->number);
  return true;
}

bool getDims(const Json &obj, const char *key, uint32_t out[3],
             std::string &error, const std::string &where) {
  const Json *v = obj.get(key);
  if (!v || v->kind != Json::Array || v->array.size() != 3) {
    error = where + ": expected \"" + key + "\" to be 3 sizes";
    return false;
  }
  for (int i = 0; i < 3; ++i) {
    const Json &d = v->array[i];
    if (d.kind != Json::Number || d.number < 1 || d.number > 2147483647.0 ||
        d.number != static_cast<double>(static_cast<uint32_t>(d.number))) {
      error = where + ": expected \"" + key + "\" sizes in [1, 2^31)";
      return false;
    }
    out[i] = static_cast<uint32_t>(d.number);
  }
  return true;
}

/// A list of 1..maxRank integers in [lo, hi].
bool getList(const Json &obj, const char *key, size_t minRank, size_t maxRank,
             double lo, double hi, std::vector<uint64_t> &out,
             std::string &error, const std::string &where) {
  const Json *v = obj.get(key);
  if (!v || v->kind != Json::Array || v->array.size() < minRank ||
      v->array.size() > maxRank) {
    error = where + ": expected \"" + key + "\" to be " +
            std::to_string(minRank) + " to " + std::to_string(maxRank) +
            " integers";
    return false;
  }
  for (const Json &d : v->array) {
    if (d.kind != Json::Number || d.number < lo || d.number > hi ||
        d.number != static_cast<double>(static_cast<uint64_t>(d.number))) {
      error = where + ": expected \"" + key + "\" entries in [" +
              std::to_string(static_cast<uint64_t>(lo)) + ", " +
              std::to_string(static_cast<uint64_t>(hi)) + "]";
      return false;
    }
    out.push_back(static_cast<uint64_t>(d.number));
  }
  return true;
}

/// The fields of a tensor-map parameter (checked against the mapped
/// parameter by resolveTensorMaps).
bool parseTensorMap(const Json &pj, Param &p, std::string &error,
                    const std::string &where) {
  std::string tensor, swizzle;
  std::vector<uint64_t> box;
  if (!getString(pj, "tensor", tensor, error, where) ||
      !getString(pj, "swizzle", swizzle, error, where) ||
      !getList(pj, "dims", 1, 5, 1, 4294967296.0, p.mapDims, error, where) ||
      !getList(pj, "box", 1, 5, 1, 256, box, error, where) ||
      !getList(pj, "strides", 0, 4, 16, 1099511627775.0, p.mapStrides, error,
               where))
    return false;
  if (box.size() != p.mapDims.size() ||
      p.mapStrides.size() + 1 != p.mapDims.size()) {
    error = where + ": expected \"dims\" and \"box\" of one rank and one "
                    "stride fewer";
    return false;
  }
  for (uint64_t s : p.mapStrides)
    if (s % 16) {
      error = where + ": expected strides that are multiples of 16 bytes";
      return false;
    }
  p.mapBox.assign(box.begin(), box.end());
  if (swizzle == "none" || swizzle == "32B" || swizzle == "64B" ||
      swizzle == "128B") {
    p.swizzleBytes = swizzle == "none" ? 0 : std::stoi(swizzle);
  } else {
    error = where +
            ": expected swizzle \"none\", \"32B\", \"64B\" or "
            "\"128B\", got \"" +
            swizzle + "\"";
    return false;
  }
  if (p.bytes != 128) {
    error = where + ": expected a tensor map of 128 bytes";
    return false;
  }
  if (p.written) {
    error = where + ": expected access \"read\" for a tensor map";
    return false;
  }
  // The mapped tensor's name, resolved to an index once all parameters are
  // known.
  p.tensorIndex = -1;
  p.mapTensor = tensor;
  return true;
}

/// Points every tensor map at its pointer parameter and checks that the map
/// stays inside that buffer.
bool resolveTensorMaps(Kernel &k, std::string &error,
                       const std::string &where) {
  for (Param &p : k.params) {
    if (!p.tensorMap)
      continue;
    std::string pwhere = where + " tensor map '" + p.name + "'";
    for (size_t i = 0; i < k.params.size(); ++i)
      if (!k.params[i].tensorMap && k.params[i].name == p.mapTensor)
        p.tensorIndex = static_cast<int>(i);
    if (p.tensorIndex < 0) {
      error = pwhere + ": no pointer parameter named '" + p.mapTensor + "'";
      return false;
    }
    const Param &t = k.params[p.tensorIndex];
    if (t.dtype != p.dtype) {
      error = pwhere + ": dtype " + p.dtype + " differs from '" + t.name +
              "' (" + t.dtype + ")";
      return false;
    }
    uint64_t eb = dtypeBytes(p.dtype);
    if (eb == 0) {
      error = pwhere + ": unsupported dtype " + p.dtype;
      return false;
    }
    // The last element the map can address must lie inside the buffer.
    long double last = static_cast<long double>(p.mapDims[0]) * eb;
    for (size_t i = 1; i < p.mapDims.size(); ++i)
      last += static_cast<long double>(p.mapDims[i] - 1) * p.mapStrides[i - 1];
    if (last > static_cast<long double>(t.bytes)) {
      error = pwhere + ": covers more bytes than '" + t.name + "' has (" +
              std::to_string(t.bytes) + ")";
      return false;
    }
  }
  return true;
}

attn_kernel_status parseManifest(const char *json, size_t size,
                                 const char *baseDir,
                                 std::unique_ptr<attn_kernel_manifest> &out) {
  Json root;
  std::string error;
  if (!JsonParser(json, size).parse(root, error))
    return fail(ATTN_KERNEL_ERROR_MANIFEST, "manifest: " + error);
  if (root.kind != Json::Object)
    return fail(ATTN_KERNEL_ERROR_MANIFEST, "manifest: expected an object");
  uint64_t version = 0;
  if (!getCount(root, "format_version", 1e9, version, error, "manifest"))
    return fail(ATTN_KERNEL_ERROR_MANIFEST, error);
  if (version != 1)
    return fail(ATTN_KERNEL_ERROR_MANIFEST,
                "manifest: expected format_version 1, got " +
                    std::to_string(version));
  auto m = std::make_unique<attn_kernel_manifest>();
  m->baseDir = baseDir ? baseDir : "";
  if (!getString(root, "chip", m->chip, error, "manifest") ||
      !getString(root, "cache_key", m->cacheKey, error, "manifest"))
    return fail(ATTN_KERNEL_ERROR_MANIFEST, error);
  const Json *kernels = root.get("kernels");
  if (!kernels || kernels->kind != Json::Array || kernels->array.empty())
    return fail(ATTN_KERNEL_ERROR_MANIFEST,
                "manifest: expected a non-empty \"kernels\" array");
  for (size_t i = 0; i < kernels->array.size(); ++i) {
    const Json &kj = kernels->array[i];
    std::string where = "manifest: kernel #" + std::to_string(i);
    if (kj.kind != Json::Object)
      return fail(ATTN_KERNEL_ERROR_MANIFEST, where + ": expected an object");
    Kernel k;
    uint64_t smem = 0;
    if (!getString(kj, "entry", k.name, error, where) ||
        !getString(kj, "ptx", k.ptx, error, where) ||
        !getDims(kj, "grid", k.grid, error, where) ||
        !getDims(kj, "block", k.block, error, where) ||
        !getCount(kj, "shared_memory_bytes", 4294967295.0, smem, error, where))
      return fail(ATTN_KERNEL_ERROR_MANIFEST, error);
    k.smem = static_cast<uint32_t>(smem);
    where = "manifest: kernel '" + k.name + "'";
    if (kj.get("grid_max")) {
      uint32_t gridMax[3];
      if (!getDims(kj, "grid_max", gridMax, error, where))
        return fail(ATTN_KERNEL_ERROR_MANIFEST, error);
      if (gridMax[0] < k.grid[0] || gridMax[1] != k.grid[1] ||
          gridMax[2] != k.grid[2])
        return fail(ATTN_KERNEL_ERROR_MANIFEST,
                    where + ": expected \"grid_max\" to extend \"grid\" in "
                            "x only");
      k.maxSplits = gridMax[0];
    }
    if (m->find(k.name.c_str()))
      return fail(ATTN_KERNEL_ERROR_MANIFEST, where + " appears twice");
    const Json *cubin = kj.get("cubin");
    if (cubin && cubin->kind == Json::String) {
      k.cubin = cubin->string;
      k.hasCubin = true;
    } else if (cubin && cubin->kind != Json::Null) {
      return fail(ATTN_KERNEL_ERROR_MANIFEST,
                  where + ": expected \"cubin\" to be a string or null");
    }
    std::string conv;
    if (!getString(kj, "calling_convention", conv, error, where))
      return fail(ATTN_KERNEL_ERROR_MANIFEST, error);
    if (conv != "bare_pointers")
      return fail(ATTN_KERNEL_ERROR_MANIFEST,
                  where +
                      ": expected calling_convention \"bare_pointers\", "
                      "got \"" +
                      conv + "\"");
    const Json *params = kj.get("params");
    if (!params || params->kind != Json::Array)
      return fail(ATTN_KERNEL_ERROR_MANIFEST,
                  where + ": expected a \"params\" array");
    for (size_t j = 0; j < params->array.size(); ++j) {
      const Json &pj = params->array[j];
      std::string pwhere = where + " param #" + std::to_string(j);
      Param p;
      std::string type, access;
      if (pj.kind != Json::Object ||
          !getString(pj, "name", p.name, error, pwhere) ||
          !getString(pj, "dtype", p.dtype, error, pwhere) ||
          !getString(pj, "type", type, error, pwhere) ||
          !getString(pj, "access", access, error, pwhere) ||
          !getCount(pj, "bytes", 9.0e15, p.bytes, error, pwhere))
        return fail(ATTN_KERNEL_ERROR_MANIFEST,
                    error.empty() ? pwhere + ": expected an object" : error);
      if (type != "pointer" && type != "tensor_map")
        return fail(ATTN_KERNEL_ERROR_MANIFEST,
                    pwhere +
                        ": expected type \"pointer\" or \"tensor_map\", "
                        "got \"" +
                        type + "\"");
      if (access != "read" && access != "readwrite")
        return fail(ATTN_KERNEL_ERROR_MANIFEST,
                    pwhere +
                        ": expected access \"read\" or \"readwrite\", "
                        "got \"" +
                        access + "\"");
      p.written = access == "readwrite";
      p.tensorMap = type == "tensor_map";
      if (p.tensorMap && !parseTensorMap(pj, p, error, pwhere))
        return fail(ATTN_KERNEL_ERROR_MANIFEST, error);
      const Json *shape = pj.get("shape");
      if (!shape || shape->kind != Json::Array)
        return fail(ATTN_KERNEL_ERROR_MANIFEST,
                    pwhere + ": expected a \"shape\" array");
      for (const Json &d : shape->array) {
        if (d.kind != Json::Number || d.number < 0)
          return fail(ATTN_KERNEL_ERROR_MANIFEST,
                      pwhere + ": expected non-negative shape sizes");
        p.shape.push_back(static_cast<int64_t>(d.number));
      }
      k.params.push_back(std::move(p));
    }
    if (!resolveTensorMaps(k, error, where))
      return fail(ATTN_KERNEL_ERROR_MANIFEST, error);
    m->kernels.push_back(std::move(k));
  }
  out = std::move(m);
  return ATTN_KERNEL_OK;
}

bool readFile(const std::string &path, std::string &out) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

std::string dirOf(const std::string &path) {
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? std::string(".") : path.substr(0, slash);
}

void fillInfo(const Kernel &k, attn_kernel_info *out) {
  out->name = k.name.c_str();
  out->cubin = k.hasCubin ? k.cubin.c_str() : nullptr;
  out->ptx = k.ptx.c_str();
  for (int i = 0; i < 3; ++i) {
    out->grid[i] = k.grid[i];
    out->block[i] = k.block[i];
  }
  out->max_splits = k.maxSplits;
  out->shared_memory_bytes = k.smem;
  out->num_params = static_cast<int>(k.params.size());
}

/// Every buffer a kernel takes must be this aligned: the kernels copy
/// 16-byte chunks (cp.async) and load 32-bit fragments.
constexpr uintptr_t kParamAlignment = 16;

attn_kernel_status checkLaunch(const Kernel &k, const uint32_t *grid,
                               const uint32_t *block, void *const *params,
                               const uint64_t *bytes, int numParams) {
  std::string where = "kernel '" + k.name + "'";
  if (numParams != static_cast<int>(k.params.size()))
    return fail(ATTN_KERNEL_ERROR_INVALID_ARGUMENT,
                where + ": expected " + std::to_string(k.params.size()) +
                    " parameters, got " + std::to_string(numParams));
  if (numParams > 0 && !params)
    return fail(ATTN_KERNEL_ERROR_INVALID_ARGUMENT,
                where + ": expected a parameter array, got NULL");
  for (int i = 0; i < numParams; ++i) {
    const Param &p = k.params[i];
    if (p.tensorMap) {
      // NULL: encoded at launch; else a host CUtensorMap (64-byte aligned).
      if (reinterpret_cast<uintptr_t>(params[i]) % 64)
        return fail(ATTN_KERNEL_ERROR_INVALID_ARGUMENT,
                    where + ": tensor map #" + std::to_string(i) + " ('" +
                        p.name + "') is not 64-byte aligned");
      continue;
    }
    if (!params[i])
      return fail(ATTN_KERNEL_ERROR_INVALID_ARGUMENT,
                  where + ": parameter #" + std::to_string(i) + " ('" + p.name +
                      "') is NULL");
    if (reinterpret_cast<uintptr_t>(params[i]) % kParamAlignment)
      return fail(ATTN_KERNEL_ERROR_INVALID_ARGUMENT,
                  where + ": parameter #" + std::to_string(i) + " ('" + p.name +
                      "') is not " + std::to_string(kParamAlignment) +
                      "-byte aligned");
    if (bytes && bytes[i] < p.bytes)
      return fail(ATTN_KERNEL_ERROR_INVALID_ARGUMENT,
                  where + ": expected parameter #" + std::to_string(i) + " ('" +
                      p.name + "') to cover " + std::to_string(p.bytes) +
                      " bytes, got " + std::to_string(bytes[i]));
  }
  const char *axes = "xyz";
  for (int i = 0; i < 3; ++i) {
    bool splitAxis = i == 0 && k.maxSplits;
    if (grid && splitAxis && (grid[i] < 1 || grid[i] > k.maxSplits))
      return fail(ATTN_KERNEL_ERROR_INVALID_ARGUMENT,
                  where + ": expected grid.x (the split count) from 1 to " +
                      std::to_string(k.maxSplits) + ", got " +
                      std::to_string(grid[i]));
    if (grid && !splitAxis && grid[i] != k.grid[i])
      return fail(ATTN_KERNEL_ERROR_INVALID_ARGUMENT,
                  where + ": expected grid." + axes[i] + " = " +
                      std::to_string(k.grid[i]) +
                      " (the shapes it was compiled for), got " +
                      std::to_string(grid[i]));
    if (block && block[i] != k.block[i])
      return fail(ATTN_KERNEL_ERROR_INVALID_ARGUMENT,
                  where + ": expected block." + axes[i] + " = " +
                      std::to_string(k.block[i]) + ", got " +
                      std::to_string(block[i]));
  }
  return ATTN_KERNEL_OK;
}

} // namespace

//===----------------------------------------------------------------------===//
// CUDA driver (dlopen'ed)
//===----------------------------------------------------------------------===//

struct attn_kernel {
  attn_kernel_module *module = nullptr;
  const Kernel *info = nullptr;
  void *function = nullptr; // CUfunction
};

struct attn_kernel_module {
  std::unique_ptr<attn_kernel_manifest> manifest;
  std::vector<void *> modules; // CUmodule per kernel
  std::vector<std::unique_ptr<attn_kernel>> kernels;
};

#ifdef ATTN_RUNTIME_HAS_CUDA
namespace {

using namespace attn::runtime::cuda;

/// Whether the driver has every entry point the loader uses (the tensor-map
/// encoder is checked where a kernel needs it).
bool hasLoaderEntryPoints(const Driver &d) {
  return d.deviceGet && d.ctxGetCurrent && d.ctxSetCurrent &&
         d.primaryCtxRetain && d.moduleLoadData && d.moduleUnload &&
         d.moduleGetFunction && d.funcSetAttribute && d.launchKernel;
}

attn_kernel_status cudaFail(CUresult rc, const std::string &what);

/// Encodes tensor-map parameter `p` over the device buffer at `base`.
attn_kernel_status encodeTensorMap(const Param &p, void *base, CUtensorMap &map,
                                   const std::string &kernel) {
  const Driver &d = driver();
  if (!d.tensorMapEncodeTiled)
    return fail(ATTN_KERNEL_ERROR_NO_CUDA,
                "kernel '" + kernel +
                    "' takes tensor maps, which need cuTensorMapEncodeTiled "
                    "(a CUDA 12 or newer driver)");
  int type;
  if (p.dtype == "f16")
    type = kTensorMapDataTypeFloat16;
  else if (p.dtype == "bf16")
    type = kTensorMapDataTypeBfloat16;
  else if (p.dtype == "f32")
    type = kTensorMapDataTypeFloat32;
  else if (p.dtype == "i32")
    type = kTensorMapDataTypeInt32;
  else if (p.dtype == "i8" || p.dtype == "u8" || p.dtype == "e4m3" ||
           p.dtype == "e5m2")
    type = kTensorMapDataTypeUint8;
  else
    return fail(ATTN_KERNEL_ERROR_INVALID_ARGUMENT,
                "tensor map '" + p.name + "': unsupported dtype " + p.dtype);
  int swizzle = p.swizzleBytes == 128  ? kTensorMapSwizzle128B
                : p.swizzleBytes == 64 ? kTensorMapSwizzle64B
                : p.swizzleBytes == 32 ? kTensorMapSwizzle32B
                                       : kTensorMapSwizzleNone;
  std::vector<cuuint64_t> dims(p.mapDims.begin(), p.mapDims.end());
  std::vector<cuuint64_t> strides(p.mapStrides.begin(), p.mapStrides.end());
  std::vector<cuuint32_t> box(p.mapBox.begin(), p.mapBox.end());
  std::vector<cuuint32_t> elementStrides(dims.size(), 1);
  CUresult rc = d.tensorMapEncodeTiled(
      &map, type, static_cast<cuuint32_t>(dims.size()), base, dims.data(),
      strides.data(), box.data(), elementStrides.data(),
      kTensorMapInterleaveNone, swizzle, kTensorMapL2Promotion128B,
      kTensorMapFloatOobFillNone);
  if (rc != kSuccess)
    return cudaFail(rc, "cuTensorMapEncodeTiled('" + p.name + "' of kernel '" +
                            kernel + "')");
  return ATTN_KERNEL_OK;
}

attn_kernel_status cudaFail(CUresult rc, const std::string &what) {
  return fail(ATTN_KERNEL_ERROR_CUDA, what + " failed: " + describe(rc));
}

/// Makes sure a context is current (the primary context of device 0).
attn_kernel_status ensureContext() {
  const Driver &d = driver();
  if (!d.loaded)
    return fail(ATTN_KERNEL_ERROR_NO_CUDA, d.error);
  if (!hasLoaderEntryPoints(d))
    return fail(ATTN_KERNEL_ERROR_NO_CUDA,
                "the CUDA driver (libcuda.so.1) lacks an entry point the "
                "kernel loader needs (driver too old)");
  if (CUresult rc = d.init(0); rc != kSuccess)
    return cudaFail(rc, "cuInit");
  CUcontext ctx = nullptr;
  if (CUresult rc = d.ctxGetCurrent(&ctx); rc != kSuccess)
    return cudaFail(rc, "cuCtxGetCurrent");
  if (ctx)
    return ATTN_KERNEL_OK;
  CUdevice dev;
  if (CUresult rc = d.deviceGet(&dev, 0); rc != kSuccess)
    return cudaFail(rc, "cuDeviceGet");
  if (CUresult rc = d.primaryCtxRetain(&ctx, dev); rc != kSuccess)
    return cudaFail(rc, "cuDevicePrimaryCtxRetain");
  if (CUresult rc = d.ctxSetCurrent(ctx); rc != kSuccess)
    return cudaFail(rc, "cuCtxSetCurrent");
  return ATTN_KERNEL_OK;
}

attn_kernel_status loadKernel(attn_kernel_module *mod, const Kernel &k,
                              const void *image) {
  const Driver &d = driver();
  CUmodule cuModule = nullptr;
  if (CUresult rc = d.moduleLoadData(&cuModule, image); rc != kSuccess)
    return cudaFail(rc, "cuModuleLoadData of kernel '" + k.name + "'");
  mod->modules.push_back(cuModule);
  CUfunction fn = nullptr;
  if (CUresult rc = d.moduleGetFunction(&fn, cuModule, k.name.c_str());
      rc != kSuccess)
    return cudaFail(rc, "cuModuleGetFunction('" + k.name + "')");
  if (k.smem > 48 * 1024) {
    if (CUresult rc =
            d.funcSetAttribute(fn, kFuncAttributeMaxDynamicSharedSizeBytes,
                               static_cast<int>(k.smem));
        rc != kSuccess)
      return cudaFail(rc, "cuFuncSetAttribute(max dynamic shared memory)");
  }
  auto kernel = std::make_unique<attn_kernel>();
  kernel->module = mod;
  kernel->info = &k;
  kernel->function = reinterpret_cast<void *>(fn);
  mod->kernels.push_back(std::move(kernel));
  return ATTN_KERNEL_OK;
}

} // namespace
#endif // ATTN_RUNTIME_HAS_CUDA

namespace {
constexpr const char *kNoCuda =
    "the attn runtime was built without CUDA (ATTN_RUNTIME_ENABLE_CUDA=OFF): "
    "GPU kernels cannot be loaded or launched";
} // namespace

//===----------------------------------------------------------------------===//
// C API
//===----------------------------------------------------------------------===//

extern "C" {

const char *attn_kernel_last_error(void) { return lastError.c_str(); }

int attn_kernel_built_with_cuda(void) {
#ifdef ATTN_RUNTIME_HAS_CUDA
  return 1;
#else
  return 0;
#endif
}

attn_kernel_status attn_kernel_manifest_parse(const char *json, size_t size,
                                              const char *base_dir,
                                              attn_kernel_manifest **out) {
  if (!json || !out)
    return fail(ATTN_KERNEL_ERROR_INVALID_ARGUMENT,
                "attn_kernel_manifest_parse: json and out must not be NULL");
  *out = nullptr;
  std::unique_ptr<attn_kernel_manifest> m;
  attn_kernel_status st = parseManifest(json, size, base_dir, m);
  if (st == ATTN_KERNEL_OK)
    *out = m.release();
  return st;
}

attn_kernel_status attn_kernel_manifest_load(const char *path,
                                             attn_kernel_manifest **out) {
  if (!path || !out)
    return fail(ATTN_KERNEL_ERROR_INVALID_ARGUMENT,
                "attn_kernel_manifest_load: path and out must not be NULL");
  *out = nullptr;
  std::string text;
  if (!readFile(path, text))
    return fail(ATTN_KERNEL_ERROR_IO, std::string("cannot read manifest '") +
                                          path + "': " + std::strerror(errno));
  std::string dir = dirOf(path);
  return attn_kernel_manifest_parse(text.data(), text.size(), dir.c_str(), out);
}

void attn_kernel_manifest_free(attn_kernel_manifest *m) { delete m; }

const char *attn_kernel_manifest_chip(const attn_kernel_manifest *m) {
  return m ? m->chip.c_str() : "";
}

const char *attn_kernel_manifest_cache_key(const attn_kernel_manifest *m) {
  return m ? m->cacheKey.c_str() : "";
}

int attn_kernel_manifest_num_kernels(const attn_kernel_manifest *m) {
  return m ? static_cast<int>(m->kernels.size()) : 0;
}

attn_kernel_status attn_kernel_manifest_kernel(const attn_kernel_manifest *m,
                                               int index,
                                               attn_kernel_info *out) {
  if (!m || !out)
    return fail(ATTN_KERNEL_ERROR_INVALID_ARGUMENT,
                "attn_kernel_manifest_kernel: NULL argument");
  if (index < 0 || index >= static_cast<int>(m->kernels.size()))
    return fail(ATTN_KERNEL_ERROR_NOT_FOUND,
                "expected a kernel index in [0, " +
                    std::to_string(m->kernels.size()) + "), got " +
                    std::to_string(index));
  fillInfo(m->kernels[index], out);
  return ATTN_KERNEL_OK;
}

attn_kernel_status attn_kernel_manifest_find(const attn_kernel_manifest *m,
                                             const char *name,
                                             attn_kernel_info *out) {
  if (!m || !name || !out)
    return fail(ATTN_KERNEL_ERROR_INVALID_ARGUMENT,
                "attn_kernel_manifest_find: NULL argument");
  const Kernel *k = m->find(name);
  if (!k)
    return fail(ATTN_KERNEL_ERROR_NOT_FOUND,
                std::string("no kernel named '") + name + "' in the manifest");
  fillInfo(*k, out);
  return ATTN_KERNEL_OK;
}

attn_kernel_status attn_kernel_manifest_param(const attn_kernel_manifest *m,
                                              const char *kernel, int index,
                                              attn_kernel_param_info *out) {
  if (!m || !kernel || !out)
    return fail(ATTN_KERNEL_ERROR_INVALID_ARGUMENT,
                "attn_kernel_manifest_param: NULL argument");
  const Kernel *k = m->find(kernel);
  if (!k)
    return fail(ATTN_KERNEL_ERROR_NOT_FOUND, std::string("no kernel named '") +
                                                 kernel + "' in the manifest");
  if (index < 0 || index >= static_cast<int>(k->params.size()))
    return fail(ATTN_KERNEL_ERROR_NOT_FOUND,
                "expected a parameter index in [0, " +
                    std::to_string(k->params.size()) + "), got " +
                    std::to_string(index));
  const Param &p = k->params[index];
  out->name = p.name.c_str();
  out->dtype = p.dtype.c_str();
  out->shape = p.shape.data();
  out->rank = static_cast<int>(p.shape.size());
  out->bytes = p.bytes;
  out->written = p.written ? 1 : 0;
  out->kind =
      p.tensorMap ? ATTN_KERNEL_PARAM_TENSOR_MAP : ATTN_KERNEL_PARAM_POINTER;
  out->tensor_index = p.tensorIndex;
  out->map_rank = static_cast<int>(p.mapDims.size());
  out->map_dims = p.mapDims.empty() ? nullptr : p.mapDims.data();
  out->map_strides = p.mapStrides.empty() ? nullptr : p.mapStrides.data();
  out->map_box = p.mapBox.empty() ? nullptr : p.mapBox.data();
  out->map_swizzle_bytes = p.swizzleBytes;
  return ATTN_KERNEL_OK;
}

attn_kernel_status
attn_kernel_manifest_check_launch(const attn_kernel_manifest *m,
                                  const char *kernel, const uint32_t *grid,
                                  const uint32_t *block, void *const *params,
                                  const uint64_t *bytes, int num_params) {
  if (!m || !kernel)
    return fail(ATTN_KERNEL_ERROR_INVALID_ARGUMENT,
                "attn_kernel_manifest_check_launch: NULL argument");
  const Kernel *k = m->find(kernel);
  if (!k)
    return fail(ATTN_KERNEL_ERROR_NOT_FOUND, std::string("no kernel named '") +
                                                 kernel + "' in the manifest");
  return checkLaunch(*k, grid, block, params, bytes, num_params);
}

attn_kernel_status attn_kernel_module_load(const char *manifest_path,
                                           attn_kernel_module **out) {
  if (!manifest_path || !out)
    return fail(ATTN_KERNEL_ERROR_INVALID_ARGUMENT,
                "attn_kernel_module_load: NULL argument");
  *out = nullptr;
  attn_kernel_manifest *raw = nullptr;
  if (attn_kernel_status st = attn_kernel_manifest_load(manifest_path, &raw))
    return st;
  std::unique_ptr<attn_kernel_manifest> manifest(raw);
#ifndef ATTN_RUNTIME_HAS_CUDA
  return fail(ATTN_KERNEL_ERROR_NO_CUDA, kNoCuda);
#else
  if (attn_kernel_status st = ensureContext())
    return st;
  auto mod = std::make_unique<attn_kernel_module>();
  mod->manifest = std::move(manifest);
  for (const Kernel &k : mod->manifest->kernels) {
    std::string file =
        mod->manifest->baseDir + "/" + (k.hasCubin ? k.cubin : k.ptx);
    std::string image;
    if (!readFile(file, image))
      return fail(ATTN_KERNEL_ERROR_IO, "cannot read kernel image '" + file +
                                            "': " + std::strerror(errno));
    image.push_back('\0'); // PTX must be NUL-terminated
    if (attn_kernel_status st = loadKernel(mod.get(), k, image.data())) {
      attn_kernel_module_free(mod.release());
      return st;
    }
  }
  *out = mod.release();
  return ATTN_KERNEL_OK;
#endif
}

attn_kernel_status attn_kernel_module_load_image(const char *manifest_json,
                                                 size_t manifest_size,
                                                 const char *kernel,
                                                 const void *image,
                                                 attn_kernel_module **out) {
  if (!manifest_json || !kernel || !image || !out)
    return fail(ATTN_KERNEL_ERROR_INVALID_ARGUMENT,
                "attn_kernel_module_load_image: NULL argument");
  *out = nullptr;
  std::unique_ptr<attn_kernel_manifest> manifest;
  if (attn_kernel_status st =
          parseManifest(manifest_json, manifest_size, nullptr, manifest))
    return st;
  const Kernel *k = manifest->find(kernel);
  if (!k)
    return fail(ATTN_KERNEL_ERROR_NOT_FOUND, std::string("no kernel named '") +
                                                 kernel + "' in the manifest");
#ifndef ATTN_RUNTIME_HAS_CUDA
  return fail(ATTN_KERNEL_ERROR_NO_CUDA, kNoCuda);
#else
  if (attn_kernel_status st = ensureContext())
    return st;
  auto mod = std::make_unique<attn_kernel_module>();
  mod->manifest = std::move(manifest);
  if (attn_kernel_status st = loadKernel(mod.get(), *k, image)) {
    attn_kernel_module_free(mod.release());
    return st;
  }
  *out = mod.release();
  return ATTN_KERNEL_OK;
#endif
}

void attn_kernel_module_free(attn_kernel_module *module) {
  if (!module)
    return;
#ifdef ATTN_RUNTIME_HAS_CUDA
  if (driver().moduleUnload)
    for (void *m : module->modules)
      driver().moduleUnload(reinterpret_cast<CUmodule>(m));
#endif
  delete module;
}

attn_kernel_status attn_kernel_get(attn_kernel_module *module, const char *name,
                                   attn_kernel **out) {
  if (!module || !name || !out)
    return fail(ATTN_KERNEL_ERROR_INVALID_ARGUMENT,
                "attn_kernel_get: NULL argument");
  *out = nullptr;
  for (auto &k : module->kernels)
    if (k->info->name == name) {
      *out = k.get();
      return ATTN_KERNEL_OK;
    }
  return fail(ATTN_KERNEL_ERROR_NOT_FOUND,
              std::string("no kernel named '") + name + "' in the module");
}

attn_kernel_status attn_kernel_launch(attn_kernel *kernel, const uint32_t *grid,
                                      const uint32_t *block, void *stream,
                                      void *const *params,
                                      const uint64_t *bytes, int num_params) {
  if (!kernel)
    return fail(ATTN_KERNEL_ERROR_INVALID_ARGUMENT,
                "attn_kernel_launch: kernel is NULL");
  const Kernel &k = *kernel->info;
  if (attn_kernel_status st =
          checkLaunch(k, grid, block, params, bytes, num_params))
    return st;
#ifndef ATTN_RUNTIME_HAS_CUDA
  (void)stream;
  return fail(ATTN_KERNEL_ERROR_NO_CUDA, kNoCuda);
#else
  // cuLaunchKernel takes pointers to the argument values; a tensor map is
  // passed by value (its 128 bytes).
  std::vector<void *> args(num_params);
  std::vector<void *> values(params, params + num_params);
  std::vector<CUtensorMap> maps(num_params);
  for (int i = 0; i < num_params; ++i) {
    args[i] = &values[i];
    const Param &p = k.params[i];
    if (!p.tensorMap)
      continue;
    if (params[i]) {
      args[i] = params[i];
      continue;
    }
    if (attn_kernel_status st =
            encodeTensorMap(p, params[p.tensorIndex], maps[i], k.name))
      return st;
    args[i] = &maps[i];
  }
  const uint32_t *g = grid ? grid : k.grid;
  CUresult rc = driver().launchKernel(
      reinterpret_cast<CUfunction>(kernel->function), g[0], g[1], g[2],
      k.block[0], k.block[1], k.block[2], k.smem,
      reinterpret_cast<CUstream>(stream), args.data(), nullptr);
  if (rc != kSuccess)
    return cudaFail(rc, "cuLaunchKernel('" + k.name + "')");
  return ATTN_KERNEL_OK;
#endif
}

} // extern "C"
