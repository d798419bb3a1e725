package httpauth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// maxResponseBytes bounds what is read of one answer. Auth answers are a
// few hundred bytes; anything near this is a misbehaving API, not a user.
const maxResponseBytes = 1 << 20

// client talks to the auth API with one configuration.
type client struct {
	cfg  *config
	http *http.Client
}

func newClient(cfg *config) *client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = cfg.tls
	return &client{cfg: cfg, http: &http.Client{
		Transport: tr,
		Timeout:   cfg.timeout,
		// Redirects are answered as errors, not followed: a redirected
		// POST would lose its body, and credentials must not follow a
		// Location header to another host.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// call is one request to the auth API.
type call struct {
	op     string // what ocrbox was doing: the error prefix
	method string
	ep     endpoint
	query  url.Values // added to the endpoint's own query
	body   any        // sent as JSON when non-nil
	bearer string     // sent as Authorization: Bearer when non-empty
	// refused says which SDK error a non-2xx status means (e.g.
	// sdk.ErrInvalidCredentials); nil means the API failed
	// (sdk.ErrUnavailable).
	refused func(status int) error
	// emptyOK lets a 2xx answer have no body (revoke, lookup).
	emptyOK bool
}

// do sends c and decodes a 2xx JSON answer (json.Number for numbers). Its
// errors never contain the request or answer bodies, so no password or token
// can leak through them.
func (c *client) do(ctx context.Context, cl call) (any, error) {
	var body io.Reader
	if cl.body != nil {
		b, err := json.Marshal(cl.body)
		if err != nil {
			return nil, fmt.Errorf("%s: encode request: %w", cl.op, err)
		}
		body = bytes.NewReader(b)
	}
	target := cl.ep.url
	if len(cl.query) > 0 {
		u, err := url.Parse(target)
		if err != nil {
			return nil, fmt.Errorf("%s: endpoint %s: %w", cl.op, cl.ep.path, err)
		}
		q := u.Query()
		for k, vs := range cl.query {
			q[k] = vs
		}
		u.RawQuery = q.Encode()
		target = u.String()
	}
	req, err := http.NewRequestWithContext(ctx, cl.method, target, body)
	if err != nil {
		return nil, fmt.Errorf("%s: build request for %s: %w", cl.op, cl.ep.path, err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "ocrbox-httpauth/"+Version)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if cl.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+cl.bearer)
	}

	resp, err := c.http.Do(req)
	if err != nil {
		return nil, c.transportError(ctx, cl, err)
	}
	defer resp.Body.Close()

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		// Read (boundedly) so the connection can be reused; the body is
		// never shown: error pages may echo what was sent.
		errBody, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
		if refusesClient(resp, cl.bearer != "", errBody) {
			return nil, fmt.Errorf("%s: auth API refused ocrbox's own credentials (%d at %s; check the user and password in %s): %w",
				cl.op, resp.StatusCode, cl.ep.path, keyAPIURL, sdk.ErrMisconfigured)
		}
		if cl.refused != nil {
			if kind := cl.refused(resp.StatusCode); kind != nil {
				return nil, fmt.Errorf("%s: %w", cl.op, kind)
			}
		}
		return nil, fmt.Errorf("%s: auth API answered %d at %s: %w", cl.op, resp.StatusCode, cl.ep.path, sdk.ErrUnavailable)
	}

	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return nil, c.transportError(ctx, cl, err)
	}
	if len(raw) > maxResponseBytes {
		return nil, fmt.Errorf("%s: auth API answer from %s is larger than %d bytes: %w", cl.op, cl.ep.path, maxResponseBytes, sdk.ErrUnavailable)
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		if cl.emptyOK {
			return nil, nil
		}
		return nil, fmt.Errorf("%s: auth API answer from %s is empty: %w", cl.op, cl.ep.path, sdk.ErrUnavailable)
	}
	doc, ok := decodeJSON(raw)
	if !ok {
		return nil, fmt.Errorf("%s: auth API answer from %s is not JSON: %w", cl.op, cl.ep.path, sdk.ErrUnavailable)
	}
	return doc, nil
}

// decodeJSON decodes exactly one JSON value, keeping numbers exact.
func decodeJSON(raw []byte) (any, bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, false
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, false // trailing garbage
	}
	return doc, true
}

// transportError classifies a failure to get an answer at all. The caller's
// own cancellation stays a context error; everything else (refused, reset,
// timed out, TLS, DNS) is sdk.ErrUnavailable, which the host retries.
func (c *client) transportError(ctx context.Context, cl call, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("%s: %w", cl.op, ctxErr)
	}
	var nerr net.Error
	if errors.As(err, &nerr) && nerr.Timeout() {
		return fmt.Errorf("%s: auth API did not answer within %s at %s: %w", cl.op, c.cfg.timeout, cl.ep.path, sdk.ErrUnavailable)
	}
	// url.Error repeats the URL, which may carry a query (lookup's email)
	// or basic-auth user; its cause is enough.
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err
	}
	return fmt.Errorf("%s: auth API unreachable at %s: %v: %w", cl.op, cl.ep.path, err, sdk.ErrUnavailable)
}

// refusesClient reports a 401 that refuses ocrbox rather than the person
// signing in: OAuth's invalid_client (RFC 6749 §5.2), or a Basic challenge
// to a request that carried no person's token, which is about the
// credentials in external_auth_api_url (wrong or missing). Every sign-in
// would fail the same way, so it is misconfiguration for the administrator
// (auth_misconfigured), not a wrong password and not an outage.
func refusesClient(resp *http.Response, bearer bool, body []byte) bool {
	if resp.StatusCode != http.StatusUnauthorized {
		return false
	}
	if !bearer {
		for _, ch := range resp.Header.Values("WWW-Authenticate") {
			if scheme, _, _ := strings.Cut(strings.TrimSpace(ch), " "); strings.EqualFold(scheme, "Basic") {
				return true
			}
		}
	}
	doc, ok := decodeJSON(body)
	if !ok {
		return false
	}
	m, _ := doc.(map[string]any)
	return m["error"] == "invalid_client"
}

// refusedToken is the refused func of calls that present credentials or a
// token: these statuses mean "not accepted", which must not be retried.
func refusedToken(status int) error {
	switch status {
	case http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden, http.StatusUnprocessableEntity:
		return sdk.ErrInvalidCredentials
	}
	return nil
}

// refusedLookup: only "no such user" ends sessions. A 401 or 403 here means
// ocrbox may not ask, which says nothing about the user.
func refusedLookup(status int) error {
	switch status {
	case http.StatusNotFound, http.StatusGone:
		return sdk.ErrUserNotFound
	}
	return nil
}
