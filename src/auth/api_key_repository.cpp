#include "auth/api_key_repository.h"

namespace studybot::auth {
namespace {

using storage::Value;

constexpr const char* kColumns =
    "id, chatbot_id, kind, name, prefix, key_hash, last_used_at, expires_at, revoked_at, "
    "created_by, created_at";

ApiKey FromRow(const storage::Row& r) {
  return {r.GetString(0),         r.GetString(1), r.GetString(2),         r.GetString(3),
          r.GetString(4),         r.GetString(5), r.GetOptionalString(6), r.GetOptionalString(7),
          r.GetOptionalString(8), r.GetString(9), r.GetString(10)};
}

Value Opt(const std::optional<std::string>& v) {
  return v ? Value(*v) : Value();
}

}  // namespace

Status ApiKeyRepository::Insert(const ApiKey& k) {
  auto r =
      db_.Execute(std::string("INSERT INTO api_keys (") + kColumns +
                      ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                  {Value(k.id), Value(k.chatbot_id), Value(k.kind), Value(k.name), Value(k.prefix),
                   Value(k.key_hash), Opt(k.last_used_at), Opt(k.expires_at), Opt(k.revoked_at),
                   k.created_by.empty() ? Value() : Value(k.created_by), Value(k.created_at)});
  if (!r.ok()) return r.error();
  return OkStatus();
}

Result<std::optional<ApiKey>> ApiKeyRepository::FindByHash(const std::string& hash) {
  auto rows = db_.Query(std::string("SELECT ") + kColumns + " FROM api_keys WHERE key_hash = ?",
                        {Value(hash)});
  if (!rows.ok()) return rows.error();
  if (rows->empty()) return std::optional<ApiKey>();
  return std::optional<ApiKey>(FromRow(rows->rows[0]));
}

Result<std::vector<ApiKey>> ApiKeyRepository::ListForChatbot(const std::string& chatbot_id) {
  auto rows = db_.Query(std::string("SELECT ") + kColumns +
                            " FROM api_keys WHERE chatbot_id = ? ORDER BY created_at DESC, "
                            "id LIMIT 500",
                        {Value(chatbot_id)});
  if (!rows.ok()) return rows.error();
  std::vector<ApiKey> out;
  for (const auto& r : rows->rows)
    out.push_back(FromRow(r));
  return out;
}

Status ApiKeyRepository::Revoke(const std::string& chatbot_id, const std::string& id,
                                const std::string& at) {
  auto r = db_.Execute(
      "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND chatbot_id = ? AND revoked_at IS NULL",
      {Value(at), Value(id), Value(chatbot_id)});
  if (!r.ok()) return r.error();
  if (r->affected_rows == 0) return Error::NotFound("no such active API key");
  return OkStatus();
}

Status ApiKeyRepository::TouchLastUsed(const std::string& id, const std::string& at) {
  auto r = db_.Execute("UPDATE api_keys SET last_used_at = ? WHERE id = ?", {Value(at), Value(id)});
  if (!r.ok()) return r.error();
  return OkStatus();
}

}  // namespace studybot::auth
