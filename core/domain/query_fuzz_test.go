package domain

import (
	"errors"
	"math/big"
	"testing"
)

// FuzzCheckWindow: a window is accepted exactly when 0 ≤ offset, 0 ≤ limit
// and offset + limit ≤ MaxListItems, computed without overflow.
func FuzzCheckWindow(f *testing.F) {
	f.Add(0, 20)
	f.Add(9223372036854775800, 200) // page 46116860184273880 × 200 (issue 11)
	f.Add(MaxListItems-200, 200)
	f.Add(MaxListItems-199, 200)
	f.Add(-1, 0)
	f.Add(1, -9223372036854775808)
	f.Add(9223372036854775807, 9223372036854775807)
	f.Fuzz(func(t *testing.T, offset, limit int) {
		err := CheckWindow(offset, limit)
		sum := new(big.Int).Add(big.NewInt(int64(offset)), big.NewInt(int64(limit)))
		ok := offset >= 0 && limit >= 0 && sum.Cmp(big.NewInt(MaxListItems)) <= 0
		if ok != (err == nil) {
			t.Fatalf("CheckWindow(%d, %d) = %v", offset, limit, err)
		}
		var de *Error
		if err != nil && (!errors.Is(err, ErrInvalid) || !errors.As(err, &de)) {
			t.Fatalf("CheckWindow(%d, %d) = %v, want a 422", offset, limit, err)
		}
	})
}
