package boltstore

import (
	"context"
	"fmt"
	"time"

	"github.com/ocrbox/ocrbox/core/domain"
)

// CreateSession stores a new session for an existing user. The token hash
// (and the refresh hash, when set) must be unused: domain.ErrConflict.
func (s *Store) CreateSession(ctx context.Context, sess domain.Session) error {
	if err := validSession(sess); err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	err := s.update(ctx, func(x *txn) error {
		if err := x.requireUser(sess.UserID); err != nil {
			return err
		}
		if x.sessions.Get([]byte(sess.TokenHash)) != nil {
			return fmt.Errorf("token hash in use: %w", domain.ErrConflict)
		}
		return x.putSession(nil, &sess)
	})
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

// GetSession returns the session with the given token hash, expired or not:
// expiry is the caller's policy.
func (s *Store) GetSession(ctx context.Context, tokenHash string) (domain.Session, error) {
	if err := checkHash("token", tokenHash); err != nil {
		return domain.Session{}, fmt.Errorf("get session: %w", err)
	}
	var out domain.Session
	err := s.view(ctx, func(x *txn) error {
		sess, err := x.getSession(tokenHash)
		if err == nil {
			out = *sess
		}
		return err
	})
	if err != nil {
		return domain.Session{}, fmt.Errorf("get session: %w", err)
	}
	return out, nil
}

// FindSessionByRefresh returns the session whose RefreshHash is refreshHash.
func (s *Store) FindSessionByRefresh(ctx context.Context, refreshHash string) (domain.Session, error) {
	if err := checkHash("refresh", refreshHash); err != nil {
		return domain.Session{}, fmt.Errorf("find session by refresh: %w", err)
	}
	var out domain.Session
	err := s.view(ctx, func(x *txn) error {
		token := x.sessionsByRefresh.Get([]byte(refreshHash))
		if token == nil {
			return fmt.Errorf("refresh token: %w", domain.ErrNotFound)
		}
		sess, err := x.getSession(string(token))
		if err == nil {
			out = *sess
		}
		return err
	})
	if err != nil {
		return domain.Session{}, fmt.Errorf("find session by refresh: %w", err)
	}
	return out, nil
}

// UpdateSession loads a session, lets fn change it and stores the result in
// one transaction; an error from fn aborts and is returned. fn may not change
// TokenHash or UserID. It returns the stored session.
func (s *Store) UpdateSession(ctx context.Context, tokenHash string, fn func(*domain.Session) error) (domain.Session, error) {
	if err := checkHash("token", tokenHash); err != nil {
		return domain.Session{}, fmt.Errorf("update session: %w", err)
	}
	var out domain.Session
	err := s.update(ctx, func(x *txn) error {
		old, err := x.getSession(tokenHash)
		if err != nil {
			return err
		}
		next := *old
		if err := fn(&next); err != nil {
			return err
		}
		if next.TokenHash != old.TokenHash || next.UserID != old.UserID {
			return fmt.Errorf("token hash and user id are fixed: %w", domain.ErrInvalid)
		}
		if err := validSession(next); err != nil {
			return err
		}
		out = next
		return x.putSession(old, &next)
	})
	if err != nil {
		return domain.Session{}, fmt.Errorf("update session: %w", err)
	}
	return out, nil
}

// DeleteSession removes a session; unknown → domain.ErrNotFound.
func (s *Store) DeleteSession(ctx context.Context, tokenHash string) error {
	if err := checkHash("token", tokenHash); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	err := s.update(ctx, func(x *txn) error {
		old, err := x.getSession(tokenHash)
		if err != nil {
			return err
		}
		return x.putSession(old, nil)
	})
	if err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteExpiredSessions removes sessions whose absolute or idle expiry is
// at or before now (a zero expiry never expires) and returns how many.
func (s *Store) DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error) {
	var n int
	err := s.update(ctx, func(x *txn) error {
		var expired []*domain.Session
		err := x.sessions.ForEach(func(k, _ []byte) error {
			sess, err := x.getSession(string(k))
			if err == nil && (passed(sess.ExpiresAt, now) || passed(sess.IdleExpiry, now)) {
				expired = append(expired, sess)
			}
			return err
		})
		if err != nil {
			return err
		}
		for _, sess := range expired {
			if err := x.putSession(sess, nil); err != nil {
				return err
			}
		}
		n = len(expired)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", err)
	}
	return n, nil
}

func passed(deadline, now time.Time) bool {
	return !deadline.IsZero() && !now.Before(deadline)
}

func validSession(sess domain.Session) error {
	if err := checkHash("token", sess.TokenHash); err != nil {
		return err
	}
	if sess.RefreshHash != "" {
		if err := checkHash("refresh", sess.RefreshHash); err != nil {
			return err
		}
	}
	return checkID("user", sess.UserID)
}

// getSession loads a session or fails with domain.ErrNotFound.
func (x *txn) getSession(tokenHash string) (*domain.Session, error) {
	var sess domain.Session
	found, err := getJSON(x.sessions, []byte(tokenHash), &sess)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, fmt.Errorf("session: %w", domain.ErrNotFound)
	}
	sess.TokenHash = tokenHash
	return &sess, nil
}

// putSession replaces old by next (either may be nil) with their index
// entries.
func (x *txn) putSession(old, next *domain.Session) error {
	if old != nil {
		if old.RefreshHash != "" {
			if err := x.sessionsByRefresh.Delete([]byte(old.RefreshHash)); err != nil {
				return err
			}
		}
		if err := x.sessionsByUser.Delete(userSessionKey(old.UserID, old.TokenHash)); err != nil {
			return err
		}
		if err := x.sessions.Delete([]byte(old.TokenHash)); err != nil {
			return err
		}
	}
	if next == nil {
		return nil
	}
	if next.RefreshHash != "" {
		if x.sessionsByRefresh.Get([]byte(next.RefreshHash)) != nil {
			return fmt.Errorf("refresh hash in use: %w", domain.ErrConflict)
		}
		if err := x.sessionsByRefresh.Put([]byte(next.RefreshHash), []byte(next.TokenHash)); err != nil {
			return err
		}
	}
	if err := x.sessionsByUser.Put(userSessionKey(next.UserID, next.TokenHash), nil); err != nil {
		return err
	}
	return putJSON(x.sessions, []byte(next.TokenHash), next)
}

// deleteUserSessions removes every session of userID.
func (x *txn) deleteUserSessions(userID string) (int, error) {
	keys := prefixKeys(x.sessionsByUser, []byte(userID))
	for _, k := range keys {
		sess, err := x.getSession(string(k[idLen:]))
		if err != nil {
			return 0, err
		}
		if err := x.putSession(sess, nil); err != nil {
			return 0, err
		}
	}
	return len(keys), nil
}

// ListSessions returns every session for which keep reports true. It is a
// full scan, meant for background work such as the provider token
// refresher, not for request paths.
func (s *Store) ListSessions(ctx context.Context, keep func(domain.Session) bool) ([]domain.Session, error) {
	var out []domain.Session
	err := s.view(ctx, func(x *txn) error {
		return x.sessions.ForEach(func(k, _ []byte) error {
			sess, err := x.getSession(string(k))
			if err != nil {
				return err
			}
			if keep(*sess) {
				out = append(out, *sess)
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	return out, nil
}

// CountSessions returns how many sessions are stored (open or expired but
// not yet swept), for the sessions gauge. It walks the bucket's pages, not
// its records.
func (s *Store) CountSessions(ctx context.Context) (int, error) {
	var n int
	err := s.view(ctx, func(x *txn) error {
		n = x.sessions.Stats().KeyN
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("count sessions: %w", err)
	}
	return n, nil
}
