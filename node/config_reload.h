// Reloading the config of a running node (SIGHUP, `systemctl reload`).
//
// The file is read and checked as at start. A config that does not load is
// refused as a whole, the log naming the file and the error, and the config
// in force stays. One that loads is compared key by key with the one in
// force; each changed key gets one log line, and what can change while the
// node runs changes at once: the peers it dials, its limits, accept_peers
// and the log level. Open sessions are never closed by a reload (a removed
// peer's are). Keys read only at start (listen, network) are logged as
// taking effect at the next start.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "node/home.h"
#include "node/log.h"

namespace allmenning {

class Node;
class Runtime;

// One key whose value differs between two configs.
struct ConfigChange {
  std::string key;     // "limits.max_peers", "node.log_level", "peers.<hex>"
  std::string before;  // "" when the key was absent
  std::string after;   // "" when the key is gone
  bool live = true;    // false: read only at start
};

// Every key of `after` that differs from `before`, in file order: [node]
// keys, then [limits], then [peers].
std::vector<ConfigChange> configChanges(const Config& before, const Config& after);

struct ReloadTargets {
  Node& node;
  Runtime& runtime;
  Logger& log;
  // Set when `run --log-level` chose the level: it wins over the file's.
  std::optional<LogLevel> pinnedLevel;
};

// Reloads `path` into the running node: logs each change, applies them, and
// returns the changes. A config that fails to load or check is refused
// (the status, also logged) and nothing changes.
Result<std::vector<ConfigChange>> reloadConfig(const std::string& path, const ReloadTargets& to);

}  // namespace allmenning
