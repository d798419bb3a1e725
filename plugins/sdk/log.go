package sdk

import (
	"io"
	"log/slog"
	"os"
)

// Logger returns a logger for plugin code. It writes JSON lines in the
// shape go-plugin parses on the host side (@level, @message), so a plugin's
// log lands in the host's log with its level and fields, tagged with the
// plugin's name. Stdout is reserved for the handshake; this writes to stderr.
func Logger() *slog.Logger { return newLogger(os.Stderr) }

func newLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{
		Level: slog.LevelDebug,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) > 0 {
				return a
			}
			switch a.Key {
			case slog.TimeKey:
				// The one layout go-plugin's host parses.
				return slog.String("@timestamp", a.Value.Time().Format("2006-01-02T15:04:05.000000Z07:00"))
			case slog.LevelKey:
				return slog.String("@level", a.Value.String())
			case slog.MessageKey:
				return slog.String("@message", a.Value.String())
			}
			return a
		},
	}))
}
