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
      Json j{{"ok", true},
             {"entries", report->entries},
             {"authors", report->authors},
             {"cases", report->cases}};
      answer(g, std::move(j), [](Globals& g, const Json& r) {
        uint64_t authors = r["authors"].get<uint64_t>();
        g.out() << "verified " << r["entries"].get<uint64_t>() << " entries from " << authors
                << (authors == 1 ? " author" : " authors") << "; " << r["cases"].get<uint64_t>()
                << " cases: signatures, hash chains, payloads, indexes and "
                << "RocksDB checksums OK\n";
      });
      return Status::ok();
    });
  });
}

}  // namespace allmenning::cli
