#include "services/consumption/api/consumption_service.h"

#include <map>
#include <optional>
#include <set>
#include <span>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/events/events.h"
#include "common/idempotency/idempotency.h"
#include "common/pg/pg.h"
#include "common/server/batch_stream.h"
#include "services/consumption/domain/consumption.h"
#include "services/consumption/store/consumption_store.h"
#include "zx/consumption/v1/consumption.grpc.pb.h"
#include "zx/monitoring/v1/monitoring.pb.h"

namespace zx::migrations {
const std::vector<MigrationFile>& ConsumptionMigrations();
}

namespace zx::consumption {
namespace {

using Reactor = grpc::ServerUnaryReactor;
using Ctx = grpc::CallbackServerContext;
using server::DateOrToday;
using server::NewId;
using server::Stamp;
using server::StoredDivision;

constexpr int kDefaultPageSize = 100;
constexpr int kMaxPageSize = 1000;
constexpr int kMaxImportRowsPerMessage = 5000;

bool Blank(const std::string& s) { return absl::StripAsciiWhitespace(s).empty(); }

// The policy in force: the nearest published figures, the canteen share
// only ever tightened down the chain (ResolvePolicy).
Policy PolicyFor(pqxx::transaction_base& tx, const division::Code& division) {
  return ResolvePolicy(PoliciesAlong(tx, division));
}

absl::Status CheckYear(int year) {
  if (year < 2000 || year > 2100) return errors::InvalidField("year", "must be 2000..2100");
  return absl::OkStatus();
}

// The non-zero parts of one line, as settlement or a refund computed them:
// `amounts[i]` is what `shares[i]` receives (negative for a refund).
struct LineParts {
  std::string line_id;
  std::string refund_id;  // set for a refund
  std::vector<LineShare> shares;
  std::vector<money::Fen> amounts;
};

// Records each non-zero part as an append-only attribution row and announces
// it as one consumption.income_attributed event, in the caller's transaction
// (outbox: both commit or neither).
absl::Status RecordAttributions(pqxx::transaction_base& tx, const server::Runtime& rt,
                                const std::vector<LineParts>& lines, absl::CivilDay day,
                                const std::string& cause) {
  const std::string month = FormatMonth(absl::CivilMonth(day));
  std::vector<v1::IncomeAttributed> payloads;
  std::vector<AttributionRow> rows;
  for (const LineParts& line : lines) {
    for (size_t i = 0; i < line.shares.size(); ++i) {
      if (line.amounts[i] == 0) continue;
      const LineShare& s = line.shares[i];
      v1::IncomeAttributed p;
      p.set_order_line_id(line.refund_id.empty() ? line.line_id : line.refund_id);
      if (!line.refund_id.empty()) p.set_refunded_order_line_id(line.line_id);
      p.set_binding_id(s.share.binding_id);
      p.set_binding_kind(KindOf(s.share.rule));
      p.set_household_id(s.household_id);
      p.set_village_code(s.village_code);
      p.set_month(month);
      p.set_amount_fen(line.amounts[i]);
      payloads.push_back(std::move(p));
      AttributionRow row{.refund_id = line.refund_id};
      row.attribution.set_attribution_id(NewId("at"));
      row.attribution.set_line_id(line.line_id);
      row.attribution.set_binding_id(s.share.binding_id);
      row.attribution.set_rule(s.share.rule);
      row.attribution.set_household_id(s.household_id);
      row.attribution.set_village_code(s.village_code);
      row.attribution.set_amount_fen(line.amounts[i]);
      row.attribution.set_month(month);
      rows.push_back(std::move(row));
    }
  }
  std::vector<events::NewEvent> batch;
  batch.reserve(payloads.size());
  for (const auto& p : payloads) {
    batch.push_back({.type = "consumption.income_attributed",
                     .division_code = p.village_code(),
                     .aggregate_id = p.household_id(),
                     .payload = &p,
                     .causation_id = cause});
  }
  auto ids = events::AppendMany(tx, rt.config.instance, batch);
  if (!ids.ok()) return ids.status();
  for (size_t i = 0; i < rows.size(); ++i) rows[i].attribution.set_event_id((*ids)[i]);
  InsertAttributions(tx, rows);
  return absl::OkStatus();
}

// Attributes every line of an order settled on `day` through the
// supplier's bindings in force, which are kept with the line (refunds
// reverse through exactly these).
absl::Status AttributeSettlement(pqxx::transaction_base& tx, const server::Runtime& rt,
                                 const v1::Order& order, absl::CivilDay day,
                                 const std::string& cause) {
  std::vector<LineParts> lines;
  std::map<std::string, std::vector<v1::Binding>> bindings_of;  // by supplier
  for (const auto& line : order.lines()) {
    auto [it, fresh] = bindings_of.try_emplace(line.supplier_id());
    if (fresh) it->second = BindingsOf(tx, line.supplier_id(), false);
    LineParts parts{.line_id = line.line_id()};
    std::vector<Share> shares;
    for (const auto& b : it->second) {
      if (!InForce(b, day)) continue;
      Share s{.binding_id = b.binding_id(),
              .rule = b.rule(),
              .share_bp = b.share_bp(),
              .fen_per_unit = b.fen_per_unit()};
      shares.push_back(s);
      parts.shares.push_back(
          {.share = s, .household_id = b.household_id(), .village_code = b.village_code()});
    }
    InsertLineShares(tx, line.line_id(), parts.shares);
    auto amounts = Attribute(line.amount_fen(), line.quantity(), shares);
    if (!amounts.ok()) return amounts.status();
    // Refused here rather than dead-lettered by the monitoring service.
    if (auto s = CheckAttributable(*amounts); !s.ok()) {
      return absl::OutOfRangeError(absl::StrCat("line ", line.line_id(), ": ", s.message()));
    }
    parts.amounts = *std::move(amounts);
    lines.push_back(std::move(parts));
  }
  return RecordAttributions(tx, rt, lines, day, cause);
}

// The monitoring service reports each booked attribution back: the trail's
// last link (attribution -> income record).
// The income record monitoring booked for one of our attribution events, if
// `event` says so: (attribution event id, income record id).
absl::StatusOr<std::optional<std::pair<std::string, std::string>>> BookedAttribution(
    const zx::common::v1::Event& event) {
  if (event.type() != "monitoring.income_booked") return std::nullopt;
  zx::monitoring::v1::IncomeBooked booked;
  if (!event.payload().UnpackTo(&booked)) {
    return absl::InvalidArgumentError("monitoring.income_booked payload is not an IncomeBooked");
  }
  if (booked.source_event_type() != "consumption.income_attributed") return std::nullopt;
  return std::make_pair(booked.source_event_id(), booked.record_id());
}

// Links each attribution to the income record monitoring booked for it (the
// trail of GetAttributionTrail): a batch in one statement, an entry alone
// when the consumer retries entry by entry.
class IncomeBookedWork final : public events::BatchWork {
 public:
  bool HandlesAll() const override { return true; }
  absl::Status HandleAll(pqxx::transaction_base& tx,
                         std::span<const zx::common::v1::Event> events) override {
    std::vector<std::pair<std::string, std::string>> links;
    for (const auto& event : events) {
      auto link = BookedAttribution(event);
      if (!link.ok()) return link.status();
      if (link->has_value()) links.push_back(**link);
    }
    MarkBookedMany(tx, links);
    return absl::OkStatus();
  }
  absl::Status Handle(pqxx::transaction_base& tx, const zx::common::v1::Event& event) override {
    auto link = BookedAttribution(event);
    if (!link.ok()) return link.status();
    if (link->has_value()) MarkBookedMany(tx, {**link});
    return absl::OkStatus();
  }
  absl::Status Finish(pqxx::transaction_base&) override { return absl::OkStatus(); }
};

enum class Side { kBuyer, kOrigin, kEither };

class ConsumptionServiceImpl final : public v1::ConsumptionService::CallbackService {
 public:
  explicit ConsumptionServiceImpl(server::Runtime& runtime) : rt_(runtime) {}

