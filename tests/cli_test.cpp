// The studybot binary as a user runs it: --help, config check, migrate, backup, serve + SIGTERM.
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "process.h"
#include "test_server.h"

namespace studybot::testing {
namespace {

const std::string kBinary = STUDYBOT_BINARY;

TEST(CliTest, HelpListsTheCommands) {
  auto r = RunProcess({kBinary, "--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (const char* cmd : {"serve", "migrate", "config", "backup"}) {
    EXPECT_NE(r.out.find(cmd), std::string::npos) << cmd << "\n" << r.out;
  }
}

TEST(CliTest, ConfigCheckRedactsSecretsAndNamesBadSettings) {
  auto ok = RunProcess({kBinary, "config", "check"},
                       {{"STUDYBOT_DATABASE_URL", "mysql://app:hunter2-secret@db:3306/sb"}});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.out.find("database.url = mysql://app:***@db:3306/sb"), std::string::npos) << ok.out;
  EXPECT_EQ(ok.out.find("hunter2-secret"), std::string::npos);
  EXPECT_EQ(ok.err.find("hunter2-secret"), std::string::npos);

  auto bad = RunProcess({kBinary, "config", "check"}, {{"STUDYBOT_HTTP_PORT", "99999"}});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("STUDYBOT_HTTP_PORT"), std::string::npos) << bad.err;

  auto flag = RunProcess({kBinary, "config", "check", "--set", "http.port=8181"});
  EXPECT_EQ(flag.exit_code, 0);
  EXPECT_NE(flag.out.find("http.port = 8181"), std::string::npos);
}

TEST(CliTest, MigrateStatusThenMigrateThenBackup) {
  TempDir dir;
  std::map<std::string, std::string> env{{"STUDYBOT_DATA_DIR", dir.path().string()}};
  auto status = RunProcess({kBinary, "migrate", "--status"}, env);
  EXPECT_EQ(status.exit_code, 0) << status.err;
  EXPECT_NE(status.out.find("pending  "), std::string::npos) << status.out;
  auto m = RunProcess({kBinary, "migrate"}, env);
  EXPECT_EQ(m.exit_code, 0) << m.err;
  auto again = RunProcess({kBinary, "migrate"}, env);
  EXPECT_NE(again.out.find("up to date"), std::string::npos) << again.out;
  status = RunProcess({kBinary, "migrate", "--status"}, env);
  EXPECT_NE(status.out.find("applied  "), std::string::npos);
  EXPECT_EQ(status.out.find("pending  "), std::string::npos);

  auto to = (dir.path() / "backup.db").string();
  auto b = RunProcess({kBinary, "backup", "--to", to}, env);
  EXPECT_EQ(b.exit_code, 0) << b.err;
  EXPECT_TRUE(std::filesystem::exists(to));
  // The copy is a working database at the same schema version.
  auto copy = RunProcess({kBinary, "migrate", "--status", "--database-url", "sqlite:" + to});
  EXPECT_EQ(copy.exit_code, 0);
  EXPECT_EQ(copy.out.find("pending  "), std::string::npos) << copy.out;
}

TEST(CliTest, ServeStopsCleanlyOnSigterm) {
  TempDir dir;
  int port = FreePort();
  std::string log = (dir.path() / "out.log").string();
  ChildProcess server({kBinary, "serve", "--port", std::to_string(port)},
                      {{"STUDYBOT_DATA_DIR", dir.path().string()}}, log);
  bool up = false;
  for (int i = 0; i < 500 && !up; ++i) {
    try {
      up = Request(static_cast<uint16_t>(port), boost::beast::http::verb::get, "/ready")
               .result_int() == 200;
    } catch (const std::exception&) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  ASSERT_TRUE(up);
  server.Signal(SIGTERM);
  EXPECT_EQ(server.Wait(), 0);
  std::ifstream in(log);
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_NE(ss.str().find("\"msg\":\"listening\""), std::string::npos) << ss.str();
  EXPECT_NE(ss.str().find("\"msg\":\"stopped\""), std::string::npos) << ss.str();
}

TEST(CliTest, StartupFailureNamesTheProblem) {
  TempDir dir;
  auto r = RunProcess({kBinary, "serve", "--host", "not-an-ip"},
                      {{"STUDYBOT_DATA_DIR", dir.path().string()}});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("http.host"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace studybot::testing
