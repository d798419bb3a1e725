package engines

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/ocrbox/ocrbox/plugins/host"
	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// RecognizeOn runs one page on proc, bounded by timeout, the same way on
// the server and on a cluster worker node. An engine that hangs past the
// timeout is restarted, so the next page does not queue behind it, and the
// page fails with "page timed out"; a process that dies mid-page fails it
// with "the engine process stopped unexpectedly". Both are transient for
// the caller; the engine's own errors (sdk.ErrBadImage …) pass through.
func RecognizeOn(ctx context.Context, proc *host.Process, req *sdk.RecognizeRequest, timeout time.Duration, log *slog.Logger) (*sdk.RecognizeResponse, error) {
	eng, err := proc.Engine(ctx)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(timeout)
	pctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	resp, err := eng.Recognize(pctx, req)
	if err == nil || ctx.Err() != nil {
		return resp, err
	}
	// The deadline travels with the call, so the plugin side may cancel it
	// (and the error arrive) a moment before our own timer fires: judge by
	// the clock, not only by pctx.Err().
	if pctx.Err() != nil || !time.Now().Before(deadline) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		if rerr := proc.Restart(ctx); rerr != nil {
			log.Error("restart hung engine", "engine", proc.Name(), "error", rerr)
		}
		return nil, fmt.Errorf("page timed out after %s", timeout)
	}
	var remote *sdk.RemoteError
	if errors.As(err, &remote) && remote.Code == codes.Unavailable {
		log.Warn("engine process lost during a page", "engine", proc.Name(), "error", err)
		return nil, errors.New("the engine process stopped unexpectedly")
	}
	return nil, err
}
