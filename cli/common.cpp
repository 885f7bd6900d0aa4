#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>

#include "cli/cli.h"

namespace allmenning::cli {

int fail(const Status& status) {
  std::cerr << "allmenning: " << status.message() << "\n";
  return status.exitCode();
}

Result<std::unique_ptr<Node>> openNode(const Globals& g) {
  return Node::open(g.home, systemClock());
}

void withNode(Globals& g, const std::function<Status(Node&)>& body) {
  auto node = openNode(g);
  Status st = node.isOk() ? body(**node) : node.status();
  if (!st.isOk()) g.exitCode = fail(st);
}

Result<std::string> readInputFile(const std::string& path, size_t maxBytes) {
  std::string data;
  if (path == "-") {
    data.resize(maxBytes + 1);
    std::cin.read(data.data(), static_cast<std::streamsize>(data.size()));
    data.resize(static_cast<size_t>(std::cin.gcount()));
  } else {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      return Status::invalid(path + ": " + std::strerror(errno));
    }
    if (!S_ISREG(st.st_mode)) return Status::invalid(path + ": not a regular file");
    if (static_cast<size_t>(st.st_size) > maxBytes) {
      return Status::invalid(path + ": " + std::to_string(st.st_size) +
                             " bytes exceeds the limit of " + std::to_string(maxBytes) + " bytes");
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) return Status::invalid(path + ": cannot open for reading");
    data.assign(std::istreambuf_iterator<char>(in), {});
    if (in.bad()) return Status::ioError(path + ": read error");
  }
  if (data.size() > maxBytes) {
    return Status::invalid(path + ": input exceeds the limit of " + std::to_string(maxBytes) +
                           " bytes");
  }
  return data;
}

// Paths and names given on the command line need not be UTF-8; they are
// printed with replacement characters rather than failing.
void printJson(const Json& j) {
  std::cout << j.dump(2, ' ', false, Json::error_handler_t::replace) << "\n";
}

}  // namespace allmenning::cli
