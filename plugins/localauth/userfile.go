// Package localauth is the built-in "local" auth provider: accounts kept in
// a users file (default <data_dir>/users.json, mode 0600) with argon2id
// password hashes, managed by `ocrbox users add|passwd|delete` and checked by
// the provider plugin.
//
// The file is JSON:
//
//	{
//	  "version": 1,
//	  "users": [
//	    {"email": "ada@example.org", "name": "Ada",
//	     "password_hash": "$argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>",
//	     "created_at": "2025-01-02T03:04:05Z", "updated_at": "2025-01-02T03:04:05Z",
//	     "disabled": false}
//	  ]
//	}
//
// Writers take an flock on users.json.lock, read the file afresh, and replace
// it atomically (temporary file in the same directory, fsync, rename), so a
// CLI command running next to the server loses nothing. Readers need no lock:
// they see the old file or the new one, and re-read it only when its identity,
// size or mtime changes.
//
// A successful sign-in whose hash was made with other argon2 parameters than
// the current ones stores a new hash of the same password, in the background
// and only if the stored hash is still the one checked (see Verify).
package localauth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// Errors returned by UserFile; match them with errors.Is.
var (
	// ErrUserExists means Add was given an email that already has an account.
	ErrUserExists = errors.New("user already exists")
	// ErrUserNotFound means no account has the given email.
	ErrUserNotFound = errors.New("user not found")
	// ErrInvalidInput means an email, name or password was rejected before
	// anything was written.
	ErrInvalidInput = errors.New("invalid input")
	// ErrCorruptFile means the users file exists but cannot be parsed or
	// holds invalid entries. Writers refuse to touch such a file.
	ErrCorruptFile = errors.New("users file is corrupt")
)

// UserEntry is the public view of one account. It deliberately has no
// password hash, so printing or JSON-encoding it cannot leak one.
type UserEntry struct {
	// Email is the lower-cased address that identifies the account.
	Email string `json:"email"`
	// Name is the display name.
	Name string `json:"name"`
	// CreatedAt and UpdatedAt are UTC, to the second.
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// Disabled accounts cannot sign in.
	Disabled bool `json:"disabled"`
}

// UserFile reads and writes one users file. It is safe for concurrent use,
// and several UserFiles (in one process or many) may share a path. Create it
// with OpenUserFile.
type UserFile struct {
	path   string
	params argonParams
	log    *slog.Logger

	// hashes bounds concurrent argon2 computations: each costs
	// params.memoryKiB and a core, and a burst of logins must neither
	// exhaust memory nor slow every one of them down together.
	hashes *hashQueue
	// writeSem serialises this value's writers before they contend for the
	// cross-process flock.
	writeSem chan struct{}

	mu        sync.Mutex // guards cache, cacheInfo and upgrading
	cache     *userSet
	cacheInfo os.FileInfo     // the file cache was read from; nil if none
	upgrading map[string]bool // emails whose hash is being re-hashed
	upgrades  sync.WaitGroup  // the re-hashes running in the background
}

// OpenUserFile returns a UserFile for path. Nothing is read or created until
// the first call; a missing file holds no users.
func OpenUserFile(path string) *UserFile {
	return openUserFile(path, defaultParams)
}

// openUserFile is OpenUserFile with chosen argon2 parameters (tests use
// cheap ones).
func openUserFile(path string, p argonParams) *UserFile {
	return newUserFile(path, p, 0, nil)
}

// newUserFile is openUserFile with at most hashers argon2 computations at
// once (< 1: GOMAXPROCS) and a logger for background re-hashes (nil: none).
func newUserFile(path string, p argonParams, hashers int, log *slog.Logger) *UserFile {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &UserFile{
		path:      path,
		params:    p,
		log:       log,
		hashes:    newHashQueue(hashers),
		writeSem:  make(chan struct{}, 1),
		upgrading: map[string]bool{},
	}
}

// Add creates an account. The email is lower-cased and must look like an
// address; an empty name defaults to the email's local part; the password
// needs at least 8 characters. Invalid input gives an error wrapping
// ErrInvalidInput, an existing email one wrapping ErrUserExists.
func (u *UserFile) Add(ctx context.Context, email, name, password string) error {
	email = normalizeEmail(email)
	if err := validateEmail(email); err != nil {
		return fmt.Errorf("add user: %w", err)
	}
	name, err := normalizeName(name, email)
	if err != nil {
		return fmt.Errorf("add user %s: %w", email, err)
	}
	hash, err := u.hash(ctx, password)
	if err != nil {
		return fmt.Errorf("add user %s: %w", email, err)
	}
	return u.update(ctx, func(users map[string]userRecord, now time.Time) error {
		if _, ok := users[email]; ok {
			return fmt.Errorf("add user %s: %w", email, ErrUserExists)
		}
		users[email] = userRecord{Email: email, Name: name, PasswordHash: hash, CreatedAt: now, UpdatedAt: now}
		return nil
	})
}

