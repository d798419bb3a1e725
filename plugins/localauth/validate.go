package localauth

import (
	"fmt"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Input limits for accounts.
const (
	minPasswordLen   = 8    // characters
	maxPasswordBytes = 1024 // argon2 would take more; nobody types more
	maxEmailLen      = 254  // RFC 5321 path limit
	maxNameLen       = 200  // characters
)

// normalizeEmail is the account identifier form of an email: trimmed and
// lower-cased.
func normalizeEmail(email string) string {
	return strings.ToLower(strings.TrimSpace(email))
}

// validateEmail accepts a bare addr-spec (local@domain), nothing more: no
// display name, no angle brackets, no spaces or control characters.
func validateEmail(email string) error {
	bad := fmt.Errorf("%w: %q is not an email address", ErrInvalidInput, email)
	if email == "" || len(email) > maxEmailLen || !utf8.ValidString(email) {
		return bad
	}
	if strings.IndexFunc(email, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return bad
	}
	local, domain, ok := strings.Cut(email, "@")
	if !ok || local == "" || domain == "" || strings.Contains(domain, "@") {
		return bad
	}
	if strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") || strings.Contains(domain, "..") {
		return bad
	}
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Name != "" || addr.Address != email {
		return bad
	}
	return nil
}

// normalizeName trims name and defaults it to the email's local part.
func normalizeName(name, email string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return localPart(email), nil
	}
	if !utf8.ValidString(name) || utf8.RuneCountInString(name) > maxNameLen ||
		strings.IndexFunc(name, unicode.IsControl) >= 0 {
		return "", fmt.Errorf("%w: name must be at most %d printable characters", ErrInvalidInput, maxNameLen)
	}
	return name, nil
}

func localPart(email string) string {
	local, _, _ := strings.Cut(email, "@")
	return local
}

// validatePassword checks a new password's length. Its errors never contain
// the password.
func validatePassword(password string) error {
	if utf8.RuneCountInString(password) < minPasswordLen {
		return fmt.Errorf("%w: password must be at least %d characters", ErrInvalidInput, minPasswordLen)
	}
	if len(password) > maxPasswordBytes {
		return fmt.Errorf("%w: password must be at most %d bytes", ErrInvalidInput, maxPasswordBytes)
	}
	return nil
}
