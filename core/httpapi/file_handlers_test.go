package httpapi_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/core/tasks"
)

// TestDownloadIsAuditedAndIsolated: the owner downloads an attachment with
// safe headers; another user gets a 403 that says nothing; every attempt
// lands in the attempting user's own trail, and GET /audit shows each user
// only their own events.
func TestDownloadIsAuditedAndIsolated(t *testing.T) {
	e := newEnv(t, 100)
	alice, bob := e.login(t, "alice"), e.login(t, "bob")
	name := "Résumé Q3.png"
	r := e.upload(t, alice, nil, map[string][]byte{name: pngBytes(t)})
	if r.status != 202 {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	var created struct{ Tasks []*domain.Task }
	r.json(t, &created)
	task := created.Tasks[0]
	in, _ := task.InputFile()
	path := "/api/v1/tasks/" + task.ID + "/files/" + in.ID

	r = e.do(t, "GET", path, alice, nil, "")
	cd := r.header.Get("Content-Disposition")
	if r.status != 200 || len(r.body) != int(in.Size) {
		t.Fatalf("owner download: %d %s", r.status, r.body)
	}
	wantCD := fmt.Sprintf(`attachment; filename="R_sum_ Q3.png"; filename*=UTF-8''%s`, url.PathEscape(name))
	if cd != wantCD || strings.ContainsAny(cd, "\r\n") {
		t.Errorf("Content-Disposition %q, want %q", cd, wantCD)
	}
	if r.header.Get("X-Content-Type-Options") != "nosniff" || !strings.HasPrefix(r.header.Get("Cache-Control"), "private") ||
		r.header.Get("Content-Type") != "image/png" {
		t.Errorf("headers %v", r.header)
	}

	r = e.do(t, "GET", path, bob, nil, "")
	if r.status != 403 || r.errCode(t) != "forbidden" {
		t.Fatalf("bob's download: %d %s", r.status, r.body)
	}
	for _, secret := range []string{task.ID, in.ID, "sum", "png"} {
		if strings.Contains(string(r.body), secret) {
			t.Errorf("403 body reveals %q: %s", secret, r.body)
		}
	}
	if r := e.do(t, "GET", "/api/v1/tasks/"+task.ID+"/files/01900000-0000-7000-8000-000000000000", alice, nil, ""); r.status != 404 {
		t.Errorf("unknown file id: %d", r.status)
	}

	type trail struct {
		Items []domain.AuditEvent `json:"items"`
	}
	var at, bt trail
	e.do(t, "GET", "/api/v1/audit", alice, nil, "").json(t, &at)
	e.do(t, "GET", "/api/v1/audit", bob, nil, "").json(t, &bt)
	results := func(tr trail) (out []string) {
		for _, ev := range tr.Items {
			out = append(out, ev.Action+":"+ev.Result)
		}
		return out
	}
	if got := results(at); strings.Join(got, ",") != "download:not_found,download:allowed" {
		t.Errorf("alice's trail %v", got)
	}
	if got := results(bt); strings.Join(got, ",") != "download:denied" {
		t.Errorf("bob's trail %v", got)
	}
	aliceID := ""
	for _, ev := range at.Items {
		aliceID = ev.UserID
		if ev.TaskID != task.ID || ev.IP == "" {
			t.Errorf("alice's event %+v", ev)
		}
	}
	for _, ev := range bt.Items {
		if ev.UserID == aliceID || ev.UserID == "" {
			t.Errorf("bob's trail holds %+v", ev)
		}
	}

	// Paging and bad limits.
	var one trail
	if r := e.do(t, "GET", "/api/v1/audit?limit=1", alice, nil, ""); r.status != 200 {
		t.Fatalf("limit=1: %d", r.status)
	} else if r.json(t, &one); len(one.Items) != 1 || one.Items[0].Result != "not_found" {
		t.Errorf("limit=1: %+v", one.Items)
	}
	for _, q := range []string{"0", "-1", "1001", "abc", "1e3"} {
		if r := e.do(t, "GET", "/api/v1/audit?limit="+q, alice, nil, ""); r.status != 422 || r.errCode(t) != "invalid_parameter" {
			t.Errorf("limit=%s: %d %s", q, r.status, r.body)
		}
	}
	if r := e.do(t, "GET", "/api/v1/audit", "", nil, ""); r.status != 401 {
		t.Errorf("anonymous audit: %d", r.status)
	}
}

// TestStorageQuotaAnswers: over max_storage_mb_per_user an upload gets 429
// quota_exceeded with the limit in the message — from Content-Length before
// reading the body — while a file over the upload limit stays 413.
func TestStorageQuotaAnswers(t *testing.T) {
	file := append(pngBytes(t), make([]byte, 20<<10)...) // a 20 KB upload
	e := newEnvWith(t, 100, func(o *tasks.Options) {
		o.MaxTasksPerUser = 0
		o.MaxStorageBytesPerUser = 50 << 10
	})
	alice := e.login(t, "alice")
	for _, name := range []string{"1.png", "2.png"} {
		if r := e.upload(t, alice, nil, map[string][]byte{name: file}); r.status != 202 {
			t.Fatalf("upload %s: %d %s", name, r.status, r.body)
		}
	}
	r := e.upload(t, alice, nil, map[string][]byte{"3.png": file})
	if r.status != 429 || r.errCode(t) != "quota_exceeded" || !strings.Contains(string(r.body), "storage limit reached: at most 50.0 KB") {
		t.Fatalf("over the storage quota: %d %s", r.status, r.body)
	}
	// Content-Length alone decides when the body could never fit.
	bob := e.login(t, "bob")
	body, ct := multipartBody(t, nil, map[string][]byte{"big.png": append(pngBytes(t), make([]byte, 60<<10)...)})
	r = e.do(t, "POST", "/api/v1/tasks", bob, body, ct)
	if r.status != 429 || r.errCode(t) != "quota_exceeded" {
		t.Fatalf("Content-Length over the quota: %d %s", r.status, r.body)
	}
	var list struct{ Total int }
	e.do(t, "GET", "/api/v1/tasks", bob, nil, "").json(t, &list)
	if list.Total != 0 {
		t.Errorf("refused uploads left %d tasks", list.Total)
	}
	// Over the per-file upload limit (1 MB here) is 413, with room to spare.
	roomy := newEnvWith(t, 100, func(o *tasks.Options) { o.MaxStorageBytesPerUser = 100 << 20 })
	big := append(pngBytes(t), make([]byte, 2<<20)...)
	r = roomy.upload(t, roomy.login(t, "alice"), nil, map[string][]byte{"big.png": big})
	if r.status != 413 {
		t.Fatalf("over the upload limit: %d %s", r.status, r.body)
	}
}
