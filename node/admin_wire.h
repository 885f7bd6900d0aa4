// The admin socket's wire format: one request from the CLI, then a stream of
// reply frames from the running node (docs/architecture.md, "Admin socket").
//
//   request = magic "ALM1" | u32 bodyLength | body
//   body    = u32 argc | argc x (u32 length | bytes)     the argv after the program name
//           | u32 length | bytes                         the absolute cwd
//           | u8 hasStdin | [u32 length | bytes]         stdin the command read
//   reply   = frame* exitFrame
//   frame   = u8 type | u32 length | bytes               1 stdout, 2 stderr, 3 exit
//   exit    = type 3, length 4, i32 exit code; the last frame
//
// Integers are big-endian. Sans-I/O: these functions only encode and decode
// bytes; node/admin_socket.h moves them. Every length is checked against its
// limit before anything is allocated for it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/status.h"

namespace allmenning {

// A command for the running node: what the CLI would have run itself.
struct AdminRequest {
  std::vector<std::string> argv;         // after the program name
  std::string cwd;                       // absolute; relative paths in argv are resolved against it
  std::optional<std::string> stdinData;  // what the command read from stdin, if it did
};

struct AdminLimits {
  size_t maxBody = size_t{64} << 20;  // the whole request body
  size_t maxArgs = 256;
  size_t maxArgBytes = size_t{64} << 10;
  size_t maxCwdBytes = 4096;
};

enum class FrameType : uint8_t { kStdout = 1, kStderr = 2, kExit = 3 };

constexpr size_t kRequestHeaderBytes = 8;
constexpr size_t kFrameHeaderBytes = 5;
// Output is sent in frames of at most this many bytes.
constexpr size_t kMaxFrameBytes = size_t{64} << 10;

// The whole request: header and body.
std::string encodeRequest(const AdminRequest& request);
// Checks the magic and returns the body length, refusing one over the limit.
Result<size_t> decodeRequestHeader(std::string_view header, const AdminLimits& limits);
// Decodes a body: every count and length within its limit and within the
// body, no NUL in argv or cwd, a cwd that is absolute, nothing left over.
Result<AdminRequest> decodeRequestBody(std::string_view body, const AdminLimits& limits);

// One reply frame. `data` is at most kMaxFrameBytes.
std::string encodeFrame(FrameType type, std::string_view data);
std::string encodeExitFrame(int exitCode);
struct FrameHeader {
  FrameType type = FrameType::kStdout;
  size_t length = 0;
};
// Refuses an unknown type, a frame longer than kMaxFrameBytes, or an exit
// frame whose length is not 4.
Result<FrameHeader> decodeFrameHeader(std::string_view header);
// The exit code carried by an exit frame's 4 bytes.
int decodeExitCode(std::string_view data);

}  // namespace allmenning
