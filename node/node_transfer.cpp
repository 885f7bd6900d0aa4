// Node: export and import as JSON lines.
//
// An exported line holds one signed entry exactly as stored, plus its decoded
// record for people reading the file. Importing such a line verifies the
// signature and chain and stores the entry unchanged, so the author stays the
// original author. A line that is a bare case record is published as this
// node's own case instead.
#include <fstream>
#include <istream>
#include <ostream>

#include "node/node.h"
#include "protocol/case_json.h"
#include "protocol/records.h"

namespace allmenning {
namespace {

// A line longer than this cannot hold a valid entry or case.
constexpr size_t kMaxLineBytes = 1 << 20;
// Entries per WriteBatch: each batch is one fsync, and its ids are printed
// once it is durable.
constexpr size_t kImportBatch = 256;

Result<Json> recordJson(const Entry& e) {
  if (!e.payload) return Json(nullptr);
  switch (e.header.kind) {
    case Kind::kCase: return decodeCase(*e.payload);
    case Kind::kRetract: {
      auto r = decodeRetract(*e.payload);
      if (!r.isOk()) return r.status();
      return Json{{"caseId", r->caseId}, {"erase", r->erase}};
    }
    case Kind::kProfile: {
      auto p = decodeProfile(*e.payload);
      if (!p.isOk()) return p.status();
      return Json{{"name", p->name}, {"orgnr", p->orgnr}, {"kommunenummer", p->kommunenummer}};
    }
    default: return Json(nullptr);
  }
}

// One parsed line: either a signed entry or a case record to publish.
struct ImportItem {
  std::optional<Entry> entry;
  Bytes casePayload;
};

Result<ImportItem> parseLine(const std::string& line) {
  if (line.size() > kMaxLineBytes) return Status::invalid("line longer than 1 MiB");
  Json j = Json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::invalid("not valid JSON");
  if (!j.is_object()) return Status::invalid("not a JSON object");
  ImportItem item;
  if (!j.contains("header")) {
    auto payload = caseFromJsonValue(j);
    if (!payload.isOk()) return payload.status();
    item.casePayload = std::move(*payload);
    return item;
  }
  auto field = [&](const char* k) -> std::string {
    return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : std::string();
  };
  auto header = fromBase64(field("header"));
  auto signature = fromHex(field("signature"));
  auto payload = fromBase64(field("payload"));
  if (!header || !signature || !payload) {
    return Status::invalid("entry needs base64 \"header\", hex \"signature\", base64 \"payload\"");
  }
  auto e = entryFromParts(*header, *signature, std::move(*payload));
  if (!e.isOk()) return Status::invalid(e.status().message());
  item.entry = std::move(*e);
  return item;
}

}  // namespace

Status Node::exportJsonl(std::ostream& out) {
  Status st = store_->forEachEntry([&](Result<Entry> e) -> Status {
    if (!e.isOk()) return e.status();
    auto record = recordJson(*e);
    if (!record.isOk()) return record.status();
    Json line{{"author", toHex(e->header.author)},
              {"seq", e->header.seq},
              {"kind", kindName(e->header.kind)},
              {"entryHash", toHex(e->hash)},
              {"header", toBase64(e->headerBytes)},
              {"signature", toHex(e->signature)},
              {"payload", e->payload ? Json(toBase64(*e->payload)) : Json(nullptr)},
              {"record", std::move(*record)}};
    out << line.dump() << '\n';
    return out ? Status::ok() : Status::ioError("writing export");
  });
  out.flush();
  return st.isOk() && !out ? Status::ioError("writing export") : st;
}

namespace {

// Calls `fn(lineNumber, item-or-error)` for each non-empty line of `path`.
Status forEachLine(const std::string& path,
                   const std::function<Status(uint64_t, Result<ImportItem>)>& fn) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::invalid(path + ": cannot open for reading");
  std::string line;
  uint64_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    ALM_RETURN_IF_ERROR(fn(n, parseLine(line)));
  }
  return in.bad() ? Status::ioError(path + ": read error") : Status::ok();
}

