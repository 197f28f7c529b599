// Issue 8, the audit log (criterion 3), with the monitoring service
// in-process over real gRPC on a real PostgreSQL:
//  - state changes (whatever their result), refusals (no token, outside the
//    jurisdiction) and reads of personal data in clear, with the stated
//    purpose, each leave one entry; plain reads leave none;
//  - concurrent writes share append batches and still form one chain;
//  - auditors page and export the log within their jurisdiction;
//  - editing one middle entry, deleting one middle entry and deleting the
//    newest entry by direct SQL (the append-only trigger disabled as the
//    database superuser) are each detected by VerifyAuditChain, which names
//    the first broken entry.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <iostream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/server/server.h"
#include "common/testing/stack.h"
#include "services/monitoring/api/monitoring_service.h"
#include "zx/common/v1/audit.grpc.pb.h"
#include "zx/monitoring/v1/monitoring.grpc.pb.h"

namespace zx::monitoring {
namespace {

namespace cv1 = zx::common::v1;

constexpr char kCounty[] = "dev.653121.county_official.co1";
constexpr char kOtherCounty[] = "dev.653122.county_official.co9";
constexpr char kAuditor[] = "dev.653121.auditor.au1";
constexpr char kVillage[] = "653121101201";

class AuditTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto& stack = zx::testing::Stack::Get();
    db_ = stack.FreshDatabase("audit_it");
    auto config = stack.ServiceConfig("monitoring", db_);
    config.redis_namespace = absl::StrCat(
        "zx:it-audit:", ::testing::UnitTest::GetInstance()->current_test_info()->name());
    auto server = server::Server::Start(MonitoringSpec(), config);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->grpc_port()),
                                       grpc::InsecureChannelCredentials());
    monitoring_ = v1::MonitoringService::NewStub(channel);
    audit_ = cv1::AuditService::NewStub(channel);
  }
  void TearDown() override {
    if (server_) server_->Shutdown(absl::Seconds(1));
  }

  template <typename Stub, typename Method, typename Request, typename Response>
  grpc::Status Call(Stub* stub, Method method, const Request& req, Response* resp,
                    const std::string& token) {
    grpc::ClientContext ctx;
    if (!token.empty()) ctx.AddMetadata("authorization", "Bearer " + token);
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    return (stub->*method)(&ctx, req, resp);
  }

  grpc::Status CreateHousehold(const std::string& request_id, v1::Household* out,
                               const std::string& token = kCounty) {
    v1::CreateHouseholdRequest req;
    req.set_request_id(request_id);
    auto* h = req.mutable_household();
    h->set_village_code(kVillage);
    h->set_category(v1::HOUSEHOLD_CATEGORY_LIFTED);
    h->set_member_count(4);
    return Call(monitoring_.get(), &v1::MonitoringService::Stub::CreateHousehold, req, out, token);
  }

  cv1::VerifyAuditChainResponse Verify(int64_t from = 0, int64_t to = 0) {
    cv1::VerifyAuditChainRequest req;
    req.set_from_seq(from);
    req.set_to_seq(to);
    cv1::VerifyAuditChainResponse resp;
    const auto s =
        Call(audit_.get(), &cv1::AuditService::Stub::VerifyAuditChain, req, &resp, kAuditor);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  std::vector<cv1::AuditEntry> Entries(const std::string& token = kAuditor,
                                       cv1::AuditFilter filter = {}) {
    std::vector<cv1::AuditEntry> all;
    cv1::ListAuditEntriesRequest req;
    *req.mutable_filter() = filter;
    req.set_page_size(3);  // several pages
    while (true) {
      cv1::ListAuditEntriesResponse resp;
      const auto s =
          Call(audit_.get(), &cv1::AuditService::Stub::ListAuditEntries, req, &resp, token);
      EXPECT_TRUE(s.ok()) << s.error_message();
      for (const auto& e : resp.entries()) all.push_back(e);
      if (!s.ok() || resp.next_page_token().empty()) break;
      req.set_page_token(resp.next_page_token());
    }
    return all;
  }

  int64_t Query(const std::string& sql) { return zx::testing::QueryInt(db_, sql); }
  void Exec(const std::string& sql) {
    pqxx::connection conn(db_);
    pqxx::work tx(conn);
    tx.exec(sql);
    tx.commit();
  }
  // As the database superuser: the trigger that keeps the log append-only
  // is switched off around `sql`, as an attacker with that power would.
  void Tamper(const std::string& sql) {
    Exec(absl::StrCat("ALTER TABLE monitoring.audit_log DISABLE TRIGGER audit_log_append_only; ",
                      sql,
                      "; ALTER TABLE monitoring.audit_log ENABLE TRIGGER audit_log_append_only"));
  }

  static void Print(const std::string& what, const cv1::VerifyAuditChainResponse& r) {
    std::cout << "[audit] " << what << ": ok=" << (r.ok() ? "true" : "false")
              << " checked=" << r.entries_checked() << " first_broken_seq=" << r.first_broken_seq()
              << " break=" << cv1::AuditChainBreak_Name(r.break_kind()) << " problem=\""
              << r.problem() << "\" head_seq=" << r.head_seq() << std::endl;
  }

  std::string db_;
  std::unique_ptr<server::Server> server_;
  std::unique_ptr<v1::MonitoringService::Stub> monitoring_;
  std::unique_ptr<cv1::AuditService::Stub> audit_;
};

