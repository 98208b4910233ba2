"""Each text-similarity metric against values worked out by hand from its published
definition (BLEU: Papineni et al. 2002; GLEU: Wu et al. 2016; METEOR: Banerjee & Lavie 2005
with nltk's parameters; ROUGE-N/L: Lin 2004), so a library swap or a changed default fails."""

from __future__ import annotations

import math

import pytest

from evalkit.checks.graders import metrics

REF = "the cat sat on the mat"
LONGER = "the cat sat on the mat today"


def test_bleu_is_the_geometric_mean_of_ngram_precisions_with_brevity_penalty() -> None:
    # p1..p4 = 6/7, 5/6, 4/5, 3/4; the hypothesis is longer, so no brevity penalty
    assert metrics.bleu(LONGER, REF) == pytest.approx((6 / 7 * 5 / 6 * 4 / 5 * 3 / 4) ** 0.25)
    # shorter: all precisions 1, brevity penalty exp(1 - 7/6)
    assert metrics.bleu(REF, LONGER) == pytest.approx(math.exp(1 - 7 / 6))
    assert metrics.bleu(REF, REF) == pytest.approx(1.0)


def test_bleu_without_smoothing_is_zero_without_a_common_4gram() -> None:
    # nltk returns the smallest float it can for a zero precision, not 0 itself
    assert metrics.bleu("the cat", "the cat sat on the mat") == pytest.approx(0.0, abs=1e-100)
    assert metrics.bleu("", REF) == 0.0


def test_gleu_is_the_lesser_of_ngram_precision_and_recall() -> None:
    # 1- to 4-grams: hypothesis 7+6+5+4 = 22, reference 6+5+4+3 = 18, matches 18
    assert metrics.gleu(LONGER, REF) == pytest.approx(18 / 22)
    assert metrics.gleu(REF, LONGER) == pytest.approx(18 / 22)


def _meteor(matches: int, hyp: int, ref: int, chunks: int) -> float:
    precision, recall = matches / hyp, matches / ref
    fmean = precision * recall / (0.9 * precision + 0.1 * recall)
    return fmean * (1 - 0.5 * (chunks / matches) ** 3)


def test_meteor_exact_matches() -> None:
    assert metrics.meteor(LONGER, REF) == pytest.approx(_meteor(6, 7, 6, 1))
    # aligned to reference positions 0 1 2 5 4 3: four chunks
    assert metrics.meteor("the cat sat mat the on", REF) == pytest.approx(_meteor(6, 6, 6, 4))
    # identical texts are one chunk, and METEOR's fragmentation penalty keeps them below 1
    assert metrics.meteor(REF, REF) == pytest.approx(_meteor(6, 6, 6, 1))


def test_meteor_matches_porter_stems_and_is_case_insensitive() -> None:
    assert metrics.meteor("The Cats sat", "the cat sat") == pytest.approx(_meteor(3, 3, 3, 1))


def test_meteor_has_no_wordnet_synonyms() -> None:
    # nltk with WordNet would match feline~cat; evalkit's exact-and-stem METEOR does not
    assert metrics.meteor("the feline sat", "the cat sat") == pytest.approx(_meteor(2, 3, 3, 2))


def test_rouge_n_and_l_are_f_measures_over_rouge_scores_tokens() -> None:
    target = "The quick brown fox jumps over the lazy dog"
    prediction = "The quick brown dog jumps on the log."
    f1 = 2 * (6 / 8) * (6 / 9) / (6 / 8 + 6 / 9)
    assert metrics.rouge("rouge_1", prediction, target) == pytest.approx(f1)
    assert metrics.rouge("rouge_2", prediction, target) == pytest.approx(4 / 15)
    # longest common subsequence: the quick brown jumps the (5)
    assert metrics.rouge("rouge_l", prediction, target) == pytest.approx(
        2 * (5 / 8) * (5 / 9) / (5 / 8 + 5 / 9)
    )
    assert metrics.rouge("rouge_5", prediction, target) == 0.0
    assert metrics.rouge("rouge_3", "a b c d", "a b c d") == pytest.approx(1.0)


def test_rouge_keeps_only_ascii_letters_and_digits() -> None:
    assert metrics.rouge("rouge_1", "привет мир", "привет мир") == 0.0


def test_fuzzy_match_is_rapidfuzz_wratio_on_processed_strings() -> None:
    assert metrics.fuzzy_match("New York!", "new york") == 1.0  # case and punctuation go
    # the Indel ratio of abc / abd: 1 - 2/6
    assert metrics.fuzzy_match("abc", "abd") == pytest.approx(2 / 3)
    assert metrics.fuzzy_match("abc", "xyz") == 0.0


@pytest.mark.parametrize("metric", ["fuzzy_match", "bleu", "gleu", "rouge_1", "rouge_l"])
def test_every_metric_scores_identical_texts_one_and_stays_in_range(metric: str) -> None:
    assert metrics.similarity(metric, "the cat sat on the mat", REF) == pytest.approx(1.0)
    assert 0.0 <= metrics.similarity(metric, "dogs bark loudly", REF) < 0.5


def test_the_libraries_are_found_or_named() -> None:
    assert metrics.missing_library("bleu") is None
    assert metrics.missing_library("cosine") is None