  Reactor* UpsertSupplier(Ctx* ctx, const v1::UpsertSupplierRequest* req,
                          v1::Supplier* resp) override {
    return server::Handle(ctx, rt_, [this, req, resp](server::CallContext& call) -> absl::Status {
      errors::Validator v;
      v.Check("request_id", idempotency::ValidateRequestId(req->request_id()));
      const auto& s = req->supplier();
      if (!s.supplier_id().empty()) v.CheckId("supplier.supplier_id", s.supplier_id(), "sp");
      if (Blank(s.name())) v.Add("supplier.name", "is required");
      v.CheckText("supplier.name", s.name(), 200);
      v.CheckText("supplier.credit_code", s.credit_code(), 18);
      if (!v1::SupplierKind_IsValid(s.kind()) || s.kind() == v1::SUPPLIER_KIND_UNSPECIFIED)
        v.Add("supplier.kind", "must be ENTERPRISE, COOPERATIVE or FAMILY_FARM");
      const auto division = Inside(s.division_code(), "supplier.division_code", v);
      if (division && division->level() < division::Level::kCounty)
        v.Add("supplier.division_code", "must be a county or below");
      if (!v.ok()) return v.ToStatus();
      if (auto a = call.Authorize("consumption.supplier.upsert", *division); !a.ok()) return a;
      return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
        return idempotency::Run(
            tx, "consumption.UpsertSupplier", req->request_id(), *req, *resp,
            [&]() -> absl::Status {
              v1::Supplier out = s;
              if (out.supplier_id().empty()) {
                out.set_supplier_id(NewId("sp"));
              } else if (auto a = AuthorizeSupplier(tx, call, "consumption.supplier.upsert",
                                                    out.supplier_id());
                         !a.ok()) {
                return a.status();
              }
              *out.mutable_updated() = Stamp(call.principal);
              consumption::UpsertSupplier(tx, out);
              call.audit_resource = out.supplier_id();
              *resp = std::move(out);
              return absl::OkStatus();
            });
      });
    });
  }

