#include "services/federation/api/federation_service.h"

#include <google/protobuf/text_format.h>
#include <prometheus/gauge.h>
#include <sodium.h>

#include <algorithm>
#include <condition_variable>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/base/strings.h"
#include "common/errors/errors.h"
#include "common/idempotency/idempotency.h"
#include "common/logging/logging.h"
#include "common/pg/pg.h"
#include "common/time/time.h"
#include "services/federation/store/federation_store.h"
#include "zx/consumption/v1/consumption.grpc.pb.h"
#include "zx/employment/v1/employment.grpc.pb.h"
#include "zx/federation/v1/federation.grpc.pb.h"
#include "zx/monitoring/v1/monitoring.grpc.pb.h"

namespace zx::migrations {
const std::vector<MigrationFile>& FederationMigrations();
}

namespace zx::federation {
namespace {

namespace mon = zx::monitoring::v1;
namespace emp = zx::employment::v1;
namespace con = zx::consumption::v1;
using Ctx = grpc::CallbackServerContext;
using Reactor = grpc::ServerUnaryReactor;
using server::CallContext;

constexpr int kMaxEnvelopesPerCall = 4096;
constexpr size_t kMaxBatchBytes = 1 << 20;
constexpr int kMaxDirectiveItems = 1000;

struct Settings {
  int batch = 256;
  absl::Duration backoff_initial = absl::Milliseconds(100);
  absl::Duration backoff_max = absl::Seconds(30);
  absl::Duration deliver_deadline = absl::Seconds(5);
  absl::Duration sweep_every = absl::Seconds(60);
  bool corrections = false;  // locked_report_policy "correction"
};

// The principal an instance acts as when it applies what a peer sent (a
// policy owned by `owner`): the officials' role of the owner's level.
auth::Principal InstanceActor(const division::Code& owner) {
  auth::Role role = owner.level() == division::Level::kRegion ? auth::Role::kRegionOfficial
                    : owner.level() == division::Level::kPrefecture
                        ? auth::Role::kPrefectureOfficial
                        : auth::Role::kCountyOfficial;
  return auth::Principal{"federation", role, owner, "", ""};
}

// The request id of a call to a local service made on behalf of `id`:
// "fed:" + id, or + its hash when that would pass the 128-character limit.
std::string LocalRequestId(const std::string& id) {
  if (id.size() <= 124) return absl::StrCat("fed:", id);
  unsigned char hash[16];
  crypto_generichash(hash, sizeof hash, reinterpret_cast<const unsigned char*>(id.data()),
                     id.size(), nullptr, 0);
  return absl::StrCat("fed:", absl::BytesToHexString(absl::string_view(
                                  reinterpret_cast<const char*>(hash), sizeof hash)));
}

void SetDeadline(grpc::ClientContext& ctx, absl::Time deadline) {
  ctx.set_deadline(absl::ToChronoTime(deadline));
}

// The identity the peer's server certificate presents (after a call).
std::string ServerIdentity(const grpc::ClientContext& ctx) {
  std::shared_ptr<const grpc::AuthContext> auth = ctx.auth_context();
  if (auth == nullptr) return "";
  std::vector<grpc::string_ref> names = auth->FindPropertyValues("x509_common_name");
  return names.empty() ? "" : std::string(names.front().data(), names.front().size());
}

absl::Status CheckServerIdentity(const grpc::ClientContext& ctx, const Peer& peer) {
  const std::string presented = ServerIdentity(ctx);
  if (presented == peer.identity()) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat("the server at ", peer.address,
                                                  " presents certificate \"", presented, "\", not ",
                                                  peer.identity()));
}

// Shared by the handlers and the background workers of one server.
class Federation {
 public:
  Federation(server::Runtime& rt, v1::FederationConfig config, Topology topology,
             std::string service_token_secret)
      : rt(rt),
        config(std::move(config)),
        topology(std::move(topology)),
        service_token_secret(std::move(service_token_secret)) {
    if (this->config.delivery_batch() > 0) settings.batch = this->config.delivery_batch();
    if (this->config.backoff_initial_ms() > 0) {
      settings.backoff_initial = absl::Milliseconds(this->config.backoff_initial_ms());
    }
    if (this->config.backoff_max_ms() > 0) {
      settings.backoff_max = absl::Milliseconds(this->config.backoff_max_ms());
    }
    if (this->config.delivery_deadline_ms() > 0) {
      settings.deliver_deadline = absl::Milliseconds(this->config.delivery_deadline_ms());
    }
    if (this->config.directive_sweep_seconds() > 0) {
      settings.sweep_every = absl::Seconds(this->config.directive_sweep_seconds());
    }
    settings.corrections = this->config.locked_report_policy() == "correction";
    for (const auto& s : this->config.local_services()) {
      auto channel = grpc::CreateChannel(s.address(), grpc::InsecureChannelCredentials());
      if (s.name() == "monitoring") monitoring = mon::MonitoringService::NewStub(channel);
      if (s.name() == "employment") employment = emp::EmploymentService::NewStub(channel);
      if (s.name() == "consumption") consumption = con::ConsumptionService::NewStub(channel);
    }
    backlog_family = &prometheus::BuildGauge()
                          .Name("zx_federation_backlog")
                          .Help("Messages queued for a peer and not yet acknowledged")
                          .Register(*rt.registry);
  }

  // Channels to peers over mutual TLS, made once the credentials load.
  absl::Status ConnectPeers() {
    const std::string ca = config.tls_ca().empty() ? rt.config.tls_ca : config.tls_ca();
    const std::string cert = config.tls_cert().empty() ? rt.config.tls_cert : config.tls_cert();
    const std::string key = config.tls_key().empty() ? rt.config.tls_key : config.tls_key();
    bool any_address = false;
    for (const Peer& p : topology.peers) any_address |= !p.address.empty();
    if (!any_address) return absl::OkStatus();
    auto credentials = server::MutualTlsChannelCredentials(ca, cert, key);
    if (!credentials.ok()) return credentials.status();
    for (const Peer& p : topology.peers) {
      if (p.address.empty()) continue;
      // gRPC's own reconnect backoff (default up to 120 s) would outlast
      // ours after a healed link: bound it by the delivery backoff.
      grpc::ChannelArguments args;
      args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS,
                  static_cast<int>(absl::ToInt64Milliseconds(settings.backoff_initial)));
      args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS,
                  static_cast<int>(absl::ToInt64Milliseconds(settings.backoff_max)));
      // The handshake verifies the peer's own name (tools/zxca puts
      // "<level>-<division>.zx" in its certificate), not just the address.
      args.SetSslTargetNameOverride(absl::StrCat(LevelName(p.level), "-", p.division.str(), ".zx"));
      peer_stubs[p.division.str()] =
          v1::PeerService::NewStub(grpc::CreateCustomChannel(p.address, *credentials, args));
      backlog[p.division.str()] = &backlog_family->Add(
          {{"peer", p.division.str()}, {"relation", RelationName(p.relation)}});
    }
    return absl::OkStatus();
  }

  v1::PeerService::Stub* PeerStub(const Peer& peer) {
    auto it = peer_stubs.find(peer.division.str());
    return it == peer_stubs.end() ? nullptr : it->second.get();
  }

  // Queues `envelope` for `peer` in the caller's transaction; the peer's
  // worker is woken once it commits.
  int64_t Enqueue(pqxx::transaction_base& tx, const Peer& peer, v1::Envelope envelope) {
    envelope.set_sender_division_code(topology.self.str());
    const int64_t seq = store::Enqueue(tx, peer.division.str(), std::move(envelope));
    pg::AfterCommit(&peer, [this, division = peer.division.str()] { Wake(division); });
    return seq;
  }

  void Wake(const std::string& peer) {
    {
      std::lock_guard lock(mu);
      woken.insert(peer);
    }
    cv.notify_all();
  }

  // Waits up to `limit` for `peer` to be woken; true when it was.
  bool WaitForWake(const std::string& peer, absl::Duration limit) {
    std::unique_lock lock(mu);
    cv.wait_for(lock, absl::ToChronoMilliseconds(limit), [&] { return woken.contains(peer); });
    return woken.erase(peer) > 0;
  }

  // The bearer token of a call to this instance's own services as `actor`:
  // signed with the service key for this instance (what its services verify
  // against, --instance), valid a few minutes; without a service key a
  // development token, which they accept only with --allow-dev-tokens and
  // from loopback.
  std::string LocalToken(const auth::Principal& actor) const {
    if (!service_token_secret.empty()) {
      return absl::StrCat("Bearer ", auth::SignServiceToken(actor, rt.config.instance,
                                                            config.service_token_key_id(),
                                                            service_token_secret, absl::Now()));
    }
    std::string role(auth::RoleName(actor.role));
    if (!actor.department.empty()) absl::StrAppend(&role, ":", actor.department);
    return absl::StrCat("Bearer dev.", actor.division.str(), ".", role, ".", actor.user_id);
  }

  absl::StatusOr<mon::MonitoringService::Stub*> Monitoring() {
    if (monitoring == nullptr) {
      return absl::FailedPreconditionError(
          "no local monitoring service in the federation config (local_services)");
    }
    return monitoring.get();
  }

  // The local service a partner's operation goes to, or FAILED_PRECONDITION
  // when the deployment did not configure it.
  template <typename Stub>
  static absl::StatusOr<Stub*> Local(const std::unique_ptr<Stub>& stub, std::string_view name) {
    if (stub == nullptr) {
      return absl::FailedPreconditionError(absl::StrCat(
          "no local ", AsAbsl(name), " service in the federation config (local_services)"));
    }
    return stub.get();
  }

  server::Runtime& rt;
  v1::FederationConfig config;
  Topology topology;
  // Signs the calls to local services (service_token_secret_file); empty:
  // development tokens.
  const std::string service_token_secret;
  Settings settings;
  std::unique_ptr<mon::MonitoringService::Stub> monitoring;
  std::unique_ptr<emp::EmploymentService::Stub> employment;
  std::unique_ptr<con::ConsumptionService::Stub> consumption;
  std::map<std::string, std::unique_ptr<v1::PeerService::Stub>> peer_stubs;
  prometheus::Family<prometheus::Gauge>* backlog_family = nullptr;
  std::map<std::string, prometheus::Gauge*> backlog;

 private:
  std::mutex mu;
  std::condition_variable cv;
  std::set<std::string> woken;
};

