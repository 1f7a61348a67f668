// Multipart uploads of documents (issue 9): .txt, .md, .html and .pdf files become documents
// ingested like JSON ones (PDF page numbers kept for citations); bad uploads are refused as a
// whole with a clear error and store nothing; uploads may be larger than http.body_limit up to
// http.upload_limit, other bodies may not. On SQLite and on MariaDB.
#include <boost/json/parse.hpp>

#include "ingest/pdf_testing.h"
#include "knowledge_fixture.h"

namespace studybot::testing {
namespace {

constexpr const char* kBoundary = "studybot-test-boundary";

struct FilePart {
  std::string name;  // form field
  std::string filename;
  std::string content_type;
  std::string data;
};

std::string Form(const std::vector<FilePart>& parts) {
  std::string body;
  for (const auto& p : parts) {
    body += std::string("--") + kBoundary + "\r\nContent-Disposition: form-data; name=\"" + p.name +
            "\"";
    if (!p.filename.empty()) body += "; filename=\"" + p.filename + "\"";
    body += "\r\n";
    if (!p.content_type.empty()) body += "Content-Type: " + p.content_type + "\r\n";
    body += "\r\n" + p.data + "\r\n";
  }
  body += std::string("--") + kBoundary + "--\r\n";
  return body;
}

class KnowledgeUploadTest : public KnowledgeFixture {
 protected:
  ApiResponse Send(const std::string& body, const std::string& token) {
    ApiResponse r;
    r.raw = Request(server_->port(), verb::post, Docs(), body,
                    {{"Authorization", "Bearer " + token},
                     {"Content-Type", std::string("multipart/form-data; boundary=") + kBoundary}});
    r.status = r.raw.result_int();
    boost::system::error_code ec;
    auto v = boost::json::parse(r.raw.body(), ec);
    if (!ec) r.json = std::move(v);
    return r;
  }

  int64_t Count(const char* table) {
    auto rows = server_->app().database().Query(std::string("SELECT COUNT(*) FROM ") + table);
    return rows.ok() ? rows->rows[0].GetInt(0) : -1;
  }
};

TEST_P(KnowledgeUploadTest, FilesOfEachFormatBecomeSearchableDocuments) {
  std::string pdf = ingest::MakePdf(
      {{{"Page one is about the orchestra."}, {"The choir rehearses on Thursday evenings."}},
       "Music handbook"});
  auto r = Send(Form({{"file", "notes.txt", "text/plain", "The gym opens at six in the morning."},
                      {"file", "guide.md", "text/markdown", kGuide},
                      {"file", "page.html", "text/html",
                       "<html><head><title>Canteen</title></head><body><main><h1>Canteen</h1>"
                       "<p>Soup is served at noon in the canteen.</p></main></body></html>"},
                      {"file", "music.pdf", "application/pdf", pdf},
                      {"tags", "", "", "campus, handbook"}}),
                root_);
  ASSERT_EQ(r.status, 202u) << r.raw.body();
  const auto& docs = r.at("documents").as_array();
  ASSERT_EQ(docs.size(), 4u);
  EXPECT_EQ(docs[0].at("title"), "notes");
  EXPECT_EQ(docs[3].at("format"), "pdf");
  EXPECT_EQ(docs[1].at("tags").as_array().size(), 2u);
  for (const auto& d : docs) {
    auto settled = WaitSettled(std::string(d.at("id").as_string()));
    EXPECT_EQ(settled.at("status"), "ready") << boost::json::serialize(settled);
  }
  // The index follows the database: wait until it has the last of them.
  ASSERT_TRUE(
      EventuallyFinds("choir rehearsal thursday", std::string(docs[3].at("id").as_string()), true));
  ASSERT_TRUE(
      EventuallyFinds("soup canteen noon", std::string(docs[2].at("id").as_string()), true));
  ASSERT_TRUE(EventuallyFinds("gym opens", std::string(docs[0].at("id").as_string()), true));
  // The PDF's second page is cited as page 2.
  auto hits = Search("choir rehearsal thursday", "keyword");
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0].at("document_id"), docs[3].at("id"));
  EXPECT_EQ(hits[0].at("page"), 2);
  EXPECT_FALSE(Search("soup canteen noon", "keyword").empty());
  EXPECT_FALSE(Search("gym opens", "keyword").empty());

