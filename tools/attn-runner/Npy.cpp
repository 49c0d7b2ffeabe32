//===- Npy.cpp - read and write NumPy .npy files --------------------------===//

#include "Npy.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <cctype>
#include <system_error>

using namespace mlir::attn::runner;
using llvm::StringRef;

static constexpr char kMagic[] = "\x93NUMPY";
static constexpr size_t kMagicSize = 6;

int64_t mlir::attn::runner::npyItemSize(StringRef descr) {
  if (descr.size() < 3 || (descr[0] != '<' && descr[0] != '|'))
    return 0;
  StringRef kind = descr.substr(1, 1);
  if (kind != "f" && kind != "i" && kind != "u" && kind != "b")
    return 0;
  int64_t size = 0;
  if (descr.substr(2).getAsInteger(10, size) || size <= 0 || size > 8)
    return 0;
  return size;
}

/// Finds `'key':` in the header dict and returns what follows, trimmed.
static bool findValue(StringRef header, StringRef key, StringRef &rest) {
  std::string quoted = ("'" + key + "'").str();
  size_t pos = header.find(quoted);
  if (pos == StringRef::npos) {
    quoted = ("\"" + key + "\"").str();
    pos = header.find(quoted);
    if (pos == StringRef::npos)
      return false;
  }
  rest = header.substr(pos + quoted.size()).ltrim();
  if (!rest.consume_front(":"))
    return false;
  rest = rest.ltrim();
  return true;
}

/// Parses the header dict of a .npy file.
static bool parseHeader(StringRef header, NpyArray &array, std::string &error) {
  StringRef rest;
  if (!findValue(header, "descr", rest) || rest.empty() ||
      (rest[0] != '\'' && rest[0] != '"')) {
    error = "malformed .npy header (no 'descr' string)";
    return false;
  }
  char quote = rest[0];
  size_t end = rest.find(quote, 1);
  if (end == StringRef::npos) {
    error = "malformed .npy header (unterminated 'descr')";
    return false;
  }
  array.descr = rest.substr(1, end - 1).str();
  // Native byte order: this tool runs on little-endian hosts only.
  if (!array.descr.empty() && array.descr[0] == '=')
    array.descr[0] =
        array.descr.size() == 3 && array.descr[2] == '1' ? '|' : '<';
  if (array.descr.size() == 3 && array.descr[2] == '1' && array.descr[0] == '<')
    array.descr[0] = '|';

  if (!findValue(header, "fortran_order", rest)) {
    error = "malformed .npy header (no 'fortran_order')";
    return false;
  }
  if (rest.starts_with("True")) {
    error = "fortran_order arrays are not supported (save a C-contiguous "
            "array, e.g. np.ascontiguousarray)";
    return false;
  }
  if (!rest.starts_with("False")) {
    error = "malformed .npy header (bad 'fortran_order')";
    return false;
  }

  if (!findValue(header, "shape", rest) || !rest.consume_front("(")) {
    error = "malformed .npy header (no 'shape' tuple)";
    return false;
  }
  size_t close = rest.find(')');
  if (close == StringRef::npos) {
    error = "malformed .npy header (unterminated 'shape')";
    return false;
  }
  StringRef dims = rest.substr(0, close);
  array.shape.clear();
  while (true) {
    dims = dims.ltrim();
    if (dims.empty())
      break;
    size_t comma = dims.find(',');
    StringRef item = dims.substr(0, comma).trim();
    // Python 2 style longs ("3L").
    item.consume_back("L");
    int64_t size = 0;
    if (item.getAsInteger(10, size) || size < 0) {
      error = "malformed .npy header (bad shape entry '" + item.str() + "')";
      return false;
    }
    array.shape.push_back(size);
    if (comma == StringRef::npos)
      break;
    dims = dims.substr(comma + 1);
  }
  return true;
}

bool mlir::attn::runner::readNpy(StringRef path, NpyArray &array,
                                 std::string &error) {
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                  /*RequiresNullTerminator=*/false);
  if (!buffer) {
    error = "cannot read '" + path.str() + "': " + buffer.getError().message();
    return false;
  }
  StringRef bytes = (*buffer)->getBuffer();
  auto fail = [&](const std::string &why) {
    error = "'" + path.str() + "' is not a valid .npy file: " + why;
    return false;
  };
  if (bytes.size() < kMagicSize + 4 ||
      bytes.substr(0, kMagicSize) != StringRef(kMagic, kMagicSize))
    return fail("bad magic string");
  unsigned major = static_cast<unsigned char>(bytes[kMagicSize]);
  size_t headerLen = 0;
  size_t prefix = 0;
  auto byteAt = [&](size_t i) {
    return static_cast<size_t>(static_cast<unsigned char>(bytes[i]));
  };
  if (major == 1) {
    headerLen = byteAt(8) | (byteAt(9) << 8);
    prefix = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12)
      return fail("truncated header");
    headerLen =
        byteAt(8) | (byteAt(9) << 8) | (byteAt(10) << 16) | (byteAt(11) << 24);
    prefix = 12;
  } else {
    return fail("unsupported version " + std::to_string(major));
  }
  if (bytes.size() < prefix + headerLen)
    return fail("truncated header");
  std::string why;
  if (!parseHeader(bytes.substr(prefix, headerLen), array, why))
    return fail(why);
  int64_t itemSize = npyItemSize(array.descr);
  if (itemSize == 0)
    return fail("unsupported dtype '" + array.descr + "'");
  // Element count, guarding against overflow.
  uint64_t count = 1;
  for (int64_t d : array.shape) {
    if (d != 0 && count > (uint64_t(1) << 48) / static_cast<uint64_t>(d))
      return fail("shape too large");
    count *= static_cast<uint64_t>(d);
  }
  uint64_t dataSize = count * static_cast<uint64_t>(itemSize);
  StringRef data = bytes.substr(prefix + headerLen);
  if (data.size() != dataSize)
    return fail("expected " + std::to_string(dataSize) +
                " bytes of data for "
                "the shape in its header, got " +
                std::to_string(data.size()));
  array.data.assign(data.begin(), data.end());
  return true;
}

bool mlir::attn::runner::writeNpy(StringRef path, StringRef descr,
                                  llvm::ArrayRef<int64_t> shape,
                                  llvm::ArrayRef<char> data,
                                  std::string &error) {
  std::string header =
      "{'descr': '" + descr.str() + "', 'fortran_order': False, 'shape': (";
  for (size_t i = 0; i < shape.size(); ++i) {
    header += std::to_string(shape[i]);
    if (shape.size() == 1)
      header += ",";
    else if (i + 1 < shape.size())
      header += ", ";
  }
  header += ")";
  header += ", }";
  // Pad with spaces so that the data starts at a multiple of 64 bytes.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  if (header.size() > 65535) {
    error = "shape too long for a version 1.0 .npy header";
    return false;
  }

  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec) {
    error = "cannot write '" + path.str() + "': " + ec.message();
    return false;
  }
  os.write(kMagic, kMagicSize);
  os << '\x01' << '\x00';
  os << static_cast<char>(header.size() & 0xff)
     << static_cast<char>((header.size() >> 8) & 0xff);
  os << header;
  os.write(data.data(), data.size());
  os.close();
  if (os.has_error()) {
    error = "cannot write '" + path.str() + "': " + os.error().message();
    os.clear_error();
    return false;
  }
  return true;
}
