package worker

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/core/outputs"
)

// maxReasonPages is how many pages the review's reason names.
const maxReasonPages = 5

// reviewOf is a completed task's Review: the recognised pages whose mean
// word confidence is below threshold (0..100), or nil when there are none
// or threshold is 0. Pages without words (blank), pages read from a PDF's
// own text and engines that give no confidence (negative) are not judged.
func reviewOf(pgs []outputs.Page, threshold float64) *domain.Review {
	if threshold <= 0 {
		return nil
	}
	var low []domain.ReviewPage
	for _, p := range pgs {
		if len(p.Words) == 0 || p.Source == outputs.SourcePDFText || p.MeanConfidence < 0 {
			continue
		}
		if p.MeanConfidence < threshold {
			low = append(low, domain.ReviewPage{Page: p.Number, MeanConfidence: p.MeanConfidence})
		}
	}
	if len(low) == 0 {
		return nil
	}
	pct := func(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) + " %" }
	var reason string
	if len(low) == 1 {
		reason = fmt.Sprintf("page %d: mean confidence %s (below %s)", low[0].Page, pct(low[0].MeanConfidence), pct(threshold))
	} else {
		parts := make([]string, 0, maxReasonPages+1)
		for i, p := range low {
			if i == maxReasonPages {
				parts = append(parts, fmt.Sprintf("and %d more", len(low)-maxReasonPages))
				break
			}
			parts = append(parts, fmt.Sprintf("%d (%s)", p.Page, pct(p.MeanConfidence)))
		}
		reason = fmt.Sprintf("%d pages with a mean confidence below %s: %s", len(low), pct(threshold), strings.Join(parts, ", "))
	}
	return &domain.Review{Reason: reason, Threshold: threshold, Pages: low}
}
