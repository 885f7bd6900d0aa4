// allmenning status
#include <algorithm>
#include <cstdio>

#include "cli/cli.h"
#include "cli/show_text.h"

namespace allmenning::cli {
namespace {

std::string lagText(const Json& n) { return n.is_null() ? "?" : std::to_string(n.get<uint64_t>()); }

void printConnections(Globals& g, const Json& s) {
  const Json& c = s["connections"];
  if (!s["node"]["running"].get<bool>()) {
    g.out() << "\nconnections: the node is not running (start it with `allmenning run`)\n";
    return;
  }
  g.out() << "\nconnections (" << c.size() << ")\n";
  for (const auto& p : c) {
    char line[512];
    std::snprintf(line, sizeof line, "  %s  %-21s %-3s since %s  in %llu B  out %llu B  ",
                  p["key"].get<std::string>().c_str(), p["address"].get<std::string>().c_str(),
                  p["direction"].get<std::string>().c_str(), p["since"].get<std::string>().c_str(),
                  static_cast<unsigned long long>(p["bytesIn"].get<uint64_t>()),
                  static_cast<unsigned long long>(p["bytesOut"].get<uint64_t>()));
    g.out() << line << "it lacks " << lagText(p["behind"]) << ", we lack " << lagText(p["ahead"])
            << "\n";
  }
}

// The peers this node dials (`peer add`), and whether each is connected.
void printPeers(Globals& g, const Json& s) {
  g.out() << "\npeers (" << s["peers"].size() << ")\n";
  for (const auto& p : s["peers"]) {
    g.out() << "  " << p["key"].get<std::string>() << "  " << p["address"].get<std::string>()
            << (p["connected"].get<bool>() ? "  connected" : "  not connected") << "\n";
  }
}

void printStatus(Globals& g, const Json& s) {
  const Json& n = s["node"];
  g.out() << "node     " << n["key"].get<std::string>() << "  " << shown(n["name"]) << "\nnetwork  "
          << n["network"].get<std::string>() << "\nlisten   " << n["listen"].get<std::string>()
          << (n["running"].get<bool>() ? "" : " (not running)") << "\n";
  const Json& hold = n["authoring"];
  if (hold["held"].get<bool>()) {
    g.out() << "authoring held since " << hold["since"].get<std::string>() << ": "
            << hold["reason"].get<std::string>()
            << "\n          it signs again once a peer confirms its head (or after `allmenning "
               "authoring resume --i-have-no-peers`)\n";
  } else {
    g.out() << "authoring ok\n";
  }
  printConnections(g, s);
  printPeers(g, s);
  g.out() << "\nauthors (" << s["authors"].size() << ")\n";
  for (const auto& a : s["authors"]) {
    // Names are unbounded once escaped: only the fixed columns go through
    // the buffer.
    char line[256];
    std::snprintf(line, sizeof line, "  %s  seq %-6llu %s  ", a["key"].get<std::string>().c_str(),
                  static_cast<unsigned long long>(a["seq"].get<uint64_t>()),
                  a["lastUpdate"].get<std::string>().c_str());
    std::string trust = shown(a["trust"]);
    trust.resize(std::max<size_t>(trust.size(), 11), ' ');
    g.out() << line << trust << " " << listedText(a, "key")
            << (a["forked"].get<bool>() ? "  FORKED" : "") << "\n";
  }
  g.out() << "\nforks (" << s["forks"].size() << ")\n";
  for (const auto& f : s["forks"]) {
    g.out() << "  " << f["author"].get<std::string>() << "  " << authorText(f)
            << "  signed two entries at seq " << f["seq"].get<uint64_t>() << "; frozen there\n    "
            << f["entries"][0].get<std::string>() << "\n    " << f["entries"][1].get<std::string>()
            << "\n";
  }
}

}  // namespace

void addStatus(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand(
      "status", "Connections, every author with its head, forks, and how far peers lag");
  cmd->callback([&g] {
    withNode(g, [&](Node& node) -> Status {
      auto s = node.status();
      if (!s.isOk()) return s.status();
      answer(g, std::move(*s), printStatus);
      return Status::ok();
    });
  });
}

}  // namespace allmenning::cli
