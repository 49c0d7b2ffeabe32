//===- PtxParser.cpp - PTX text to the simulator's decoded module ---------===//
//
// A hand-written lexer and recursive-descent parser for the subset of PTX
// that compilers emit (module directives, variables with initializers,
// .entry/.func with parameters, nested register/label scopes as inline
// assembly produces them), followed by the decoder that turns opcode words
// into Op + fields (Decoded.h). Errors are "FILE:LINE: message".
//
//===----------------------------------------------------------------------===//

#include "Decoded.h"
#include "attn/GpuSim/Ptx.h"

#include <cctype>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <unordered_map>

namespace attn::gpusim {

//===----------------------------------------------------------------------===//
// Types, names
//===----------------------------------------------------------------------===//

namespace {
struct TyName {
  const char *name;
  Ty ty;
};
const TyName kTypeNames[] = {
    {"pred", Ty::Pred},     {"b8", Ty::B8},     {"b16", Ty::B16},
    {"b32", Ty::B32},       {"b64", Ty::B64},   {"b128", Ty::B128},
    {"u8", Ty::U8},         {"u16", Ty::U16},   {"u32", Ty::U32},
    {"u64", Ty::U64},       {"s8", Ty::S8},     {"s16", Ty::S16},
    {"s32", Ty::S32},       {"s64", Ty::S64},   {"f16", Ty::F16},
    {"f16x2", Ty::F16x2},   {"bf16", Ty::BF16}, {"bf16x2", Ty::BF16x2},
    {"f32", Ty::F32},       {"f64", Ty::F64},   {"tf32", Ty::TF32},
    {"e4m3", Ty::E4M3},     {"e5m2", Ty::E5M2}, {"e4m3x2", Ty::E4M3x2},
    {"e5m2x2", Ty::E5M2x2},
};

bool parseTyName(const std::string &s, Ty &t) {
  for (const TyName &n : kTypeNames)
    if (s == n.name) {
      t = n.ty;
      return true;
    }
  return false;
}
} // namespace

const char *tyName(Ty t) {
  for (const TyName &n : kTypeNames)
    if (n.ty == t)
      return n.name;
  return "none";
}

const char *opName(Op op) {
  static const char *names[] = {
#define ATTN_GPUSIM_OP(NAME, TEXT) TEXT,
#include "attn/GpuSim/Opcodes.def"
  };
  return names[static_cast<unsigned>(op)];
}

const Kernel *Module::findKernel(const std::string &name) const {
  for (const auto &k : kernels)
    if (k->name == name && k->isEntry)
      return k.get();
  return nullptr;
}

namespace {

//===----------------------------------------------------------------------===//
// Lexer
//===----------------------------------------------------------------------===//

struct ParseError : std::runtime_error {
  unsigned line;
  ParseError(unsigned line, const std::string &msg)
      : std::runtime_error(msg), line(line) {}
};

enum class Tok : uint8_t { Word, Number, Float, String, Punct, End };

struct Token {
  Tok kind = Tok::End;
  std::string text;
  unsigned line = 0;
  uint64_t value = 0; // Number: value; Float: bits (f32 or f64)
  bool isF64 = false;
};

bool isWordStart(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == '$' ||
         c == '%' || c == '.';
}
bool isWordChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$' ||
         c == '%' || c == '.';
}

std::vector<Token> lex(const std::string &s) {
  std::vector<Token> out;
  unsigned line = 1;
  size_t i = 0, n = s.size();
  while (i < n) {
    char c = s[i];
    if (c == '\n') {
      ++line;
      ++i;
      continue;
    }
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
      continue;
    }
    if (c == '/' && i + 1 < n && s[i + 1] == '/') {
      while (i < n && s[i] != '\n')
        ++i;
      continue;
    }
    if (c == '/' && i + 1 < n && s[i + 1] == '*') {
      i += 2;
      while (i + 1 < n && !(s[i] == '*' && s[i + 1] == '/')) {
        if (s[i] == '\n')
          ++line;
        ++i;
      }
      i += 2;
      continue;
    }
    Token t;
    t.line = line;
    if (c == '"') {
      size_t j = i + 1;
      while (j < n && s[j] != '"') {
        if (s[j] == '\n')
          ++line;
        ++j;
      }
      t.kind = Tok::String;
      t.text = s.substr(i + 1, j - i - 1);
      i = j + 1;
      out.push_back(std::move(t));
      continue;
    }
    if (std::isdigit(static_cast<unsigned char>(c))) {
      size_t j = i;
      // Hex float immediates: 0fXXXXXXXX (f32), 0dXXXXXXXXXXXXXXXX (f64).
      if (c == '0' && j + 1 < n &&
          (s[j + 1] == 'f' || s[j + 1] == 'F' || s[j + 1] == 'd' ||
           s[j + 1] == 'D')) {
        bool f64 = s[j + 1] == 'd' || s[j + 1] == 'D';
        j += 2;
        size_t start = j;
        while (j < n && std::isxdigit(static_cast<unsigned char>(s[j])))
          ++j;
        t.kind = Tok::Float;
        t.isF64 = f64;
        t.value = std::stoull(s.substr(start, j - start), nullptr, 16);
        t.text = s.substr(i, j - i);
        i = j;
        out.push_back(std::move(t));
        continue;
      }
      if (c == '0' && j + 1 < n && (s[j + 1] == 'x' || s[j + 1] == 'X')) {
        j += 2;
        size_t start = j;
        while (j < n && std::isxdigit(static_cast<unsigned char>(s[j])))
          ++j;
        t.kind = Tok::Number;
        t.value = std::stoull(s.substr(start, j - start), nullptr, 16);
        if (j < n && (s[j] == 'U' || s[j] == 'u'))
          ++j;
        t.text = s.substr(i, j - i);
        i = j;
        out.push_back(std::move(t));
        continue;
      }
      while (j < n && std::isdigit(static_cast<unsigned char>(s[j])))
        ++j;
      if (j < n && (s[j] == '.' || s[j] == 'e' || s[j] == 'E') && j + 1 < n &&
          (std::isdigit(static_cast<unsigned char>(s[j + 1])) ||
           s[j + 1] == '-' || s[j + 1] == '+')) {
        // Decimal floating-point literal (a double).
        size_t k = j;
        while (k < n && (std::isdigit(static_cast<unsigned char>(s[k])) ||
                         s[k] == '.' || s[k] == 'e' || s[k] == 'E' ||
                         ((s[k] == '-' || s[k] == '+') &&
                          (s[k - 1] == 'e' || s[k - 1] == 'E'))))
          ++k;
        double d = std::stod(s.substr(i, k - i));
        t.kind = Tok::Float;
        t.isF64 = true;
        std::memcpy(&t.value, &d, 8);
        t.text = s.substr(i, k - i);
        i = k;
        out.push_back(std::move(t));
        continue;
      }
      t.kind = Tok::Number;
      t.value = std::stoull(s.substr(i, j - i));
      if (j < n && (s[j] == 'U' || s[j] == 'u'))
        ++j;
      t.text = s.substr(i, j - i);
      i = j;
      out.push_back(std::move(t));
      continue;
    }
    if (isWordStart(c)) {
      size_t j = i;
      while (j < n) {
        if (isWordChar(s[j])) {
          ++j;
        } else if (s[j] == ':' && j + 1 < n && s[j + 1] == ':') {
          j += 2;
        } else {
          break;
        }
      }
      t.kind = Tok::Word;
      t.text = s.substr(i, j - i);
      i = j;
      out.push_back(std::move(t));
      continue;
    }
    t.kind = Tok::Punct;
    t.text = std::string(1, c);
    ++i;
    out.push_back(std::move(t));
  }
  Token end;
  end.line = line;
  out.push_back(end);
  return out;
}

