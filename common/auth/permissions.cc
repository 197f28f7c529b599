// The declared actions of every RPC. Adding an RPC means adding its action
// here, where it is reviewed like code; an undeclared action is refused.
// The full role x action matrix arrives with the security issue; until then
// roles are checked by access kind in auth.cc.
#include "common/auth/auth.h"

namespace zx::auth {

const std::map<std::string, Access, std::less<>>& DeclaredActions() {
  static const auto* actions = new std::map<std::string, Access, std::less<>>{
      {"service.info.get", Access::kOperate},
      {"monitoring.household.create", Access::kWrite},
      {"monitoring.household.get", Access::kRead},
      {"monitoring.household.list", Access::kRead},
      {"monitoring.household.update", Access::kWrite},
      {"monitoring.person.add", Access::kWrite},
      {"monitoring.person.list", Access::kRead},
      {"monitoring.person.update", Access::kWrite},
      {"monitoring.record.write", Access::kWrite},
      {"monitoring.guarantees.set", Access::kWrite},
      {"monitoring.policy.publish", Access::kWrite},
      {"monitoring.policy.get", Access::kRead},
      {"monitoring.assessment.run", Access::kWrite},
      {"monitoring.assessment.explain", Access::kRead},
      {"monitoring.clue.raise", Access::kWrite},
      {"monitoring.reassess.run", Access::kWrite},
      {"monitoring.reassess.get", Access::kRead},
      {"monitoring.object.get", Access::kRead},
      {"monitoring.object.advance", Access::kWrite},
      {"monitoring.history.get", Access::kRead},
      {"monitoring.publicity.export", Access::kRead},
      {"monitoring.rollup.get", Access::kRead},
      {"monitoring.rollup.verify", Access::kRead},
      {"monitoring.survey.ingest", Access::kWrite},
      {"monitoring.alert.list", Access::kRead},
      {"monitoring.alert.watch", Access::kRead},
      {"monitoring.credit.write", Access::kWrite},
      {"monitoring.credit.get", Access::kRead},
      // assets (issue 4)
      {"assets.project.create", Access::kWrite},
      {"assets.project.get", Access::kRead},
      {"assets.project.advance", Access::kWrite},
      {"assets.funding_report.get", Access::kRead},
      {"assets.asset.register", Access::kWrite},
      {"assets.asset.get", Access::kRead},
      {"assets.asset.confirm_ownership", Access::kWrite},
      {"assets.asset.transfer", Access::kWrite},
      {"assets.asset.set_state", Access::kWrite},
      {"assets.history.get", Access::kRead},
      {"assets.ledger.get", Access::kRead},
      {"assets.ledger.reconcile", Access::kRead},
      {"assets.income.record", Access::kWrite},
      {"assets.distribution.create", Access::kWrite},
      {"assets.disposal.request", Access::kWrite},
      {"assets.disposal.approve", Access::kWrite},
      {"assets.disposal.complete", Access::kWrite},
      {"assets.disposal.get", Access::kRead},
      {"assets.inspection.record", Access::kWrite},
      {"assets.certificate.record", Access::kWrite},
      {"assets.book_check.get", Access::kRead},
      {"assets.rollup.get", Access::kRead},
      {"assets.collective_income.record", Access::kWrite},
      {"assets.collective_economy.get", Access::kRead},
      {"assets.policy.publish", Access::kWrite},
      {"assets.policy.get", Access::kRead},
  };
  return *actions;
}

}  // namespace zx::auth
