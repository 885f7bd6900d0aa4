// Planning an OCDS import: group, order, compile, map, fit (ocds_package.h).
#include "protocol/ocds_package.h"

#include <algorithm>
#include <map>
#include <set>

#include "protocol/case_json.h"

namespace allmenning::ocds {
namespace {

Result<Json> parsePackage(std::string_view text) {
  bool tooDeep = false;
  auto depth = [&](int d, Json::parse_event_t, Json&) {
    tooDeep |= d > kMaxDepth;
    return !tooDeep;
  };
  Json package = Json::parse(text, depth, /*allow_exceptions=*/false);
  if (tooDeep) {
    return Status::invalid("nested deeper than " + std::to_string(kMaxDepth) +
                           " levels; no OCDS package is");
  }
  if (package.is_discarded()) return Status::invalid("not valid JSON");
  if (!package.is_object() || !package.contains("releases") || !package["releases"].is_array()) {
    return Status::invalid("not an OCDS release package (no \"releases\" array)");
  }
  return package;
}

std::string dateOf(const Json& release) {
  auto it = release.find("date");
  return it != release.end() && it->is_string() ? it->get<std::string>() : std::string();
}

void addMessage(std::vector<std::string>& to, size_t index, const std::string& ocid,
                const std::string& what) {
  if (to.size() >= kMaxMessages) return;
  to.push_back("releases[" + std::to_string(index) + "]" + (ocid.empty() ? "" : " (" + ocid + ")") +
               ": " + what);
}

Result<Bytes> versionOf(const Json& compiled, const std::string& caseId,
                        std::vector<std::string>& notes) {
  auto record = recordOf(compiled, caseId);
  if (!record.isOk()) return record.status();
  auto fitted = fitToCaseRules(std::move(*record), notes);
  if (!fitted.isOk()) return fitted.status();
  return caseFromJsonValue(*fitted);
}

// A held version as the start of compiling: a whole-case release whose
// status stands only until a release merged into it says another.
Json baseRelease(const Json& record) {
  Json r = releaseOf(record, Version{std::string(64, '0'), 0, "", false});
  r[kExtension][kStatusBefore] = r[kExtension]["status"];
  r[kExtension].erase("status");
  r["tender"].erase("status");
  return r;
}

}  // namespace

Result<Package> readPackage(std::string_view text) {
  auto parsed = parsePackage(text);
  if (!parsed.isOk()) return parsed.status();
  Package out;
  out.releases = std::move((*parsed)["releases"]);
  const Json& releases = out.releases;
  auto refuse = [&](size_t i, const std::string& ocid, const std::string& why) {
    ++out.refused;
    addMessage(out.errors, i, ocid, why);
  };
  std::map<std::string, size_t> byOcid;  // ocid -> index in processes
  for (size_t i = 0; i < releases.size(); ++i) {
    const Json& r = releases[i];
    if (!r.is_object()) {
      refuse(i, "", "not a JSON object");
      continue;
    }
    auto ocid = r.find("ocid");
    if (ocid == r.end() || !ocid->is_string() || ocid->get_ref<const std::string&>().empty()) {
      refuse(i, "", "ocid: missing; a release belongs to the process its ocid names");
      continue;
    }
    auto [it, fresh] = byOcid.try_emplace(ocid->get<std::string>(), out.processes.size());
    if (fresh) out.processes.push_back({it->first, caseIdOfOcid(it->first), {}, true});
    out.processes[it->second].releases.push_back(i);
    out.processes[it->second].whole &= describesWholeCase(r);
  }
  std::map<std::string, std::string> takenBy;  // case id -> ocid
  std::vector<Process> kept;
  for (Process& p : out.processes) {
    auto [taken, fresh] = takenBy.try_emplace(p.caseId, p.ocid);
    std::string why;
    if (p.caseId.empty()) {
      why = "the ocid gives no case id (no letter or digit in it)";
    } else if (!fresh) {
      why = "case id " + p.caseId + " is already taken by " + taken->second + " in this package";
    } else if (p.releases.size() > kMaxReleasesPerProcess) {
      why = std::to_string(p.releases.size()) + " releases under one ocid; at most " +
            std::to_string(kMaxReleasesPerProcess) + " are read";
    }
    if (!why.empty()) {
      for (size_t i : p.releases) refuse(i, p.ocid, why);
      continue;
    }
    std::stable_sort(p.releases.begin(), p.releases.end(),
                     [&](size_t a, size_t b) { return dateOf(releases[a]) < dateOf(releases[b]); });
    kept.push_back(std::move(p));
  }
  out.processes = std::move(kept);
  return out;
}

Plan planProcess(const Package& package, const Process& p, const Json* base) {
  Plan plan;
  Json compiled = Json::object();
  // None: no case yet, or withdrawn; so withdrawing a case that never was
  // gives no step.
  std::optional<Bytes> state;
  if (base) {
    compiled = baseRelease(*base);
    auto payload = caseFromJsonValue(*base);
    if (payload.isOk()) state = std::move(*payload);
  }
  std::set<std::string> noted;
  std::vector<std::pair<size_t, std::string>> pending;  // no case yet, and why
  for (size_t i : p.releases) {
    const Json& r = package.releases[i];
    if (describesWholeCase(r)) compiled = Json::object();
    mergeRelease(compiled, r);
    std::optional<Bytes> next;
    if (!withdraws(r)) {
      std::vector<std::string> notes;
      auto payload = versionOf(compiled, p.caseId, notes);
      if (!payload.isOk()) {
        pending.emplace_back(i, payload.status().message());
        continue;
      }
      for (const auto& n : notes) {
        if (!noted.insert(n).second) continue;
        ++plan.noteCount;
        addMessage(plan.notes, i, p.ocid, n);
      }
      next = std::move(*payload);
    }
    // The releases before it that gave no case of their own are part of it.
    pending.clear();
    if (next == state) continue;
    state = next;
    plan.steps.push_back({i, dateOf(r), std::move(next)});
  }
  for (const auto& [i, why] : pending) addMessage(plan.errors, i, p.ocid, why);
  plan.refused = pending.size();
  return plan;
}

std::optional<size_t> resumeAt(const std::vector<std::optional<Bytes>>& held,
                               const std::vector<Step>& steps) {
  size_t common = 0;
  while (common < held.size() && common < steps.size() && held[common] == steps[common].payload) {
    ++common;
  }
  if (common == steps.size() || common == held.size()) return common;
  // The node went its own way, but what is live is what the package ends in.
  if (held.back() == steps.back().payload) return steps.size();
  return std::nullopt;
}

}  // namespace allmenning::ocds