TEST_F(AuditTest, WritesRefusalsAndPersonalDataReadsAreAuditedPlainReadsAreNot) {
  v1::Household household;
  ASSERT_TRUE(CreateHousehold("req-a1", &household).ok());
  EXPECT_EQ(Query("SELECT count(*) FROM monitoring.audit_log"), 1);

  // A write refused after authorization (a duplicate ID number is
  // ALREADY_EXISTS) is audited with its result.
  v1::AddPersonRequest add;
  add.set_request_id("req-p1");
  auto* p = add.mutable_person();
  p->set_household_id(household.household_id());
  p->set_id_number("11010519491231002X");
  p->set_name("阿依古丽·吐尔逊");
  p->set_relation(v1::RELATION_HEAD);
  p->set_labour_capacity(v1::LABOUR_CAPACITY_FULL);
  p->set_health(v1::HEALTH_STATUS_HEALTHY);
  v1::Person person;
  ASSERT_TRUE(
      Call(monitoring_.get(), &v1::MonitoringService::Stub::AddPerson, add, &person, kCounty).ok());
  add.set_request_id("req-p2");
  EXPECT_EQ(Call(monitoring_.get(), &v1::MonitoringService::Stub::AddPerson, add, &person, kCounty)
                .error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(Query("SELECT count(*) FROM monitoring.audit_log"), 3);

  // Plain reads (no personal data in clear) leave nothing.
  v1::GetHouseholdRequest get;
  get.set_household_id(household.household_id());
  v1::Household fetched;
  ASSERT_TRUE(
      Call(monitoring_.get(), &v1::MonitoringService::Stub::GetHousehold, get, &fetched, kCounty)
          .ok());
  v1::ListPersonsRequest list;
  list.set_household_id(household.household_id());
  v1::ListPersonsResponse masked;
  ASSERT_TRUE(
      Call(monitoring_.get(), &v1::MonitoringService::Stub::ListPersons, list, &masked, kCounty)
          .ok());
  ASSERT_TRUE(masked.persons(0).personal_data_masked());
  EXPECT_EQ(Query("SELECT count(*) FROM monitoring.audit_log"), 3) << "plain reads are not audited";

  // A read of personal data in clear names its purpose.
  list.set_purpose("home verification visit");
  v1::ListPersonsResponse clear;
  ASSERT_TRUE(
      Call(monitoring_.get(), &v1::MonitoringService::Stub::ListPersons, list, &clear, kCounty)
          .ok());
  ASSERT_FALSE(clear.persons(0).personal_data_masked());

  // Refusals: outside the jurisdiction, and no token at all.
  EXPECT_EQ(Call(monitoring_.get(), &v1::MonitoringService::Stub::GetHousehold, get, &fetched,
                 kOtherCounty)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(CreateHousehold("req-a2", &household, "").error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Query("SELECT count(*) FROM monitoring.audit_log"), 6);
  EXPECT_EQ(Query("SELECT count(*) FROM monitoring.households"), 1)
      << "the refused write wrote nothing";

  const auto entries = Entries();
  ASSERT_EQ(entries.size(), 6u);
  for (size_t i = 0; i < entries.size(); ++i) {
    const auto& e = entries[i];
    EXPECT_EQ(e.seq(), static_cast<int64_t>(i + 1));
    EXPECT_EQ(e.hash().size(), 32u);
    std::cout << "[audit] entry " << e.seq() << " kind=" << e.kind() << " action=" << e.action()
              << " method=" << e.method() << " user=" << e.user_id() << " role=" << e.role()
              << " resource=" << e.resource_division() << "/" << e.resource_id() << " purpose=\""
              << e.purpose() << "\" code=" << e.result_code() << " message=\"" << e.result_message()
              << "\"" << std::endl;
  }
  EXPECT_EQ(entries[0].kind(), "write");
  EXPECT_EQ(entries[0].action(), "monitoring.household.create");
  EXPECT_EQ(entries[0].method(), "/zx.monitoring.v1.MonitoringService/CreateHousehold");
  EXPECT_EQ(entries[0].user_id(), "co1");
  EXPECT_EQ(entries[0].role(), "county_official");
  EXPECT_EQ(entries[0].resource_division(), kVillage);
  EXPECT_EQ(entries[0].resource_id(), household.household_id()) << "named by the handler";
  EXPECT_EQ(entries[0].result_code(), 0);
  EXPECT_EQ(entries[1].action(), "monitoring.person.add");
  EXPECT_EQ(entries[2].action(), "monitoring.person.add");
  EXPECT_EQ(entries[2].result_code(), static_cast<int>(grpc::StatusCode::ALREADY_EXISTS));
  EXPECT_EQ(entries[3].kind(), "read");
  EXPECT_TRUE(entries[3].personal_data_read());
  EXPECT_EQ(entries[3].purpose(), "home verification visit");
  EXPECT_EQ(entries[3].resource_id(), household.household_id());
  EXPECT_EQ(entries[3].action(), "monitoring.person.list");
  EXPECT_EQ(entries[4].kind(), "refusal");
  EXPECT_EQ(entries[4].user_id(), "co9");
  EXPECT_EQ(entries[4].action(), "monitoring.household.get");
  EXPECT_EQ(entries[4].result_code(), static_cast<int>(grpc::StatusCode::PERMISSION_DENIED));
  EXPECT_EQ(entries[5].kind(), "refusal");
  EXPECT_EQ(entries[5].user_id(), "");
  EXPECT_EQ(entries[5].method(), "/zx.monitoring.v1.MonitoringService/CreateHousehold");
  EXPECT_EQ(entries[5].result_code(), static_cast<int>(grpc::StatusCode::UNAUTHENTICATED));
  EXPECT_EQ(entries[5].resource_division(), "653121000000") << "no division named: the instance's";
  for (const auto& e : entries) {
    EXPECT_EQ(e.result_message().find("11010519491231002X"), std::string::npos);
    EXPECT_EQ(e.result_message().find("阿依古丽"), std::string::npos);
  }

  const auto verified = Verify();
  Print("intact", verified);
  EXPECT_TRUE(verified.ok()) << verified.problem();
  EXPECT_EQ(verified.entries_checked(), 6);
  EXPECT_EQ(verified.head_seq(), 6);
  EXPECT_EQ(verified.head_hash(), entries.back().hash());

  // Jurisdiction: an auditor of another county sees only what lies in that
  // county (the refusal by co9 concerns kVillage: not theirs); a division
  // outside the caller's is refused — and that refusal is audited.
  EXPECT_TRUE(Entries("dev.653122000000.auditor.a9").empty());
  cv1::AuditFilter only_reads;
  only_reads.set_kind("read");
  EXPECT_EQ(Entries(kAuditor, only_reads).size(), 1u);
  cv1::AuditFilter by_user;
  by_user.set_user_id("co9");
  EXPECT_EQ(Entries(kAuditor, by_user).size(), 1u);
  cv1::ListAuditEntriesRequest outside;
  outside.mutable_filter()->set_division_code("653122");
  cv1::ListAuditEntriesResponse none;
  EXPECT_EQ(Call(audit_.get(), &cv1::AuditService::Stub::ListAuditEntries, outside, &none, kAuditor)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Query("SELECT count(*) FROM monitoring.audit_log WHERE kind = 'refusal' AND "
                  "action = 'audit.entry.list'"),
            1);

  // Export: a CSV line per entry after the header, hashes in hex. The
  // refusal just audited concerns 653122, outside the auditor's county, so
  // it is not among them.
  cv1::ExportAuditEntriesRequest exp;
  cv1::ExportAuditEntriesResponse csv;
  ASSERT_TRUE(
      Call(audit_.get(), &cv1::AuditService::Stub::ExportAuditEntries, exp, &csv, kAuditor).ok());
  EXPECT_EQ(csv.entries(), 6);
  const std::vector<std::string> lines = absl::StrSplit(csv.csv(), "\r\n", absl::SkipEmpty());
  EXPECT_EQ(lines.size(), 7u);
  EXPECT_TRUE(lines[0].starts_with("seq,at,request_id")) << lines[0];
  EXPECT_NE(csv.csv().find("\"home verification visit\""), std::string::npos);
}

TEST_F(AuditTest, ConcurrentWritesShareBatchesAndFormOneChain) {
  constexpr int kThreads = 16, kEach = 8;
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        v1::Household h;
        if (CreateHousehold(absl::StrCat("req-c", t, "-", i), &h).ok()) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), kThreads * kEach);
  EXPECT_EQ(Query("SELECT count(*) FROM monitoring.audit_log"), kThreads * kEach);
  EXPECT_EQ(Query("SELECT last_seq FROM monitoring.audit_head"), kThreads * kEach);
  const auto verified = Verify();
  Print("concurrent", verified);
  EXPECT_TRUE(verified.ok()) << verified.problem();
  EXPECT_EQ(verified.entries_checked(), kThreads * kEach);
}

