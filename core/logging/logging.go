// Package logging builds the one *slog.Logger that main hands down: tint's
// coloured text on a terminal, JSON otherwise (for journald and log shippers).
// Records logged with a context made by With carry its attributes
// (request_id, user_id).
package logging

import (
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/lmittmann/tint"
	"github.com/mattn/go-isatty"
)

// New returns a logger writing to w. format is "auto", "text" or "json";
// "auto" picks text (tint) when w is a terminal.
func New(w io.Writer, level, format string) *slog.Logger {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		lv = slog.LevelInfo
	}
	if format == "auto" {
		format = "json"
		if f, ok := w.(*os.File); ok && isatty.IsTerminal(f.Fd()) {
			format = "text"
		}
	}
	var h slog.Handler = slog.NewJSONHandler(w, &slog.HandlerOptions{Level: lv})
	if format == "text" {
		h = tint.NewHandler(w, &tint.Options{Level: lv, TimeFormat: time.TimeOnly})
	}
	return slog.New(contextHandler{h})
}

var timeZero time.Time
