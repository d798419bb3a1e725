package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"syscall"
	"time"

	"github.com/ocrbox/ocrbox/core/accounts"
	"github.com/ocrbox/ocrbox/core/domain"
)

// ErrNoServer is returned (wrapped) by Dial when no server listens on the
// socket: there is none, or a stale file of one that stopped.
var ErrNoServer = errors.New("no ocrbox server is listening on the admin socket")

// Client calls a running server's admin API.
type Client struct {
	hc   *http.Client
	path string
}

// Dial checks that a server answers on the socket at path and returns a
// client for it; with none there it fails with an error wrapping
// ErrNoServer.
func Dial(ctx context.Context, path string) (*Client, error) {
	d := net.Dialer{Timeout: 2 * time.Second}
	c, err := d.DialContext(ctx, "unix", path)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ECONNREFUSED) {
		return nil, fmt.Errorf("dial %s: %w", path, ErrNoServer)
	}
	if err != nil {
		return nil, fmt.Errorf("dial admin socket %s: %w", path, err)
	}
	c.Close()
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return d.DialContext(ctx, "unix", path)
		},
		DisableKeepAlives: true,
	}
	return &Client{hc: &http.Client{Transport: tr}, path: path}, nil
}

// DeleteUser asks the server to delete the data of the user with this
// email (POST /users/delete).
func (c *Client) DeleteUser(ctx context.Context, email string) (accounts.Purged, error) {
	var out accounts.Purged
	err := c.call(ctx, "/users/delete", DeleteUserRequest{Email: email}, &out)
	return out, err
}

// LinkIdentity asks the server to bind a provider identity to the account
// with this email (POST /users/link).
func (c *Client) LinkIdentity(ctx context.Context, email string, id domain.Identity) (domain.User, error) {
	var out domain.User
	err := c.call(ctx, "/users/link", LinkUserRequest{Email: email, Provider: id.Provider, Subject: id.Subject}, &out)
	return out, err
}

// ListUsers asks the server for every account with its identities
// (GET /users).
func (c *Client) ListUsers(ctx context.Context) ([]UserEntry, error) {
	var out UsersList
	err := c.do(ctx, http.MethodGet, "/users", nil, &out)
	return out.Users, err
}

// Backup streams the running server's hot backup into w.
func (c *Client) Backup(ctx context.Context, w io.Writer) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://ocrbox-admin/backup", nil)
	if err != nil {
		return err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("admin /backup: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		var e errorBody
		if json.Unmarshal(raw, &e) == nil && e.Error.Message != "" {
			return fmt.Errorf("admin /backup: the server answered %d: %s", resp.StatusCode, e.Error.Message)
		}
		return fmt.Errorf("admin /backup: the server answered %s", resp.Status)
	}
	if _, err := io.Copy(w, resp.Body); err != nil {
		return fmt.Errorf("admin /backup: the stream broke off: %w", err)
	}
	return nil
}

// call POSTs in as JSON to path and decodes a 2xx answer into out.
func (c *Client) call(ctx context.Context, path string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return c.do(ctx, http.MethodPost, path, body, out)
}

// do sends a request with an optional JSON body to path and decodes a 2xx
// answer into out.
func (c *Client) do(ctx context.Context, method, path string, body []byte, out any) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	// The host part is ignored: the transport always dials the socket.
	req, err := http.NewRequestWithContext(ctx, method, "http://ocrbox-admin"+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("admin %s: %w", path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("admin %s: read answer: %w", path, err)
	}
	if resp.StatusCode/100 != 2 {
		var e errorBody
		if json.Unmarshal(raw, &e) == nil && e.Error.Message != "" {
			return fmt.Errorf("admin %s: the server answered %d: %s", path, resp.StatusCode, e.Error.Message)
		}
		return fmt.Errorf("admin %s: the server answered %s", path, resp.Status)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("admin %s: decode answer: %w", path, err)
	}
	return nil
}