  // One file with its own title and URL.
  auto one = Send(Form({{"file", "a.txt", "", "Exams are held in June."},
                        {"title", "", "", "Exam calendar"},
                        {"url", "", "", "https://school.example.com/exams"}}),
                  root_);
  ASSERT_EQ(one.status, 202u) << one.raw.body();
  EXPECT_EQ(one.at("documents").at(0).at("title"), "Exam calendar");
  EXPECT_EQ(one.at("documents").at(0).at("url"), "https://school.example.com/exams");
}

TEST_P(KnowledgeUploadTest, BadUploadsAreRefusedWholeAndStoreNothing) {
  std::string big(11 * 1024 * 1024, 'a');
  struct Case {
    std::string body;
    unsigned status;
    std::string contains;
  };
  std::vector<Case> cases = {
      {Form({{"file", "a.docx", "", "x"}}), 415, "a.docx"},
      {Form({{"file", "a.txt", "", "fine"}, {"file", "b.exe", "", "x"}}), 415, "b.exe"},
      {Form({{"file", "empty.txt", "", ""}}), 400, "empty"},
      {Form({{"file", "fake.pdf", "application/pdf", "not a pdf at all"}}), 400, "not a PDF"},
      {Form({{"file", "bad.txt", "", std::string("\xff\xfe bad", 6)}}), 400, "UTF-8"},
      {Form({{"title", "", "", "no file"}}), 400, "at least one file"},
      {Form({{"file", "a.txt", "", "x"}, {"colour", "", "", "red"}}), 400, "unknown field"},
      {Form({{"file", "a.txt", "", "x"}, {"file", "b.txt", "", "y"}, {"title", "", "", "T"}}), 400,
       "single file"},
      {Form({{"file", "big.txt", "", big}}), 413, "big.txt"},
      {std::string("--") + kBoundary + "\r\nContent-Disposition: form-data; name=\"file\"; " +
           "filename=\"a.txt\"\r\n\r\ntruncated",
       400, ""},
  };
  for (const auto& c : cases) {
    auto r = Send(c.body, root_);
    EXPECT_EQ(r.status, c.status) << r.raw.body().substr(0, 300);
    EXPECT_NE(r.raw.body().find(c.contains), std::string::npos) << r.raw.body().substr(0, 300);
    EXPECT_TRUE(r.json.is_object() && r.json.as_object().contains("error"));
  }
  EXPECT_EQ(Count("documents"), 0);
  EXPECT_EQ(Count("chunks"), 0);
  // Another chatbot's admin may not upload here.
  std::string mine(api_->Post("/api/chatbots", {{"name", "Mine"}}, root_).at("id").as_string());
  std::string other = api_->SignInBotAdmin(root_, mine);
  EXPECT_EQ(Send(Form({{"file", "a.txt", "", "x"}}), other).status, 403u);
  EXPECT_EQ(Count("documents"), 0);
}

TEST_P(KnowledgeUploadTest, OnlyUploadsMayExceedTheBodyLimit) {
  // 3 MiB: over http.body_limit (1 MiB), under the upload and document limits.
  std::string text;
  while (text.size() < 3 * 1024 * 1024)
    text += "The observatory opens its telescope to students on clear nights. ";
  auto r = Send(Form({{"file", "long.txt", "text/plain", text}}), root_);
  EXPECT_EQ(r.status, 202u) << r.raw.body().substr(0, 300);
  // The same size as JSON is refused before it is read.
  auto json = api_->Post(Docs(), {{"title", "x"}, {"content", text}}, root_);
  EXPECT_EQ(json.status, 413u);
}

INSTANTIATE_TEST_SUITE_P(Engines, KnowledgeUploadTest, ::testing::Values("sqlite", "mariadb"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace studybot::testing
