package boltstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ocrbox/ocrbox/core/domain"
)

// emailKey is the users_by_email key: emails match case-insensitively.
func emailKey(email string) string {
	return strings.ToLower(strings.TrimSpace(email))
}

// UpsertUser records a sign-in. An unknown email (case-insensitive) creates
// a user with a NewID and CreatedAt (now unless set); a known one updates
// Name, Provider, Extra, LastLogin and UpdatedAt (now unless set) and keeps
// the id, the stored email spelling and CreatedAt. It returns the stored user.
func (s *Store) UpsertUser(ctx context.Context, u domain.User) (domain.User, error) {
	key := emailKey(u.Email)
	if key == "" {
		return domain.User{}, fmt.Errorf("upsert user: empty email: %w", domain.ErrInvalid)
	}
	now := time.Now().UTC()
	if u.UpdatedAt.IsZero() {
		u.UpdatedAt = now
	}
	var out domain.User
	err := s.update(ctx, func(x *txn) error {
		if id := x.usersByEmail.Get([]byte(key)); id != nil {
			cur, err := x.getUser(string(id))
			if err != nil {
				return err
			}
			cur.Name, cur.Provider, cur.Extra = u.Name, u.Provider, u.Extra
			cur.LastLogin, cur.UpdatedAt = u.LastLogin, u.UpdatedAt
			out = cur
			return putJSON(x.users, []byte(cur.ID), cur)
		}
		u.ID = NewID()
		u.Email = strings.TrimSpace(u.Email)
		if u.CreatedAt.IsZero() {
			u.CreatedAt = now
		}
		out = u
		if err := x.usersByEmail.Put([]byte(key), []byte(u.ID)); err != nil {
			return err
		}
		return putJSON(x.users, []byte(u.ID), u)
	})
	if err != nil {
		return domain.User{}, fmt.Errorf("upsert user: %w", err)
	}
	return out, nil
}

// GetUser returns the user with the given id.
func (s *Store) GetUser(ctx context.Context, id string) (domain.User, error) {
	if err := checkID("user", id); err != nil {
		return domain.User{}, fmt.Errorf("get user: %w", err)
	}
	var u domain.User
	err := s.view(ctx, func(x *txn) error {
		var err error
		u, err = x.getUser(id)
		return err
	})
	if err != nil {
		return domain.User{}, fmt.Errorf("get user: %w", err)
	}
	return u, nil
}

// GetUserByEmail returns the user with the given email, compared
// case-insensitively.
func (s *Store) GetUserByEmail(ctx context.Context, email string) (domain.User, error) {
	key := emailKey(email)
	if key == "" {
		return domain.User{}, fmt.Errorf("get user by email: empty email: %w", domain.ErrInvalid)
	}
	var u domain.User
	err := s.view(ctx, func(x *txn) error {
		id := x.usersByEmail.Get([]byte(key))
		if id == nil {
			return fmt.Errorf("user with email %q: %w", email, domain.ErrNotFound)
		}
		var err error
		u, err = x.getUser(string(id))
		return err
	})
	if err != nil {
		return domain.User{}, fmt.Errorf("get user by email: %w", err)
	}
	return u, nil
}

// DeleteUser removes a user with everything recorded for them in one
// transaction: tasks with their index entries, file records and counters,
// and sessions. Audit events stay (the log is append-only). Unknown user →
// domain.ErrNotFound.
func (s *Store) DeleteUser(ctx context.Context, id string) (domain.UserDeletion, error) {
	if err := checkID("user", id); err != nil {
		return domain.UserDeletion{}, fmt.Errorf("delete user: %w", err)
	}
	var out domain.UserDeletion
	err := s.update(ctx, func(x *txn) error {
		u, err := x.getUser(id)
		if err != nil {
			return err
		}
		out = domain.UserDeletion{User: u}
		for _, k := range prefixKeys(x.tasksByUser, []byte(id)) {
			t, err := x.getTask(taskIDFromUserKey(k))
			if err != nil {
				return err
			}
			if err := x.putTask(t, nil); err != nil {
				return err
			}
			out.Tasks = append(out.Tasks, t)
		}
		if out.Sessions, err = x.deleteUserSessions(id); err != nil {
			return err
		}
		if err := x.userStats.Delete([]byte(id)); err != nil {
			return err
		}
		if err := x.deleteIdentities(id); err != nil {
			return err
		}
		key := []byte(emailKey(u.Email))
		if string(x.usersByEmail.Get(key)) == id {
			if err := x.usersByEmail.Delete(key); err != nil {
				return err
			}
		}
		return x.users.Delete([]byte(id))
	})
	if err != nil {
		return domain.UserDeletion{}, fmt.Errorf("delete user %s: %w", id, err)
	}
	return out, nil
}

// getUser loads a user or fails with domain.ErrNotFound.
func (x *txn) getUser(id string) (domain.User, error) {
	var u domain.User
	found, err := getJSON(x.users, []byte(id), &u)
	if err != nil {
		return domain.User{}, err
	}
	if !found {
		return domain.User{}, fmt.Errorf("user %s: %w", id, domain.ErrNotFound)
	}
	return u, nil
}

// requireUser fails with domain.ErrNotFound unless the user exists, so no
// record can outlive DeleteUser's cascade.
func (x *txn) requireUser(id string) error {
	if x.users.Get([]byte(id)) == nil {
		return fmt.Errorf("user %s: %w", id, domain.ErrNotFound)
	}
	return nil
}