// ---- Calls to this instance's monitoring service ----------------------------

// The instance's roll-up for a period: live for the current month, else as
// of the month's last day (monitoring answers a past day from its closing).
absl::StatusOr<mon::Rollup> PeriodRollup(Federation& f, const auth::Principal& actor,
                                         const std::string& period, absl::Time deadline) {
  auto stub = f.Monitoring();
  if (!stub.ok()) return stub.status();
  grpc::ClientContext ctx;
  SetDeadline(ctx, deadline);
  ctx.AddMetadata("authorization", f.LocalToken(actor));
  mon::GetRollupRequest req;
  req.set_division_code(f.topology.self.str());
  if (auto month = time::ParseMonth(period); month && *month < absl::CivilMonth(time::Today())) {
    req.set_as_of(time::FormatDate(absl::CivilDay(*month + 1) - 1));
  }
  mon::Rollup rollup;
  grpc::Status s = (*stub)->GetRollup(&ctx, req, &rollup);
  if (s.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
    // Our own request was refused: the configured service is not this
    // instance's (a deployment error, not the caller's).
    return absl::FailedPreconditionError(absl::StrCat(
        "the local monitoring service cannot give the roll-up of ", f.topology.self.str(),
        " (is local_services pointing at this instance's?): ", s.error_message()));
  }
  if (!s.ok()) return errors::FromGrpcStatus(s);
  return rollup;
}

// Applies a policy through the monitoring service (idempotent on the
// request id; a version it already holds counts as applied).
absl::Status ApplyPolicyLocally(Federation& f, const auth::Principal& actor,
                                const mon::MonitoringPolicy& policy, const std::string& request_id,
                                absl::Time deadline) {
  auto stub = f.Monitoring();
  if (!stub.ok()) return stub.status();
  grpc::ClientContext ctx;
  SetDeadline(ctx, deadline);
  ctx.AddMetadata("authorization", f.LocalToken(actor));
  mon::PublishPolicyRequest req;
  req.set_request_id(request_id);
  *req.mutable_policy() = policy;
  mon::MonitoringPolicy out;
  grpc::Status s = (*stub)->PublishPolicy(&ctx, req, &out);
  if (s.error_code() == grpc::StatusCode::ALREADY_EXISTS) return absl::OkStatus();
  return errors::FromGrpcStatus(s);
}

// ---- Reports -------------------------------------------------------------------

std::vector<std::string> ChildDivisions(const Topology& t) {
  std::vector<std::string> out;
  for (const Peer* c : t.children()) out.push_back(c->division.str());
  return out;
}

// This instance's report: its own roll-up plus, above county level, the
// children's reports of the period.
v1::Report AssembleReport(const Topology& t, const std::string& period, const mon::Rollup& own,
                          const std::vector<v1::Report>& children) {
  v1::Report report;
  report.set_division_code(t.self.str());
  report.set_period(period);
  *report.mutable_built_at() = time::ToProto(absl::Now());
  std::vector<const mon::Rollup*> parts = {&own};
  for (const v1::Report& c : children) {
    parts.push_back(&c.monitoring());
    report.add_included_children(c.division_code());
  }
  *report.mutable_monitoring() = SumRollups(parts, t.self.str());
  report.mutable_monitoring()->set_live(own.live());
  return report;
}

v1::ChildrenReport ChildrenView(const Topology& t, const std::string& period,
                                std::vector<v1::Report> rows) {
  v1::ChildrenReport out;
  out.set_period(period);
  std::vector<std::string> reported;
  std::vector<const mon::Rollup*> parts;
  bool all_approved = !rows.empty();
  for (const v1::Report& r : rows) {
    reported.push_back(r.division_code());
    all_approved &= r.approval() == v1::APPROVAL_STATE_APPROVED;
  }
  for (const std::string& m : MissingChildren(t, reported)) out.add_missing_children(m);
  for (v1::Report& r : rows) *out.add_children() = std::move(r);
  for (const v1::Report& r : out.children()) parts.push_back(&r.monitoring());
  *out.mutable_aggregate() = SumRollups(parts, t.self.str());
  out.set_all_approved(all_approved && out.missing_children().empty());
  return out;
}

// A list's `direction` filter: one of the two names, or empty for both.
void CheckDirection(errors::Validator& v, const std::string& direction, std::string_view mine,
                    std::string_view theirs) {
  if (!direction.empty() && direction != mine && direction != theirs) {
    v.Add("direction",
          absl::StrCat("must be \"", AsAbsl(mine), "\", \"", AsAbsl(theirs), "\" or empty"));
  }
}

absl::StatusOr<std::string> CanonicalPeriod(const std::string& text, errors::Validator& v) {
  auto month = ParsePeriod(text);
  if (!month.ok()) {
    v.Check("period", month.status());
    return month.status();
  }
  return time::FormatMonth(*month);
}

// ---- Applying what a peer sent (inside the receiver's transaction) -------------

void ApplyReport(pqxx::transaction_base& tx, const Peer& child, const v1::Report& sent) {
  auto existing = store::LoadReport(tx, child.division.str(), sent.period(), true);
  if (existing.has_value() && existing->revision() >= sent.revision()) return;
  v1::Report report = sent;
  if (existing.has_value() && existing->approval() == v1::APPROVAL_STATE_APPROVED) {
    // A change after approval is a correction: approval re-opens.
    report.set_correction(true);
    logging::Warn("report_correction_reopens_approval",
                  {{"child", child.division.str()}, {"period", sent.period()}});
  }
  report.set_approval(v1::APPROVAL_STATE_SUBMITTED);
  report.clear_approved_by();
  report.clear_approved_at();
  store::SaveReport(tx, report);
}

void ApplyApproval(pqxx::transaction_base& tx, const division::Code& self,
                   const v1::ApprovalNotice& notice) {
  auto own = store::LoadReport(tx, self.str(), notice.period(), true);
  if (!own.has_value() || own->revision() != notice.revision()) return;
  own->set_approval(notice.approved() ? v1::APPROVAL_STATE_APPROVED : v1::APPROVAL_STATE_SUBMITTED);
  own->set_approved_by(notice.approved() ? notice.actor() : "");
  if (notice.approved()) {
    *own->mutable_approved_at() = time::ToProto(absl::Now());
  } else {
    own->clear_approved_at();
  }
  store::SaveReport(tx, *own);
}

void ApplyPolicy(Federation& f, pqxx::transaction_base& tx, const Peer& parent,
                 const v1::PolicyMessage& message) {
  v1::PolicyRelease release;
  *release.mutable_policy() = message.policy();
  release.set_published_by(message.published_by());
  *release.mutable_published_at() = message.published_at();
  if (!store::SaveRelease(tx, release)) return;
  v1::PolicyAck ack;
  ack.set_division_code(f.topology.self.str());
  *ack.mutable_applied_at() = time::ToProto(absl::Now());
  store::SaveAck(tx, message.policy().owner_division_code(), message.policy().version(), ack);
  v1::Envelope up;
  auto* a = up.mutable_policy_ack();
  a->set_owner_division_code(message.policy().owner_division_code());
  a->set_version(message.policy().version());
  *a->mutable_ack() = ack;
  f.Enqueue(tx, parent, up);
  for (const Peer* child : f.topology.children()) {
    v1::Envelope down;
    *down.mutable_policy() = message;
    f.Enqueue(tx, *child, down);
  }
}

void ApplyPolicyAck(Federation& f, pqxx::transaction_base& tx, const v1::PolicyAckMessage& m) {
  store::SaveAck(tx, m.owner_division_code(), m.version(), m.ack());
  if (m.owner_division_code() != f.topology.self.str()) {
    if (const Peer* parent = f.topology.parent()) {
      v1::Envelope up;
      *up.mutable_policy_ack() = m;
      f.Enqueue(tx, *parent, up);
    }
  }
}

void ApplyDirective(pqxx::transaction_base& tx, const Peer& from, const v1::DirectiveMessage& m) {
  const v1::Directive& sent = m.directive();
  auto stored = store::LoadDirective(tx, sent.directive_id(), true);
  if (from.relation == Relation::kParent) {
    if (!stored.has_value()) {
      store::SaveDirective(tx, "received", sent);
      return;
    }
    v1::Directive d = stored->directive;
    d.set_reminders(sent.reminders());
    if (m.reminder() && d.status() != v1::DIRECTIVE_STATUS_COMPLETED) {
      d.set_status(v1::DIRECTIVE_STATUS_OVERDUE);
      if (sent.history_size() > 0) *d.add_history() = sent.history(sent.history_size() - 1);
    }
    store::SaveDirective(tx, "received", d);
    return;
  }
  // A step from the child the stored directive targets, and a legal one.
  if (!stored.has_value() || stored->direction != "issued") return;
  v1::Directive d = stored->directive;
  auto target = division::Code::Parse(d.target_division_code());
  if (!target.ok() || !from.division.IsAncestorOrSelfOf(*target) ||
      !(IsDirectiveStep(d.status(), sent.status()) ||
        (d.status() == v1::DIRECTIVE_STATUS_OVERDUE &&
         IsDirectiveStep(v1::DIRECTIVE_STATUS_IN_PROGRESS, sent.status())))) {
    logging::Warn("directive_step_ignored", {{"directive", d.directive_id()},
                                             {"from", from.division.str()},
                                             {"status", v1::DirectiveStatus_Name(d.status())},
                                             {"sent", v1::DirectiveStatus_Name(sent.status())}});
    return;
  }
  if (sent.status() == v1::DIRECTIVE_STATUS_COMPLETED ||
      d.status() != v1::DIRECTIVE_STATUS_OVERDUE) {
    d.set_status(sent.status());
  }
  d.set_completed_late(sent.completed_late());
  if (sent.history_size() > 0) *d.add_history() = sent.history(sent.history_size() - 1);
  store::SaveDirective(tx, "issued", d);
}

