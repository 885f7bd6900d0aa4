#include "node/home.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <sstream>

#include "node/address.h"
#include "protocol/case_rules.h"
#include "protocol/echo.h"
#include "protocol/records.h"

namespace allmenning {
namespace {

Status sysError(const std::string& what) {
  if (errno == ENOSPC) {
    return Status::ioError("no space left on device while " + what + "; free space and retry");
  }
  return Status::ioError(what + ": " + std::strerror(errno));
}

Status writeAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return sysError("writing " + path);
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::ok();
}

// Refuses what is not a regular file, naming what it is: a directory in the
// place of the key would otherwise be judged by its mode.
Status checkRegularFile(const std::string& what, const std::string& path, const struct stat& st) {
  if (S_ISREG(st.st_mode)) return Status::ok();
  std::string is = S_ISDIR(st.st_mode)                          ? "a directory"
                   : S_ISFIFO(st.st_mode)                       ? "a FIFO"
                   : S_ISSOCK(st.st_mode)                       ? "a socket"
                   : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device"
                                                                : "not a regular file";
  return Status::refused(what + " " + path + " is " + is + "; it must be a regular file");
}

Status fsyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return sysError("opening " + dir);
  int rc = ::fsync(fd);
  ::close(fd);
  return rc == 0 ? Status::ok() : sysError("syncing " + dir);
}

}  // namespace

// A peer's address, by the one HOST:PORT rule of node/address.h; the host is
// resolved when dialed.
Result<DialPeer> parsePeerAddress(const std::string& address) {
  auto parsed = parseHostPort(address, PortZero::kRefused);
  if (!parsed.isOk()) return parsed.status().withContext("address");
  return DialPeer{parsed->host, parsed->port, PublicKey{}};
}

Status checkConfig(const Config& c) {
  // Port 0: the system picks a free port when the node starts.
  auto listen = parseHostPort(c.listen, PortZero::kAllowed);
  if (!listen.isOk()) return listen.status().withContext("listen");
  if (c.acceptPeers != "any" && c.acceptPeers != "trusted") {
    return Status::invalid("accept_peers: " + quote(c.acceptPeers) +
                           " is not \"any\" or \"trusted\"");
  }
  if (c.network.empty() || !rules::isValidId(c.network)) {
    return Status::invalid("network: " + quote(c.network) + " must match [a-z0-9][a-z0-9-]{0,79}");
  }
  for (const auto& [key, address] : c.peers) {
    auto peer = parsePeerAddress(address);
    if (!peer.isOk()) return peer.status().withContext("peers." + toHex(key));
  }
  return Status::ok();
}

std::string renderConfig(const Config& c) {
  toml::table node{{"listen", c.listen}, {"network", c.network}, {"accept_peers", c.acceptPeers}};
  if (c.logLevel != LogLevel::kInfo) node.insert("log_level", logLevelName(c.logLevel));
  toml::table all{{"node", node}};
  if (!c.peers.empty()) {
    toml::table peers;
    for (const auto& [key, address] : c.peers) peers.insert(toHex(key), address);
    all.insert("peers", peers);
  }
  std::ostringstream out;
  out << "# Allmenning node configuration; see docs/configuration.md\n" << all << "\n";
  return out.str();
}

namespace {

// Reads the optional [limits] table into `limits`.
Status readLimits(const toml::table& table, Limits& limits) {
  for (auto&& [key, value] : table) {
    std::string k(key.str());
    auto keys = limitKeys();
    auto it =
        std::find_if(keys.begin(), keys.end(), [&](const LimitKey& l) { return l.name == k; });
    if (it == keys.end()) return Status::invalid("limits." + k + ": unknown key");
    std::optional<int64_t> v = value.value<int64_t>();
    if (!value.is_integer() || !v || *v < 0) {
      return Status::invalid("limits." + k + ": must be a whole number of at least 0");
    }
    limits.*(it->field) = static_cast<uint64_t>(*v);
  }
  return checkLimits(limits);
}

// A config written before the profile could change held the body's name,
// orgnr and kommunenummer; the signed profile holds them now, and a second
// copy here could only disagree with it.
std::string profileKeyIgnored(const std::string& path, const std::string& key) {
  return path + ": node." + key +
         " is ignored: it is published in this node's signed profile; change it with "
         "`allmenning profile set --" +
         key + " ...` and remove it from the config";
}

// Reads the optional [peers] table: public key (hex) = "host:port".
Status readPeers(const toml::table& table, std::map<PublicKey, std::string>& peers) {
  for (auto&& [name, value] : table) {
    std::string k(name.str());
    auto key = fromHexFixed<32>(k);
    if (!key) return Status::invalid("peers." + k + ": not a public key (64 hex characters)");
    if (!value.is_string()) {
      return Status::invalid("peers." + k + ": must be a string \"HOST:PORT\"");
    }
    peers[*key] = value.as_string()->get();
  }
  return Status::ok();
}

}  // namespace

