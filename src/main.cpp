// studybot: the server and its command-line tools. This file parses the command line, builds the
// Config and hands over to the Application (the composition root) or to a one-shot command.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>

#include <CLI/CLI.hpp>

#include "app/application.h"
#include "core/config.h"
#include "core/log.h"
#include "storage/backup.h"
#include "storage/migrations.h"

namespace {

using namespace studybot;

struct CommonFlags {
  std::string config_file;
  std::vector<std::string> sets;
  std::string host;
  int port = -1;
  std::string data_dir;
  std::string database_url;
  std::string log_level;
};

Result<Config> BuildConfig(const CommonFlags& f) {
  ConfigSources sources;
  sources.toml_file = f.config_file;
  sources.environment = StudybotEnvironment();
  for (const auto& s : f.sets) {
    auto eq = s.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Error::InvalidArgument("--set expects key=value, got '" + s + "'");
    }
    sources.flags.emplace_back(s.substr(0, eq), s.substr(eq + 1));
  }
  if (!f.host.empty()) sources.flags.emplace_back("http.host", f.host);
  if (f.port >= 0) sources.flags.emplace_back("http.port", std::to_string(f.port));
  if (!f.data_dir.empty()) sources.flags.emplace_back("data_dir", f.data_dir);
  if (!f.database_url.empty()) sources.flags.emplace_back("database.url", f.database_url);
  if (!f.log_level.empty()) sources.flags.emplace_back("log.level", f.log_level);
  return LoadConfig(sources);
}

int Fail(const std::string& message) {
  std::cerr << "studybot: " << message << "\n";
  return 2;
}

int Serve(const Config& config) {
  auto t0 = std::chrono::steady_clock::now();
  Logger logger(Logger::Options{ParseLogLevel(config.log.level)});
  auto app = app::Application::Create(config, logger);
  if (!app.ok()) {
    logger.Error("start-up failed", {{"error", app.error().message}});
    logger.Flush();
    return Fail(app.error().message);
  }
  auto us =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0);
  logger.Info("listening", {{"address", config.http.host},
                            {"port", (*app)->port()},
                            {"database", RedactUrl(config.EffectiveDatabaseUrl())},
                            {"startup_us", static_cast<int64_t>(us.count())}});
  (*app)->RunUntilSignal();
  app.value().reset();
  logger.Info("stopped");
  logger.Flush();
  return 0;
}

int Migrate(const Config& config, bool status_only) {
  auto db = storage::Database::Open(app::DatabaseOptionsFrom(config));
  if (!db.ok()) return Fail(db.error().message);
  storage::Migrator migrator(**db);
  if (status_only) {
    auto st = migrator.GetStatus();
    if (!st.ok()) return Fail(st.error().message);
    std::cout << "database: " << RedactUrl(config.EffectiveDatabaseUrl()) << "\n";
    for (const auto& m : st->applied) {
      std::cout << "applied  " << m.version << "  " << m.name << "  " << m.applied_at << "\n";
    }
    for (const auto& m : st->pending)
      std::cout << "pending  " << m.version << "  " << m.name << "\n";
    return 0;
  }
  auto applied = migrator.Migrate();
  if (!applied.ok()) return Fail(applied.error().message);
  for (int v : *applied)
    std::cout << "applied  " << v << "\n";
  std::cout << (applied->empty() ? "up to date\n" : "done\n");
  return 0;
}

int ConfigCheck(const Config& config) {
  for (const auto& [k, v] : DescribeConfig(config)) {
    std::cout << k << " = " << v << "\n";
  }
  std::cout << "# configuration is valid\n";
  return 0;
}

// `studybot admin create`: a system admin, with the password read from standard input so it never
// appears in the process list or shell history.
int AdminCreate(const Config& config, const std::string& email, const std::string& name,
                bool password_stdin) {
  if (!password_stdin) return Fail("admin create needs --password-stdin");
  std::string password;
  std::getline(std::cin, password);
  if (!password.empty() && password.back() == '\r') password.pop_back();
  Logger logger(Logger::Options{LogLevel::kWarn, "stderr"});
  Config quiet = config;
  quiet.http.port = 0;
  auto app = app::Application::Create(quiet, logger);
  if (!app.ok()) return Fail(app.error().message);
  auto user = (*app)->auth().CreateAdmin(email, password, name);
  if (!user.ok()) {
    std::string why = user.error().message;
    for (const auto& d : user.error().details)
      why += " (" + d.path + ": " + d.reason + ")";
    return Fail(why);
  }
  std::cout << "created system admin " << user->email << " (" << user->id << ")\n";
  return 0;
}

// `studybot keys rotate`: re-seals every stored secret under the current encryption key (the
// first of STUDYBOT_ENCRYPTION_KEY); older keys must still be listed after it until this ran.
int KeysRotate(const Config& config) {
  Logger logger(Logger::Options{LogLevel::kWarn, "stderr"});
  Config quiet = config;
  quiet.http.port = 0;
  quiet.smtp.url.clear();  // no mail is sent, and the stored SMTP password is rotated, not used
  auto app = app::Application::Create(quiet, logger);
  if (!app.ok()) return Fail(app.error().message);
  auto n = (*app)->secrets().RotateAll();
  if (!n.ok()) return Fail(n.error().message);
  auto hooks = (*app)->webhooks().RotateAll();
  if (!hooks.ok()) return Fail(hooks.error().message);
  auto system = (*app)->system_secrets().RotateAll();
  if (!system.ok()) return Fail(system.error().message);
  std::cout << "re-sealed " << *n << " chatbot secret(s), " << *hooks << " webhook secret(s) and "
            << *system << " system secret(s) under the current key\n";
  return 0;
}