// SetPassword replaces the password of an existing account (unknown email:
// ErrUserNotFound; too short: ErrInvalidInput).
func (u *UserFile) SetPassword(ctx context.Context, email, password string) error {
	email = normalizeEmail(email)
	hash, err := u.hash(ctx, password)
	if err != nil {
		return fmt.Errorf("set password of %s: %w", email, err)
	}
	return u.modify(ctx, "set password of", email, func(r *userRecord) { r.PasswordHash = hash })
}

// SetDisabled disables or re-enables an account without deleting it.
func (u *UserFile) SetDisabled(ctx context.Context, email string, disabled bool) error {
	what := "enable"
	if disabled {
		what = "disable"
	}
	return u.modify(ctx, what, normalizeEmail(email), func(r *userRecord) { r.Disabled = disabled })
}

// Delete removes an account; an unknown email gives an error wrapping
// ErrUserNotFound.
func (u *UserFile) Delete(ctx context.Context, email string) error {
	email = normalizeEmail(email)
	return u.update(ctx, func(users map[string]userRecord, _ time.Time) error {
		if _, ok := users[email]; !ok {
			return fmt.Errorf("delete user %s: %w", email, ErrUserNotFound)
		}
		delete(users, email)
		return nil
	})
}

// List returns every account, sorted by email.
func (u *UserFile) List(ctx context.Context) ([]UserEntry, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	set, err := u.snapshot()
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	out := make([]UserEntry, 0, len(set.users))
	for _, r := range set.users {
		out = append(out, r.entry())
	}
	slices.SortFunc(out, func(a, b UserEntry) int { return strings.Compare(a.Email, b.Email) })
	return out, nil
}

// Lookup returns an enabled account by email; a missing or disabled one is
// an error wrapping sdk.ErrUserNotFound. No password is involved: the host
// uses it to end sessions of accounts deleted since sign-in.
func (u *UserFile) Lookup(ctx context.Context, email string) (UserEntry, error) {
	if err := ctx.Err(); err != nil {
		return UserEntry{}, err
	}
	set, err := u.snapshot()
	if err != nil {
		return UserEntry{}, fmt.Errorf("look up user: %w", err)
	}
	rec, found := set.users[normalizeEmail(email)]
	if !found || rec.Disabled {
		return UserEntry{}, fmt.Errorf("look up user: %w", sdk.ErrUserNotFound)
	}
	return rec.entry(), nil
}

// Verify checks a password and returns the account. A wrong password, an
// unknown email and a disabled account all give the same error, wrapping
// sdk.ErrInvalidCredentials, after the same amount of argon2 work, so neither
// the answer nor its timing tells which emails exist: an unknown email is
// checked against a hash with the parameters of a stored one, chosen by the
// email, so it costs what an account of the file costs even while older
// hashes are still being upgraded.
//
// The check waits for its turn among the hashes in progress (at most one
// per core run at once) unless ctx ends first. A right password whose hash
// has other parameters than the current ones is re-hashed with the current
// ones in the background (the answer does not wait for it).
func (u *UserFile) Verify(ctx context.Context, email, password string) (UserEntry, error) {
	email = normalizeEmail(email)
	set, err := u.snapshot()
	if err != nil {
		return UserEntry{}, fmt.Errorf("verify user: %w", err)
	}
	rec, found := set.users[email]
	hash := rec.PasswordHash
	if !found {
		hash = set.dummyFor(email, u.params)
	}
	var ok bool
	var verr error
	if err := u.hashes.do(ctx, func() { ok, verr = verifyPassword(hash, password) }); err != nil {
		return UserEntry{}, fmt.Errorf("verify user: %w", err)
	}
	if verr != nil {
		// Unreachable for files that passed validation on read.
		return UserEntry{}, fmt.Errorf("verify user: %w", verr)
	}
	if !found || !ok || rec.Disabled {
		return UserEntry{}, fmt.Errorf("verify user: %w", sdk.ErrInvalidCredentials)
	}
	if needsRehash(hash, u.params) {
		u.upgradeLater(ctx, email, hash, password)
	}
	return rec.entry(), nil
}

// modify applies change to one existing account and bumps its UpdatedAt.
func (u *UserFile) modify(ctx context.Context, what, email string, change func(*userRecord)) error {
	return u.update(ctx, func(users map[string]userRecord, now time.Time) error {
		r, ok := users[email]
		if !ok {
			return fmt.Errorf("%s %s: %w", what, email, ErrUserNotFound)
		}
		change(&r)
		r.UpdatedAt = now
		users[email] = r
		return nil
	})
}

// hash validates and hashes a new password, within the argon2 concurrency
// bound.
func (u *UserFile) hash(ctx context.Context, password string) (string, error) {
	if err := validatePassword(password); err != nil {
		return "", err
	}
	return u.hashNow(ctx, password)
}

// hashNow hashes password with the current parameters when its turn comes.
func (u *UserFile) hashNow(ctx context.Context, password string) (string, error) {
	var h string
	var herr error
	if err := u.hashes.do(ctx, func() { h, herr = hashPassword(u.params, password) }); err != nil {
		return "", err
	}
	return h, herr
}

// acquire takes a slot of sem unless ctx ends first.
func acquire(ctx context.Context, sem chan struct{}) error {
	select {
	case sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
