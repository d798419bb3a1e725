package host

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"github.com/hashicorp/go-plugin"

	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// ErrProtocolVersion is wrapped when a plugin speaks another version of the
// plugin protocol than this host.
var ErrProtocolVersion = errors.New("plugin protocol version mismatch")

var pluginVersion = regexp.MustCompile(`Plugin version: (\d+)`)

// explainStart turns go-plugin's start errors into messages an
// administrator can act on; the original stays wrapped.
func (p *Process) explainStart(err error) error {
	name, path := p.spec.Name, p.spec.Path
	if path == "" {
		path = "(built in)"
	}
	msg := err.Error()
	switch {
	case errors.Is(err, plugin.ErrChecksumsDoNotMatch):
		got, err2 := FileSHA256(p.spec.Path)
		if err2 != nil {
			got = "unreadable"
		}
		return fmt.Errorf("plugin %q: %s does not match its pinned sha256 %s (the file's is %s): it changed since it was pinned; check where it came from, then update sha256 in its [[plugins.engine]] entry: %w",
			name, path, hex.EncodeToString(p.spec.SHA256), got, err)
	case strings.Contains(msg, "incompatible API version"):
		speaks := "another version"
		if m := pluginVersion.FindStringSubmatch(msg); m != nil {
			speaks = "version " + m[1]
		}
		return fmt.Errorf("plugin %q (%s) speaks plugin protocol %s; this ocrbox speaks version %d: use a build of the plugin for protocol %d, or an ocrbox that supports its version: %w: %w",
			name, path, speaks, sdk.ProtocolVersion, sdk.ProtocolVersion, ErrProtocolVersion, err)
	case strings.Contains(msg, "Unrecognized remote plugin message"), strings.Contains(msg, "incompatible core API version"):
		return fmt.Errorf("plugin %q (%s) did not answer with the go-plugin handshake (is it an ocrbox plugin? it must print \"1|%d|tcp|HOST:PORT|grpc\" on stdout when started with %s set): %w",
			name, path, sdk.ProtocolVersion, sdk.Handshake.MagicCookieKey, err)
	case strings.Contains(msg, "exited before we could connect"):
		return fmt.Errorf("plugin %q (%s) exited during start; its output above in the log says why: %w", name, path, err)
	case strings.Contains(msg, "timeout while waiting for plugin to start"):
		return fmt.Errorf("plugin %q (%s) did not complete the handshake within %s: %w", name, path, p.spec.StartTimeout, err)
	}
	return fmt.Errorf("start plugin %q: %w", name, err)
}

// FileSHA256 is the hex SHA-256 of a file, as an external plugin's pin
// (Spec.SHA256, [[plugins.engine]] sha256) is written.
func FileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
