package main

import "github.com/ocrbox/ocrbox/plugins/conformance"

// wordRecall is the share of the reference's words found in hypothesis
// (conformance.WordRecall, the measure of issue 14's table and of the
// orientation tests): a multiset of lowercased words, order not counted,
// so a tool that reads columns in another order is not punished; the CER
// next to it does count order.
func wordRecall(reference, hypothesis string) float64 {
	return conformance.WordRecall(reference, hypothesis)
}

// cer is the character error rate, the same function as every ocrbox test
// and the throughput benchmark use.
func cer(reference, hypothesis string) float64 { return conformance.CER(reference, hypothesis) }
