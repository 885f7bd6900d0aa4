// allmenning export | import
#include "cli/cli.h"

namespace allmenning::cli {
namespace {

const std::vector<std::string> kFormats = {"jsonl", "ocds"};

Status requireJsonl(const std::string& format) {
  if (format == "jsonl") return Status::ok();
  return Status::invalid("--format " + format + " is not available yet; use --format jsonl");
}

// Writes the export to `path` atomically: a failed or interrupted export
// leaves no part of a file, and a finished one is on disk.
Status exportToFile(Node& node, const std::string& path) {
  auto file = AtomicFile::create(path, 0644);
  if (!file.isOk()) return file.status().withContext("export");
  ALM_RETURN_IF_ERROR(
      node.exportJsonl([&](std::string_view line) { return (*file)->append(line); }));
  return (*file)->commit();
}

}  // namespace

void addExport(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("export", "Write every entry (signed, verifiable) to stdout");
  auto format = std::make_shared<std::string>();
  auto output = std::make_shared<std::string>();
  cmd->add_option("--format", *format, "jsonl")->required()->check(CLI::IsMember(kFormats));
  cmd->add_option("-o,--output", *output, "Write to FILE (atomically) instead of stdout");
  cmd->callback([&g, format, output] {
    withNode(g, [&](Node& node) -> Status {
      ALM_RETURN_IF_ERROR(requireJsonl(*format));
      if (!output->empty()) return exportToFile(node, g.path(*output));
      return node.exportJsonl(g.out());
    });
  });
}

void addImport(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand(
      "import", "Import entries or case records from a file; prints each case id once durable");
  auto format = std::make_shared<std::string>();
  auto file = std::make_shared<std::string>();
  cmd->add_option("--format", *format, "jsonl")->required()->check(CLI::IsMember(kFormats));
  cmd->add_option("FILE", *file, "File to import")->required();
  cmd->callback([&g, format, file] {
    withNode(g, [&](Node& node) -> Status {
      ALM_RETURN_IF_ERROR(requireJsonl(*format));
      auto committed = [&g](const std::string& ref) { g.out() << ref << std::endl; };
      auto progress = [&g](uint64_t lines) { g.err() << "import: " << lines << " lines\n"; };
      auto report = node.importJsonl(g.path(*file), committed, progress);
      if (!report.isOk()) return report.status();
      g.err() << "imported " << report->stored << " entries from " << report->lines << " lines ("
              << report->duplicates << " already present, " << report->refused << " refused)\n";
      for (const auto& e : report->errors) g.err() << "  " << g.asTyped(e) << "\n";
      if (report->refused > 0) {
        return Status::refused(std::to_string(report->refused) +
                               " entries were refused by the chain rules");
      }
      return Status::ok();
    });
  });
}

}  // namespace allmenning::cli
