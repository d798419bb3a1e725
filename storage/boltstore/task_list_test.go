package boltstore

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/ocrbox/ocrbox/core/domain"
)

func TestListTasks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	u := newUser(t, s, "l@example.org")
	other := newUser(t, s, "o@example.org")
	// name, created offset, status, duration
	specs := []struct {
		name   string
		at     time.Duration
		status domain.TaskStatus
		dur    int64
	}{
		{"b.pdf", 1, domain.StatusCompleted, 300},
		{"A.pdf", 2, domain.StatusPending, 0},
		{"c.pdf", 3, domain.StatusCompleted, 100},
		{"a.pdf", 4, domain.StatusFailed, 300},
		{"d.pdf", 4, domain.StatusCompleted, 200}, // same created_at as a.pdf
	}
	byName := map[string]string{}
	for _, sp := range specs {
		task := taskAt(u.ID, sp.at*time.Second, sp.name)
		task.Status, task.DurationMS = sp.status, sp.dur
		mustCreate(t, s, task)
		byName[sp.name] = task.ID
	}
	mustCreate(t, s, taskAt(other.ID, 0, "zz.pdf"))
	// a.pdf and d.pdf share created_at: the tie breaks by id (creation order).
	ad := []string{"a.pdf", "d.pdf"}
	if byName["a.pdf"] > byName["d.pdf"] {
		ad = []string{"d.pdf", "a.pdf"}
	}

	tests := []struct {
		name      string
		q         ListQuery
		want      []string
		wantTotal int
	}{
		{"default", ListQuery{}, append([]string{"b.pdf", "A.pdf", "c.pdf"}, ad...), 5},
		{"created desc", ListQuery{Desc: true}, append(rev(ad), "c.pdf", "A.pdf", "b.pdf"), 5},
		{"created page", ListQuery{Offset: 1, Limit: 2}, []string{"A.pdf", "c.pdf"}, 5},
		{"created desc page", ListQuery{Desc: true, Offset: 3, Limit: 10}, []string{"A.pdf", "b.pdf"}, 5},
		{"offset past end", ListQuery{Offset: 9, Limit: 2}, nil, 5},
		{"status filter", ListQuery{Status: domain.StatusCompleted}, []string{"b.pdf", "c.pdf", "d.pdf"}, 3},
		{"status filter page desc", ListQuery{Status: domain.StatusCompleted, Desc: true, Offset: 1, Limit: 1}, []string{"c.pdf"}, 3},
		{"status none", ListQuery{Status: domain.StatusCancelled}, nil, 0},
		{"filename", ListQuery{Sort: SortFilename}, []string{"A.pdf", "a.pdf", "b.pdf", "c.pdf", "d.pdf"}, 5},
		{"filename desc page", ListQuery{Sort: SortFilename, Desc: true, Limit: 2}, []string{"d.pdf", "c.pdf"}, 5},
		{"status sort", ListQuery{Sort: SortStatus}, []string{"b.pdf", "c.pdf", "d.pdf", "a.pdf", "A.pdf"}, 5},
		{"duration", ListQuery{Sort: SortDuration, Status: domain.StatusCompleted}, []string{"c.pdf", "d.pdf", "b.pdf"}, 3},
		{"duration ties", ListQuery{Sort: SortDuration, Offset: 3}, sortedByID(byName, "b.pdf", "a.pdf"), 5},
		{"duration desc", ListQuery{Sort: SortDuration, Desc: true, Limit: 2}, rev(sortedByID(byName, "b.pdf", "a.pdf")), 5},
	}
	// other's keys are the last in tasks_by_user: the reverse walk starts
	// from the bucket's end instead of seeking past the prefix.
	if items, total, err := s.ListTasks(ctx, other.ID, ListQuery{Desc: true}); err != nil || total != 1 || len(items) != 1 || items[0].Filename != "zz.pdf" {
		t.Errorf("ListTasks(other, desc) = %v, %d, %v", items, total, err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			items, total, err := s.ListTasks(ctx, u.ID, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, it := range items {
				got = append(got, it.Filename)
			}
			if !slices.Equal(got, tt.want) || total != tt.wantTotal {
				t.Errorf("got %v total %d, want %v total %d", got, total, tt.want, tt.wantTotal)
			}
		})
	}
}

func TestListTasksRejectsBadQuery(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	u := NewID()
	for _, q := range []ListQuery{{Sort: "size"}, {Status: "done"}, {Offset: -1}, {Limit: -1}} {
		_, _, err := s.ListTasks(context.Background(), u, q)
		wantErr(t, err, domain.ErrInvalid)
	}
}

func rev(s []string) []string {
	out := slices.Clone(s)
	slices.Reverse(out)
	return out
}

// sortedByID orders names by their task ids.
func sortedByID(ids map[string]string, names ...string) []string {
	out := slices.Clone(names)
	slices.SortFunc(out, func(a, b string) int {
		if ids[a] < ids[b] {
			return -1
		}
		return 1
	})
	return out
}