// `studybot secrets seal --name smtp.password`: prints the secret read from standard input sealed
// under the current encryption key, to put in a config file or environment instead of the
// plain text.
int SecretsSeal(const Config& config, const std::string& name) {
  if (name != "smtp.password") return Fail("secrets seal knows --name smtp.password");
  std::string value;
  std::getline(std::cin, value);
  if (!value.empty() && value.back() == '\r') value.pop_back();
  if (value.empty()) return Fail("nothing to seal on standard input");
  auto box = app::SecretBoxFrom(config);
  if (!box.ok()) return Fail(box.error().message);
  auto sealed = box->Seal(value, app::kSealedSmtpPassword);
  if (!sealed.ok()) return Fail(sealed.error().message);
  std::cout << *sealed << "\n";
  return 0;
}

// `studybot secrets set --name smtp.password`: stores the secret read from standard input in the
// database, sealed under the current encryption key (the server opens it at start).
int SecretsSet(const Config& config, const std::string& name) {
  std::string value;
  std::getline(std::cin, value);
  if (!value.empty() && value.back() == '\r') value.pop_back();
  if (value.empty()) return Fail("nothing to store on standard input");
  Logger logger(Logger::Options{LogLevel::kWarn, "stderr"});
  Config quiet = config;
  quiet.http.port = 0;
  quiet.smtp.url.clear();  // so that a stored password that no longer opens can be replaced
  auto app = app::Application::Create(quiet, logger);
  if (!app.ok()) return Fail(app.error().message);
  auto st = (*app)->system_secrets().Set(name, value);
  if (!st.ok()) return Fail(st.error().message);
  std::cout << "stored " << name << " sealed in the database\n";
  return 0;
}

int Backup(const Config& config, const std::string& to) {
  auto url = config.EffectiveDatabaseUrl();
  auto st = storage::BackupDatabase(url, to);
  if (!st.ok()) return Fail(st.error().message);
  std::cout << "backup written to " << to << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"Studybot: answers a website's visitors from that website's own content."};
  cli.require_subcommand(1);
  cli.fallthrough();
  CommonFlags flags;
  cli.add_option("--config", flags.config_file, "TOML configuration file")
      ->check(CLI::ExistingFile);
  cli.add_option("--set", flags.sets, "Override a setting: --set http.port=9090 (repeatable)");
  cli.add_option("--host", flags.host, "Shortcut for --set http.host=...");
  cli.add_option("--port", flags.port, "Shortcut for --set http.port=...");
  cli.add_option("--data-dir", flags.data_dir, "Shortcut for --set data_dir=...");
  cli.add_option("--database-url", flags.database_url, "Shortcut for --set database.url=...");
  cli.add_option("--log-level", flags.log_level, "Shortcut for --set log.level=...");

  auto* serve = cli.add_subcommand("serve", "Run the HTTP server");
  bool migrate_status = false;
  auto* migrate = cli.add_subcommand("migrate", "Apply pending database migrations");
  migrate->add_flag("--status", migrate_status, "List applied and pending migrations only");
  auto* config_cmd = cli.add_subcommand("config", "Configuration tools");
  config_cmd->require_subcommand(1);
  auto* config_check =
      config_cmd->add_subcommand("check", "Validate and print the effective configuration");
  std::string backup_to;
  auto* backup = cli.add_subcommand("backup", "Copy the SQLite database while the server runs");
  backup->add_option("--to", backup_to, "Destination file")->required();

  auto* admin = cli.add_subcommand("admin", "Manage admin users");
  admin->require_subcommand(1);
  std::string admin_email, admin_name;
  bool password_stdin = false;
  auto* admin_create = admin->add_subcommand("create", "Create a system admin");
  admin_create->add_option("--email", admin_email, "E-mail address")->required();
  admin_create->add_option("--name", admin_name, "Display name");
  admin_create->add_flag("--password-stdin", password_stdin,
                         "Read the password from the first line of standard input");

  auto* keys = cli.add_subcommand("keys", "Encryption keys of secrets at rest");
  keys->require_subcommand(1);
  auto* keys_rotate =
      keys->add_subcommand("rotate", "Re-seal every stored secret under the current key");

  auto* secrets = cli.add_subcommand("secrets", "Secrets given in the configuration");
  secrets->require_subcommand(1);
  std::string seal_name;
  auto* secrets_seal = secrets->add_subcommand(
      "seal", "Seal a secret read from standard input (for STUDYBOT_SMTP_PASSWORD)");
  secrets_seal->add_option("--name", seal_name, "Which setting: smtp.password")->required();
  std::string set_name;
  auto* secrets_set = secrets->add_subcommand(
      "set", "Store a secret read from standard input in the database, sealed (smtp.password)");
  secrets_set->add_option("--name", set_name, "Which secret: smtp.password")->required();

  CLI11_PARSE(cli, argc, argv);

  auto config = BuildConfig(flags);
  if (!config.ok()) return Fail(config.error().message);

  if (serve->parsed()) return Serve(*config);
  if (migrate->parsed()) return Migrate(*config, migrate_status);
  if (config_check->parsed()) return ConfigCheck(*config);
  if (backup->parsed()) return Backup(*config, backup_to);
  if (keys_rotate->parsed()) return KeysRotate(*config);
  if (secrets_seal->parsed()) return SecretsSeal(*config, seal_name);
  if (secrets_set->parsed()) return SecretsSet(*config, set_name);
  if (admin_create->parsed()) {
    return AdminCreate(*config, admin_email, admin_name, password_stdin);
  }
  return Fail("unknown command");
}
