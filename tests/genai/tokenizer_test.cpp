// The tokenizer the generated models carry: trained with libsentencepiece on
// text kept in the repository, Gemma's special pieces at Gemma's ids,
// lossless round trips, streaming decode that never splits a character.

#include "genai/tokenizer.h"
#include "genai/tokenizer_training.h"

#include <gtest/gtest.h>

#include "tests/support/test_paths.h"

using namespace litestudio;
using namespace litestudio::genai;

namespace {

std::string corpus() {
    auto bytes = litestudio::testing::readFileBytes(litestudio::testing::sourceDir() / "resources/genai/tokenizer_corpus.txt");
    return std::string(bytes.begin(), bytes.end());
}

std::shared_ptr<const Tokenizer> trained(int vocabulary = 512) {
    static std::map<int, std::string> models;
    if (!models.count(vocabulary)) {
        auto model = trainSentencePiece(corpus(), vocabulary);
        EXPECT_TRUE(model) << model.errorMessage();
        models[vocabulary] = model ? *model : "";
    }
    const std::string& model = models[vocabulary];
    auto tokenizer = Tokenizer::fromSentencePiece({reinterpret_cast<const uint8_t*>(model.data()), model.size()}, "test");
    EXPECT_TRUE(tokenizer) << tokenizer.errorMessage();
    return tokenizer ? *tokenizer : nullptr;
}

}  // namespace

TEST(Tokenizer, GemmaSpecialPiecesKeepGemmaIds) {
    auto tokenizer = trained();
    ASSERT_TRUE(tokenizer);
    std::printf("vocabulary: %d pieces\n", tokenizer->vocabularySize());
    EXPECT_EQ(tokenizer->padId(), 0);
    EXPECT_EQ(tokenizer->eosId(), 1);
    EXPECT_EQ(tokenizer->bosId(), 2);
    EXPECT_EQ(tokenizer->pieceOf(3), "<unk>");
    EXPECT_EQ(tokenizer->idOf("<start_of_turn>"), 4);
    EXPECT_EQ(tokenizer->idOf("<end_of_turn>"), 5);
    EXPECT_EQ(tokenizer->idOf("<no_such_piece>"), -1);
    // The turn markers are one piece each inside text.
    auto ids = tokenizer->encode("<start_of_turn>user\nHi<end_of_turn>");
    EXPECT_EQ(ids.front(), 4);
    EXPECT_EQ(ids.back(), 5);
}

TEST(Tokenizer, RoundTripsTextIncludingBytesItNeverSaw) {
    auto tokenizer = trained();
    ASSERT_TRUE(tokenizer);
    for (std::string text : {"Hello! How are you today?", "The key and value cache keeps what the model has read.",
                             "Zebra quokka 7319 — ünïcödé ✓ 日本語"}) {
        auto ids = tokenizer->encode(text);
        std::printf("%zu tokens: %s\n", ids.size(), text.c_str());
        EXPECT_FALSE(ids.empty());
        EXPECT_EQ(tokenizer->decode(ids), text);
    }
    // Frequent words are single pieces; unseen characters fall back to bytes.
    EXPECT_LT(tokenizer->encode("the model").size(), tokenizer->encode("日本語").size());
}

TEST(Tokenizer, TrainingIsDeterministic) {
    auto first = trainSentencePiece(corpus(), 600);
    auto second = trainSentencePiece(corpus(), 600);
    ASSERT_TRUE(first) << first.errorMessage();
    ASSERT_TRUE(second) << second.errorMessage();
    EXPECT_EQ(*first, *second);
    std::printf("serialized tokenizer: %zu bytes\n", first->size());
}

TEST(Tokenizer, StreamingDecodeNeverSplitsACharacter) {
    auto tokenizer = trained();
    ASSERT_TRUE(tokenizer);
    std::string text = "Café 🚀 and the sea";
    auto ids = tokenizer->encode(text);
    StreamingDecoder stream(tokenizer);
    std::string joined;
    for (int id : ids) {
        std::string piece = stream.push(id);
        // Every piece handed out is valid UTF-8 on its own.
        for (size_t i = 0; i < piece.size();) {
            unsigned char c = static_cast<unsigned char>(piece[i]);
            size_t length = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : 4;
            ASSERT_LE(i + length, piece.size()) << "split character in '" << piece << "'";
            i += length;
        }
        joined += piece;
    }
    EXPECT_EQ(joined, text);
}

TEST(Tokenizer, RejectsBytesThatAreNotATokenizer) {
    const uint8_t junk[] = {1, 2, 3, 4, 5};
    auto tokenizer = Tokenizer::fromSentencePiece(junk, "junk.model");
    ASSERT_FALSE(tokenizer);
    std::printf("%s\n", tokenizer.errorMessage().c_str());
    EXPECT_EQ(tokenizer.errorMessage().rfind("junk.model: not a SentencePiece tokenizer", 0), 0u);
    EXPECT_FALSE(Tokenizer::fromSentencePiece({}, "empty"));
}