//===----------------------------------------------------------------------===//
// Decoder: opcode words -> Op and fields
//===----------------------------------------------------------------------===//

using namespace dec;

/// The modifier words of one instruction, consumed by the decoder; what is
/// left unconsumed is an error.
class Mods {
public:
  explicit Mods(std::vector<std::string> w)
      : words(std::move(w)), used(words.size(), false) {}
  bool take(const char *name) {
    for (size_t i = 0; i < words.size(); ++i)
      if (!used[i] && words[i] == name) {
        used[i] = true;
        return true;
      }
    return false;
  }
  /// Takes the first unconsumed word satisfying `pred`.
  bool takeIf(const std::function<bool(const std::string &)> &pred,
              std::string &out) {
    for (size_t i = 0; i < words.size(); ++i)
      if (!used[i] && pred(words[i])) {
        used[i] = true;
        out = words[i];
        return true;
      }
    return false;
  }
  /// Consumes every type word, in order, into the instruction.
  void takeTypes(Instr &in) {
    for (size_t i = 0; i < words.size(); ++i) {
      Ty t;
      if (!used[i] && parseTyName(words[i], t)) {
        if (in.numTypes == 4)
          throw std::runtime_error("too many type suffixes");
        in.types[in.numTypes++] = t;
        used[i] = true;
      }
    }
  }
  std::string leftover() const {
    for (size_t i = 0; i < words.size(); ++i)
      if (!used[i])
        return words[i];
    return "";
  }
  const std::vector<std::string> &all() const { return words; }

private:
  std::vector<std::string> words;
  std::vector<bool> used;
};

bool takeRound(Mods &m, Instr &in) {
  static const std::pair<const char *, Round> rounds[] = {
      {"rn", RN},   {"rz", RZ},   {"rm", RM},   {"rp", RP},  {"rni", RNI},
      {"rzi", RZI}, {"rmi", RMI}, {"rpi", RPI}, {"rna", RNA}};
  for (auto &r : rounds)
    if (m.take(r.first)) {
      in.a = r.second;
      return true;
    }
  return false;
}

void takeCommonFloat(Mods &m, Instr &in) {
  if (m.take("ftz"))
    in.flags |= FTZ;
  if (m.take("sat"))
    in.flags |= SAT;
  if (m.take("satfinite"))
    in.flags |= SATFINITE;
  if (m.take("relu"))
    in.flags |= RELU;
  if (m.take("NaN"))
    in.flags |= NANF;
  if (m.take("xorsign"))
    in.flags |= XORSIGN;
  if (m.take("abs"))
    in.flags |= ABSF;
}

/// Memory-ordering, scope and cache qualifiers: functionally meaningless in
/// a sequentially consistent simulator, accepted and ignored.
void takeOrdering(Mods &m) {
  static const char *ignored[] = {"relaxed",
                                  "acquire",
                                  "release",
                                  "acq_rel",
                                  "sc",
                                  "weak",
                                  "volatile",
                                  "mmio",
                                  "cta",
                                  "gpu",
                                  "sys",
                                  "cluster",
                                  "ca",
                                  "cg",
                                  "cs",
                                  "lu",
                                  "cv",
                                  "wb",
                                  "wt",
                                  "L1::evict_normal",
                                  "L1::evict_unchanged",
                                  "L1::evict_first",
                                  "L1::evict_last",
                                  "L1::no_allocate",
                                  "L2::evict_normal",
                                  "L2::evict_first",
                                  "L2::evict_last",
                                  "L2::cache_hint",
                                  "L2::64B",
                                  "L2::128B",
                                  "L2::256B",
                                  "L2::evict_unchanged"};
  for (const char *w : ignored)
    while (m.take(w)) {
    }
}

bool takeSpace(Mods &m, Instr &in) {
  if (m.take("global")) {
    in.space = Space::Global;
    return true;
  }
  if (m.take("shared") || m.take("shared::cta")) {
    in.space = Space::Shared;
    return true;
  }
  if (m.take("shared::cluster")) {
    in.space = Space::Shared;
    in.flags |= SHARED_CLUSTER;
    return true;
  }
  if (m.take("local")) {
    in.space = Space::Local;
    return true;
  }
  if (m.take("param") || m.take("param::entry") || m.take("param::func")) {
    in.space = Space::Param;
    return true;
  }
  if (m.take("const")) {
    in.space = Space::Const;
    return true;
  }
  return false;
}

void takeVec(Mods &m, Instr &in) {
  if (m.take("v2"))
    in.vec = 2;
  else if (m.take("v4"))
    in.vec = 4;
  else if (m.take("v8"))
    in.vec = 8;
}

bool takeCmp(Mods &m, Instr &in) {
  static const std::pair<const char *, Cmp> cmps[] = {
      {"eq", CEq},   {"ne", CNe},   {"lt", CLt},   {"le", CLe},   {"gt", CGt},
      {"ge", CGe},   {"lo", CLo},   {"ls", CLs},   {"hi", CHi},   {"hs", CHs},
      {"equ", CEqu}, {"neu", CNeu}, {"ltu", CLtu}, {"leu", CLeu}, {"gtu", CGtu},
      {"geu", CGeu}, {"num", CNum}, {"nan", CNan}};
  for (auto &c : cmps)
    if (m.take(c.first)) {
      in.b = c.second;
      return true;
    }
  return false;
}

bool takeBoolOp(Mods &m, Instr &in) {
  if (m.take("and"))
    in.c = BAnd;
  else if (m.take("or"))
    in.c = BOr;
  else if (m.take("xor"))
    in.c = BXor;
  else
    return false;
  return true;
}

bool parseShape(const std::string &w, Instr &in) {
  unsigned mm, nn, kk;
  if (std::sscanf(w.c_str(), "m%un%uk%u", &mm, &nn, &kk) == 3) {
    in.m = mm;
    in.n = nn;
    in.k = kk;
    return true;
  }
  return false;
}

bool takeAtomOp(Mods &m, Instr &in) {
  static const std::pair<const char *, AtomOp> ops[] = {
      {"add", AtomAdd},   {"min", AtomMin}, {"max", AtomMax}, {"inc", AtomInc},
      {"dec", AtomDec},   {"and", AtomAnd}, {"or", AtomOr},   {"xor", AtomXor},
      {"exch", AtomExch}, {"cas", AtomCas}};
  for (auto &o : ops)
    if (m.take(o.first)) {
      in.a = o.second;
      return true;
    }
  return false;
}

