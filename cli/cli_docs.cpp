#include "cli/cli_docs.h"

#include <functional>
#include <sstream>
#include <vector>

namespace allmenning::cli {
namespace {

// A command and the words that reach it: {"case", "put"}.
struct Command {
  const CLI::App* app;
  std::vector<std::string> path;
  std::string name() const {
    std::string out;
    for (const auto& w : path) out += (out.empty() ? "" : " ") + w;
    return out;
  }
};

// Every command below `app`, depth first, in the order --help lists them.
// Hidden ones (no group) are left out, as --help leaves them out.
void collect(const CLI::App& app, std::vector<std::string> path, std::vector<Command>& out) {
  for (const CLI::App* sub :
       app.get_subcommands([](const CLI::App* a) { return !a->get_group().empty(); })) {
    auto subPath = path;
    subPath.push_back(sub->get_name());
    out.push_back({sub, subPath});
    collect(*sub, subPath, out);
  }
}

std::vector<const CLI::Option*> visibleOptions(const CLI::App& app) {
  return app.get_options([](const CLI::Option* o) { return !o->get_group().empty(); });
}

// Every spelling of an option: "-o", "--output".
std::vector<std::string> spellings(const CLI::Option& o) {
  std::vector<std::string> out;
  for (const auto& s : o.get_snames()) out.push_back("-" + s);
  for (const auto& l : o.get_lnames()) out.push_back("--" + l);
  return out;
}

bool takesValue(const CLI::Option& o) { return o.get_items_expected_max() > 0; }

// The value's name as --help shows it, split in two: the type ("TEXT",
// "UINT") for the option's tag line, and what a check adds after a colon
// ("{jsonl,ocds}", "INT in [1 - 100]"), which goes in the description,
// where groff can break it.
std::pair<std::string, std::string> valueName(const CLI::Option& o) {
  std::string type = o.get_type_name();
  if (type.empty()) return {"VALUE", ""};
  size_t colon = type.find(':');
  if (colon == std::string::npos) return {type, ""};
  return {type.substr(0, colon), type.substr(colon + 1)};
}

// roff text: backslashes and hyphens escaped, and a line that would start
// with a control character ('.' or '\'') made literal.
std::string roff(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\\') {
      out += "\\e";
    } else if (c == '-') {
      out += "\\-";
    } else {
      out += c;
    }
  }
  if (!out.empty() && (out[0] == '.' || out[0] == '\'')) out = "\\&" + out;
  return out;
}

// A sentence: the text with a full stop, unless it ends in one already.
std::string sentence(const std::string& text) {
  return text.empty() || text.back() == '.' || text.back() == ')' ? text : text + ".";
}

void optionEntry(std::ostream& m, const CLI::Option& o) {
  m << ".TP\n";
  if (o.get_positional() && !o.nonpositional()) {
    m << "\\fI" << roff(o.get_name(true)) << "\\fR";
  } else {
    std::string names;
    for (const auto& s : spellings(o))
      names += (names.empty() ? "" : ", ") + ("\\fB" + roff(s) + "\\fR");
    m << names;
    if (takesValue(o)) m << " \\fI" << roff(valueName(o).first) << "\\fR";
  }
  m << "\n" << roff(sentence(o.get_description()));
  if (std::string values = takesValue(o) ? valueName(o).second : ""; !values.empty()) {
    // "{a,b}" reads as a list of words, each a place to break the line.
    for (size_t at = values.find(','); at != std::string::npos; at = values.find(',', at + 2)) {
      values.insert(at + 1, " ");
    }
    m << " Values: " << roff(values) << ".";
  }
  if (o.get_required()) m << " Required.";
  if (!o.get_default_str().empty()) m << " Default: " << roff(o.get_default_str()) << ".";
  m << "\n";
}

std::string synopsis(const Command& c) {
  std::string line = "\\fBallmenning " + roff(c.name()) + "\\fR";
  bool options = false;
  for (const CLI::Option* o : visibleOptions(*c.app)) {
    if (o->get_positional() && !o->nonpositional()) {
      std::string arg = "\\fI" + roff(o->get_name(true)) + "\\fR";
      line += " " + (o->get_required() ? arg : "[" + arg + "]");
    } else {
      options = true;
    }
  }
  if (!c.app->get_subcommands([](const CLI::App* a) { return !a->get_group().empty(); }).empty()) {
    line += " \\fICOMMAND\\fR";
  }
  return options ? line + " [\\fIOPTIONS\\fR]" : line;
}

constexpr const char* kTail = R"(.SH ENVIRONMENT
.TP
.B ALLMENNING_HOME
The node home folder when \fB\-\-home\fR is not given.
.TP
.B NOTIFY_SOCKET, WATCHDOG_USEC, WATCHDOG_PID
Set by systemd for a unit of Type=notify: \fBrun\fR reports READY=1, STATUS=
lines, WATCHDOG=1 pings and STOPPING=1 there.
.TP
.B JOURNAL_STREAM
Set by systemd when stderr is the journal: log lines then carry a syslog
priority prefix (<3> error, <4> warn, <6> info, <7> debug) and no time.
.SH FILES
.TP
.I <home>/allmenning.toml
The node's config (docs/configuration.md). In the Debian package the home is
\fI/var/lib/allmenning\fR and \fI/etc/allmenning/allmenning.toml\fR links to
its config.
.TP
.I <home>/key
The node's Ed25519 secret key, mode 0600.
.TP
.I <home>/db/, <home>/search/
The database, and the search index derived from it.
.TP
.I <home>/admin.sock
The running node's admin socket: other commands go through it while
\fBrun\fR runs.
.SH EXIT STATUS
0 on success, 1 when something was not found or an operation failed, 2 for
bad input or usage. With \fB\-\-json\fR an error is also one JSON object on
stdout, {"error": message, "exit": status}.
.SH SEE ALSO
\fBsystemctl\fR(1), \fBjournalctl\fR(1); docs/operations.md in the source.
)";