void ApplyEscalation(pqxx::transaction_base& tx, const Peer& from, const v1::Escalation& sent) {
  auto stored = store::LoadEscalation(tx, sent.escalation_id(), true);
  if (from.relation == Relation::kChild) {
    if (!stored.has_value()) store::SaveEscalation(tx, "received", sent);
    return;
  }
  // The parent's decision on one this instance raised.
  if (stored.has_value() && stored->direction == "raised") {
    store::SaveEscalation(tx, "raised", sent);
  }
}

// One child's households through its PeerService (drill-down, or a relay
// further down), checking the child's identity.
absl::Status ListChildHouseholds(Federation& f, const Peer& child,
                                 const v1::PeerListHouseholdsRequest& req, absl::Time deadline,
                                 mon::ListHouseholdsResponse* resp) {
  v1::PeerService::Stub* stub = f.PeerStub(child);
  if (stub == nullptr) return absl::FailedPreconditionError("no channel to that child");
  grpc::ClientContext client;
  SetDeadline(client, deadline);
  grpc::Status s = stub->ListHouseholds(&client, req, resp);
  if (!s.ok()) return errors::FromGrpcStatus(s);
  return CheckServerIdentity(client, child);
}

// ---- Delivery ------------------------------------------------------------------

// One Deliver call with the next queued batch. OK(true) when more may wait.
absl::StatusOr<bool> DeliverBatch(Federation& f, const Peer& peer) {
  const std::string division = peer.division.str();
  std::vector<v1::Envelope> batch;
  store::LinkState link;
  absl::Status loaded = pg::WithTransaction(*f.rt.pool, [&](pqxx::transaction_base& tx) {
    auto l = store::LoadLink(tx, division);
    if (l.has_value()) link = *l;
    batch = store::LoadQueued(tx, division, link.acked_seq, f.settings.batch);
    return absl::OkStatus();
  });
  if (!loaded.ok()) return loaded;
  if (auto g = f.backlog.find(division); g != f.backlog.end()) {
    g->second->Set(static_cast<double>(link.last_seq - link.acked_seq));
  }
  if (batch.empty()) return false;
  // A batch stays well under the receiver's message limit (4 MiB default):
  // at most 1 MiB of envelopes, and always at least one.
  v1::DeliverRequest req;
  size_t bytes = 0;
  for (v1::Envelope& e : batch) {
    bytes += e.ByteSizeLong();
    if (req.envelopes_size() > 0 && bytes > kMaxBatchBytes) break;
    *req.add_envelopes() = std::move(e);
  }
  grpc::ClientContext ctx;
  SetDeadline(ctx, absl::Now() + f.settings.deliver_deadline);
  v1::DeliverResponse resp;
  v1::PeerService::Stub* stub = f.PeerStub(peer);
  if (stub == nullptr) return absl::FailedPreconditionError("no channel to the peer");
  grpc::Status s = stub->Deliver(&ctx, req, &resp);
  if (!s.ok()) return errors::FromGrpcStatus(s);
  if (auto who = CheckServerIdentity(ctx, peer); !who.ok()) return who;
  const int64_t first = req.envelopes(0).seq();
  if (resp.last_applied_seq() < first) {
    return absl::DataLossError(absl::StrCat("the peer applied only up to seq ",
                                            resp.last_applied_seq(), "; this side sent from ",
                                            first, " (did the peer lose its database?)"));
  }
  absl::Status marked = pg::WithTransaction(*f.rt.pool, [&](pqxx::transaction_base& tx) {
    return store::MarkDelivered(tx, division, resp.last_applied_seq());
  });
  if (!marked.ok()) return marked;
  const int64_t backlog = std::max<int64_t>(0, link.last_seq - resp.last_applied_seq());
  if (auto g = f.backlog.find(division); g != f.backlog.end()) {
    g->second->Set(static_cast<double>(backlog));
  }
  return backlog > 0 || req.envelopes_size() < static_cast<int>(batch.size()) ||
         static_cast<int>(batch.size()) == f.settings.batch;
}

// The per-peer worker: delivers in order, one batch in flight, retrying
// with exponential backoff and jitter; woken by commits that queue for it.
void DeliveryLoop(Federation& f, const Peer& peer, const std::atomic<bool>& stop) {
  const std::string division = peer.division.str();
  int attempts = 0;
  absl::Time next_try = absl::InfinitePast();
  bool more = true;  // look once at start: a backlog from before a restart
  absl::Time last_look = absl::Now();
  while (!stop.load()) {
    if (!more) {
      // Bounded waits so a stop request is seen within half a second; and
      // a look every 5 s regardless, for rows queued by another replica.
      more = f.WaitForWake(division, absl::Milliseconds(500)) ||
             absl::Now() - last_look >= absl::Seconds(5);
      if (!more) continue;
    }
    last_look = absl::Now();
    if (attempts > 0 && absl::Now() < next_try) {
      absl::SleepFor(std::min(next_try - absl::Now(), absl::Milliseconds(200)));
      continue;
    }
    auto result = DeliverBatch(f, peer);
    if (result.ok()) {
      if (attempts > 0) {
        logging::Info("peer_delivery_resumed",
                      {{"peer", division}, {"after_attempts", std::to_string(attempts)}});
      }
      attempts = 0;
      more = *result;
      continue;
    }
    ++attempts;
    const double jitter = 0.5 + 0.5 * (randombytes_uniform(1'000'000) / 1'000'000.0);
    next_try =
        absl::Now() + Backoff(attempts, f.settings.backoff_initial, f.settings.backoff_max, jitter);
    more = true;
    const std::string error = result.status().ToString();
    if (attempts == 1 || attempts % 10 == 0) {
      logging::Warn("peer_delivery_failed",
                    {{"peer", division}, {"attempts", std::to_string(attempts)}, {"error", error}});
    }
    (void)pg::WithTransaction(*f.rt.pool, [&](pqxx::transaction_base& tx) {
      store::RecordFailure(tx, division, error);
      return absl::OkStatus();
    });
  }
}

// Records a step of a directive's life in its history.
void AddHistory(v1::Directive& d, v1::DirectiveStatus status, const std::string& actor,
                const std::string& note = "") {
  v1::DirectiveEvent* e = d.add_history();
  e->set_status(status);
  e->set_actor(actor);
  e->set_note(note);
  *e->mutable_at() = time::ToProto(absl::Now());
}

// Queues the directive's current state for `peer` (inside the caller's
// transaction).
void SendDirective(Federation& f, pqxx::transaction_base& tx, const Peer& peer,
                   const v1::Directive& d, bool reminder = false) {
  v1::Envelope env;
  *env.mutable_directive()->mutable_directive() = d;
  env.mutable_directive()->set_reminder(reminder);
  f.Enqueue(tx, peer, env);
}

// Tells the child whose report `r` is that its period was approved (or the
// approval withdrawn), naming the revision decided.
void NotifyApproval(Federation& f, pqxx::transaction_base& tx, const v1::Report& r,
                    const std::string& actor, const std::string& reason = "") {
  v1::Envelope env;
  auto* n = env.mutable_approval();
  n->set_period(r.period());
  n->set_revision(r.revision());
  n->set_approved(r.approval() == v1::APPROVAL_STATE_APPROVED);
  n->set_actor(actor);
  n->set_reason(reason);
  auto child = division::Code::Parse(r.division_code());
  if (const Peer* p = child.ok() ? f.topology.Find(*child, Relation::kChild) : nullptr) {
    f.Enqueue(tx, *p, env);
  }
}

// Marks issued directives overdue once their deadline passed, reminds the
// receiving instance and tells the issuer (a warning and the status).
void SweepOverdue(Federation& f) {
  const std::string today = time::FormatDate(time::Today());
  absl::Status s = pg::WithTransaction(*f.rt.pool, [&](pqxx::transaction_base& tx) {
    for (v1::Directive d : store::LockOverdue(tx, today)) {
      auto target = division::Code::Parse(d.target_division_code());
      const Peer* child = target.ok() ? f.topology.ChildContaining(*target) : nullptr;
      d.set_status(v1::DIRECTIVE_STATUS_OVERDUE);
      d.set_reminders(d.reminders() + 1);
      AddHistory(d, v1::DIRECTIVE_STATUS_OVERDUE, absl::StrCat("instance@", f.topology.self.str()),
                 absl::StrCat("deadline ", d.deadline(), " passed; reminder sent"));
      store::SaveDirective(tx, "issued", d);
      logging::Warn("directive_overdue", {{"directive", d.directive_id()},
                                          {"target", d.target_division_code()},
                                          {"deadline", d.deadline()}});
      if (child != nullptr) SendDirective(f, tx, *child, d, /*reminder=*/true);
    }
    return absl::OkStatus();
  });
  if (!s.ok()) logging::Warn("directive_sweep_failed", {{"error", s.ToString()}});
}

