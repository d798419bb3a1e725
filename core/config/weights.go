package config

import (
	"fmt"
	"strconv"
	"strings"
)

// Weights parses limits.user_weights ("email=weight") into lower-cased
// email → weight. A weight is a number > 0 and at most 100.
func (l Limits) Weights() (map[string]float64, error) {
	out := make(map[string]float64, len(l.UserWeights))
	for _, e := range l.UserWeights {
		email, w, ok := strings.Cut(e, "=")
		email = strings.ToLower(strings.TrimSpace(email))
		if !ok || email == "" || !strings.Contains(email, "@") {
			return nil, fmt.Errorf("%q is not email=weight", e)
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(w), 64)
		if err != nil || !(f > 0 && f <= 100) { // NaN fails both
			return nil, fmt.Errorf("%q: the weight must be a number above 0 and at most 100", e)
		}
		if _, dup := out[email]; dup {
			return nil, fmt.Errorf("%s has two weights", email)
		}
		out[email] = f
	}
	return out, nil
}
