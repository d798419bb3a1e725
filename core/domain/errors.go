package domain

import (
	"errors"
	"fmt"
)

// Sentinel errors. Services wrap them with context (fmt.Errorf("...: %w", err));
// core/httpapi maps them to HTTP status codes in one place.
var (
	ErrNotFound           = errors.New("not found")
	ErrForbidden          = errors.New("forbidden")
	ErrConflict           = errors.New("conflict")
	ErrInvalid            = errors.New("invalid parameter")
	ErrUnsupportedType    = errors.New("unsupported media type")
	ErrTooLarge           = errors.New("too large")
	ErrQuota              = errors.New("quota exceeded")
	ErrRateLimited        = errors.New("rate limited")
	ErrUnauthenticated    = errors.New("unauthenticated")
	ErrInvalidCredentials = errors.New("invalid credentials")
	ErrAuthUnavailable    = errors.New("auth provider unavailable")
	ErrFeatureDisabled    = errors.New("feature disabled")
	// ErrUnavailable is a temporary condition (503 with Retry-After), e.g.
	// the search index being rebuilt.
	ErrUnavailable = errors.New("temporarily unavailable")
	// ErrBadInput marks a document the engine or the decoder cannot read
	// (corrupt, truncated, pixel flood): permanent, never retried.
	ErrBadInput = errors.New("unreadable input")
	// ErrTransient marks a failure worth retrying (engine crash, timeout).
	ErrTransient = errors.New("transient failure")
)

// Error is a domain error with a stable machine-readable code and a message
// safe to show to the user. It wraps one of the sentinels above.
type Error struct {
	Kind    error  // one of the sentinels
	Code    string // e.g. "unsupported_type"
	Message string // human readable, safe for clients
}

func (e *Error) Error() string { return e.Message }

// Unwrap lets errors.Is match the sentinel.
func (e *Error) Unwrap() error { return e.Kind }

// Errorf builds an *Error of the given kind with a code and formatted message.
func Errorf(kind error, code, format string, args ...any) *Error {
	return &Error{Kind: kind, Code: code, Message: fmt.Sprintf(format, args...)}
}