// ---- FederationService -----------------------------------------------------------

class FederationServiceImpl final : public v1::FederationService::CallbackService {
 public:
  explicit FederationServiceImpl(std::shared_ptr<Federation> f) : f_(std::move(f)) {}

  Reactor* GetFederationStatus(Ctx* ctx, const v1::GetFederationStatusRequest*,
                               v1::FederationStatus* resp) override {
    return server::Handle(ctx, f_->rt, [this, resp](CallContext& call) -> absl::Status {
      const Topology& t = f_->topology;
      if (auto a = call.Authorize("federation.status.get", t.self); !a.ok()) return a;
      resp->set_division_code(t.self.str());
      resp->set_level(t.level);
      return pg::WithTransaction(*f_->rt.pool, call.tx(), [&](pqxx::transaction_base& tx) {
        for (const Peer& p : t.peers) {
          v1::PeerStatus* s = resp->add_peers();
          s->set_division_code(p.division.str());
          s->set_level(p.level);
          s->set_relation(RelationName(p.relation));
          s->set_address(p.address);
          s->set_name(p.name);
          if (auto link = store::LoadLink(tx, p.division.str())) {
            s->set_last_enqueued_seq(link->last_seq);
            s->set_last_acked_seq(link->acked_seq);
            s->set_backlog(link->last_seq - link->acked_seq);
            s->set_attempts(link->attempts);
            s->set_last_error(link->last_error);
            if (link->delivered_at) {
              *s->mutable_last_delivered_at() = time::ToProto(
                  absl::FromUnixMicros(static_cast<int64_t>(*link->delivered_at * 1e6)));
            }
          }
          s->set_last_received_seq(store::LoadInbox(tx, p.division.str()));
        }
        return absl::OkStatus();
      });
    });
  }

  Reactor* BuildReport(Ctx* ctx, const v1::BuildReportRequest* req, v1::Report* resp) override {
    return server::Handle(ctx, f_->rt, [this, req, resp](CallContext& call) -> absl::Status {
      errors::Validator v;
      auto period = CanonicalPeriod(req->period(), v);
      if (!v.ok()) return v.ToStatus();
      if (auto a = call.Authorize("federation.report.build", f_->topology.self); !a.ok()) return a;
      auto own = PeriodRollup(*f_, call.principal, *period, call.deadline);
      if (!own.ok()) return own.status();
      return pg::WithTransaction(*f_->rt.pool, call.tx(), [&](pqxx::transaction_base& tx) {
        auto children = store::LoadReports(tx, ChildDivisions(f_->topology), *period, false);
        *resp = AssembleReport(f_->topology, *period, *own, children);
        return absl::OkStatus();
      });
    });
  }

  Reactor* SubmitReport(Ctx* ctx, const v1::SubmitReportRequest* req, v1::Report* resp) override {
    return server::Handle(ctx, f_->rt, [this, req, resp](CallContext& call) -> absl::Status {
      errors::Validator v;
      v.Check("request_id", idempotency::ValidateRequestId(req->request_id()));
      auto period = CanonicalPeriod(req->period(), v);
      if (!v.ok()) return v.ToStatus();
      const Topology& t = f_->topology;
      if (auto a = call.Authorize("federation.report.submit", t.self); !a.ok()) return a;
      const Peer* parent = t.parent();
      if (parent == nullptr) {
        return absl::FailedPreconditionError("this instance has no parent to report to");
      }
      auto own = PeriodRollup(*f_, call.principal, *period, call.deadline);
      if (!own.ok()) return own.status();
      return pg::WithTransaction(*f_->rt.pool, call.tx(), [&](pqxx::transaction_base& tx) {
        return idempotency::Run(tx, "federation.SubmitReport", req->request_id(), *req, *resp,
                                [&] { return SubmitOwnReport(tx, *parent, *period, *own, resp); });
      });
    });
  }

  Reactor* GetChildrenReport(Ctx* ctx, const v1::GetChildrenReportRequest* req,
                             v1::ChildrenReport* resp) override {
    return server::Handle(ctx, f_->rt, [this, req, resp](CallContext& call) -> absl::Status {
      errors::Validator v;
      auto period = CanonicalPeriod(req->period(), v);
      if (!v.ok()) return v.ToStatus();
      if (auto a = call.Authorize("federation.report.children", f_->topology.self); !a.ok()) {
        return a;
      }
      return pg::WithTransaction(*f_->rt.pool, call.tx(), [&](pqxx::transaction_base& tx) {
        *resp = ChildrenView(f_->topology, *period,
                             store::LoadReports(tx, ChildDivisions(f_->topology), *period, false));
        return absl::OkStatus();
      });
    });
  }

  Reactor* ApprovePeriod(Ctx* ctx, const v1::ApprovePeriodRequest* req,
                         v1::ChildrenReport* resp) override {
    return server::Handle(ctx, f_->rt, [this, req, resp](CallContext& call) -> absl::Status {
      errors::Validator v;
      v.Check("request_id", idempotency::ValidateRequestId(req->request_id()));
      auto period = CanonicalPeriod(req->period(), v);
      if (!v.ok()) return v.ToStatus();
      const Topology& t = f_->topology;
      if (auto a = call.Authorize("federation.report.approve", t.self); !a.ok()) return a;
      if (t.children().empty()) {
        return absl::FailedPreconditionError(
            "this instance has no children whose reports to approve");
      }
      // The aggregate goes up after approval: read the own roll-up first.
      std::optional<mon::Rollup> own;
      if (t.parent() != nullptr) {
        auto rollup = PeriodRollup(*f_, call.principal, *period, call.deadline);
        if (!rollup.ok()) return rollup.status();
        own = std::move(*rollup);
      }
      return pg::WithTransaction(*f_->rt.pool, call.tx(), [&](pqxx::transaction_base& tx) {
        return idempotency::Run(
            tx, "federation.ApprovePeriod", req->request_id(), *req, *resp, [&] {
              auto rows = store::LoadReports(tx, ChildDivisions(t), *period, true);
              std::vector<std::string> reported;
              for (const v1::Report& r : rows) reported.push_back(r.division_code());
              std::vector<std::string> missing = MissingChildren(t, reported);
              if (!missing.empty()) {
                return absl::FailedPreconditionError(
                    absl::StrCat("cannot approve ", *period,
                                 " before every child has reported; "
                                 "missing: ",
                                 absl::StrJoin(missing, ", ")));
              }
              for (v1::Report& r : rows) {
                if (r.approval() == v1::APPROVAL_STATE_APPROVED) continue;
                r.set_approval(v1::APPROVAL_STATE_APPROVED);
                r.set_approved_by(call.principal.ToString());
                *r.mutable_approved_at() = time::ToProto(absl::Now());
                store::SaveReport(tx, r);
                NotifyApproval(*f_, tx, r, call.principal.ToString());
              }
              if (own.has_value()) {
                v1::Report discard;
                if (auto s = SubmitOwnReport(tx, *t.parent(), *period, *own, &discard); !s.ok()) {
                  return s;
                }
              }
              *resp = ChildrenView(t, *period, std::move(rows));
              return absl::OkStatus();
            });
      });
    });
  }

  Reactor* UnapprovePeriod(Ctx* ctx, const v1::UnapprovePeriodRequest* req,
                           v1::ChildrenReport* resp) override {
    return server::Handle(ctx, f_->rt, [this, req, resp](CallContext& call) -> absl::Status {
      errors::Validator v;
      v.Check("request_id", idempotency::ValidateRequestId(req->request_id()));
      auto period = CanonicalPeriod(req->period(), v);
      if (req->reason().empty()) v.Add("reason", "say why the approval is withdrawn");
      v.CheckText("reason", req->reason(), 500);
      const Topology& t = f_->topology;
      const Peer* only = nullptr;
      if (!req->child_division_code().empty()) {
        auto code = division::Code::Parse(req->child_division_code());
        only = code.ok() ? t.Find(*code, Relation::kChild) : nullptr;
        if (only == nullptr) v.Add("child_division_code", "not a child of this instance");
      }
      if (!v.ok()) return v.ToStatus();
      if (auto a = call.Authorize("federation.report.unapprove", t.self); !a.ok()) return a;
      return pg::WithTransaction(*f_->rt.pool, call.tx(), [&](pqxx::transaction_base& tx) {
        return idempotency::Run(
            tx, "federation.UnapprovePeriod", req->request_id(), *req, *resp, [&] {
              auto rows = store::LoadReports(tx, ChildDivisions(t), *period, true);
              for (v1::Report& r : rows) {
                if (only != nullptr && r.division_code() != only->division.str()) continue;
                if (r.approval() != v1::APPROVAL_STATE_APPROVED) continue;
                r.set_approval(v1::APPROVAL_STATE_SUBMITTED);
                r.clear_approved_by();
                r.clear_approved_at();
                store::SaveReport(tx, r);
                NotifyApproval(*f_, tx, r, call.principal.ToString(), req->reason());
              }
              *resp = ChildrenView(t, *period, std::move(rows));
              return absl::OkStatus();
            });
      });
    });
  }

