#include "addon.h"

namespace parley {

// TURN relay data plane: not built yet.
void InitTurnRelay(napi_env env, napi_value exports) {}

}  // namespace parley
