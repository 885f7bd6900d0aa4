// allmenning_docs: writes the man page and the bash completion of the
// `allmenning` command line at build time (cli/cli_docs.h). Not installed.
//
//   allmenning_docs VERSION MAN_OUT COMPLETION_OUT
#include <fstream>
#include <iostream>

#include "cli/cli.h"
#include "cli/cli_docs.h"

namespace {

bool write(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) std::cerr << "allmenning_docs: cannot write " << path << "\n";
  return static_cast<bool>(out);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: allmenning_docs VERSION MAN_OUT COMPLETION_OUT\n";
    return 2;
  }
  allmenning::cli::Globals g;
  g.home = "~/.allmenning";  // the default, as a reader's shell would show it
  CLI::App app{allmenning::cli::kAppDescription, "allmenning"};
  allmenning::cli::buildApp(app, g);
  bool ok = write(argv[2], allmenning::cli::manPage(app, argv[1])) &&
            write(argv[3], allmenning::cli::bashCompletion(app));
  return ok ? 0 : 1;
}
