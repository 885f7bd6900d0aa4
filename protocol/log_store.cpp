#include "protocol/log_store.h"

namespace allmenning {

std::vector<AuthorHead> withFrozen(std::map<PublicKey, AuthorHead> page,
                                   const std::set<PublicKey>& frozen,
                                   const std::optional<PublicKey>& after, size_t limit,
                                   const LogStore& log) {
  auto it = after ? frozen.upper_bound(*after) : frozen.begin();
  for (; it != frozen.end(); ++it) {
    // A full page ends at its last author; later frozen ones come next page.
    if (page.size() >= limit && *it > page.rbegin()->first) break;
    if (log.accepts(*it)) page.try_emplace(*it, AuthorHead{*it, 0, Hash{}, true});
  }
  std::vector<AuthorHead> out;
  out.reserve(std::min(page.size(), limit));
  for (auto& [author, head] : page) {
    if (out.size() >= limit) break;
    out.push_back(head);
  }
  return out;
}

}  // namespace allmenning
