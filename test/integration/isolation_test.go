package integration

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestIsolation checks that one user cannot see, change or even learn
// about another user's task: every route answers 403 with a body that says
// nothing about the task, and the owner finds it intact afterwards.
func TestIsolation(t *testing.T) {
	s := sharedServer(t)
	alice, aliceUser := newUser(t, s, "alice", "Alice")
	bob, _ := newUser(t, s, "bob", "Bob")

	secretName := "alice-secret-" + randomHex(4) + ".tif"
	up := corpusUpload(t, "pages/phototest.tif")
	up.Name = secretName
	created := alice.upload(t, [][2]string{{"outputs", "txt"}}, up)[0]
	before := alice.waitStatus(t, created.ID, "completed", 2*time.Minute)
	in, _ := before.file("input")
	txt, _ := before.file("txt")
	if in.ID == "" || txt.ID == "" {
		t.Fatalf("alice's task lacks input or txt file: %+v", before.Files)
	}

	// Nothing of this may appear in an answer to bob.
	secrets := []string{created.ID, secretName, "alice-secret", in.ID, txt.ID, aliceUser.ID, aliceUser.Email}

	id := created.ID
	cases := []struct {
		name, method, path string
	}{
		{"get", http.MethodGet, "/tasks/" + id},
		{"delete", http.MethodDelete, "/tasks/" + id},
		{"retry", http.MethodPost, "/tasks/" + id + "/retry"},
		{"cancel", http.MethodPost, "/tasks/" + id + "/cancel"},
		{"events", http.MethodGet, "/tasks/" + id + "/events"},
		{"download input", http.MethodGet, "/tasks/" + id + "/files/" + in.ID},
		{"download txt", http.MethodGet, "/tasks/" + id + "/files/" + txt.ID},
		{"page image", http.MethodGet, "/tasks/" + id + "/pages/1/image"},
		{"matches", http.MethodGet, "/tasks/" + id + "/matches?q=quick"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := bob.do(t, tc.method, tc.path, nil, "")
			if r.Status != http.StatusForbidden {
				t.Fatalf("bob %s %s: status %d, want 403: %s", tc.method, tc.path, r.Status, truncate(string(r.Body), 300))
			}
			e := r.apiError(t)
			if e.Error.Code != "forbidden" {
				t.Errorf("code %q, want forbidden", e.Error.Code)
			}
			for _, sec := range secrets {
				if strings.Contains(string(r.Body), sec) {
					t.Errorf("the 403 body reveals %q: %s", sec, r.Body)
				}
				for k, vs := range r.Header {
					for _, v := range vs {
						if strings.Contains(v, sec) {
							t.Errorf("the 403 header %s reveals %q: %s", k, sec, v)
						}
					}
				}
			}
		})
	}

	// An unknown id is 404 for bob, so the 403 above is about ownership.
	if r := bob.get(t, "/tasks/00000000-0000-4000-8000-000000000000"); r.Status != http.StatusNotFound {
		t.Errorf("bob GET unknown task: status %d, want 404", r.Status)
	}

	items, total := bob.listTasks(t)
	if total != 0 || len(items) != 0 {
		t.Errorf("bob's list has %d tasks (total %d), want none", len(items), total)
	}
	for _, it := range items {
		if it.ID == id {
			t.Errorf("bob's list contains alice's task")
		}
	}
	r := bob.get(t, "/tasks?page_size=200&status=completed&sort=filename")
	for _, sec := range secrets[:3] {
		if strings.Contains(string(r.Body), sec) {
			t.Errorf("bob's filtered list reveals %q", sec)
		}
	}

	// History, search (by alice's filename and by a word of her text),
	// stats, export and audit show bob nothing of alice's.
	t.Run("history, search, stats, export, audit", func(t *testing.T) {
		deadline := time.Now().Add(30 * time.Second)
		for { // the index lags bbolt by milliseconds; wait until alice finds her own text
			r := alice.get(t, "/history?q=quick")
			if r.Status == http.StatusOK && strings.Contains(string(r.Body), id) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("alice cannot find her own task by its text: %d %s", r.Status, truncate(string(r.Body), 300))
			}
			time.Sleep(200 * time.Millisecond)
		}
		probes := []struct{ name, method, path, body string }{
			{"history", http.MethodGet, "/history?page_size=200", ""},
			{"search by filename", http.MethodGet, "/history?q=" + strings.TrimSuffix(secretName, ".tif"), ""},
			{"search by text", http.MethodGet, "/history?q=quick", ""},
			{"search with bleve syntax", http.MethodGet, "/history?q=%2Buser_id%3A*", ""},
			{"search wildcard", http.MethodGet, "/history?q=*", ""},
			{"stats", http.MethodGet, "/history/stats", ""},
			{"export csv", http.MethodPost, "/history/export", `{"format":"csv"}`},
			{"export json by text", http.MethodPost, "/history/export", `{"format":"json","q":"quick"}`},
			{"audit", http.MethodGet, "/audit?limit=1000", ""},
		}
		for _, p := range probes {
			var r response
			if p.body != "" {
				r = bob.do(t, p.method, p.path, strings.NewReader(p.body), "application/json")
			} else {
				r = bob.do(t, p.method, p.path, nil, "")
			}
			if r.Status != http.StatusOK {
				t.Errorf("bob %s: status %d: %s", p.name, r.Status, truncate(string(r.Body), 300))
				continue
			}
			check := secrets
			if p.name == "audit" {
				// Bob's own trail records the ids he himself sent in his
				// denied attempts above; it must reveal nothing else.
				check = []string{secretName, "alice-secret", aliceUser.ID, aliceUser.Email}
			}
			for _, sec := range check {
				if strings.Contains(string(r.Body), sec) {
					t.Errorf("bob %s reveals %q", p.name, sec)
				}
			}
		}
		var st struct {
			Total int `json:"total"`
		}
		bob.get(t, "/history/stats").JSON(t, &st)
		if st.Total != 0 {
			t.Errorf("bob's stats count %d tasks, want 0", st.Total)
		}
	})

	after := alice.getTask(t, id)
	if after.Status != "completed" || after.Filename != secretName || len(after.Files) != len(before.Files) ||
		after.PagesDone != before.PagesDone {
		t.Errorf("alice's task changed: before %+v, after %+v", before, after)
	}
	if got := string(alice.download(t, id, txt.ID).Body); !strings.Contains(got, "quick") {
		t.Errorf("alice's txt after bob's attempts: %q", truncate(got, 200))
	}
	aliceItems, _ := alice.listTasks(t)
	found := false
	for _, it := range aliceItems {
		found = found || it.ID == id
	}
	if !found {
		t.Errorf("alice's list no longer contains her task")
	}
}
