package ldapauth

import (
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	ber "github.com/go-asn1-ber/asn1-ber"

	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// bindCounter is a TCP relay in front of the real slapd that counts the
// BindRequests clients send: what the directory sees, not a stand-in.
type bindCounter struct {
	ln    net.Listener
	binds atomic.Int64
	wg    sync.WaitGroup
}

func newBindCounter(t *testing.T, target string) *bindCounter {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &bindCounter{ln: ln}
	t.Cleanup(func() { ln.Close(); b.wg.Wait() })
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		for {
			client, err := ln.Accept()
			if err != nil {
				return
			}
			server, err := net.Dial("tcp", target)
			if err != nil {
				client.Close()
				continue
			}
			b.wg.Add(2)
			go func() { // server → client: as is
				defer b.wg.Done()
				_, _ = io.Copy(client, server)
				client.Close()
			}()
			go func() { // client → server: message by message, counting binds
				defer b.wg.Done()
				defer server.Close()
				for {
					p, err := ber.ReadPacket(client)
					if err != nil {
						return
					}
					// LDAPMessage ::= SEQUENCE { messageID, protocolOp, … };
					// BindRequest is [APPLICATION 0].
					if len(p.Children) > 1 && p.Children[1].ClassType == ber.ClassApplication && p.Children[1].Tag == 0 {
						b.binds.Add(1)
					}
					if _, err := server.Write(p.Bytes()); err != nil {
						return
					}
				}
			}()
		}
	}()
	return b
}

// TestUnknownUserCostsABindToo: an unknown username and a wrong password
// make the directory do the same work (service bind, search, one user
// bind), so the time to refuse does not reveal which usernames exist.
func TestUnknownUserCostsABindToo(t *testing.T) {
	srv := sharedServer(t)
	target := strings.TrimPrefix(srv.URL, "ldap://")
	counter := newBindCounter(t, target)
	p := direct(t, settingsFor(srv, SettingURL, "ldap://"+counter.ln.Addr().String()))
	binds := func(user, password string) int64 {
		t.Helper()
		before := counter.binds.Load()
		_, err := p.Authenticate(t.Context(), user, password)
		if !errors.Is(err, sdk.ErrInvalidCredentials) {
			t.Fatalf("%s: %v, want invalid credentials", user, err)
		}
		return counter.binds.Load() - before
	}
	wrong := binds(grace.UID, "not-her-password")
	unknown := binds("nobody-here", "not-her-password")
	twin := binds(twin1.Mail, "twin-pass")
	if wrong != 2 || unknown != wrong || twin != wrong {
		t.Fatalf("binds: wrong password %d, unknown user %d, ambiguous user %d; want the same (2: service + user)", wrong, unknown, twin)
	}
}
