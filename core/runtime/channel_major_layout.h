#pragma once
// Which tensors the runtime stores channel-major ([batch][channel][height]
// [width]) instead of NHWC: those that pass only between kernels that can
// write and read them so (KernelDef::writesChannelMajor and
// readsChannelMajor), so that neither transposes them. Pose detection's
// channel-major blocks at 112x112 and 56x56 had each turned its input
// channel-major and its result back to NHWC for the next to turn again.
// A subgraph's inputs and outputs, variables and constants stay NHWC; a
// tensor one op adds as a residual follows that op's output, as the
// kernels add like to like.

#include <vector>

#include "core/graph/model.h"
#include "core/kernels/kernel.h"

namespace litestudio {

// Sets RuntimeTensor::channelMajor on `tensors` (the subgraph's, before
// any kernel's prepare) where `kernels` allow it.
void markChannelMajorTensors(const Subgraph& subgraph, const std::vector<const KernelDef*>& kernels, std::vector<RuntimeTensor>& tensors);

}  // namespace litestudio
