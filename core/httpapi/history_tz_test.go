package httpapi

import (
	"errors"
	"testing"
	"time"

	"github.com/ocrbox/ocrbox/core/domain"
)

// TestHistoryDayInTimeZone: a date-only bound is a day of the tz offset
// (UTC without one); RFC 3339 bounds keep their own offset.
func TestHistoryDayInTimeZone(t *testing.T) {
	utc := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return v.UTC()
	}
	tests := []struct {
		name, from, to, tz string
		wantFrom, wantTo   string
		invalid            bool
	}{
		{"utc day", "2026-12-05", "2026-12-05", "", "2026-12-05T00:00:00Z", "2026-12-05T23:59:59.999999999Z", false},
		{"UTC+14 day", "2026-12-05", "2026-12-05", "+14:00", "2026-12-04T10:00:00Z", "2026-12-05T09:59:59.999999999Z", false},
		{"UTC-05:30 day", "2026-12-05", "2026-12-05", "-05:30", "2026-12-05T05:30:00Z", "2026-12-06T05:29:59.999999999Z", false},
		{"compact offset", "2026-12-05", "", "+0545", "2026-12-04T18:15:00Z", "", false},
		{"hours only", "2026-12-05", "", "-03", "2026-12-05T03:00:00Z", "", false},
		{"Z", "2026-12-05", "", "Z", "2026-12-05T00:00:00Z", "", false},
		{"rfc 3339 keeps its offset", "2026-12-05T00:00:00+14:00", "", "-05:00", "2026-12-04T10:00:00Z", "", false},
		{"offset too far east", "2026-12-05", "", "+15:00", "", "", true},
		{"offset too far west", "2026-12-05", "", "-13:00", "", "", true},
		{"zone name", "2026-12-05", "", "Pacific/Kiritimati", "", "", true},
		{"odd minutes", "2026-12-05", "", "+01:07", "", "", true},
		{"malformed", "2026-12-05", "", "+1:00", "", "", true},
	}
	for _, tc := range tests {
		q, err := parseHistoryFilterTZ(tc.from, tc.to, tc.tz, "", "")
		if tc.invalid {
			if !errors.Is(err, domain.ErrInvalid) {
				t.Errorf("%s: error %v, want invalid", tc.name, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if tc.wantFrom != "" && !q.From.Equal(utc(tc.wantFrom)) {
			t.Errorf("%s: from %s, want %s", tc.name, q.From, tc.wantFrom)
		}
		if tc.wantTo != "" && !q.To.Equal(utc(tc.wantTo)) {
			t.Errorf("%s: to %s, want %s", tc.name, q.To, tc.wantTo)
		}
	}
}
