#include "node/backup_files.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "protocol/bytes.h"

namespace allmenning {
namespace fs = std::filesystem;
namespace {

Status sysError(const std::string& what) {
  if (errno == ENOSPC) return Status::ioError("no space left on device while " + what);
  return Status::ioError(what + ": " + std::strerror(errno));
}

// Reads `in` to its end, hashing it and writing it to `out`, then fsyncs `out`.
Result<FileSum> pump(int in, int out, const std::string& from, const std::string& to) {
  crypto_hash_sha256_state state;
  crypto_hash_sha256_init(&state);
  std::vector<uint8_t> buf(1 << 20);
  FileSum sum;
  for (;;) {
    ssize_t n = ::read(in, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return sysError("reading " + from);
    if (n == 0) break;
    crypto_hash_sha256_update(&state, buf.data(), static_cast<size_t>(n));
    sum.bytes += static_cast<uint64_t>(n);
    for (ssize_t done = 0; done < n;) {
      ssize_t w = ::write(out, buf.data() + done, static_cast<size_t>(n - done));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) return sysError("writing " + to);
      done += w;
    }
  }
  uint8_t digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(&state, digest);
  sum.sha256 = toHex(ByteView(digest, sizeof digest));
  if (::fsync(out) != 0) return sysError("syncing " + to);
  return sum;
}

// A regular file opened for reading, never through a symbolic link.
Result<int> openRegular(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 && errno == ELOOP) return Status::invalid(path + " is a symbolic link");
  if (fd < 0) return sysError("opening " + path);
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::invalid(path + " is not a regular file");
  }
  return fd;
}

}  // namespace

Result<FileSum> copyFileSummed(const std::string& from, const std::string& to, unsigned mode) {
  auto in = openRegular(from);
  if (!in.isOk()) return in.status();
  int out = ::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  if (out < 0) {
    ::close(*in);
    return sysError("creating " + to);
  }
  auto sum = pump(*in, out, from, to);
  ::close(*in);
  if (::close(out) != 0 && sum.isOk()) return sysError("writing " + to);
  return sum;
}

Result<std::vector<std::string>> listFiles(const std::string& root) {
  std::vector<std::string> out;
  std::error_code ec;
  fs::recursive_directory_iterator it(root, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    auto type = it->symlink_status(ec).type();
    if (ec) break;
    std::string rel = it->path().lexically_relative(root).string();
    if (type == fs::file_type::directory) continue;
    if (type != fs::file_type::regular) {
      return Status::invalid(root + "/" + rel + " is not a regular file or a folder");
    }
    out.push_back(rel);
  }
  if (ec) return Status::ioError("listing " + root + ": " + ec.message());
  std::sort(out.begin(), out.end());
  return out;
}

Status syncFolders(const std::string& root) {
  std::vector<std::string> dirs{root};
  std::error_code ec;
  for (fs::recursive_directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->symlink_status(ec).type() == fs::file_type::directory) dirs.push_back(it->path());
  }
  if (ec) return Status::ioError("listing " + root + ": " + ec.message());
  for (const auto& d : dirs) ALM_RETURN_IF_ERROR(syncFolder(d));
  return Status::ok();
}

Status syncFolder(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return sysError("opening " + dir);
  int rc = ::fsync(fd);
  ::close(fd);
  return rc == 0 ? Status::ok() : sysError("syncing " + dir);
}

Result<std::string> makeStaging(const std::string& parent, const std::string& name,
                                const std::string& tag) {
  std::string tmpl = parent + "/." + name + "." + tag + "-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) return sysError("creating a folder in " + parent);
  return tmpl;
}

Staging::~Staging() {
  std::error_code ec;
  if (!keep && !path.empty()) fs::remove_all(path, ec);
}

Status checkEmptyTarget(const std::string& dir, const std::string& what) {
  std::error_code ec;
  auto st = fs::symlink_status(dir, ec);
  if (!fs::exists(st)) return Status::ok();
  if (!fs::is_directory(st) || !fs::is_empty(dir, ec)) {
    return Status::refused(dir + " already exists and is not an empty folder; refusing to " + what +
                           " into it");
  }
  return Status::ok();
}

std::pair<std::string, std::string> parentAndName(const std::string& dir) {
  fs::path p = fs::path(dir).lexically_normal();
  if (p.filename().empty()) p = p.parent_path();
  std::string parent = p.parent_path().string();
  return {parent.empty() ? "." : parent, p.filename().string()};
}

}  // namespace allmenning
