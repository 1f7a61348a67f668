#include "chatbots/secret_store.h"

namespace studybot::chatbots {
namespace {

using storage::Value;

// Binds a sealed value to its row: moved elsewhere, it does not open.
std::string Place(const std::string& chatbot_id, const std::string& name) {
  return "chatbot:" + chatbot_id + ":" + name;
}

}  // namespace

Status SecretStore::Set(const std::string& chatbot_id, const std::string& name,
                        const std::string& value) {
  auto sealed = box_.Seal(value, Place(chatbot_id, name));
  if (!sealed.ok()) return sealed.error();
  std::string now = FormatRfc3339Millis(clock_.Now());
  auto done = db_.InTransaction<bool>([&](storage::Connection& c) -> Result<bool> {
    auto del = c.Execute("DELETE FROM chatbot_secrets WHERE chatbot_id = ? AND name = ?",
                         {Value(chatbot_id), Value(name)});
    if (!del.ok()) return del.error();
    auto ins = c.Execute(
        "INSERT INTO chatbot_secrets (chatbot_id, name, sealed, hint, updated_at) VALUES (?, ?, "
        "?, ?, ?)",
        {Value(chatbot_id), Value(name), Value(*sealed), Value(MaskSecret(value)), Value(now)});
    if (!ins.ok()) return ins.error();
    return true;
  });
  if (!done.ok()) return done.error();
  return OkStatus();
}

Status SecretStore::Remove(const std::string& chatbot_id, const std::string& name) {
  auto r = db_.Execute("DELETE FROM chatbot_secrets WHERE chatbot_id = ? AND name = ?",
                       {Value(chatbot_id), Value(name)});
  if (!r.ok()) return r.error();
  return OkStatus();
}

Result<std::vector<SecretInfo>> SecretStore::List(const std::string& chatbot_id) {
  auto rows = db_.Query(
      "SELECT name, hint, updated_at FROM chatbot_secrets WHERE chatbot_id = ? ORDER BY name",
      {Value(chatbot_id)});
  if (!rows.ok()) return rows.error();
  std::vector<SecretInfo> out;
  for (const auto& r : rows->rows)
    out.push_back({r.GetString(0), r.GetString(1), r.GetString(2)});
  return out;
}

Result<std::optional<std::string>> SecretStore::Get(const std::string& chatbot_id,
                                                    const std::string& name) {
  auto rows = db_.Query("SELECT sealed FROM chatbot_secrets WHERE chatbot_id = ? AND name = ?",
                        {Value(chatbot_id), Value(name)});
  if (!rows.ok()) return rows.error();
  if (rows->empty()) return std::optional<std::string>();
  auto plain = box_.Open(rows->rows[0].GetString(0), Place(chatbot_id, name));
  if (!plain.ok()) return plain.error();
  return std::optional<std::string>(std::move(plain).value());
}

Result<int> SecretStore::RotateAll() {
  auto conn = db_.Acquire();
  if (!conn.ok()) return conn.error();
  auto rows = (*conn)->Query("SELECT chatbot_id, name, sealed FROM chatbot_secrets");
  if (!rows.ok()) return rows.error();
  int rotated = 0;
  for (const auto& r : rows->rows) {
    std::string bot = r.GetString(0);
    std::string name = r.GetString(1);
    std::string sealed = r.GetString(2);
    auto resealed = box_.Reseal(sealed, Place(bot, name));
    if (!resealed.ok()) {
      return Error::Unavailable("cannot open secret " + name + " of chatbot " + bot + ": " +
                                resealed.error().message);
    }
    if (!*resealed) continue;
    // Only replace what we read: a concurrent Set wins.
    auto up = (*conn)->Execute(
        "UPDATE chatbot_secrets SET sealed = ? WHERE chatbot_id = ? AND name = ? AND sealed = ?",
        {Value(**resealed), Value(bot), Value(name), Value(sealed)});
    if (!up.ok()) return up.error();
    rotated += static_cast<int>(up->affected_rows);
  }
  return rotated;
}

}  // namespace studybot::chatbots
