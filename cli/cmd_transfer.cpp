// allmenning export | import
#include <cerrno>
#include <filesystem>
#include <random>
#include <set>

#include "cli/cli.h"
#include "cli/show_text.h"
#include "node/admin_wire.h"

namespace allmenning::cli {
namespace {

const std::vector<std::string> kFormats = {"jsonl", "ocds"};

// The most `import -` reads from stdin. It travels to a running node in one
// admin request, so it must fit in one with room to spare.
constexpr size_t kMaxStdinImportBytes = size_t{32} << 20;
static_assert(kMaxStdinImportBytes <= AdminLimits{}.maxBody / 2);

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

// The summary of an OCDS import, on stderr: the case ids went to stdout as
// each was stored.
void printOcdsReport(Globals& g, const Json& r) {
  uint64_t versions = r["versions"].get<uint64_t>();
  g.err() << "imported " << versions << (versions == 1 ? " case version" : " case versions")
          << " from " << r["releases"].get<uint64_t>() << " releases ("
          << r["unchanged"].get<uint64_t>() << " unchanged, " << r["withdrawn"].get<uint64_t>()
          << " withdrawn, " << r["invalid"].get<uint64_t>() << " invalid)\n";
  for (const auto& e : r["errors"]) g.err() << "  " << shown(e.get<std::string>()) << "\n";
  uint64_t notes = r["fieldNotes"].get<uint64_t>();
  if (notes > 0) {
    g.err() << notes << (notes == 1 ? " field" : " fields")
            << " dropped or shortened to fit the case format:\n";
    for (const auto& n : r["notes"]) g.err() << "  " << shown(n.get<std::string>()) << "\n";
  }
}

Status importOcds(Globals& g, Node& node, const std::string& path) {
  std::set<std::string> printed;
  Json cases = Json::array();
  auto stored = [&](const std::string& ref) {
    if (!printed.insert(ref).second) return;
    cases.push_back(ref);
    printNow(g, ref);
  };
  auto report = node.importOcds(path, stored);
  if (!report.isOk()) return report.status();
  answer(g,
         Json{{"format", "ocds"},
              {"cases", std::move(cases)},
              {"versions", report->versions},
              {"releases", report->releases},
              {"unchanged", report->unchanged},
              {"withdrawn", report->withdrawn},
              {"invalid", report->refused},
              {"conflicts", report->conflicts},
              {"errors", report->errors},
              {"fieldNotes", report->noteCount},
              {"notes", report->notes}},
         printOcdsReport);
  if (report->refused == 0 && report->conflicts == 0) return Status::ok();
  bool one = report->refused + report->conflicts == 1;
  return Status::invalid(std::to_string(report->refused) + " invalid, " +
                         std::to_string(report->conflicts) +
                         " in conflict: " + (one ? "not imported" : "none of them imported") +
                         "; the other releases were");
}

// The summary of a jsonl import, on stderr: the case ids went to stdout as
// each became durable.
void printJsonlReport(Globals& g, const Json& r) {
  g.err() << "imported " << r["stored"].get<uint64_t>() << " entries from "
          << r["lines"].get<uint64_t>() << " lines (" << r["duplicates"].get<uint64_t>()
          << " already present, " << r["refused"].get<uint64_t>() << " refused)\n";
  for (const auto& e : r["errors"]) g.err() << "  " << shown(e.get<std::string>()) << "\n";
  for (const auto& f : r["forks"]) g.err() << "  fork: " << f.get<std::string>() << "\n";
}

Status importJsonl(Globals& g, Node& node, const std::string& path) {
  Json cases = Json::array();
  auto committed = [&](const std::string& ref) {
    cases.push_back(ref);
    printNow(g, ref);
  };
  auto progress = [&g](uint64_t lines) { g.err() << "import: " << lines << " lines\n"; };
  auto report = node.importJsonl(path, committed, progress);
  if (!report.isOk()) return report.status();
  Json errors = Json::array();
  for (const auto& e : report->errors) errors.push_back(g.asTyped(e));
  answer(g,
         Json{{"format", "jsonl"},
              {"cases", std::move(cases)},
              {"stored", report->stored},
              {"lines", report->lines},
              {"duplicates", report->duplicates},
              {"refused", report->refused},
              {"frozen", report->frozen},
              {"errors", std::move(errors)},
              {"forks", report->forks}},
         printJsonlReport);
  if (report->frozen > 0) {
    return Status::refused(std::to_string(report->frozen) +
                           " entries were not imported: their author is frozen after a fork");
  }
  if (report->refused > 0) {
    return Status::refused(std::to_string(report->refused) +
                           " entries were refused by the chain rules");
  }
  return Status::ok();
}

// What `import -` read from stdin, as a file in the node's home for as long
// as the import runs: an import reads its file twice (every line is checked
// before any is applied), which a pipe cannot be. Removed however the import
// ends; a crash leaves it, named for what it is.
class StdinCopy {
 public:
  static Result<std::unique_ptr<StdinCopy>> write(Globals& g) {
    auto data = readInputFile(g, "-", kMaxStdinImportBytes);
    if (!data.isOk()) return data.status();
    std::random_device random;
    std::string path = g.home + "/import-stdin-" + std::to_string(random()) + ".tmp";
    ALM_RETURN_IF_ERROR(writeFileAtomic(path, *data, 0600, /*replace=*/false));
    g.alias(path, "-");
    return std::unique_ptr<StdinCopy>(new StdinCopy(std::move(path)));
  }
  ~StdinCopy() {
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }
  StdinCopy(const StdinCopy&) = delete;
  StdinCopy& operator=(const StdinCopy&) = delete;
  const std::string& path() const { return path_; }

 private:
  explicit StdinCopy(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

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
      // To stdout ("-" or no -o), the export is the output, JSON in either format.
      if (output->empty() || *output == "-") return exportToStream(node, *format, g.out());
      ALM_RETURN_IF_ERROR(exportToFile(node, *format, g.path(*output)));
      answer(g, Json{{"format", *format}, {"output", *output}}, [](Globals&, const Json&) {});
      return Status::ok();
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
  cmd->add_option("FILE", *file, "File to import, or - for stdin (at most 32 MiB)")->required();
  cmd->callback([&g, format, file] {
    if (*file == "-") readStdin(g, kMaxStdinImportBytes);
    withNode(g, [&](Node& node) -> Status {
      std::unique_ptr<StdinCopy> copy;
      if (*file == "-") {
        auto written = StdinCopy::write(g);
        if (!written.isOk()) return written.status();
        copy = std::move(*written);
      }
      std::string path = copy ? copy->path() : g.path(*file);
      return *format == "ocds" ? importOcds(g, node, path) : importJsonl(g, node, path);
    });
  });
}

}  // namespace allmenning::cli