  Reactor* GetSupplier(Ctx* ctx, const v1::GetSupplierRequest* req, v1::Supplier* resp) override {
    return server::Handle(ctx, rt_, [this, req, resp](server::CallContext& call) -> absl::Status {
      errors::Validator v;
      v.CheckId("supplier_id", req->supplier_id(), "sp");
      if (!v.ok()) return v.ToStatus();
      return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
        auto s = AuthorizeSupplier(tx, call, "consumption.supplier.get", req->supplier_id());
        if (!s.ok()) return s.status();
        *resp = *std::move(s);
        return absl::OkStatus();
      });
    });
  }

  Reactor* UpsertBinding(Ctx* ctx, const v1::UpsertBindingRequest* req,
                         v1::Binding* resp) override {
    return server::Handle(ctx, rt_, [this, req, resp](server::CallContext& call) -> absl::Status {
      errors::Validator v;
      v.Check("request_id", idempotency::ValidateRequestId(req->request_id()));
      ValidateBinding(req->binding(), v);
      const auto village = Inside(req->binding().village_code(), "binding.village_code", v);
      if (!v.ok()) return v.ToStatus();
      // The caller answers for both ends: the supplier and the household.
      if (auto a = call.Authorize("consumption.binding.upsert", *village); !a.ok()) return a;
      return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
        auto supplier =
            AuthorizeSupplier(tx, call, "consumption.binding.upsert", req->binding().supplier_id());
        if (!supplier.ok()) return supplier.status();
        return idempotency::Run(
            tx, "consumption.UpsertBinding", req->request_id(), *req, *resp, [&]() -> absl::Status {
              v1::Binding b = req->binding();
              // The supplier's row first: two new bindings of one supplier
              // written at once check their shares one after the other.
              LockSupplier(tx, b.supplier_id());
              auto others = BindingsOf(tx, b.supplier_id(), true);
              if (b.binding_id().empty()) {
                b.set_binding_id(NewId("bd"));
              } else {
                const auto before = std::find_if(
                    others.begin(), others.end(),
                    [&](const v1::Binding& o) { return o.binding_id() == b.binding_id(); });
                if (before == others.end()) {
                  return absl::NotFoundError("binding " + b.binding_id() + " of supplier " +
                                             b.supplier_id() + " not found");
                }
                // Repointing a binding takes its income from the household
                // it names now: the caller answers for that village too.
                auto d = StoredDivision(before->village_code());
                if (!d.ok()) return d.status();
                if (auto a = call.Authorize("consumption.binding.upsert", *d); !a.ok()) return a;
              }
              if (auto s = CheckShares(b, others); !s.ok()) return s;
              *b.mutable_updated() = Stamp(call.principal);
              consumption::UpsertBinding(tx, b);
              call.audit_resource = b.binding_id();
              *resp = std::move(b);
              return absl::OkStatus();
            });
      });
    });
  }

  Reactor* ListBindings(Ctx* ctx, const v1::ListBindingsRequest* req,
                        v1::ListBindingsResponse* resp) override {
    return server::Handle(ctx, rt_, [this, req, resp](server::CallContext& call) -> absl::Status {
      errors::Validator v;
      v.CheckId("supplier_id", req->supplier_id(), "sp");
      if (!v.ok()) return v.ToStatus();
      return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
        auto s = AuthorizeSupplier(tx, call, "consumption.binding.list", req->supplier_id());
        if (!s.ok()) return s.status();
        resp->Clear();
        for (auto& b : BindingsOf(tx, req->supplier_id(), false))
          *resp->add_bindings() = std::move(b);
        return absl::OkStatus();
      });
    });
  }

  Reactor* UpsertProduct(Ctx* ctx, const v1::UpsertProductRequest* req,
                         v1::Product* resp) override {
    return server::Handle(ctx, rt_, [this, req, resp](server::CallContext& call) -> absl::Status {
      errors::Validator v;
      v.Check("request_id", idempotency::ValidateRequestId(req->request_id()));
      ValidateProduct(req->product(), v);
      const auto origin =
          Inside(req->product().origin_county_code(), "product.origin_county_code", v);
      if (!v.ok()) return v.ToStatus();
      if (auto a = call.Authorize("consumption.product.upsert", *origin); !a.ok()) return a;
      return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
        auto supplier =
            AuthorizeSupplier(tx, call, "consumption.product.upsert", req->product().supplier_id());
        if (!supplier.ok()) return supplier.status();
        return idempotency::Run(
            tx, "consumption.UpsertProduct", req->request_id(), *req, *resp, [&]() -> absl::Status {
              v1::Product p = req->product();
              if (p.product_id().empty()) {
                p.set_product_id(NewId("pd"));
                p.mutable_certification()->set_status(v1::CERTIFICATION_STATUS_APPLIED);
              } else {
                auto before = FindProduct(tx, p.product_id(), true);
                if (!before) return absl::NotFoundError("product " + p.product_id() + " not found");
                auto d = StoredDivision(before->origin_county_code());
                if (!d.ok()) return d.status();
                if (auto a = call.Authorize("consumption.product.upsert", *d); !a.ok()) return a;
                if (before->supplier_id() != p.supplier_id())
                  return errors::InvalidField("product.supplier_id", "cannot change");
                // Certification moves only through AdvanceCertification;
                // a new origin would need a new certification.
                *p.mutable_certification() = before->certification();
                if (before->origin_county_code() != p.origin_county_code())
                  return errors::InvalidField("product.origin_county_code", "cannot change");
                // The stock stays what orders left of it (read under the row
                // lock above) unless the request sets it: an edit made from
                // a copy read before some sales must not give those units
                // back.
                if (!req->set_stock()) p.set_stock(before->stock());
              }
              *p.mutable_updated() = Stamp(call.principal);
              consumption::UpsertProduct(tx, p);
              call.audit_resource = p.product_id();
              *resp = std::move(p);
              return absl::OkStatus();
            });
      });
    });
  }

  Reactor* GetProduct(Ctx* ctx, const v1::GetProductRequest* req, v1::Product* resp) override {
    return server::Handle(ctx, rt_, [this, req, resp](server::CallContext& call) -> absl::Status {
      errors::Validator v;
      v.CheckId("product_id", req->product_id(), "pd");
      if (!v.ok()) return v.ToStatus();
      return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
        auto p = FindProduct(tx, req->product_id(), false);
        if (!p) return absl::NotFoundError("product " + req->product_id() + " not found");
        auto d = StoredDivision(p->origin_county_code());
        if (!d.ok()) return d.status();
        if (auto a = call.Authorize("consumption.product.get", *d); !a.ok()) return a;
        *resp = std::move(*p);
        return absl::OkStatus();
      });
    });
  }

  Reactor* AdvanceCertification(Ctx* ctx, const v1::AdvanceCertificationRequest* req,
                                v1::Product* resp) override {
    return server::Handle(ctx, rt_, [this, req, resp](server::CallContext& call) -> absl::Status {
      errors::Validator v;
      v.Check("request_id", idempotency::ValidateRequestId(req->request_id()));
      v.CheckId("product_id", req->product_id(), "pd");
      if (!v1::CertificationStep_IsValid(req->step()) ||
          req->step() == v1::CERTIFICATION_STEP_UNSPECIFIED)
        v.Add("step", "must be REVIEW, PUBLICISE, ANNOUNCE or REVOKE");
      v.CheckText("reason", req->reason(), 1000);
      const auto day = DateOrToday(req->date(), "date", v);
      if (!v.ok()) return v.ToStatus();
      return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
        auto p = FindProduct(tx, req->product_id(), true);
        if (!p) return absl::NotFoundError("product " + req->product_id() + " not found");
        auto d = StoredDivision(p->origin_county_code());
        if (!d.ok()) return d.status();
        if (auto a = call.Authorize("consumption.product.certify", *d); !a.ok()) return a;
        return idempotency::Run(tx, "consumption.AdvanceCertification", req->request_id(), *req,
                                *resp, [&]() -> absl::Status {
                                  // Inside Run: a retry replays, whatever today is now.
                                  if (auto s = CheckNotFuture(*day, time::Today()); !s.ok()) {
                                    return s;
                                  }
                                  auto c = consumption::AdvanceCertification(
                                      *p, req->step(), *day, req->reason(), PolicyFor(tx, *d));
                                  if (!c.ok()) return c.status();
                                  *p->mutable_certification() = *std::move(c);
                                  *p->mutable_updated() = Stamp(call.principal);
                                  consumption::UpsertProduct(tx, *p);
                                  call.audit_resource = p->product_id();
                                  *resp = std::move(*p);
                                  return absl::OkStatus();
                                });
      });
    });
  }

  Reactor* UpsertBuyer(Ctx* ctx, const v1::UpsertBuyerRequest* req, v1::Buyer* resp) override {
    return server::Handle(ctx, rt_, [this, req, resp](server::CallContext& call) -> absl::Status {
      errors::Validator v;
      v.Check("request_id", idempotency::ValidateRequestId(req->request_id()));
      ValidateBuyer(req->buyer(), rt_.division, v);
      if (!v.ok()) return v.ToStatus();
      const auto division = division::Code::Parse(req->buyer().division_code());  // checked
      if (auto a = call.Authorize("consumption.buyer.upsert", *division); !a.ok()) return a;
      return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
        return idempotency::Run(
            tx, "consumption.UpsertBuyer", req->request_id(), *req, *resp, [&]() -> absl::Status {
              v1::Buyer b = req->buyer();
              if (b.buyer_id().empty()) {
                b.set_buyer_id(NewId("by"));
              } else {
                auto before = FindBuyer(tx, b.buyer_id());
                if (!before) return absl::NotFoundError("buyer " + b.buyer_id() + " not found");
                auto d = StoredDivision(before->division_code());
                if (!d.ok()) return d.status();
                if (auto a = call.Authorize("consumption.buyer.upsert", *d); !a.ok()) return a;
              }
              if (!b.counts_toward_buyer_id().empty()) {
                auto unit = FindBuyer(tx, b.counts_toward_buyer_id());
                if (!unit) {
                  return absl::FailedPreconditionError("buyer.counts_toward_buyer_id: buyer " +
                                                       b.counts_toward_buyer_id() +
                                                       " does not exist");
                }
                // Purchases counted toward a unit raise its target report:
                // only a unit can be counted toward, and the caller must
                // answer for that unit's division as well as the buyer's.
                if (unit->kind() != v1::BUYER_KIND_BUDGET_UNIT &&
                    unit->kind() != v1::BUYER_KIND_ASSISTING_UNIT) {
                  return absl::FailedPreconditionError(absl::StrCat(
                      "buyer.counts_toward_buyer_id: buyer ", unit->buyer_id(), " is a ",
                      v1::BuyerKind_Name(unit->kind()),
                      "; purchases count only toward a budget unit or an assisting unit"));
                }
                auto d = StoredDivision(unit->division_code());
                if (!d.ok()) return d.status();
                if (auto a = call.Authorize("consumption.buyer.upsert", *d); !a.ok()) return a;
              }
              *b.mutable_updated() = Stamp(call.principal);
              consumption::UpsertBuyer(tx, b);
              call.audit_resource = b.buyer_id();
              *resp = std::move(b);
              return absl::OkStatus();
            });
      });
    });
  }

  Reactor* GetBuyer(Ctx* ctx, const v1::GetBuyerRequest* req, v1::Buyer* resp) override {
    return server::Handle(ctx, rt_, [this, req, resp](server::CallContext& call) -> absl::Status {
      errors::Validator v;
      v.CheckId("buyer_id", req->buyer_id(), "by");
      if (!v.ok()) return v.ToStatus();
      return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
        auto b = FindBuyer(tx, req->buyer_id());
        if (!b) return absl::NotFoundError("buyer " + req->buyer_id() + " not found");
        auto d = StoredDivision(b->division_code());
        if (!d.ok()) return d.status();
        if (auto a = call.Authorize("consumption.buyer.get", *d); !a.ok()) return a;
        *resp = std::move(*b);
        return absl::OkStatus();
      });
    });
  }

  Reactor* GrantPartnership(Ctx* ctx, const v1::GrantPartnershipRequest* req,
                            v1::Partnership* resp) override {
    return server::Handle(ctx, rt_, [this, req, resp](server::CallContext& call) -> absl::Status {
      errors::Validator v;
      v.Check("request_id", idempotency::ValidateRequestId(req->request_id()));
      ValidatePartnership(req->partnership(), v);
      const auto origin =
          Inside(req->partnership().origin_division_code(), "partnership.origin_division_code", v);
      if (auto p = division::Code::Parse(req->partnership().partner_province_code());
          p.ok() && p->IsAncestorOrSelfOf(rt_.division)) {
        v.Add("partnership.partner_province_code", "must be another province");
      }
      if (!v.ok()) return v.ToStatus();
      if (auto a = call.Authorize("consumption.partnership.grant", *origin); !a.ok()) return a;
      return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
        return idempotency::Run(tx, "consumption.GrantPartnership", req->request_id(), *req, *resp,
                                [&]() -> absl::Status {
                                  v1::Partnership p = req->partnership();
                                  p.set_partnership_id(NewId("ps"));
                                  *p.mutable_granted() = Stamp(call.principal);
                                  InsertPartnership(tx, p);
                                  call.audit_resource = p.partnership_id();
                                  *resp = std::move(p);
                                  return absl::OkStatus();
                                });
      });
    });
  }

  // ---- Orders ----------------------------------------------------------------------------

  Reactor* SubmitOrder(Ctx* ctx, const v1::SubmitOrderRequest* req, v1::Order* resp) override {
    return server::Handle(ctx, rt_, [this, req, resp](server::CallContext& call) -> absl::Status {
      errors::Validator v;
      v.Check("request_id", idempotency::ValidateRequestId(req->request_id()));
      v.CheckId("buyer_id", req->buyer_id(), "by");
      if (!v1::Channel_IsValid(req->channel()) || req->channel() == v1::CHANNEL_UNSPECIFIED)
        v.Add("channel", "must be PLATFORM_832, COUNTER, LIVE_STREAM, FAIR or PARTNER_STORE");
      if (req->lines().empty()) v.Add("lines", "at least one line is required");
      v.CheckCount("lines", req->lines_size(), kMaxOrderLines);
      std::set<std::string> seen;
      for (int i = 0; i < req->lines_size() && i < kMaxOrderLines; ++i) {
        const auto& l = req->lines(i);
        const std::string at = absl::StrCat("lines[", i, "]");
        v.CheckId(at + ".product_id", l.product_id(), "pd");
        if (!seen.insert(l.product_id()).second) v.Add(at + ".product_id", "appears twice");
        if (l.quantity() <= 0 || l.quantity() > kMaxQuantity)
          v.Add(at + ".quantity", absl::StrCat("must be 1..", kMaxQuantity));
      }
      const auto day = DateOrToday(req->date(), "date", v);
      if (!v.ok()) return v.ToStatus();
      const absl::CivilDay today = time::Today();
      return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
        auto buyer = FindBuyer(tx, req->buyer_id());
        if (!buyer) return absl::NotFoundError("buyer " + req->buyer_id() + " not found");
        auto buyer_division = StoredDivision(buyer->division_code());
        if (!buyer_division.ok()) return buyer_division.status();
        if (auto a = call.Authorize("consumption.order.submit", *buyer_division); !a.ok()) return a;
        return idempotency::Run(
            tx, "consumption.SubmitOrder", req->request_id(), *req, *resp, [&]() -> absl::Status {
              // An order may be dated back (recorded after the sale), never
              // ahead; checked inside Run, so a retry replays whatever today is.
              if (auto s = CheckNotFuture(*day, today); !s.ok()) return s;
              std::vector<std::string> ids;
              for (const auto& l : req->lines()) ids.push_back(l.product_id());
              std::map<std::string, v1::Product> products;
              for (auto& p : ReadProducts(tx, ids)) products[p.product_id()] = std::move(p);
              std::vector<v1::Partnership> partnerships;
              if (IsPartnerKind(buyer->kind())) {
                partnerships =
                    PartnershipsOf(tx, buyer_division->AncestorAt(division::Level::kRegion).str());
              }
              v1::Order o;
              o.set_order_id(NewId("or"));
              o.set_buyer_id(buyer->buyer_id());
              o.set_buyer_division_code(buyer->division_code());
              o.set_buyer_kind(buyer->kind());
              o.set_channel(req->channel());
              o.set_status(v1::ORDER_STATUS_PLACED);
              o.set_placed_on(FormatDate(*day));
              std::vector<money::Fen> amounts;
              for (int i = 0; i < req->lines_size(); ++i) {
                const auto& want = req->lines(i);
                const std::string at = absl::StrCat("lines[", i, "]");
                auto found = products.find(want.product_id());
                if (found == products.end()) {
                  return absl::NotFoundError(at + ": product " + want.product_id() + " not found");
                }
                const v1::Product& p = found->second;
                // Price and stock are today's, so a backdated order must be
                // one the product and the partnership allow both on its date
                // and today: a certification or partnership that has ended
                // since sells nothing, whatever date the caller gives.
                auto origin = StoredDivision(p.origin_county_code());
                if (!origin.ok()) return origin.status();
                for (const absl::CivilDay on : {*day, today}) {
                  if (auto s = CheckSellable(p, on); !s.ok()) return s;
                  if (IsPartnerKind(buyer->kind()) &&
                      CoveringPartnership(partnerships, *buyer_division, *origin, on) == nullptr) {
                    return absl::PermissionDeniedError(absl::StrCat(
                        "partnership: ", buyer->division_code().substr(0, 2),
                        " (the buyer's province) has no partnership granted for products of ",
                        p.origin_county_code(), " on ", FormatDate(on)));
                  }
                }
                if (p.stock() < want.quantity()) {
                  return absl::FailedPreconditionError(
                      absl::StrCat(at, ".quantity: ", want.quantity(), " ", p.unit(), " ordered, ",
                                   p.stock(), " in stock"));
                }
                auto amount = LineAmount(want.quantity(), p.price_fen());
                if (!amount.ok()) return amount.status();
                amounts.push_back(*amount);
                auto* line = o.add_lines();
                line->set_line_id(NewId("ol"));
                line->set_product_id(p.product_id());
                line->set_quantity(want.quantity());
                line->set_unit_price_fen(p.price_fen());
                line->set_amount_fen(*amount);
                line->set_supplier_id(p.supplier_id());
                line->set_origin_county_code(p.origin_county_code());
              }
              auto total = money::Sum(amounts);
              if (!total.ok() || *total > kMaxOrderTotalFen) {
                return absl::OutOfRangeError("the order total exceeds 10^13 fen");
              }
              o.set_total_fen(*total);
              *o.mutable_updated() = Stamp(call.principal);
              InsertOrder(tx, o);
              // Stock last, in product-id order (no deadlock between two
              // orders): a product's row is then locked only for the commit.
              std::vector<std::pair<std::string, int64_t>> takes;
              for (const auto& l : o.lines()) takes.emplace_back(l.product_id(), l.quantity());
              std::sort(takes.begin(), takes.end());
              for (const auto& [product, quantity] : takes) {
                if (!TakeStock(tx, product, quantity)) {
                  return absl::FailedPreconditionError(
                      absl::StrCat("lines: product ", product, " has fewer than ", quantity,
                                   " units in stock now (another order took them)"));
                }
              }
              call.audit_resource = o.order_id();
              *resp = std::move(o);
              return absl::OkStatus();
            });
      });
    });
  }

  Reactor* GetOrder(Ctx* ctx, const v1::GetOrderRequest* req, v1::Order* resp) override {
    return server::Handle(ctx, rt_, [this, req, resp](server::CallContext& call) -> absl::Status {
      errors::Validator v;
      v.CheckId("order_id", req->order_id(), "or");
      if (!v.ok()) return v.ToStatus();
      return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
        auto o =
            LoadOrder(tx, call, "consumption.order.get", req->order_id(), Side::kEither, false);
        if (!o.ok()) return o.status();
        *resp = *std::move(o);
        return absl::OkStatus();
      });
    });
  }

  Reactor* AdvanceOrder(Ctx* ctx, const v1::AdvanceOrderRequest* req, v1::Order* resp) override {
    return server::Handle(ctx, rt_, [this, req, resp](server::CallContext& call) -> absl::Status {
      errors::Validator v;
      v.Check("request_id", idempotency::ValidateRequestId(req->request_id()));
      v.CheckId("order_id", req->order_id(), "or");
      const auto to = req->to();
      if (to != v1::ORDER_STATUS_CONFIRMED && to != v1::ORDER_STATUS_SHIPPED &&
          to != v1::ORDER_STATUS_RECEIVED && to != v1::ORDER_STATUS_SETTLED &&
          to != v1::ORDER_STATUS_CANCELLED) {
        v.Add("to", "must be CONFIRMED, SHIPPED, RECEIVED, SETTLED or CANCELLED");
      }
      if (to == v1::ORDER_STATUS_CANCELLED && Blank(req->reason()))
        v.Add("reason", "is required to cancel");
      v.CheckText("reason", req->reason(), 1000);
      const auto day = DateOrToday(req->date(), "date", v);
      if (!v.ok()) return v.ToStatus();
      // The buyer receives and may cancel; the supplier's side confirms,
      // ships and settles.
      const Side side = (to == v1::ORDER_STATUS_RECEIVED || to == v1::ORDER_STATUS_CANCELLED)
                            ? Side::kBuyer
                            : Side::kOrigin;
      return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
        auto o = LoadOrder(tx, call, "consumption.order.advance", req->order_id(), side, true);
        if (!o.ok()) return o.status();
        return idempotency::Run(
            tx, "consumption.AdvanceOrder", req->request_id(), *req, *resp, [&]() -> absl::Status {
              if (auto s = CheckTransition(o->status(), to); !s.ok()) return s;
              if (auto s = CheckStepDate(*o, *day, time::Today()); !s.ok()) return s;
              o->set_status(to);
              o->set_last_step_on(FormatDate(*day));
              if (to == v1::ORDER_STATUS_CANCELLED) {
                for (const auto& l : o->lines()) AddStock(tx, l.product_id(), l.quantity());
              }
              if (to == v1::ORDER_STATUS_SETTLED) {
                o->set_settled_on(FormatDate(*day));
                if (auto s = AttributeSettlement(tx, rt_, *o, *day, req->request_id()); !s.ok())
                  return s;
              }
              *o->mutable_updated() = Stamp(call.principal);
              UpdateOrder(tx, *o);
              call.audit_resource = o->order_id();
              *resp = *std::move(o);
              return absl::OkStatus();
            });
      });
    });
  }

  Reactor* RefundOrder(Ctx* ctx, const v1::RefundOrderRequest* req, v1::Order* resp) override {
    return server::Handle(ctx, rt_, [this, req, resp](server::CallContext& call) -> absl::Status {
      errors::Validator v;
      v.Check("request_id", idempotency::ValidateRequestId(req->request_id()));
      v.CheckId("order_id", req->order_id(), "or");
      if (req->lines().empty()) v.Add("lines", "at least one line is required");
      v.CheckCount("lines", req->lines_size(), kMaxOrderLines);
      std::set<std::string> seen;
      for (int i = 0; i < req->lines_size() && i < kMaxOrderLines; ++i) {
        const std::string at = absl::StrCat("lines[", i, "]");
        v.CheckId(at + ".line_id", req->lines(i).line_id(), "ol");
        if (!seen.insert(req->lines(i).line_id()).second) v.Add(at + ".line_id", "appears twice");
        if (req->lines(i).quantity() <= 0 || req->lines(i).quantity() > kMaxQuantity)
          v.Add(at + ".quantity", absl::StrCat("must be 1..", kMaxQuantity));
      }
      if (Blank(req->reason())) v.Add("reason", "is required");
      v.CheckText("reason", req->reason(), 1000);
      const auto day = DateOrToday(req->date(), "date", v);
      if (!v.ok()) return v.ToStatus();
      return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
        auto o =
            LoadOrder(tx, call, "consumption.order.refund", req->order_id(), Side::kOrigin, true);
        if (!o.ok()) return o.status();
        return idempotency::Run(
            tx, "consumption.RefundOrder", req->request_id(), *req, *resp, [&]() -> absl::Status {
              if (o->status() != v1::ORDER_STATUS_SETTLED) {
                return absl::FailedPreconditionError(
                    absl::StrCat("order.refund: only a settled order is refunded (this one is ",
                                 v1::OrderStatus_Name(o->status()), "; cancel it instead)"));
              }
              if (auto s = CheckStepDate(*o, *day, time::Today()); !s.ok()) return s;
              return Refund(tx, call, *req, *day, *o, *resp);
            });
      });
    });
  }

  Reactor* TraceOrderLine(Ctx* ctx, const v1::TraceOrderLineRequest* req,
                          v1::OrderLineTrace* resp) override {
    return server::Handle(ctx, rt_, [this, req, resp](server::CallContext& call) -> absl::Status {
      errors::Validator v;
      v.CheckId("line_id", req->line_id(), "ol");
      if (!v.ok()) return v.ToStatus();
      return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
        auto order_id = OrderOfLine(tx, req->line_id());
        if (!order_id) return absl::NotFoundError("order line " + req->line_id() + " not found");
        auto o = LoadOrder(tx, call, "consumption.order.trace", *order_id, Side::kEither, false);
        if (!o.ok()) return o.status();
        resp->Clear();
        for (const auto& l : o->lines()) {
          if (l.line_id() == req->line_id()) *resp->mutable_line() = l;
        }
        if (auto s = FindSupplier(tx, resp->line().supplier_id())) *resp->mutable_supplier() = *s;
        std::set<std::string> bindings;
        int64_t net = 0;
        int32_t booked = 0;
        for (auto& a : AttributionsOf(tx, req->line_id())) {
          bindings.insert(a.binding_id());
          net += a.amount_fen();
          if (!a.income_record_id().empty()) ++booked;
          *resp->add_attributions() = std::move(a);
        }
        for (const auto& id : bindings) {
          if (auto b = FindBinding(tx, id)) *resp->add_bindings() = *b;
        }
        resp->set_attributed_fen(net);
        resp->set_booked(booked);
        *resp->mutable_order() = *std::move(o);
        return absl::OkStatus();
      });
    });
  }

  grpc::ServerBidiReactor<v1::ImportPlatformOrdersRequest, v1::ImportPlatformOrdersResponse>*
  ImportPlatformOrders(Ctx* ctx) override;

  // ---- Policy and reports ------------------------------------------------------------------

  Reactor* PublishPolicy(Ctx* ctx, const v1::PublishPolicyRequest* req,
                         v1::ConsumptionPolicy* resp) override {
    return server::Handle(ctx, rt_, [this, req, resp](server::CallContext& call) -> absl::Status {
      errors::Validator v;
      v.Check("request_id", idempotency::ValidateRequestId(req->request_id()));
      auto owner = division::Code::Parse(req->policy().owner_division_code());
      if (!owner.ok()) v.Add("policy.owner_division_code", std::string(owner.status().message()));
      ValidatePolicy(req->policy(), v);
      if (!v.ok()) return v.ToStatus();
      if (auto a = call.Authorize("consumption.policy.publish", *owner); !a.ok()) return a;
      return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
        return idempotency::Run(tx, "consumption.PublishPolicy", req->request_id(), *req, *resp,
                                [&] {
                                  // The levels above set a floor for the canteen share (the
                                  // region sets the baseline); a share left 0 inherits it.
                                  std::optional<Policy> above;
                                  if (auto parent = owner->Parent();
                                      parent && owner->level() > division::Level::kRegion) {
                                    above = PolicyFor(tx, *parent);
                                  }
                                  if (auto s = CheckPolicyTightens(req->policy(), above); !s.ok())
                                    return s;
                                  v1::ConsumptionPolicy in = req->policy();
                                  if (in.canteen_share_bp() == 0 && above)
                                    in.set_canteen_share_bp(above->canteen_share_bp);
                                  // Stored complete: what the published fields resolve to.
                                  v1::ConsumptionPolicy out = PolicyToProto(PolicyFromProto(in));
                                  out.set_owner_division_code(owner->str());
                                  *out.mutable_published() = Stamp(call.principal);
                                  InsertPolicy(tx, out);
                                  *resp = std::move(out);
                                  return absl::OkStatus();
                                });
      });
    });
  }

  Reactor* GetEffectivePolicy(Ctx* ctx, const v1::GetEffectivePolicyRequest* req,
                              v1::ConsumptionPolicy* resp) override {
    return server::Handle(ctx, rt_, [this, req, resp](server::CallContext& call) -> absl::Status {
      auto division = division::Code::Parse(req->division_code());
      if (!division.ok()) {
        return errors::InvalidField("division_code", std::string(division.status().message()));
      }
      if (auto a = call.Authorize("consumption.policy.get", *division); !a.ok()) return a;
      return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
        auto p = LoadPolicyFor(tx, *division);
        *resp = p ? *p : PolicyToProto(Policy{});
        // The nearest policy, with the canteen share the chain holds it to.
        resp->set_canteen_share_bp(PolicyFor(tx, *division).canteen_share_bp);
        return absl::OkStatus();
      });
    });
  }

  Reactor* GetTargetReport(Ctx* ctx, const v1::GetTargetReportRequest* req,
                           v1::TargetReport* resp) override {
    return server::Handle(ctx, rt_, [this, req, resp](server::CallContext& call) -> absl::Status {
      errors::Validator v;
      auto division = auth::ListScope(call.principal, req->division_code());
      v.Check("division_code", division.status());
      v.Check("year", CheckYear(req->year()));
      if (!v.ok()) return v.ToStatus();
      if (auto a = call.Authorize("consumption.report.targets", *division); !a.ok()) return a;
      pg::TxOptions options = call.tx();
      options.isolation = pg::Isolation::kRepeatableRead;
      return pg::WithTransaction(*rt_.pool, options, [&](pqxx::transaction_base& tx) {
        resp->Clear();
        resp->set_division_code(division->str());
        resp->set_year(req->year());
        std::map<std::string, Policy> policies;  // by the buyer's division
        for (const auto& by : LoadBuyerYears(tx, *division, req->year())) {
          auto [it, fresh] = policies.try_emplace(by.buyer.division_code());
          if (fresh) {
            auto d = StoredDivision(by.buyer.division_code());
            if (!d.ok()) return d.status();
            it->second = PolicyFor(tx, *d);
          }
          auto t = EvaluateTarget(by.buyer, by.purchases, it->second);
          if (req->only_below_target() && t.status() != v1::TARGET_STATUS_BELOW) continue;
          *resp->add_buyers() = std::move(t);
        }
        return absl::OkStatus();
      });
    });
  }

  Reactor* GetSalesReport(Ctx* ctx, const v1::GetSalesReportRequest* req,
                          v1::SalesReport* resp) override {
    return server::Handle(ctx, rt_, [this, req, resp](server::CallContext& call) -> absl::Status {
      errors::Validator v;
      auto division = auth::ListScope(call.principal, req->division_code());
      v.Check("division_code", division.status());
      v.Check("year", CheckYear(req->year()));
      if (!v.ok()) return v.ToStatus();
      if (auto a = call.Authorize("consumption.report.sales", *division); !a.ok()) return a;
      return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
        *resp = LoadSales(tx, *division, req->year());
        return absl::OkStatus();
      });
    });
  }

  Reactor* GetAttributionReport(Ctx* ctx, const v1::GetAttributionReportRequest* req,
                                v1::AttributionReport* resp) override {
    return server::Handle(ctx, rt_, [this, req, resp](server::CallContext& call) -> absl::Status {
      errors::Validator v;
      auto division = auth::ListScope(call.principal, req->division_code());
      v.Check("division_code", division.status());
      v.Check("year", CheckYear(req->year()));
      if (req->page_size() < 0 || req->page_size() > kMaxPageSize)
        v.Add("page_size", absl::StrCat("must be 0..", kMaxPageSize));
      if (!req->page_token().empty() && !IsId(req->page_token(), "hh"))
        v.Add("page_token", "is not a token this service returned");
      if (!v.ok()) return v.ToStatus();
      if (auto a = call.Authorize("consumption.report.attribution", *division); !a.ok()) return a;
      const int page_size = req->page_size() == 0 ? kDefaultPageSize : req->page_size();
      pg::TxOptions options = call.tx();
      options.isolation = pg::Isolation::kRepeatableRead;
      return pg::WithTransaction(*rt_.pool, options, [&](pqxx::transaction_base& tx) {
        *resp = LoadAttributionReport(tx, *division, req->year(), req->page_token(), page_size);
        return absl::OkStatus();
      });
    });
  }

 private:
  std::optional<division::Code> Inside(const std::string& code, const std::string& field,
                                       errors::Validator& v) const {
    auto d = division::Code::Parse(code);
    if (!d.ok()) {
      v.Add(field, std::string(d.status().message()));
      return std::nullopt;
    }
    if (!rt_.division.IsAncestorOrSelfOf(*d)) {
      v.Add(field, absl::StrCat("must be inside ", rt_.division.str()));
      return std::nullopt;
    }
    return *d;
  }

  absl::StatusOr<v1::Supplier> AuthorizeSupplier(pqxx::transaction_base& tx,
                                                 const server::CallContext& call,
                                                 std::string_view action, const std::string& id) {
    auto s = FindSupplier(tx, id);
    if (!s) return absl::NotFoundError("supplier " + id + " not found");
    auto d = StoredDivision(s->division_code());
    if (!d.ok()) return d.status();
    if (auto a = call.Authorize(action, *d); !a.ok()) return a;
    return *std::move(s);
  }

  // Loads the order (locked when `lock`) and authorizes `action` on the
  // buyer's division, on every line's origin county, or on either.
  absl::StatusOr<v1::Order> LoadOrder(pqxx::transaction_base& tx, const server::CallContext& call,
                                      std::string_view action, const std::string& id, Side side,
                                      bool lock) {
    auto o = FindOrder(tx, id, lock);
    if (!o) return absl::NotFoundError("order " + id + " not found");
    const auto on_origin = [&]() -> absl::Status {
      std::set<std::string> origins;
      for (const auto& l : o->lines()) origins.insert(l.origin_county_code());
      for (const auto& code : origins) {
        auto d = StoredDivision(code);
        if (!d.ok()) return d.status();
        if (auto a = call.Authorize(action, *d); !a.ok()) return a;
      }
      return absl::OkStatus();
    };
    const auto on_buyer = [&]() -> absl::Status {
      auto d = StoredDivision(o->buyer_division_code());
      if (!d.ok()) return d.status();
      return call.Authorize(action, *d);
    };
    absl::Status allowed;
    switch (side) {
      case Side::kBuyer:
        allowed = on_buyer();
        break;
      case Side::kOrigin:
        allowed = on_origin();
        break;
      case Side::kEither:
        allowed = on_buyer();
        if (!allowed.ok()) allowed = on_origin();
        break;
    }
    if (!allowed.ok()) return allowed;
    return *std::move(o);
  }

  absl::Status Refund(pqxx::transaction_base& tx, server::CallContext& call,
                      const v1::RefundOrderRequest& req, absl::CivilDay day, v1::Order& o,
                      v1::Order& resp) {
    std::vector<LineParts> parts;
    std::vector<money::Fen> refunded{o.refunded_fen()};
    for (int i = 0; i < req.lines_size(); ++i) {
      const auto& want = req.lines(i);
      const std::string at = absl::StrCat("lines[", i, "]");
      v1::OrderLine* line = nullptr;
      for (auto& l : *o.mutable_lines()) {
        if (l.line_id() == want.line_id()) line = &l;
      }
      if (line == nullptr) {
        return errors::InvalidField(at + ".line_id", "is not a line of this order");
      }
      const int64_t kept = line->quantity() - line->refunded_quantity();
      if (want.quantity() > kept) {
        return absl::FailedPreconditionError(absl::StrCat(
            at, ".quantity: ", want.quantity(), " to refund, but ", kept, " not yet refunded"));
      }
      LineParts line_parts{.line_id = line->line_id(), .refund_id = NewId("rf")};
      line_parts.shares = LineSharesOf(tx, line->line_id());
      // The reversal is taken in proportion to what each binding holds of
      // the line now (the ledger: settlement and earlier refunds), so a
      // refund never pays a binding nor takes more than it holds.
      const auto on_line = HeldOnLine(tx, line->line_id());
      std::vector<Share> plain;
      std::vector<money::Fen> held;
      for (const auto& sh : line_parts.shares) {
        plain.push_back(sh.share);
        const auto it = on_line.find(sh.share.binding_id);
        held.push_back(it == on_line.end() ? 0 : it->second);
      }
      auto deltas = Reattribute(line->unit_price_fen(), kept, kept - want.quantity(), plain, held);
      if (!deltas.ok()) return deltas.status();
      auto amount = LineAmount(want.quantity(), line->unit_price_fen());
      if (!amount.ok()) return amount.status();
      refunded.push_back(*amount);
      line->set_refunded_quantity(line->refunded_quantity() + want.quantity());
      line_parts.amounts = *std::move(deltas);
      parts.push_back(std::move(line_parts));
    }
    auto total = money::Sum(refunded);
    if (!total.ok()) return total.status();
    o.set_refunded_fen(*total);
    o.set_last_step_on(FormatDate(day));
    if (o.refunded_fen() == o.total_fen()) o.set_status(v1::ORDER_STATUS_REFUNDED);
    if (auto st = RecordAttributions(tx, rt_, parts, day, req.request_id()); !st.ok()) return st;
    *o.mutable_updated() = Stamp(call.principal);
    UpdateOrder(tx, o);
    call.audit_resource = o.order_id();
    resp = o;
    return absl::OkStatus();
  }

  server::Runtime& rt_;
};

