#include "node/own_key.h"

#include "node/intent.h"

namespace allmenning {
namespace {

Status foreignKey(const HomePaths& paths, const PublicKey& key, const std::string& why) {
  return Status::refused("the key file " + paths.key() + " holds key " + toHex(key) +
                         ", which is not this node's key: " + why +
                         ". Refusing to open the node with it; nothing was written. Put this "
                         "node's own key file back, or run `allmenning init` in a new home for "
                         "this key");
}

// A database made before the author key was recorded: the evidence that
// `key` is its own, from the most direct to the least. See
// docs/architecture.md for why these and no others.
Status agreesWithLegacyState(const HomePaths& paths, const Store& store, const PublicKey& key) {
  // The intent holds the last batch this home signed. A damaged one proves
  // nothing either way (author() refuses to sign past it later).
  auto intent = readIntent(paths.intent());
  if (intent.isOk() && !intent->empty() && intent->front().header.author != key) {
    return foreignKey(paths, key,
                      paths.intent() +
                          " holds the last entries this node signed, and they are "
                          "signed by key " +
                          toHex(intent->front().header.author));
  }
  auto heads = store.heads();
  if (!heads.isOk()) return heads.status();
  if (heads->empty()) return Status::ok();  // nothing signed yet, so nothing to protect
  auto own = store.head(key);
  if (!own.isOk()) return own.status();
  if (own->seq == 0) {
    return foreignKey(paths, key, "the database " + paths.db() + " holds no entry of this key");
  }
  auto trusted = store.trusted();
  if (!trusted.isOk()) return trusted.status();
  // A database from before trust existed trusts no key at all.
  if (!trusted->empty() && !store.trusts(key)) {
    return foreignKey(paths, key, "the database " + paths.db() + " does not trust this key");
  }
  return Status::ok();
}

}  // namespace

Status claimOwnKey(const HomePaths& paths, Store& store, const PublicKey& key) {
  auto recorded = store.authorKey();
  if (!recorded.isOk()) return recorded.status();
  if (*recorded) {
    if (**recorded == key) return Status::ok();
    return foreignKey(paths, key,
                      "the database " + paths.db() + " was created by key " + toHex(**recorded));
  }
  ALM_RETURN_IF_ERROR(agreesWithLegacyState(paths, store, key));
  return store.recordAuthorKey(key);
}

}  // namespace allmenning
