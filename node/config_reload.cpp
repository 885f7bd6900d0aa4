#include "node/config_reload.h"

#include "node/node.h"
#include "node/runtime.h"

namespace allmenning {
namespace {

// A [node] key as the file spells it, its value as text, and whether a
// running node can take a new value.
struct NodeKey {
  const char* name;
  std::string (*value)(const Config&);
  bool live;
};

constexpr NodeKey kNodeKeys[] = {
    // The listener is bound, and the database is on its network, at start.
    {"listen", [](const Config& c) { return c.listen; }, false},
    {"network", [](const Config& c) { return c.network; }, false},
    {"accept_peers", [](const Config& c) { return c.acceptPeers; }, true},
    {"log_level", [](const Config& c) { return std::string(logLevelName(c.logLevel)); }, true},
};

// A value as it goes into a log line: quotes and control characters would
// let a config forge fields or lines, so they are replaced.
std::string loggable(std::string text) {
  for (char& c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == '"') c = '?';
  }
  return "\"" + text + "\"";
}

void logChange(const Logger& log, const ConfigChange& c, const std::string& note) {
  std::string line = "config event=changed key=" + c.key + " old=" + loggable(c.before) +
                     " new=" + loggable(c.after);
  if (!c.live) line += " applies=\"at the next start\"";
  if (!note.empty()) line += " applies=\"" + note + "\"";
  log.log(c.live && note.empty() ? LogLevel::kInfo : LogLevel::kWarn, line);
}

}  // namespace

std::vector<ConfigChange> configChanges(const Config& before, const Config& after) {
  std::vector<ConfigChange> out;
  for (const NodeKey& k : kNodeKeys) {
    std::string a = k.value(before), b = k.value(after);
    if (a != b) out.push_back({std::string("node.") + k.name, a, b, k.live});
  }
  for (const LimitKey& k : limitKeys()) {
    uint64_t a = before.limits.*k.field, b = after.limits.*k.field;
    if (a != b) {
      // The vouch cap is given to the store at start (cmd_run.cpp).
      const bool live = k.field != &Limits::maxVouchedPerVoucher;
      out.push_back({std::string("limits.") + k.name, std::to_string(a), std::to_string(b), live});
    }
  }
  for (const auto& [key, address] : before.peers) {
    auto it = after.peers.find(key);
    std::string now = it == after.peers.end() ? "" : it->second;
    if (now != address) out.push_back({"peers." + toHex(key), address, now, true});
  }
  for (const auto& [key, address] : after.peers) {
    if (before.peers.count(key) == 0) out.push_back({"peers." + toHex(key), "", address, true});
  }
  return out;
}

Result<std::vector<ConfigChange>> reloadConfig(const std::string& path, const ReloadTargets& to) {
  auto fresh = loadConfig(path);
  if (!fresh.isOk()) {
    to.log.log(LogLevel::kError, "config event=reload_refused path=" + path +
                                     " error=" + loggable(fresh.status().message()) +
                                     " kept=\"the config in force\"");
    return fresh.status();
  }
  for (const std::string& w : fresh->warnings) to.log.log(LogLevel::kWarn, "config " + w);
  Config old = to.node.config();
  auto changes = configChanges(old, *fresh);
  for (const ConfigChange& c : changes) {
    bool pinned = c.key == "node.log_level" && to.pinnedLevel;
    logChange(to.log, c, pinned ? "no: run --log-level holds" : "");
  }
  if (!to.pinnedLevel) to.log.setLevel(fresh->logLevel);
  if (descriptorsNeeded(fresh->limits) > descriptorsNeeded(old.limits)) {
    raiseDescriptorLimit(descriptorsNeeded(fresh->limits),
                         [&](std::string_view line) { to.log.log(LogLevel::kWarn, line); });
  }
  // Keys read only at start keep the value in force until then.
  fresh->listen = old.listen;
  fresh->network = old.network;
  to.runtime.setLimits(fresh->limits);
  to.node.reconfigure(std::move(*fresh));
  to.log.log(LogLevel::kInfo,
             "config event=reloaded path=" + path + " changes=" + std::to_string(changes.size()));
  return changes;
}

}  // namespace allmenning
