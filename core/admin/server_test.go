package admin_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ocrbox/ocrbox/core/accounts"
	"github.com/ocrbox/ocrbox/core/admin"
	"github.com/ocrbox/ocrbox/core/domain"
)

// fakeAccounts answers Purge from a table.
type fakeAccounts struct{ calls []string }

func (f *fakeAccounts) Purge(_ context.Context, email, actor string) (accounts.Purged, error) {
	f.calls = append(f.calls, email+"/"+actor)
	if email == "broken@example.org" {
		return accounts.Purged{}, errors.New("disk on fire")
	}
	return accounts.Purged{Email: email, Found: true, Tasks: 2, Sessions: 1}, nil
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// start serves an admin server on a socket in a fresh directory.
func start(t *testing.T, acc admin.Accounts) (*admin.Server, string) {
	t.Helper()
	return startWith(t, admin.Deps{Accounts: acc})
}

// startWith is start with every dependency chosen.
func startWith(t *testing.T, deps admin.Deps) (*admin.Server, string) {
	t.Helper()
	dir, err := os.MkdirTemp("", "adm") // short: sun_path holds 107 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, admin.SocketName)
	s := admin.NewServer(deps, quiet())
	if err := s.Listen(path); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve() }()
	t.Cleanup(func() {
		_ = s.Shutdown(context.Background())
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return s, path
}

func TestDeleteUserOverTheSocket(t *testing.T) {
	ctx := context.Background()
	acc := &fakeAccounts{}
	_, path := start(t, acc)
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 || fi.Mode().Type() != os.ModeSocket {
		t.Fatalf("socket %v, %v; want a 0600 socket", fi, err)
	}
	c, err := admin.Dial(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.DeleteUser(ctx, "alice@example.org")
	if err != nil || !got.Found || got.Tasks != 2 || got.Sessions != 1 || got.Email != "alice@example.org" {
		t.Fatalf("DeleteUser = %+v, %v", got, err)
	}
	if len(acc.calls) != 1 || acc.calls[0] != "alice@example.org/admin-socket" {
		t.Errorf("calls %v", acc.calls)
	}
	if _, err := c.DeleteUser(ctx, "broken@example.org"); err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Errorf("a failing purge: %v", err)
	}
	if _, err := c.DeleteUser(ctx, "  "); err == nil || !strings.Contains(err.Error(), "email is required") {
		t.Errorf("an empty email: %v", err)
	}

	// Raw HTTP: unknown routes, methods and bodies are refused.
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", path)
	}}}
	for _, tc := range []struct {
		method, path, body string
		status             int
	}{
		{"GET", "/users/delete", "", http.StatusMethodNotAllowed},
		{"POST", "/nope", "{}", http.StatusNotFound},
		{"POST", "/users/delete", "{not json", http.StatusBadRequest},
		{"POST", "/users/delete", `{"email":"a@b","admin":true}`, http.StatusBadRequest},
	} {
		req, _ := http.NewRequest(tc.method, "http://x"+tc.path, strings.NewReader(tc.body))
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Errorf("%s %s %s: %d, want %d", tc.method, tc.path, tc.body, resp.StatusCode, tc.status)
		}
	}
}

// TestListUsersOverTheSocket: GET /users answers every account with its
// identities; a server without the list, or failing, says so.
func TestListUsersOverTheSocket(t *testing.T) {
	ctx := context.Background()
	want := []admin.UserEntry{
		{User: domain.User{ID: "u1", Email: "ada@example.org", Name: "Ada", Provider: "oidc"},
			Identities: []domain.Identity{{Provider: "ldap", Subject: "uid=ada"}, {Provider: "oidc", Subject: "CgNhZGE"}}},
		{User: domain.User{ID: "u2", Email: "bob@example.org", Provider: "local"}, Identities: []domain.Identity{}},
	}
	tests := []struct {
		name    string
		users   func(context.Context) ([]admin.UserEntry, error)
		want    []admin.UserEntry
		wantErr string
	}{
		{"accounts with identities", func(context.Context) ([]admin.UserEntry, error) { return want, nil }, want, ""},
		{"no accounts", func(context.Context) ([]admin.UserEntry, error) { return nil, nil }, []admin.UserEntry{}, ""},
		{"the store fails", func(context.Context) ([]admin.UserEntry, error) { return nil, errors.New("disk on fire") }, nil, "disk on fire"},
		{"not offered", nil, nil, "offers no user list"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, path := startWith(t, admin.Deps{Accounts: &fakeAccounts{}, Users: tt.users})
			c, err := admin.Dial(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.ListUsers(ctx)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("ListUsers = %v, %v; want an error with %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ListUsers = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

// TestSocketLifecycle: a stale socket file from a crashed server is
// replaced, anything else in the way is refused, Shutdown removes the
// socket, and Dial tells "no server" apart.
func TestSocketLifecycle(t *testing.T) {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "adm")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, admin.SocketName)

	if _, err := admin.Dial(ctx, path); !errors.Is(err, admin.ErrNoServer) {
		t.Errorf("Dial with no socket: %v, want ErrNoServer", err)
	}
	// A stale socket: bound, then its listener gone without unlinking.
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	if _, err := admin.Dial(ctx, path); !errors.Is(err, admin.ErrNoServer) {
		t.Errorf("Dial to a stale socket: %v, want ErrNoServer", err)
	}
	s := admin.NewServer(admin.Deps{Accounts: &fakeAccounts{}}, quiet())
	if err := s.Listen(path); err != nil {
		t.Fatalf("Listen over a stale socket: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve() }()
	if _, err := admin.Dial(ctx, path); err != nil {
		t.Errorf("Dial to the running server: %v", err)
	}
	if err := s.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after Shutdown")
	}
	if _, err := os.Lstat(path); !os.IsNotExist(err) {
		t.Errorf("socket left after Shutdown: %v", err)
	}

	// Not a socket: left alone.
	if err := os.WriteFile(path, []byte("precious"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := admin.NewServer(admin.Deps{}, quiet()).Listen(path); err == nil {
		t.Error("Listen replaced a regular file")
	}
	if b, _ := os.ReadFile(path); string(b) != "precious" {
		t.Error("the regular file was touched")
	}
	long := filepath.Join(dir, strings.Repeat("d", 120), admin.SocketName)
	if err := admin.NewServer(admin.Deps{}, quiet()).Listen(long); !errors.Is(err, admin.ErrPathTooLong) {
		t.Errorf("Listen on a %d-byte path: %v", len(long), err)
	}
}