/// The direction of cp.async.bulk{.tensor}: the first state space written
/// is the destination (`.shared::cluster.global` loads, `.global.shared::cta`
/// stores), with its completion mechanism.
void takeBulkDirection(Mods &m, Instr &in) {
  std::string first;
  for (const std::string &w : m.all())
    if (w == "global" || w == "shared::cluster" || w == "shared::cta") {
      first = w;
      break;
    }
  if (first.empty())
    throw std::runtime_error("cp.async.bulk needs .shared and .global spaces");
  if (first != "global") {
    in.space = Space::Shared;
    m.take(first.c_str());
    if (!m.take("global"))
      throw std::runtime_error("expected a .global source");
    if (!m.take("mbarrier::complete_tx::bytes"))
      throw std::runtime_error(
          "a bulk copy to shared memory needs .mbarrier::complete_tx::bytes");
  } else {
    in.space = Space::Global;
    m.take("global");
    if (!m.take("shared::cta") && !m.take("shared::cluster"))
      throw std::runtime_error("expected a .shared source");
    m.take("bulk_group");
  }
  takeOrdering(m);
}

/// Decodes the opcode words of `in` (`words[0]` is the opcode).
void decode(Instr &in, const std::vector<std::string> &words) {
  static const std::unordered_map<std::string, Op> table = [] {
    std::unordered_map<std::string, Op> t;
#define ATTN_GPUSIM_OP(NAME, TEXT) t[TEXT] = Op::NAME;
#include "attn/GpuSim/Opcodes.def"
    // Multi-precision forms share their family.
    t["addc"] = Op::Add;
    t["subc"] = Op::Sub;
    t["madc"] = Op::Mad;
    return t;
  }();
  auto it = table.find(words[0]);
  if (it == table.end())
    throw std::runtime_error("unsupported instruction '" + words[0] + "'");
  in.op = it->second;
  Mods m(std::vector<std::string>(words.begin() + 1, words.end()));
  if (words[0] == "addc" || words[0] == "subc" || words[0] == "madc")
    in.flags |= CARRYIN;

  switch (in.op) {
  case Op::Add:
  case Op::Sub:
  case Op::Mul:
  case Op::Mad:
  case Op::Fma:
  case Op::Div:
  case Op::Rem:
  case Op::Abs:
  case Op::Neg:
  case Op::Min:
  case Op::Max:
  case Op::Mul24:
  case Op::Mad24:
  case Op::Sad:
  case Op::Rcp:
  case Op::Sqrt:
  case Op::Rsqrt:
  case Op::Ex2:
  case Op::Lg2:
  case Op::Sin:
  case Op::Cos:
  case Op::Tanh:
  case Op::Copysign:
    takeRound(m, in);
    takeCommonFloat(m, in);
    if (m.take("approx"))
      in.flags |= APPROX;
    if (m.take("full"))
      in.flags |= FULL;
    if (m.take("hi"))
      in.flags |= HI;
    if (m.take("lo"))
      in.flags |= LO;
    if (m.take("wide"))
      in.flags |= WIDE;
    if (m.take("cc"))
      in.flags |= CC;
    break;
  case Op::Testp: {
    static const char *kinds[] = {"finite",     "infinite", "number",
                                  "notanumber", "normal",   "subnormal"};
    for (unsigned i = 0; i < 6; ++i)
      if (m.take(kinds[i]))
        in.a = i;
    break;
  }
  case Op::Dp4a:
  case Op::Dp2a:
    if (m.take("lo"))
      in.flags |= LO;
    if (m.take("hi"))
      in.flags |= HI;
    break;
  case Op::And:
  case Op::Or:
  case Op::Xor:
  case Op::Not:
  case Op::Cnot:
  case Op::Shl:
  case Op::Shr:
  case Op::Popc:
  case Op::Clz:
  case Op::Brev:
  case Op::Bfe:
  case Op::Bfi:
  case Op::Lop3:
    break;
  case Op::Bfind:
    if (m.take("shiftamt"))
      in.flags |= SHIFTAMT;
    break;
  case Op::Shf:
    if (m.take("l"))
      in.flags |= LEFT;
    else if (!m.take("r"))
      throw std::runtime_error("shf needs .l or .r");
    if (m.take("clamp"))
      in.flags |= CLAMP;
    else if (!m.take("wrap"))
      throw std::runtime_error("shf needs .clamp or .wrap");
    break;
  case Op::Prmt: {
    static const char *modes[] = {"f4e", "b4e", "rc8", "ecl", "ecr", "rc16"};
    for (unsigned i = 0; i < 6; ++i)
      if (m.take(modes[i]))
        in.a = PrmtF4e + i;
    break;
  }
  case Op::Setp:
  case Op::Set:
    if (!takeCmp(m, in))
      throw std::runtime_error("missing comparison");
    takeBoolOp(m, in);
    takeCommonFloat(m, in);
    break;
  case Op::Slct:
    takeCommonFloat(m, in);
    break;
  case Op::Selp:
  case Op::Mov:
    break;
  case Op::Cvt:
    takeRound(m, in);
    takeCommonFloat(m, in);
    break;
  case Op::Cvta:
    if (m.take("to"))
      in.flags |= TO;
    if (!takeSpace(m, in))
      throw std::runtime_error("cvta needs a state space");
    break;
  case Op::Isspacep:
    if (!takeSpace(m, in))
      throw std::runtime_error("isspacep needs a state space");
    break;
  case Op::Mapa:
  case Op::Getctarank:
    takeSpace(m, in);
    break;
  case Op::Ld:
  case Op::Ldu:
  case Op::St:
    takeOrdering(m);
    takeSpace(m, in);
    takeVec(m, in);
    if (m.take("nc"))
      in.flags |= NC;
    {
      // ld.global.L2::cache_hint etc. were taken by takeOrdering; the
      // remaining L2 prefetch sizes likewise.
    }
    break;
  case Op::Atom:
  case Op::Red:
    takeOrdering(m);
    takeSpace(m, in);
    if (!takeAtomOp(m, in))
      throw std::runtime_error("missing atomic operation");
    takeVec(m, in);
    if (m.take("noftz")) {
    }
    takeCommonFloat(m, in);
    break;
  case Op::Prefetch:
  case Op::Prefetchu:
    takeSpace(m, in);
    takeOrdering(m);
    m.take("L1");
    m.take("L2");
    m.take("tensormap");
    break;
  case Op::Createpolicy:
    for (const std::string &w : m.all())
      (void)w;
    m.take("fractional");
    m.take("range");
    takeOrdering(m);
    break;
  case Op::Membar:
    takeOrdering(m);
    break;
  case Op::Fence:
    takeOrdering(m);
    m.take("proxy");
    m.take("async");
    m.take("async::generic");
    m.take("async.shared::cta");
    m.take("tensormap::generic");
    takeSpace(m, in);
    m.take("mbarrier_init");
    break;
  case Op::Cp: {
    if (!m.take("async"))
      throw std::runtime_error("only cp.async forms are supported");
    // Modifiers are matched in any order: decide .bulk first, so that
    // cp.async.bulk.commit_group is not cp.async.commit_group.
    bool bulk = m.take("bulk");
    if (!bulk && m.take("commit_group")) {
      in.a = CpAsyncCommit;
    } else if (!bulk && m.take("wait_group")) {
      in.a = CpAsyncWait;
    } else if (!bulk && m.take("wait_all")) {
      in.a = CpAsyncWaitAll;
    } else if (bulk) {
      if (m.take("commit_group")) {
        in.a = CpBulkCommit;
      } else if (m.take("wait_group")) {
        in.a = CpBulkWait;
        m.take("read");
      } else if (m.take("tensor")) {
        in.a = CpBulkTensor;
        std::string dims;
        if (!m.takeIf(
                [](const std::string &w) {
                  return w.size() == 2 && w[1] == 'd' && w[0] >= '1' &&
                         w[0] <= '5';
                },
                dims))
          throw std::runtime_error("cp.async.bulk.tensor needs .Nd");
        in.b = static_cast<uint8_t>(dims[0] - '0');
        m.take("tile");
        takeBulkDirection(m, in);
      } else {
        in.a = CpBulk;
        takeBulkDirection(m, in);
      }
    } else if (m.take("mbarrier")) {
      if (!m.take("arrive"))
        throw std::runtime_error("expected cp.async.mbarrier.arrive");
      in.a = CpAsyncMbarArrive;
      if (m.take("noinc"))
        in.flags |= NOINC;
      m.take("b64");
      m.take("shared") || m.take("shared::cta");
    } else {
      in.a = CpAsync;
      if (m.take("ca"))
        in.c = 0;
      else if (m.take("cg"))
        in.c = 1;
      else
        throw std::runtime_error("cp.async needs .ca or .cg");
      if (!(m.take("shared") || m.take("shared::cta")) || !m.take("global"))
        throw std::runtime_error("cp.async copies .global to .shared");
      in.space = Space::Shared;
      takeOrdering(m);
    }
    break;
  }
  case Op::Mbarrier:
    if (m.take("init"))
      in.a = MbarInit;
    else if (m.take("arrive_drop"))
      in.a = MbarArriveDrop;
    else if (m.take("arrive"))
      in.a = MbarArrive;
    else if (m.take("expect_tx"))
      in.a = MbarExpectTx;
    else if (m.take("complete_tx"))
      in.a = MbarCompleteTx;
    else if (m.take("test_wait"))
      in.a = MbarTestWait;
    else if (m.take("try_wait"))
      in.a = MbarTryWait;
    else if (m.take("inval"))
      in.a = MbarInval;
    else if (m.take("pending_count"))
      in.a = MbarPendingCount;
    else
      throw std::runtime_error("unknown mbarrier operation");
    if (m.take("expect_tx"))
      in.flags |= EXPECT_TX;
    if (m.take("parity"))
      in.flags |= PARITY;
    if (m.take("noComplete")) {
    }
    takeSpace(m, in);
    takeOrdering(m);
    m.take("b64");
    break;
  case Op::Bra:
  case Op::Call:
  case Op::Ret:
  case Op::Exit:
  case Op::Trap:
    if (m.take("uni"))
      in.flags |= UNI;
    break;
  case Op::Bar:
  case Op::Barrier:
    if (m.take("warp")) {
      if (!m.take("sync"))
        throw std::runtime_error("expected bar.warp.sync");
      in.a = BarWarpSync;
      break;
    }
    if (m.take("cta")) {
    }
    if (m.take("cluster"))
      throw std::runtime_error(
          "cluster barriers are not supported (clusters of one CTA only)");
    if (m.take("sync"))
      in.a = BarSync;
    else if (m.take("arrive"))
      in.a = BarArrive;
    else if (m.take("red")) {
      in.a = BarRed;
      if (m.take("popc"))
        in.b = 0;
      else if (m.take("and"))
        in.b = 1;
      else if (m.take("or"))
        in.b = 2;
    } else
      in.a = BarSync; // `barrier` alone
    m.take("aligned");
    break;
  case Op::Nanosleep:
  case Op::Griddepcontrol:
    m.take("launch_dependents");
    m.take("wait");
    break;
  case Op::Setmaxnreg:
    m.take("inc");
    m.take("dec");
    m.take("sync");
    m.take("aligned");
    break;
  case Op::Shfl:
    if (!m.take("sync"))
      throw std::runtime_error("shfl without .sync is not supported");
    in.flags |= SYNC;
    if (m.take("up"))
      in.a = ShflUp;
    else if (m.take("down"))
      in.a = ShflDown;
    else if (m.take("bfly"))
      in.a = ShflBfly;
    else if (m.take("idx"))
      in.a = ShflIdx;
    else
      throw std::runtime_error("shfl needs a mode");
    break;
  case Op::Vote:
    if (!m.take("sync"))
      throw std::runtime_error("vote without .sync is not supported");
    if (m.take("all"))
      in.a = VoteAll;
    else if (m.take("any"))
      in.a = VoteAny;
    else if (m.take("uni"))
      in.a = VoteUni;
    else if (m.take("ballot"))
      in.a = VoteBallot;
    else
      throw std::runtime_error("vote needs a mode");
    break;
  case Op::Match:
    if (!m.take("sync"))
      throw std::runtime_error("match needs .sync");
    if (m.take("any"))
      in.a = 0;
    else if (m.take("all"))
      in.a = 1;
    break;
  case Op::Redux:
    if (!m.take("sync"))
      throw std::runtime_error("redux needs .sync");
    if (!takeAtomOp(m, in))
      throw std::runtime_error("redux needs an operation");
    break;
  case Op::Activemask:
    break;
  case Op::Elect:
    if (!m.take("sync"))
      throw std::runtime_error("elect needs .sync");
    break;
  case Op::Mma: {
    if (!m.take("sync") || !m.take("aligned"))
      throw std::runtime_error("mma needs .sync.aligned");
    std::string shape;
    if (!m.takeIf([&](const std::string &w) { return parseShape(w, in); },
                  shape))
      throw std::runtime_error("mma needs a shape");
    if (m.take("row"))
      in.a = RowMajor;
    else if (m.take("col"))
      in.a = ColMajor;
    if (m.take("row"))
      in.b = RowMajor;
    else if (m.take("col"))
      in.b = ColMajor;
    if (m.take("satfinite"))
      in.flags |= SATFINITE;
    break;
  }
  case Op::Ldmatrix:
  case Op::Stmatrix: {
    if (!m.take("sync") || !m.take("aligned"))
      throw std::runtime_error(words[0] + " needs .sync.aligned");
    if (!m.take("m8n8"))
      throw std::runtime_error(words[0] + ": only .m8n8 is supported");
    if (m.take("x1"))
      in.n = 1;
    else if (m.take("x2"))
      in.n = 2;
    else if (m.take("x4"))
      in.n = 4;
    else
      throw std::runtime_error(words[0] + " needs .x1, .x2 or .x4");
    if (m.take("trans"))
      in.flags |= TRANS;
    takeSpace(m, in);
    if (in.space == Space::Generic)
      in.space = Space::Generic;
    break;
  }
  case Op::Wgmma:
    if (m.take("fence"))
      in.a = WgFence;
    else if (m.take("commit_group"))
      in.a = WgCommit;
    else if (m.take("wait_group"))
      in.a = WgWait;
    else if (m.take("mma_async")) {
      in.a = WgMma;
      std::string shape;
      if (!m.takeIf([&](const std::string &w) { return parseShape(w, in); },
                    shape))
        throw std::runtime_error("wgmma.mma_async needs a shape");
      m.take("sp") ? throw std::runtime_error("sparse wgmma is unsupported")
                   : void();
      takeCommonFloat(m, in);
    } else
      throw std::runtime_error("unknown wgmma operation");
    if (!m.take("sync") || !m.take("aligned"))
      throw std::runtime_error("wgmma needs .sync.aligned");
    break;
  }
  m.takeTypes(in);
  std::string left = m.leftover();
  if (!left.empty())
    throw std::runtime_error("unsupported modifier '." + left + "' of '" +
                             words[0] + "'");
}

