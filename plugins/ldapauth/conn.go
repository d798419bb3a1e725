package ldapauth

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// conn is one LDAP connection for one provider call. Every call dials
// afresh: logins are rare next to the cost of keeping a pool healthy
// across directory restarts, and a bound connection never leaks from one
// user to the next.
type conn struct {
	l    *ldap.Conn
	ctx  context.Context // ends at the call's deadline
	stop func()          // releases the watcher and the deadline
}

// connect dials the directory within the earlier of ctx's deadline and
// the configured timeout, negotiates TLS as configured, and binds as the
// service account (or stays anonymous). When ctx ends, the socket is
// closed, which aborts whatever is in flight. Errors wrap
// sdk.ErrUnavailable, or sdk.ErrMisconfigured when the directory refuses
// the service account.
func (c *config) connect(ctx context.Context) (*conn, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	var d net.Dialer
	raw, err := d.DialContext(ctx, "tcp", c.network)
	if err != nil {
		err = unavailable(ctx, "connect", err)
		cancel()
		return nil, err
	}
	// Closing the socket is the one way to interrupt go-ldap everywhere,
	// including inside StartTLS's handshake.
	unwatch := context.AfterFunc(ctx, func() { raw.Close() })
	netConn := raw
	if c.ldaps {
		tc := tls.Client(raw, c.tls)
		if err := tc.HandshakeContext(ctx); err != nil {
			err = unavailable(ctx, "tls handshake", err) // before cancel
			unwatch()
			raw.Close()
			cancel()
			return nil, err
		}
		netConn = tc
	}
	// No l.SetTimeout: its timer would race the watcher above and report
	// a bare "timed out" where the caller's deadline should show.
	l := ldap.NewConn(netConn, c.ldaps)
	l.Start()
	cn := &conn{l: l, ctx: ctx, stop: func() {
		unwatch()
		l.Close()
		cancel()
	}}
	if c.startTLS {
		if err := l.StartTLS(c.tls); err != nil {
			err = unavailable(ctx, "start tls", err) // before close cancels ctx
			cn.close()
			return nil, err
		}
	}
	if c.bindDN != "" {
		// Any failure here is the operator's problem, not the user's. The
		// directory refusing the service account (wrong bind_dn or
		// bind_password) is misconfiguration: every call would fail the
		// same way until the settings change, so it must not count as an
		// outage (breaker, outage grace); anything else is unavailable.
		if err := l.Bind(c.bindDN, c.bindPassword); err != nil {
			if ldap.IsErrorWithCode(err, ldap.LDAPResultInvalidCredentials) {
				err = fmt.Errorf("bind service account: the directory refused %s or %s: %w", SettingBindDN, SettingBindPassword, sdk.ErrMisconfigured)
			} else {
				err = unavailable(ctx, "bind service account", err)
			}
			cn.close()
			return nil, err
		}
	}
	return cn, nil
}

// close ends the connection; safe to call more than once.
func (cn *conn) close() { cn.stop() }

// search runs filter under base with a size limit of limit entries. An
// answer cut short by the limit reports truncated instead of an error.
func (cn *conn) search(c *config, filter string, limit int) (entries []*ldap.Entry, truncated bool, err error) {
	timeLimit := int(c.timeout / time.Second)
	if timeLimit < 1 {
		timeLimit = 1
	}
	req := ldap.NewSearchRequest(c.baseDN, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases,
		limit, timeLimit, false, filter, c.attributes(), nil)
	res, err := cn.l.Search(req)
	if ldap.IsErrorWithCode(err, ldap.LDAPResultSizeLimitExceeded) {
		return res.Entries, true, nil
	}
	if err != nil {
		return nil, false, unavailable(cn.ctx, "search", err)
	}
	return res.Entries, len(res.Entries) > limit, nil
}

// bindUser checks password against the user's entry. A rejected password
// wraps sdk.ErrInvalidCredentials; anything else sdk.ErrUnavailable.
func (cn *conn) bindUser(dn, password string) error {
	if password == "" {
		// Never send: an empty password is an unauthenticated bind
		// (RFC 4513 §5.1.2), which succeeds without any check.
		return fmt.Errorf("%w: empty password", sdk.ErrInvalidCredentials)
	}
	err := cn.l.Bind(dn, password)
	switch {
	case err == nil:
		return nil
	case ldap.IsErrorWithCode(err, ldap.LDAPResultInvalidCredentials):
		// Wrong password, no userPassword, or (Active Directory) a
		// disabled, locked or expired account.
		return fmt.Errorf("%w: password rejected by the directory", sdk.ErrInvalidCredentials)
	default:
		return unavailable(cn.ctx, "bind user", err)
	}
}

// decoyBindRDN names an entry that does not exist under base_dn.
const decoyBindRDN = "cn=ocrbox-no-such-user"

// decoyBind makes the same bind round trip a real user's password check
// makes, against an entry that does not exist, so an unknown username
// takes as long to refuse as a wrong password and timing does not tell
// which usernames exist. The answer is ignored.
func (cn *conn) decoyBind(c *config, password string) {
	dn := decoyBindRDN
	if c.baseDN != "" {
		dn += "," + c.baseDN
	}
	_ = cn.l.Bind(dn, password)
}

// unavailable wraps a failure to talk to the directory. It also wraps
// ctx's error when the deadline or the caller ended the call, so both
// errors.Is(err, sdk.ErrUnavailable) and errors.Is(err,
// context.DeadlineExceeded) hold.
func unavailable(ctx context.Context, op string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
		return fmt.Errorf("%s: %w: %w (%v)", op, sdk.ErrUnavailable, ctxErr, err)
	}
	return fmt.Errorf("%s: %w: %w", op, sdk.ErrUnavailable, err)
}
