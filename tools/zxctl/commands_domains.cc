// Assets ledgers (扶贫项目资产台账), employment matching (就业帮扶) and the
// import of 832-platform orders (消费帮扶).
#include <fstream>
#include <future>
#include <iostream>

#include "CLI/CLI.hpp"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/money/money.h"
#include "tools/zxctl/zxctl.h"
#include "zx/assets/v1/assets.grpc.pb.h"
#include "zx/consumption/v1/consumption.grpc.pb.h"
#include "zx/employment/v1/employment.grpc.pb.h"

namespace zx::zxctl {
namespace {

namespace assets = zx::assets::v1;
namespace emp = zx::employment::v1;
namespace con = zx::consumption::v1;

// ---- Ledgers ----------------------------------------------------------------------

struct LedgerArgs {
  std::string division;
  std::string kind = "master";
  int page_size = 100;
  std::string page_token;
};

int LedgerGet(Session& s, const LedgerArgs& a) {
  auto kind = ParseEnum(assets::LedgerKind_descriptor(), a.kind);
  if (!kind) {
    std::cerr << "zxctl: --kind must be " << EnumChoices(assets::LedgerKind_descriptor()) << "\n";
    return kUsage;
  }
  assets::GetLedgerRequest req;
  req.set_division_code(a.division.empty() ? s.instance().division : a.division);
  req.set_kind(static_cast<assets::LedgerKind>(*kind));
  req.set_page_size(a.page_size);
  req.set_page_token(a.page_token);
  assets::Ledger l;
  auto stub = assets::AssetsService::NewStub(s.Channel("assets"));
  if (int rc = Call(s, "GetLedger", [&](auto* c) { return stub->GetLedger(c, req, &l); })) {
    return rc;
  }
  if (s.format() == Format::kJson) {
    PrintJson(l, std::cout);
    return kOk;
  }
  if (s.format() == Format::kTable) {
    std::cout << "ledger 台账 " << EnumLabel(assets::LedgerKind_descriptor(), l.kind()) << " of "
              << l.division_code() << ": " << l.totals().count() << " assets, "
              << money::FormatYuan(l.totals().value_fen()) << " yuan\n";
    Table totals({"by class 按类别", "count 数量", "value 原值 (yuan)"});
    for (const auto& t : l.totals().by_class()) {
      totals.Add({t.key(), absl::StrCat(t.count()), money::FormatYuan(t.value_fen())});
    }
    totals.Print(Format::kTable, std::cout);
    std::cout << "\n";
  }
  Table entries({"asset 资产", "name 名称", "class 类别", "state 状态", "value 原值 (yuan)",
                 "owner 所有权", "ledger 台账区划", "project 项目"});
  for (const auto& e : l.entries()) {
    entries.Add(
        {e.asset_id(), e.name(), EnumLabel(assets::AssetClass_descriptor(), e.asset_class()),
         EnumLabel(assets::AssetState_descriptor(), e.state()), money::FormatYuan(e.value_fen()),
         absl::StrCat(EnumLabel(assets::OwnerLevel_descriptor(), e.owner_level()), " ",
                      e.owner_id()),
         e.ledger_division_code(), e.project_id()});
  }
  entries.Print(s.format(), std::cout);
  if (!l.next_page_token().empty())
    std::cerr << "more: --page-token " << l.next_page_token() << "\n";
  return kOk;
}

int LedgerReconcile(Session& s, const std::string& division) {
  assets::ReconcileRequest req;
  req.set_division_code(division.empty() ? s.instance().division : division);
  assets::Reconciliation r;
  auto stub = assets::AssetsService::NewStub(s.Channel("assets"));
  if (int rc = Call(s, "Reconcile", [&](auto* c) { return stub->Reconcile(c, req, &r); })) {
    return rc;
  }
  if (s.format() == Format::kJson) {
    PrintJson(r, std::cout);
    return r.balanced() ? kOk : kCheckFailed;
  }
  if (s.format() == Format::kTable) {
    std::cout << (r.balanced() ? "账账相符 balanced" : "账账不符 NOT balanced") << ": master "
              << r.master_count() << " assets " << money::FormatYuan(r.master_value_fen())
              << " yuan; sub-ledgers " << money::FormatYuan(r.subledger_value_fen()) << " yuan\n";
    Table subs({"sub-ledger 分账", "count 数量", "value 原值 (yuan)"});
    for (const auto& t : r.subledgers()) {
      subs.Add({EnumLabel(assets::LedgerKind_descriptor(), t.kind()), absl::StrCat(t.count()),
                money::FormatYuan(t.value_fen())});
    }
    subs.Print(Format::kTable, std::cout);
    if (!r.differences().empty()) std::cout << "\n";
  }
  Table diffs({"asset 资产", "difference 差异", "ledger 分账", "master 总账", "sub-ledger 分账值",
               "description 说明"});
  for (const auto& d : r.differences()) {
    diffs.Add({d.asset_id(), EnumLabel(assets::DifferenceKind_descriptor(), d.kind()),
               EnumLabel(assets::LedgerKind_descriptor(), d.ledger_kind()),
               money::FormatYuan(d.master_value_fen()), money::FormatYuan(d.ledger_value_fen()),
               d.description()});
  }
  if (s.format() == Format::kCsv || !diffs.empty()) diffs.Print(s.format(), std::cout);
  return r.balanced() ? kOk : kCheckFailed;
}

// ---- Matching -------------------------------------------------------------------------

void PrintRun(Session& s, const emp::MatchingRun& r) {
  if (s.format() == Format::kJson) {
    PrintJson(r, std::cout);
    return;
  }
  if (s.format() == Format::kTable) {
    std::cout << "matching run 匹配 " << r.run_id() << " of " << r.division_code() << ": "
              << r.workers_considered() << " workers, " << r.slots_considered() << " slots; "
              << "households covered 一户一就业 " << r.households_covered_before() << " → "
              << r.households_covered_after() << " of " << r.households_total() << " ("
              << r.solve_seconds() << " s)\n";
  }
  Table t(
      {"placement 岗位安置", "worker 劳动力", "household 户", "job 岗位", "cost", "reasons 理由"});
  for (const auto& p : r.proposals()) {
    std::vector<std::string> reasons;
    for (const auto& why : p.reasons()) reasons.push_back(why.rule());
    t.Add({p.placement_id(), p.worker_id(), p.household_id(), p.job_id(), absl::StrCat(p.cost()),
           absl::StrJoin(reasons, " ")});
  }
  t.Print(s.format(), std::cout);
}

struct MatchingArgs {
  std::string division;
  int max_proposals = 0;
  bool exclude_partner_jobs = false;
  std::string request_id;
};

int MatchingRun(Session& s, const MatchingArgs& a) {
  emp::RunMatchingRequest req;
  req.set_request_id(a.request_id.empty() ? NewRequestId() : a.request_id);
  req.set_division_code(a.division.empty() ? s.instance().division : a.division);
  req.mutable_options()->set_max_proposals(a.max_proposals);
  req.mutable_options()->set_exclude_partner_jobs(a.exclude_partner_jobs);
  auto stub = emp::EmploymentService::NewStub(s.Channel("employment"));
  emp::MatchingRun r;
  auto ctx = s.Context("");
  // One call that solves the whole division: an elapsed-time bar meanwhile.
  auto call = std::async(std::launch::async, [&] { return stub->RunMatching(ctx.get(), req, &r); });
  Progress progress("matching 匹配 (seconds)", 0);
  int waited = 0;
  while (call.wait_for(std::chrono::seconds(1)) != std::future_status::ready) {
    progress.Update(++waited);
  }
  progress.Finish();
  if (auto st = call.get(); !st.ok()) return Fail(st, "RunMatching");
  PrintRun(s, r);
  return kOk;
}

int MatchingShow(Session& s, const std::string& run_id) {
  emp::GetMatchingRunRequest req;
  req.set_run_id(run_id);
  emp::MatchingRun r;
  auto stub = emp::EmploymentService::NewStub(s.Channel("employment"));
  if (int rc =
          Call(s, "GetMatchingRun", [&](auto* c) { return stub->GetMatchingRun(c, req, &r); })) {
    return rc;
  }
  PrintRun(s, r);
  return kOk;
}

// ---- 832-platform order import -----------------------------------------------------

struct ImportArgs {
  std::string file;
  std::string batch_id;
  int chunk = 1000;
};

// CSV with a header: platform_order_no,buyer_id,product_id,quantity,
// unit_price_fen,order_date[,status]. Rows are numbered from 1 after the header.
bool ReadRows(const std::string& file, std::vector<con::PlatformOrderRow>& rows) {
  std::ifstream in(file);
  if (!in) {
    std::cerr << "zxctl: cannot read " << file << "\n";
    return false;
  }
  std::string line;
  std::getline(in, line);  // header
  int64_t number = 0;
  while (std::getline(in, line)) {
    if (absl::StripAsciiWhitespace(line).empty()) continue;
    ++number;
    std::vector<std::string> cols = absl::StrSplit(absl::StripSuffix(line, "\r"), ',');
    con::PlatformOrderRow row;
    row.set_row_number(number);
    int64_t quantity = 0, price = 0;
    if (cols.size() < 6 || !absl::SimpleAtoi(cols[3], &quantity) ||
        !absl::SimpleAtoi(cols[4], &price)) {
      // Sent as is: the service rejects the row naming the field.
      cols.resize(std::max<size_t>(cols.size(), 6));
    }
    row.set_platform_order_no(cols[0]);
    row.set_buyer_id(cols[1]);
    row.set_product_id(cols[2]);
    row.set_quantity(quantity);
    row.set_unit_price_fen(price);
    row.set_order_date(cols[5]);
    if (cols.size() > 6 && !cols[6].empty()) {
      auto status = ParseEnum(con::OrderStatus_descriptor(), cols[6]);
      row.set_status(static_cast<con::OrderStatus>(status.value_or(-1)));
    }
    rows.push_back(std::move(row));
  }
  return true;
}

int OrdersImport(Session& s, const ImportArgs& a) {
  std::vector<con::PlatformOrderRow> rows;
  if (!ReadRows(a.file, rows)) return kUsage;
  auto stub = con::ConsumptionService::NewStub(s.Channel("consumption"));
  auto ctx = s.Context("");
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::hours(1));
  auto stream = stub->ImportPlatformOrders(ctx.get());
  const std::string batch = a.batch_id.empty() ? NewRequestId() : a.batch_id;
  Progress progress("importing 导入", static_cast<int64_t>(rows.size()));
  std::vector<con::ImportRowResult> results;
  for (size_t at = 0; at < rows.size(); at += a.chunk) {
    con::ImportPlatformOrdersRequest req;
    req.set_batch_id(batch);
    for (size_t i = at; i < rows.size() && i < at + a.chunk; ++i) *req.add_rows() = rows[i];
    con::ImportPlatformOrdersResponse resp;
    if (!stream->Write(req) || !stream->Read(&resp)) break;
    for (auto& r : *resp.mutable_results()) results.push_back(std::move(r));
    progress.Update(static_cast<int64_t>(results.size()));
  }
  stream->WritesDone();
  const grpc::Status st = stream->Finish();
  progress.Finish();
  if (!st.ok()) return Fail(st, "ImportPlatformOrders");
  int accepted = 0, already = 0, rejected = 0;
  Table table({"row 行", "outcome 结果", "order 订单", "field 字段", "reason 原因"});
  con::ImportPlatformOrdersResponse all;
  for (const auto& r : results) {
    accepted += r.outcome() == con::ROW_OUTCOME_ACCEPTED;
    already += r.outcome() == con::ROW_OUTCOME_ALREADY_IMPORTED;
    rejected += r.outcome() == con::ROW_OUTCOME_REJECTED;
    *all.add_results() = r;
    if (r.outcome() == con::ROW_OUTCOME_REJECTED || s.format() == Format::kCsv) {
      table.Add({absl::StrCat(r.row_number()), EnumLabel(con::RowOutcome_descriptor(), r.outcome()),
                 r.order_id(), r.field(), r.reason()});
    }
  }
  if (s.format() == Format::kJson) {
    PrintJson(all, std::cout);
  } else {
    if (s.format() == Format::kTable) {
      std::cout << rows.size() << " rows: " << accepted << " accepted 已导入, " << already
                << " already imported 重复, " << rejected << " rejected 拒绝\n";
    }
    if (!table.empty()) table.Print(s.format(), std::cout);
  }
  if (results.size() != rows.size()) {
    std::cerr << "zxctl: " << rows.size() - results.size() << " rows got no answer\n";
    return kServerError;
  }
  return rejected > 0 ? kInvalid : kOk;
}

}  // namespace

