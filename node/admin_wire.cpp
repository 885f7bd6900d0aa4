#include "node/admin_wire.h"

namespace allmenning {
namespace {

constexpr std::string_view kMagic = "ALM1";

void putU32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(v >> shift));
}

void putBytes(std::string& out, std::string_view bytes) {
  putU32(out, static_cast<uint32_t>(bytes.size()));
  out.append(bytes);
}

uint32_t getU32(std::string_view in) {
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>(in[i]);
  return v;
}

// Reads a body front to back; every read is checked against what is left,
// so a length can never point past the end.
class BodyReader {
 public:
  explicit BodyReader(std::string_view body) : rest_(body) {}
  bool done() const { return rest_.empty(); }

  Result<uint32_t> u32(const char* what) {
    if (rest_.size() < 4) return Status::invalid(std::string(what) + ": request ends early");
    uint32_t v = getU32(rest_);
    rest_.remove_prefix(4);
    return v;
  }
  Result<uint8_t> u8(const char* what) {
    if (rest_.empty()) return Status::invalid(std::string(what) + ": request ends early");
    uint8_t v = static_cast<uint8_t>(rest_.front());
    rest_.remove_prefix(1);
    return v;
  }
  // A length-prefixed string of at most `limit` bytes.
  Result<std::string> bytes(const char* what, size_t limit) {
    auto n = u32(what);
    if (!n.isOk()) return n.status();
    if (*n > limit) {
      return Status::invalid(std::string(what) + ": " + std::to_string(*n) +
                             " bytes exceeds the limit of " + std::to_string(limit));
    }
    if (*n > rest_.size()) return Status::invalid(std::string(what) + ": request ends early");
    std::string out(rest_.substr(0, *n));
    rest_.remove_prefix(*n);
    return out;
  }

 private:
  std::string_view rest_;
};

// argv and cwd become C strings on the server, where a NUL would cut them.
Status noNul(const std::string& s, const char* what) {
  if (s.find('\0') != std::string::npos) return Status::invalid(std::string(what) + ": NUL byte");
  return Status::ok();
}

Result<std::vector<std::string>> readArgv(BodyReader& r, const AdminLimits& limits) {
  auto argc = r.u32("argc");
  if (!argc.isOk()) return argc.status();
  if (*argc > limits.maxArgs) {
    return Status::invalid("argc: " + std::to_string(*argc) + " exceeds the limit of " +
                           std::to_string(limits.maxArgs));
  }
  std::vector<std::string> argv;
  for (uint32_t i = 0; i < *argc; ++i) {
    auto arg = r.bytes("argv", limits.maxArgBytes);
    if (!arg.isOk()) return arg.status();
    ALM_RETURN_IF_ERROR(noNul(*arg, "argv"));
    argv.push_back(std::move(*arg));
  }
  return argv;
}

}  // namespace

// The client is trusted to stay within the limits (the CLI's own argv and
// stdin); the server checks them all the same in decodeRequestBody.
std::string encodeRequest(const AdminRequest& request) {
  std::string body;
  putU32(body, static_cast<uint32_t>(request.argv.size()));
  for (const auto& arg : request.argv) putBytes(body, arg);
  putBytes(body, request.cwd);
  body.push_back(request.stdinData ? 1 : 0);
  if (request.stdinData) putBytes(body, *request.stdinData);
  std::string out(kMagic);
  putU32(out, static_cast<uint32_t>(body.size()));
  return out + body;
}

Result<size_t> decodeRequestHeader(std::string_view header, const AdminLimits& limits) {
  if (header.size() != kRequestHeaderBytes || header.substr(0, 4) != kMagic) {
    return Status::invalid("not an admin request (bad magic)");
  }
  size_t length = getU32(header.substr(4));
  if (length > limits.maxBody) {
    return Status::invalid("request of " + std::to_string(length) + " bytes exceeds the limit of " +
                           std::to_string(limits.maxBody));
  }
  return length;
}

// Field by field, in wire order. The body is already bounded by maxBody, and
// each length is checked against what is left before it is copied.
Result<AdminRequest> decodeRequestBody(std::string_view body, const AdminLimits& limits) {
  if (body.size() > limits.maxBody) return Status::invalid("request too large");
  BodyReader r(body);
  AdminRequest req;
  auto argv = readArgv(r, limits);
  if (!argv.isOk()) return argv.status();
  req.argv = std::move(*argv);
  auto cwd = r.bytes("cwd", limits.maxCwdBytes);
  if (!cwd.isOk()) return cwd.status();
  ALM_RETURN_IF_ERROR(noNul(*cwd, "cwd"));
  if (cwd->empty() || cwd->front() != '/') return Status::invalid("cwd: not an absolute path");
  req.cwd = std::move(*cwd);
  auto hasStdin = r.u8("stdin flag");
  if (!hasStdin.isOk()) return hasStdin.status();
  if (*hasStdin > 1) return Status::invalid("stdin flag: not 0 or 1");
  if (*hasStdin == 1) {
    auto data = r.bytes("stdin", limits.maxBody);
    if (!data.isOk()) return data.status();
    req.stdinData = std::move(*data);
  }
  if (!r.done()) return Status::invalid("trailing bytes after the request");
  return req;
}

std::string encodeFrame(FrameType type, std::string_view data) {
  std::string out(1, static_cast<char>(type));
  putBytes(out, data);
  return out;
}

std::string encodeExitFrame(int exitCode) {
  std::string code;
  putU32(code, static_cast<uint32_t>(exitCode));
  return encodeFrame(FrameType::kExit, code);
}

Result<FrameHeader> decodeFrameHeader(std::string_view header) {
  if (header.size() != kFrameHeaderBytes) return Status::invalid("short reply frame header");
  uint8_t type = static_cast<uint8_t>(header[0]);
  if (type < 1 || type > 3) return Status::invalid("unknown reply frame type");
  FrameHeader h{static_cast<FrameType>(type), getU32(header.substr(1))};
  if (h.length > kMaxFrameBytes) return Status::invalid("reply frame too large");
  if (h.type == FrameType::kExit && h.length != 4) return Status::invalid("bad exit frame");
  return h;
}

// Signed, so an exit code is carried as the process would report it.
int decodeExitCode(std::string_view data) { return static_cast<int32_t>(getU32(data)); }

}  // namespace allmenning
