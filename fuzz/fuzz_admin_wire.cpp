// Fuzzes the admin socket's wire decoders (node/admin_wire.h): the request a
// local client sends the running node, and the reply frames the CLI reads.
//
// Input: one flags byte, then the bytes. Flags bit 0 uses small limits, so
// every limit is reached; bit 1 reads the bytes as a reply stream instead of
// a request. Promises checked: any bytes yield a value or a Status; a
// request header gives a length within the limit; an accepted body stays
// within every limit, has no NUL in argv or cwd, an absolute cwd, and
// re-encodes to exactly the bytes it came from (one encoding); an accepted
// frame header is within kMaxFrameBytes (4 for an exit frame) and
// re-encodes to itself, as does an exit frame's code.
#include <string>
#include <string_view>

#include "fuzz/fuzz_util.h"
#include "node/admin_wire.h"

using namespace allmenning;

namespace {

void checkRequest(std::string_view bytes, const AdminLimits& limits) {
  std::string_view header = bytes.substr(0, kRequestHeaderBytes);
  std::string_view body = bytes.substr(header.size());
  auto length = decodeRequestHeader(header, limits);
  if (length.isOk()) {
    if (*length > limits.maxBody) fuzz::broken("a header over the body limit is accepted");
    body = body.substr(0, *length);  // the server reads exactly this much
  }
  auto request = decodeRequestBody(body, limits);
  if (!request.isOk()) return;
  if (request->argv.size() > limits.maxArgs) fuzz::broken("argc over the limit accepted");
  for (const auto& arg : request->argv) {
    if (arg.size() > limits.maxArgBytes) fuzz::broken("an argument over the limit accepted");
    if (arg.find('\0') != std::string::npos) fuzz::broken("a NUL in argv accepted");
  }
  const std::string& cwd = request->cwd;
  if (cwd.empty() || cwd[0] != '/' || cwd.size() > limits.maxCwdBytes ||
      cwd.find('\0') != std::string::npos) {
    fuzz::broken("a cwd that breaks the rules accepted");
  }
  std::string again = encodeRequest(*request);
  if (std::string_view(again).substr(kRequestHeaderBytes) != body) {
    fuzz::broken("a request has two encodings");
  }
  auto reread = decodeRequestHeader(std::string_view(again).substr(0, kRequestHeaderBytes), limits);
  if (!reread.isOk() || *reread != body.size()) fuzz::broken("a re-encoded header is refused");
}

// Frames one after another, as the CLI reads a reply, until one is refused
// or the bytes end.
void checkFrames(std::string_view bytes) {
  while (bytes.size() >= kFrameHeaderBytes) {
    std::string_view raw = bytes.substr(0, kFrameHeaderBytes);
    auto header = decodeFrameHeader(raw);
    if (!header.isOk()) return;
    if (header->length > kMaxFrameBytes) fuzz::broken("a frame over the limit accepted");
    bytes.remove_prefix(kFrameHeaderBytes);
    std::string_view data = bytes.substr(0, header->length);
    if (header->type == FrameType::kExit) {
      if (header->length != 4) fuzz::broken("an exit frame not of 4 bytes accepted");
      if (data.size() < 4) return;
      if (encodeExitFrame(decodeExitCode(data)) != std::string(raw) + std::string(data)) {
        fuzz::broken("an exit frame has two encodings");
      }
    } else if (encodeFrame(header->type, std::string(header->length, 'x')).substr(0, 5) != raw) {
      fuzz::broken("a frame header has two encodings");
    }
    if (data.size() < header->length) return;
    bytes.remove_prefix(header->length);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Reader in(data, size);
  uint8_t flags = in.u8();
  ByteView rest = in.rest();
  std::string_view bytes(reinterpret_cast<const char*>(rest.data()), rest.size());
  if (flags & 2) {
    checkFrames(bytes);
    return 0;
  }
  AdminLimits limits;
  if (flags & 1) limits = AdminLimits{96, 3, 16, 24};
  checkRequest(bytes, limits);
  return 0;
}
