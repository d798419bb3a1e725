package tesseract

/*
#cgo pkg-config: tesseract lept
#include <stdlib.h>
#include <tesseract/capi.h>

// The cancel state lives in C memory because tesseract keeps the pointer
// for the whole recognition, which cgo forbids for Go memory. Calling back
// into Go for every word would also cost a thread switch each time; a flag
// read is all tesseract needs.
typedef struct {
	int cancel; // set from Go when ctx is done
	int fired;  // set by tesseract's thread when it saw cancel
} ocrbox_cancel_state;

static bool ocrbox_cancel_func(void *p, int words) {
	ocrbox_cancel_state *s = p;
	if (__atomic_load_n(&s->cancel, __ATOMIC_ACQUIRE)) {
		__atomic_store_n(&s->fired, 1, __ATOMIC_RELEASE);
		return true;
	}
	return false;
}

static ETEXT_DESC *ocrbox_monitor_create(ocrbox_cancel_state *s) {
	ETEXT_DESC *m = TessMonitorCreate();
	if (m == NULL) return NULL;
	TessMonitorSetCancelFunc(m, ocrbox_cancel_func);
	TessMonitorSetCancelThis(m, s);
	return m;
}

static void ocrbox_cancel_set(ocrbox_cancel_state *s) {
	__atomic_store_n(&s->cancel, 1, __ATOMIC_RELEASE);
}

static int ocrbox_cancel_fired(ocrbox_cancel_state *s) {
	return __atomic_load_n(&s->fired, __ATOMIC_ACQUIRE);
}
*/
import "C"

import (
	"context"
	"errors"
	"math"
	"time"
	"unsafe"
)

// monitor lets ctx stop a running TessBaseAPIRecognize. Tesseract polls the
// cancel function between words, so cancellation lands within one word of
// recognition; layout analysis, which runs first, cannot be interrupted.
type monitor struct {
	desc  *C.ETEXT_DESC
	state *C.ocrbox_cancel_state
	done  chan struct{} // closed by stop
	quit  chan struct{} // closed when the watcher goroutine has returned
}

// startMonitor returns a monitor that cancels when ctx is done and carries
// ctx's deadline, if any, so tesseract also stops on time by itself. The
// caller must call stop.
func startMonitor(ctx context.Context) (*monitor, error) {
	state := (*C.ocrbox_cancel_state)(C.calloc(1, C.size_t(unsafe.Sizeof(C.ocrbox_cancel_state{}))))
	if state == nil {
		return nil, errors.New("allocate cancel state")
	}
	desc := C.ocrbox_monitor_create(state)
	if desc == nil {
		C.free(unsafe.Pointer(state))
		return nil, errors.New("TessMonitorCreate returned nil")
	}
	if dl, ok := ctx.Deadline(); ok {
		C.TessMonitorSetDeadlineMSecs(desc, C.int(deadlineMillis(time.Until(dl))))
	}
	m := &monitor{desc: desc, state: state, done: make(chan struct{}), quit: make(chan struct{})}
	go func() {
		defer close(m.quit)
		select {
		case <-ctx.Done():
			C.ocrbox_cancel_set(state)
		case <-m.done:
		}
	}()
	return m, nil
}

// stop ends the watcher and frees the monitor; it reports whether tesseract
// saw the cancel flag. It waits for the watcher so that the goroutine never
// writes to freed memory.
func (m *monitor) stop() (cancelled bool) {
	close(m.done)
	<-m.quit
	cancelled = C.ocrbox_cancel_fired(m.state) != 0
	C.TessMonitorDelete(m.desc)
	C.free(unsafe.Pointer(m.state))
	return cancelled
}

// deadlineMillis converts the time left to tesseract's relative deadline,
// rounding up so tesseract never stops before ctx has expired: an error
// returned then can always be reported as ctx's. Tesseract ignores values
// <= 0, so an already-passed deadline becomes 1 ms.
func deadlineMillis(left time.Duration) int {
	ms := (left + time.Millisecond - 1) / time.Millisecond
	switch {
	case ms < 1:
		return 1
	case ms > math.MaxInt32:
		return math.MaxInt32
	}
	return int(ms)
}
