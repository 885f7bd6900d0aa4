#include "node/intent.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "node/home.h"

namespace allmenning {
namespace {

constexpr std::string_view kMagic = "allmenning-intent v1";

Result<Entry> parseIntentLine(const std::string& line) {
  std::istringstream in(line);
  std::string header, signature, payload;
  if (!(in >> header >> signature >> payload)) return Status::corruption("short line");
  auto h = fromBase64(header);
  auto s = fromHex(signature);
  auto p = fromBase64(payload);
  if (!h || !s || !p) return Status::corruption("bad encoding");
  return entryFromParts(*h, *s, std::move(*p));
}

}  // namespace

Status writeIntent(const std::string& path, const std::vector<Entry>& entries) {
  std::string text(kMagic);
  text += '\n';
  for (const auto& e : entries) {
    text += toBase64(e.headerBytes) + ' ' + toHex(e.signature) + ' ' + toBase64(*e.payload) + '\n';
  }
  return writeFileAtomic(path, text, 0600);
}

Result<std::vector<Entry>> readIntent(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return std::vector<Entry>();
    return Status::ioError("reading " + path + ": " + std::strerror(errno));
  }
  std::string line;
  if (!std::getline(in, line) || line != kMagic) {
    return Status::corruption(path + " is damaged: missing its first line");
  }
  std::vector<Entry> entries;
  while (std::getline(in, line)) {
    auto e = parseIntentLine(line);
    if (!e.isOk()) {
      return Status::corruption(path + " is damaged at entry " +
                                std::to_string(entries.size() + 1) + ": " + e.status().message());
    }
    bool linked = entries.empty() || (e->header.seq == entries.back().header.seq + 1 &&
                                      e->header.prev == entries.back().hash);
    if (!linked) return Status::corruption(path + " is damaged: its entries do not form a chain");
    entries.push_back(std::move(*e));
  }
  return entries;
}

}  // namespace allmenning
