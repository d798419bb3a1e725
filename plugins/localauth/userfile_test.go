package localauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ocrbox/ocrbox/plugins/sdk"
)

func newTestFile(t *testing.T) *UserFile {
	t.Helper()
	return openUserFile(filepath.Join(t.TempDir(), "users.json"), testParams)
}

func mustAdd(t *testing.T, u *UserFile, email, name, password string) {
	t.Helper()
	if err := u.Add(t.Context(), email, name, password); err != nil {
		t.Fatalf("Add(%s): %v", email, err)
	}
}

func TestAddVerify(t *testing.T) {
	u := newTestFile(t)
	mustAdd(t, u, "  Ada@Example.ORG ", "Ada Lovelace", "analytical-engine")
	mustAdd(t, u, "bob@example.org", "", "password1")
	mustAdd(t, u, "carol@example.org", "Carol", "carol-pass")
	if err := u.SetDisabled(t.Context(), "carol@example.org", true); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name, email, password string
		wantOK                bool
		wantName              string
	}{
		{"right password", "ada@example.org", "analytical-engine", true, "Ada Lovelace"},
		{"email case and spaces ignored", " ADA@example.org", "analytical-engine", true, "Ada Lovelace"},
		{"default name is local part", "bob@example.org", "password1", true, "bob"},
		{"wrong password", "ada@example.org", "analytical-engin", false, ""},
		{"password is case sensitive", "ada@example.org", "Analytical-Engine", false, ""},
		{"empty password", "ada@example.org", "", false, ""},
		{"unknown user", "eve@example.org", "analytical-engine", false, ""},
		{"empty email", "", "analytical-engine", false, ""},
		{"disabled user", "carol@example.org", "carol-pass", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := u.Verify(t.Context(), tt.email, tt.password)
			if !tt.wantOK {
				if !errors.Is(err, sdk.ErrInvalidCredentials) {
					t.Fatalf("Verify = %+v, %v; want ErrInvalidCredentials", got, err)
				}
				if got != (UserEntry{}) {
					t.Fatalf("Verify returned an entry with an error: %+v", got)
				}
				if tt.password != "" && strings.Contains(err.Error(), tt.password) {
					t.Fatalf("error %q contains the password", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if got.Email != normalizeEmail(tt.email) || got.Name != tt.wantName || got.Disabled {
				t.Fatalf("Verify = %+v", got)
			}
		})
	}

	// The three failure kinds are indistinguishable to the caller.
	var msgs []string
	for _, c := range [][2]string{{"ada@example.org", "nope-nope"}, {"eve@example.org", "nope-nope"}, {"carol@example.org", "carol-pass"}} {
		_, err := u.Verify(t.Context(), c[0], c[1])
		msgs = append(msgs, err.Error())
	}
	if msgs[0] != msgs[1] || msgs[1] != msgs[2] {
		t.Fatalf("failure messages differ: %q", msgs)
	}

	// Re-enabling restores access.
	if err := u.SetDisabled(t.Context(), "carol@example.org", false); err != nil {
		t.Fatal(err)
	}
	if _, err := u.Verify(t.Context(), "carol@example.org", "carol-pass"); err != nil {
		t.Fatalf("Verify after re-enable: %v", err)
	}
}

func TestAddValidation(t *testing.T) {
	u := newTestFile(t)
	mustAdd(t, u, "ada@example.org", "Ada", "password1")
	tests := []struct {
		name, email, uname, password string
		want                         error
	}{
		{"duplicate", "ada@example.org", "Other", "password2", ErrUserExists},
		{"duplicate other case", "ADA@example.org", "", "password2", ErrUserExists},
		{"short password", "b@example.org", "", "1234567", ErrInvalidInput},
		{"short multibyte password", "b@example.org", "", "ééééééé", ErrInvalidInput},
		{"long password", "b@example.org", "", strings.Repeat("x", maxPasswordBytes+1), ErrInvalidInput},
		{"empty email", "", "", "password1", ErrInvalidInput},
		{"no at", "example.org", "", "password1", ErrInvalidInput},
		{"no local part", "@example.org", "", "password1", ErrInvalidInput},
		{"no domain", "b@", "", "password1", ErrInvalidInput},
		{"two ats", "b@c@example.org", "", "password1", ErrInvalidInput},
		{"space inside", "b c@example.org", "", "password1", ErrInvalidInput},
		{"display name", "Bob <b@example.org>", "", "password1", ErrInvalidInput},
		{"double dot domain", "b@example..org", "", "password1", ErrInvalidInput},
		{"trailing dot domain", "b@example.org.", "", "password1", ErrInvalidInput},
		{"too long", strings.Repeat("b", 250) + "@example.org", "", "password1", ErrInvalidInput},
		{"control char in name", "b@example.org", "Bob\nAdmin", "password1", ErrInvalidInput},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := u.Add(t.Context(), tt.email, tt.uname, tt.password)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Add = %v, want %v", err, tt.want)
			}
			if len(tt.password) >= 4 && strings.Contains(err.Error(), tt.password) {
				t.Fatalf("error %q contains the password", err)
			}
		})
	}
	list, err := u.List(t.Context())
	if err != nil || len(list) != 1 {
		t.Fatalf("List = %+v, %v; want only ada", list, err)
	}
	// The duplicate did not overwrite the original password.
	if _, err := u.Verify(t.Context(), "ada@example.org", "password1"); err != nil {
		t.Fatalf("original password no longer works: %v", err)
	}

	for _, email := range []string{"admin@localhost", "first.last+tag@sub.example.co.uk", "x@example.org"} {
		if err := u.Add(t.Context(), email, "", "password1"); err != nil {
			t.Errorf("Add(%s) = %v, want ok", email, err)
		}
	}
}

