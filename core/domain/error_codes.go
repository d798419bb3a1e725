package domain

// Error codes: the stable, machine-readable `code` of every API error
// ({"error":{"code","message","request_id"}}) and of every *Error. Clients
// and tests compare against these; a new code is added here, to ErrorCodes
// and to the enum of openapi.json's Error schema (core/httpapi tests that
// the two lists agree, and core/domain that no code is written anywhere as
// a bare string).
const (
	// Defaults for each sentinel (core/httpapi's error table).

	CodeNotFound           = "not_found"           // ErrNotFound, 404
	CodeForbidden          = "forbidden"           // ErrForbidden, 403: another user's resource; the body says nothing about it
	CodeInvalidState       = "invalid_state"       // ErrConflict, 409: not in a state that allows this (TransitionError)
	CodeInvalidParameter   = "invalid_parameter"   // ErrInvalid, 422
	CodeUnsupportedType    = "unsupported_type"    // ErrUnsupportedType, 415: the file's type
	CodeTooLarge           = "too_large"           // ErrTooLarge, 413 (and 431 for headers)
	CodeQuotaExceeded      = "quota_exceeded"      // ErrQuota, 429
	CodeRateLimited        = "rate_limited"        // ErrRateLimited, 429 with Retry-After
	CodeUnauthenticated    = "unauthenticated"     // ErrUnauthenticated, 401
	CodeInvalidCredentials = "invalid_credentials" // ErrInvalidCredentials, 401
	CodeAuthUnavailable    = "auth_unavailable"    // ErrAuthUnavailable, 503 with Retry-After
	CodeFeatureDisabled    = "feature_disabled"    // ErrFeatureDisabled, 404
	CodeUnavailable        = "unavailable"         // ErrUnavailable, 503 with Retry-After
	CodeUnreadableInput    = "unreadable_input"    // ErrBadInput, 422: a document that cannot be read
	CodeInternal           = "internal_error"      // anything else, 500: logged with its request id

	// Requests the HTTP server refuses before a handler runs.

	CodeBadRequest       = "bad_request"        // 400: malformed HTTP
	CodeMethodNotAllowed = "method_not_allowed" // 405
	CodeNotAcceptable    = "not_acceptable"     // 406: e.g. an event stream without Accept: text/event-stream
	CodeTimeout          = "timeout"            // 408
	CodeOtherStatus      = "error"              // any other 4xx the server itself answers

	// Sign-in and sessions.

	CodeInvalidRefreshToken = "invalid_refresh_token" // 401
	CodeInvalidLoginState   = "invalid_login_state"   // 401: a browser sign-in's state or cookie does not match
	CodeCSRFFailed          = "csrf_failed"           // 403: a cross-site request with the session cookie
	CodeAccountUnusable     = "account_unusable"      // 403: the provider's answer for this account cannot be used
	CodeAccountLinkRequired = "account_link_required" // 409: the email belongs to an account bound to another identity
	CodeAuthMisconfigured   = "auth_misconfigured"    // 503: the provider refuses ocrbox's own credentials
	CodeUnknownProvider     = "unknown_provider"      // 404: no such browser sign-in provider
	CodeMetricsForbidden    = "metrics_forbidden"     // 403: /metrics from an address not allowed

	// Requests and uploads.

	CodeInvalidRequest       = "invalid_request"        // 422: a body or form that cannot be read as the endpoint expects
	CodeUnsupportedMediaType = "unsupported_media_type" // 415: the request's Content-Type
	CodeNoFiles              = "no_files"               // 422: an upload without a file part
	CodeTooManyFiles         = "too_many_files"         // 413
	CodeFileTooLarge         = "file_too_large"         // 413
	CodeEmptyFile            = "empty_file"             // 422
	CodeUploadFailed         = "upload_failed"          // 422: the upload stream broke off
	CodeTooManyPages         = "too_many_pages"         // 413
	CodeImageTooLarge        = "image_too_large"        // 413: a pixel flood
	CodeUnknownEngine        = "unknown_engine"         // 422
	CodeUnsupportedLanguage  = "unsupported_language"   // 422
	CodeUnsupportedOutput    = "unsupported_output"     // 422: an output the engine cannot write
	CodeInvalidOutput        = "invalid_output"         // 422: an output name that does not exist
	CodeIndexRebuilding      = "index_rebuilding"       // 503: history while the search index is rebuilt
	CodeDiskFull             = "disk_full"              // 503: the server is out of disk space (ErrDiskFull)
	CodeNotRetryable         = "not_retryable"          // 409: retry of a task that failed for a reason a retry cannot change (force=true overrides)

	// Page processing: these end tasks (their error) rather than requests.

	CodePageOutOfRange = "page_out_of_range" // a page number past the document
	CodePageTooLarge   = "page_too_large"    // a page too large to send to its engine
	CodeNoPages        = "no_pages"          // an output with no pages to assemble
	CodeDecodeFailed   = "decode_failed"     // the page helper failed (retried)
	CodeEngineFailed   = "engine_failed"     // the engine failed (retried)
)

// ErrorCodes lists every code above, in that order: the enum of
// openapi.json's Error schema.
var ErrorCodes = []string{
	CodeNotFound, CodeForbidden, CodeInvalidState, CodeInvalidParameter, CodeUnsupportedType,
	CodeTooLarge, CodeQuotaExceeded, CodeRateLimited, CodeUnauthenticated, CodeInvalidCredentials,
	CodeAuthUnavailable, CodeFeatureDisabled, CodeUnavailable, CodeUnreadableInput, CodeInternal,
	CodeBadRequest, CodeMethodNotAllowed, CodeNotAcceptable, CodeTimeout, CodeOtherStatus,
	CodeInvalidRefreshToken, CodeInvalidLoginState, CodeCSRFFailed, CodeAccountUnusable,
	CodeAccountLinkRequired, CodeAuthMisconfigured, CodeUnknownProvider, CodeMetricsForbidden,
	CodeInvalidRequest, CodeUnsupportedMediaType, CodeNoFiles, CodeTooManyFiles, CodeFileTooLarge,
	CodeEmptyFile, CodeUploadFailed, CodeTooManyPages, CodeImageTooLarge, CodeUnknownEngine,
	CodeUnsupportedLanguage, CodeUnsupportedOutput, CodeInvalidOutput, CodeIndexRebuilding, CodeDiskFull,
	CodeNotRetryable,
	CodePageOutOfRange, CodePageTooLarge, CodeNoPages, CodeDecodeFailed, CodeEngineFailed,
}
