#include "mariadb_server.h"

#include <fcntl.h>
#include <mysql.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>
#include <vector>

namespace studybot::testutil {
namespace {

namespace fs = std::filesystem;
using std::chrono::steady_clock;

constexpr const char* kUser = "studybot";
// Characters that must be URL-encoded, so the tests exercise decoding.
constexpr const char* kPassword = "p@ss:w/rd%!";
constexpr const char* kPasswordEncoded = "p%40ss%3Aw%2Frd%25!";
constexpr auto kStartTimeout = std::chrono::seconds(30);

std::string FindBinary(const char* name) {
  std::vector<std::string> dirs;
  if (const char* path = getenv("PATH")) {
    std::stringstream ss(path);
    for (std::string d; std::getline(ss, d, ':');)
      dirs.push_back(d);
  }
  dirs.insert(dirs.end(), {"/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"});
  for (const auto& d : dirs) {
    std::string p = d + "/" + name;
    if (access(p.c_str(), X_OK) == 0) return p;
  }
  return {};
}

std::string Tail(const std::string& path, std::size_t bytes = 2000) {
  std::ifstream in(path);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return all.size() > bytes ? all.substr(all.size() - bytes) : all;
}

// fork + exec with stdout/stderr appended to `log`. The child gets SIGTERM if we die first.
pid_t Spawn(const std::vector<std::string>& args, const std::string& log) {
  std::vector<char*> argv;
  for (const auto& a : args)
    argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return -1;
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) {
    // Only async-signal-safe calls between fork and exec.
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(127);
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, STDIN_FILENO);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(fd);
  return pid;
}

Status RunToCompletion(const std::vector<std::string>& args, const std::string& log) {
  pid_t pid = Spawn(args, log);
  if (pid < 0) return Error::Internal("cannot run " + args[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return Error::Unavailable(args[0] + " failed:\n" + Tail(log));
  }
  return OkStatus();
}

uint16_t FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  uint16_t port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

// Builds (once per uid and mariadbd binary) the initialised data directory that servers copy.
Result<std::string> TemplateDir(const std::string& mariadbd) {
  std::string install = FindBinary("mariadb-install-db");
  if (install.empty()) return Error::Unavailable("mariadb-install-db not found");
  struct stat st {};
  if (stat(mariadbd.c_str(), &st) != 0) return Error::Unavailable("cannot stat " + mariadbd);
  std::string dir = "/tmp/studybot-test-mariadb-template-" + std::to_string(getuid()) + "-" +
                    std::to_string(st.st_size) + "-" + std::to_string(st.st_mtime);
  int lock = open((dir + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock < 0) return Error::Unavailable("cannot open " + dir + ".lock");
  flock(lock, LOCK_EX);  // released by close(), also if we crash
  Status built = OkStatus();
  std::error_code ec;
  if (!fs::exists(dir + "/READY", ec)) {
    std::string tmp = dir + ".tmp";
    fs::remove_all(tmp, ec);
    fs::remove_all(dir, ec);
    fs::create_directories(tmp, ec);
    built = RunToCompletion({install, "--no-defaults", "--datadir=" + tmp + "/data", "--user=root",
                             "--auth-root-authentication-method=normal", "--skip-test-db",
                             "--innodb-log-file-size=8M", "--innodb-buffer-pool-size=32M"},
                            tmp + "/install.log");
    if (built.ok()) {
      fs::rename(tmp, dir, ec);
      std::ofstream(dir + "/READY") << "ok\n";
    }
  }
  close(lock);
  if (!built.ok()) return std::move(built).error();
  return dir + "/data";
}

MYSQL* ConnectRoot(const std::string& socket) {
  MYSQL* m = mysql_init(nullptr);
  unsigned timeout = 2;
  mysql_optionsv(m, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
  if (mysql_real_connect(m, "localhost", "root", "", nullptr, 0, socket.c_str(), 0) == nullptr) {
    mysql_close(m);
    return nullptr;
  }
  return m;
}

}  // namespace

Result<std::unique_ptr<MariadbServer>> MariadbServer::Start() {
  std::unique_ptr<MariadbServer> server(new MariadbServer());
  char tmpl[] = "/tmp/studybot-mariadb-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return Error::Internal("mkdtemp failed");
  server->dir_ = tmpl;
  // The port is free when probed but may be taken before mariadbd binds it: retry.
  Status st = OkStatus();
  for (int attempt = 0; attempt < 3; ++attempt) {
    st = server->Launch();
    if (st.ok()) break;
  }
  if (!st.ok()) return std::move(st).error();
  std::string create_user =
      std::string("CREATE USER '") + kUser + "'@'%' IDENTIFIED BY '" + kPassword + "'";
  for (const std::string& sql :
       {create_user, std::string("GRANT ALL PRIVILEGES ON *.* TO '") + kUser + "'@'%'"}) {
    auto r = server->RunAsRoot(sql);
    if (!r.ok()) return std::move(r).error();
  }
  return server;
}

Status MariadbServer::Launch() {
  std::string mariadbd = FindBinary("mariadbd");
  if (mariadbd.empty()) {
    return Error::Unavailable(
        "mariadbd not found: install mariadb-server (or set STUDYBOT_TEST_SKIP_MYSQL=1)");
  }
  auto tmpl = TemplateDir(mariadbd);
  if (!tmpl.ok()) return std::move(tmpl).error();
  std::error_code ec;
  const std::string data = dir_ + "/data";
  fs::remove_all(data, ec);
  fs::copy(tmpl.value(), data, fs::copy_options::recursive, ec);
  if (ec) return Error::Internal("copying the MariaDB template: " + ec.message());
  port_ = FreePort();
  const std::string log = dir_ + "/error.log";
  const std::string socket = dir_ + "/sock";
  pid_ = Spawn(
      {mariadbd, "--no-defaults", "--datadir=" + data, "--user=root", "--socket=" + socket,
       "--port=" + std::to_string(port_), "--bind-address=127.0.0.1", "--skip-name-resolve",
       "--pid-file=" + dir_ + "/pid", "--innodb-log-file-size=8M", "--innodb-buffer-pool-size=32M",
       "--innodb-flush-log-at-trx-commit=2", "--skip-log-bin", "--max-connections=200"},
      log);
  if (pid_ < 0) return Error::Internal("cannot start mariadbd");
  const auto deadline = steady_clock::now() + kStartTimeout;
  while (steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return Error::Unavailable("mariadbd exited during start-up:\n" + Tail(log));
    }
    if (MYSQL* m = ConnectRoot(socket)) {
      version_ = mysql_get_server_info(m);
      mysql_close(m);
      return OkStatus();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
  return Error::Unavailable("mariadbd did not answer within 30 s:\n" + Tail(log));
}

MariadbServer::~MariadbServer() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    int status = 0;
    const auto deadline = steady_clock::now() + std::chrono::seconds(20);
    while (waitpid(pid_, &status, WNOHANG) == 0) {
      if (steady_clock::now() > deadline) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  std::error_code ec;
  if (!dir_.empty()) fs::remove_all(dir_, ec);
}

std::string MariadbServer::UrlFor(std::string_view database) const {
  return std::string("mysql://") + kUser + ":" + kPasswordEncoded +
         "@127.0.0.1:" + std::to_string(port_) + "/" + std::string(database);
}

const char* MariadbServer::PasswordForTest() {
  return kPassword;
}

Status MariadbServer::RunAsRoot(const std::string& sql) {
  MYSQL* m = ConnectRoot(dir_ + "/sock");
  if (m == nullptr) return Error::Unavailable("cannot connect to the test server as root");
  Status st = OkStatus();
  if (mysql_real_query(m, sql.data(), sql.size()) != 0) {
    st = Error::Internal(std::string("root query failed: ") + mysql_error(m));
  } else if (MYSQL_RES* res = mysql_store_result(m)) {
    mysql_free_result(res);
  }
  mysql_close(m);
  return st;
}

Result<std::string> MariadbServer::FreshDatabase(std::string_view database) {
  for (char c : database) {
    if (!isalnum(static_cast<unsigned char>(c)) && c != '_') {
      return Error::InvalidArgument("bad test database name");
    }
  }
  std::string name(database);
  for (const std::string& sql :
       {"DROP DATABASE IF EXISTS " + name,
        "CREATE DATABASE " + name + " CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"}) {
    auto st = RunAsRoot(sql);
    if (!st.ok()) return std::move(st).error();
  }
  return UrlFor(name);
}

Result<MariadbServer*> SharedMariadbServer() {
  // Started lazily so that processes running only SQLite or HTTP tests never start it; destroyed
  // with the other statics at exit.
  static std::mutex mu;
  static std::unique_ptr<MariadbServer> server;
  static std::optional<Error> failure;
  std::lock_guard<std::mutex> lock(mu);
  if (server != nullptr) return server.get();
  if (failure.has_value()) return *failure;
  auto started = MariadbServer::Start();
  if (!started.ok()) {
    failure = started.error();
    return *failure;
  }
  server = std::move(started.value());
  return server.get();
}

bool SkipMysqlTests() {
  const char* v = getenv("STUDYBOT_TEST_SKIP_MYSQL");
  return v != nullptr && std::string_view(v) == "1";
}

}  // namespace studybot::testutil
