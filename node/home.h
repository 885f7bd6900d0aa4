// The node's home folder: config file, key file, database.
//
//   <home>/allmenning.toml   config (TOML), see docs/configuration.md
//   <home>/key               Ed25519 secret key, 64 raw bytes, mode 0600
//   <home>/db/               RocksDB
//   <home>/intent            the last batch this key signed (node/intent.h)
//   <home>/import-index/     scratch of a running jsonl import, removed when it ends
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "node/limits.h"
#include "node/log.h"
#include "node/network_view.h"
#include "protocol/crypto.h"
#include "protocol/status.h"

namespace allmenning {

// The body's name, orgnr and kommunenummer are not here: they are in the
// signed profile entry in the node's log (Node::profile, `profile set`).
struct Config {
  std::string listen = "0.0.0.0:7400";
  std::string network = "allmenning";
  // Which keys may open a connection: "any", or "trusted" (trusted directly
  // or vouched for; docs/protocol.md, "Trust").
  std::string acceptPeers = "any";
  // How much `allmenning run` logs; `run --log-level` overrides it.
  LogLevel logLevel = LogLevel::kInfo;
  // [limits]: what peers may cost this node (node/limits.h).
  Limits limits = defaultLimits();
  // [peers]: keys this node dials, each at its "host:port", besides the
  // peers `peer add` stored in the database.
  std::map<PublicKey, std::string> peers;
  // Keys of an older config that are read and ignored, each as a message
  // naming the key and what to use instead. Not written by renderConfig.
  std::vector<std::string> warnings;
};

struct HomePaths {
  std::string root;
  std::string config() const { return root + "/allmenning.toml"; }
  std::string key() const { return root + "/key"; }
  std::string db() const { return root + "/db"; }
  std::string intent() const { return root + "/intent"; }
  std::string search() const { return root + "/search"; }  // derived: rebuilt when missing
};

// Checks the values of a config (listen, network, accept_peers, the peers'
// addresses).
Status checkConfig(const Config& c);
Result<Config> loadConfig(const std::string& path);
std::string renderConfig(const Config& c);

// A peer's "host:port" (the host may be "[v6]"; port 1..65535), as `peer add`
// and [peers] take it; the key is left zero. The host is resolved when dialed.
Result<DialPeer> parsePeerAddress(const std::string& address);

// Writes `data` to `path` atomically: a new temporary file created with
// O_EXCL|O_NOFOLLOW and `mode`, fsynced, moved to `path`, and the folder
// fsynced. A crash leaves either the old file or the new one, never a part.
// With `replace` false, an existing `path` is never overwritten.
Status writeFileAtomic(const std::string& path, std::string_view data, unsigned mode,
                       bool replace = true);

// A file written in pieces that appears at `path` only when complete: a
// temporary file next to it, made with O_EXCL|O_NOFOLLOW under a unique name,
// fsynced, moved into place, and the folder fsynced. Dropped uncommitted, it
// leaves nothing behind. `path` must be new or a regular file: a symbolic
// link, a device, a FIFO, a socket or a folder there is refused (invalid),
// at create and again at commit, never replaced.
class AtomicFile {
 public:
  static Result<std::unique_ptr<AtomicFile>> create(const std::string& path, unsigned mode);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  Status append(std::string_view data);
  // With `replace` false, an existing `path` is never overwritten.
  Status commit(bool replace = true);

 private:
  AtomicFile(std::string path, std::string tmp, int fd)
      : path_(std::move(path)), tmp_(std::move(tmp)), fd_(fd) {}
  std::string path_;
  std::string tmp_;
  int fd_;  // -1 once closed
};

// Creates a new key file. Refuses to overwrite an existing one.
Status writeNewKey(const std::string& path, const SecretKey& key);
// Reads the key file. Refuses a file that others may read (naming the chmod
// that fixes it), a symlink, or one of the wrong size.
Result<std::unique_ptr<SecretKey>> loadKey(const std::string& path);

}  // namespace allmenning
