package main

import "github.com/ocrbox/ocrbox/plugins/conformance"

// cer is the character error rate of hyp against ref (conformance.CER, the
// same measure as the tests).
func cer(ref, hyp string) float64 { return conformance.CER(ref, hyp) }
