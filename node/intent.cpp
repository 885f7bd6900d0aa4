#include "node/intent.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "node/home.h"

namespace allmenning {

Status writeIntent(const std::string& path, const std::vector<Entry>& entries) {
  return writeFileAtomic(path, encodeIntent(entries), 0600);
}

Result<std::vector<Entry>> readIntent(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return std::vector<Entry>();
    return Status::ioError("reading " + path + ": " + std::strerror(errno));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Status::ioError("reading " + path + ": " + std::strerror(errno));
  auto entries = decodeIntent(text.str());
  if (!entries.isOk()) return Status::corruption(path + " is " + entries.status().message());
  return entries;
}

}  // namespace allmenning
