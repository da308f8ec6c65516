package qaeval

import (
	"fmt"

	"docent/retrieval"
)

// expVariants lists the settings TestExp compares; the first is the
// reference. The grid holds the decisions of this round (EVAL.md): long
// questions, the identity field, document evidence, document diversity
// and the cosine's weight in hybrid fusion; -1 disables a part.
func expVariants() []expVariant {
	h := retrieval.ModeHybrid
	out := []expVariant{{"before (none of them)", retrieval.Options{LongQuery: -1, TitleWeight: -1, DocWeight: -1, DocPenalty: -1, MaxMerge: 1, ScoreWeight: 1}, h},
		{"default", retrieval.Options{}, h}, {"default keyword", retrieval.Options{}, retrieval.ModeKeyword}}
	if !expGrid {
		return out
	}
	for _, long := range []int{-1, 12} {
		for _, tw := range []float64{-1, 0.5} {
			for _, dw := range []float64{-1, 0.5} {
				for _, pen := range []float64{-1, 0.2} {
					for _, cw := range []float64{0.5, 1} {
						out = append(out, expVariant{fmt.Sprintf("long %d title %g doc %g pen %g cos %g", long, tw, dw, pen, cw),
							retrieval.Options{LongQuery: long, TitleWeight: tw, DocWeight: dw, DocPenalty: pen, ScoreWeight: cw}, h})
					}
				}
			}
		}
	}
	return out
}
