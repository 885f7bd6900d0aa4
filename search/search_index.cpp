#include "search/search_index.h"

#include <algorithm>
#include <filesystem>

#include "protocol/bytes.h"
#include "protocol/case_json.h"
#include "protocol/records.h"
#include "search/case_document.h"
#include "search/letters.h"
#include "search/query_text.h"

namespace allmenning::search {
namespace {

namespace fs = std::filesystem;

// Bump when documents change shape: an index of another version is rebuilt.
constexpr char kFormat[] = "allmenning-search-5";
constexpr char kFormatKey[] = "format";
constexpr double kHeadWeight = 0.5;
constexpr double kFoldWeight = 0.4;        // below a head: the letters differ
constexpr unsigned kMaxSpellingEdits = 2;  // Xapian's default

std::string seqKey(const PublicKey& author) { return "seq:" + toHex(author); }

Status fromXapian(const std::string& dir, const std::string& what, const Xapian::Error& e,
                  bool damage) {
  if (damage) {
    return Status::corruption("the files in " + dir + " are damaged (" + what + ": " +
                              e.get_description() + ")");
  }
  return Status::ioError("search index " + dir + ": " + what + ": " + e.get_description());
}

// Runs `body`, returning what it throws as a Status; sets `damaged` when
// that says the files are damaged. Xapian's exception classes are not
// polymorphic, so each kind needs its own handler, most derived first.
template <typename F>
auto catchXapian(const std::string& dir, const std::string& what, bool& damaged, F&& body)
    -> decltype(body()) {
  try {
    return body();
  } catch (const Xapian::DatabaseLockError& e) {
    return fromXapian(dir, what, e, false);
  } catch (const Xapian::DatabaseError& e) {
    // Xapian names an errno when a system call failed (ENOSPC, EIO): then
    // the disk is at fault, not the bytes, and rebuilding would not help.
    bool damage = e.get_error_string() == nullptr;
    damaged = damaged || damage;
    return fromXapian(dir, what, e, damage);
  } catch (const Xapian::Error& e) {
    return fromXapian(dir, what, e, false);
  } catch (const std::exception& e) {
    return Status::ioError("search index " + dir + ": " + what + ": " + e.what());
  }
}

// One way a query word can match a case: a term, and the weight of a match
// against a match of the word as typed (1).
struct Alternative {
  std::string term;
  double weight = 1;
};

// The alternatives of one lowercased query word: its stem; the stem as the
// head of a compound; and its æ/ø/å folding (letters.h): a word typed in
// ASCII matches the folded terms of cases, a word typed with æ/ø/å matches
// cases that spell it in ASCII. Every other way of matching a word goes here.
std::vector<Alternative> alternatives(const std::string& word) {
  std::string s = stem(word);
  std::vector<Alternative> out{{kStem + s, 1}, {kHead + s, kHeadWeight}};
  std::vector<std::string> folded = foldings(word);
  if (folded.empty()) out.push_back({kFolded + s, kFoldWeight});
  for (const std::string& f : folded) {
    out.push_back({kStem + stem(f), kFoldWeight});
    out.push_back({kFolded + stem(f), kFoldWeight});
  }
  return out;
}

// A query word: any of its alternatives, each at its weight.
Xapian::Query wordQuery(const std::string& word) {
  std::vector<Xapian::Query> each;
  for (const Alternative& a : alternatives(word)) {
    Xapian::Query t(a.term);
    each.push_back(a.weight == 1 ? t : Xapian::Query(Xapian::Query::OP_SCALE_WEIGHT, t, a.weight));
  }
  return Xapian::Query(Xapian::Query::OP_OR, each.begin(), each.end());
}

// A part of a query (query_text.h): a word with its alternatives, or a
// phrase: the stems of its words, in order and next to each other.
Xapian::Query partQuery(const QueryPart& p) {
  if (!p.phrase) return wordQuery(p.words[0]);
  std::vector<Xapian::Query> stems;
  for (const std::string& w : p.words) stems.emplace_back(kStem + stem(w));
  return Xapian::Query(Xapian::Query::OP_PHRASE, stems.begin(), stems.end(),
                       static_cast<Xapian::termcount>(stems.size()));
}

// The words of `text` joined by `op`.
Xapian::Query wordsQuery(const std::string& text, Xapian::Query::op op) {
  std::vector<Xapian::Query> each;
  for (const std::string& w : queryWords(text)) each.push_back(wordQuery(w));
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

template <typename F>
auto SearchIndex::guarded(const std::string& what, F&& body) const -> decltype(body()) {
  std::lock_guard lock(mu_);
  return catchXapian(dir_, what, damaged_, body);
}

// Called with the mutex held, on finding a value this class never writes.
Status SearchIndex::damage(const std::string& what) const {
  damaged_ = true;
  return Status::corruption("the files in " + dir_ + " are damaged (" + what + ")");
}

bool SearchIndex::damaged() const {
  std::lock_guard lock(mu_);
  return damaged_;
}

Result<std::unique_ptr<SearchIndex>> SearchIndex::open(const std::string& dir) {
  bool damaged = false;
  return catchXapian(dir, "opening", damaged, [&]() -> Result<std::unique_ptr<SearchIndex>> {
    Xapian::WritableDatabase db(dir, Xapian::DB_CREATE_OR_OPEN);
    bool current = db.get_metadata(kFormatKey) == kFormat;
    if (!current) {
      // Missing, empty, or of another version: start over in place.
      db.close();
      db = Xapian::WritableDatabase(dir, Xapian::DB_CREATE_OR_OVERWRITE);
    }
    return std::unique_ptr<SearchIndex>(new SearchIndex(dir, std::move(db), !current));
  });
}

Result<std::string> SearchIndex::setAside(const std::string& dir, const std::string& stamp) {
  fs::path path(dir);
  std::string prefix = path.filename().string() + ".damaged-";
  fs::path parent = path.parent_path().empty() ? fs::path(".") : path.parent_path();
  std::vector<fs::path> older;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(parent, ec)) {
    if (e.path().filename().string().starts_with(prefix)) older.push_back(e.path());
  }
  if (ec) return Status::ioError("listing " + parent.string() + ": " + ec.message());
  for (const auto& p : older) {
    fs::remove_all(p, ec);
    if (ec) return Status::ioError("removing " + p.string() + ": " + ec.message());
  }
  std::string aside = dir + ".damaged-" + stamp;
  fs::rename(dir, aside, ec);
  if (ec) return Status::ioError("moving " + dir + " aside to " + aside + ": " + ec.message());
  return aside;
}

Result<std::unique_ptr<SearchIndex>> SearchIndex::rebuild(
    const std::string& dir, const std::function<Status(SearchIndex&)>& fill) {
  std::string tmp = dir + ".tmp";
  std::error_code ec;
  fs::remove_all(tmp, ec);
  bool damaged = false;
  ALM_RETURN_IF_ERROR(catchXapian(tmp, "building", damaged, [&]() -> Status {
    SearchIndex fresh(tmp, Xapian::WritableDatabase(tmp, Xapian::DB_CREATE_OR_OVERWRITE), false);
    ALM_RETURN_IF_ERROR(fill(fresh));
    fresh.db_.set_metadata(kFormatKey, kFormat);
    fresh.db_.commit();
    fresh.db_.close();
    return Status::ok();
  }));
  fs::remove_all(dir, ec);
  if (ec) return Status::ioError("removing " + dir + ": " + ec.message());
  fs::rename(tmp, dir, ec);
  if (ec) return Status::ioError("renaming " + tmp + " to " + dir + ": " + ec.message());
  return open(dir);
}

Status SearchIndex::apply(const Entry& e) {
  return guarded("indexing", [&]() -> Status {
    if (e.header.kind == Kind::kCase && e.payload) ALM_RETURN_IF_ERROR(putCase(e));
    if (e.header.kind == Kind::kRetract && e.payload) {
      auto r = decodeRetract(*e.payload);
      if (!r.isOk()) return r.status();
      // A retract of a need or an experience leaves the cases alone.
      if (r->target == Kind::kCase) ALM_RETURN_IF_ERROR(removeCase(e.header.author, r->caseId));
    }
    db_.set_metadata(seqKey(e.header.author), std::to_string(e.header.seq));
    return Status::ok();
  });
}

Status SearchIndex::putCase(const Entry& e) {
  auto record = decodeCase(*e.payload);
  if (!record.isOk()) return record.status();
  CaseKey key{e.header.author, (*record)["id"].get<std::string>()};
  std::string idTerm = kIdTerm + caseKeyText(key);
  forgetSpellings(idTerm);
  Xapian::Document doc = caseDocument(key, *record, e.header.timestamp);
  for (auto t = doc.termlist_begin(); t != doc.termlist_end(); ++t) {
    if ((*t).starts_with(kWord)) db_.add_spelling((*t).substr(1));
  }
  db_.replace_document(idTerm, doc);
  return Status::ok();
}

Status SearchIndex::removeCase(const PublicKey& author, const std::string& id) {
  std::string idTerm = kIdTerm + caseKeyText(CaseKey{author, id});
  forgetSpellings(idTerm);
  db_.delete_document(idTerm);
  return Status::ok();
}

// The spelling list counts, per word, the live cases that hold it: a case
// replaced or removed takes its words' counts with it.
void SearchIndex::forgetSpellings(const std::string& idTerm) {
  for (auto d = db_.postlist_begin(idTerm); d != db_.postlist_end(idTerm); ++d) {
    for (auto t = db_.termlist_begin(*d); t != db_.termlist_end(*d); ++t) {
      if ((*t).starts_with(kWord)) db_.remove_spelling((*t).substr(1));
    }
  }
}

Result<uint64_t> SearchIndex::appliedSeq(const PublicKey& author) const {
  return guarded("reading metadata", [&]() -> Result<uint64_t> {
    std::string v = db_.get_metadata(seqKey(author));
    if (v.empty()) return uint64_t{0};
    // Only digits are ever written here.
    if (v.size() > 19 || v.find_first_not_of("0123456789") != std::string::npos) {
      return damage(seqKey(author) + " holds no seq");
    }
    return uint64_t{std::stoull(v)};
  });
}

Status SearchIndex::commit() {
  return guarded("committing", [&]() -> Status {
    db_.set_metadata(kFormatKey, kFormat);
    db_.commit();
    needsBuild_ = false;
    return Status::ok();
  });
}

Result<Answer> SearchIndex::query(const std::string& text, const SearchFilter& filter) const {
  return guarded("searching", [&]() -> Result<Answer> {
    QueryText q = parseQuery(text);
    auto first = answer(q, filter);
    if (first.isOk()) first->searched = text;
    if (!first.isOk() || first->full > 0) return first;
    // Nothing holds every word: try the index's own spelling of each loose
    // word, and show that answer when it finds full matches.
    std::vector<std::pair<std::string, std::string>> corrections;
    for (QueryPart& p : q.parts) {
      if (p.phrase) continue;
      std::string better = db_.get_spelling_suggestion(p.words[0], kMaxSpellingEdits);
      if (better.empty() || better == p.words[0]) continue;
      corrections.emplace_back(p.words[0], better);
      p = QueryPart{{better}, false, better};
    }
    if (corrections.empty()) return first;
    auto second = answer(q, filter);
    if (!second.isOk() || second->full == 0) return first;
    second->corrections = std::move(corrections);
    second->searched.clear();
    for (const QueryPart& p : q.parts) second->searched += p.shown + " ";
    for (const std::string& w : q.excluded) second->searched += "-" + w + " ";
    return second;
  });
}

// Called with the mutex held.
Result<Answer> SearchIndex::answer(const QueryText& q, const SearchFilter& filter) const {
  Xapian::Query filters = filterQuery(filter, filter.year);
  Xapian::Query excluded = Xapian::Query::MatchNothing;
  for (const std::string& w : q.excluded) excluded |= wordQuery(w);
  auto within = [&](const Xapian::Query& wanted) {
    return Xapian::Query(Xapian::Query::OP_FILTER,
                         Xapian::Query(Xapian::Query::OP_AND_NOT, wanted, excluded), filters);
  };
  std::vector<Xapian::Query> parts;
  for (const QueryPart& p : q.parts) parts.push_back(partQuery(p));
  Xapian::Query all(Xapian::Query::OP_AND, parts.begin(), parts.end());
  if (parts.empty()) all = Xapian::Query::MatchAll;

  Answer out;
  bool ranked = !parts.empty();
  ALM_RETURN_IF_ERROR(
      collect(within(all), ranked, false, filter.offset, filter.limit, out.page, out.full));
  if (parts.size() > 1) {
    // Cases holding some parts but not all, after every full match.
    Xapian::Query some(Xapian::Query::OP_OR, parts.begin(), parts.end());
    size_t skip = filter.offset > out.full ? filter.offset - out.full : 0;
    size_t partial = 0;
    ALM_RETURN_IF_ERROR(collect(within(Xapian::Query(Xapian::Query::OP_AND_NOT, some, all)), true,
                                true, skip, filter.limit - out.page.items.size(), out.page,
                                partial));
    out.page.total = out.full + partial;
  }
  if (out.full == 0) {
    for (size_t i = 0; i < parts.size(); ++i) {
      Xapian::Enquire one(db_);
      // Without the exclusions: the part itself matches nothing.
      one.set_query(Xapian::Query(Xapian::Query::OP_FILTER, parts[i], filters));
      if (one.get_mset(0, 0, 1).get_matches_lower_bound() == 0) {
        out.unmatched.push_back(q.parts[i].shown);
      }
    }
  }
  return out;
}

// Called with the mutex held: appends the hits of `query` from `offset`,
// at most `limit`, to `page`, and sets `total` to how many match in all.
Status SearchIndex::collect(const Xapian::Query& query, bool ranked, bool partial, size_t offset,
                            size_t limit, Page<Hit>& page, size_t& total) const {
  Xapian::Enquire enquire(db_);
  enquire.set_query(query);
  enquire.set_weighting_scheme(Xapian::BM25Weight());
  if (ranked) {
    enquire.set_sort_by_relevance_then_value(kKeySlot, false);
  } else {
    enquire.set_sort_by_value_then_relevance(kUpdatedSlot, true);
  }
  // Checking every document makes the match count exact, not estimated.
  Xapian::MSet mset = enquire.get_mset(static_cast<Xapian::doccount>(offset),
                                       static_cast<Xapian::doccount>(limit), db_.get_doccount());
  total = mset.get_matches_estimated();
  for (auto it = mset.begin(); it != mset.end(); ++it) {
    auto key = parseCaseKeyText(it.get_document().get_data());
    if (!key) return damage("a document without a case key");
    page.items.push_back({std::move(*key), it.get_weight(), partial});
  }
  page.total = total;
  return Status::ok();
}

Result<std::vector<Similar>> SearchIndex::similar(const std::string& text,
                                                  const std::vector<std::string>& cpvPrefixes,
                                                  size_t limit) const {
  return guarded("matching", [&]() -> Result<std::vector<Similar>> {
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
      if (!key) return damage("a document without a case key");
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
  });
}

std::function<bool(const Word&)> SearchIndex::matcher(const std::string& text) {
  // A word of the text is marked when it would match one of the query's
  // alternatives: the stem and heads of the word, and its folded stems.
  std::vector<std::string> wanted;
  for (const QueryPart& p : parseQuery(text).parts) {
    for (const std::string& w : p.words) {
      for (const Alternative& a : alternatives(w)) wanted.push_back(a.term);
    }
  }
  return [wanted](const Word& w) {
    std::vector<std::string> held = wordTerms(w.lower);
    return std::any_of(held.begin(), held.end(), [&](const std::string& t) {
      return std::find(wanted.begin(), wanted.end(), t) != wanted.end();
    });
  };
}

Result<size_t> SearchIndex::documents() const {
  return guarded("counting", [&]() -> Result<size_t> { return size_t{db_.get_doccount()}; });
}

}  // namespace allmenning::search
