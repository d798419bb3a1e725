package worker

import (
	"errors"

	"github.com/ocrbox/ocrbox/core/domain"
)

// failure classifies the error that failed a task: its code (the
// *domain.Error's, "" for an internal error) and whether running the task
// again can help. A document that cannot be read, is too large or of a
// type no engine takes fails the same way every time: permanent. An engine
// or page helper that kept crashing or timing out, an engine that is down
// and the server's own faults may pass: retryable.
func failure(err error) (code string, retryable bool) {
	var de *domain.Error
	if errors.As(err, &de) {
		code = de.Code
	}
	switch {
	case errors.Is(err, domain.ErrTransient), errors.Is(err, domain.ErrUnavailable):
		return code, true
	case errors.Is(err, domain.ErrBadInput), errors.Is(err, domain.ErrTooLarge),
		errors.Is(err, domain.ErrUnsupportedType), errors.Is(err, domain.ErrInvalid):
		return code, false
	}
	return code, true
}