void AddDomainCommands(CLI::App& app, Session& session, int& exit_code) {
  auto* ledger = app.add_subcommand("ledger", "Asset ledgers (一总四分): get, reconcile");
  ledger->require_subcommand(1);
  {
    auto a = std::make_shared<LedgerArgs>();
    auto* c = ledger->add_subcommand("get", "A ledger with its totals and entries");
    c->add_option("--division", a->division, "Default: the instance's division");
    c->add_option("--kind", a->kind, EnumChoices(assets::LedgerKind_descriptor()));
    c->add_option("--page-size", a->page_size)->check(CLI::Range(1, 1000));
    c->add_option("--page-token", a->page_token);
    c->callback(Run(session, exit_code, [&session, a] { return LedgerGet(session, *a); }));
  }
  {
    auto division = std::make_shared<std::string>();
    auto* c = ledger->add_subcommand("reconcile",
                                     "Master = Σ sub-ledgers (账账相符); exit 1 "
                                     "when it is not");
    c->add_option("--division", *division, "Default: the instance's division");
    c->callback(Run(session, exit_code,
                    [&session, division] { return LedgerReconcile(session, *division); }));
  }

  auto* matching = app.add_subcommand("matching", "Job matching (一户一就业): run, show");
  matching->require_subcommand(1);
  {
    auto a = std::make_shared<MatchingArgs>();
    auto* c = matching->add_subcommand("run", "Solve the assignment of workers to open slots");
    c->add_option("--division", a->division, "Default: the instance's division");
    c->add_option("--max-proposals", a->max_proposals, "At most this many (0: no limit)");
    c->add_flag("--exclude-partner-jobs", a->exclude_partner_jobs, "Only jobs of this region");
    c->add_option("--request-id", a->request_id, "Idempotency key (a retry changes nothing)");
    c->callback(Run(session, exit_code, [&session, a] { return MatchingRun(session, *a); }));
  }
  {
    auto id = std::make_shared<std::string>();
    auto* c = matching->add_subcommand("show", "A recorded matching run");
    c->add_option("run_id", *id)->required();
    c->callback(Run(session, exit_code, [&session, id] { return MatchingShow(session, *id); }));
  }

  auto* orders = app.add_subcommand("orders", "Consumption orders (消费帮扶)");
  orders->require_subcommand(1);
  {
    auto a = std::make_shared<ImportArgs>();
    auto* c = orders->add_subcommand(
        "import",
        "Import an 832-platform export (CSV: platform_order_no,buyer_id,product_id,"
        "quantity,unit_price_fen,order_date[,status]); idempotent per order number");
    c->add_option("file", a->file)->required();
    c->add_option("--batch-id", a->batch_id, "Names the import");
    c->add_option("--chunk", a->chunk, "Rows per message")->check(CLI::Range(1, 5000));
    c->callback(Run(session, exit_code, [&session, a] { return OrdersImport(session, *a); }));
  }
}

}  // namespace zx::zxctl
