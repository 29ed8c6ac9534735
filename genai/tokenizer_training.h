#pragma once
// Trains a small SentencePiece tokenizer with libsentencepiece, for the
// generated test models (`litestudio-cli make-model`). Gemma's special
// pieces keep Gemma's ids: <pad> 0, <eos> 1, <bos> 2, <unk> 3, then
// <start_of_turn> and <end_of_turn>. Single-threaded, so the same text gives
// the same bytes.

#include <string>

#include "core/support/status.h"

namespace litestudio::genai {

// Returns the serialized model.
Expected<std::string> trainSentencePiece(const std::string& text, int vocabularySize);

}  // namespace litestudio::genai
