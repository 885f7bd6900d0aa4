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
#include "protocol/records.h"

namespace allmenning {
namespace {

// A package larger than this is refused before it is read.
constexpr uint64_t kMaxPackageBytes = uint64_t{512} << 20;
constexpr size_t kMaxErrorsShown = 50;

Result<Json> readPackage(const std::string& path) {
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
  Json package = Json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (package.is_discarded()) return Status::invalid(path + ": not valid JSON");
  if (!package.is_object() || !package.contains("releases") || !package["releases"].is_array()) {
    return Status::invalid(path + ": not an OCDS release package (no \"releases\" array)");
  }
  return package;
}

// One valid release, ready to apply.
struct Release {
  size_t index = 0;
  std::string date;
  std::string caseId;
  bool withdraws = false;
  Json record;
};

// Whether `record` is already one of the versions of `key`: importing the
// same package twice then stores nothing new.
Result<bool> holdsVersion(Node& node, const CaseKey& key, const Json& record) {
  auto payload = caseFromJsonValue(record);
  if (!payload.isOk()) return payload.status();
  auto seqs = node.store().caseVersions(key);
  if (!seqs.isOk()) return seqs.status();
  for (uint64_t seq : *seqs) {
    auto e = node.store().entry(key.author, seq);
    if (!e.isOk()) return e.status();
    if (*e && (*e)->header.kind == Kind::kCase && (*e)->payload == *payload) return true;
  }
  return false;
}

// Releases in date order, file order among equal dates: a package this
// project wrote is replayed version by version as it was signed. Each version
// is one durable put, so an interruption leaves whole versions only.
Status applyReleases(Node& node, std::vector<Release> valid, OcdsImportReport& report,
                     const std::function<void(const std::string&)>& stored) {
  std::stable_sort(valid.begin(), valid.end(),
                   [](const Release& a, const Release& b) { return a.date < b.date; });
  for (const Release& r : valid) {
    CaseKey key{node.id(), r.caseId};
    if (r.withdraws) {
      Status st = node.retractCase(key);
      // Withdrawing what is absent or withdrawn already changes nothing.
      bool noop = st.code() == Status::Code::kNotFound || st.code() == Status::Code::kRefused;
      if (!st.isOk() && !noop) return st;
      report.withdrawn += st.isOk();
      continue;
    }
    auto held = holdsVersion(node, key, r.record);
    if (!held.isOk()) return held.status();
    auto put =
        *held ? Result<PutResult>(PutResult{key, 0, true, {}}) : node.putCase(r.record.dump());
    if (!put.isOk()) return put.status();
    if (put->unchanged) {
      ++report.unchanged;
      continue;
    }
    ++report.versions;
    stored(caseRef(key));
  }
  return Status::ok();
}

}  // namespace

Status Node::exportOcds(const std::function<Status(std::string_view)>& sink) {
  Json publisher{{"name", config_.name}};
  if (!config_.orgnr.empty()) {
    publisher["scheme"] = "NO-BRC";
    publisher["uid"] = config_.orgnr;
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
  auto package = readPackage(path);
  if (!package.isOk()) return package.status();
  OcdsImportReport report;
  std::vector<Release> valid;
  std::map<std::string, std::string> ocidOf;  // case id -> the ocid that claimed it
  const Json& releases = (*package)["releases"];
  for (size_t i = 0; i < releases.size(); ++i) {
    const Json& r = releases[i];
    std::string ocid = r.is_object() ? r.value("ocid", std::string()) : std::string();
    auto error = [&](const std::string& why) {
      if (report.errors.size() < kMaxErrorsShown) {
        report.errors.push_back("releases[" + std::to_string(i) + "]" +
                                (ocid.empty() ? "" : " (" + ocid + ")") + ": " + why);
      }
      ++report.refused;
    };
    auto record = ocds::recordOf(r);
    if (!record.isOk()) {
      error(record.status().message());
      continue;
    }
    auto payload = caseFromJsonValue(*record);
    if (!payload.isOk()) {
      error(payload.status().message());
      continue;
    }
    std::string caseId = (*record)["id"];
    auto [it, fresh] = ocidOf.try_emplace(caseId, ocid);
    if (!fresh && it->second != ocid) {
      error("case id " + caseId + " is already taken by " + it->second + " in this package");
      continue;
    }
    valid.push_back({i, r.value("date", std::string()), caseId, ocds::withdraws(r), *record});
  }
  report.releases = releases.size();
  ALM_RETURN_IF_ERROR(applyReleases(*this, std::move(valid), report, stored));
  return report;
}

}  // namespace allmenning