//===----------------------------------------------------------------------===//
// Parser
//===----------------------------------------------------------------------===//

std::vector<std::string> splitDots(const std::string &w) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t i = 0; i <= w.size(); ++i)
    if (i == w.size() || w[i] == '.') {
      out.push_back(w.substr(start, i - start));
      start = i + 1;
    }
  return out;
}

struct Scope {
  int parent = -1;
  std::unordered_map<std::string, uint32_t> regs;
  std::unordered_map<std::string, int32_t> labels; // label -> instr index
};

class Parser {
public:
  Parser(const std::string &text, Module &mod) : toks(lex(text)), mod(mod) {}

  void parseModule() {
    while (peek().kind != Tok::End) {
      const Token &t = peek();
      if (t.kind == Tok::Word && t.text == ".version") {
        next();
        mod.version = next().text;
        if (peek().kind == Tok::Punct && peek().text == ".")
          next();
      } else if (t.kind == Tok::Word && t.text == ".target") {
        next();
        mod.target = next().text;
        while (isPunct(","))
          next(), next();
      } else if (t.kind == Tok::Word && t.text == ".address_size") {
        next();
        mod.addressSize = static_cast<unsigned>(expectNumber());
      } else if (t.kind == Tok::Word &&
                 (t.text == ".file" || t.text == ".loc")) {
        skipLine(t.line);
      } else if (t.kind == Tok::Word && t.text == ".section") {
        next();
        next();
        skipBraces();
      } else if (t.kind == Tok::Word &&
                 (t.text == ".visible" || t.text == ".weak" ||
                  t.text == ".extern" || t.text == ".entry" ||
                  t.text == ".func" || t.text == ".global" ||
                  t.text == ".shared" || t.text == ".const" ||
                  t.text == ".common")) {
        parseTopLevel();
      } else if (t.kind == Tok::Word && t.text == ".pragma") {
        next();
        next();
        expectPunct(";");
      } else {
        fail(t.line, "unexpected '" + t.text + "' at module scope");
      }
    }
  }

private:
  std::vector<Token> toks;
  size_t pos = 0;
  Module &mod;
  Kernel *cur = nullptr;
  std::vector<Scope> scopes;
  int scope = -1;
  struct PendingLabel {
    size_t instr, operand;
    int scope;
    std::string name;
    unsigned line;
  };
  std::vector<PendingLabel> pendingLabels;