TEST_F(AuditTest, EditedOrDeletedEntriesAreNamedByVerifyAuditChain) {
  for (int i = 0; i < 8; ++i) {
    v1::Household h;
    ASSERT_TRUE(CreateHousehold(absl::StrCat("req-t", i), &h).ok());
  }
  const int64_t households = Query("SELECT count(*) FROM monitoring.households");
  ASSERT_EQ(Query("SELECT count(*) FROM monitoring.audit_log"), 8);
  ASSERT_TRUE(Verify().ok());

  // The trigger refuses changes while it is on.
  EXPECT_THROW(Exec("UPDATE monitoring.audit_log SET user_id = 'mallory' WHERE seq = 4"),
               std::exception);
  EXPECT_THROW(Exec("DELETE FROM monitoring.audit_log WHERE seq = 4"), std::exception);
  EXPECT_THROW(Exec("DELETE FROM monitoring.audit_head"), std::exception);
  EXPECT_TRUE(Verify().ok());

  // (a) One middle entry edited.
  Tamper("UPDATE monitoring.audit_log SET user_id = 'mallory' WHERE seq = 4");
  auto edited = Verify();
  Print("edited seq 4", edited);
  EXPECT_FALSE(edited.ok());
  EXPECT_EQ(edited.first_broken_seq(), 4);
  EXPECT_EQ(edited.break_kind(), cv1::AUDIT_CHAIN_BREAK_EDITED);
  EXPECT_EQ(edited.entries_checked(), 3);
  auto ranged = Verify(5, 8);
  EXPECT_FALSE(ranged.ok()) << "a range starting after it still checks the link into it";
  EXPECT_EQ(ranged.first_broken_seq(), 4);
  EXPECT_TRUE(Verify(1, 3).ok()) << "the entries before it are intact";
  Tamper("UPDATE monitoring.audit_log SET user_id = 'co1' WHERE seq = 4");
  ASSERT_TRUE(Verify().ok()) << "restored";

  // (b) One middle entry deleted.
  Exec("CREATE TABLE public.saved AS SELECT * FROM monitoring.audit_log WHERE seq = 5");
  Tamper("DELETE FROM monitoring.audit_log WHERE seq = 5");
  EXPECT_EQ(Query("SELECT count(*) FROM monitoring.audit_log"), 7);
  auto deleted = Verify();
  Print("deleted seq 5", deleted);
  EXPECT_FALSE(deleted.ok());
  EXPECT_EQ(deleted.first_broken_seq(), 5);
  EXPECT_EQ(deleted.break_kind(), cv1::AUDIT_CHAIN_BREAK_MISSING);
  Exec("INSERT INTO monitoring.audit_log SELECT * FROM public.saved; DROP TABLE public.saved");
  ASSERT_TRUE(Verify().ok()) << "restored";

  // (c) The newest entry deleted: the head still names it.
  Tamper("DELETE FROM monitoring.audit_log WHERE seq = 8");
  auto newest = Verify();
  Print("deleted newest seq 8", newest);
  EXPECT_FALSE(newest.ok());
  EXPECT_EQ(newest.first_broken_seq(), 8);
  EXPECT_EQ(newest.break_kind(), cv1::AUDIT_CHAIN_BREAK_MISSING);
  EXPECT_EQ(newest.entries_checked(), 7);

  // (d) ... and the head moved back as well: the chain is consistent again,
  // which only the head hash an auditor recorded earlier reveals.
  Tamper(
      "UPDATE monitoring.audit_head SET last_seq = 7, last_hash = "
      "(SELECT hash FROM monitoring.audit_log WHERE seq = 7)");
  auto rewound = Verify();
  Print("newest deleted and head rewound", rewound);
  EXPECT_TRUE(rewound.ok());
  EXPECT_EQ(rewound.head_seq(), 7) << "compare with the head recorded before: 8";

  // New entries continue from the (rewound) head; the business data never moved.
  v1::Household h;
  ASSERT_TRUE(CreateHousehold("req-after", &h).ok());
  EXPECT_TRUE(Verify().ok());
  EXPECT_EQ(Query("SELECT count(*) FROM monitoring.households"), households + 1);
}

}  // namespace
}  // namespace zx::monitoring
