#pragma once
// Prefill for the int4 blockwise FULLY_CONNECTED on Intel AMX: 16 input
// rows at a time, one tile multiply (tdpbssd: signed activations x signed
// weights) per 32-input block and 16 units, the block's int32 sums then
// scaled into float accumulators with AVX-512. The same arithmetic as the
// VNNI kernel, several times the products per instruction.

#include "accelerators/cpu/int4_blockwise_layout.h"

namespace litestudio::cpu::int4_blockwise {

constexpr int64_t kAmxRows = 16;

// Whether AMX-INT8 runs here: the CPU has it and Linux gave this process
// the tile state (asked for once).
bool amxAvailable();

// Rows [rowBegin, rowEnd) against the 64 units of `tile`, 16 at a time
// (rows past the last whole 16 are left to the caller); each 16-unit group's
// weights are unpacked once for all of them.
void multiplyRowsAmx(const Job& job, int64_t rowBegin, int64_t rowEnd, int64_t tile);

}  // namespace litestudio::cpu::int4_blockwise
