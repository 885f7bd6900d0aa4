// OCDS exchange: export every case version as a release package, and import
// a package's releases as this node's own cases (docs/ocds.md).
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "node/node.h"
#include "protocol/case_json.h"
#include "protocol/ocds.h"
#include "protocol/ocds_package.h"
#include "protocol/records.h"

namespace allmenning {
namespace {

// A package larger than this is refused before it is read.
constexpr uint64_t kMaxPackageBytes = uint64_t{512} << 20;
constexpr size_t kMaxErrorsShown = 50;

// Versions authored together: one intent, one WriteBatch, one fsync each.
constexpr size_t kOcdsBatch = 64;

Result<std::string> readFile(const std::string& path) {
  std::error_code ec;
  uint64_t size = std::filesystem::file_size(path, ec);
  if (ec) return Status::invalid(path + ": " + ec.message());
  if (size > kMaxPackageBytes) {
    return Status::invalid(path + ": " + std::to_string(size) + " bytes; the limit is " +
                           std::to_string(kMaxPackageBytes));
  }
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  if (!in) return Status::invalid(path + ": cannot read it");
  return text.str();
}

// The versions this node holds of its own case `key`, oldest first: each
// case entry's payload, or none for a retraction.
Result<std::vector<std::optional<Bytes>>> heldVersions(Node& node, const CaseKey& key) {
  std::vector<std::optional<Bytes>> held;
  auto seqs = node.store().caseVersions(key);
  if (!seqs.isOk()) return seqs.status();
  for (uint64_t seq : *seqs) {
    auto e = node.store().entry(key.author, seq);
    if (!e.isOk()) return e.status();
    if (!*e || !(*e)->payload) continue;
    std::optional<Bytes> state;
    if ((*e)->header.kind == Kind::kCase) state = (*e)->payload;
    if (held.empty() || held.back() != state) held.push_back(std::move(state));
  }
  return held;
}

// A step still to apply, and the case it belongs to.
struct Pending {
  ocds::Step step;
  std::string caseId;
};

void addAll(std::vector<std::string>& to, const std::vector<std::string>& from) {
  for (const auto& m : from) {
    if (to.size() < kMaxErrorsShown) to.push_back(m);
  }
}

// Whether this node holds every version of `p` already as another
// author's case: an export carries every author's cases the node holds,
// and importing it back must not copy them into the node's own log. The
// ocid of ours names the author by the first 16 hex digits of its key.
Result<bool> heldUnderItsAuthor(Node& node, const ocds::Process& p, const ocds::Plan& plan) {
  const size_t prefix = sizeof ocds::kOcidPrefix - 1;
  if (!p.whole || p.ocid.size() < prefix + 16) return false;
  const std::string author = p.ocid.substr(prefix, 16);
  if (author == toHex(node.id()).substr(0, 16)) return false;
  auto heads = node.store().heads();
  if (!heads.isOk()) return heads.status();
  for (const auto& [key, head] : *heads) {
    if (toHex(key).compare(0, 16, author) != 0) continue;
    auto held = heldVersions(node, CaseKey{key, p.caseId});
    if (!held.isOk()) return held.status();
    auto from = ocds::resumeAt(*held, plan.steps);
    if (!held->empty() && from == plan.steps.size()) return true;
  }
  return false;
}

// The plan of `p` from where this node stands: from the start when it holds
// a prefix of the package's versions (none, or an interrupted import), or
// on top of its live version when a foreign package goes on from it (the
// publisher's next releases, imported on their own). Nullopt when the
// node's case has versions this package does not describe and cannot go
// on from (this project's whole-case releases, or a retracted case).
Result<std::optional<std::pair<ocds::Plan, size_t>>> planFor(Node& node,
                                                             const ocds::Package& package,
                                                             const ocds::Process& p) {
  using Out = std::optional<std::pair<ocds::Plan, size_t>>;
  ocds::Plan plan = ocds::planProcess(package, p);
  auto elsewhere = heldUnderItsAuthor(node, p, plan);
  if (!elsewhere.isOk()) return elsewhere.status();
  if (*elsewhere) return Out({std::move(plan), plan.steps.size()});
  auto held = heldVersions(node, CaseKey{node.id(), p.caseId});
  if (!held.isOk()) return held.status();
  auto from = ocds::resumeAt(*held, plan.steps);
  // Releases that make no case on their own, or a first version other
  // than the node's, go on from the live version when they can.
  const bool goOn = !p.whole && !held->empty() && held->back() &&
                    (!from || plan.refused > 0 || plan.steps.empty());
  if (from && !goOn) return Out({std::move(plan), *from});
  if (!goOn) return Out();
  auto live = decodeCase(*held->back());
  if (!live.isOk()) return live.status();
  return Out({ocds::planProcess(package, p, &*live), 0});
}

// The steps this node does not hold yet, in release date order (package
// order among equal dates), as the versions were signed where they came
// from. `leftAlone` counts the releases of processes left as they are.
Result<std::vector<Pending>> pendingSteps(Node& node, const ocds::Package& package,
                                          OcdsImportReport& report, uint64_t& leftAlone) {
  std::vector<Pending> out;
  for (const ocds::Process& p : package.processes) {
    auto planned = planFor(node, package, p);
    if (!planned.isOk()) return planned.status();
    if (!*planned) {
      ++report.conflicts;
      leftAlone += p.releases.size();
      addAll(report.errors, {p.ocid + ": case " + caseRef(CaseKey{node.id(), p.caseId}) +
                             " has versions this package does not hold; left as it is"});
      continue;
    }
    auto& [plan, from] = **planned;
    report.refused += plan.refused;
    report.noteCount += plan.noteCount;
    addAll(report.errors, plan.errors);
    addAll(report.notes, plan.notes);
    for (size_t i = from; i < plan.steps.size(); ++i) {
      out.push_back({std::move(plan.steps[i]), p.caseId});
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const Pending& a, const Pending& b) {
    if (a.step.date != b.step.date) return a.step.date < b.step.date;
    return a.step.release < b.step.release;
  });
  return out;
}

// Authors the pending steps in durable batches; `stored` hears of each case
// once its batch is on disk.
Status applySteps(Node& node, const std::vector<Pending>& steps, OcdsImportReport& report,
                  const std::function<void(const std::string&)>& stored) {
  for (size_t begin = 0; begin < steps.size(); begin += kOcdsBatch) {
    const size_t end = std::min(steps.size(), begin + kOcdsBatch);
    std::vector<std::pair<Kind, Bytes>> records;
    for (size_t i = begin; i < end; ++i) {
      const ocds::Step& s = steps[i].step;
      if (s.payload) {
        records.emplace_back(Kind::kCase, *s.payload);
      } else {
        records.emplace_back(Kind::kRetract, encodeRetract(RetractRecord{steps[i].caseId, false}));
      }
    }
    auto written = node.author(std::move(records));
    if (!written.isOk()) return written.status();
    for (size_t i = begin; i < end; ++i) {
      if (steps[i].step.payload) {
        ++report.versions;
      } else {
        ++report.withdrawn;
      }
      stored(caseRef(CaseKey{node.id(), steps[i].caseId}));
    }
  }
  return Status::ok();
}

}  // namespace

Status Node::exportOcds(const std::function<Status(std::string_view)>& sink) {
  auto own = profile();
  if (!own.isOk()) return own.status();
  Json publisher{{"name", own->name}};
  if (!own->orgnr.empty()) {
    publisher["scheme"] = "NO-BRC";
    publisher["uid"] = own->orgnr;
  }
  Json head{{"uri", "urn:allmenning:" + toHex(id())},
            {"version", "1.1"},
            {"publishedDate", isoTime(clock_())},
            {"publisher", publisher}};
  std::string text = head.dump();
  text.pop_back();  // the closing brace: the releases follow
  ALM_RETURN_IF_ERROR(sink(text + ",\"releases\":["));
  std::map<std::pair<PublicKey, std::string>, Json> last;  // for retractions
  bool first = true;
  ALM_RETURN_IF_ERROR(store_->forEachEntry([&](Result<Entry> e) -> Status {
    if (!e.isOk()) return e.status();
    const Header& h = e->header;
    if (!e->payload || (h.kind != Kind::kCase && h.kind != Kind::kRetract)) return Status::ok();
    ocds::Version v{toHex(h.author), h.seq, isoTime(h.timestamp), h.kind == Kind::kRetract};
    Json record;
    if (v.retracted) {
      auto r = decodeRetract(*e->payload);
      if (!r.isOk()) return r.status();
      if (r->target != Kind::kCase) return Status::ok();  // a need or an experience
      auto it = last.find({h.author, r->caseId});
      if (it == last.end()) return Status::ok();  // nothing to withdraw
      record = it->second;
    } else {
      auto r = decodeCase(*e->payload);
      if (!r.isOk()) return r.status();
      record = std::move(*r);
      last[{h.author, record["id"].get<std::string>()}] = record;
    }
    std::string line = (first ? "\n" : ",\n") + ocds::releaseOf(record, v).dump();
    first = false;
    return sink(line);
  }));
  return sink("\n]}\n");
}

Result<OcdsImportReport> Node::importOcds(const std::string& path,
                                          const std::function<void(const std::string&)>& stored) {
  auto text = readFile(path);
  if (!text.isOk()) return text.status();
  auto package = ocds::readPackage(*text);
  if (!package.isOk()) return package.status().withContext(path);
  std::string().swap(*text);  // the parsed package is all that is needed now
  OcdsImportReport report;
  report.releases = package->releases.size();
  report.refused = package->refused;
  report.errors = package->errors;
  uint64_t leftAlone = 0;  // releases of the conflicting processes
  auto steps = pendingSteps(*this, *package, report, leftAlone);
  if (!steps.isOk()) return steps.status();
  ALM_RETURN_IF_ERROR(applySteps(*this, *steps, report, stored));
  report.unchanged =
      report.releases - report.refused - leftAlone - report.versions - report.withdrawn;
  return report;
}

}  // namespace allmenning
