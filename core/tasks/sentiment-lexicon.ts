/**
 * The sentiment task's lexicon. Every sentiment-bearing word is in AFINN-165 (the `sentiment` package's English
 * labels) with the sign given here; a unit test checks that. Neutral words are not in AFINN at all.
 */
export const POSITIVE_ADJECTIVES = [
  'good', 'great', 'wonderful', 'brilliant', 'superb', 'excellent', 'amazing', 'fantastic', 'lovely', 'charming',
  'delightful', 'enjoyable', 'beautiful', 'funny', 'perfect', 'impressive', 'awesome', 'nice', 'solid', 'strong',
] as const;
export const NEGATIVE_ADJECTIVES = [
  'bad', 'awful', 'terrible', 'boring', 'dull', 'poor', 'weak', 'horrible', 'disappointing', 'annoying', 'stupid',
  'ugly', 'painful', 'sad', 'pointless', 'lame', 'confusing',
] as const;
/** Verbs a reviewer uses about the film as a whole (past tense). */
export const POSITIVE_VERBS = ['loved', 'enjoyed', 'liked'] as const;
export const NEGATIVE_VERBS = ['hated', 'disliked'] as const;
/** Intensifiers; AFINN gives them no score. */
export const ADVERBS = ['really', 'quite', 'very', 'truly', 'rather', 'simply'] as const;
/** Aspects of a film; none carries sentiment in AFINN. */
export const NOUNS = [
  'film', 'movie', 'plot', 'story', 'acting', 'cast', 'script', 'ending', 'music', 'soundtrack', 'camera work',
  'dialogue', 'pacing', 'lead actor', 'villain', 'director', 'setting', 'opening scene', 'final act', 'score',
] as const;
/** Neutral sentence openers used as prompt prefixes. */
export const OPENERS = [
  'The film I watched last night', 'This movie', 'Honestly, the story', 'The first half of this film',
  'The film we saw with friends', 'From the opening scene, it', 'Overall, this film', 'The director',
  'Going in knowing little, the film', 'Looking back, the film', 'The cast', 'The script',
] as const;
export const NEUTRAL_FILLERS = [
  'I saw it on a Sunday.', 'It runs for two hours.', 'It is based on a book.', 'The cinema was quiet.',
  'It came out last year.', 'There is a sequel.',
] as const;