  [[noreturn]] void fail(unsigned line, const std::string &msg) {
    throw ParseError(line, msg);
  }
  const Token &peek(size_t ahead = 0) const {
    return toks[std::min(pos + ahead, toks.size() - 1)];
  }
  const Token &next() {
    const Token &t = toks[pos];
    if (pos + 1 < toks.size())
      ++pos;
    return t;
  }
  bool isPunct(const char *p) const {
    return peek().kind == Tok::Punct && peek().text == p;
  }
  bool isWord(const char *w) const {
    return peek().kind == Tok::Word && peek().text == w;
  }
  void expectPunct(const char *p) {
    if (!isPunct(p))
      fail(peek().line,
           std::string("expected '") + p + "', got '" + peek().text + "'");
    next();
  }
  uint64_t expectNumber() {
    bool neg = false;
    if (isPunct("-")) {
      next();
      neg = true;
    }
    if (peek().kind != Tok::Number)
      fail(peek().line, "expected a number, got '" + peek().text + "'");
    uint64_t v = next().value;
    return neg ? static_cast<uint64_t>(-static_cast<int64_t>(v)) : v;
  }
  std::string expectWord() {
    if (peek().kind != Tok::Word)
      fail(peek().line, "expected a name, got '" + peek().text + "'");
    return next().text;
  }
  void skipLine(unsigned line) {
    while (peek().kind != Tok::End && peek().line == line)
      next();
  }
  void skipBraces() {
    expectPunct("{");
    int depth = 1;
    while (depth > 0 && peek().kind != Tok::End) {
      if (isPunct("{"))
        ++depth;
      else if (isPunct("}"))
        --depth;
      next();
    }
  }

  /// `.align N`, type, name, optional `[N]` / `[]`, optional initializer.
  struct VarDecl {
    std::string name;
    Ty type = Ty::B8;
    uint32_t align = 0;
    uint64_t count = 1;
    bool isArray = false, unsized = false, isPtr = false;
    unsigned line = 0;
    std::vector<uint8_t> init;
  };

  VarDecl parseVarDecl(bool allowInit) {
    VarDecl d;
    d.line = peek().line;
    for (;;) {
      if (isWord(".align")) {
        next();
        d.align = static_cast<uint32_t>(expectNumber());
        continue;
      }
      if (isWord(".ptr")) {
        next();
        d.isPtr = true;
        continue;
      }
      if (peek().kind == Tok::Word && peek().text[0] == '.' &&
          (peek().text == ".global" || peek().text == ".shared" ||
           peek().text == ".const" || peek().text == ".local")) {
        next(); // .ptr .global
        continue;
      }
      if (isWord(".v2") || isWord(".v4")) {
        d.count *= peek().text == ".v2" ? 2 : 4;
        next();
        continue;
      }
      Ty t;
      if (peek().kind == Tok::Word && peek().text[0] == '.' &&
          parseTyName(peek().text.substr(1), t)) {
        d.type = t;
        next();
        continue;
      }
      break;
    }
    d.name = expectWord();
    while (isPunct("[")) {
      next();
      d.isArray = true;
      if (isPunct("]")) {
        d.unsized = true;
        next();
        continue;
      }
      d.count *= expectNumber();
      expectPunct("]");
    }
    if (allowInit && isPunct("=")) {
      next();
      unsigned bytes = std::max(1u, tyBits(d.type) / 8);
      auto emit = [&](uint64_t v) {
        for (unsigned b = 0; b < bytes; ++b)
          d.init.push_back(static_cast<uint8_t>(v >> (8 * b)));
      };
      std::function<void()> parseInit = [&]() {
        if (isPunct("{")) {
          next();
          while (!isPunct("}")) {
            parseInit();
            if (isPunct(","))
              next();
          }
          next();
          return;
        }
        if (peek().kind == Tok::Float) {
          const Token &t = next();
          uint64_t v = t.value;
          if (d.type == Ty::F32 && t.isF64) {
            double dv;
            std::memcpy(&dv, &v, 8);
            float f = static_cast<float>(dv);
            uint32_t u;
            std::memcpy(&u, &f, 4);
            v = u;
          }
          emit(v);
          return;
        }
        if (peek().kind == Tok::Word) {
          // Address of another variable: not supported in initializers.
          fail(peek().line, "symbol addresses in initializers are not "
                            "supported");
        }
        emit(expectNumber());
      };
      parseInit();
    }
    return d;
  }

  void parseTopLevel() {
    bool isExtern = false;
    while (isWord(".visible") || isWord(".weak") || isWord(".extern")) {
      if (peek().text == ".extern")
        isExtern = true;
      next();
    }
    if (isWord(".entry") || isWord(".func")) {
      parseFunction(isExtern);
      return;
    }
    std::string spaceWord = next().text;
    Space sp = spaceWord == ".shared"  ? Space::Shared
               : spaceWord == ".const" ? Space::Const
                                       : Space::Global;
    VarDecl d = parseVarDecl(true);
    expectPunct(";");
    ModuleVar v;
    v.name = d.name;
    v.space = sp;
    v.isExtern = isExtern || d.unsized;
    v.size = std::max(1u, tyBits(d.type) / 8) * d.count;
    if (d.unsized)
      v.size = 0;
    v.align = d.align ? d.align : std::max(1u, tyBits(d.type) / 8);
    v.init = std::move(d.init);
    if (v.init.size() > v.size && !d.unsized)
      fail(d.line, "initializer of '" + d.name + "' is larger than it");
    if (d.unsized && !v.init.empty())
      v.size = v.init.size();
    mod.varIndex[v.name] = static_cast<uint32_t>(mod.vars.size());
    mod.vars.push_back(std::move(v));
  }

