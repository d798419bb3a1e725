package oidc

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"golang.org/x/oauth2"

	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// errUnavailable is sdk.ErrUnavailable under a local name for brevity.
var errUnavailable = sdk.ErrUnavailable

// unavailable marks err as a transient failure to reach the IdP (down,
// refused, reset, timed out, 5xx, garbage answer), keeping err's chain. A
// caller's cancellation stays a cancellation.
func unavailable(err error) error {
	if errors.Is(err, context.Canceled) {
		return err
	}
	return fmt.Errorf("%w: %w", sdk.ErrUnavailable, err)
}

func isUnavailable(err error) bool { return errors.Is(err, sdk.ErrUnavailable) }

// invalidCodes are the OAuth2 error codes that mean "these credentials (or
// this code, this refresh token) are not good": RFC 6749's invalid_grant,
// and access_denied, which Dex answers for a wrong password.
var invalidCodes = []string{"invalid_grant", "access_denied"}

// tokenError classifies an error from the token endpoint for op. Codes in
// alsoInvalid count as bad credentials too (Dex answers invalid_request to
// an unknown refresh token).
//
//   - 5xx, 429, network errors, timeouts, unparsable answers → sdk.ErrUnavailable
//   - invalid_grant, access_denied, a bare 401 → sdk.ErrInvalidCredentials
//   - unsupported_grant_type, unauthorized_client → sdk.ErrNotImplemented
//     (the IdP does not allow this grant for this client)
//   - invalid_client and other 4xx → a plain error: ocrbox's registration
//     at the IdP is wrong, which no retry and no other password fixes.
//
// The message carries the HTTP status, the OAuth2 error code and a
// truncated error_description, never the response body (which could echo
// the request).
func tokenError(op string, err error, alsoInvalid ...string) error {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		return fmt.Errorf("%s: %w", op, unavailable(err))
	}
	status := 0
	if re.Response != nil {
		status = re.Response.StatusCode
	}
	code := re.ErrorCode
	detail := fmt.Sprintf("token endpoint answered %d", status)
	if code != "" {
		detail += " " + code
	}
	if re.ErrorDescription != "" {
		detail += ": " + truncate(re.ErrorDescription, 200)
	}
	switch {
	case status >= 500 || status == 429:
		return fmt.Errorf("%s: %w: %s", op, sdk.ErrUnavailable, detail)
	case slices.Contains(invalidCodes, code) || slices.Contains(alsoInvalid, code):
		return fmt.Errorf("%s: %w: %s", op, sdk.ErrInvalidCredentials, detail)
	case code == "unsupported_grant_type" || code == "unauthorized_client":
		return fmt.Errorf("%s: %w: %s", op, sdk.ErrNotImplemented, detail)
	case code == "invalid_client":
		return fmt.Errorf("%s: %w: client authentication failed, check %s and %s: %s", op, sdk.ErrMisconfigured, SettingClientID, SettingClientSecret, detail)
	case status == 401:
		return fmt.Errorf("%s: %w: %s", op, sdk.ErrInvalidCredentials, detail)
	}
	return fmt.Errorf("%s: %s", op, detail)
}

// truncate shortens s to at most n bytes on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && (s[n]&0xC0) == 0x80 {
		n--
	}
	return s[:n] + "…"
}
