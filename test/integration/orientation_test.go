package integration

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ocrbox/ocrbox/plugins/conformance"
)

// TestOrientation uploads the corpus's phototest turned by 90°, 180° and
// 270° through the real binary (issue 14 §1): each must come back with the
// upright page's text, its JSON page saying how it was turned, and its size
// and word boxes those of the upright (landscape) page.
func TestOrientation(t *testing.T) {
	t.Parallel()
	s := sharedServer(t)
	c, _ := newUser(t, s, "orient", "Orientation")
	truth := string(corpus(t, "pages/phototest.txt"))
	cases := []struct {
		file    string
		degrees int
	}{
		{"pages/phototest.tif", 0},
		{"pages/phototest-rotated-R.png", 90},
		{"pages/phototest-rotated-180.png", 180},
		{"pages/phototest-rotated-L.png", 270},
	}
	var files []upload
	for _, tc := range cases {
		files = append(files, corpusUpload(t, tc.file))
	}
	tasks := c.upload(t, [][2]string{{"outputs", "txt,json"}}, files...)
	var uprightRecall float64
	for i, tc := range cases {
		tk := c.waitStatus(t, tasks[i].ID, "completed", 3*time.Minute)
		text := string(c.downloadKind(t, tk, "txt"))
		recall := conformance.WordRecall(truth, text)
		var doc struct {
			Pages []struct {
				Width       int `json:"width"`
				Height      int `json:"height"`
				Orientation struct {
					Degrees    int     `json:"degrees"`
					Confidence float64 `json:"confidence"`
				} `json:"orientation"`
				Skew  float64 `json:"skew"`
				Words []struct {
					Text string `json:"text"`
					BBox [4]int `json:"bbox"`
				} `json:"words"`
			} `json:"pages"`
		}
		if err := json.Unmarshal(c.downloadKind(t, tk, "json"), &doc); err != nil || len(doc.Pages) != 1 {
			t.Fatalf("%s: JSON output: %v, %d pages", tc.file, err, len(doc.Pages))
		}
		p := doc.Pages[0]
		t.Logf("%s: word recall %.3f, orientation %d° (confidence %.1f), skew %.1f°, %dx%d",
			tc.file, recall, p.Orientation.Degrees, p.Orientation.Confidence, p.Skew, p.Width, p.Height)
		if i == 0 {
			uprightRecall = recall
		} else if recall < uprightRecall-0.02 {
			t.Errorf("%s: word recall %.3f, want within 2 points of the upright page's %.3f\n%s",
				tc.file, recall, uprightRecall, text)
		}
		if !strings.Contains(collapseSpace(text), "quick brown dog") {
			t.Errorf("%s: text lacks %q:\n%s", tc.file, "quick brown dog", text)
		}
		if p.Orientation.Degrees != tc.degrees {
			t.Errorf("%s: orientation %d°, want %d°", tc.file, p.Orientation.Degrees, tc.degrees)
		}
		if p.Width != 640 || p.Height != 480 {
			t.Errorf("%s: page %dx%d, want the upright 640x480", tc.file, p.Width, p.Height)
		}
		for _, w := range p.Words {
			if w.BBox[2] > p.Width || w.BBox[3] > p.Height {
				t.Errorf("%s: word %q box %v outside the upright page", tc.file, w.Text, w.BBox)
			}
		}
	}
}

// TestOrientationOff: an upload with autorotate=false reads pages as they
// came (issue 14 §1, the per-task option): the task says so, and the page
// upside down is neither detected nor turned.
func TestOrientationOff(t *testing.T) {
	t.Parallel()
	s := sharedServer(t)
	c, _ := newUser(t, s, "orient-off", "Orientation off")
	if r := c.uploadRaw(t, [][2]string{{"autorotate", "sideways"}}, corpusUpload(t, "pages/phototest.tif")); r.Status != 422 {
		t.Fatalf("autorotate=sideways: %d %s, want 422", r.Status, r.Body)
	}
	tasks := c.upload(t, [][2]string{{"outputs", "txt,json"}, {"autorotate", "false"}}, corpusUpload(t, "pages/phototest-rotated-180.png"))
	if tasks[0].Autorotate {
		t.Fatalf("task %+v: autorotate true, want false", tasks[0])
	}
	tk := c.waitStatus(t, tasks[0].ID, "completed", 3*time.Minute)
	var doc struct {
		Pages []struct {
			Orientation struct {
				Degrees int `json:"degrees"`
			} `json:"orientation"`
		} `json:"pages"`
	}
	if err := json.Unmarshal(c.downloadKind(t, tk, "json"), &doc); err != nil || len(doc.Pages) != 1 {
		t.Fatalf("JSON output: %v", err)
	}
	if d := doc.Pages[0].Orientation.Degrees; d != 0 {
		t.Errorf("orientation %d° with autorotate=false, want 0 (not looked at)", d)
	}
	if text := collapseSpace(string(c.downloadKind(t, tk, "txt"))); strings.Contains(text, "quick brown dog") {
		t.Errorf("the page upside down was read upright with autorotate=false:\n%s", text)
	}
}
