#include "search/search_index.h"

#include <algorithm>
#include <filesystem>

#include "protocol/bytes.h"
#include "protocol/case_json.h"
#include "protocol/records.h"
#include "search/case_document.h"

namespace allmenning::search {
namespace {

namespace fs = std::filesystem;

// Bump when documents change shape: an index of another version is rebuilt.
constexpr char kFormat[] = "allmenning-search-2";
constexpr char kFormatKey[] = "format";
constexpr double kHeadWeight = 0.5;

std::string seqKey(const PublicKey& author) { return "seq:" + toHex(author); }

Status xapianError(const std::string& what, const Xapian::Error& e) {
  return Status::ioError("search index: " + what + ": " + e.get_description());
}

// The words of `text` joined by `op`, each word as its stem or, at lower
// weight, as the head of a compound.
Xapian::Query wordsQuery(const std::string& text, Xapian::Query::op op) {
  std::vector<Xapian::Query> each;
  for (const std::string& s : queryStems(text)) {
    Xapian::Query head(Xapian::Query::OP_SCALE_WEIGHT, Xapian::Query(kHead + s), kHeadWeight);
    each.emplace_back(Xapian::Query::OP_OR, Xapian::Query(kStem + s), head);
  }
  return Xapian::Query(op, each.begin(), each.end());
}

// Cases whose span of years (case_document.h) holds `year`.
Xapian::Query yearQuery(int year) {
  std::string y = Xapian::sortable_serialise(year);
  return Xapian::Query(Xapian::Query::OP_AND,
                       Xapian::Query(Xapian::Query::OP_VALUE_LE, kFirstYearSlot, y),
                       Xapian::Query(Xapian::Query::OP_VALUE_GE, kLastYearSlot, y));
}

Xapian::Query filterQuery(const SearchFilter& f, std::optional<int> year) {
  std::vector<Xapian::Query> parts;
  if (!f.cpvPrefix.empty()) parts.push_back(kCpvTerm + f.cpvPrefix);
  if (!f.procedure.empty()) parts.push_back(kProcedureTerm + f.procedure);
  if (!f.sector.empty()) parts.push_back(kSectorTerm + f.sector);
  if (!f.status.empty()) parts.push_back(kStatusTerm + f.status);
  if (!f.kommune.empty()) parts.push_back(kKommuneTerm + f.kommune);
  if (f.author) parts.push_back(kAuthorTerm + toHex(*f.author));
  if (year) parts.push_back(yearQuery(*year));
  if (parts.empty()) return Xapian::Query::MatchAll;
  return Xapian::Query(Xapian::Query::OP_AND, parts.begin(), parts.end());
}

}  // namespace

Result<std::unique_ptr<SearchIndex>> SearchIndex::open(const std::string& dir) {
  try {
    Xapian::WritableDatabase db(dir, Xapian::DB_CREATE_OR_OPEN);
    bool current = db.get_metadata(kFormatKey) == kFormat;
    if (!current) {
      // Missing, empty, or of another version: start over in place.
      db.close();
      db = Xapian::WritableDatabase(dir, Xapian::DB_CREATE_OR_OVERWRITE);
    }
    return std::unique_ptr<SearchIndex>(new SearchIndex(std::move(db), !current));
  } catch (const Xapian::Error& e) {
    return xapianError("opening " + dir, e);
  }
}

Result<std::unique_ptr<SearchIndex>> SearchIndex::rebuild(
    const std::string& dir, const std::function<Status(SearchIndex&)>& fill) {
  std::string tmp = dir + ".tmp";
  std::error_code ec;
  fs::remove_all(tmp, ec);
  try {
    SearchIndex fresh(Xapian::WritableDatabase(tmp, Xapian::DB_CREATE_OR_OVERWRITE), false);
    ALM_RETURN_IF_ERROR(fill(fresh));
    fresh.db_.set_metadata(kFormatKey, kFormat);
    fresh.db_.commit();
    fresh.db_.close();
  } catch (const Xapian::Error& e) {
    return xapianError("building " + tmp, e);
  }
  fs::remove_all(dir, ec);
  if (ec) return Status::ioError("removing " + dir + ": " + ec.message());
  fs::rename(tmp, dir, ec);
  if (ec) return Status::ioError("renaming " + tmp + " to " + dir + ": " + ec.message());
  return open(dir);
}

Status SearchIndex::apply(const Entry& e) {
  std::lock_guard lock(mu_);
  try {
    Status st = Status::ok();
    if (e.header.kind == Kind::kCase && e.payload) st = putCase(e);
    if (e.header.kind == Kind::kRetract && e.payload) {
      auto r = decodeRetract(*e.payload);
      // A retract of a need or an experience leaves the cases alone.
      if (!r.isOk()) {
        st = r.status();
      } else if (r->target == Kind::kCase) {
        st = removeCase(e.header.author, r->caseId);
      }
    }
    ALM_RETURN_IF_ERROR(st);
    db_.set_metadata(seqKey(e.header.author), std::to_string(e.header.seq));
    return Status::ok();
  } catch (const Xapian::Error& x) {
    return xapianError("indexing", x);
  }
}

Status SearchIndex::putCase(const Entry& e) {
  auto record = decodeCase(*e.payload);
  if (!record.isOk()) return record.status();
  CaseKey key{e.header.author, (*record)["id"].get<std::string>()};
  db_.replace_document(kIdTerm + caseKeyText(key), caseDocument(key, *record, e.header.timestamp));
  return Status::ok();
}

Status SearchIndex::removeCase(const PublicKey& author, const std::string& id) {
  db_.delete_document(kIdTerm + caseKeyText(CaseKey{author, id}));
  return Status::ok();
}

Result<uint64_t> SearchIndex::appliedSeq(const PublicKey& author) const {
  std::lock_guard lock(mu_);
  try {
    std::string v = db_.get_metadata(seqKey(author));
    if (v.empty()) return uint64_t{0};
    size_t used = 0;
    uint64_t seq = std::stoull(v, &used);
    if (used != v.size()) return Status::corruption("search index: bad " + seqKey(author));
    return seq;
  } catch (const Xapian::Error& x) {
    return xapianError("reading metadata", x);
  } catch (const std::exception&) {
    return Status::corruption("search index: bad " + seqKey(author));
  }
}

Status SearchIndex::commit() {
  std::lock_guard lock(mu_);
  try {
    db_.set_metadata(kFormatKey, kFormat);
    db_.commit();
    needsBuild_ = false;
    return Status::ok();
  } catch (const Xapian::Error& x) {
    return xapianError("committing", x);
  }
}

Result<Page<Hit>> SearchIndex::query(const std::string& text, const SearchFilter& filter) const {
  std::lock_guard lock(mu_);
  try {
    Xapian::Enquire enquire(db_);
    bool words = !search::words(text).empty();
    enquire.set_query(
        Xapian::Query(Xapian::Query::OP_FILTER,
                      words ? wordsQuery(text, Xapian::Query::OP_AND) : Xapian::Query::MatchAll,
                      filterQuery(filter, filter.year)));
    enquire.set_weighting_scheme(Xapian::BM25Weight());
    if (words) {
      enquire.set_sort_by_relevance_then_value(kKeySlot, false);
    } else {
      enquire.set_sort_by_value_then_relevance(kUpdatedSlot, true);
    }
    // Checking every document makes the match count exact, not estimated.
    Xapian::MSet mset =
        enquire.get_mset(static_cast<Xapian::doccount>(filter.offset),
                         static_cast<Xapian::doccount>(filter.limit), db_.get_doccount());
    Page<Hit> out{{}, mset.get_matches_estimated()};
    for (auto it = mset.begin(); it != mset.end(); ++it) {
      auto key = parseCaseKeyText(it.get_document().get_data());
      if (!key) return Status::corruption("search index: document without a case key");
      out.items.push_back({std::move(*key), it.get_weight()});
    }
    return out;
  } catch (const Xapian::Error& x) {
    return xapianError("searching", x);
  }
}

Result<std::vector<Similar>> SearchIndex::similar(const std::string& text,
                                                  const std::vector<std::string>& cpvPrefixes,
                                                  size_t limit) const {
  std::lock_guard lock(mu_);
  try {
    std::vector<Xapian::Query> cpv;
    for (const auto& p : cpvPrefixes) cpv.emplace_back(kCpvTerm + p);
    Xapian::Query byCpv(Xapian::Query::OP_OR, cpv.begin(), cpv.end());
    Xapian::Enquire enquire(db_);
    enquire.set_query(Xapian::Query(Xapian::Query::OP_OR, wordsQuery(text, Xapian::Query::OP_OR),
                                    Xapian::Query(Xapian::Query::OP_SCALE_WEIGHT, byCpv, 0)));
    enquire.set_weighting_scheme(Xapian::BM25Weight());
    enquire.set_sort_by_relevance_then_value(kKeySlot, false);
    Xapian::MSet mset = enquire.get_mset(0, static_cast<Xapian::doccount>(limit));
    std::vector<Similar> out;
    for (auto it = mset.begin(); it != mset.end(); ++it) {
      auto key = parseCaseKeyText(it.get_document().get_data());
      if (!key) return Status::corruption("search index: document without a case key");
      Similar s{std::move(*key), it.get_weight(), {}};
      for (auto t = enquire.get_matching_terms_begin(it); t != enquire.get_matching_terms_end(it);
           ++t) {
        std::string term = *t;
        if (term.starts_with(kStem)) s.terms.push_back(term.substr(1));
        if (term.starts_with(kHead)) s.terms.push_back(term.substr(1));
      }
      std::sort(s.terms.begin(), s.terms.end());
      s.terms.erase(std::unique(s.terms.begin(), s.terms.end()), s.terms.end());
      out.push_back(std::move(s));
    }
    return out;
  } catch (const Xapian::Error& x) {
    return xapianError("matching", x);
  }
}

std::function<bool(const Word&)> SearchIndex::matcher(const std::string& text) {
  std::vector<std::string> stems = queryStems(text);
  return [stems](const Word& w) {
    std::string s = stem(w.lower);
    for (const std::string& q : stems) {
      if (s == q) return true;
      auto heads = compoundHeads(s);
      if (std::find(heads.begin(), heads.end(), q) != heads.end()) return true;
    }
    return false;
  };
}

size_t SearchIndex::documents() const {
  std::lock_guard lock(mu_);
  return db_.get_doccount();
}

}  // namespace allmenning::search
