// Parsing a public key given on the command line.
#pragma once

#include <string>

#include "protocol/bytes.h"
#include "protocol/echo.h"
#include "protocol/status.h"

namespace allmenning::cli {

// 64 hex characters, as `allmenning id` prints them.
inline Result<PublicKey> parsePublicKey(const std::string& hex) {
  auto key = hex.size() == 64 ? fromHexFixed<32>(hex) : std::nullopt;
  if (!key) return Status::invalid(quote(hex) + " is not a public key (64 hex characters)");
  return *key;
}

}  // namespace allmenning::cli