  Param parseParam() {
    if (!isWord(".param") && !isWord(".reg"))
      fail(peek().line, "expected .param, got '" + peek().text + "'");
    next();
    VarDecl d = parseVarDecl(false);
    Param p;
    p.name = d.name;
    p.type = d.type;
    p.isArray = d.isArray;
    p.size = std::max(1u, tyBits(d.type) / 8) * d.count;
    p.align = d.align ? d.align : std::max(1u, tyBits(d.type) / 8);
    return p;
  }

  void parseFunction(bool isExtern) {
    bool isEntry = next().text == ".entry";
    auto k = std::make_unique<Kernel>();
    k->isEntry = isEntry;
    k->line = peek().line;
    if (!isEntry && isPunct("(")) {
      // Return parameters.
      next();
      while (!isPunct(")")) {
        k->returns.push_back(parseParam());
        if (isPunct(","))
          next();
      }
      next();
    }
    k->name = expectWord();
    if (isPunct("(")) {
      next();
      while (!isPunct(")")) {
        k->params.push_back(parseParam());
        if (isPunct(","))
          next();
      }
      next();
    }
    uint64_t off = 0;
    for (Param &p : k->params) {
      off = (off + p.align - 1) / p.align * p.align;
      p.offset = off;
      off += p.size;
    }
    k->paramBytes = off;
    uint64_t roff = 0;
    for (Param &p : k->returns) {
      roff = (roff + p.align - 1) / p.align * p.align;
      p.offset = roff;
      roff += p.size;
    }
    // Performance directives.
    for (;;) {
      if (isWord(".maxntid") || isWord(".reqntid")) {
        uint32_t *dst = peek().text == ".maxntid" ? k->maxntid : k->reqntid;
        next();
        for (int i = 0; i < 3; ++i) {
          dst[i] = static_cast<uint32_t>(expectNumber());
          if (!isPunct(","))
            break;
          next();
        }
        for (int i = 0; i < 3; ++i)
          if (dst[i] == 0)
            dst[i] = 1;
        continue;
      }
      if (isWord(".minnctapersm") || isWord(".maxnreg") ||
          isWord(".maxnctapersm") || isWord(".maxclusterrank")) {
        next();
        expectNumber();
        continue;
      }
      if (isWord(".reqnctapercluster") || isWord(".explicitcluster")) {
        bool hasDims = peek().text == ".reqnctapercluster";
        next();
        if (hasDims) {
          for (int i = 0; i < 3; ++i) {
            if (expectNumber() != 1)
              fail(peek().line, "clusters of more than one CTA are not "
                                "supported");
            if (!isPunct(","))
              break;
            next();
          }
        }
        continue;
      }
      if (isWord(".noreturn")) {
        next();
        continue;
      }
      if (isWord(".pragma")) {
        next();
        next();
        expectPunct(";");
        continue;
      }
      break;
    }
    if (isPunct(";") || isExtern) {
      if (isPunct(";"))
        next();
      mod.kernels.push_back(std::move(k)); // declaration only
      return;
    }
    cur = k.get();
    // Symbols: params first.
    for (const Param &p : cur->params) {
      Symbol s;
      s.name = p.name;
      s.space = Space::Param;
      s.offset = p.offset;
      s.size = p.size;
      s.align = p.align;
      addSymbol(s);
    }
    for (const Param &p : cur->returns) {
      Symbol s;
      s.name = p.name;
      s.space = Space::Param;
      s.offset = p.offset;
      s.size = p.size;
      s.align = p.align;
      addSymbol(s);
    }
    scopes.clear();
    pendingLabels.clear();
    scope = -1;
    parseBlock();
    // Resolve labels through the scope chain.
    for (const PendingLabel &pl : pendingLabels) {
      int s = pl.scope;
      int32_t target = -1;
      while (s >= 0 && target < 0) {
        auto it = scopes[s].labels.find(pl.name);
        if (it != scopes[s].labels.end())
          target = it->second;
        s = scopes[s].parent;
      }
      if (target < 0)
        fail(pl.line, "unknown label '" + pl.name + "'");
      cur->code[pl.instr].ops[pl.operand].imm = static_cast<uint64_t>(target);
    }
    // A kernel that falls off its end exits.
    Instr ex;
    ex.op = Op::Exit;
    ex.line = toks[pos > 0 ? pos - 1 : 0].line;
    ex.text = "<end of function>";
    cur->code.push_back(ex);
    mod.kernels.push_back(std::move(k));
    cur = nullptr;
  }

  int32_t addSymbol(const Symbol &s) {
    int32_t idx = static_cast<int32_t>(cur->symbols.size());
    cur->symbols.push_back(s);
    cur->symbolIndex[s.name] = idx;
    return idx;
  }

  int32_t lookupSymbol(const std::string &name) {
    auto it = cur->symbolIndex.find(name);
    if (it != cur->symbolIndex.end())
      return it->second;
    auto mv = mod.varIndex.find(name);
    if (mv == mod.varIndex.end())
      return -1;
    const ModuleVar &v = mod.vars[mv->second];
    Symbol s;
    s.name = name;
    s.space = v.space;
    s.offset = mv->second; // resolved by the executor
    s.size = v.size;
    s.align = v.align;
    s.dynamicShared = v.space == Space::Shared && v.isExtern;
    return addSymbol(s);
  }

  bool lookupReg(const std::string &name, uint32_t &reg) const {
    for (int s = scope; s >= 0; s = scopes[s].parent) {
      auto it = scopes[s].regs.find(name);
      if (it != scopes[s].regs.end()) {
        reg = it->second;
        return true;
      }
    }
    return false;
  }

  void declareReg(const std::string &name, Ty type) {
    uint32_t idx = static_cast<uint32_t>(cur->regs.size());
    cur->regs.push_back({name, type});
    scopes[scope].regs[name] = idx;
  }

