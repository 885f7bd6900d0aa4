#include "protocol/echo.h"

#include <nlohmann/json.hpp>

namespace allmenning {
namespace {

// The length of the excerpt: at most kMaxEchoBytes, backed up to the start
// of a code point so the excerpt stays UTF-8.
size_t cutAt(std::string_view s) {
  if (s.size() <= kMaxEchoBytes) return s.size();
  size_t cut = kMaxEchoBytes;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return cut;
}

}  // namespace

std::string cutForEcho(std::string_view s) {
  size_t cut = cutAt(s);
  return std::string(s.substr(0, cut)) + (cut < s.size() ? "..." : "");
}

std::string quote(std::string_view s) {
  size_t cut = cutAt(s);
  std::string out = nlohmann::json(std::string(s.substr(0, cut)))
                        .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (cut < s.size()) out.insert(out.size() - 1, "...");
  return out;
}

}  // namespace allmenning
