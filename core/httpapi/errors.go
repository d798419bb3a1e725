package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/valyala/fasthttp"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/core/sessions"
)

// errorBody is the API's error shape: {"error":{"code","message","request_id"}}.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	RequestID string `json:"request_id"`
}

// statusFor maps a domain sentinel to its HTTP status and default code.
var statusFor = []struct {
	kind   error
	status int
	code   string
	msg    string
}{
	{domain.ErrNotFound, http.StatusNotFound, "not_found", "not found"},
	{domain.ErrForbidden, http.StatusForbidden, "forbidden", "you do not have access to this resource"},
	{domain.ErrConflict, http.StatusConflict, "invalid_state", "the resource is not in a state that allows this"},
	{domain.ErrInvalid, http.StatusUnprocessableEntity, "invalid_parameter", "invalid parameter"},
	{domain.ErrUnsupportedType, http.StatusUnsupportedMediaType, "unsupported_type", "unsupported file type"},
	{domain.ErrTooLarge, http.StatusRequestEntityTooLarge, "too_large", "too large"},
	{domain.ErrQuota, http.StatusTooManyRequests, "quota_exceeded", "quota exceeded"},
	{domain.ErrRateLimited, http.StatusTooManyRequests, "rate_limited", "too many requests"},
	{domain.ErrUnauthenticated, http.StatusUnauthorized, "unauthenticated", "sign in required"},
	{domain.ErrInvalidCredentials, http.StatusUnauthorized, "invalid_credentials", "wrong username or password"},
	{domain.ErrAuthUnavailable, http.StatusServiceUnavailable, "auth_unavailable", "sign-in is temporarily unavailable"},
	{domain.ErrFeatureDisabled, http.StatusNotFound, "feature_disabled", "this feature is disabled"},
	{domain.ErrUnavailable, http.StatusServiceUnavailable, "unavailable", "temporarily unavailable, try again shortly"},
	{domain.ErrBadInput, http.StatusUnprocessableEntity, "unreadable_input", "the file cannot be read"},
}

// handleError is Fiber's ErrorHandler: the one place errors become HTTP.
func (s *Server) handleError(c *fiber.Ctx, err error) error {
	status, code, msg := http.StatusInternalServerError, "internal_error", "internal server error"
	var fe *fiber.Error
	var de *domain.Error
	var rl *sessions.RateLimitError
	switch {
	case panicked(c):
		// Whatever the panic value was (even an error that maps to a 4xx),
		// it is a bug: 500, already logged with its stack by logPanic.
	case errors.As(err, &rl):
		status, code, msg = http.StatusTooManyRequests, "rate_limited", rl.Error()
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(rl.RetryAfter.Seconds()+0.999)))
	case errors.As(err, &fe):
		status, msg = fe.Code, fe.Message
		code = codeForStatus(fe.Code)
	default:
		for _, m := range statusFor {
			if errors.Is(err, m.kind) {
				status, code, msg = m.status, m.code, m.msg
				break
			}
		}
		// A domain.Error carries a message meant for the client, except for
		// a 403 about a resource (code forbidden), whose body must reveal
		// nothing about it.
		if errors.As(err, &de) && (status != http.StatusForbidden || de.Code != "forbidden") {
			code, msg = de.Code, de.Message
		}
	}
	if status == http.StatusServiceUnavailable {
		c.Set(fiber.HeaderRetryAfter, "10")
	}
	rid := requestIDOf(c)
	if rid == "" {
		// Fiber answers some requests before any middleware ran (a request
		// line or headers past the read buffer: 431): they get an id too.
		rid = uuid.NewString()
		c.Set(fiber.HeaderXRequestID, rid)
	}
	if status >= 500 && !panicked(c) {
		s.log.Error("request failed", "request_id", rid, "method", c.Method(), "route", routeOf(c), "error", err)
	}
	return c.Status(status).JSON(errorBody{Error: errorDetail{Code: code, Message: msg, RequestID: rid}})
}

func codeForStatus(status int) string {
	switch status {
	case http.StatusNotFound:
		return "not_found"
	case http.StatusMethodNotAllowed:
		return "method_not_allowed"
	case http.StatusRequestEntityTooLarge, http.StatusRequestHeaderFieldsTooLarge:
		return "too_large"
	case http.StatusBadRequest:
		return "bad_request"
	case http.StatusUnsupportedMediaType:
		return "unsupported_type"
	case http.StatusNotAcceptable:
		return "not_acceptable"
	case http.StatusRequestTimeout:
		return "timeout"
	case http.StatusUnprocessableEntity:
		return "invalid_parameter"
	}
	if status >= 500 {
		return "internal_error"
	}
	return "error"
}

// answerUnknownMethods makes a request with a method Fiber does not know
// (PROPFIND, BREW) a 405 in the API's error shape: Fiber itself answers it
// before any middleware with a plain-text 400.
func answerUnknownMethods(app *fiber.App) {
	srv := app.Server()
	next := srv.Handler
	known := map[string]bool{}
	for _, m := range fiber.DefaultMethods {
		known[m] = true
	}
	srv.Handler = func(ctx *fasthttp.RequestCtx) {
		if known[string(ctx.Method())] {
			next(ctx)
			return
		}
		rid := uuid.NewString()
		body, _ := json.Marshal(errorBody{Error: errorDetail{Code: "method_not_allowed",
			Message: "unknown HTTP method", RequestID: rid}})
		ctx.Response.Header.Set(fiber.HeaderXRequestID, rid)
		ctx.SetContentType(fiber.MIMEApplicationJSON)
		ctx.SetStatusCode(http.StatusMethodNotAllowed)
		ctx.SetBody(body)
	}
}
