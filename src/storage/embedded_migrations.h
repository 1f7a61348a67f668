// The SQL migrations compiled into the binary (see cmake/embed_migrations.cmake).
#pragma once

#include <string_view>
#include <vector>

namespace studybot::storage {

struct EmbeddedMigration {
  std::string_view dialect;  // "sqlite" or "mysql"
  int version;               // from the NNNN prefix of the file name
  std::string_view name;     // file name without extension
  std::string_view sql;
};

// Sorted by dialect then version.
const std::vector<EmbeddedMigration>& EmbeddedMigrations();

}  // namespace studybot::storage
