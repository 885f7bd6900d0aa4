#include "cli/usage.h"

#include <algorithm>
#include <numeric>

#include "protocol/echo.h"
#include "protocol/entry.h"
#include "protocol/handshake.h"
#include "protocol/wire.h"
#include "storage/migrations.h"

namespace allmenning::cli {
namespace {

// A word of the command line as an error shows it: cut and escaped as
// quote() does, without its double quotes, so "serach" reads 'serach'.
std::string shown(std::string_view word) {
  std::string q = quote(word);
  return q.substr(1, q.size() - 2);
}

std::vector<const CLI::App*> commandsOf(const CLI::App& app) {
  return app.get_subcommands([](const CLI::App* a) { return !a->get_group().empty(); });
}

std::string namesOf(const std::vector<const CLI::App*>& commands) {
  std::string out;
  for (const CLI::App* c : commands) out += (out.empty() ? "" : ", ") + c->get_name();
  return out;
}

// The option `word` names in `app` or a parent (global options may follow
// the command), or nullptr.
const CLI::Option* optionOf(const CLI::App* app, const std::string& word) {
  for (; app != nullptr; app = app->get_parent()) {
    if (const CLI::Option* o = app->get_option_no_throw(word)) return o;
  }
  return nullptr;
}

// Where the command words of `args` stop making sense: the app reached, and
// the word that is no command of it (empty when there is none, or the app
// takes no command). Values of options are skipped, so `--home case` is no
// command word.
struct CommandWords {
  const CLI::App* app;
  std::string path;     // "case"
  std::string unknown;  // "pu"
};

CommandWords walk(const CLI::App& root, const std::vector<std::string>& args) {
  CommandWords at{&root, "", ""};
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& w = args[i];
    if (w == "--") break;
    if (w.size() > 1 && w[0] == '-') {
      const CLI::Option* o = w.find('=') == std::string::npos ? optionOf(at.app, w) : nullptr;
      if (o != nullptr && o->get_items_expected_max() > 0) ++i;
      continue;
    }
    auto commands = commandsOf(*at.app);
    if (commands.empty()) break;
    auto it = std::find_if(commands.begin(), commands.end(),
                           [&](const CLI::App* c) { return c->get_name() == w; });
    if (it == commands.end()) {
      at.unknown = w;
      break;
    }
    at.app = *it;
    at.path += (at.path.empty() ? "" : " ") + w;
  }
  return at;
}

// "unknown command 'serach'; did you mean 'search'?", else the list.
Status unknownCommand(const CommandWords& at) {
  auto commands = commandsOf(*at.app);
  std::string prefix = at.path.empty() ? "" : at.path + " ";
  const CLI::App* best = nullptr;
  size_t bestDistance = 0;
  for (const CLI::App* c : commands) {
    size_t d = editDistance(at.unknown, c->get_name());
    if (best == nullptr || d < bestDistance) best = c, bestDistance = d;
  }
  std::string message = "unknown command '" + prefix + shown(at.unknown) + "'";
  // Close enough to be a slip of the fingers, and not merely short.
  if (best != nullptr && bestDistance <= 2 && 2 * bestDistance <= best->get_name().size()) {
    return Status::invalid(message + "; did you mean '" + prefix + best->get_name() + "'?");
  }
  return Status::invalid(message + "; the commands" + (at.path.empty() ? "" : " of " + at.path) +
                         " are: " + namesOf(commands));
}

// CLI11's message with every word of the command line it repeats shown as
// shown() shows it.
std::string echoedSafely(std::string message, const std::vector<std::string>& args) {
  std::vector<std::string> sorted(args);
  std::sort(sorted.begin(), sorted.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  for (const auto& arg : sorted) {
    std::string safe = shown(arg);
    if (arg.empty() || safe == arg) continue;
    for (size_t at = message.find(arg); at != std::string::npos;
         at = message.find(arg, at + safe.size())) {
      message.replace(at, arg.size(), safe);
    }
  }
  return message;
}

}  // namespace

bool asksForJson(const std::vector<std::string>& args) {
  auto end = std::find(args.begin(), args.end(), "--");
  return std::find(args.begin(), end, "--json") != end;
}

Json versionInfo() {
  return Json{{"program", "allmenning"},
              {"version", ALLMENNING_VERSION},
              {"entryFormat", std::string(kEntryDomain)},
              {"protocol", kProtocolVersion},
              {"handshake", kHandshakeVersion},
              {"handshakeDomain", std::string(kHandshakeDomain)},
              {"storageFormat", kStorageFormat}};
}

void printVersion(Globals& g, const Json& v) {
  g.out() << "allmenning " << v["version"].get<std::string>() << "\n"
          << "entry format    " << v["entryFormat"].get<std::string>() << "\n"
          << "protocol        " << v["protocol"].get<uint32_t>() << " (handshake "
          << v["handshake"].get<int>() << ", " << v["handshakeDomain"].get<std::string>() << ")\n"
          << "storage format  " << v["storageFormat"].get<int>() << "\n";
}

Status usageError(const CLI::App& app, const CLI::ParseError& error,
                  const std::vector<std::string>& args) {
  CommandWords at = walk(app, args);
  if (!at.unknown.empty()) return unknownCommand(at);
  auto commands = commandsOf(*at.app);
  if (dynamic_cast<const CLI::RequiredError*>(&error) != nullptr && !commands.empty() &&
      at.app->get_subcommands().empty()) {
    return Status::invalid((at.path.empty() ? "a command" : at.path + ": a command") +
                           " is required: " + namesOf(commands) + " (see --help)");
  }
  return Status::invalid(echoedSafely(error.what(), args) + " (see --help)");
}

size_t editDistance(std::string_view a, std::string_view b) {
  // Optimal string alignment: rows i-2, i-1 and i of the table.
  std::vector<size_t> before(b.size() + 1), prev(b.size() + 1), row(b.size() + 1);
  std::iota(prev.begin(), prev.end(), 0);
  for (size_t i = 1; i <= a.size(); ++i) {
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      row[j] = std::min({prev[j] + 1, row[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        row[j] = std::min(row[j], before[j - 2] + 1);
      }
    }
    before.swap(prev);
    prev.swap(row);
  }
  return prev[b.size()];
}

}  // namespace allmenning::cli
