package tasks_test

import (
	"sync"
	"testing"
	"time"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/core/tasks"
)

func snapshot(id string, done int) *domain.Task {
	return &domain.Task{ID: id, Status: domain.StatusProcessing, PagesDone: done, PagesTotal: 10,
		Files: []domain.File{{ID: "f", Kind: domain.KindInput}}}
}

// receive returns the next update or nil when none arrives soon.
func receive(ch <-chan *domain.Task) *domain.Task {
	select {
	case u := <-ch:
		return u
	case <-time.After(50 * time.Millisecond):
		return nil
	}
}

func TestBroker(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		publish   []int // pages_done of each update, published before reading
		wantFirst int   // -1: nothing delivered
	}{
		{"nothing published", nil, -1},
		{"one update", []int{1}, 1},
		{"slow subscriber gets the latest snapshot", []int{1, 2, 3, 4, 5}, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := tasks.NewBroker()
			ch, stop := b.Subscribe("t1")
			defer stop()
			for _, n := range tt.publish {
				b.Publish(snapshot("t1", n)) // never blocks, however slow the reader
			}
			got := receive(ch)
			switch {
			case tt.wantFirst < 0 && got != nil:
				t.Fatalf("got %+v, want nothing", got)
			case tt.wantFirst >= 0 && (got == nil || got.PagesDone != tt.wantFirst):
				t.Fatalf("got %+v, want pages_done %d", got, tt.wantFirst)
			}
			if extra := receive(ch); extra != nil {
				t.Fatalf("stale update %d delivered after the latest", extra.PagesDone)
			}
		})
	}
}

func TestBrokerFansOutPerTask(t *testing.T) {
	t.Parallel()
	b := tasks.NewBroker()
	a1, stopA1 := b.Subscribe("a")
	a2, stopA2 := b.Subscribe("a")
	other, stopOther := b.Subscribe("b")
	defer stopA2()
	defer stopOther()

	b.Publish(snapshot("a", 1))
	for i, ch := range []<-chan *domain.Task{a1, a2} {
		if u := receive(ch); u == nil || u.PagesDone != 1 {
			t.Errorf("subscriber %d of a got %+v", i, u)
		}
	}
	if u := receive(other); u != nil {
		t.Errorf("subscriber of b got a's update %+v", u)
	}

	stopA1()
	stopA1() // a second call is harmless
	b.Publish(snapshot("a", 2))
	if u := receive(a1); u != nil {
		t.Errorf("update %d after unsubscribing", u.PagesDone)
	}
	if u := receive(a2); u == nil || u.PagesDone != 2 {
		t.Errorf("remaining subscriber got %+v", u)
	}
}

// Each subscriber gets its own copy: neither the publisher nor another
// subscriber can change what it sees afterwards.
func TestBrokerSendsSnapshots(t *testing.T) {
	t.Parallel()
	b := tasks.NewBroker()
	ch1, stop1 := b.Subscribe("a")
	ch2, stop2 := b.Subscribe("a")
	defer stop1()
	defer stop2()
	orig := snapshot("a", 3)
	b.Publish(orig)
	orig.PagesDone, orig.Files[0].Kind = 9, domain.KindPDF
	u1, u2 := receive(ch1), receive(ch2)
	if u1 == nil || u2 == nil {
		t.Fatal("missing update")
	}
	u1.Files[0].Name = "changed"
	if u2.PagesDone != 3 || u2.Files[0].Kind != domain.KindInput || u2.Files[0].Name == "changed" {
		t.Errorf("snapshot changed after publishing: %+v", u2)
	}
}

// Publishing, subscribing and unsubscribing race freely (run with -race).
func TestBrokerConcurrentUse(t *testing.T) {
	t.Parallel()
	b := tasks.NewBroker()
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 200 {
				b.Publish(snapshot("a", w*1000+i))
			}
		})
		wg.Go(func() {
			for range 50 {
				ch, stop := b.Subscribe("a")
				select {
				case <-ch:
				default:
				}
				stop()
			}
		})
	}
	wg.Wait()
	ch, stop := b.Subscribe("a")
	defer stop()
	b.Publish(snapshot("a", 7))
	if u := receive(ch); u == nil || u.PagesDone != 7 {
		t.Fatalf("after the storm got %+v", u)
	}
}
