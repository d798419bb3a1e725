package search

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ocrbox/ocrbox/core/domain"
)

// FuzzSearch feeds request-shaped queries (text through the analysers,
// date bounds anywhere in time, any window and order) to the small index
// of fixture: the answer is a page of alice's own tasks or ErrInvalid,
// never a panic, another error or one of bob's tasks.
func FuzzSearch(f *testing.F) {
	ix := fixture(f)
	mine := map[string]bool{}
	for n := 1; n <= 6; n++ {
		mine[taskID(n)] = true
	}
	f.Add("invoice", int64(0), int64(0), 0, 20, "filename", true, "")
	f.Add("", int64(0), int64(0), 9223372036854775800, 200, "filename", true, "") // issue 11's crash
	f.Add("rech* user_id:* OR bob", int64(-1<<62), int64(1<<62), 999_800, 200, "duration", false, "completed")
	f.Add("Überweisung 報告書 '; DROP", t0.UnixNano(), t0.Add(time.Hour).UnixNano(), 1, 1, "pages", false, "pending")
	f.Add("\xff\xfe", int64(-9223372036854775808), int64(9223372036854775807), -1, -1, "size", true, "done")
	f.Fuzz(func(t *testing.T, text string, from, to int64, offset, limit int, sort string, desc bool, status string) {
		q := Query{Q: text, Sort: sort, Desc: desc, Offset: offset, Limit: limit, Status: domain.TaskStatus(status)}
		if from != 0 {
			q.From = time.Unix(0, from).AddDate(int(from%5000), 0, 0) // reach years far outside Unix nanoseconds
		}
		if to != 0 {
			q.To = time.Unix(0, to).AddDate(int(to%5000), 0, 0)
		}
		ids, total, err := ix.Search(context.Background(), alice, q)
		if err != nil {
			if !errors.Is(err, domain.ErrInvalid) {
				t.Fatalf("search %+v: %v", q, err)
			}
			return
		}
		want := limit
		if want == 0 {
			want = 20
		}
		if len(ids) > want || total < len(ids) || total > len(mine) {
			t.Fatalf("search %+v: %d ids, total %d", q, len(ids), total)
		}
		for _, id := range ids {
			if !mine[id] {
				t.Fatalf("search %+v found %s, not alice's", q, id)
			}
		}
	})
}
