package httpapi

import (
	"bufio"
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/gofiber/fiber/v2"
	fiberrecover "github.com/gofiber/fiber/v2/middleware/recover"
)

// localPanicked marks a request whose handler panicked: its panic is
// already logged with the stack, and its answer is a plain 500.
const localPanicked = "panicked"

// recoverPanics turns a panic in the handlers after it into an error for
// the one error handler (500 internal_error with the request id), logged
// once with its stack: a bad request costs that request, not the process.
func (s *Server) recoverPanics() fiber.Handler {
	return fiberrecover.New(fiberrecover.Config{EnableStackTrace: true, StackTraceHandler: s.logPanic})
}

func (s *Server) logPanic(c *fiber.Ctx, v any) {
	c.Locals(localPanicked, true)
	s.log.Error("panic serving request", "request_id", requestIDOf(c), "method", c.Method(),
		"route", routeOf(c), "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
}

// panicked reports whether the request's handler panicked.
func panicked(c *fiber.Ctx) bool {
	p, _ := c.Locals(localPanicked).(bool)
	return p
}

// guardStream wraps a body stream writer (SSE, export). fasthttp runs it on
// a goroutine of its own after the handler returned, where the recover
// middleware cannot reach: a panic there would end the process. Here it
// ends that response (the client sees it cut short) and is logged with its
// stack. What it needs from c is read now, while c is valid.
func (s *Server) guardStream(c *fiber.Ctx, write func(w *bufio.Writer)) func(w *bufio.Writer) {
	log, rid, method, route := s.log, requestIDOf(c), strings.Clone(c.Method()), routeOf(c)
	return func(w *bufio.Writer) {
		defer func() {
			if v := recover(); v != nil {
				log.Error("panic in response stream", "request_id", rid, "method", method, "route", route,
					"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			}
		}()
		write(w)
	}
}