// ---- Import of 832-platform order exports ----------------------------------------------------

// One message of rows: validated, matched to buyers and products, each row
// checked against the caller's jurisdiction over the product's origin;
// new platform order numbers become single-line orders (RECEIVED, or
// SETTLED and attributed), known ones are reported as already imported.
absl::StatusOr<int64_t> ApplyImportRows(pqxx::transaction_base& tx, const server::Runtime& rt,
                                        const auth::Principal& principal,
                                        const v1::ImportPlatformOrdersRequest& request,
                                        v1::ImportPlatformOrdersResponse& response) {
  const int n = request.rows_size();
  std::vector<v1::ImportRowResult*> results(n);
  std::set<std::string> buyer_ids, product_ids, numbers_seen;
  std::vector<std::optional<absl::CivilDay>> days(n);
  const absl::CivilDay today = time::Today();
  const auto reject = [&](int i, std::string field, std::string reason) {
    results[i]->set_outcome(v1::ROW_OUTCOME_REJECTED);
    results[i]->set_field(std::move(field));
    results[i]->set_reason(std::move(reason));
  };
  for (int i = 0; i < n; ++i) {
    const auto& row = request.rows(i);
    results[i] = response.add_results();
    results[i]->set_row_number(row.row_number());
    const std::string at = absl::StrCat("rows[", i, "].");
    days[i] = ParseDate(row.order_date());
    if (Blank(row.platform_order_no()) || row.platform_order_no().size() > 64) {
      reject(i, at + "platform_order_no", "is required (at most 64 characters)");
    } else if (!numbers_seen.insert(row.platform_order_no()).second) {
      reject(i, at + "platform_order_no", "appears twice in this message");
    } else if (!IsId(row.buyer_id(), "by")) {
      reject(i, at + "buyer_id", "must look like by- and 20 hex digits");
    } else if (!IsId(row.product_id(), "pd")) {
      reject(i, at + "product_id", "must look like pd- and 20 hex digits");
    } else if (row.quantity() <= 0 || row.quantity() > kMaxQuantity) {
      reject(i, at + "quantity", absl::StrCat("must be 1..", kMaxQuantity));
    } else if (!LineAmount(row.quantity(), row.unit_price_fen()).ok() ||
               row.unit_price_fen() <= 0) {
      reject(i, at + "unit_price_fen", "must be > 0, and quantity × price at most 10^12 fen");
    } else if (!days[i]) {
      reject(i, at + "order_date", "must be a date like 2026-11-02");
    } else if (*days[i] > today) {
      // Platform exports record sales that happened: never one ahead.
      reject(i, at + "order_date",
             absl::StrCat("must not be after today (", FormatDate(today), ")"));
    } else if (row.status() != v1::ORDER_STATUS_RECEIVED &&
               row.status() != v1::ORDER_STATUS_SETTLED) {
      reject(i, at + "status", "must be RECEIVED or SETTLED");
    } else {
      buyer_ids.insert(row.buyer_id());
      product_ids.insert(row.product_id());
    }
  }
  std::map<std::string, v1::Buyer> buyers;
  for (const auto& row : tx.exec_params("SELECT buyer_id, body FROM buyers WHERE buyer_id = "
                                        "ANY($1::text[])",
                                        pg::ArrayLiteral({buyer_ids.begin(), buyer_ids.end()}))) {
    buyers[row[0].as<std::string>()] = pg::ParseMessage<v1::Buyer>(row[1]);
  }
  std::map<std::string, v1::Product> products;
  for (const auto& row :
       tx.exec_params("SELECT product_id, body FROM products WHERE product_id = ANY($1::text[])",
                      pg::ArrayLiteral({product_ids.begin(), product_ids.end()}))) {
    products[row[0].as<std::string>()] = pg::ParseMessage<v1::Product>(row[1]);
  }
  // Candidate rows become orders; ON CONFLICT on the platform number decides
  // which are new.
  std::vector<int> candidates;
  std::vector<v1::Order> orders;
  std::map<std::string, std::vector<v1::Partnership>> partnerships;  // by partner province
  for (int i = 0; i < n; ++i) {
    if (results[i]->outcome() == v1::ROW_OUTCOME_REJECTED) continue;
    const auto& row = request.rows(i);
    const std::string at = absl::StrCat("rows[", i, "].");
    auto b = buyers.find(row.buyer_id());
    auto p = products.find(row.product_id());
    if (b == buyers.end()) {
      reject(i, at + "buyer_id", "no such buyer");
      continue;
    }
    if (p == products.end()) {
      reject(i, at + "product_id", "no such product");
      continue;
    }
    auto origin = division::Code::Parse(p->second.origin_county_code());
    if (!origin.ok() || !auth::Authorize(principal, "consumption.import.orders", *origin).ok()) {
      reject(i, at + "product_id", "the product's origin is outside your jurisdiction");
      continue;
    }
    if (auto s = CheckSellable(p->second, *days[i]); !s.ok()) {
      reject(i, at + "product_id", std::string(s.message()));
      continue;
    }
    // A partner-province buyer buys only within a partnership granted for
    // the product's origin on the order's date, as SubmitOrder requires.
    if (IsPartnerKind(b->second.kind())) {
      auto buyer_division = division::Code::Parse(b->second.division_code());
      if (!buyer_division.ok()) {
        reject(i, at + "buyer_id", "the buyer's division is not a valid code");
        continue;
      }
      const std::string province = buyer_division->AncestorAt(division::Level::kRegion).str();
      auto [it, fresh] = partnerships.try_emplace(province);
      if (fresh) it->second = PartnershipsOf(tx, province);
      if (CoveringPartnership(it->second, *buyer_division, *origin, *days[i]) == nullptr) {
        reject(i, at + "buyer_id",
               absl::StrCat("partnership: ", province,
                            " (the buyer's province) has no partnership granted for products of ",
                            p->second.origin_county_code(), " on ", row.order_date()));
        continue;
      }
    }
    v1::Order o;
    o.set_order_id(server::NewId("or"));
    o.set_buyer_id(row.buyer_id());
    o.set_buyer_division_code(b->second.division_code());
    o.set_buyer_kind(b->second.kind());
    o.set_channel(v1::CHANNEL_PLATFORM_832);
    o.set_status(row.status());
    o.set_placed_on(row.order_date());
    if (row.status() == v1::ORDER_STATUS_SETTLED) o.set_settled_on(row.order_date());
    o.set_platform_order_no(row.platform_order_no());
    auto* l = o.add_lines();
    l->set_line_id(server::NewId("ol"));
    l->set_product_id(row.product_id());
    l->set_quantity(row.quantity());
    l->set_unit_price_fen(row.unit_price_fen());
    l->set_amount_fen(row.quantity() * row.unit_price_fen());  // bounded above
    l->set_supplier_id(p->second.supplier_id());
    l->set_origin_county_code(p->second.origin_county_code());
    o.set_total_fen(l->amount_fen());
    *o.mutable_updated() = server::Stamp(principal);
    candidates.push_back(i);
    orders.push_back(std::move(o));
  }
  if (candidates.empty()) return 0;
  std::vector<std::string> ids, order_buyers, divisions, statuses, dates, settled, totals, numbers,
      bodies;
  for (const auto& o : orders) {
    ids.push_back(o.order_id());
    order_buyers.push_back(o.buyer_id());
    divisions.push_back(o.buyer_division_code());
    statuses.push_back(std::to_string(static_cast<int>(o.status())));
    dates.push_back(o.placed_on());
    settled.push_back(o.settled_on());
    totals.push_back(std::to_string(o.total_fen()));
    numbers.push_back(o.platform_order_no());
    bodies.push_back(pg::HexBytes(o.SerializeAsString()));
  }
  std::set<std::string> inserted;
  for (const auto& r : tx.exec_params(
           "INSERT INTO orders (order_id, buyer_id, buyer_division, channel, status, placed_on, "
           "settled_on, total_fen, platform_order_no, body) "
           "SELECT o, b, d, 1, s, p::date, NULLIF(st, '')::date, t, n, decode(h, 'hex') "
           "FROM unnest($1::text[], $2::text[], $3::text[], $4::smallint[], $5::text[], "
           "$6::text[], $7::bigint[], $8::text[], $9::text[]) AS u(o, b, d, s, p, st, t, n, h) "
           "ON CONFLICT (platform_order_no) DO NOTHING RETURNING order_id",
           pg::ArrayLiteral(ids), pg::ArrayLiteral(order_buyers), pg::ArrayLiteral(divisions),
           pg::ArrayLiteral(statuses), pg::ArrayLiteral(dates), pg::ArrayLiteral(settled),
           pg::ArrayLiteral(totals), pg::ArrayLiteral(numbers), pg::ArrayLiteral(bodies))) {
    inserted.insert(r[0].as<std::string>());
  }
  std::vector<std::string> line_ids, line_orders, line_products, suppliers, origins, quantities,
      prices, known_numbers;
  std::vector<const v1::Order*> settled_orders;
  for (size_t k = 0; k < orders.size(); ++k) {
    const auto& o = orders[k];
    if (!inserted.count(o.order_id())) {
      known_numbers.push_back(o.platform_order_no());
      continue;
    }
    const auto& l = o.lines(0);
    line_ids.push_back(l.line_id());
    line_orders.push_back(o.order_id());
    line_products.push_back(l.product_id());
    suppliers.push_back(l.supplier_id());
    origins.push_back(l.origin_county_code());
    quantities.push_back(std::to_string(l.quantity()));
    prices.push_back(std::to_string(l.unit_price_fen()));
    if (o.status() == v1::ORDER_STATUS_SETTLED) settled_orders.push_back(&o);
  }
  if (!line_ids.empty()) {
    tx.exec_params(
        "INSERT INTO order_lines (line_id, order_id, product_id, supplier_id, origin_county, "
        "quantity, unit_price_fen) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], "
        "$4::text[], $5::text[], $6::bigint[], $7::bigint[])",
        pg::ArrayLiteral(line_ids), pg::ArrayLiteral(line_orders), pg::ArrayLiteral(line_products),
        pg::ArrayLiteral(suppliers), pg::ArrayLiteral(origins), pg::ArrayLiteral(quantities),
        pg::ArrayLiteral(prices));
  }
  std::map<std::string, std::string> known;  // platform number -> the order imported before
  if (!known_numbers.empty()) {
    for (const auto& r :
         tx.exec_params("SELECT platform_order_no, order_id FROM orders WHERE platform_order_no = "
                        "ANY($1::text[])",
                        pg::ArrayLiteral(known_numbers))) {
      known[r[0].as<std::string>()] = r[1].as<std::string>();
    }
  }
  for (const v1::Order* o : settled_orders) {
    if (auto s = AttributeSettlement(tx, rt, *o, *ParseDate(o->settled_on()), request.batch_id());
        !s.ok()) {
      return s;
    }
  }
  int64_t accepted = 0;
  for (size_t k = 0; k < orders.size(); ++k) {
    auto* result = results[candidates[k]];
    if (inserted.count(orders[k].order_id())) {
      result->set_outcome(v1::ROW_OUTCOME_ACCEPTED);
      result->set_order_id(orders[k].order_id());
      ++accepted;
    } else {
      result->set_outcome(v1::ROW_OUTCOME_ALREADY_IMPORTED);
      result->set_order_id(known[orders[k].platform_order_no()]);
    }
  }
  return accepted;
}

