package boltstore

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ocrbox/ocrbox/core/domain"
)

// maxSubject bounds a provider's subject in a key.
const maxSubject = 1024

// identityKey is provider, a zero byte, subject: provider names never hold
// a zero byte, so no two identities share a key.
func identityKey(id domain.Identity) []byte {
	return concat([]byte(id.Provider), []byte{0}, []byte(id.Subject))
}

func checkIdentity(id domain.Identity) error {
	if id.Provider == "" || strings.IndexByte(id.Provider, 0) >= 0 || id.Subject == "" || len(id.Subject) > maxSubject {
		return fmt.Errorf("identity %q/%q: %w", id.Provider, clipped(id.Subject), domain.ErrInvalid)
	}
	return nil
}

func clipped(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

// SignInUser returns the user an external identity belongs to, updating
// their name, provider, extra info and last sign-in, in one transaction:
//
//   - a bound identity is its user, whatever email it asserts now (a new
//     verified email is taken over when no other account has it);
//   - a new identity whose email no account has makes a new user;
//   - a new identity whose email an account has is bound to that account
//     only if the account has no identity yet and was made by this same
//     provider (accounts from before identities existed), or if the
//     provider may link by verified email and the email is verified.
//     Otherwise the answer is a *domain.Error with code
//     account_link_required (domain.ErrConflict): an administrator binds
//     the identity with LinkIdentity, or the account stays separate.
func (s *Store) SignInUser(ctx context.Context, in domain.SignIn) (domain.User, error) {
	if err := checkIdentity(in.Identity); err != nil {
		return domain.User{}, fmt.Errorf("sign in user: %w", err)
	}
	key := emailKey(in.Email)
	if key == "" {
		return domain.User{}, fmt.Errorf("sign in user: empty email: %w", domain.ErrInvalid)
	}
	if in.At.IsZero() {
		in.At = time.Now().UTC()
	}
	var out domain.User
	err := s.update(ctx, func(x *txn) error {
		if id := x.identities.Get(identityKey(in.Identity)); id != nil {
			u, err := x.getUser(string(id))
			if err != nil {
				return err
			}
			if in.EmailVerified {
				if err := x.moveEmail(&u, key, in.Email); err != nil {
					return err
				}
			}
			out = signedIn(u, in)
			return putJSON(x.users, []byte(out.ID), out)
		}
		if id := x.usersByEmail.Get([]byte(key)); id != nil {
			u, err := x.getUser(string(id))
			if err != nil {
				return err
			}
			legacy := u.Provider == in.Provider && !x.hasIdentity(u.ID)
			if !legacy && !(in.LinkByVerifiedEmail && in.EmailVerified) {
				return domain.Errorf(domain.ErrConflict, domain.CodeAccountLinkRequired,
					"an account with the email %s already exists and signs in another way; an administrator can link this sign-in to it (ocrbox users link)", u.Email)
			}
			if err := x.bindIdentity(u.ID, in.Identity); err != nil {
				return err
			}
			out = signedIn(u, in)
			return putJSON(x.users, []byte(out.ID), out)
		}
		u := domain.User{ID: NewID(), Email: strings.TrimSpace(in.Email), CreatedAt: in.At}
		if err := x.usersByEmail.Put([]byte(key), []byte(u.ID)); err != nil {
			return err
		}
		if err := x.bindIdentity(u.ID, in.Identity); err != nil {
			return err
		}
		out = signedIn(u, in)
		return putJSON(x.users, []byte(out.ID), out)
	})
	if err != nil {
		return domain.User{}, fmt.Errorf("sign in user: %w", err)
	}
	return out, nil
}

// signedIn is u after a sign-in through in.
func signedIn(u domain.User, in domain.SignIn) domain.User {
	u.Name, u.Provider, u.Extra = in.Name, in.Provider, in.Extra
	u.LastLogin, u.UpdatedAt = in.At, in.At
	return u
}

// LinkIdentity binds an identity to the user with the given email, as an
// administrator decides (ocrbox users link); an identity bound to another
// user is moved. Unknown email → domain.ErrNotFound.
func (s *Store) LinkIdentity(ctx context.Context, email string, id domain.Identity) (domain.User, error) {
	if err := checkIdentity(id); err != nil {
		return domain.User{}, fmt.Errorf("link identity: %w", err)
	}
	var out domain.User
	err := s.update(ctx, func(x *txn) error {
		uid := x.usersByEmail.Get([]byte(emailKey(email)))
		if uid == nil {
			return fmt.Errorf("user with email %q: %w", email, domain.ErrNotFound)
		}
		u, err := x.getUser(string(uid))
		if err != nil {
			return err
		}
		if old := x.identities.Get(identityKey(id)); old != nil && string(old) != u.ID {
			if err := x.identitiesByUser.Delete(concat(old, identityKey(id))); err != nil {
				return err
			}
		}
		out = u
		return x.bindIdentity(u.ID, id)
	})
	if err != nil {
		return domain.User{}, fmt.Errorf("link identity: %w", err)
	}
	return out, nil
}

// Identities lists the identities bound to a user.
func (s *Store) Identities(ctx context.Context, userID string) ([]domain.Identity, error) {
	if err := checkID("user", userID); err != nil {
		return nil, fmt.Errorf("identities: %w", err)
	}
	var out []domain.Identity
	err := s.view(ctx, func(x *txn) error {
		for _, k := range prefixKeys(x.identitiesByUser, []byte(userID)) {
			provider, subject, _ := bytes.Cut(k[len(userID):], []byte{0})
			out = append(out, domain.Identity{Provider: string(provider), Subject: string(subject)})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("identities: %w", err)
	}
	return out, nil
}

// ListUsersWithIdentities returns every user, oldest id first, and the
// identities bound to each, by user id (a user without any is absent from
// the map), read in one transaction so the two agree: what `ocrbox users
// list` prints.
func (s *Store) ListUsersWithIdentities(ctx context.Context) ([]domain.User, map[string][]domain.Identity, error) {
	var users []domain.User
	ids := map[string][]domain.Identity{}
	err := s.view(ctx, func(x *txn) error {
		err := x.users.ForEach(func(k, _ []byte) error {
			u, err := x.getUser(string(k))
			users = append(users, u)
			return err
		})
		if err != nil {
			return err
		}
		// One pass over identities_by_user (user id, provider, subject)
		// yields every user's identities in order.
		return x.identitiesByUser.ForEach(func(k, _ []byte) error {
			uid, id, ok := splitUserIdentity(k)
			if ok {
				ids[uid] = append(ids[uid], id)
			}
			return nil
		})
	})
	if err != nil {
		return nil, nil, fmt.Errorf("list users with identities: %w", err)
	}
	return users, ids, nil
}

// splitUserIdentity parses an identities_by_user key: a user id (idLen
// bytes), the provider, a zero byte, the subject.
func splitUserIdentity(k []byte) (userID string, id domain.Identity, ok bool) {
	if len(k) <= idLen || !validID(string(k[:idLen])) {
		return "", domain.Identity{}, false
	}
	provider, subject, found := bytes.Cut(k[idLen:], []byte{0})
	if !found {
		return "", domain.Identity{}, false
	}
	return string(k[:idLen]), domain.Identity{Provider: string(provider), Subject: string(subject)}, true
}

func (x *txn) bindIdentity(userID string, id domain.Identity) error {
	k := identityKey(id)
	if err := x.identities.Put(k, []byte(userID)); err != nil {
		return err
	}
	return x.identitiesByUser.Put(concat([]byte(userID), k), nil)
}

func (x *txn) hasIdentity(userID string) bool {
	k, _ := x.identitiesByUser.Cursor().Seek([]byte(userID))
	return k != nil && bytes.HasPrefix(k, []byte(userID))
}

// deleteIdentities unbinds every identity of a user.
func (x *txn) deleteIdentities(userID string) error {
	for _, k := range prefixKeys(x.identitiesByUser, []byte(userID)) {
		if err := x.identities.Delete(k[len(userID):]); err != nil {
			return err
		}
		if err := x.identitiesByUser.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// moveEmail gives u the email a provider now asserts for its identity,
// unless another account has it (then u keeps its email).
func (x *txn) moveEmail(u *domain.User, key, email string) error {
	old := emailKey(u.Email)
	if key == old {
		return nil
	}
	if owner := x.usersByEmail.Get([]byte(key)); owner != nil && string(owner) != u.ID {
		return nil
	}
	if string(x.usersByEmail.Get([]byte(old))) == u.ID {
		if err := x.usersByEmail.Delete([]byte(old)); err != nil {
			return err
		}
	}
	u.Email = strings.TrimSpace(email)
	return x.usersByEmail.Put([]byte(key), []byte(u.ID))
}
