// HOST:PORT, the one rule for every address this node is given: the config's
// `listen` (init, config load, run) and a peer's address (peer add, and the
// peers stored in the database). Checked when given, so that `run` never
// meets an address it cannot use.
#pragma once

#include <cstdint>
#include <string>

#include "protocol/status.h"

namespace allmenning {

struct HostPort {
  std::string host;  // an IPv4 address, an IPv6 address without its brackets, or a name
  uint16_t port = 0;
};

enum class PortZero { kRefused, kAllowed };

// Parses "HOST:PORT". HOST is a dotted IPv4 address (four numbers 0..255),
// an IPv6 address in brackets ("[::1]"), or a host name (labels of letters,
// digits, '-' and '_', at most 63 bytes each and 253 in all). PORT is
// 1..65535, or 0 ("any free port") when `zero` allows it. The refusal says
// which part is wrong; the value is echoed by the one rule of protocol/echo.h.
Result<HostPort> parseHostPort(const std::string& text, PortZero zero);

}  // namespace allmenning
