// What the record commands (case, need, experience) share: their `put` and
// `retract` subcommands, and the text form of a shown record.
#pragma once

#include <ostream>
#include <string>

#include "cli/cli.h"

namespace allmenning::cli {

// Adds the command group `name` (case, need, ...) that needs a subcommand.
CLI::App& addGroup(CLI::App& app, const std::string& name, const std::string& description);
// Adds `put FILE` to `group`: validates the file as a record of `kind`,
// publishes it, prints <author-hex>/<id> on stdout and the seq (or
// "unchanged", and any warning) on stderr. `format` names the format's doc.
void addPut(CLI::App& group, Globals& g, Kind kind, const std::string& format);
// Adds `retract ID` to `group`, for this node's records of `kind`.
void addRetract(CLI::App& group, Globals& g, Kind kind);

// The value of one record field on one line (lists joined with ", ").
std::string textOf(const Json& v);
// Prints a shown record (Node::showRecord): the ref under the label `kind`,
// author, trust, seq, entry, signature, chain, time, then its fields.
void printRecord(std::ostream& out, const Json& shown, const std::string& kind);

}  // namespace allmenning::cli