  void parseBlock() {
    expectPunct("{");
    Scope sc;
    sc.parent = scope;
    scopes.push_back(sc);
    scope = static_cast<int>(scopes.size()) - 1;
    while (!isPunct("}")) {
      if (peek().kind == Tok::End)
        fail(peek().line, "unexpected end of file in function body");
      if (isPunct("{")) {
        parseBlock();
        continue;
      }
      const Token &t = peek();
      if (t.kind == Tok::Word && t.text == ".reg") {
        next();
        Ty type = Ty::B32;
        unsigned vecCount = 1;
        while (peek().kind == Tok::Word && peek().text[0] == '.') {
          std::string w = next().text.substr(1);
          if (w == "v2" || w == "v4")
            vecCount = w == "v2" ? 2 : 4;
          else if (!parseTyName(w, type))
            fail(t.line, "unknown register type '." + w + "'");
        }
        if (vecCount != 1)
          fail(t.line, "vector registers are not supported");
        for (;;) {
          std::string name = expectWord();
          if (isPunct("<")) {
            next();
            uint64_t count = expectNumber();
            expectPunct(">");
            for (uint64_t i = 0; i < count; ++i)
              declareReg(name + std::to_string(i), type);
          } else {
            declareReg(name, type);
          }
          if (!isPunct(","))
            break;
          next();
        }
        expectPunct(";");
        continue;
      }
      if (t.kind == Tok::Word && (t.text == ".local" || t.text == ".shared" ||
                                  t.text == ".const" || t.text == ".global")) {
        std::string sp = next().text;
        VarDecl d = parseVarDecl(sp == ".const" || sp == ".global");
        expectPunct(";");
        if (sp == ".local") {
          Symbol s;
          s.name = d.name;
          s.space = Space::Local;
          s.align = d.align ? d.align : 8;
          s.size = std::max(1u, tyBits(d.type) / 8) * d.count;
          cur->localBytes = (cur->localBytes + s.align - 1) / s.align * s.align;
          s.offset = cur->localBytes;
          cur->localBytes += s.size;
          addSymbol(s);
        } else {
          // Function-scope .shared/.const/.global are module variables with
          // a function-unique name.
          ModuleVar v;
          v.name = d.name;
          v.space = sp == ".shared"  ? Space::Shared
                    : sp == ".const" ? Space::Const
                                     : Space::Global;
          v.size = std::max(1u, tyBits(d.type) / 8) * d.count;
          v.align = d.align ? d.align : std::max(1u, tyBits(d.type) / 8);
          v.init = std::move(d.init);
          mod.varIndex[v.name] = static_cast<uint32_t>(mod.vars.size());
          mod.vars.push_back(std::move(v));
        }
        continue;
      }
      if (t.kind == Tok::Word && (t.text == ".loc" || t.text == ".file")) {
        skipLine(t.line);
        continue;
      }
      if (t.kind == Tok::Word && t.text == ".pragma") {
        next();
        next();
        expectPunct(";");
        continue;
      }
      if (t.kind == Tok::Word && t.text == ".param") {
        // Call-site parameter declarations inside the body.
        next();
        VarDecl d = parseVarDecl(false);
        expectPunct(";");
        Symbol s;
        s.name = d.name;
        s.space = Space::Local; // call parameters live in the frame
        s.align = d.align ? d.align : 8;
        s.size = std::max(1u, tyBits(d.type) / 8) * d.count;
        cur->localBytes = (cur->localBytes + s.align - 1) / s.align * s.align;
        s.offset = cur->localBytes;
        cur->localBytes += s.size;
        addSymbol(s);
        continue;
      }
      // Label?
      if (t.kind == Tok::Word && peek(1).kind == Tok::Punct &&
          peek(1).text == ":") {
        std::string name = next().text;
        next();
        scopes[scope].labels[name] = static_cast<int32_t>(cur->code.size());
        continue;
      }
      parseInstruction();
    }
    next();
    scope = scopes[scope].parent;
  }

  Operand parseOperandAtom(Instr &in, bool &isLabelRef, std::string &label) {
    Operand o;
    isLabelRef = false;
    if (isPunct("!")) {
      next();
      o = parseOperandAtom(in, isLabelRef, label);
      o.negate = true;
      return o;
    }
    if (isPunct("-")) {
      next();
      if (peek().kind == Tok::Number) {
        o.kind = Operand::Kind::Imm;
        o.imm = static_cast<uint64_t>(-static_cast<int64_t>(next().value));
        return o;
      }
      if (peek().kind == Tok::Float) {
        const Token &t = next();
        o.kind = Operand::Kind::Imm;
        o.immIsFloat = true;
        o.immF64 = t.isF64;
        o.imm = t.value ^ (t.isF64 ? (1ull << 63) : (1ull << 31));
        return o;
      }
      fail(peek().line, "expected a number after '-'");
    }
    if (peek().kind == Tok::Number) {
      o.kind = Operand::Kind::Imm;
      o.imm = next().value;
      return o;
    }
    if (peek().kind == Tok::Float) {
      const Token &t = next();
      o.kind = Operand::Kind::Imm;
      o.immIsFloat = true;
      // A 0f literal is f32 bits, a 0d or decimal literal f64 bits
      // (converted by the executor to the instruction's type).
      o.imm = t.value;
      o.immF64 = t.isF64;
      return o;
    }
    if (isPunct("{")) {
      next();
      std::vector<Operand> elems;
      while (!isPunct("}")) {
        bool lr;
        std::string lb;
        elems.push_back(parseOperandAtom(in, lr, lb));
        if (isPunct(","))
          next();
      }
      next();
      o.kind = Operand::Kind::Vec;
      o.vecBegin = static_cast<uint32_t>(cur->vecPool.size());
      o.vecCount = static_cast<uint32_t>(elems.size());
      for (Operand &e : elems)
        cur->vecPool.push_back(e);
      return o;
    }
    if (isPunct("[")) {
      next();
      o.kind = Operand::Kind::Addr;
      bool first = true;
      while (!isPunct("]") && !isPunct(",")) {
        bool neg = false;
        if (isPunct("+")) {
          next();
        } else if (isPunct("-")) {
          next();
          neg = true;
        } else if (!first) {
          fail(peek().line, "malformed address");
        }
        first = false;
        if (peek().kind == Tok::Number) {
          uint64_t v = next().value;
          o.imm += neg ? static_cast<uint64_t>(-static_cast<int64_t>(v)) : v;
          continue;
        }
        if (isPunct("-")) {
          next();
          uint64_t v = expectNumber();
          o.imm -= v;
          continue;
        }
        std::string name = expectWord();
        uint32_t reg;
        if (lookupReg(name, reg)) {
          if (o.base >= 0)
            fail(peek().line, "address with two registers");
          o.base = static_cast<int32_t>(reg);
        } else {
          int32_t sym = lookupSymbol(name);
          if (sym < 0)
            fail(peek().line, "unknown name '" + name + "' in address");
          o.symbol = sym;
        }
      }
      if (isPunct(",")) {
        // TMA: [tensorMap, {coordinates}]
        next();
        bool lr;
        std::string lb;
        Operand v = parseOperandAtom(in, lr, lb);
        if (v.kind != Operand::Kind::Vec)
          fail(peek().line, "expected {coordinates}");
        o.vecBegin = v.vecBegin;
        o.vecCount = v.vecCount;
      }
      expectPunct("]");
      return o;
    }
    if (peek().kind == Tok::Word) {
      std::string name = next().text;
      if (name == "_") {
        o.kind = Operand::Kind::Sink;
        return o;
      }
      uint32_t reg;
      if (lookupReg(name, reg)) {
        o.kind = Operand::Kind::Reg;
        o.reg = reg;
        return o;
      }
      static const std::pair<const char *, Special> specials[] = {
          {"%tid.x", Special::TidX},
          {"%tid.y", Special::TidY},
          {"%tid.z", Special::TidZ},
          {"%ntid.x", Special::NtidX},
          {"%ntid.y", Special::NtidY},
          {"%ntid.z", Special::NtidZ},
          {"%ctaid.x", Special::CtaidX},
          {"%ctaid.y", Special::CtaidY},
          {"%ctaid.z", Special::CtaidZ},
          {"%nctaid.x", Special::NctaidX},
          {"%nctaid.y", Special::NctaidY},
          {"%nctaid.z", Special::NctaidZ},
          {"%laneid", Special::LaneId},
          {"%warpid", Special::WarpId},
          {"%nwarpid", Special::NWarpId},
          {"%smid", Special::SmId},
          {"%nsmid", Special::NSmId},
          {"%gridid", Special::GridId},
          {"%clock", Special::Clock},
          {"%clock64", Special::Clock64},
          {"%globaltimer", Special::GlobalTimer},
          {"%lanemask_eq", Special::LaneMaskEq},
          {"%lanemask_lt", Special::LaneMaskLt},
          {"%lanemask_le", Special::LaneMaskLe},
          {"%lanemask_gt", Special::LaneMaskGt},
          {"%lanemask_ge", Special::LaneMaskGe},
          {"%dynamic_smem_size", Special::DynamicSmemSize},
          {"%total_smem_size", Special::TotalSmemSize},
          {"%cluster_ctarank", Special::ClusterCtaRank},
          {"%cluster_nctarank", Special::ClusterNCtaRank},
          {"%clusterid.x", Special::ClusterIdX},
          {"%clusterid.y", Special::ClusterIdY},
          {"%clusterid.z", Special::ClusterIdZ},
          {"%nclusterid.x", Special::NClusterIdX},
          {"%nclusterid.y", Special::NClusterIdY},
          {"%nclusterid.z", Special::NClusterIdZ},
          {"%cluster_ctaid.x", Special::ClusterCtaIdX},
          {"%cluster_ctaid.y", Special::ClusterCtaIdY},
          {"%cluster_ctaid.z", Special::ClusterCtaIdZ},
          {"%cluster_nctaid.x", Special::ClusterNCtaIdX},
          {"%cluster_nctaid.y", Special::ClusterNCtaIdY},
          {"%cluster_nctaid.z", Special::ClusterNCtaIdZ},
          {"%is_explicit_cluster", Special::IsExplicitCluster},
      };
      for (auto &s : specials)
        if (name == s.first) {
          o.kind = Operand::Kind::Special;
          o.special = s.second;
          return o;
        }
      int32_t sym = lookupSymbol(name);
      if (sym >= 0) {
        o.kind = Operand::Kind::Symbol;
        o.symbol = sym;
        return o;
      }
      // Otherwise a label (resolved at the end of the function) or a
      // function name for call.
      o.kind = Operand::Kind::Label;
      isLabelRef = true;
      label = name;
      return o;
    }
    fail(peek().line, "unexpected '" + peek().text + "' in operand");
  }

