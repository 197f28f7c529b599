// zx-federation: the gateway between county, prefecture and region instances
// and partner provinces (reports up, policy and directives down, drill-down,
// store-and-forward delivery over mutual TLS).
#include "services/federation/api/federation_service.h"

int main(int argc, char** argv) {
  return zx::server::RunServiceMain(zx::federation::FederationSpec(), argc, argv);
}