// "Allmenning: a federated database of ... cases." -> "a federated
// database of ... cases", as a man page's NAME line reads.
std::string whatItIs(std::string description) {
  if (size_t colon = description.find(": "); colon != std::string::npos) {
    description = description.substr(colon + 2);
  }
  if (!description.empty() && description.back() == '.') description.pop_back();
  return description;
}

}  // namespace

std::string manPage(const CLI::App& app, const std::string& version) {
  std::ostringstream m;
  m << ".TH ALLMENNING 1 \"\" \"allmenning " << roff(version) << "\" \"User Commands\"\n"
    << ".SH NAME\nallmenning \\- " << roff(whatItIs(app.get_description())) << "\n"
    << ".SH SYNOPSIS\n\\fBallmenning\\fR [\\fIGLOBAL OPTIONS\\fR] \\fICOMMAND\\fR "
       "[\\fIARGUMENTS\\fR] [\\fIOPTIONS\\fR]\n"
    << ".SH DESCRIPTION\nEach command below takes the global options too, before or after "
       "its name. Every command also answers \\fB\\-\\-help\\fR.\n"
    << ".SH GLOBAL OPTIONS\n";
  for (const CLI::Option* o : visibleOptions(app)) optionEntry(m, *o);
  m << ".SH COMMANDS\n";
  std::vector<Command> commands;
  collect(app, {}, commands);
  for (const Command& c : commands) {
    m << ".SS \"allmenning " << roff(c.name()) << "\"\n"
      << synopsis(c) << "\n.PP\n"
      << roff(c.app->get_description()) << "\n";
    for (const CLI::Option* o : visibleOptions(*c.app)) optionEntry(m, *o);
  }
  m << kTail;
  return m.str();
}

std::string bashCompletion(const CLI::App& app) {
  std::vector<Command> commands;
  collect(app, {}, commands);
  commands.insert(commands.begin(), Command{&app, {}});
  std::vector<std::string> globals;
  std::vector<std::string> globalValued;
  for (const CLI::Option* o : visibleOptions(app)) {
    for (const auto& s : spellings(*o)) {
      globals.push_back(s);
      if (takesValue(*o)) globalValued.push_back(s);
    }
  }
  auto join = [](const std::vector<std::string>& words) {
    std::string out;
    for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
    return out;
  };
  std::ostringstream words, valued;
  for (const Command& c : commands) {
    std::vector<std::string> list;
    for (const CLI::App* sub :
         c.app->get_subcommands([](const CLI::App* a) { return !a->get_group().empty(); })) {
      list.push_back(sub->get_name());
    }
    std::vector<std::string> takes = globalValued;
    if (c.app != &app) {
      for (const CLI::Option* o : visibleOptions(*c.app)) {
        for (const auto& s : spellings(*o)) {
          list.push_back(s);
          if (takesValue(*o)) takes.push_back(s);
        }
      }
    }
    for (const auto& g : globals) list.push_back(g);
    words << "    \"" << c.name() << "\") echo \"" << join(list) << "\" ;;\n";
    valued << "    \"" << c.name() << "\") echo \"" << join(takes) << "\" ;;\n";
  }
  std::ostringstream s;
  s << "# bash completion for allmenning(1), generated from its command definitions\n"
       "# by the build (cli/cli_docs.cpp); do not edit.\n\n"
       "# The words that may follow the command words $1 (\"case put\").\n"
       "_allmenning_words() {\n  case \"$1\" in\n"
    << words.str()
    << "  esac\n}\n\n"
       "# The options of the command $1 that take a value.\n"
       "_allmenning_valued() {\n  case \"$1\" in\n"
    << valued.str()
    << "  esac\n}\n\n"
       "_allmenning() {\n"
       "  local cur=\"${COMP_WORDS[COMP_CWORD]}\" path=\"\" i w skip=\"\"\n"
       "  for ((i = 1; i < COMP_CWORD; i++)); do\n"
       "    w=\"${COMP_WORDS[i]}\"\n"
       "    if [[ -n $skip ]]; then skip=\"\"; continue; fi\n"
       "    if [[ \" $(_allmenning_valued \"$path\") \" == *\" $w \"* ]]; then skip=1; continue; "
       "fi\n"
       "    [[ $w == -* ]] && continue\n"
       "    if [[ \" $(_allmenning_words \"$path\") \" == *\" $w \"* ]]; then\n"
       "      path=\"${path:+$path }$w\"\n"
       "    fi\n"
       "  done\n"
       "  if [[ -n $skip ]]; then\n"
       "    mapfile -t COMPREPLY < <(compgen -f -- \"$cur\")\n"
       "    return 0\n"
       "  fi\n"
       "  mapfile -t COMPREPLY < <(compgen -W \"$(_allmenning_words \"$path\")\" -- \"$cur\")\n"
       "  if [[ ${#COMPREPLY[@]} -eq 0 && $cur != -* ]]; then\n"
       "    mapfile -t COMPREPLY < <(compgen -f -- \"$cur\")\n"
       "  fi\n"
       "  return 0\n"
       "}\n"
       "complete -o filenames -F _allmenning allmenning\n";
  return s.str();
}

}  // namespace allmenning::cli
