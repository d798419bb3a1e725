package domain

import (
	"errors"
	"fmt"
	"time"
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
// safe to show to the user. It wraps one of the sentinels above (Kind,
// which decides the HTTP status) and, when there is one, the error that
// caused it (Cause: for errors.Is/As and the logs, never shown to clients).
// core/httpapi shows Code and Message as they are, so a Message must not
// reveal what the caller may not know (another user's task: use the bare
// ErrForbidden sentinel, whose message is generic).
type Error struct {
	Kind    error  // one of the sentinels
	Code    string // one of the Code constants, e.g. CodeUnsupportedType
	Message string // human readable, safe for clients
	// Cause is what went wrong underneath, if anything.
	Cause error
	// RetryAfter, when positive, is how long the client should wait before
	// trying again: the Retry-After header of a 429 or 503. Zero leaves it
	// to the status (503s say 10 seconds).
	RetryAfter time.Duration
}

// Error returns the message; the cause stays out of it, because task
// errors and API answers show Error() to people.
func (e *Error) Error() string { return e.Message }

// Unwrap lets errors.Is and errors.As match the sentinel and the cause.
func (e *Error) Unwrap() []error {
	if e.Cause == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Cause}
}

// Errorf builds an *Error of the given kind with a code and formatted
// message, without a cause (Wrap keeps one).
func Errorf(kind error, code, format string, args ...any) *Error {
	return &Error{Kind: kind, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap is Errorf with cause kept as the error's Cause.
func Wrap(cause, kind error, code, format string, args ...any) *Error {
	e := Errorf(kind, code, format, args...)
	e.Cause = cause
	return e
}