  Reactor* PublishPolicy(Ctx* ctx, const v1::PublishPolicyRequest* req,
                         v1::PolicyRelease* resp) override {
    return server::Handle(ctx, f_->rt, [this, req, resp](CallContext& call) -> absl::Status {
      errors::Validator v;
      v.Check("request_id", idempotency::ValidateRequestId(req->request_id()));
      const Topology& t = f_->topology;
      if (!req->has_policy()) v.Add("policy", "is required");
      if (req->policy().owner_division_code() != t.self.str()) {
        v.Add("policy.owner_division_code",
              absl::StrCat("must be this instance's division ", t.self.str()));
      }
      if (req->policy().version().empty()) v.Add("policy.version", "is required");
      if (!v.ok()) return v.ToStatus();
      if (auto a = call.Authorize("federation.policy.publish", t.self); !a.ok()) return a;
      // The own monitoring service applies it first (and checks every field).
      if (auto applied = ApplyPolicyLocally(*f_, call.principal, req->policy(),
                                            LocalRequestId(req->request_id()), call.deadline);
          !applied.ok()) {
        return applied;
      }
      return pg::WithTransaction(*f_->rt.pool, call.tx(), [&](pqxx::transaction_base& tx) {
        return idempotency::Run(
            tx, "federation.PublishPolicy", req->request_id(), *req, *resp, [&] {
              v1::PolicyRelease release;
              *release.mutable_policy() = req->policy();
              release.set_published_by(call.principal.ToString());
              *release.mutable_published_at() = time::ToProto(absl::Now());
              if (!store::SaveRelease(tx, release)) {
                return absl::AlreadyExistsError(absl::StrCat(
                    "policy version ", req->policy().version(), " was already published here"));
              }
              v1::PolicyAck ack;
              ack.set_division_code(t.self.str());
              *ack.mutable_applied_at() = release.published_at();
              store::SaveAck(tx, t.self.str(), req->policy().version(), ack);
              for (const Peer* child : t.children()) {
                v1::Envelope env;
                auto* m = env.mutable_policy();
                *m->mutable_policy() = release.policy();
                m->set_published_by(release.published_by());
                *m->mutable_published_at() = release.published_at();
                f_->Enqueue(tx, *child, env);
              }
              *resp = *store::LoadRelease(tx, t.self.str(), req->policy().version());
              return absl::OkStatus();
            });
      });
    });
  }

  Reactor* GetPolicyRelease(Ctx* ctx, const v1::GetPolicyReleaseRequest* req,
                            v1::PolicyRelease* resp) override {
    return server::Handle(ctx, f_->rt, [this, req, resp](CallContext& call) -> absl::Status {
      errors::Validator v;
      auto owner = division::Code::Parse(req->owner_division_code());
      v.Check("owner_division_code", owner.status());
      if (req->version().empty()) v.Add("version", "is required");
      if (!v.ok()) return v.ToStatus();
      if (auto a = call.Authorize("federation.policy.get", f_->topology.self); !a.ok()) return a;
      return pg::WithTransaction(*f_->rt.pool, call.tx(), [&](pqxx::transaction_base& tx) {
        auto release = store::LoadRelease(tx, owner->str(), req->version());
        if (!release.has_value()) {
          return absl::NotFoundError(
              absl::StrCat("no policy ", req->version(), " of ", owner->str()));
        }
        *resp = std::move(*release);
        return absl::OkStatus();
      });
    });
  }

  Reactor* IssueDirective(Ctx* ctx, const v1::IssueDirectiveRequest* req,
                          v1::Directive* resp) override {
    return server::Handle(ctx, f_->rt, [this, req, resp](CallContext& call) -> absl::Status {
      errors::Validator v;
      v.Check("request_id", idempotency::ValidateRequestId(req->request_id()));
      const Topology& t = f_->topology;
      auto target = division::Code::Parse(req->target_division_code());
      const Peer* child = nullptr;
      if (!target.ok()) {
        v.Check("target_division_code", target.status());
      } else if ((child = t.ChildContaining(*target)) == nullptr) {
        v.Add("target_division_code",
              absl::StrCat("not inside any child instance of ", t.self.str()));
      }
      if (req->subject().empty()) v.Add("subject", "is required (e.g. verify_households)");
      v.CheckText("subject", req->subject(), 64);
      v.CheckText("title", req->title(), 500);
      v.CheckCount("items", static_cast<size_t>(req->items_size()), kMaxDirectiveItems);
      for (int i = 0; i < req->items_size(); ++i) {
        v.CheckText(absl::StrCat("items[", i, "]"), req->items(i), 128);
      }
      if (!time::ParseDate(req->deadline()).has_value()) {
        v.Add("deadline", "must be a date YYYY-MM-DD");
      }
      if (!v.ok()) return v.ToStatus();
      if (auto a = call.Authorize("federation.directive.issue", *target); !a.ok()) return a;
      return pg::WithTransaction(*f_->rt.pool, call.tx(), [&](pqxx::transaction_base& tx) {
        return idempotency::Run(
            tx, "federation.IssueDirective", req->request_id(), *req, *resp, [&] {
              v1::Directive d;
              d.set_directive_id(server::NewId("dr"));
              d.set_issuer_division_code(t.self.str());
              d.set_target_division_code(target->str());
              d.set_subject(req->subject());
              d.set_title(req->title());
              *d.mutable_items() = req->items();
              d.set_deadline(req->deadline());
              d.set_status(v1::DIRECTIVE_STATUS_ISSUED);
              AddHistory(d, v1::DIRECTIVE_STATUS_ISSUED, call.principal.ToString());
              store::SaveDirective(tx, "issued", d);
              SendDirective(*f_, tx, *child, d);
              *resp = std::move(d);
              return absl::OkStatus();
            });
      });
    });
  }

  Reactor* AdvanceDirective(Ctx* ctx, const v1::AdvanceDirectiveRequest* req,
                            v1::Directive* resp) override {
    return server::Handle(ctx, f_->rt, [this, req, resp](CallContext& call) -> absl::Status {
      errors::Validator v;
      v.Check("request_id", idempotency::ValidateRequestId(req->request_id()));
      v.CheckId("directive_id", req->directive_id(), "dr");
      if (req->step() == v1::DIRECTIVE_STEP_UNSPECIFIED ||
          !v1::DirectiveStep_IsValid(req->step())) {
        v.Add("step", "must be ACKNOWLEDGE, START or COMPLETE");
      }
      v.CheckText("note", req->note(), 500);
      if (!v.ok()) return v.ToStatus();
      return pg::WithTransaction(*f_->rt.pool, call.tx(), [&](pqxx::transaction_base& tx) {
        return idempotency::Run(
            tx, "federation.AdvanceDirective", req->request_id(), *req, *resp,
            [&]() -> absl::Status {
              auto stored = store::LoadDirective(tx, req->directive_id(), true);
              if (!stored.has_value()) {
                return absl::NotFoundError(absl::StrCat("no directive ", req->directive_id()));
              }
              v1::Directive d = stored->directive;
              auto target = server::StoredDivision(d.target_division_code());
              if (!target.ok()) return target.status();
              if (auto a = call.Authorize("federation.directive.advance", *target); !a.ok())
                return a;
              if (stored->direction != "received") {
                return absl::FailedPreconditionError(
                    "this instance issued the directive; the receiving instance advances it");
              }
              const Peer* parent = f_->topology.parent();
              if (parent == nullptr)
                return absl::InternalError("a received directive needs a parent");
              auto next = federation::AdvanceDirective(d.status(), req->step());
              if (!next.ok()) return next.status();
              auto deadline = time::ParseDate(d.deadline());
              d.set_status(*next);
              if (*next == v1::DIRECTIVE_STATUS_COMPLETED && deadline.has_value() &&
                  time::Today() > *deadline) {
                d.set_completed_late(true);
              }
              AddHistory(d, *next, call.principal.ToString(), req->note());
              store::SaveDirective(tx, "received", d);
              SendDirective(*f_, tx, *parent, d);
              *resp = std::move(d);
              return absl::OkStatus();
            });
      });
    });
  }

  Reactor* GetDirective(Ctx* ctx, const v1::GetDirectiveRequest* req,
                        v1::Directive* resp) override {
    return server::Handle(ctx, f_->rt, [this, req, resp](CallContext& call) -> absl::Status {
      errors::Validator v;
      v.CheckId("directive_id", req->directive_id(), "dr");
      if (!v.ok()) return v.ToStatus();
      return pg::WithTransaction(*f_->rt.pool, call.tx(), [&](pqxx::transaction_base& tx) {
        auto stored = store::LoadDirective(tx, req->directive_id(), false);
        if (!stored.has_value()) {
          return absl::NotFoundError(absl::StrCat("no directive ", req->directive_id()));
        }
        auto target = server::StoredDivision(stored->directive.target_division_code());
        if (!target.ok()) return target.status();
        if (auto a = call.Authorize("federation.directive.get", *target); !a.ok()) return a;
        *resp = std::move(stored->directive);
        return absl::OkStatus();
      });
    });
  }

  Reactor* ListDirectives(Ctx* ctx, const v1::ListDirectivesRequest* req,
                          v1::ListDirectivesResponse* resp) override {
    return server::Handle(ctx, f_->rt, [this, req, resp](CallContext& call) -> absl::Status {
      errors::Validator v;
      CheckDirection(v, req->direction(), "issued", "received");
      if (!v1::DirectiveStatus_IsValid(req->status())) v.Add("status", "unknown status");
      if (!v.ok()) return v.ToStatus();
      if (auto a = call.Authorize("federation.directive.list", f_->topology.self); !a.ok()) {
        return a;
      }
      return pg::WithTransaction(*f_->rt.pool, call.tx(), [&](pqxx::transaction_base& tx) {
        for (auto& d :
             store::ListDirectives(tx, req->direction(), static_cast<int>(req->status()))) {
          auto target = division::Code::Parse(d.directive.target_division_code());
          // Only what lies inside the caller's jurisdiction.
          if (target.ok() && call.principal.division.IsAncestorOrSelfOf(*target)) {
            *resp->add_directives() = std::move(d.directive);
          }
        }
        return absl::OkStatus();
      });
    });
  }

