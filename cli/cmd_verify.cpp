// allmenning verify
#include "cli/cli.h"

namespace allmenning::cli {

void addVerify(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand(
      "verify", "Re-check every signature, hash link, payload, index and RocksDB checksum");
  cmd->callback([&g] {
    withNode(g, [&](Node& node) -> Status {
      auto report = node.verify([&g](uint64_t n) { g.err() << "verify: " << n << " entries\n"; });
      if (!report.isOk()) return Status::corruption("verify FAILED: " + report.status().message());
      if (g.json) {
        printJson(g, Json{{"ok", true},
                          {"entries", report->entries},
                          {"authors", report->authors},
                          {"cases", report->cases}});
      } else {
        g.out() << "verified " << report->entries << " entries from " << report->authors
                << (report->authors == 1 ? " author" : " authors") << "; " << report->cases
                << " cases: signatures, hash chains, payloads, indexes and "
                << "RocksDB checksums OK\n";
      }
      return Status::ok();
    });
  });
}

}  // namespace allmenning::cli
