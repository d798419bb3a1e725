package boltstore

import (
	"bytes"
	"testing"
	"time"
)

func TestValidID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		id   string
		want bool
	}{
		{NewID(), true},
		{"0190f5d2-7a1b-7c3d-8e4f-0123456789ab", true},
		{"0190F5D2-7A1B-7C3D-8E4F-0123456789AB", false}, // one spelling per id
		{"0190f5d27a1b7c3d8e4f0123456789ab", false},
		{"{0190f5d2-7a1b-7c3d-8e4f-0123456789ab}", false},
		{"0190f5d2-7a1b-7c3d-8e4f-0123456789a/", false},
		{"../../../../../../../../../etc/passw", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := validID(tt.id); got != tt.want {
			t.Errorf("validID(%q) = %v, want %v", tt.id, got, tt.want)
		}
	}
}

func TestNewIDIsTimeOrdered(t *testing.T) {
	t.Parallel()
	prev := NewID()
	for range 1000 {
		id := NewID()
		if id <= prev {
			t.Fatalf("NewID %s not after %s", id, prev)
		}
		prev = id
	}
}

func TestTimeKeyOrder(t *testing.T) {
	t.Parallel()
	times := []time.Time{
		{}, // clamps to 1970
		time.Unix(0, 0),
		base,
		base.Add(time.Nanosecond),
		base.AddDate(100, 0, 0),
		time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC), // clamps to 2262
	}
	for i := 1; i < len(times); i++ {
		if bytes.Compare(timeKey(times[i-1]), timeKey(times[i])) > 0 {
			t.Errorf("timeKey(%v) > timeKey(%v)", times[i-1], times[i])
		}
	}
	if got := keyTime(timeKey(base)); !got.Equal(base) {
		t.Errorf("keyTime(timeKey(base)) = %v", got)
	}
}

func TestPrefixEnd(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want []byte }{
		{[]byte{1, 2}, []byte{1, 3}},
		{[]byte{1, 0xff}, []byte{2}},
		{[]byte{0xff, 0xff}, nil},
	}
	for _, tt := range tests {
		if got := prefixEnd(tt.in); !bytes.Equal(got, tt.want) {
			t.Errorf("prefixEnd(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