Result<Config> loadConfig(const std::string& path) {
  struct stat file {};
  if (::stat(path.c_str(), &file) != 0) return sysError("reading config file " + path);
  ALM_RETURN_IF_ERROR(checkRegularFile("config file", path, file));
  toml::table t;
  try {
    t = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    std::ostringstream msg;
    msg << path << ": " << e.description() << " at " << e.source().begin;
    return Status::invalid(msg.str());
  }
  Config c;
  for (auto&& [key, value] : t) {
    if (key != "node" && key != "limits" && key != "peers")
      return Status::invalid(path + ": unknown section [" + std::string(key) + "]");
  }
  if (t.contains("limits")) {
    const toml::table* limits = t["limits"].as_table();
    Status st = limits ? readLimits(*limits, c.limits)
                       : Status::invalid("limits: must be a section [limits]");
    if (!st.isOk()) return st.withContext(path);
  }
  if (t.contains("peers")) {
    const toml::table* peers = t["peers"].as_table();
    Status st =
        peers ? readPeers(*peers, c.peers) : Status::invalid("peers: must be a section [peers]");
    if (!st.isOk()) return st.withContext(path);
  }
  const toml::table* node = t["node"].as_table();
  if (node == nullptr) return Status::invalid(path + ": missing section [node]");
  for (auto&& [key, value] : *node) {
    std::string k(key.str());
    if (k == "name" || k == "orgnr" || k == "kommunenummer") {
      c.warnings.push_back(profileKeyIgnored(path, k));
      continue;
    }
    std::string logLevel;
    std::string* slot = k == "listen"         ? &c.listen
                        : k == "network"      ? &c.network
                        : k == "accept_peers" ? &c.acceptPeers
                        : k == "log_level"    ? &logLevel
                                              : nullptr;
    if (slot == nullptr) return Status::invalid(path + ": node." + k + ": unknown key");
    if (!value.is_string()) return Status::invalid(path + ": node." + k + ": must be a string");
    *slot = value.as_string()->get();
    if (slot == &logLevel) {
      auto level = parseLogLevel(logLevel);
      if (!level.isOk()) return level.status().withContext(path + ": node.log_level");
      c.logLevel = *level;
    }
  }
  Status st = checkConfig(c);
  if (!st.isOk()) return st.withContext(path);
  return c;
}

namespace {

// What stands at `path`, when it is anything but a regular file.
const char* nonRegularKind(mode_t mode) {
  if (S_ISLNK(mode)) return "a symbolic link";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISDIR(mode)) return "a folder";
  return S_ISREG(mode) ? nullptr : "not a regular file";
}

// A rename replaces whatever is at `path`, so only a regular file or a new
// path may be written: never a device, a FIFO, a folder or a link.
Status checkReplaceable(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    return errno == ENOENT ? Status::ok() : sysError("checking " + path);
  }
  const char* kind = nonRegularKind(st.st_mode);
  if (kind == nullptr) return Status::ok();
  return Status::invalid(path + " is " + kind +
                         "; refusing to replace it (give a regular file or a new path)");
}

}  // namespace

Result<std::unique_ptr<AtomicFile>> AtomicFile::create(const std::string& path, unsigned mode) {
  ALM_RETURN_IF_ERROR(checkReplaceable(path));
  // A unique name: two writers of one path never share a temporary file, and
  // O_EXCL|O_NOFOLLOW never follows or reuses something planted there.
  uint8_t nonce[8];
  randombytes_buf(nonce, sizeof nonce);
  std::string tmp = path + ".tmp-" + toHex(ByteView(nonce, sizeof nonce));
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0) return sysError("creating " + tmp);
  return std::unique_ptr<AtomicFile>(new AtomicFile(path, tmp, fd));
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  ::unlink(tmp_.c_str());  // after a commit the name is already gone
}

Status AtomicFile::append(std::string_view data) { return writeAll(fd_, data, tmp_); }

Status AtomicFile::commit(bool replace) {
  Status st = ::fsync(fd_) == 0 ? Status::ok() : sysError("syncing " + tmp_);
  ::close(fd_);
  fd_ = -1;
  if (st.isOk() && replace) st = checkReplaceable(path_);  // it may have appeared meanwhile
  if (st.isOk() && replace && ::rename(tmp_.c_str(), path_.c_str()) != 0) {
    st = sysError("renaming " + tmp_);
  }
  // link() fails when the path exists, so a new file never replaces another.
  if (st.isOk() && !replace && ::link(tmp_.c_str(), path_.c_str()) != 0) {
    st = errno == EEXIST ? Status::refused(path_ + " already exists; refusing to overwrite it")
                         : sysError("linking " + path_);
  }
  ALM_RETURN_IF_ERROR(st);
  std::string dir = std::filesystem::path(path_).parent_path().string();
  return fsyncDir(dir.empty() ? "." : dir);
}

Status writeFileAtomic(const std::string& path, std::string_view data, unsigned mode,
                       bool replace) {
  auto file = AtomicFile::create(path, mode);
  if (!file.isOk()) return file.status();
  ALM_RETURN_IF_ERROR((*file)->append(data));
  return (*file)->commit(replace);
}

Status writeNewKey(const std::string& path, const SecretKey& key) {
  return writeFileAtomic(path, asChars(key.secretBytes()), 0600, /*replace=*/false);
}

Result<std::unique_ptr<SecretKey>> loadKey(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 && errno == ELOOP) return Status::refused(path + " is a symbolic link; refusing it");
  if (fd < 0) return sysError("opening key file " + path);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return sysError("reading key file " + path);
  }
  if (Status file = checkRegularFile("key file", path, st); !file.isOk()) {
    ::close(fd);
    return file;
  }
  if ((st.st_mode & 077) != 0) {
    ::close(fd);
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", st.st_mode & 07777);
    return Status::refused("key file " + path + " has mode " + mode +
                           " and may be read by others; fix it with: chmod 600 " + path);
  }
  uint8_t buf[SecretKey::kSize + 1];
  ssize_t n = ::read(fd, buf, sizeof buf);
  ::close(fd);
  Result<std::unique_ptr<SecretKey>> key =
      n == static_cast<ssize_t>(SecretKey::kSize)
          ? SecretKey::fromBytes(ByteView(buf, SecretKey::kSize))
          : Result<std::unique_ptr<SecretKey>>(
                Status::corruption("key file " + path + " is not 64 bytes"));
  sodium_memzero(buf, sizeof buf);
  return key;
}

}  // namespace allmenning
