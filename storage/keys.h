// Key and value encodings of the storage layout (see store.h).
#pragma once

#include <string>
#include <string_view>

#include "protocol/bytes.h"

namespace allmenning::keys {

inline std::string author(const PublicKey& a) { return std::string(asChars(a)); }

inline std::string payload(const Hash& entryHash) { return std::string(asChars(entryHash)); }

inline std::string entry(const PublicKey& a, uint64_t seq) {
  std::string k = author(a);
  appendBigEndian64(k, seq);
  return k;
}

inline std::string caseKey(const PublicKey& a, std::string_view id) {
  return author(a) + std::string(id);
}

// Prefix of every versions key of one case; the 0 byte cannot occur in an id.
inline std::string versionsPrefix(const PublicKey& a, std::string_view id) {
  return caseKey(a, id) + '\0';
}

inline std::string version(const PublicKey& a, std::string_view id, uint64_t seq) {
  std::string k = versionsPrefix(a, id);
  appendBigEndian64(k, seq);
  return k;
}

// Prefix of every links key that points at the case (a, id).
inline std::string linksPrefix(const PublicKey& a, std::string_view id) {
  return caseKey(a, id) + '\0';
}

// One reverse reference: the record (sourceAuthor, sourceId) points at the
// case (targetAuthor, targetId) as `relation`. Neither ids nor relations
// hold a 0 byte, so the key splits back unambiguously.
inline std::string link(const PublicKey& targetAuthor, std::string_view targetId,
                        std::string_view relation, const PublicKey& sourceAuthor,
                        std::string_view sourceId) {
  return linksPrefix(targetAuthor, targetId) + std::string(relation) + '\0' +
         caseKey(sourceAuthor, sourceId);
}

inline std::string index(std::string_view value, const PublicKey& a, std::string_view id) {
  return std::string(value) + '\0' + caseKey(a, id);
}

inline std::string vouch(const PublicKey& vouchee, const PublicKey& voucher) {
  return author(vouchee) + author(voucher);
}

inline std::string seqValue(uint64_t seq) {
  std::string v;
  appendBigEndian64(v, seq);
  return v;
}

inline std::string headValue(uint64_t seq, const Hash& hash) {
  std::string v;
  appendBigEndian64(v, seq);
  return v + std::string(asChars(hash));
}

inline std::string caseValue(uint64_t seq, bool retracted, int64_t receivedAt) {
  std::string v;
  appendBigEndian64(v, seq);
  v.push_back(retracted ? 1 : 0);
  appendBigEndian64(v, static_cast<uint64_t>(receivedAt));
  return v;
}

}  // namespace allmenning::keys
