# Runs a libFuzzer target for a bounded time over the kept corpus and the
# shared models; fails on any crash, leak, timeout or sanitizer report.
file(REMOVE_RECURSE ${SCRATCH})
file(MAKE_DIRECTORY ${SCRATCH})
if(NOT EXISTS ${SHARED_MODELS})
  message(FATAL_ERROR "missing ${SHARED_MODELS}: the fuzz seeds include the shared models")
endif()
if(NOT MAX_LEN)
  set(MAX_LEN 262144)
endif()
# SHARED_MODELS is a folder of model sets, or one set of model files.
file(GLOB shared_sets LIST_DIRECTORIES true ${SHARED_MODELS}/*)
list(FILTER shared_sets EXCLUDE REGEX "\\.(tflite|bin|litertlm|task)$")
if(NOT shared_sets)
  set(shared_sets ${SHARED_MODELS})
endif()
# RUNS: a fixed seed and number of inputs instead of a time budget, so the
# same commit fuzzes the same inputs on every machine and CI cannot turn red
# by luck; longer exploratory runs are done by hand (see README).
if(RUNS)
  set(budget -seed=1 -runs=${RUNS})
else()
  set(budget -max_total_time=${SECONDS})
endif()
# A unit running past 30 s is a hang. Legitimate work comes close to 10 s
# under the sanitizers on a busy 2-core machine: an int16 BATCH_MATMUL of
# 512x256 by 256x1280 (167 million products, inside the harness's tensor
# limits) took 7 s after its reference loop was made 3x faster, 22 s before.
execute_process(
  COMMAND ${FUZZER} ${budget} -timeout=30 -rss_limit_mb=4096 -max_len=${MAX_LEN}
          -print_final_stats=1 -artifact_prefix=${SCRATCH}/ ${SCRATCH} ${CORPUS} ${shared_sets}
  RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "the fuzzer found a failing input (exit ${result}); see the artifact in ${SCRATCH}")
endif()
