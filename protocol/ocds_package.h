// Reading an OCDS release package for import (docs/ocds.md, "Import").
//
// OCDS publishes one contracting process as a stream of releases under one
// ocid (planning, tender, award, contract, implementation), and later
// releases often repeat nothing of the tender. So the releases are grouped
// by ocid, sorted by date, and compiled one after the other by the OCDS
// merge rules; after each release the compiled record is mapped to a case.
// Each release that changes the case gives one step: the case version it
// leads to. Pure: text in, steps out; the node decides which steps it holds.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/bytes.h"
#include "protocol/ocds.h"
#include "protocol/status.h"

namespace allmenning::ocds {

// More releases than this under one ocid are refused: compiling costs each
// release the size of the record compiled so far.
inline constexpr size_t kMaxReleasesPerProcess = 1000;
// Messages kept per package; the counts go on.
inline constexpr size_t kMaxMessages = 50;

// The case after one release of a process.
struct Step {
  size_t release = 0;            // index in the package's releases
  std::string date;              // the release's date, as written
  std::optional<Bytes> payload;  // the case version; none when the release withdraws the case
};

// The releases of one ocid.
struct Process {
  std::string ocid;
  std::string caseId;
  std::vector<size_t> releases;  // indexes in the package, in date order (package order on ties)
  bool whole = false;            // every release describes a whole case (this project's)
};

// What a process's releases make of its case.
struct Plan {
  // One per release that changes the case; consecutive steps always differ.
  std::vector<Step> steps;
  uint64_t refused = 0;  // releases that give no case version, even merged with later ones
  uint64_t noteCount = 0;
  // "releases[2] (ocid): <why>" for each refused release, and each field
  // dropped or shortened to fit the case rules ("releases[0] (ocid): title:
  // shortened to 300 characters (had 400)"), noted at the first release
  // that needs it; at most kMaxMessages each.
  std::vector<std::string> errors;
  std::vector<std::string> notes;
};

struct Package {
  Json releases;                   // as read
  std::vector<Process> processes;  // in order of their first release in the package
  // Releases refused before any compiling (not an object, no ocid, a case
  // id taken by another ocid, too many releases), and why.
  uint64_t refused = 0;
  std::vector<std::string> errors;
};

// Parses `text` as a release package and groups its releases. Text that is
// not a package (not JSON, no "releases" array, nested deeper than
// kMaxDepth) is refused whole.
Result<Package> readPackage(std::string_view text);

// Compiles the releases of `process` in date order, from nothing or, with
// `base`, from that case record (a version the node holds and the package
// goes on from), and maps the record after each release to a case.
Plan planProcess(const Package& package, const Process& process, const Json* base = nullptr);

// Where a node resumes a process, given the versions it holds of the case
// (`held`, oldest first; none for a retraction): the index of the first step
// still to apply. All steps held (or the live version already equal to the
// last step): steps.size(). Nullopt when the node's versions part from the
// package's.
std::optional<size_t> resumeAt(const std::vector<std::optional<Bytes>>& held,
                               const std::vector<Step>& steps);

}  // namespace allmenning::ocds
