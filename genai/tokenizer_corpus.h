#pragma once
// The text generated models' tokenizers are trained on
// (resources/genai/tokenizer_corpus.txt), built into the program so that
// `litestudio-cli make-model` needs no files beside it.

namespace litestudio::genai {

const char* tokenizerCorpus();

}  // namespace litestudio::genai
