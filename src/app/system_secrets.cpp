#include "app/system_secrets.h"

namespace studybot::app {
namespace {

using storage::Value;

std::string Place(const std::string& name) {
  return "system:" + name;
}

}  // namespace

Status SystemSecrets::Set(const std::string& name, const std::string& value) {
  if (name != "smtp.password") {
    return Error::InvalidArgument("unknown system secret '" + name + "' (known: smtp.password)");
  }
  auto sealed = box_.Seal(value, Place(name));
  if (!sealed.ok()) return sealed.error();
  std::string now = FormatRfc3339Millis(clock_.Now());
  auto done = db_.InTransaction<bool>([&](storage::Connection& c) -> Result<bool> {
    auto del = c.Execute("DELETE FROM system_secrets WHERE name = ?", {Value(name)});
    if (!del.ok()) return del.error();
    auto ins =
        c.Execute("INSERT INTO system_secrets (name, sealed, hint, updated_at) VALUES (?, ?, ?, ?)",
                  // No part of a password is worth showing: the hint only says it is set.
                  {Value(name), Value(*sealed), Value("set"), Value(now)});
    if (!ins.ok()) return ins.error();
    return true;
  });
  if (!done.ok()) return done.error();
  return OkStatus();
}

Result<std::optional<std::string>> SystemSecrets::Get(const std::string& name) {
  auto rows = db_.Query("SELECT sealed FROM system_secrets WHERE name = ?", {Value(name)});
  if (!rows.ok()) return rows.error();
  if (rows->empty()) return std::optional<std::string>();
  auto plain = box_.Open(rows->rows[0].GetString(0), Place(name));
  if (!plain.ok()) return plain.error();
  return std::optional<std::string>(std::move(plain).value());
}

Result<int> SystemSecrets::RotateAll() {
  auto rows = db_.Query("SELECT name, sealed FROM system_secrets");
  if (!rows.ok()) return rows.error();
  int rotated = 0;
  for (const auto& r : rows->rows) {
    std::string name = r.GetString(0);
    std::string sealed = r.GetString(1);
    auto resealed = box_.Reseal(sealed, Place(name));
    if (!resealed.ok()) {
      return Error::Unavailable("cannot open system secret " + name + ": " +
                                resealed.error().message);
    }
    if (!*resealed) continue;
    auto up = db_.Execute("UPDATE system_secrets SET sealed = ? WHERE name = ? AND sealed = ?",
                          {Value(**resealed), Value(name), Value(sealed)});
    if (!up.ok()) return up.error();
    rotated += static_cast<int>(up->affected_rows);
  }
  return rotated;
}

}  // namespace studybot::app