  Reactor* RaiseEscalation(Ctx* ctx, const v1::RaiseEscalationRequest* req,
                           v1::Escalation* resp) override {
    return server::Handle(ctx, f_->rt, [this, req, resp](CallContext& call) -> absl::Status {
      errors::Validator v;
      v.Check("request_id", idempotency::ValidateRequestId(req->request_id()));
      const Topology& t = f_->topology;
      const auto& kinds = EscalationKinds();
      if (std::find(kinds.begin(), kinds.end(), req->kind()) == kinds.end()) {
        v.Add("kind", absl::StrCat("must be one of ", absl::StrJoin(kinds, ", ")));
      }
      auto subject = division::Code::Parse(req->subject_division_code());
      if (!subject.ok()) {
        v.Check("subject_division_code", subject.status());
      } else if (!t.self.IsAncestorOrSelfOf(*subject)) {
        v.Add("subject_division_code", absl::StrCat("must lie inside ", t.self.str()));
      }
      if (req->title().empty()) v.Add("title", "is required");
      v.CheckText("title", req->title(), 200);
      v.CheckText("detail", req->detail(), 4000);
      if (req->amount_fen() < 0) v.Add("amount_fen", "must not be negative");
      if (!v.ok()) return v.ToStatus();
      if (auto a = call.Authorize("federation.escalation.raise", *subject); !a.ok()) return a;
      const Peer* parent = t.parent();
      if (parent == nullptr) {
        return absl::FailedPreconditionError("this instance has no parent to escalate to");
      }
      return pg::WithTransaction(*f_->rt.pool, call.tx(), [&](pqxx::transaction_base& tx) {
        return idempotency::Run(tx, "federation.RaiseEscalation", req->request_id(), *req, *resp,
                                [&] {
                                  v1::Escalation e;
                                  e.set_escalation_id(server::NewId("es"));
                                  e.set_raiser_division_code(t.self.str());
                                  e.set_kind(req->kind());
                                  e.set_subject_division_code(subject->str());
                                  e.set_title(req->title());
                                  e.set_detail(req->detail());
                                  e.set_amount_fen(req->amount_fen());
                                  e.set_status(v1::ESCALATION_STATUS_RAISED);
                                  e.set_raised_by(call.principal.ToString());
                                  *e.mutable_raised_at() = time::ToProto(absl::Now());
                                  store::SaveEscalation(tx, "raised", e);
                                  v1::Envelope env;
                                  *env.mutable_escalation()->mutable_escalation() = e;
                                  f_->Enqueue(tx, *parent, env);
                                  *resp = std::move(e);
                                  return absl::OkStatus();
                                });
      });
    });
  }

  Reactor* DecideEscalation(Ctx* ctx, const v1::DecideEscalationRequest* req,
                            v1::Escalation* resp) override {
    return server::Handle(ctx, f_->rt, [this, req, resp](CallContext& call) -> absl::Status {
      errors::Validator v;
      v.Check("request_id", idempotency::ValidateRequestId(req->request_id()));
      v.CheckId("escalation_id", req->escalation_id(), "es");
      if (req->decision() != v1::ESCALATION_STATUS_APPROVED &&
          req->decision() != v1::ESCALATION_STATUS_REJECTED &&
          req->decision() != v1::ESCALATION_STATUS_NOTED) {
        v.Add("decision", "must be APPROVED, REJECTED or NOTED");
      }
      v.CheckText("note", req->note(), 2000);
      if (!v.ok()) return v.ToStatus();
      return pg::WithTransaction(*f_->rt.pool, call.tx(), [&](pqxx::transaction_base& tx) {
        return idempotency::Run(
            tx, "federation.DecideEscalation", req->request_id(), *req, *resp,
            [&]() -> absl::Status {
              auto stored = store::LoadEscalation(tx, req->escalation_id(), true);
              if (!stored.has_value()) {
                return absl::NotFoundError(absl::StrCat("no escalation ", req->escalation_id()));
              }
              v1::Escalation e = stored->escalation;
              auto subject = server::StoredDivision(e.subject_division_code());
              if (!subject.ok()) return subject.status();
              if (auto a = call.Authorize("federation.escalation.decide", *subject); !a.ok()) {
                return a;
              }
              if (stored->direction != "received") {
                return absl::FailedPreconditionError(
                    "this instance raised the escalation; its parent decides it");
              }
              if (auto d = CheckEscalationDecision(e.status(), req->decision()); !d.ok()) return d;
              auto raiser = division::Code::Parse(e.raiser_division_code());
              const Peer* child =
                  raiser.ok() ? f_->topology.Find(*raiser, Relation::kChild) : nullptr;
              if (child == nullptr) {
                return absl::InternalError("the raiser is no longer a configured child");
              }
              e.set_status(req->decision());
              e.set_decided_by(call.principal.ToString());
              e.set_decision_note(req->note());
              *e.mutable_decided_at() = time::ToProto(absl::Now());
              store::SaveEscalation(tx, "received", e);
              v1::Envelope env;
              *env.mutable_escalation()->mutable_escalation() = e;
              f_->Enqueue(tx, *child, env);
              *resp = std::move(e);
              return absl::OkStatus();
            });
      });
    });
  }

  Reactor* ListEscalations(Ctx* ctx, const v1::ListEscalationsRequest* req,
                           v1::ListEscalationsResponse* resp) override {
    return server::Handle(ctx, f_->rt, [this, req, resp](CallContext& call) -> absl::Status {
      errors::Validator v;
      CheckDirection(v, req->direction(), "raised", "received");
      if (!v1::EscalationStatus_IsValid(req->status())) v.Add("status", "unknown status");
      if (!v.ok()) return v.ToStatus();
      if (auto a = call.Authorize("federation.escalation.list", f_->topology.self); !a.ok()) {
        return a;
      }
      return pg::WithTransaction(*f_->rt.pool, call.tx(), [&](pqxx::transaction_base& tx) {
        for (auto& e :
             store::ListEscalations(tx, req->direction(), static_cast<int>(req->status()))) {
          *resp->add_escalations() = std::move(e.escalation);
        }
        return absl::OkStatus();
      });
    });
  }

  Reactor* DrillDownHouseholds(Ctx* ctx, const v1::DrillDownHouseholdsRequest* req,
                               mon::ListHouseholdsResponse* resp) override {
    return server::Handle(ctx, f_->rt, [this, req, resp](CallContext& call) -> absl::Status {
      errors::Validator v;
      const Topology& t = f_->topology;
      auto division = division::Code::Parse(req->division_code());
      const Peer* child = nullptr;
      if (!division.ok()) {
        v.Check("division_code", division.status());
      } else if ((child = t.ChildContaining(*division)) == nullptr) {
        v.Add("division_code", absl::StrCat("not inside any child instance of ", t.self.str()));
      }
      if (req->page_size() < 0 || req->page_size() > 1000) v.Add("page_size", "must be 0..1000");
      v.CheckText("page_token", req->page_token(), 256);
      if (!v.ok()) return v.ToStatus();
      if (auto a = call.Authorize("federation.drilldown.households", *division); !a.ok()) return a;
      v1::PeerListHouseholdsRequest peer_req;
      peer_req.set_acting_user_id(call.principal.user_id);
      peer_req.set_acting_role(std::string(auth::RoleName(call.principal.role)));
      peer_req.set_acting_division_code(call.principal.division.str());
      peer_req.mutable_request()->set_division_code(division->str());
      peer_req.mutable_request()->set_page_size(req->page_size());
      peer_req.mutable_request()->set_page_token(req->page_token());
      return ListChildHouseholds(*f_, *child, peer_req, call.deadline, resp);
    });
  }

 private:
  // Stores this instance's report of `period` as its next revision and
  // queues it for the parent (inside the caller's transaction).
  absl::Status SubmitOwnReport(pqxx::transaction_base& tx, const Peer& parent,
                               const std::string& period, const mon::Rollup& own, v1::Report* out) {
    const Topology& t = f_->topology;
    auto children = store::LoadReports(tx, ChildDivisions(t), period, true);
    if (!t.children().empty()) {
      v1::ChildrenReport view = ChildrenView(t, period, children);
      if (!view.all_approved()) {
        return absl::FailedPreconditionError(
            absl::StrCat("approve every child's report of ", period, " before reporting upward"));
      }
    }
    v1::Report report = AssembleReport(t, period, own, children);
    auto existing = store::LoadReport(tx, t.self.str(), period, true);
    if (existing.has_value() && existing->approval() == v1::APPROVAL_STATE_APPROVED) {
      if (!f_->settings.corrections) {
        return absl::FailedPreconditionError(absl::StrCat(
            "the parent approved ", period, " (", existing->approved_by(),
            "): the period is locked and this instance's policy refuses later changes"));
      }
      report.set_correction(true);
    }
    report.set_revision(existing.has_value() ? existing->revision() + 1 : 1);
    report.set_approval(v1::APPROVAL_STATE_SUBMITTED);
    store::SaveReport(tx, report);
    v1::Envelope env;
    *env.mutable_report()->mutable_report() = report;
    f_->Enqueue(tx, parent, env);
    *out = std::move(report);
    return absl::OkStatus();
  }

  std::shared_ptr<Federation> f_;
};

// ---- PeerService -------------------------------------------------------------------

class PeerServiceImpl final : public v1::PeerService::CallbackService {
 public:
  explicit PeerServiceImpl(std::shared_ptr<Federation> f) : f_(std::move(f)) {}

