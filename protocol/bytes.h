// Byte strings and their text forms (hex for keys and hashes, base64 for blobs).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace allmenning {

using Bytes = std::vector<uint8_t>;
using ByteView = std::span<const uint8_t>;
using Hash = std::array<uint8_t, 32>;       // BLAKE2b-256
using PublicKey = std::array<uint8_t, 32>;  // Ed25519
using Signature = std::array<uint8_t, 64>;  // Ed25519

inline ByteView view(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
inline std::string_view asChars(ByteView b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// Lowercase hex of `b`.
std::string toHex(ByteView b);
// Parses exactly 2*N hex digits (either case). nullopt on any other input.
template <size_t N>
std::optional<std::array<uint8_t, N>> fromHexFixed(std::string_view hex);
// Parses any even-length hex string.
std::optional<Bytes> fromHex(std::string_view hex);

std::string toBase64(ByteView b);
std::optional<Bytes> fromBase64(std::string_view text);

// Copies `b` into a fixed array when its length is exactly N.
template <size_t N>
std::optional<std::array<uint8_t, N>> toFixed(ByteView b) {
  if (b.size() != N) return std::nullopt;
  std::array<uint8_t, N> out;
  std::copy(b.begin(), b.end(), out.begin());
  return out;
}

template <size_t N>
std::optional<std::array<uint8_t, N>> fromHexFixed(std::string_view hex) {
  if (hex.size() != 2 * N) return std::nullopt;
  auto bytes = fromHex(hex);
  if (!bytes) return std::nullopt;
  return toFixed<N>(*bytes);
}

// Big-endian encodings used in storage keys, so that keys sort by number.
void appendBigEndian64(std::string& out, uint64_t v);
uint64_t readBigEndian64(std::string_view in);  // precondition: in.size() >= 8

}  // namespace allmenning