// Flushes accumulated items as one durable batch.
class ImportBatch {
 public:
  ImportBatch(Node& node, ImportReport& report,
              const std::function<void(const std::string&)>& committed)
      : node_(node), report_(report), committed_(committed) {}

  Status add(uint64_t lineNo, ImportItem item) {
    bool isEntry = item.entry.has_value();
    if (size() > 0 && (isEntry != !entries_.empty() || size() >= kImportBatch)) {
      ALM_RETURN_IF_ERROR(flush());
    }
    if (isEntry) {
      entries_.push_back(std::move(*item.entry));
      lines_.push_back(lineNo);
    } else {
      records_.emplace_back(Kind::kCase, std::move(item.casePayload));
    }
    return Status::ok();
  }

  Status flush() {
    Status st = entries_.empty() ? flushOwn() : flushEntries();
    entries_.clear();
    records_.clear();
    lines_.clear();
    return st;
  }

 private:
  size_t size() const { return entries_.size() + records_.size(); }

  Status flushOwn() {
    auto written = node_.author(std::move(records_));
    if (!written.isOk()) return written.status();
    for (const auto& e : *written) announce(e);
    return Status::ok();
  }

  Status flushEntries() {
    auto results = node_.store().apply(entries_, /*sync=*/true);
    if (!results.isOk()) return results.status();
    for (size_t i = 0; i < results->size(); ++i) {
      const ApplyResult& r = (*results)[i];
      if (r.stored()) {
        announce(entries_[i]);
      } else if (r.placement == Placement::kDuplicate && r.status.isOk()) {
        ++report_.duplicates;
      } else {
        ++report_.refused;
        report_.errors.push_back("line " + std::to_string(lines_[i]) + ": " +
                                 r.status.message());
      }
    }
    return Status::ok();
  }

  void announce(const Entry& e) {
    ++report_.stored;
    auto id = caseIdOfPayload(e.header.kind, *e.payload);
    if (e.header.kind == Kind::kCase && id.isOk()) {
      committed_(caseRef(CaseKey{e.header.author, *id}));
    }
  }

  Node& node_;
  ImportReport& report_;
  const std::function<void(const std::string&)>& committed_;
  std::vector<Entry> entries_;
  std::vector<uint64_t> lines_;
  std::vector<std::pair<Kind, Bytes>> records_;
};

}  // namespace

Result<ImportReport> Node::importJsonl(const std::string& path,
                                       const std::function<void(const std::string&)>& committed,
                                       const std::function<void(uint64_t)>& progress) {
  // Pass 1 checks every line on its own and writes nothing, so a file with a
  // bad line is refused whole.
  std::vector<std::string> errors;
  ALM_RETURN_IF_ERROR(forEachLine(path, [&](uint64_t n, Result<ImportItem> item) {
    Status st = item.status();
    if (st.isOk() && item->entry) {
      st = checkEntry(*item->entry, store_->network());
      if (st.isOk()) st = checkPayload(item->entry->header.kind, *item->entry->payload);
    }
    if (!st.isOk() && errors.size() < 20) {
      errors.push_back(path + ":" + std::to_string(n) + ": " + st.message());
    }
    if (!st.isOk() && errors.size() == 20) errors.push_back("(further errors not shown)");
    return Status::ok();
  }));
  if (!errors.empty()) {
    std::string msg = "nothing imported; fix these lines first:";
    for (const auto& e : errors) msg += "\n  " + e;
    return Status::invalid(msg);
  }
  // Pass 2 applies the lines in durable batches.
  ImportReport report;
  ImportBatch batch(*this, report, committed);
  ALM_RETURN_IF_ERROR(forEachLine(path, [&](uint64_t n, Result<ImportItem> item) {
    if (!item.isOk()) return item.status();  // the file changed under us
    ++report.lines;
    if (progress && report.lines % 1000 == 0) progress(report.lines);
    return batch.add(n, std::move(*item));
  }));
  ALM_RETURN_IF_ERROR(batch.flush());
  return report;
}

}  // namespace allmenning