  Reactor* Deliver(Ctx* ctx, const v1::DeliverRequest* req, v1::DeliverResponse* resp) override {
    return server::Handle(ctx, f_->rt, [this, req, resp](CallContext& call) -> absl::Status {
      auto peer = Identify(call);
      if (!peer.ok()) return peer.status();
      if (auto a = call.Authorize("federation.peer.deliver", call.principal.division); !a.ok()) {
        return a;
      }
      if (req->envelopes_size() > kMaxEnvelopesPerCall) {
        return errors::InvalidField("envelopes",
                                    absl::StrCat("at most ", kMaxEnvelopesPerCall, " per call"));
      }
      for (int i = 0; i < req->envelopes_size(); ++i) {
        if (auto valid = ValidateEnvelope(req->envelopes(i), i); !valid.ok()) return valid;
      }
      for (const v1::Envelope& e : req->envelopes()) {
        absl::Status allowed =
            e.sender_division_code() != call.principal.division.str()
                ? absl::PermissionDeniedError(
                      absl::StrCat("the certificate presents ", call.principal.division.str(),
                                   " but the envelope claims sender ", e.sender_division_code()))
                : CheckEnvelopeAllowed(**peer, e);
        if (!allowed.ok()) {
          logging::Warn("peer_refused", {{"peer", call.principal.ToString()},
                                         {"reason", std::string(allowed.message())}});
          return allowed;
        }
      }
      const std::string sender = call.principal.division.str();
      // Policies are applied by the monitoring service before the inbox
      // records them (idempotent on the envelope's key, so a retry after a
      // failed commit applies nothing twice). One worker per sender sends,
      // so the read below sees what the transaction will.
      const bool has_policy =
          std::any_of(req->envelopes().begin(), req->envelopes().end(),
                      [](const v1::Envelope& e) { return e.body_case() == v1::Envelope::kPolicy; });
      if (has_policy) {
        int64_t last = 0;
        absl::Status read =
            pg::WithTransaction(*f_->rt.pool, call.tx(), [&](pqxx::transaction_base& tx) {
              last = store::LoadInbox(tx, sender);
              return absl::OkStatus();
            });
        if (!read.ok()) return read;
        for (int i : EnvelopesToApply(last, *req)) {
          const v1::Envelope& e = req->envelopes(i);
          if (e.body_case() != v1::Envelope::kPolicy) continue;
          // CheckEnvelopeAllowed parsed the owner (the parent or above).
          const auto owner = *division::Code::Parse(e.policy().policy().owner_division_code());
          if (auto applied = ApplyPolicyLocally(*f_, InstanceActor(owner), e.policy().policy(),
                                                LocalRequestId(e.idempotency_key()), call.deadline);
              !applied.ok()) {
            return applied;
          }
        }
      }
      return pg::WithTransaction(*f_->rt.pool, call.tx(), [&](pqxx::transaction_base& tx) {
        int64_t applied = store::LockInbox(tx, sender);
        for (int i : EnvelopesToApply(applied, *req)) {
          const v1::Envelope& e = req->envelopes(i);
          switch (e.body_case()) {
            case v1::Envelope::kReport:
              ApplyReport(tx, **peer, e.report().report());
              break;
            case v1::Envelope::kApproval:
              ApplyApproval(tx, f_->topology.self, e.approval());
              break;
            case v1::Envelope::kPolicy:
              ApplyPolicy(*f_, tx, **peer, e.policy());
              break;
            case v1::Envelope::kPolicyAck:
              ApplyPolicyAck(*f_, tx, e.policy_ack());
              break;
            case v1::Envelope::kDirective:
              ApplyDirective(tx, **peer, e.directive());
              break;
            case v1::Envelope::kEscalation:
              ApplyEscalation(tx, **peer, e.escalation().escalation());
              break;
            case v1::Envelope::BODY_NOT_SET:
              break;
          }
          applied = e.seq();
        }
        store::SetInbox(tx, sender, applied);
        resp->set_last_applied_seq(applied);
        return absl::OkStatus();
      });
    });
  }

  Reactor* ListHouseholds(Ctx* ctx, const v1::PeerListHouseholdsRequest* req,
                          mon::ListHouseholdsResponse* resp) override {
    return server::Handle(ctx, f_->rt, [this, req, resp](CallContext& call) -> absl::Status {
      auto peer = Identify(call);
      if (!peer.ok()) return peer.status();
      if ((*peer)->relation != Relation::kParent) {
        return Refuse(call, "only the parent instance drills down into this one");
      }
      errors::Validator v;
      auto role = auth::ParseRole(req->acting_role());
      v.Check("acting_role", role.status());
      auto acting_division = division::Code::Parse(req->acting_division_code());
      v.Check("acting_division_code", acting_division.status());
      if (req->acting_user_id().empty()) v.Add("acting_user_id", "is required");
      v.CheckText("acting_user_id", req->acting_user_id(), 128);
      auto division = division::Code::Parse(req->request().division_code());
      v.Check("request.division_code", division.status());
      if (!v.ok()) return v.ToStatus();
      // The person must sit on the parent's own line: inside its
      // jurisdiction, or above it (a region official relayed through the
      // prefecture) — never in another branch.
      const division::Code& parent = (*peer)->division;
      if (!parent.IsAncestorOrSelfOf(*acting_division) &&
          !acting_division->IsAncestorOrSelfOf(parent)) {
        return Refuse(call, absl::StrCat("the parent may act only for people of its own "
                                         "jurisdiction or above it, not ",
                                         acting_division->str()));
      }
      if (auto a = call.Authorize("federation.peer.households", *division); !a.ok()) return a;
      // The person must hold drill-down there too (supervisors, auditors):
      // a parent cannot claim a local role that sees personal data.
      const auth::Principal acting{req->acting_user_id(), *role, *acting_division, "", ""};
      if (auto held = auth::Authorize(acting, "federation.drilldown.households", *division);
          !held.ok()) {
        return Refuse(call, absl::StrCat("the acting person may not drill down: ", held.message()));
      }
      // A division further down (a region drilling into a county through
      // its prefecture): relay to the child that keeps it, same person.
      if (const Peer* child = f_->topology.ChildContaining(*division)) {
        return ListChildHouseholds(*f_, *child, *req, call.deadline, resp);
      }
      auto stub = f_->Monitoring();
      if (!stub.ok()) return stub.status();
      grpc::ClientContext client;
      SetDeadline(client, call.deadline);
      client.AddMetadata("authorization", f_->LocalToken(acting));
      grpc::Status s = (*stub)->ListHouseholds(&client, req->request(), resp);
      return errors::FromGrpcStatus(s);
    });
  }

  Reactor* GetAgreedReport(Ctx* ctx, const v1::GetAgreedReportRequest* req,
                           v1::Report* resp) override {
    return server::Handle(ctx, f_->rt, [this, req, resp](CallContext& call) -> absl::Status {
      auto peer = Identify(call);
      if (!peer.ok()) return peer.status();
      const Peer& p = **peer;
      if (p.relation == Relation::kChild) {
        return Refuse(call, "a child does not read its parent's reports");
      }
      if (p.relation == Relation::kPartner &&
          std::find(p.grants.begin(), p.grants.end(), "federation.report.read") == p.grants.end()) {
        return Refuse(call, absl::StrCat("operation federation.report.read is not granted to "
                                         "partner ",
                                         p.division.str()));
      }
      errors::Validator v;
      auto period = CanonicalPeriod(req->period(), v);
      if (!v.ok()) return v.ToStatus();
      if (auto a = call.Authorize("federation.peer.report", call.principal.division); !a.ok()) {
        return a;
      }
      return pg::WithTransaction(*f_->rt.pool, call.tx(), [&](pqxx::transaction_base& tx) {
        auto report = store::LoadReport(tx, f_->topology.self.str(), *period, false);
        if (!report.has_value()) {
          return absl::NotFoundError(absl::StrCat("no report for ", *period));
        }
        if (report->approval() != v1::APPROVAL_STATE_APPROVED) {
          return absl::FailedPreconditionError(
              absl::StrCat("the report for ", *period, " is not approved yet"));
        }
        *resp = std::move(*report);
        return absl::OkStatus();
      });
    });
  }

  // ---- Partner provinces, forwarded to the local services ----

  Reactor* PartnerUpsertEmployer(Ctx* ctx, const emp::UpsertEmployerRequest* req,
                                 emp::Employer* resp) override {
    return ForPartner(ctx, "employment.job.post", "federation.partner.employer",
                      [this, req, resp](const auth::Principal& partner, absl::Time deadline) {
                        return CallLocal(Federation::Local(f_->employment, "employment"),
                                         &emp::EmploymentService::StubInterface::UpsertEmployer,
                                         partner, deadline, PartnerRequest(partner, *req), resp);
                      });
  }

  Reactor* PartnerUpsertJob(Ctx* ctx, const emp::UpsertJobRequest* req, emp::Job* resp) override {
    return ForPartner(ctx, "employment.job.post", "federation.partner.job",
                      [this, req, resp](const auth::Principal& partner, absl::Time deadline) {
                        return CallLocal(Federation::Local(f_->employment, "employment"),
                                         &emp::EmploymentService::StubInterface::UpsertJob, partner,
                                         deadline, PartnerRequest(partner, *req), resp);
                      });
  }

  Reactor* PartnerUpsertBuyer(Ctx* ctx, const con::UpsertBuyerRequest* req,
                              con::Buyer* resp) override {
    return ForPartner(ctx, "consumption.order.submit", "federation.partner.buyer",
                      [this, req, resp](const auth::Principal& partner, absl::Time deadline) {
                        return CallLocal(Federation::Local(f_->consumption, "consumption"),
                                         &con::ConsumptionService::StubInterface::UpsertBuyer,
                                         partner, deadline, PartnerRequest(partner, *req), resp);
                      });
  }

