// allmenning export | import
#include <cerrno>
#include <set>

#include "cli/cli.h"
#include "cli/show_text.h"

namespace allmenning::cli {
namespace {

const std::vector<std::string> kFormats = {"jsonl", "ocds"};

using Sink = std::function<Status(std::string_view)>;

Status exportTo(Node& node, const std::string& format, const Sink& sink) {
  return format == "ocds" ? node.exportOcds(sink) : node.exportJsonl(sink);
}

// Writes the export to `path` atomically: a failed or interrupted export
// leaves no part of a file, and a finished one is on disk.
Status exportToFile(Node& node, const std::string& format, const std::string& path) {
  auto file = AtomicFile::create(path, 0644);
  if (!file.isOk()) return file.status().withContext("export");
  ALM_RETURN_IF_ERROR(
      exportTo(node, format, [&](std::string_view text) { return (*file)->append(text); }));
  return (*file)->commit();
}

// Stops at the first failed write, so a full disk is not fed the rest.
Status exportToStream(Node& node, const std::string& format, std::ostream& out) {
  auto written = [&out] {
    return out ? Status::ok() : Status::ioError("export: " + outputError());
  };
  ALM_RETURN_IF_ERROR(exportTo(node, format, [&](std::string_view text) {
    errno = 0;
    out << text;
    return written();
  }));
  errno = 0;
  out.flush();
  return written();
}

Status importOcds(Globals& g, Node& node, const std::string& file) {
  std::set<std::string> printed;
  auto stored = [&](const std::string& ref) {
    if (printed.insert(ref).second) g.out() << ref << std::endl;
  };
  auto report = node.importOcds(g.path(file), stored);
  if (!report.isOk()) return report.status();
  g.err() << "imported " << report->versions
          << (report->versions == 1 ? " case version" : " case versions") << " from "
          << report->releases << " releases (" << report->unchanged << " unchanged, "
          << report->withdrawn << " withdrawn, " << report->refused << " invalid)\n";
  for (const auto& e : report->errors) g.err() << "  " << shown(e) << "\n";
  if (report->noteCount > 0) {
    g.err() << report->noteCount << (report->noteCount == 1 ? " field" : " fields")
            << " dropped or shortened to fit the case format:\n";
    for (const auto& n : report->notes) g.err() << "  " << shown(n) << "\n";
  }
  if (report->refused == 0 && report->conflicts == 0) return Status::ok();
  bool one = report->refused + report->conflicts == 1;
  return Status::invalid(std::to_string(report->refused) + " invalid, " +
                         std::to_string(report->conflicts) +
                         " in conflict: " + (one ? "not imported" : "none of them imported") +
                         "; the other releases were");
}

}  // namespace

void addExport(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand(
      "export", "Write every entry (jsonl: signed, verifiable) or every case version (ocds)");
  auto format = std::make_shared<std::string>();
  auto output = std::make_shared<std::string>();
  cmd->add_option("--format", *format,
                  "jsonl: one signed entry per line; ocds: an OCDS 1.1 release package, one "
                  "release per case version (docs/ocds.md)")
      ->required()
      ->check(CLI::IsMember(kFormats));
  cmd->add_option("-o,--output", *output,
                  "Write to FILE (atomically; a new path or a regular file, never a device, FIFO "
                  "or link) instead of stdout; - is stdout");
  cmd->callback([&g, format, output] {
    withNode(g, [&](Node& node) -> Status {
      if (!output->empty() && *output != "-") {
        return exportToFile(node, *format, g.path(*output));
      }
      return exportToStream(node, *format, g.out());
    });
  });
}

void addImport(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand(
      "import", "Import entries or case records from a file; prints each case id once durable");
  auto format = std::make_shared<std::string>();
  auto file = std::make_shared<std::string>();
  cmd->add_option("--format", *format,
                  "jsonl: entries or bare case records, all or nothing; ocds: an OCDS release "
                  "package, each valid release imported as your own case, each invalid one "
                  "reported (exit 2)")
      ->required()
      ->check(CLI::IsMember(kFormats));
  cmd->add_option("FILE", *file, "File to import")->required();
  cmd->callback([&g, format, file] {
    withNode(g, [&](Node& node) -> Status {
      if (*format == "ocds") return importOcds(g, node, *file);
      auto committed = [&g](const std::string& ref) { g.out() << ref << std::endl; };
      auto progress = [&g](uint64_t lines) { g.err() << "import: " << lines << " lines\n"; };
      auto report = node.importJsonl(g.path(*file), committed, progress);
      if (!report.isOk()) return report.status();
      g.err() << "imported " << report->stored << " entries from " << report->lines << " lines ("
              << report->duplicates << " already present, " << report->refused << " refused)\n";
      for (const auto& e : report->errors) g.err() << "  " << shown(g.asTyped(e)) << "\n";
      for (const auto& f : report->forks) g.err() << "  fork: " << f << "\n";
      if (report->frozen > 0) {
        return Status::refused(std::to_string(report->frozen) +
                               " entries were not imported: their author is frozen after a fork");
      }
      if (report->refused > 0) {
        return Status::refused(std::to_string(report->refused) +
                               " entries were refused by the chain rules");
      }
      return Status::ok();
    });
  });
}

}  // namespace allmenning::cli
