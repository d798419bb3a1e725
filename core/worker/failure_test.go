package worker

import (
	"errors"
	"fmt"
	"testing"

	"github.com/ocrbox/ocrbox/core/domain"
)

func TestFailure(t *testing.T) {
	tests := []struct {
		name          string
		err           error
		wantCode      string
		wantRetryable bool
	}{
		{"corrupt page", domain.Errorf(domain.ErrBadInput, domain.CodeUnreadableInput, "TIFF page 1 cannot be decoded"), domain.CodeUnreadableInput, false},
		{"pixel flood", domain.Errorf(domain.ErrTooLarge, domain.CodeImageTooLarge, "too large"), domain.CodeImageTooLarge, false},
		{"unsupported", domain.Errorf(domain.ErrUnsupportedType, domain.CodeUnsupportedType, "no"), domain.CodeUnsupportedType, false},
		{"wrapped bad input", fmt.Errorf("page 2: %w", domain.Errorf(domain.ErrBadInput, domain.CodeUnreadableInput, "x")), domain.CodeUnreadableInput, false},
		{"engine crashed", domain.Wrap(errors.New("exit 2"), domain.ErrTransient, domain.CodeEngineFailed, "the engine crashed"), domain.CodeEngineFailed, true},
		{"engine down", domain.Errorf(domain.ErrUnavailable, domain.CodeUnavailable, "down"), domain.CodeUnavailable, true},
		{"internal", errors.New("open /data/x: permission denied"), "", true},
	}
	for _, tc := range tests {
		code, retryable := failure(tc.err)
		if code != tc.wantCode || retryable != tc.wantRetryable {
			t.Errorf("%s: failure = %q, %v; want %q, %v", tc.name, code, retryable, tc.wantCode, tc.wantRetryable)
		}
	}
}
