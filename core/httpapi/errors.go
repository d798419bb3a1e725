package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/valyala/fasthttp"

	"github.com/ocrbox/ocrbox/core/domain"
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

// errorRule is one row of the error table: which errors it matches and
// what the client is told.
type errorRule struct {
	// kind is the domain sentinel the row matches (errors.Is). nil: the row
	// is a status the HTTP server answers itself (a *fiber.Error), matched
	// by status, with Fiber's message.
	kind   error
	status int
	code   string
	// msg is the default message; a *domain.Error's own Message replaces
	// it, as its Code replaces code.
	msg string
	// retryAfter is the default Retry-After of a temporary refusal; a
	// *domain.Error's RetryAfter replaces it.
	retryAfter time.Duration
}

// errorTable is the one error→HTTP mapping. A domain error matches the
// first row of its kind; one no row matches is a 500.
var errorTable = []errorRule{
	{domain.ErrNotFound, http.StatusNotFound, domain.CodeNotFound, "not found", 0},
	{domain.ErrForbidden, http.StatusForbidden, domain.CodeForbidden, "you do not have access to this resource", 0},
	{domain.ErrConflict, http.StatusConflict, domain.CodeInvalidState, "the resource is not in a state that allows this", 0},
	{domain.ErrInvalid, http.StatusUnprocessableEntity, domain.CodeInvalidParameter, "invalid parameter", 0},
	{domain.ErrUnsupportedType, http.StatusUnsupportedMediaType, domain.CodeUnsupportedType, "unsupported file type", 0},
	{domain.ErrTooLarge, http.StatusRequestEntityTooLarge, domain.CodeTooLarge, "too large", 0},
	{domain.ErrQuota, http.StatusTooManyRequests, domain.CodeQuotaExceeded, "quota exceeded", 0},
	{domain.ErrRateLimited, http.StatusTooManyRequests, domain.CodeRateLimited, "too many requests", 0},
	{domain.ErrUnauthenticated, http.StatusUnauthorized, domain.CodeUnauthenticated, "sign in required", 0},
	{domain.ErrInvalidCredentials, http.StatusUnauthorized, domain.CodeInvalidCredentials, "wrong username or password", 0},
	{domain.ErrAuthUnavailable, http.StatusServiceUnavailable, domain.CodeAuthUnavailable, "sign-in is temporarily unavailable", retryUnavailable},
	{domain.ErrFeatureDisabled, http.StatusNotFound, domain.CodeFeatureDisabled, "this feature is disabled", 0},
	{domain.ErrUnavailable, http.StatusServiceUnavailable, domain.CodeUnavailable, "temporarily unavailable, try again shortly", retryUnavailable},
	{domain.ErrBadInput, http.StatusUnprocessableEntity, domain.CodeUnreadableInput, "the file cannot be read", 0},

	// Answers of the HTTP server itself: routing, body and header limits,
	// malformed requests.
	{nil, http.StatusNotFound, domain.CodeNotFound, "", 0},
	{nil, http.StatusMethodNotAllowed, domain.CodeMethodNotAllowed, "", 0},
	{nil, http.StatusRequestEntityTooLarge, domain.CodeTooLarge, "", 0},
	{nil, http.StatusRequestHeaderFieldsTooLarge, domain.CodeTooLarge, "", 0},
	{nil, http.StatusBadRequest, domain.CodeBadRequest, "", 0},
	{nil, http.StatusUnsupportedMediaType, domain.CodeUnsupportedType, "", 0},
	{nil, http.StatusNotAcceptable, domain.CodeNotAcceptable, "", 0},
	{nil, http.StatusRequestTimeout, domain.CodeTimeout, "", 0},
	{nil, http.StatusUnprocessableEntity, domain.CodeInvalidParameter, "", 0},
}

// retryUnavailable is the Retry-After of a 503 that does not say its own.
const retryUnavailable = 10 * time.Second

// apiError is the answer to a failed request.
type apiError struct {
	status     int
	code, msg  string
	retryAfter time.Duration // 0: no Retry-After header
}

// classify turns err into its answer through errorTable: a *domain.Error
// by its Kind, with its own code, message and Retry-After; a bare sentinel
// by itself (wrapped or not); a *fiber.Error by its status. Anything else
// is a 500 whose message says nothing about it.
func classify(err error) apiError {
	var fe *fiber.Error
	if errors.As(err, &fe) {
		out := apiError{status: fe.Code, code: domain.CodeOtherStatus, msg: fe.Message}
		if fe.Code >= 500 {
			out.code = domain.CodeInternal
		}
		for _, r := range errorTable {
			if r.kind == nil && r.status == fe.Code {
				out.code = r.code
				break
			}
		}
		return out
	}
	out := apiError{status: http.StatusInternalServerError, code: domain.CodeInternal, msg: "internal server error"}
	var de *domain.Error
	isDomain := errors.As(err, &de)
	for _, r := range errorTable {
		// A *domain.Error's kind decides, not a sentinel its cause may wrap.
		if r.kind != nil && (isDomain && errors.Is(de.Kind, r.kind) || !isDomain && errors.Is(err, r.kind)) {
			out = apiError{status: r.status, code: r.code, msg: r.msg, retryAfter: r.retryAfter}
			break
		}
	}
	if isDomain {
		out.code, out.msg = de.Code, de.Message
		if de.RetryAfter > 0 {
			out.retryAfter = de.RetryAfter
		}
	}
	return out
}

// handleError is Fiber's ErrorHandler: the one place errors become HTTP.
func (s *Server) handleError(c *fiber.Ctx, err error) error {
	e := classify(err)
	if panicked(c) {
		// Whatever the panic value was (even an error that maps to a 4xx),
		// it is a bug: 500, already logged with its stack by logPanic.
		e = apiError{status: http.StatusInternalServerError, code: domain.CodeInternal, msg: "internal server error"}
	}
	if e.retryAfter > 0 {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(e.retryAfter.Seconds()+0.999)))
	}
	rid := requestIDOf(c)
	if rid == "" {
		// Fiber answers some requests before any middleware ran (a request
		// line or headers past the read buffer: 431): they get an id too.
		rid = uuid.NewString()
		c.Set(fiber.HeaderXRequestID, rid)
	}
	if e.status >= 500 && !panicked(c) {
		attrs := []any{"request_id", rid, "method", c.Method(), "route", routeOf(c), "error", err}
		if de := (*domain.Error)(nil); errors.As(err, &de) && de.Cause != nil {
			attrs = append(attrs, "cause", de.Cause) // a domain error's text is only its message
		}
		s.log.Error("request failed", attrs...)
	}
	return c.Status(e.status).JSON(errorBody{Error: errorDetail{Code: e.code, Message: e.msg, RequestID: rid}})
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
		body, _ := json.Marshal(errorBody{Error: errorDetail{Code: domain.CodeMethodNotAllowed,
			Message: "unknown HTTP method", RequestID: rid}})
		ctx.Response.Header.Set(fiber.HeaderXRequestID, rid)
		ctx.SetContentType(fiber.MIMEApplicationJSON)
		ctx.SetStatusCode(http.StatusMethodNotAllowed)
		ctx.SetBody(body)
	}
}
