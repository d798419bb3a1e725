package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/ocrbox/ocrbox/core/domain"
)

// TestClassify is the error table as the client sees it: every sentinel,
// bare and wrapped; domain errors with their own code, message, cause and
// Retry-After; the HTTP server's own answers; and what must stay a 500.
func TestClassify(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want apiError
	}{
		{"not found", domain.ErrNotFound, apiError{404, domain.CodeNotFound, "not found", 0}},
		{"forbidden, wrapped", fmt.Errorf("task x: %w", domain.ErrForbidden),
			apiError{403, domain.CodeForbidden, "you do not have access to this resource", 0}},
		{"conflict", domain.ErrConflict, apiError{409, domain.CodeInvalidState, "the resource is not in a state that allows this", 0}},
		{"invalid", domain.ErrInvalid, apiError{422, domain.CodeInvalidParameter, "invalid parameter", 0}},
		{"unsupported type", domain.ErrUnsupportedType, apiError{415, domain.CodeUnsupportedType, "unsupported file type", 0}},
		{"too large", domain.ErrTooLarge, apiError{413, domain.CodeTooLarge, "too large", 0}},
		{"quota", domain.ErrQuota, apiError{429, domain.CodeQuotaExceeded, "quota exceeded", 0}},
		{"rate limited", domain.ErrRateLimited, apiError{429, domain.CodeRateLimited, "too many requests", 0}},
		{"unauthenticated", domain.ErrUnauthenticated, apiError{401, domain.CodeUnauthenticated, "sign in required", 0}},
		{"invalid credentials", domain.ErrInvalidCredentials, apiError{401, domain.CodeInvalidCredentials, "wrong username or password", 0}},
		{"auth unavailable: 10 s unless told", domain.ErrAuthUnavailable,
			apiError{503, domain.CodeAuthUnavailable, "sign-in is temporarily unavailable", 10 * time.Second}},
		{"feature disabled", domain.ErrFeatureDisabled, apiError{404, domain.CodeFeatureDisabled, "this feature is disabled", 0}},
		{"unavailable", domain.ErrUnavailable, apiError{503, domain.CodeUnavailable, "temporarily unavailable, try again shortly", 10 * time.Second}},
		{"bad input", domain.ErrBadInput, apiError{422, domain.CodeUnreadableInput, "the file cannot be read", 0}},

		{"domain error: its code and message", fmt.Errorf("create: %w", domain.Errorf(domain.ErrTooLarge, domain.CodeTooManyPages, "at most 3 pages")),
			apiError{413, domain.CodeTooManyPages, "at most 3 pages", 0}},
		{"domain error: its Retry-After", &domain.Error{Kind: domain.ErrRateLimited, Code: domain.CodeRateLimited,
			Message: "wait", RetryAfter: 1500 * time.Millisecond}, apiError{429, domain.CodeRateLimited, "wait", 1500 * time.Millisecond}},
		{"domain error: the kind decides, not the cause", domain.Wrap(fmt.Errorf("x: %w", domain.ErrNotFound),
			domain.ErrInvalid, domain.CodeUploadFailed, "upload interrupted"), apiError{422, domain.CodeUploadFailed, "upload interrupted", 0}},
		{"domain error: 403 shows its message", domain.Errorf(domain.ErrForbidden, domain.CodeCSRFFailed, "cross-site request refused"),
			apiError{403, domain.CodeCSRFFailed, "cross-site request refused", 0}},
		{"disk full", fmt.Errorf("store upload: %w (%w)", domain.ErrDiskFull(), errors.New("write /data/x: no space left on device")),
			apiError{503, domain.CodeDiskFull, "the server is out of disk space; try again later", 10 * time.Second}},
		{"transition refused", &domain.TransitionError{From: domain.StatusCompleted, Event: domain.EventCancel},
			apiError{409, domain.CodeInvalidState, (&domain.TransitionError{From: domain.StatusCompleted, Event: domain.EventCancel}).Error(), 0}},

		{"fiber 404", fiber.NewError(404, "no such API endpoint"), apiError{404, domain.CodeNotFound, "no such API endpoint", 0}},
		{"fiber 405", fiber.ErrMethodNotAllowed, apiError{405, domain.CodeMethodNotAllowed, "Method Not Allowed", 0}},
		{"fiber 413", fiber.ErrRequestEntityTooLarge, apiError{413, domain.CodeTooLarge, "Request Entity Too Large", 0}},
		{"fiber 431", fiber.ErrRequestHeaderFieldsTooLarge, apiError{431, domain.CodeTooLarge, "Request Header Fields Too Large", 0}},
		{"fiber 400", fiber.ErrBadRequest, apiError{400, domain.CodeBadRequest, "Bad Request", 0}},
		{"fiber 415", fiber.ErrUnsupportedMediaType, apiError{415, domain.CodeUnsupportedType, "Unsupported Media Type", 0}},
		{"fiber 406", fiber.ErrNotAcceptable, apiError{406, domain.CodeNotAcceptable, "Not Acceptable", 0}},
		{"fiber 408", fiber.ErrRequestTimeout, apiError{408, domain.CodeTimeout, "Request Timeout", 0}},
		{"fiber 422", fiber.ErrUnprocessableEntity, apiError{422, domain.CodeInvalidParameter, "Unprocessable Entity", 0}},
		{"fiber, another 4xx", fiber.ErrTeapot, apiError{418, domain.CodeOtherStatus, "I'm a teapot", 0}},
		{"fiber 5xx", fiber.ErrBadGateway, apiError{502, domain.CodeInternal, "Bad Gateway", 0}},

		{"anything else: 500, nothing said", errors.New("open /data/ocrbox.db: permission denied"),
			apiError{500, domain.CodeInternal, "internal server error", 0}},
		{"a cancelled context is a 500 too", context.Canceled, apiError{500, domain.CodeInternal, "internal server error", 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := classify(tt.err); got != tt.want {
				t.Errorf("classify(%v)\n got %+v\nwant %+v", tt.err, got, tt.want)
			}
		})
	}
}

// TestErrorTableCodesAreDeclared: every code the table gives is one of
// domain.ErrorCodes, every sentinel row has a message, and no sentinel or
// server status is listed twice (a second row would never match).
func TestErrorTableCodesAreDeclared(t *testing.T) {
	kinds, statuses := map[error]bool{}, map[int]bool{}
	for _, r := range errorTable {
		if !slices.Contains(domain.ErrorCodes, r.code) {
			t.Errorf("%d %q: not in domain.ErrorCodes", r.status, r.code)
		}
		if http.StatusText(r.status) == "" {
			t.Errorf("row %q: status %d", r.code, r.status)
		}
		switch {
		case r.kind != nil && (kinds[r.kind] || r.msg == ""):
			t.Errorf("sentinel %v listed twice or without a message", r.kind)
		case r.kind == nil && statuses[r.status]:
			t.Errorf("server status %d listed twice", r.status)
		}
		kinds[r.kind], statuses[r.status] = true, statuses[r.status] || r.kind == nil
	}
}
