// How a value given by a user or a peer is echoed in a message: one rule for
// every error that repeats what it was given, so a 10,000-byte argument or a
// hostile field costs one short, safe excerpt and never a screenful.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace allmenning {

// The most bytes of a value a message repeats; a whole SHA-256 hex digest
// (64) and any valid id (80) fit.
constexpr size_t kMaxEchoBytes = 80;

// `s` cut to kMaxEchoBytes at the start of a code point, with "..." when
// anything was cut; unchanged when it fits.
std::string cutForEcho(std::string_view s);

// `s` as a JSON string literal ("...", control characters escaped, bytes
// that are not UTF-8 replaced), cut as cutForEcho() cuts it.
std::string quote(std::string_view s);

}  // namespace allmenning
