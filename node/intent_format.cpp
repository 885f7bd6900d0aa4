// The intent file's text format (node/intent.h), apart from the file: pure,
// so the fuzz target decodes exactly what readIntent decodes.
#include <sstream>

#include "node/intent.h"

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

std::string encodeIntent(const std::vector<Entry>& entries) {
  std::string text(kMagic);
  text += '\n';
  for (const auto& e : entries) {
    text += toBase64(e.headerBytes) + ' ' + toHex(e.signature) + ' ' + toBase64(*e.payload) + '\n';
  }
  return text;
}

Result<std::vector<Entry>> decodeIntent(std::string_view text) {
  std::istringstream in{std::string(text)};
  std::string line;
  if (!std::getline(in, line) || line != kMagic) {
    return Status::corruption("damaged: missing its first line");
  }
  std::vector<Entry> entries;
  while (std::getline(in, line)) {
    auto e = parseIntentLine(line);
    if (!e.isOk()) {
      return Status::corruption("damaged at entry " + std::to_string(entries.size() + 1) + ": " +
                                e.status().message());
    }
    bool linked = entries.empty() || (e->header.seq == entries.back().header.seq + 1 &&
                                      e->header.prev == entries.back().hash);
    if (!linked) return Status::corruption("damaged: its entries do not form a chain");
    entries.push_back(std::move(*e));
  }
  return entries;
}

}  // namespace allmenning
