package integration

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestAuditTrail: every download attempt — allowed, denied, unknown — is
// in the attempting user's own trail (GET /audit), and nobody's trail shows
// anything of anyone else.
func TestAuditTrail(t *testing.T) {
	s := sharedServer(t)
	alice, aliceUser := newUser(t, s, "alice", "Alice")
	bob, bobUser := newUser(t, s, "bob", "Bob")
	tk := alice.upload(t, [][2]string{{"outputs", "txt"}}, corpusUpload(t, "pages/phototest.tif"))[0]
	tk = alice.waitStatus(t, tk.ID, "completed", 2*time.Minute)
	txt, _ := tk.file("txt")

	alice.download(t, tk.ID, txt.ID)
	if r := bob.get(t, "/tasks/"+tk.ID+"/files/"+txt.ID); r.Status != http.StatusForbidden {
		t.Fatalf("bob's download of alice's file: %d", r.Status)
	}
	if r := alice.get(t, "/tasks/"+tk.ID+"/files/00000000-0000-4000-8000-000000000000"); r.Status != http.StatusNotFound {
		t.Fatalf("unknown file: %d", r.Status)
	}

	type event struct {
		UserID, TaskID, FileID, Action, Result, IP string
		Time                                       time.Time
	}
	trail := func(c *client) ([]event, string) {
		t.Helper()
		r := c.get(t, "/audit?limit=50")
		if r.Status != http.StatusOK {
			t.Fatalf("GET /audit: %d %s", r.Status, r.Body)
		}
		var v struct {
			Items []struct {
				UserID string    `json:"user_id"`
				TaskID string    `json:"task_id"`
				FileID string    `json:"file_id"`
				Action string    `json:"action"`
				Result string    `json:"result"`
				IP     string    `json:"ip"`
				Time   time.Time `json:"time"`
			} `json:"items"`
		}
		r.JSON(t, &v)
		var out []event
		for _, it := range v.Items {
			out = append(out, event{it.UserID, it.TaskID, it.FileID, it.Action, it.Result, it.IP, it.Time})
		}
		return out, string(r.Body)
	}
	aliceTrail, _ := trail(alice)
	bobTrail, bobBody := trail(bob)
	if len(aliceTrail) != 2 || aliceTrail[0].Result != "not_found" || aliceTrail[1].Result != "allowed" {
		t.Errorf("alice's trail %+v, want not_found then allowed", aliceTrail)
	}
	if len(bobTrail) != 1 || bobTrail[0].Result != "denied" || bobTrail[0].Action != "download" {
		t.Errorf("bob's trail %+v, want one denied download", bobTrail)
	}
	for _, ev := range aliceTrail {
		if ev.UserID != aliceUser.ID || ev.IP == "" || ev.Time.IsZero() {
			t.Errorf("alice's event %+v", ev)
		}
	}
	// Bob's trail names the ids he asked for, but nothing he did not know.
	for _, secret := range []string{aliceUser.ID, aliceUser.Email, tk.Filename} {
		if strings.Contains(bobBody, secret) {
			t.Errorf("bob's trail reveals %q: %s", secret, bobBody)
		}
	}
	if bobTrail[0].UserID != bobUser.ID {
		t.Errorf("bob's event belongs to %s", bobTrail[0].UserID)
	}
}
