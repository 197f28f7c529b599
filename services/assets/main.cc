// zx-assets: 扶贫项目资产台账 (poverty-alleviation project asset ledgers).
#include "services/assets/api/assets_service.h"

int main(int argc, char** argv) {
  return zx::server::RunServiceMain(zx::assets::AssetsSpec(), argc, argv);
}
