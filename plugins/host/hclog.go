package host

import (
	"bytes"
	"context"
	"io"
	"log"
	"log/slog"
	"strings"
	"sync"

	"github.com/hashicorp/go-hclog"
)

// slogAdapter bridges go-plugin's hclog output (including each plugin's
// stderr) into the host's slog logger, so every line lands in one log.
type slogAdapter struct {
	l     *slog.Logger
	name  string
	args  []any
	level hclog.Level
}

func newHCLog(l *slog.Logger, name string) hclog.Logger {
	return &slogAdapter{l: l, name: name, level: hclog.Debug}
}

func (a *slogAdapter) slogLevel(level hclog.Level) slog.Level {
	switch level {
	case hclog.Trace, hclog.Debug:
		return slog.LevelDebug
	case hclog.Warn:
		return slog.LevelWarn
	case hclog.Error:
		return slog.LevelError
	default:
		return slog.LevelInfo
	}
}

func (a *slogAdapter) Log(level hclog.Level, msg string, args ...any) {
	if level == hclog.Off || level < a.level {
		return
	}
	if level == hclog.Debug && len(args) == 0 && a.name != "" {
		// go-plugin hands untagged plugin stderr lines (a C library's
		// warnings, a crash message, a non-Go plugin's prints) to Debug with
		// no fields; they matter, so they go out at Info.
		level, args = hclog.Info, []any{"stream", "stderr"}
	}
	all := renameTaken(append(append([]any{}, a.args...), args...))
	if a.name != "" {
		all = append(all, "plugin_logger", a.name)
	}
	a.l.Log(context.Background(), a.slogLevel(level), msg, all...)
}

func (a *slogAdapter) Trace(msg string, args ...any) { a.Log(hclog.Trace, msg, args...) }
func (a *slogAdapter) Debug(msg string, args ...any) { a.Log(hclog.Debug, msg, args...) }
func (a *slogAdapter) Info(msg string, args ...any)  { a.Log(hclog.Info, msg, args...) }
func (a *slogAdapter) Warn(msg string, args ...any)  { a.Log(hclog.Warn, msg, args...) }
func (a *slogAdapter) Error(msg string, args ...any) { a.Log(hclog.Error, msg, args...) }

func (a *slogAdapter) IsTrace() bool { return a.level <= hclog.Trace }
func (a *slogAdapter) IsDebug() bool { return a.level <= hclog.Debug }
func (a *slogAdapter) IsInfo() bool  { return a.level <= hclog.Info }
func (a *slogAdapter) IsWarn() bool  { return a.level <= hclog.Warn }
func (a *slogAdapter) IsError() bool { return a.level <= hclog.Error }

func (a *slogAdapter) ImpliedArgs() []any { return a.args }

func (a *slogAdapter) With(args ...any) hclog.Logger {
	c := *a
	c.args = append(append([]any{}, a.args...), args...)
	return &c
}

func (a *slogAdapter) Name() string { return a.name }

func (a *slogAdapter) Named(name string) hclog.Logger {
	c := *a
	if c.name != "" {
		c.name += "." + name
	} else {
		c.name = name
	}
	return &c
}

func (a *slogAdapter) ResetNamed(name string) hclog.Logger {
	c := *a
	c.name = name
	return &c
}

func (a *slogAdapter) SetLevel(level hclog.Level) { a.level = level }
func (a *slogAdapter) GetLevel() hclog.Level      { return a.level }

func (a *slogAdapter) StandardLogger(*hclog.StandardLoggerOptions) *log.Logger {
	return slog.NewLogLogger(a.l.Handler(), slog.LevelInfo)
}

func (a *slogAdapter) StandardWriter(*hclog.StandardLoggerOptions) io.Writer {
	return a.StandardLogger(nil).Writer()
}

// lineLogger is an io.Writer that logs each complete line: go-plugin hands
// it what a Go plugin writes to os.Stdout/os.Stderr (SyncStdout/SyncStderr).
type lineLogger struct {
	mu     sync.Mutex
	log    *slog.Logger
	stream string
	buf    []byte
}

func newLineLogger(log *slog.Logger, plugin, stream string) *lineLogger {
	return &lineLogger{log: log.With("plugin", plugin, "stream", stream), stream: stream}
}

func (w *lineLogger) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		if line := strings.TrimRight(string(w.buf[:i]), "\r"); line != "" {
			w.log.Info(line)
		}
		w.buf = w.buf[i+1:]
	}
	if len(w.buf) > 64<<10 { // a runaway line without newline
		w.log.Info(string(w.buf))
		w.buf = w.buf[:0]
	}
	return len(p), nil
}

// takenKeys are set by the host's own logger for every plugin line
// (component=plugin, plugin=<name>); go-plugin and the plugin's logger use
// the same keys for other things (the executable path, the plugin's own
// component), which would repeat them in one JSON object.
var takenKeys = map[string]string{"component": "plugin_component", "plugin": "plugin_path"}

// renameTaken moves key/value pairs whose key the host already uses to a
// "plugin_" name.
func renameTaken(kv []any) []any {
	for i := 0; i+1 < len(kv); i += 2 {
		if k, ok := kv[i].(string); ok {
			if to, taken := takenKeys[k]; taken {
				kv[i] = to
			}
		}
	}
	return kv
}