func TestSetPassword(t *testing.T) {
	u := newTestFile(t)
	mustAdd(t, u, "ada@example.org", "Ada", "old-password")
	before, _ := u.List(t.Context())

	if err := u.SetPassword(t.Context(), "ADA@example.org", "new-password"); err != nil {
		t.Fatal(err)
	}
	if _, err := u.Verify(t.Context(), "ada@example.org", "old-password"); !errors.Is(err, sdk.ErrInvalidCredentials) {
		t.Fatalf("old password: %v, want ErrInvalidCredentials", err)
	}
	got, err := u.Verify(t.Context(), "ada@example.org", "new-password")
	if err != nil {
		t.Fatalf("new password: %v", err)
	}
	if !got.CreatedAt.Equal(before[0].CreatedAt) || got.UpdatedAt.Before(before[0].UpdatedAt) {
		t.Fatalf("timestamps: before %+v, after %+v", before[0], got)
	}

	tests := []struct {
		name, email, password string
		want                  error
	}{
		{"unknown user", "eve@example.org", "new-password", ErrUserNotFound},
		{"short password", "ada@example.org", "short", ErrInvalidInput},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := u.SetPassword(t.Context(), tt.email, tt.password); !errors.Is(err, tt.want) {
				t.Fatalf("SetPassword = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestDelete(t *testing.T) {
	u := newTestFile(t)
	mustAdd(t, u, "ada@example.org", "Ada", "password1")
	mustAdd(t, u, "bob@example.org", "Bob", "password2")

	if err := u.Delete(t.Context(), "Ada@Example.org"); err != nil {
		t.Fatal(err)
	}
	if _, err := u.Verify(t.Context(), "ada@example.org", "password1"); !errors.Is(err, sdk.ErrInvalidCredentials) {
		t.Fatalf("deleted user verifies: %v", err)
	}
	if _, err := u.Verify(t.Context(), "bob@example.org", "password2"); err != nil {
		t.Fatalf("other user: %v", err)
	}
	for _, email := range []string{"ada@example.org", "eve@example.org"} {
		if err := u.Delete(t.Context(), email); !errors.Is(err, ErrUserNotFound) {
			t.Errorf("Delete(%s) = %v, want ErrUserNotFound", email, err)
		}
	}
	// Unknown users on the other mutators too.
	if err := u.SetDisabled(t.Context(), "eve@example.org", true); !errors.Is(err, ErrUserNotFound) {
		t.Errorf("SetDisabled = %v, want ErrUserNotFound", err)
	}
}

func TestList(t *testing.T) {
	u := newTestFile(t)
	list, err := u.List(t.Context())
	if err != nil || len(list) != 0 {
		t.Fatalf("List of missing file = %+v, %v; want empty", list, err)
	}
	if _, err := os.Stat(u.path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("List created the file: %v", err)
	}

	start := time.Now().UTC().Add(-time.Second)
	mustAdd(t, u, "carol@example.org", "Carol", "password3")
	mustAdd(t, u, "ada@example.org", "Ada", "password1")
	mustAdd(t, u, "bob@example.org", "", "password2")

	list, err = u.List(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	emails := make([]string, len(list))
	for i, e := range list {
		emails[i] = e.Email
		if e.CreatedAt.Before(start) || e.CreatedAt.Location() != time.UTC || !e.UpdatedAt.Equal(e.CreatedAt) || e.Disabled {
			t.Errorf("entry %+v: bad timestamps or flags", e)
		}
	}
	if want := []string{"ada@example.org", "bob@example.org", "carol@example.org"}; !slices.Equal(emails, want) {
		t.Fatalf("List emails = %v, want %v", emails, want)
	}

	// Nothing in the public type's printed or JSON forms carries a hash.
	js, err := json.Marshal(list)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{string(js), fmt.Sprintf("%+v", list), fmt.Sprintf("%#v", list)} {
		if strings.Contains(s, "argon2") || strings.Contains(strings.ToLower(s), "hash") {
			t.Fatalf("public form leaks a hash: %s", s)
		}
	}
}

func TestFileFormatAndMode(t *testing.T) {
	u := newTestFile(t)
	mustAdd(t, u, "ada@example.org", "Ada", "password1")

	for _, p := range []string{u.path, u.path + ".lock"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode = %v, want 0600", filepath.Base(p), fi.Mode().Perm())
		}
	}
	// A file with loose permissions is tightened by the next write.
	if err := os.Chmod(u.path, 0o644); err != nil {
		t.Fatal(err)
	}
	mustAdd(t, u, "bob@example.org", "Bob", "password2")
	if fi, _ := os.Stat(u.path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode after rewrite = %v, want 0600", fi.Mode().Perm())
	}
	// No temporary files are left behind.
	entries, _ := os.ReadDir(filepath.Dir(u.path))
	for _, e := range entries {
		if e.Name() != "users.json" && e.Name() != "users.json.lock" {
			t.Errorf("stray file %s", e.Name())
		}
	}

	raw, err := os.ReadFile(u.path)
	if err != nil {
		t.Fatal(err)
	}
	var fd struct {
		Version int              `json:"version"`
		Users   []map[string]any `json:"users"`
	}
	if err := json.Unmarshal(raw, &fd); err != nil {
		t.Fatal(err)
	}
	if fd.Version != 1 || len(fd.Users) != 2 {
		t.Fatalf("file = %s", raw)
	}
	for _, key := range []string{"email", "name", "password_hash", "created_at", "updated_at", "disabled"} {
		if _, ok := fd.Users[0][key]; !ok {
			t.Errorf("stored user lacks %q", key)
		}
	}
	if h, _ := fd.Users[0]["password_hash"].(string); !phcRE.MatchString(h) {
		t.Errorf("password_hash %q is not a PHC argon2id string", h)
	}
}

func TestCorruptFile(t *testing.T) {
	goodHash, err := hashPassword(testParams, "password1")
	if err != nil {
		t.Fatal(err)
	}
	user := func(email, hash string) string {
		return fmt.Sprintf(`{"email":%q,"name":"X","password_hash":%q,"created_at":"2025-01-01T00:00:00Z","updated_at":"2025-01-01T00:00:00Z"}`, email, hash)
	}
	tests := map[string]struct {
		content string
		want    string // in the error message
	}{
		"not json":         {"{not json", "invalid character"},
		"truncated":        {`{"version":1,"users":[` + user("a@example.org", goodHash), "unexpected end"},
		"wrong type":       {`{"version":1,"users":{}}`, "cannot unmarshal"},
		"future version":   {`{"version":2,"users":[]}`, "unsupported version 2"},
		"upper-case email": {`{"version":1,"users":[` + user("A@example.org", goodHash) + `]}`, "lower-case"},
		"bad email":        {`{"version":1,"users":[` + user("nobody", goodHash) + `]}`, "not an email"},
		"duplicate":        {`{"version":1,"users":[` + user("a@example.org", goodHash) + "," + user("a@example.org", goodHash) + `]}`, "duplicate"},
		"bad hash":         {`{"version":1,"users":[` + user("a@example.org", "plaintext-pw") + `]}`, "password_hash"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			u := newTestFile(t)
			if err := os.WriteFile(u.path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			check := func(op string, err error) {
				t.Helper()
				if !errors.Is(err, ErrCorruptFile) {
					t.Fatalf("%s = %v, want ErrCorruptFile", op, err)
				}
				msg := err.Error()
				if !strings.Contains(msg, u.path) || !strings.Contains(msg, tt.want) {
					t.Fatalf("%s error %q should name the file and say %q", op, msg, tt.want)
				}
				if strings.Contains(msg, goodHash) || strings.Contains(msg, "plaintext-pw") {
					t.Fatalf("%s error %q leaks a hash", op, msg)
				}
			}
			_, err := u.List(t.Context())
			check("List", err)
			_, err = u.Verify(t.Context(), "a@example.org", "password1")
			check("Verify", err)
			if errors.Is(err, sdk.ErrInvalidCredentials) {
				t.Fatal("a corrupt file must not look like wrong credentials")
			}
			check("Add", u.Add(t.Context(), "b@example.org", "", "password2"))
			check("Delete", u.Delete(t.Context(), "a@example.org"))

			// Writers left the broken file alone for the administrator.
			got, _ := os.ReadFile(u.path)
			if string(got) != tt.content {
				t.Fatalf("corrupt file was rewritten: %s", got)
			}
		})
	}
}

func TestEmptyFileHoldsNoUsers(t *testing.T) {
	u := newTestFile(t)
	if err := os.WriteFile(u.path, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if list, err := u.List(t.Context()); err != nil || len(list) != 0 {
		t.Fatalf("List = %+v, %v", list, err)
	}
	mustAdd(t, u, "ada@example.org", "", "password1")
}

// A second UserFile (standing in for the server while the CLI writes) sees
// every change, including same-size rewrites within one mtime tick.
func TestReloadOnChange(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users.json")
	cli, server := openUserFile(path, testParams), openUserFile(path, testParams)

	mustAdd(t, cli, "ada@example.org", "Ada", "password1")
	if _, err := server.Verify(t.Context(), "ada@example.org", "password1"); err != nil {
		t.Fatalf("server does not see the new user: %v", err)
	}
	if err := cli.SetPassword(t.Context(), "ada@example.org", "password2"); err != nil {
		t.Fatal(err)
	}
	if _, err := server.Verify(t.Context(), "ada@example.org", "password2"); err != nil {
		t.Fatalf("server does not see the new password: %v", err)
	}
	if err := cli.Delete(t.Context(), "ada@example.org"); err != nil {
		t.Fatal(err)
	}
	if _, err := server.Verify(t.Context(), "ada@example.org", "password2"); !errors.Is(err, sdk.ErrInvalidCredentials) {
		t.Fatalf("server still accepts a deleted user: %v", err)
	}

	// An unchanged file is served from the cache, not re-read.
	mustAdd(t, cli, "bob@example.org", "Bob", "password3")
	if _, err := server.List(t.Context()); err != nil {
		t.Fatal(err)
	}
	server.mu.Lock()
	cached := server.cache
	server.mu.Unlock()
	if _, err := server.List(t.Context()); err != nil {
		t.Fatal(err)
	}
	server.mu.Lock()
	same := fmt.Sprintf("%p", server.cache) == fmt.Sprintf("%p", cached)
	server.mu.Unlock()
	if !same {
		t.Fatal("unchanged file was re-read")
	}
}

func TestLookup(t *testing.T) {
	ctx := context.Background()
	uf := newTestFile(t)
	if err := uf.Add(ctx, "Carol@Example.org", "Carol", "password-carol"); err != nil {
		t.Fatal(err)
	}
	if u, err := uf.Lookup(ctx, "carol@example.ORG"); err != nil || u.Name != "Carol" {
		t.Fatalf("lookup: %v %+v", err, u)
	}
	if err := uf.SetDisabled(ctx, "carol@example.org", true); err != nil {
		t.Fatal(err)
	}
	if _, err := uf.Lookup(ctx, "carol@example.org"); !errors.Is(err, sdk.ErrUserNotFound) {
		t.Fatalf("disabled: %v", err)
	}
	if _, err := uf.Lookup(ctx, "nobody@example.org"); !errors.Is(err, sdk.ErrUserNotFound) {
		t.Fatalf("unknown: %v", err)
	}
}