grpc::ServerBidiReactor<v1::ImportPlatformOrdersRequest, v1::ImportPlatformOrdersResponse>*
ConsumptionServiceImpl::ImportPlatformOrders(Ctx* ctx) {
  using Request = v1::ImportPlatformOrdersRequest;
  using Response = v1::ImportPlatformOrdersResponse;
  server::Runtime& rt = rt_;
  return new server::BatchStreamReactor<Request, Response>(
      ctx, rt_,
      server::BatchStreamSpec<Request, Response>{
          .action = "consumption.import.orders",
          .max_rows_per_message = kMaxImportRowsPerMessage,
          .batch_id = [](const Request& r) -> const std::string& { return r.batch_id(); },
          .row_count = [](const Request& r) { return r.rows_size(); },
          .apply = [&rt](pqxx::transaction_base& tx, const auth::Principal& principal,
                         const Request& r,
                         Response& out) { return ApplyImportRows(tx, rt, principal, r, out); },
          .close = nullptr});
}

}  // namespace

server::ServiceSpec ConsumptionSpec() {
  return server::ServiceSpec{
      .name = "consumption",
      .grpc_service_name = "zx.consumption.v1.ConsumptionService",
      .migrations = &migrations::ConsumptionMigrations(),
      .make_services = [](server::Runtime& rt) {
        std::vector<std::unique_ptr<grpc::Service>> services;
        services.push_back(std::make_unique<ConsumptionServiceImpl>(rt));
        rt.AddConsumer("monitoring", [] { return std::make_unique<IncomeBookedWork>(); });
        rt.state_gauges = {{"zx_consumption_sales_fen",
                            "Settled sales of the current year net of refunds (fen), "
                            "by origin county and channel",
                            {"origin_county", "channel"},
                            "SELECT l.origin_county, CASE o.channel WHEN 1 THEN "
                            "'platform_832' WHEN 2 THEN 'counter' WHEN 3 THEN "
                            "'live_stream' WHEN 4 THEN 'fair' ELSE 'partner_store' END, "
                            "sum((l.quantity - l.refunded_quantity) * l.unit_price_fen) "
                            "FROM orders o JOIN order_lines l USING (order_id) "
                            "WHERE o.status IN (5, 7) AND o.settled_on >= "
                            "date_trunc('year', current_date) GROUP BY 1, 2",
                            server::CountiesWith(server::InstanceCounties(rt.division),
                                                 {"platform_832", "counter", "live_stream", "fair",
                                                  "partner_store"})}};
        return services;
      }};
}

}  // namespace zx::consumption