  void parseInstruction() {
    Instr in;
    in.line = peek().line;
    size_t startTok = pos;
    if (isPunct("@")) {
      next();
      bool neg = false;
      if (isPunct("!")) {
        next();
        neg = true;
      }
      std::string p = expectWord();
      uint32_t reg;
      if (!lookupReg(p, reg))
        fail(in.line, "unknown predicate '" + p + "'");
      in.guard = static_cast<int32_t>(reg);
      in.guardNegated = neg;
    }
    std::string opword = expectWord();
    std::vector<std::string> words = splitDots(opword);
    try {
      decode(in, words);
    } catch (const std::runtime_error &e) {
      fail(in.line, e.what());
    }
    // Operands.
    std::vector<std::pair<size_t, std::string>> labels;
    bool callParens = in.op == Op::Call;
    while (!isPunct(";")) {
      if (peek().kind == Tok::End)
        fail(in.line, "missing ';'");
      if (callParens && isPunct("(")) {
        // call (ret), func, (args): each group becomes a Vec operand.
        next();
        std::vector<Operand> elems;
        while (!isPunct(")")) {
          bool lr;
          std::string lb;
          elems.push_back(parseOperandAtom(in, lr, lb));
          if (isPunct(","))
            next();
        }
        next();
        Operand o;
        o.kind = Operand::Kind::Vec;
        o.vecBegin = static_cast<uint32_t>(cur->vecPool.size());
        o.vecCount = static_cast<uint32_t>(elems.size());
        for (Operand &e : elems)
          cur->vecPool.push_back(e);
        in.ops.push_back(o);
      } else {
        bool isLabel;
        std::string label;
        Operand o = parseOperandAtom(in, isLabel, label);
        if (isPunct("|")) {
          // setp's second predicate destination: p|q.
          next();
          bool lr;
          std::string lb;
          Operand q = parseOperandAtom(in, lr, lb);
          Operand v;
          v.kind = Operand::Kind::Vec;
          v.vecBegin = static_cast<uint32_t>(cur->vecPool.size());
          v.vecCount = 2;
          cur->vecPool.push_back(o);
          cur->vecPool.push_back(q);
          o = v;
        }
        if (isLabel)
          labels.push_back({in.ops.size(), label});
        in.ops.push_back(o);
      }
      if (isPunct(","))
        next();
    }
    next();
    // Source text for reports.
    for (size_t i = startTok; i + 1 < pos; ++i) {
      if (!in.text.empty() && toks[i].kind != Tok::Punct &&
          toks[i - 1].kind != Tok::Punct)
        in.text += ' ';
      else if (!in.text.empty() &&
               (toks[i].text == "[" || toks[i].text == "{") &&
               toks[i - 1].text != "," && toks[i - 1].text != "{")
        in.text += ' ';
      in.text += toks[i].text;
      if (toks[i].text == ",")
        in.text += ' ';
    }
    size_t idx = cur->code.size();
    for (auto &l : labels) {
      if (in.op == Op::Call)
        continue; // function names: resolved by the executor
      pendingLabels.push_back({idx, l.first, scope, l.second, in.line});
    }
    cur->code.push_back(std::move(in));
  }
};

} // namespace

std::unique_ptr<Module> parsePtx(const std::string &text,
                                 const std::string &fileName,
                                 std::string &error) {
  auto mod = std::make_unique<Module>();
  mod->fileName = fileName;
  try {
    Parser p(text, *mod);
    p.parseModule();
  } catch (const ParseError &e) {
    error = fileName + ":" + std::to_string(e.line) + ": " + e.what();
    return nullptr;
  } catch (const std::exception &e) {
    error = fileName + ": " + e.what();
    return nullptr;
  }
  // Module-scope static shared layout.
  mod->sharedOffset.assign(mod->vars.size(), 0);
  uint64_t off = 0;
  for (size_t i = 0; i < mod->vars.size(); ++i) {
    const ModuleVar &v = mod->vars[i];
    if (v.space != Space::Shared || v.isExtern)
      continue;
    off = (off + v.align - 1) / v.align * v.align;
    mod->sharedOffset[i] = off;
    off += v.size;
  }
  mod->staticSharedBytes = off;
  // Dynamic shared memory starts after the static part, aligned to the
  // largest alignment any extern declaration asks for (at least 16).
  uint64_t dynAlign = 16;
  for (const ModuleVar &v : mod->vars)
    if (v.space == Space::Shared && v.isExtern)
      dynAlign = std::max<uint64_t>(dynAlign, v.align);
  uint64_t dynStart = (off + dynAlign - 1) / dynAlign * dynAlign;
  for (size_t i = 0; i < mod->vars.size(); ++i)
    if (mod->vars[i].space == Space::Shared && mod->vars[i].isExtern)
      mod->sharedOffset[i] = dynStart;
  return mod;
}

} // namespace attn::gpusim
