#include "node/import_file.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>

#include "protocol/case_json.h"

namespace allmenning {
namespace {

// A line longer than this cannot hold a valid entry or case.
constexpr size_t kMaxLineBytes = 1 << 20;

using Json = nlohmann::ordered_json;

}  // namespace

Result<ImportItem> parseImportLine(const std::string& line) {
  // The JSON parser stops at a NUL, which would let bytes after it pass.
  if (line.find('\0') != std::string::npos) return Status::invalid("line contains a NUL byte");
  Json j = Json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::invalid("not valid JSON");
  if (!j.is_object()) return Status::invalid("not a JSON object");
  ImportItem item;
  if (!j.contains("header")) {
    // The same gate as `case put`: size, duplicate keys, every field rule.
    auto payload = caseFromJson(line);
    if (!payload.isOk()) return payload.status();
    item.casePayload = std::move(*payload);
    return item;
  }
  auto field = [&](const char* k) -> std::string {
    return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : std::string();
  };
  if (!j.contains("payload") || !j["payload"].is_string()) {
    return Status::invalid("entry has no payload (erased, or not a string); cannot import it");
  }
  auto header = fromBase64(field("header"));
  auto signature = fromHex(field("signature"));
  auto payload = fromBase64(field("payload"));
  if (!header || !signature || !payload) {
    return Status::invalid("entry needs base64 \"header\", hex \"signature\", base64 \"payload\"");
  }
  auto e = entryFromParts(*header, *signature, std::move(*payload));
  if (!e.isOk()) return Status::invalid(e.status().message());
  item.entry = std::move(*e);
  return item;
}

Result<std::unique_ptr<ImportFile>> ImportFile::open(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return Status::invalid(path + ": " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) {
    return Status::invalid(path +
                           ": not a regular file; import reads its input twice (check, then "
                           "write), so save a pipe or stream to a file first");
  }
  std::unique_ptr<ImportFile> f(new ImportFile(path));
  f->in_.open(path, std::ios::binary);
  if (!f->in_) return Status::invalid(path + ": cannot open for reading");
  f->buf_.resize(kMaxLineBytes + 2);
  return f;
}

bool ImportFile::next(std::string& line, bool& tooLong) {
  tooLong = false;
  in_.getline(buf_.data(), static_cast<std::streamsize>(buf_.size()));
  const size_t len = static_cast<size_t>(in_.gcount());
  if (len == 0 && in_.eof()) return false;
  if (in_.fail() && !in_.eof()) {  // the buffer filled before the line ended
    in_.clear();
    in_.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
    tooLong = true;
    return true;
  }
  // gcount counts the newline when one ended the line; a NUL inside the
  // line stays in it (and makes it invalid JSON) rather than cutting it.
  line.assign(buf_.data(), in_.eof() ? len : len - 1);
  return true;
}

Status ImportFile::forEachLine(
    const std::function<Status(uint64_t, uint64_t, Result<ImportItem>)>& fn) {
  in_.clear();
  in_.seekg(0);
  std::string line;
  bool tooLong = false;
  for (uint64_t n = 1;; ++n) {
    const auto offset = static_cast<uint64_t>(in_.tellg());
    if (!next(line, tooLong)) break;
    if (tooLong) {
      ALM_RETURN_IF_ERROR(fn(n, offset, Status::invalid("line longer than 1 MiB")));
    } else if (line.find_first_not_of(" \t\r") != std::string::npos) {
      ALM_RETURN_IF_ERROR(fn(n, offset, parseImportLine(line)));
    }
    if (in_.eof()) break;
  }
  return in_.bad() ? Status::ioError(path_ + ": read error") : Status::ok();
}

Result<ImportItem> ImportFile::lineAt(uint64_t offset) {
  in_.clear();
  in_.seekg(static_cast<std::streamoff>(offset));
  std::string line;
  bool tooLong = false;
  if (!in_ || !next(line, tooLong))
    return Status::invalid("no line at byte " + std::to_string(offset));
  if (tooLong) return Status::invalid("line longer than 1 MiB");
  return parseImportLine(line);
}

}  // namespace allmenning