  Reactor* PartnerSubmitOrder(Ctx* ctx, const con::SubmitOrderRequest* req,
                              con::Order* resp) override {
    return ForPartner(ctx, "consumption.order.submit", "federation.partner.order",
                      [this, req, resp](const auth::Principal& partner, absl::Time deadline) {
                        return CallLocal(Federation::Local(f_->consumption, "consumption"),
                                         &con::ConsumptionService::StubInterface::SubmitOrder,
                                         partner, deadline, PartnerRequest(partner, *req), resp);
                      });
  }

  Reactor* PartnerGetOrder(Ctx* ctx, const con::GetOrderRequest* req, con::Order* resp) override {
    return ForPartner(ctx, "consumption.order.submit", "federation.partner.order_get",
                      [this, req, resp](const auth::Principal& partner, absl::Time deadline) {
                        return CallLocal(Federation::Local(f_->consumption, "consumption"),
                                         &con::ConsumptionService::StubInterface::GetOrder, partner,
                                         deadline, *req, resp);
                      });
  }

 private:
  // A partner's operation: the caller must be a configured partner holding
  // `grant`; the local service then decides as for any partner (its own
  // validation, idempotency and jurisdiction: the partner's province).
  template <typename Forward>
  Reactor* ForPartner(Ctx* ctx, std::string_view grant, std::string_view action, Forward forward) {
    return server::Handle(
        ctx, f_->rt, [this, grant, action, forward](CallContext& call) -> absl::Status {
          auto peer = Identify(call);
          if (!peer.ok()) return peer.status();
          const Peer& p = **peer;
          if (p.relation != Relation::kPartner) {
            return Refuse(call, "only partner provinces use the partner operations");
          }
          if (std::find(p.grants.begin(), p.grants.end(), grant) == p.grants.end()) {
            return Refuse(call, absl::StrCat("operation ", AsAbsl(grant),
                                             " is not granted to partner ", p.division.str()));
          }
          if (auto a = call.Authorize(action, call.principal.division); !a.ok()) {
            return a;
          }
          return forward(call.principal, call.deadline);
        });
  }

  // The request as forwarded: its request id in the partner's own namespace
  // ("fed:partner:<province>:<id>"), so one partner can neither replay nor
  // pre-claim the ids of another or of local staff. An empty id stays empty
  // (the service then names the missing field).
  template <typename Request>
  static Request PartnerRequest(const auth::Principal& partner, const Request& req) {
    Request out = req;
    if (!req.request_id().empty() && idempotency::ValidateRequestId(req.request_id()).ok()) {
      out.set_request_id(
          LocalRequestId(absl::StrCat("partner:", partner.division.str(), ":", req.request_id())));
    }
    return out;
  }

  // One call to a local service as `actor`; its status is the answer.
  template <typename Stub, typename Request, typename Response>
  absl::Status CallLocal(absl::StatusOr<Stub*> stub,
                         grpc::Status (Stub::StubInterface::*method)(grpc::ClientContext*,
                                                                     const Request&, Response*),
                         const auth::Principal& actor, absl::Time deadline, const Request& req,
                         Response* resp) const {
    if (!stub.ok()) return stub.status();
    grpc::ClientContext client;
    SetDeadline(client, deadline);
    client.AddMetadata("authorization", f_->LocalToken(actor));
    return errors::FromGrpcStatus(((**stub).*method)(&client, req, resp));
  }

  absl::StatusOr<const Peer*> Identify(const CallContext& call) {
    auto peer = IdentifyPeer(f_->topology, call.principal);
    if (!peer.ok()) {
      call.audit.Record("federation.peer", call.principal.division, peer.status());
      logging::Warn("peer_refused", {{"peer", call.principal.ToString()},
                                     {"reason", std::string(peer.status().message())}});
    }
    return peer;
  }

  absl::Status Refuse(const CallContext& call, const std::string& reason) {
    absl::Status refused = absl::PermissionDeniedError(reason);
    call.audit.Record("federation.peer", call.principal.division, refused);
    logging::Warn("peer_refused", {{"peer", call.principal.ToString()}, {"reason", reason}});
    return refused;
  }

  std::shared_ptr<Federation> f_;
};

absl::StatusOr<std::string> ReadText(const std::string& path) {
  std::ifstream in(path);
  if (!in)
    return absl::InvalidArgumentError(absl::StrCat("--federation-config: cannot read ", path));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

absl::StatusOr<FederationSetup> LoadFederationConfig(const config::ServiceConfig& config) {
  auto self = division::Code::Parse(config.division_code);
  if (!self.ok()) return self.status();
  v1::FederationConfig parsed;
  if (config.federation_config.empty()) {
    // A lone instance: no peers (useful for a first county before linking).
    auto level = InstanceLevelOf(*self);
    if (!level.ok()) return level.status();
    parsed.set_level(*level);
  } else {
    auto text = ReadText(config.federation_config);
    if (!text.ok()) return text.status();
    if (!google::protobuf::TextFormat::ParseFromString(*text, &parsed)) {
      return errors::InvalidField("--federation-config",
                                  absl::StrCat(config.federation_config,
                                               " is not a zx.federation.v1.FederationConfig in "
                                               "protobuf text format"));
    }
  }
  auto topology = BuildTopology(*self, parsed);
  if (!topology.ok()) return topology.status();
  bool needs_tls = false;
  for (const Peer& p : topology->peers) needs_tls |= !p.address.empty();
  if (needs_tls) {
    if (config.tls_cert.empty() && parsed.tls_cert().empty()) {
      return errors::InvalidField("--tls-cert", "peers are configured: instances talk mutual TLS");
    }
    auto credentials = server::MutualTlsChannelCredentials(
        parsed.tls_ca().empty() ? config.tls_ca : parsed.tls_ca(),
        parsed.tls_cert().empty() ? config.tls_cert : parsed.tls_cert(),
        parsed.tls_key().empty() ? config.tls_key : parsed.tls_key());
    if (!credentials.ok()) return credentials.status();
  }
  // The service key signing calls to the local services: both or neither.
  std::string secret;
  const std::string& key_id = parsed.service_token_key_id();
  const std::string& secret_file = parsed.service_token_secret_file();
  if (key_id.empty() != secret_file.empty()) {
    return errors::InvalidField(
        key_id.empty() ? "service_token_key_id" : "service_token_secret_file",
        "service_token_key_id and service_token_secret_file go together");
  }
  if (!key_id.empty()) {
    // Tokens are "zx1.<key id>.<claims>.<signature>" and key files
    // "<key id> <public key>": the id must hold no dot and no space.
    if (key_id.size() > 64 || std::any_of(key_id.begin(), key_id.end(), [](char c) {
          return !absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_';
        })) {
      return errors::InvalidField("service_token_key_id",
                                  "must be 1-64 letters, digits, '-' or '_' (a key id of "
                                  "zx-token keygen --kid)");
    }
    auto read = auth::ReadSecretKeyFile(secret_file);
    if (!read.ok()) {
      return errors::InvalidField("service_token_secret_file",
                                  std::string(read.status().message()));
    }
    secret = std::move(*read);
  }
  return FederationSetup{std::move(parsed), std::move(*topology), std::move(secret)};
}

server::ServiceSpec FederationSpec() {
  return server::ServiceSpec{
      .name = "federation",
      .grpc_service_name = "zx.federation.v1.FederationService",
      .migrations = &migrations::FederationMigrations(),
      .check_config =
          [](const config::ServiceConfig& config) { return LoadFederationConfig(config).status(); },
      .make_services =
          [](server::Runtime& rt) {
            auto loaded = LoadFederationConfig(rt.config);  // checked by check_config
            auto f = std::make_shared<Federation>(rt, std::move(loaded->config),
                                                  std::move(loaded->topology),
                                                  std::move(loaded->service_token_secret));
            if (!f->service_token_secret.empty()) {
              logging::Info(
                  "local_calls_use_signed_tokens",
                  {{"key_id", f->config.service_token_key_id()}, {"audience", rt.config.instance}});
            } else if (!f->config.local_services().empty()) {
              logging::Warn(
                  "local_calls_use_development_tokens",
                  {{"detail",
                    "no service_token_key_id in the federation config: calls to local_services "
                    "carry development tokens, accepted only by services run with "
                    "--allow-dev-tokens (then from any local user); production signs them "
                    "(docs/ARCHITECTURE.md §19)"}});
            }
            if (auto s = f->ConnectPeers(); !s.ok()) {
              logging::Error("federation_peers", {{"error", s.ToString()}});
            }
            (void)pg::WithTransaction(*rt.pool, [&](pqxx::transaction_base& tx) {
              for (const Peer& p : f->topology.peers) {
                if (!p.address.empty()) store::EnsureLink(tx, p.division.str());
              }
              return absl::OkStatus();
            });
            for (const Peer& p : f->topology.peers) {
              if (p.address.empty()) continue;
              rt.background_tasks.push_back(
                  [f, &p](const std::atomic<bool>& stop) { DeliveryLoop(*f, p, stop); });
            }
            rt.background_tasks.push_back([f](const std::atomic<bool>& stop) {
              absl::Time next = absl::Now();
              while (!stop.load()) {
                if (absl::Now() >= next) {
                  SweepOverdue(*f);
                  next = absl::Now() + f->settings.sweep_every;
                }
                absl::SleepFor(absl::Milliseconds(200));
              }
            });
            std::vector<std::unique_ptr<grpc::Service>> services;
            services.push_back(std::make_unique<FederationServiceImpl>(f));
            services.push_back(std::make_unique<PeerServiceImpl>(f));
            return services;
          }};
}

}  // namespace zx::federation
