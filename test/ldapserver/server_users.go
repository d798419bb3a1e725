package ldapserver

import (
	"bytes"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/go-ldap/ldap/v3"
)

// User is one person in ou=people, an inetOrgPerson named uid=UID.
type User struct {
	// UID is the login name and the entry's RDN; required.
	UID string
	// Password is stored as {SSHA}; empty leaves the entry without
	// userPassword, so nobody can bind as it.
	Password string
	// Mail is the mail attribute; empty leaves it out.
	Mail string
	// CN defaults to UID; Surname (sn, required by the schema) to the last
	// word of CN.
	CN      string
	Surname string
	// DisplayName is the displayName attribute; empty leaves it out.
	DisplayName string
	// Attributes are further attributes of inetOrgPerson and its
	// superclasses, e.g. "title", "departmentNumber", "telephoneNumber".
	Attributes map[string][]string
}

// DN is the user's distinguished name.
func (u User) DN() string {
	return "uid=" + ldap.EscapeDN(u.UID) + "," + PeopleDN
}

// attribute is one attribute with its values, in a stable order.
type attribute struct {
	name   string
	values []string
}

// attributes returns the user's entry, the password hashed.
func (u User) attributes() ([]attribute, error) {
	if u.UID == "" {
		return nil, errors.New("ldapserver: user without UID")
	}
	cn := u.CN
	if cn == "" {
		cn = u.UID
	}
	sn := u.Surname
	if sn == "" {
		sn = u.UID
		if f := strings.Fields(cn); len(f) > 0 {
			sn = f[len(f)-1]
		}
	}
	attrs := []attribute{
		{"objectClass", []string{"inetOrgPerson"}},
		{"uid", []string{u.UID}},
		{"cn", []string{cn}},
		{"sn", []string{sn}},
	}
	if u.DisplayName != "" {
		attrs = append(attrs, attribute{"displayName", []string{u.DisplayName}})
	}
	if u.Mail != "" {
		attrs = append(attrs, attribute{"mail", []string{u.Mail}})
	}
	if u.Password != "" {
		h, err := hashSSHA(u.Password)
		if err != nil {
			return nil, err
		}
		attrs = append(attrs, attribute{"userPassword", []string{h}})
	}
	names := make([]string, 0, len(u.Attributes))
	for n := range u.Attributes {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		attrs = append(attrs, attribute{n, u.Attributes[n]})
	}
	return attrs, nil
}

// hashSSHA returns the {SSHA} form slapd checks binds against:
// base64(SHA1(password + salt) + salt) with an 8-byte random salt.
func hashSSHA(password string) (string, error) {
	salt := make([]byte, 8)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("ldapserver: salt: %w", err)
	}
	h := sha1.New()
	h.Write([]byte(password))
	h.Write(salt)
	return "{SSHA}" + base64.StdEncoding.EncodeToString(append(h.Sum(nil), salt...)), nil
}

// seedLDIF is the initial content: the base, the two OUs, the service
// account and the users.
func seedLDIF(opts Options) ([]byte, error) {
	servicePW, err := hashSSHA(opts.ServicePassword)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	writeEntry(&b, BaseDN, []attribute{
		{"objectClass", []string{"dcObject", "organization"}},
		{"dc", []string{"example"}}, {"o", []string{"Example"}},
	})
	writeEntry(&b, PeopleDN, []attribute{{"objectClass", []string{"organizationalUnit"}}, {"ou", []string{"people"}}})
	writeEntry(&b, ServicesDN, []attribute{{"objectClass", []string{"organizationalUnit"}}, {"ou", []string{"services"}}})
	writeEntry(&b, ServiceDN, []attribute{
		{"objectClass", []string{"organizationalRole", "simpleSecurityObject"}},
		{"cn", []string{"ocrbox"}}, {"userPassword", []string{servicePW}},
	})
	for _, u := range opts.Users {
		attrs, err := u.attributes()
		if err != nil {
			return nil, err
		}
		writeEntry(&b, u.DN(), attrs)
	}
	return b.Bytes(), nil
}

// writeEntry appends one LDIF record (RFC 2849).
func writeEntry(b *bytes.Buffer, dn string, attrs []attribute) {
	writeLine(b, "dn", dn)
	for _, a := range attrs {
		for _, v := range a.values {
			writeLine(b, a.name, v)
		}
	}
	b.WriteByte('\n')
}

// writeLine writes "name: value", or "name:: base64" when the value is not
// a SAFE-STRING (non-ASCII, control characters, a leading space, colon or
// '<', a trailing space).
func writeLine(b *bytes.Buffer, name, value string) {
	if ldifSafe(value) {
		fmt.Fprintf(b, "%s: %s\n", name, value)
		return
	}
	fmt.Fprintf(b, "%s:: %s\n", name, base64.StdEncoding.EncodeToString([]byte(value)))
}

func ldifSafe(v string) bool {
	if v == "" {
		return true
	}
	if v[0] == ' ' || v[0] == ':' || v[0] == '<' || v[len(v)-1] == ' ' {
		return false
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

// AddUser adds a person to the running directory.
func (s *Server) AddUser(u User) error {
	attrs, err := u.attributes()
	if err != nil {
		return err
	}
	l, err := s.adminConn()
	if err != nil {
		return fmt.Errorf("ldapserver: add %s: %w", u.UID, err)
	}
	defer l.Close()
	req := ldap.NewAddRequest(u.DN(), nil)
	for _, a := range attrs {
		req.Attribute(a.name, a.values)
	}
	if err := l.Add(req); err != nil {
		return fmt.Errorf("ldapserver: add %s: %w", u.UID, err)
	}
	return nil
}

// DeleteUser removes the person uid=UID from the running directory.
func (s *Server) DeleteUser(uid string) error {
	l, err := s.adminConn()
	if err != nil {
		return fmt.Errorf("ldapserver: delete %s: %w", uid, err)
	}
	defer l.Close()
	if err := l.Del(ldap.NewDelRequest(User{UID: uid}.DN(), nil)); err != nil {
		return fmt.Errorf("ldapserver: delete %s: %w", uid, err)
	}
	return nil
}
