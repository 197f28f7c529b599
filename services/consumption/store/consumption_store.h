// SQL of the consumption service, inside the caller's transaction.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <pqxx/pqxx>

#include "services/consumption/domain/consumption.h"

namespace zx::consumption {

// ---- Suppliers, bindings, products, buyers, partnerships ------------------------------
void UpsertSupplier(pqxx::transaction_base& tx, const v1::Supplier& s);
std::optional<v1::Supplier> FindSupplier(pqxx::transaction_base& tx, const std::string& id);
// Locks the supplier's row until the transaction ends: writers of its
// bindings queue here, so the 100% check sees every binding committed
// before it, new ones included (row locks on existing bindings cannot stop
// two concurrent inserts).
void LockSupplier(pqxx::transaction_base& tx, const std::string& id);
void UpsertBinding(pqxx::transaction_base& tx, const v1::Binding& b);
std::optional<v1::Binding> FindBinding(pqxx::transaction_base& tx, const std::string& id);
// The supplier's bindings (locked when `lock`; a new binding is kept out
// only by LockSupplier).
std::vector<v1::Binding> BindingsOf(pqxx::transaction_base& tx, const std::string& supplier_id,
                                    bool lock);
// The product with its stock column. An update writes p.stock() as given:
// callers pass the stock they read under FindProduct's lock unless the
// request sets it explicitly.
void UpsertProduct(pqxx::transaction_base& tx, const v1::Product& p);
std::optional<v1::Product> FindProduct(pqxx::transaction_base& tx, const std::string& id,
                                       bool lock);
// Many products at once, unlocked, with their stock as last committed.
std::vector<v1::Product> ReadProducts(pqxx::transaction_base& tx,
                                      const std::vector<std::string>& ids);
void AddStock(pqxx::transaction_base& tx, const std::string& product_id, int64_t delta);
// Takes `quantity` from the stock if that much is there (false otherwise).
// The row stays locked until the transaction ends: callers take stock last,
// so concurrent orders of one product queue only for the commit.
bool TakeStock(pqxx::transaction_base& tx, const std::string& product_id, int64_t quantity);
void UpsertBuyer(pqxx::transaction_base& tx, const v1::Buyer& b);
std::optional<v1::Buyer> FindBuyer(pqxx::transaction_base& tx, const std::string& id);
void InsertPartnership(pqxx::transaction_base& tx, const v1::Partnership& p);
std::vector<v1::Partnership> PartnershipsOf(pqxx::transaction_base& tx,
                                            const std::string& partner_province);

// ---- Orders -------------------------------------------------------------------------------
void InsertOrder(pqxx::transaction_base& tx, const v1::Order& o);
// Writes the order's status, dates, refunds and body (and its lines' refunds).
void UpdateOrder(pqxx::transaction_base& tx, const v1::Order& o);
std::optional<v1::Order> FindOrder(pqxx::transaction_base& tx, const std::string& id, bool lock);
// The order id of a line.
std::optional<std::string> OrderOfLine(pqxx::transaction_base& tx, const std::string& line_id);

// ---- Attribution --------------------------------------------------------------------------
struct LineShare {
  Share share;
  std::string household_id;
  std::string village_code;
};
void InsertLineShares(pqxx::transaction_base& tx, const std::string& line_id,
                      const std::vector<LineShare>& shares);
std::vector<LineShare> LineSharesOf(pqxx::transaction_base& tx, const std::string& line_id);
struct AttributionRow {
  v1::Attribution attribution;
  std::string refund_id;
};
void InsertAttributions(pqxx::transaction_base& tx, const std::vector<AttributionRow>& rows);
std::vector<v1::Attribution> AttributionsOf(pqxx::transaction_base& tx, const std::string& line_id);
// What each binding holds of a line now: the sum of its attributions
// (settlement and refunds so far), by binding id.
std::map<std::string, money::Fen> HeldOnLine(pqxx::transaction_base& tx,
                                             const std::string& line_id);
// Records the monitoring service's income record of each attribution event
// (attribution event id, income record id); ids not ours change nothing.
void MarkBookedMany(pqxx::transaction_base& tx,
                    const std::vector<std::pair<std::string, std::string>>& links);

// ---- Policy and reports ---------------------------------------------------------------------
void InsertPolicy(pqxx::transaction_base& tx, const v1::ConsumptionPolicy& p);
// The nearest published policy of the division or an ancestor.
std::optional<v1::ConsumptionPolicy> LoadPolicyFor(pqxx::transaction_base& tx,
                                                   const division::Code& division);
// The latest published policy of the division and of each ancestor that
// published one (at most one per level).
std::vector<v1::ConsumptionPolicy> PoliciesAlong(pqxx::transaction_base& tx,
                                                 const division::Code& division);
struct BuyerYear {
  v1::Buyer buyer;
  YearPurchases purchases;
};
// Every non-partner buyer of the division with its settled purchases of the year.
std::vector<BuyerYear> LoadBuyerYears(pqxx::transaction_base& tx, const division::Code& division,
                                      int year);
v1::SalesReport LoadSales(pqxx::transaction_base& tx, const division::Code& division, int year);
v1::AttributionReport LoadAttributionReport(pqxx::transaction_base& tx,
                                            const division::Code& division, int year,
                                            const std::string& after_household, int limit);

}  // namespace zx::consumption
